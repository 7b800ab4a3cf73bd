"""Shared fixtures: the demo world (personas match the demo users), fast keys, in-process gateways."""

import itertools

import pytest
from django.conf import settings

from gateways import keys as gw_keys

_KEY_POOL: list[tuple[str, str]] = []
_real_rsa_generate = gw_keys.rsa_generate
_counter = itertools.count()


def pooled_rsa_generate(bits: int = 2048) -> tuple[str, str]:
    """RSA generation costs ~0.1 s a key: tests draw from a pool made once per session."""
    if not _KEY_POOL:
        _KEY_POOL.extend(_real_rsa_generate(2048) for _ in range(10))
    return _KEY_POOL[next(_counter) % len(_KEY_POOL)]


def pytest_collection_modifyitems(config, items):
    if settings.IS_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (row locks / concurrency); set DATABASE_URL to run")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_keys(monkeypatch):
    import gateways.services

    monkeypatch.setattr(gateways.services, "rsa_generate", pooled_rsa_generate)
    monkeypatch.setattr(gw_keys, "rsa_generate", pooled_rsa_generate)


@pytest.fixture(autouse=True)
def _inprocess_gateways():
    """Adapters reach the simulators through Django's WSGI handler: no sockets, no network.

    The one place tests choose the adapters' transport: every adapter the engine builds
    (gateways.services.adapter_for) receives an in-process client through its constructor;
    a test that builds an adapter itself passes this fixture's value as its `client`.
    """
    from gateways import services
    from gateways.simulators.transport import inprocess_client

    client = inprocess_client()
    previous = services.adapter_client_use(lambda: client)
    yield client
    services.adapter_client_use(previous)
    client.close()


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from gateways.router import routes_invalidate
    from terminals.selectors import config_versions_forget, terminal_auth_forget

    cache.clear()
    config_versions_forget()
    terminal_auth_forget()
    routes_invalidate()
    yield


@pytest.fixture
def world(db):
    """The demo world: dealers Demo (1,000,000) and Demo Sub (100,000), terminals, providers,
    gateways on the simulators, routes, and the demo users."""
    from kit.demo import demo_load

    return demo_load()


@pytest.fixture
def demo(world):
    from dealers.models import Dealer

    return Dealer.objects.get(name="Demo")


@pytest.fixture
def demo_sub(world):
    from dealers.models import Dealer

    return Dealer.objects.get(name="Demo Sub")


@pytest.fixture
def foreign(world):
    """A dealer outside Demo's tree, with its own terminal 9001 and user `foreigner`."""
    from django.contrib.auth import get_user_model

    from dealers.models import DealerUser
    from dealers.services import dealer_create, dealer_topup
    from terminals.models import Terminal

    dealer = dealer_create(name="Foreign", support_phone="8 800 999-99-99")
    dealer_topup(dealer=dealer, amount="5000.00")
    terminal = Terminal.objects.create(number="9001", dealer=dealer)
    terminal.providers.set(world["providers"])
    user = get_user_model().objects.create_user("foreigner", password="kit-demo")
    DealerUser.objects.create(user=user, dealer=dealer)
    return dealer


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


@pytest.fixture
def admin_user(world):
    return _user("admin")


@pytest.fixture
def support_user(world):
    return _user("support")


@pytest.fixture
def senior_user(world):
    return _user("senior")


@pytest.fixture
def dealer_user(world):
    return _user("dealer")


@pytest.fixture
def subdealer_user(world):
    return _user("subdealer")


@pytest.fixture
def terminal(world):
    from terminals.models import Terminal

    return Terminal.objects.select_related("dealer").get(number="1001")
