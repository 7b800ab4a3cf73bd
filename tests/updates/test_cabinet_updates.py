"""The cabinet shows a dealer its own terminals' versions and update states, and rollout progress over them."""

import pytest

from terminals.models import Terminal
from updates.models import Release, TerminalGroup
from updates.services import rollout_create, terminal_update_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def rollout(world, terminal, foreign):
    Terminal.objects.filter(number__in=["1001", "9001"]).update(software_version="kit-kiosk/0.2.0")
    release = Release.objects.create(version="0.3.0", min_version="0", archive="kit-kiosk/x.tar.gz", size=1,
                                     sha256="0" * 64, manifest={}, file_count=1, signed_by="built-in")
    group = TerminalGroup.objects.create(name="everyone", kind=TerminalGroup.Kind.LIST)
    group.terminals.set(Terminal.objects.filter(number__in=["1001", "9001"]))
    terminal_update_record(terminal=terminal, version="0.3.0", state="rolled_back", reason="health: exit 1")
    terminal_update_record(terminal=Terminal.objects.get(number="9001"), version="0.3.0", state="failed",
                           reason="file_hash: secret-of-foreign")
    return rollout_create(release=release, group=group)


def test_a_dealer_sees_its_terminal_s_update_state_and_reason(client, dealer_user, rollout):
    client.force_login(dealer_user)
    page = client.get("/cabinet/updates/").content.decode()
    assert 'data-number="1001"' in page
    assert "health: exit 1" in page
    assert "kit-kiosk/0.2.0" in page


def test_a_dealer_never_sees_another_dealer_s_terminals_in_the_updates_page(client, dealer_user, rollout):
    client.force_login(dealer_user)
    page = client.get("/cabinet/updates/").content.decode()
    assert 'data-number="9001"' not in page
    assert "secret-of-foreign" not in page


def test_the_rollout_progress_counts_only_the_dealer_s_terminals(client, foreign, rollout):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="foreigner"))
    page = client.get("/cabinet/updates/").content.decode()
    assert 'data-number="9001"' in page
    assert 'data-number="1001"' not in page
    assert "health: exit 1" not in page


def test_the_updates_page_needs_a_login(client):
    assert client.get("/cabinet/updates/").status_code == 302
