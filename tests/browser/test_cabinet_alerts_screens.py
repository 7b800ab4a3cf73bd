"""A dealer sees an offline terminal's alert, uploads a theme logo and assigns the theme; screenshots."""

import io
from datetime import timedelta

from django.utils import timezone
from PIL import Image, ImageDraw

from tests.browser.conftest import login, shot


def _logo() -> bytes:
    img = Image.new("RGB", (240, 80), "#ff6600")
    ImageDraw.Draw(img).rectangle([20, 20, 220, 60], fill="#ffffff")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_a_dealer_sees_an_offline_alert_and_themes_a_terminal(page, phone_page, settings):
    from alerts.models import AlertChoice
    from alerts.services import alerts_offline_sweep
    from screens.models import Theme, ThemeAssignment
    from terminals.models import Terminal

    settings.KIT_OFFLINE_MINUTES = 10
    terminal = Terminal.objects.get(number="1001")
    Terminal.objects.filter(pk=terminal.pk).update(last_seen=timezone.now() - timedelta(minutes=30))
    assert alerts_offline_sweep() == 1

    login(page, "dealer")
    row = page.locator("#open-alerts tr[data-code='offline']")
    assert "1001" in row.inner_text() and "терминал не на связи" in row.inner_text()
    shot(page, "alerts/overview-with-alert")

    page.goto("/cabinet/alerts/")
    page.select_option("#id_code", "offline")
    page.click("#alert-filters button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("table.alerts tbody tr[data-code]").count() == 1
    shot(page, "alerts/alerts")

    page.goto("/cabinet/themes/")
    page.fill("#id_name", "Оранжевая")
    page.select_option("#id_layout", "large")
    page.fill("#id_accent", "#ff6600")
    page.set_input_files("#id_logo_file", files=[{"name": "logo.png", "mimeType": "image/png", "buffer": _logo()}])
    page.click("#theme-form button[type=submit]")
    page.wait_for_load_state()
    theme = Theme.objects.get(name="Оранжевая")
    assert (theme.accent, theme.layout, theme.logo.width) == ("#ff6600", "large", 240)
    assert page.locator(f"#themes tr[data-theme='{theme.pk}'] img.logo").is_visible()

    page.select_option("#id_theme", label="Оранжевая")
    page.check(f"#assign-theme input[name=terminals][value='{terminal.pk}']")
    page.click("#assign-theme button[type=submit]")
    page.wait_for_load_state()
    assert ThemeAssignment.objects.get(terminal=terminal).theme == theme
    assert "Оранжевая" in page.locator("#terminal-themes tr[data-number='1001']").inner_text()
    shot(page, "alerts/themes")

    page.goto("/cabinet/ads/")
    shot(page, "alerts/ads")

    page.goto(f"/cabinet/terminals/{terminal.pk}/")
    assert page.locator("#terminal-alerts tr[data-code='offline']").count() == 1
    shot(page, "alerts/terminal")

    page.goto("/cabinet/account/")
    page.uncheck("#account-alerts input[value='paper_low']")
    page.click("#account-alerts button[type=submit]")
    page.wait_for_load_state()
    assert "paper_low" not in AlertChoice.objects.get(user__username="dealer").codes
    shot(page, "alerts/account")

    login(phone_page, "dealer")
    phone_page.goto("/cabinet/alerts/")
    shot(phone_page, "alerts/alerts-phone")
    phone_page.goto("/cabinet/themes/")
    shot(phone_page, "alerts/themes-phone")
