"""Alert fixtures: a fixed clock passed to the services, the memory notifier's outbox emptied."""

from datetime import UTC, datetime

import pytest

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def outbox(settings):
    from alerts.notifiers import memory

    settings.KIT_ALERT_NOTIFIERS = ["memory"]
    memory.outbox.clear()
    yield memory.outbox
    memory.outbox.clear()
