"""Each persona logs in and reaches every page it may use by clicking its menu, as the menu is rendered.

Screenshots of every page at 1366 x 900 and 390 x 844 go to var/screenshots/personas/<persona>/.
Pages other teams add to kit/nav.py appear in the menu, and so in this walk, once they exist.
"""

import re

import pytest

from tests.browser.conftest import DESKTOP, PHONE, login, shot

# The menu of the site's own layout and the same menu inside the admin's header.
MENU_LINKS = "header.top nav.menu a, #header nav.kit-menu a"

# What each role's menu must and must not lead to (URL prefixes), whatever else is added to it.
EXPECTED = {
    "dealer": ({"/cabinet/"}, {"/support/", "/gateways/health/", "/reconcile/", "/admin/"}),
    "subdealer": ({"/cabinet/"}, {"/support/", "/gateways/health/", "/reconcile/", "/admin/"}),
    "support": ({"/gateways/health/"}, {"/cabinet/", "/reconcile/", "/admin/"}),
    "senior": ({"/gateways/health/"}, {"/cabinet/", "/admin/"}),
    "admin": ({"/gateways/health/", "/reconcile/", "/admin/"}, {"/cabinet/"}),
}


def menu(page) -> list[tuple[str, str]]:
    links = page.locator(MENU_LINKS)
    return [(links.nth(i).get_attribute("href"), links.nth(i).inner_text().strip()) for i in range(links.count())]


def _slug(href: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", href.lower()).strip("-") or "home"


def walk(page, username: str, size_name: str) -> list[str]:
    """Log in, then click every menu entry in turn; return the URLs reached."""
    login(page, username)
    entries = menu(page)
    assert entries, f"{username} sees no menu on {page.url}"
    shot(page, f"personas/{username}/{size_name}-home")
    reached = []
    for href, label in entries:
        page.locator(MENU_LINKS).and_(page.locator(f'[href="{href}"]')).first.click()
        page.wait_for_load_state()
        assert page.url.endswith(href), (username, label, page.url)
        assert page.locator(".error-page").count() == 0, (username, label, page.url)
        # Every page keeps the way on: the same menu, the user's name and the log-out button.
        assert menu(page), (username, label, "no menu on the page")
        assert page.get_by_text(username, exact=True).count() >= 1 or page.locator("#user-tools").count() == 1
        shot(page, f"personas/{username}/{size_name}-{_slug(href)}")
        reached.append(href)
    return reached


def _check_roles(username: str, reached: list[str]):
    must, never = EXPECTED[username]
    for prefix in must:
        assert any(url.startswith(prefix) for url in reached), (username, prefix, reached)
    for prefix in never:
        assert not any(url.startswith(prefix) for url in reached), (username, prefix, reached)


@pytest.mark.parametrize("username", list(EXPECTED))
def test_each_persona_reaches_its_pages_from_the_menu_on_a_laptop_and_a_phone(browser, live_server, live_world,
                                                                               username):
    for size_name, size, extra in (("desktop", DESKTOP, {}), ("phone", PHONE, {"is_mobile": True, "has_touch": True})):
        context = browser.new_context(viewport=size, locale="ru-RU", base_url=live_server.url, **extra)
        page = context.new_page()
        page.set_default_timeout(15_000)
        try:
            reached = walk(page, username, size_name)
            if size is PHONE and not page.url.rstrip("/").endswith("/admin"):
                # Nothing wider than the phone but tables that scroll inside their own box.
                assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1, page.url
        finally:
            context.close()
        _check_roles(username, reached)


def test_the_admins_payment_list_fits_a_laptop_screen_with_the_status_visible(page, live_world):
    from decimal import Decimal

    from dealers.models import Dealer
    from payments.models import Event, Payment
    from providers.models import Provider
    from terminals.models import Terminal

    terminal = Terminal.objects.get(number="1001")
    provider = Provider.objects.get(code="mts")
    for txn, status, reason in (("17", "succeeded", ""), ("18", "failed", "declined")):
        payment = Payment.objects.create(
            terminal=terminal, dealer=Dealer.objects.get(name="Demo"), txn=txn, provider=provider,
            provider_code="mts", account="9161234567", amount=Decimal("500.00"), credited=Decimal("500.00"),
            status=status, reason=reason, content_hash="x" * 64, cheque_number=f"1001-{txn}",
            paid_at="2026-12-01T10:00:00+03:00")
        Event.objects.create(payment=payment, from_status="processing", to_status=status, reason=reason,
                             actor="worker", detail={"gateway": "cyberplat", "result_code": "23"})
    login(page, "admin")
    page.goto("/admin/payments/payment/")
    shot(page, "admin/payments-1366")
    status_header = page.locator("#result_list th.column-status")
    box = status_header.bounding_box()
    assert status_header.is_visible() and box["x"] + box["width"] <= DESKTOP["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    # The last column too is inside the list's box: nothing hidden behind its horizontal scroll.
    results, last = page.locator("#changelist .results").bounding_box(), page.locator(
        "#result_list th.column-reason_words").bounding_box()
    assert last["x"] + last["width"] <= results["x"] + results["width"] + 1
    assert sorted(page.locator("#result_list td.field-status").all_inner_texts()) == ["ошибка", "проведён"]
    assert "поставщик отклонил платёж" in page.locator("#result_list").inner_text()

    page.get_by_role("link", name="18").click()
    page.wait_for_load_state()
    shot(page, "admin/payment-18-1366")
    text = page.locator("#content").inner_text()
    assert "Платёж 18 терминала 1001: ошибка" in text
    assert "проводится → ошибка" in text and '"gateway"' not in text


@pytest.mark.parametrize("size_name, size", [("desktop", DESKTOP), ("phone", PHONE)])
def test_the_error_pages_are_the_projects_own_in_russian(browser, live_server, live_world, size_name, size):
    from django.test import RequestFactory
    from django.utils import translation

    from kit import errors

    context = browser.new_context(viewport=size, locale="ru-RU", base_url=live_server.url)
    page = context.new_page()
    try:
        login(page, "dealer")
        response = page.goto("/cabinet/no-such-page/")
        assert response.status == 404
        assert page.locator("h1").first.inner_text() == "Страница не найдена"
        assert page.locator("header.top nav.menu a").count() >= 1
        shot(page, f"errors/404-{size_name}")
        # A 500 page is rendered without any context; shown here in the site's own stylesheet.
        with translation.override("ru"):
            html = errors.server_error(RequestFactory().get("/")).content.decode()
        page.set_content(html)
        page.wait_for_load_state()
        assert page.locator("h1").first.inner_text() == "Что-то пошло не так на нашей стороне"
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
        shot(page, f"errors/500-{size_name}")
    finally:
        context.close()


def test_every_admin_list_fits_a_laptop_screen(page, live_world):
    login(page, "admin")
    page.goto("/admin/")
    lists = sorted(set(page.eval_on_selector_all(
        "#content-main a[href$='/']", "els => els.map(e => e.getAttribute('href'))")))
    too_wide = []
    for url in [u for u in lists if u.count("/") == 4]:
        page.goto(url)
        widths = page.evaluate("""() => {
            const box = document.querySelector('#changelist .results');
            return [document.documentElement.scrollWidth, box ? box.scrollWidth - box.clientWidth : 0];
        }""")
        if widths[0] > DESKTOP["width"] or widths[1] > 0:
            too_wide.append((url, widths))
            shot(page, f"admin/too-wide{url.replace('/', '-')}")
    assert too_wide == [], too_wide
