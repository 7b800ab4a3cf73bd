"""A claim settled by a correction, all in the browser: `support` registers a claim from a failed
payment's console page, prints it (two pages), asks for the correction from the same page, `senior`
approves it, the worker sends the payment, and `support` resolves the claim as credited."""

import io

from pypdf import PdfReader

from tests.browser.conftest import _page, login, shot
from tests.browser.test_corrections import _failed_demo_payment, worker_messages  # noqa: F401


def test_a_claim_is_registered_from_the_payment_corrected_through_the_console_and_resolved_credited(
        page, browser, live_server, worker_messages, settings, tmp_path):  # noqa: F811
    from claims.models import Claim
    from payments.models import Payment
    from payments.services.submit import payment_submit
    from support.models import ActionRequest

    settings.KIT_PRIVATE_ROOT = str(tmp_path / "private")
    p = _failed_demo_payment()
    worker_messages.clear()
    login(page, "support")

    page.goto(f"/support/payments/{p.pk}/")
    page.click("#register-claim")
    page.wait_for_load_state()
    assert page.input_value("#id_cheque_txn") == "777001"
    page.fill("#id_customer_name", "Кузнецов Пётр Ильич")
    page.fill("#id_customer_phone", "+7 916 000-33-44")
    page.check("input[name=ask][value=credit]")
    page.fill("#id_text", "Оплатил 500 рублей на МТС, деньги не пришли. Номер на чеке с ошибкой в последней цифре.")
    page.click("#register-submit")
    page.wait_for_load_state()
    claim = Claim.objects.get()
    assert claim.payment_id == p.pk
    with page.expect_download() as dl:
        page.click("#print-claim")
    pdf = PdfReader(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert len(pdf.pages) == 2
    assert all(claim.number in pg.extract_text() and "Кузнецов Пётр Ильич" in pg.extract_text() for pg in pdf.pages)

    # The correction, asked for from the payment's console page.
    page.goto(f"/support/payments/{p.pk}/")
    page.click("#action-correct")
    page.wait_for_load_state()
    page.fill("#id_account", "9160000000")
    page.fill("#id_comment", f"По претензии {claim.number}: номер сверен с клиентом")
    page.click("#action-submit")
    page.wait_for_load_state()
    page.click("#action-submit")  # confirm after the preview
    page.wait_for_load_state()
    req = ActionRequest.objects.get(payment=p)
    assert req.state == "pending"

    context, senior = _page(browser, live_server, {"width": 1366, "height": 900})
    try:
        login(senior, "senior")
        senior.goto("/support/approvals/")
        senior.locator(f"#request-{req.pk} textarea[name=comment]").fill("Проверено по претензии")
        senior.click(f"#approve-{req.pk}")
        senior.wait_for_load_state()
    finally:
        context.close()
    assert worker_messages == [(p.pk,)]
    payment_submit(payment_id=p.pk)  # the worker takes the message
    assert Payment.objects.get(pk=p.pk).status == "succeeded"

    page.goto(f"/support/claims/{claim.number}/")
    page.fill("#id_comment", "Платёж исправлен и проведён.")
    page.click("#step-investigating")
    page.wait_for_load_state()
    page.fill("#id_comment", "Зачислено после исправления номера.")
    page.select_option("#id_outcome", "credited")
    page.fill("#id_answer", "Платёж зачислен на номер 916 000-00-00.")
    page.click("#step-resolved")
    page.wait_for_load_state()
    assert page.locator("#claim-status").inner_text() == "решена"
    assert page.locator("#claim-outcome").inner_text() == "зачислено на счёт"
    shot(page, "claims/claim-credited")
