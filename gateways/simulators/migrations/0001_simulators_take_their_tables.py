"""The simulators' tables move from the gateways app to their own app, rows and all.

The state takes the models over as they are (same table); then the table and its index
are renamed in place, so a database with simulator rows keeps every one of them.
"""

import kit.crypto
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("gateways", "0002_gateway_health_breaker")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SimulatorState",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("code", models.SlugField(max_length=32, unique=True)),
                        ("down", models.BooleanField(default=False, verbose_name="down (connection refused)")),
                        ("latency_ms", models.PositiveIntegerField(default=0, verbose_name="added latency, ms")),
                        ("private_key", kit.crypto.EncryptedTextField(blank=True,
                                                                      verbose_name="simulator private key (PEM)")),
                        ("peer_public_key", models.TextField(
                            blank=True, verbose_name="our public key as the simulator knows it (PEM)")),
                        ("params", models.JSONField(blank=True, default=dict)),
                    ],
                    options={"verbose_name": "simulator", "verbose_name_plural": "simulators",
                             "db_table": "gateways_simulatorstate"},
                ),
                migrations.CreateModel(
                    name="SimRecord",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("code", models.SlugField(max_length=32)),
                        ("key", models.CharField(help_text="the idempotency key the gateway saw (SESSION, id...)",
                                                 max_length=64)),
                        ("upstream_id", models.CharField(blank=True, max_length=64)),
                        ("account", models.CharField(max_length=64)),
                        ("amount", models.DecimalField(decimal_places=2, max_digits=14, null=True)),
                        ("amount_all", models.DecimalField(decimal_places=2, max_digits=14, null=True)),
                        ("state", models.CharField(max_length=20)),
                        ("polls", models.PositiveIntegerField(default=0)),
                        ("data", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "gateways_simrecord",
                        "indexes": [models.Index(fields=["code", "account"], name="gateways_si_code_fa6fb8_idx")],
                        "constraints": [models.UniqueConstraint(fields=("code", "key"), name="simrecord_unique_key")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="simulatorstate", table=None),
        migrations.AlterModelTable(name="simrecord", table=None),
        migrations.RenameIndex(model_name="simrecord", new_name="simrecord_code_account_idx",
                               old_name="gateways_si_code_fa6fb8_idx"),
    ]
