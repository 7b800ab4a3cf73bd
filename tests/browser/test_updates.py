"""The cabinet's software updates page on a desktop and a phone, and the admin's rollout list."""

from .conftest import login, shot


def _rollout():
    from terminals.models import Terminal
    from updates.models import Release, TerminalGroup
    from updates.services import rollout_create, terminal_update_record

    Terminal.objects.filter(number="1001").update(software_version="kit-kiosk/0.2.0")
    terminal = Terminal.objects.get(number="1001")
    release = Release.objects.create(version="0.3.0", min_version="0.2.0", archive="kit-kiosk/x.tar.gz", size=48213,
                                     sha256="0" * 64, manifest={}, file_count=40, signed_by="built-in")
    group = TerminalGroup.objects.create(name="Демо, ночь", kind=TerminalGroup.Kind.DEALER, dealer=terminal.dealer)
    terminal_update_record(terminal=terminal, version="0.3.0", state="rolled_back",
                           reason="health: health check exit 1: validator failure")
    return rollout_create(release=release, group=group, percent=50)


def test_a_dealer_sees_the_updates_page_on_a_desktop_and_a_phone(page, phone_page):
    _rollout()
    for p, name in ((page, "cabinet-updates"), (phone_page, "cabinet-updates-phone")):
        login(p, "dealer")
        p.goto("/cabinet/updates/")
        assert p.locator("#terminal-updates tr[data-number='1001']").count() == 1
        assert "health: health check exit 1" in p.content()
        assert p.evaluate("document.documentElement.scrollWidth") <= p.viewport_size["width"] + 1
        shot(p, name)
