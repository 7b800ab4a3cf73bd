"""The heartbeat reads the config version without building the whole config every time."""

from decimal import Decimal

from providers.models import Provider
from terminals import selectors


def test_a_heartbeat_within_the_ttl_does_not_build_the_config(kiosk, settings, monkeypatch):
    settings.KIT_CONFIG_VERSION_TTL = 60
    version = kiosk.config().json()["config_version"]
    built = []
    real = selectors.terminal_config
    monkeypatch.setattr(selectors, "terminal_config", lambda t: built.append(t.pk) or real(t))
    assert kiosk.heartbeat({}).json()["config_version"] == version
    assert built == []


def test_a_catalogue_change_shows_in_the_heartbeat_once_the_ttl_has_passed(kiosk, settings, monkeypatch):
    settings.KIT_CONFIG_VERSION_TTL = 60
    before = kiosk.heartbeat({}).json()["config_version"]
    Provider.objects.filter(code="mts").update(max_amount=Decimal("9000.00"))
    assert kiosk.heartbeat({}).json()["config_version"] == before  # within the TTL: the cached one
    now = selectors.time.monotonic()
    monkeypatch.setattr(selectors.time, "monotonic", lambda: now + 61)
    after = kiosk.heartbeat({}).json()["config_version"]
    assert after != before
    assert after == kiosk.config().json()["config_version"]


def test_a_config_fetch_refreshes_the_version_the_heartbeat_answers(kiosk, settings):
    settings.KIT_CONFIG_VERSION_TTL = 60
    before = kiosk.heartbeat({}).json()["config_version"]
    Provider.objects.filter(code="mts").update(max_amount=Decimal("9000.00"))
    fetched = kiosk.config().json()["config_version"]
    assert fetched != before
    assert kiosk.heartbeat({}).json()["config_version"] == fetched
