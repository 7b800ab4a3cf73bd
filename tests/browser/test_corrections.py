"""Four eyes in the browser: `support` asks for a correction of a failed demo payment on its action
page, `senior` approves it on /support/approvals/, and the payment is seen succeeded; screenshots of
the correction's difference and of the approval page (desktop and phone) under var/screenshots/."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.browser.conftest import PHONE, _page, login, shot


@pytest.fixture
def worker_messages(monkeypatch):
    """The live server's on-commit messages are kept here; the test plays the worker."""
    from payments import tasks

    sent = []
    for task in (tasks.submit_payment, tasks.poll_payment, tasks.resume_held):
        monkeypatch.setattr(task, "apply_async", lambda args=(), **kw: sent.append(tuple(args)))
    return sent


def _failed_demo_payment():
    """Terminal 1001 pays 500.00 to MTS for 916 000-00-01: CyberPlat's simulator declines the number."""
    from payments.services import PaymentRequest, payment_accept
    from payments.services.submit import payment_submit
    from terminals.models import Terminal

    terminal = Terminal.objects.select_related("dealer").get(number="1001")
    p, _ = payment_accept(terminal=terminal, request=PaymentRequest(
        txn="777001", provider_code="mts", account="9160000001", amount=Decimal("500.00"), paid_at=timezone.now()))
    payment_submit(payment_id=p.pk)
    p.refresh_from_db()
    assert (p.status, p.reason) == ("failed", "declined")
    return p


def test_support_requests_a_correction_and_senior_approves_it(page, browser, live_server, worker_messages):
    from payments.models import Payment
    from payments.services.submit import payment_submit
    from support.models import ActionRequest

    p = _failed_demo_payment()
    worker_messages.clear()  # the acceptance's own message (the test played its worker)
    login(page, "support")
    page.goto(f"/support/payments/{p.pk}/actions/correct/")
    assert page.locator("#payment-status").inner_text() == "ошибка"
    page.fill("#id_account", "9160000000")
    page.fill("#id_comment", "Клиент ошибся в последней цифре, номер сверен по чеку")
    page.click("#action-submit")
    page.wait_for_load_state()
    assert page.locator("#preview").is_visible()
    shot(page, "corrections/correct-preview")
    page.set_viewport_size(PHONE)
    shot(page, "corrections/correct-preview-phone")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.click("#action-submit")
    page.wait_for_load_state()
    assert page.url.endswith("/support/approvals/")
    req = ActionRequest.objects.get(payment=p)
    assert (req.state, req.params) == ("pending", {"account": "9160000000"})
    # The requester sees the request, but no button to approve it.
    assert page.locator(f"#approve-{req.pk}").count() == 0

    context, senior = _page(browser, live_server, {"width": 1366, "height": 900})
    try:
        login(senior, "senior")
        senior.goto("/support/approvals/")
        card = senior.locator(f"#request-{req.pk}")
        assert "9160000000" in card.inner_text()
        shot(senior, "corrections/approvals")
        senior.set_viewport_size(PHONE)
        shot(senior, "corrections/approvals-phone")
        senior.set_viewport_size({"width": 1366, "height": 900})
        card.locator("textarea[name=comment]").fill("Проверено по чеку")
        senior.click(f"#approve-{req.pk}")
        senior.wait_for_load_state()
        assert worker_messages == [(p.pk,)]
        payment_submit(payment_id=p.pk)  # the worker takes the message
        senior.goto("/support/approvals/")
        assert senior.locator(f"#decided-{req.pk} td.status").inner_text() == "проведён"
        shot(senior, "corrections/approvals-done")
    finally:
        context.close()
    p = Payment.objects.get(pk=p.pk)
    assert (p.status, p.account, p.account_sent, p.round) == ("succeeded", "9160000000", "9160000001", 2)
