# The support console's look-up indexes (which index serves which query: payments/models.py).

from django.db import migrations, models

QUEUE = models.Q(("status__in", ["failed", "held"]),
                 models.Q(("reason__in", ["outcome_unknown", "gateway_config", "no_gateway_available"]),
                          ("status", "processing")),
                 _connector="OR")


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0002_attempt_polls_payment_lease"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="payment", name="payment_account_idx"),
        migrations.AddIndex(model_name="attempt",
                            index=models.Index(fields=["upstream_id"], name="attempt_upstream_idx")),
        migrations.AddIndex(model_name="payment",
                            index=models.Index(fields=["account", "paid_at"], name="payment_account_paid_idx")),
        migrations.AddIndex(model_name="payment",
                            index=models.Index(fields=["cheque_number"], name="payment_cheque_idx")),
        migrations.AddIndex(model_name="payment",
                            index=models.Index(fields=["terminal", "paid_at"], name="payment_terminal_paid_idx")),
        migrations.AddIndex(model_name="payment",
                            index=models.Index(condition=QUEUE, fields=["received_at", "id", "status", "reason"],
                                               name="payment_queue_idx")),
    ]
