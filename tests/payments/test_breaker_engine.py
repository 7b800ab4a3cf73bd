"""The engine and the breaker: an open gateway is skipped; a successful half-open trial brings it back."""

import pytest

from gateways.models import GatewayHealth
from payments.services.submit import payment_submit

pytestmark = pytest.mark.django_db


def test_payments_skip_an_open_gateway_and_a_successful_trial_closes_it(engine, settings):
    settings.KIT_BREAKER_THRESHOLD = 3
    settings.KIT_RETRIES_PER_GATEWAY = 1
    engine.book.queue("alpha", "pay", "retry", "retry", "retry")
    for _ in range(3):
        p = engine.accept()
        payment_submit(payment_id=p.pk)  # alpha: retry, no retries left -> beta at once
        payment_submit(payment_id=p.pk)
        p.refresh_from_db()
        assert p.status == "succeeded" and p.gateway.code == "beta"
    assert GatewayHealth.objects.get(gateway__code="alpha").state == "open"
    calls = len([c for c in engine.book.calls if c[0] == "alpha"])
    p = engine.accept()
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.gateway.code) == ("succeeded", "beta")
    assert len([c for c in engine.book.calls if c[0] == "alpha"]) == calls  # skipped while open
    engine.clock.advance(31)
    p = engine.accept()
    payment_submit(payment_id=p.pk)  # the half-open trial
    p.refresh_from_db()
    assert p.status == "succeeded" and p.gateway.code == "alpha"
    assert GatewayHealth.objects.get(gateway__code="alpha").state == "closed"
