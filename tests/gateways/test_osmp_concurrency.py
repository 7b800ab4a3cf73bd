"""Simultaneous pays with one attempt id make one upstream payment (OSMP, Contact, ComePay, provider).

Real row locks and unique-constraint races: PostgreSQL only.
"""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from gateways.adapters.base import Order, Outcome
from gateways.adapters.registry import ADAPTERS
from gateways.models import Gateway
from gateways.services import gateway_config
from gateways.simulators.base import accepted
from gateways.simulators.services import simulator_provision
from gateways.simulators.transport import inprocess_client

PARAMS = {
    "osmp": {"terminal_id": "7000101", "login": "kit-demo"},
    "contact": {"point_code": "KITD", "int_soft_id": "00000000-0000-4000-8000-000000000001"},
    "comepay": {"login": "kit-demo"},
    "provider": {"login": "kit-demo"},
}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("code", sorted(PARAMS))
def test_simultaneous_pays_with_one_id_make_one_upstream_payment(code):
    gw = Gateway.objects.create(code=code, name=code, protocol=code, params=PARAMS[code],
                                base_url=f"http://testserver/sim/{code}/", secret=f"demo-{code}-password")
    simulator_provision(gateway=gw, sim_params=PARAMS[code])
    config = gateway_config(gw)
    order = Order(attempt_id="900000000001", remote_id="77", account="12345678", amount=Decimal("100.00"),
                  credited=Decimal("100.00"), paid_at=datetime(2026, 11, 28, 9, 30, tzinfo=UTC))
    barrier = threading.Barrier(6)

    def pay(_):
        try:
            adapter = ADAPTERS[code](config, client=inprocess_client())
            barrier.wait()
            return adapter.pay(order)
        finally:
            connection.close()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(pay, range(6)))
    assert [r.outcome for r in results] == [Outcome.OK] * 6
    assert len({r.upstream_id for r in results}) == 1
    assert accepted(code).filter(state="paid").count() == 1
