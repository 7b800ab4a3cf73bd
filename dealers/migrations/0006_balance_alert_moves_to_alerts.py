"""The low-balance e-mail moved onto the alerts app's `balance_low` (issue #22): BalanceAlert keeps
only the threshold. A dip already e-mailed (alerted_at set, the balance still below) becomes an
open `balance_low` alert marked notified, so the move sends no second e-mail for the same dip."""

from django.db import migrations


def open_alerts_for_mailed_dips(apps, schema_editor):
    BalanceAlert = apps.get_model("dealers", "BalanceAlert")
    Alert = apps.get_model("alerts", "Alert")
    rows = BalanceAlert.objects.filter(alerted_at__isnull=False, threshold__gt=0).select_related("dealer")
    for row in rows.order_by("pk"):
        dealer = row.dealer
        available = dealer.balance + dealer.credit_limit
        subject = f"d{dealer.pk}"
        if available >= row.threshold:
            continue  # back above: the dip is over, nothing to open
        if Alert.objects.filter(subject=subject, code="balance_low", closed_at__isnull=True).exists():
            continue  # the alerts sweep (default threshold) already has it open
        Alert.objects.create(dealer_id=dealer.pk, terminal_id=None, subject=subject, code="balance_low",
                             detail={"available": str(available), "threshold": str(row.threshold)},
                             opened_at=row.alerted_at, notified_at=row.alerted_at)


def mark_open_alerts_as_mailed_dips(apps, schema_editor):
    BalanceAlert = apps.get_model("dealers", "BalanceAlert")
    Alert = apps.get_model("alerts", "Alert")
    for alert in Alert.objects.filter(code="balance_low", closed_at__isnull=True, notified_at__isnull=False):
        BalanceAlert.objects.filter(dealer_id=alert.dealer_id, threshold__gt=0).update(alerted_at=alert.notified_at)


class Migration(migrations.Migration):

    dependencies = [
        ("dealers", "0005_merge_agents_verbose_names"),
        ("alerts", "0001_alerts"),
    ]

    operations = [
        migrations.RunPython(open_alerts_for_mailed_dips, mark_open_alerts_as_mailed_dips),
        migrations.RemoveField(model_name="balancealert", name="alerted_at"),
    ]
