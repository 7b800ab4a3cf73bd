"""dealers 0006: #17's "e-mail sent for this dip" flag leaves BalanceAlert; a dip already e-mailed
becomes an open `balance_low` alert marked notified, so the move mails nobody twice."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("dealers", "0005_merge_agents_verbose_names")]
AFTER = [("dealers", "0006_balance_alert_moves_to_alerts")]
SENT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_the_move(transactional_db):
    """The schema with BalanceAlert.alerted_at; restored to the latest after the test."""
    try:
        yield migrate(BEFORE)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_a_dip_already_mailed_becomes_an_open_notified_alert(before_the_move, settings):
    old = before_the_move
    Dealer, BalanceAlert = old.get_model("dealers", "Dealer"), old.get_model("dealers", "BalanceAlert")

    def dealer(name, balance, threshold, alerted_at):
        d = Dealer.objects.create(name=name, balance=D(balance), credit_limit=D("1000.00"))
        BalanceAlert.objects.create(dealer=d, threshold=D(threshold), alerted_at=alerted_at)
        return d

    mailed = dealer("Mailed", "100.00", "5000.00", SENT)      # 1,100.00 available: below, e-mail sent
    dealer("Recovered", "9000.00", "5000.00", SENT)           # flag not yet cleared, but back above
    dealer("Not yet", "100.00", "5000.00", None)              # below, not mailed yet: the sweep will
    dealer("Off", "100.00", "0.00", SENT)                     # threshold 0: no alert

    new = migrate(AFTER)

    Alert = new.get_model("alerts", "Alert")
    assert list(Alert.objects.values_list("dealer_id", "subject", "code", "detail", "opened_at", "closed_at",
                                          "notified_at")) == [
        (mailed.pk, f"d{mailed.pk}", "balance_low", {"available": "1100.00", "threshold": "5000.00"},
         SENT, None, SENT)]
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(),
                                                                               "dealers_balancealert")]
    assert "alerted_at" not in columns

    # Back on the latest code: the sweep opens the dip not yet mailed and leaves the mailed one alone.
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from alerts.models import Alert as LiveAlert
    from alerts.services import alerts_balance_sweep

    settings.KIT_ALERT_BALANCE_THRESHOLD = ""
    assert alerts_balance_sweep() == 1
    assert sorted(LiveAlert.objects.filter(notified_at__isnull=True).values_list("dealer__name", flat=True)) == [
        "Not yet"]


def test_going_back_puts_the_flag_on_the_open_alerts(before_the_move):
    old = before_the_move
    Dealer, BalanceAlert = old.get_model("dealers", "Dealer"), old.get_model("dealers", "BalanceAlert")
    d = Dealer.objects.create(name="Mailed", balance=D("100.00"))
    BalanceAlert.objects.create(dealer=d, threshold=D("5000.00"), alerted_at=SENT)
    migrate(AFTER)
    back = migrate(BEFORE)
    assert list(back.get_model("dealers", "BalanceAlert").objects.values_list("dealer_id", "alerted_at")) == [
        (d.pk, SENT)]
