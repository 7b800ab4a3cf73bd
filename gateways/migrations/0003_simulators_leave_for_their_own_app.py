"""SimulatorState and SimRecord now belong to the simulators app (its migration 0001 took
their tables over with their rows); here they only leave the gateways app's state."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("gateways", "0002_gateway_health_breaker"),
        ("simulators", "0001_simulators_take_their_tables"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SimRecord"), migrations.DeleteModel(name="SimulatorState")],
            database_operations=[],
        ),
    ]
