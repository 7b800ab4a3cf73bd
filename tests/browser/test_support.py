"""The support console as an operator uses it: log in as `support`, find a failed payment from the
terminal and transaction numbers on its cheque, read its page, look at the queue; screenshots of
each (desktop, and the payment page at phone size)."""

from datetime import timedelta
from decimal import Decimal

from django.core.management import call_command
from django.utils import timezone

from tests.browser.conftest import login, shot


def _failed_payment():
    """A cheque's payment that failed at acceptance (the account does not fit mts's format)."""
    from payments.services.accept import PaymentRequest, payment_accept
    from terminals.models import Terminal

    terminal = Terminal.objects.select_related("dealer").get(number="1001")
    payment, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="4242", provider_code="mts", account="12345", amount=Decimal("500.00"),
        paid_at=timezone.now() - timedelta(minutes=20)))
    return payment


def test_an_operator_finds_a_failed_payment_from_its_cheque(page, phone_page):
    payment = _failed_payment()
    assert payment.status == "failed"
    call_command("generate_payments", "300", seed=3)
    errors, failed = [], []
    # A CSP refusal or a script error shows in the console; a missing file as a failed response.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "Failed to load" not in m.text else None)
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)

    login(page, "support")
    page.goto("/support/")
    page.fill("#id_terminal", "1001")
    page.fill("#id_txn", "4242")
    shot(page, "support-search")
    page.click("#cheque-form button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"/support/payments/{payment.pk}/")
    assert page.locator("#payment-status").inner_text() == "ошибка"
    assert "счёт не соответствует формату поставщика" in page.locator("#payment-reason").inner_text()
    assert page.locator("#timeline tbody tr").count() == 1
    shot(page, "support-payment")

    page.goto("/support/cheque/?terminal=1001&txn=999999")
    assert page.locator("#not-found").is_visible()
    shot(page, "support-not-found")

    page.goto("/support/queue/")
    assert page.locator(f'#queue tr[data-id="{payment.pk}"]').count() == 1
    total = int(page.locator('[data-count="total"]').inner_text())
    assert total >= 1
    # The counts refresh in place: htmx replaces the block and it still shows the total.
    page.evaluate("htmx.trigger('#queue-counts', 'every 20s')")
    page.wait_for_timeout(300)
    assert int(page.locator('[data-count="total"]').inner_text()) == total
    shot(page, "support-queue")

    page.goto("/support/audit/")
    shot(page, "support-audit")
    assert errors == [] and failed == []

    login(phone_page, "support")
    phone_page.goto(f"/support/payments/{payment.pk}/")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone_page, "support-payment-phone")
    phone_page.goto("/support/")
    shot(phone_page, "support-search-phone")
