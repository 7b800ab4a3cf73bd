"""The simulators' tables moved from the gateways app to their own app: the rows move with them."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("gateways", "0002_gateway_health_breaker"), ("simulators", None)]
AFTER = [("gateways", "0003_simulators_leave_for_their_own_app"),
         ("simulators", "0001_simulators_take_their_tables")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1]]).apps


@pytest.fixture
def back_to_the_old_layout(transactional_db):
    """The schema as it was before the move; restored to the latest after the test."""
    try:
        yield migrate(BEFORE)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_moving_the_simulators_to_their_own_app_keeps_every_row(back_to_the_old_layout):
    old = back_to_the_old_layout
    OldState, OldRecord = old.get_model("gateways", "SimulatorState"), old.get_model("gateways", "SimRecord")
    OldState.objects.create(code="osmp", down=True, latency_ms=250, peer_public_key="PEM-OF-OURS",
                            params={"login": "kit-demo", "password": "issued"})
    OldRecord.objects.create(code="osmp", key="500000000001", upstream_id="7000000001", account="9031234567",
                             amount=Decimal("98.00"), amount_all=Decimal("100.00"), state="paid", polls=2,
                             data={"service": "2"})
    OldRecord.objects.create(code="cyberplat", key="counter:transient:x", account="", state="counter", polls=3)

    new = migrate(AFTER)

    State, Record = new.get_model("simulators", "SimulatorState"), new.get_model("simulators", "SimRecord")
    assert list(State.objects.values_list("code", "down", "latency_ms", "peer_public_key", "params")) == [
        ("osmp", True, 250, "PEM-OF-OURS", {"login": "kit-demo", "password": "issued"})]
    assert sorted(Record.objects.values_list("code", "key", "upstream_id", "account", "amount", "amount_all",
                                             "state", "polls", "data")) == [
        ("cyberplat", "counter:transient:x", "", "", None, None, "counter", 3, {}),
        ("osmp", "500000000001", "7000000001", "9031234567", Decimal("98.00"), Decimal("100.00"), "paid", 2,
         {"service": "2"}),
    ]
    tables = connection.introspection.table_names()
    assert ("simulators_simrecord" in tables, "gateways_simrecord" in tables) == (True, False)
    assert ("simulators_simulatorstate" in tables, "gateways_simulatorstate" in tables) == (True, False)
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "simulators_simrecord")
    assert "simrecord_code_account_idx" in constraints
    assert constraints["simrecord_unique_key"]["unique"] is True
