"""Support handles a written claim: registers it from a failed payment, prints both copies, investigates,
answers; the customer checks the claim on a phone. Screenshots of the list and the claim page."""

import io
from decimal import Decimal

from django.utils import timezone

from tests.browser.conftest import login, shot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _failed_payment():
    from payments.models import Event, Payment
    from providers.models import Provider
    from terminals.models import Terminal

    t = Terminal.objects.get(number="1001")
    mts = Provider.objects.get(code="mts")
    p = Payment.objects.create(terminal=t, dealer_id=t.dealer_id, txn="7001", provider=mts, provider_code="mts",
                               account="9160000001", amount=Decimal("300.00"), credited=Decimal("300.00"),
                               status="failed", reason="declined", content_hash="claim-b1",
                               cheque_number="1001-7001", paid_at=timezone.now())
    Event.objects.create(payment=p, to_status="failed", reason="declined", actor="worker")
    return p


def test_support_registers_prints_investigates_and_answers_a_claim(page, phone_page, settings, tmp_path):
    from pypdf import PdfReader

    from claims.models import Claim

    settings.KIT_PRIVATE_ROOT = str(tmp_path / "private")
    payment = _failed_payment()
    login(page, "support")

    page.goto(f"/support/claims/new/?payment={payment.pk}")
    assert page.input_value("#id_cheque_txn") == "7001"
    assert page.locator("#linked-payment").is_visible()
    page.fill("#id_customer_name", "Смирнова Ольга Петровна")
    page.fill("#id_customer_phone", "+7 916 000-11-22")
    page.check("input[name=ask][value=credit]")
    page.fill("#id_text", "Оплатила 300 рублей на МТС, деньги на телефон не пришли.")
    page.set_input_files("#id_scan", files=[{"name": "cheque.png", "mimeType": "image/png", "buffer": PNG}])
    assert page.locator("#privacy-notice").is_visible()
    shot(page, "claims/register")
    page.click("#register-submit")
    page.wait_for_load_state()
    claim = Claim.objects.get()
    assert page.url.endswith(f"/support/claims/{claim.number}/")
    assert page.locator("#claim-status").inner_text() == "зарегистрирована"

    with page.expect_download() as dl:
        page.click("#print-claim")
    pdf = PdfReader(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert len(pdf.pages) == 2
    assert all("Смирнова Ольга Петровна" in p.extract_text() for p in pdf.pages)

    page.fill("#id_comment", "Запросили статус у шлюза.")
    page.click("#step-investigating")
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "на рассмотрении"

    # "credited" is refused while the payment is still failed
    page.fill("#id_comment", "Зачислено.")
    page.select_option("#id_outcome", "credited")
    page.fill("#id_answer", "Платёж зачислен.")
    page.click("#step-resolved")
    page.wait_for_load_state()
    assert "противоречит платежу" in page.locator("#step-form").inner_text()
    shot(page, "claims/claim-page")

    page.fill("#id_comment", "Оператор отклонил платёж, деньги у агента.")
    page.select_option("#id_outcome", "explained")
    page.fill("#id_answer", "Оператор связи отклонил платёж. Для возврата денег обратитесь с паспортом в офис.")
    page.click("#step-resolved")
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "решена"
    assert page.locator("#claim-outcome").inner_text() == "дано разъяснение"
    with page.expect_download() as dl:
        page.click("#print-answer")
    assert len(PdfReader(io.BytesIO(open(dl.value.path(), "rb").read())).pages) == 1

    page.goto("/support/claims/")
    assert page.locator(f"#claims tr[data-number='{claim.number}']").is_visible()
    shot(page, "claims/claims-list")

    login(phone_page, "support")
    phone_page.goto(f"/support/claims/{claim.number}/")
    assert phone_page.locator("#claim-status").inner_text() == "решена"
    shot(phone_page, "claims/claim-page-phone")
    phone_page.context.clear_cookies()

    phone_page.goto("/claims/status/")
    phone_page.fill("#id_number", claim.number)
    phone_page.fill("#id_phone", "89160001122")
    phone_page.click("#status-form button[type=submit]")
    phone_page.wait_for_load_state()
    assert "решена" in phone_page.locator("#result").inner_text()
    shot(phone_page, "claims/public-status-phone")
    phone_page.goto("/check/")
    phone_page.fill("#id_terminal", "1001")
    phone_page.fill("#id_txn", "7001")
    phone_page.fill("#id_amount", "300")
    phone_page.click("#check-form button[type=submit]")
    phone_page.wait_for_load_state()
    assert "не проведён — обратитесь в поддержку" in phone_page.locator("#result").inner_text()
    shot(phone_page, "claims/public-check-phone")
