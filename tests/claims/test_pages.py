"""Staff pages: registering through the form (bad input refused whole), the scan's storage and view,
the claim page's steps, the list."""

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from claims.models import Claim, ClaimCounter

from .conftest import msk

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PDF = b"%PDF-1.4\n%fake\n"


def _form(**overrides):
    data = {"cheque_terminal": "1001", "cheque_txn": "31337", "cheque_amount": "500.00",
            "cheque_paid_at": "2026-03-12T18:40", "cheque_account": "9161234567", "cheque_provider": "МТС",
            "customer_name": "Кузнецов Олег", "customer_phone": "8 (916) 765-43-21", "ask": "credit",
            "text": "Деньги не зачислены.", "received_at": "2026-03-13T10:00"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def staff(client, support_user):
    client.force_login(support_user)
    return client


def test_support_registers_a_claim_with_a_scan_stored_outside_public_urls(staff, make_payment, settings):
    payment = make_payment("1001", "500.00", txn="31337")
    scan = SimpleUploadedFile("cheque.pdf", PNG, content_type="application/pdf")
    resp = staff.post("/support/claims/new/", _form(scan=scan))
    assert resp.status_code == 302
    claim = Claim.objects.get()
    assert resp["Location"] == f"/support/claims/{claim.number}/"
    assert (claim.payment, claim.customer_phone, claim.scan_type) == (payment, "+79167654321", "image/png")
    path = claim.scan.path
    assert path.startswith(settings.KIT_PRIVATE_ROOT) and not path.startswith(str(settings.MEDIA_ROOT))
    assert open(path, "rb").read() == PNG
    shown = staff.get(f"/support/claims/{claim.number}/scan/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert b"".join(shown.streaming_content) == PNG
    with pytest.raises(ValueError):
        claim.scan.url


def test_the_scan_is_shown_to_staff_only(client, staff, register, dealer_user):
    claim = register(None, scan=SimpleUploadedFile("c.jpg", JPEG), scan_type="image/jpeg")
    url = f"/support/claims/{claim.number}/scan/"
    assert staff.get(url).status_code == 200
    staff.logout()
    assert client.get(url).status_code == 302
    client.force_login(dealer_user)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("field, value, message", [
    ("scan", SimpleUploadedFile("cheque.jpg", b"GIF89a not a jpeg"), "не JPEG, PNG или PDF"),
    ("scan", SimpleUploadedFile("cheque.exe", b"MZ\x90\x00"), "не JPEG, PNG или PDF"),
    ("scan", SimpleUploadedFile("big.jpg", JPEG + b"\x00" * (5 * 1024 * 1024)), "больше 5 МБ"),
    ("customer_phone", "12345", "Введите номер телефона"),
    ("customer_phone", "+1 212 555 0100", "Введите номер телефона"),
    ("received_at", "2099-01-01T10:00", "не может быть в будущем"),
    ("customer_name", "", "Обязательное поле"),
])
def test_bad_input_is_refused_with_a_message_and_saves_nothing(staff, field, value, message, settings):
    resp = staff.post("/support/claims/new/", _form(**{field: value}))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert Claim.objects.count() == 0 and ClaimCounter.objects.count() == 0
    root = settings.KIT_PRIVATE_ROOT
    assert not os.path.exists(root) or not any(files for _, _, files in os.walk(root))


def test_a_scan_of_exactly_5_mb_and_a_pdf_are_accepted(staff):
    five_mb = JPEG + b"\x00" * (5 * 1024 * 1024 - len(JPEG))
    assert staff.post("/support/claims/new/", _form(scan=SimpleUploadedFile("a.jpg", five_mb))).status_code == 302
    assert staff.post("/support/claims/new/", _form(scan=SimpleUploadedFile("b", PDF))).status_code == 302
    assert sorted(Claim.objects.values_list("scan_type", flat=True)) == ["application/pdf", "image/jpeg"]


def test_the_register_page_is_prefilled_from_a_payment_or_from_the_cheque_lookup(staff, make_payment):
    payment = make_payment("1001", "321.00", txn="4242")
    page = staff.get(f"/support/claims/new/?payment={payment.pk}").content.decode()
    assert 'value="4242"' in page and 'value="321.00"' in page and f'value="{payment.pk}"' in page
    page = staff.get("/support/claims/new/?terminal=2001&txn=99&amount=10.50&date=2026-03-01"
                     "&account=9160000000").content.decode()
    assert 'value="2001"' in page and 'value="99"' in page and 'value="9160000000"' in page
    assert 'value="2026-03-01T00:00"' in page
    page = staff.get("/support/claims/new/?terminal=2001&txn=99&date=01.03.2026+18:40").content.decode()
    assert 'value="2026-03-01T18:40"' in page
    page = staff.get("/support/claims/new/?terminal=2001&txn=99&date=вчера").content.decode()
    assert 'name="cheque_paid_at" value=' not in page
    assert staff.get("/support/claims/new/?payment=999999").status_code == 404


def test_the_claim_page_steps_the_workflow_and_refuses_a_contradicting_outcome(staff, register, make_payment):
    claim = register(make_payment("1001", "100.00", status="failed"))
    url = f"/support/claims/{claim.number}/"
    page = staff.get(url).content.decode()
    assert 'id="step-investigating"' in page and "Претензия" in page
    assert staff.post(url + "step/", {"to": "investigating", "comment": "проверяем"}).status_code == 302
    resp = staff.post(url + "step/", {"to": "resolved", "comment": "ok", "outcome": "credited", "answer": "Зачислено."})
    assert resp.status_code == 400
    assert "противоречит платежу" in resp.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == "investigating"
    resp = staff.post(url + "step/", {"to": "resolved", "comment": "", "outcome": "explained", "answer": "x"})
    assert resp.status_code == 400
    resp = staff.post(url + "step/", {"to": "resolved", "comment": "разъяснили", "outcome": "explained",
                                      "answer": "Платёж отклонён оператором связи."})
    assert resp.status_code == 302
    assert Claim.objects.get(pk=claim.pk).outcome == "explained"


def test_the_claim_page_offers_candidates_and_links_one(staff, register, make_payment):
    from decimal import Decimal

    from claims.services import Cheque

    payment = make_payment("1001", "640.00", account="9169990000", at=msk(2026, 3, 12, 18, 0))
    make_payment("1001", "640.00", account="9161111111", at=msk(2026, 3, 12, 18, 0))
    claim = register(None, cheque=Cheque(terminal="1001", txn="typo", amount=Decimal("640.00"),
                                         account="9169990000", paid_at=msk(2026, 3, 12, 18, 1)))
    page = staff.get(f"/support/claims/{claim.number}/").content.decode()
    assert page.count('name="payment" value=') == 1 and f'value="{payment.pk}"' in page
    resp = staff.post(f"/support/claims/{claim.number}/link/", {"payment": payment.pk, "comment": "по счёту"})
    assert resp.status_code == 302
    assert Claim.objects.get(pk=claim.pk).payment == payment
    assert staff.post(f"/support/claims/{claim.number}/link/", {"payment": 999999, "comment": "x"}).status_code == 400


def test_the_list_sorts_by_deadline_and_highlights_overdue_and_due_soon(staff, register, monkeypatch):
    from django.utils import timezone

    late = register(None, received_at=msk(2026, 3, 1, 10, 0))   # due 11.03.2026
    soon = register(None, received_at=msk(2026, 3, 13, 10, 0))  # due 23.03.2026
    far = register(None, received_at=msk(2026, 3, 20, 10, 0))   # due 30.03.2026
    monkeypatch.setattr(timezone, "now", lambda: msk(2026, 3, 21, 12, 0))
    page = staff.get("/support/claims/").content.decode()
    assert page.index(late.number) < page.index(soon.number) < page.index(far.number)
    assert f'data-number="{late.number}" class="overdue"' in page
    assert f'data-number="{soon.number}" class="due-soon"' in page
    assert f'data-number="{far.number}" class=""' in page
    assert 'id="overdue-count">1<' in page


def test_the_list_filters_by_status_operator_and_dealer(staff, register, make_payment, senior_user, demo_sub):
    a = register(make_payment("1001"))
    b = register(make_payment("2001"), user=senior_user)
    page = staff.get(f"/support/claims/?dealer={demo_sub.pk}").content.decode()
    assert b.number in page and a.number not in page
    page = staff.get(f"/support/claims/?operator={senior_user.pk}").content.decode()
    assert b.number in page and a.number not in page
    page = staff.get("/support/claims/?status=resolved").content.decode()
    assert a.number not in page and b.number not in page
    assert staff.get("/support/claims/?status=nonsense").status_code == 200


def test_the_claim_page_links_to_the_payment_page_when_the_console_has_one(staff, register, make_payment):
    from django.urls import NoReverseMatch, reverse

    payment = make_payment("1001")
    claim = register(payment)
    page = staff.get(f"/support/claims/{claim.number}/").content.decode()
    try:
        url = reverse("support:payment", args=[payment.pk]) + f"?claim={claim.number}"
    except NoReverseMatch:
        assert 'id="payment-page"' not in page
    else:
        assert f'id="payment-page" href="{url}"' in page


def test_a_dealer_and_anonymous_cannot_use_the_staff_pages(client, dealer_user):
    assert client.get("/support/claims/").status_code == 302
    client.force_login(dealer_user)
    assert client.get("/support/claims/").status_code == 403
    assert client.post("/support/claims/new/", _form()).status_code == 403


def test_a_double_submit_of_the_register_form_registers_one_claim(staff):
    key = "3f1e0c52-8d1b-4c55-9a59-0d6f4d0a7b11"
    first = staff.post("/support/claims/new/", _form(request_key=key))
    second = staff.post("/support/claims/new/", _form(request_key=key))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == "/support/claims/CL-2026-000001/"
    assert Claim.objects.count() == 1 and ClaimCounter.objects.get().last == 1
    assert staff.post("/support/claims/new/", _form()).status_code == 302
    assert Claim.objects.count() == 2


def test_the_register_form_carries_a_fresh_one_time_key(staff):
    import re

    keys = [re.search(r'name="request_key" value="([0-9a-f-]{36})"', staff.get("/support/claims/new/")
                      .content.decode()).group(1) for _ in range(2)]
    assert keys[0] != keys[1]


def test_a_step_or_link_without_its_fields_is_a_400_with_a_message(staff, register):
    claim = register(None)
    url = f"/support/claims/{claim.number}/"
    resp = staff.post(url + "step/", {"comment": "без шага"})
    assert resp.status_code == 400 and "Обязательное поле" in resp.content.decode()
    resp = staff.post(url + "step/", {"to": "closed-forever", "comment": "x"})
    assert resp.status_code == 400 and "Выберите корректный вариант" in resp.content.decode()
    resp = staff.post(url + "link/", {"payment": "", "comment": ""})
    assert resp.status_code == 400 and "Обязательное поле" in resp.content.decode()
    assert claim.steps.count() == 1
