from tests.browser.conftest import login, shot


def test_a_dealer_logs_in_and_sees_the_menu(page):
    login(page, "dealer")
    assert page.url.endswith("/") or "/cabinet" in page.url
    assert page.locator("header.top").is_visible()
    shot(page, "smoke-dealer-home")
