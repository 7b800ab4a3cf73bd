"""The agent network as the dealer uses it: a sub-agent with a user and a reward rate, 1,000.00 ₽
transferred to it, the month's statement downloaded as a PDF; screenshots at desktop and phone size."""

import io
from decimal import Decimal

from tests.browser.conftest import login, shot


def test_a_dealer_builds_its_agent_network_and_downloads_a_statement(page, phone_page):
    from pypdf import PdfReader

    from dealers.models import Dealer, DealerUser
    from providers.models import Provider, RewardRule

    login(page, "dealer")
    page.goto("/cabinet/agents/")
    page.fill("#create-agent [name=name]", "Киоск Плюс")
    page.fill("#create-agent [name=inn]", "7700000088")
    page.fill("#create-agent [name=contact]", "plus@example.org")
    page.fill("#create-agent [name=support_phone]", "8 800 000-00-88")
    page.click("#create-agent button[type=submit]")
    page.wait_for_load_state()
    agent = Dealer.objects.get(name="Киоск Плюс")
    assert page.url.endswith(f"/cabinet/agents/{agent.pk}/")
    assert agent.parent.name == "Demo" and agent.credit_limit == Decimal("0.00")

    page.fill("#create-user [name=username]", "kioskplus")
    page.fill("#create-user [name=email]", "kioskplus@example.org")
    page.fill("#create-user [name=password]", "Kiosk-plus-2026")
    page.select_option("#create-user [name=role]", "admin")
    page.click("#create-user button[type=submit]")
    page.wait_for_load_state()
    assert DealerUser.objects.get(user__username="kioskplus").dealer_id == agent.pk
    assert page.locator("#users tr[data-user=kioskplus]").is_visible()

    mts = Provider.objects.get(code="mts")
    page.select_option("#rate [name=provider]", str(mts.pk))
    page.fill("#rate [name=percent]", "1.000")
    page.fill("#rate [name=fixed]", "0.00")
    page.click("#rate button[type=submit]")
    page.wait_for_load_state()
    rule = RewardRule.objects.get(dealer=agent, provider=mts)
    assert (rule.percent, rule.fixed) == (Decimal("1.000"), Decimal("0.00"))
    assert "1% + 0,00" in page.locator("#rates tr[data-provider=mts]").inner_text().replace("\u00a0", " ")

    page.select_option("#transfer [name=direction]", "to")
    page.fill("#transfer [name=amount]", "1000.00")
    page.fill("#transfer [name=comment]", "на размен")
    page.click("#transfer button[type=submit]")
    page.wait_for_load_state()
    agent.refresh_from_db()
    assert agent.balance == Decimal("1000.00")
    assert page.locator("#agent-balance").inner_text().replace("\u00a0", " ") == "1 000,00 ₽"
    shot(page, "agents-agent")

    page.goto("/cabinet/agents/")
    assert page.locator(f"#agents tr[data-id='{agent.pk}']").is_visible()
    shot(page, "agents-tree")

    page.goto("/cabinet/statements/")
    page.select_option("#statement-form [name=dealer]", str(agent.pk))
    page.click("#statement-form button[type=submit]")
    page.wait_for_load_state()
    closing = page.locator("#statement [data-line=closing]").inner_text().replace("\u00a0", " ")
    assert closing == "1 000,00 ₽"
    shot(page, "agents-statement")
    with page.expect_download() as dl:
        page.click("#statement-pdf")
    text = PdfReader(io.BytesIO(open(dl.value.path(), "rb").read())).pages[0].extract_text().replace("\u00a0", " ")
    assert "Киоск Плюс" in text and "Акт сверки" in text and "1 000,00" in text

    login(phone_page, "dealer")
    phone_page.goto(f"/cabinet/agents/{agent.pk}/")
    shot(phone_page, "agents-agent-phone")
    phone_page.goto("/cabinet/topups/")
    shot(phone_page, "agents-topups-phone")
