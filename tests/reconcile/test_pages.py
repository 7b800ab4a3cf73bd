"""Reconciliation pages: who sees them, who resolves (audited), run now, registry upload."""

from decimal import Decimal

import pytest
from django.test import Client

from gateways.reconcile.models import Discrepancy, Reconciliation, ReconciliationEvent, RegistryUpload
from gateways.reconcile.services import reconciliation_run

GOOD_CSV = (b"key,upstream_id,account,amount,status,created_at\r\n"
            b"700000000000000001,U1,9161234567,100.00,paid,2026-11-20T12:00:00+03:00\r\n")


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def open_day(cyberplat, book, day):
    book("cyberplat", "600000000000000001", "paid", "150.00")  # missing on ours
    rec = reconciliation_run(gateway=cyberplat, day=day)
    return rec, rec.discrepancies.get()


def _resolve_url(rec, d):
    return f"/reconcile/{rec.gateway.code}/{rec.day:%Y-%m-%d}/discrepancies/{d.pk}/resolve"


def _day_url(rec):
    return f"/reconcile/{rec.gateway.code}/{rec.day:%Y-%m-%d}/"


def test_support_sees_the_list_and_the_day_page(open_day, support_user):
    rec, d = open_day
    c = _client(support_user)
    listing = c.get("/reconcile/")
    assert listing.status_code == 200 and b"2026-11-20" in listing.content
    page = c.get(_day_url(rec))
    assert page.status_code == 200 and b"600000000000000001" in page.content and b"missing_ours" in page.content
    assert b'name="d%d-reason"' % d.pk not in page.content  # no resolve form for support


def test_dealers_do_not_see_reconciliation(open_day, dealer_user, foreign):
    from django.contrib.auth import get_user_model

    rec, _ = open_day
    for user in (dealer_user, get_user_model().objects.get(username="foreigner")):
        c = _client(user)
        assert c.get("/reconcile/").status_code == 404
        assert c.get(_day_url(rec)).status_code == 404


def test_anonymous_is_sent_to_login(open_day):
    rec, _ = open_day
    resp = Client().get(_day_url(rec))
    assert resp.status_code == 302 and "/accounts/login/" in resp["Location"]


def test_support_may_not_resolve(open_day, support_user):
    rec, d = open_day
    resp = _client(support_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "looks fine"})
    assert resp.status_code == 403
    d.refresh_from_db()
    assert d.state == "open" and not ReconciliationEvent.objects.filter(kind="resolved").exists()


def test_a_dealer_resolving_gets_404(open_day, dealer_user):
    rec, d = open_day
    resp = _client(dealer_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "x"})
    assert resp.status_code == 404
    d.refresh_from_db()
    assert d.state == "open"


def test_senior_support_resolves_with_a_reason_and_it_is_audited(open_day, senior_user):
    rec, d = open_day
    resp = _client(senior_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "Refunded by the gateway, act 17"})
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.state == "resolved" and d.resolved_by == senior_user and d.resolved_at is not None
    assert d.resolution == "Refunded by the gateway, act 17"
    event = ReconciliationEvent.objects.get(kind="resolved")
    assert event.user == senior_user and event.actor == "user:senior" and event.discrepancy == d
    assert event.note == "Refunded by the gateway, act 17"
    rec.refresh_from_db()
    assert rec.status == "reconciled" and rec.open_count == 0


def test_admin_resolves_too(open_day, admin_user):
    rec, d = open_day
    resp = _client(admin_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "checked with the gateway"})
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.state == "resolved" and d.resolved_by == admin_user


def test_resolving_without_a_reason_is_a_form_error(open_day, senior_user):
    rec, d = open_day
    resp = _client(senior_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "   "})
    assert resp.status_code == 400
    assert resp.context["rows"][0][1].errors["reason"]
    d.refresh_from_db()
    assert d.state == "open"


def test_resolving_twice_keeps_the_first_resolution(open_day, senior_user, admin_user):
    rec, d = open_day
    _client(senior_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "first"})
    resp = _client(admin_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "second"})
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.resolution == "first" and d.resolved_by == senior_user
    assert ReconciliationEvent.objects.filter(kind="resolved").count() == 1


def test_a_discrepancy_of_another_day_is_404(open_day, senior_user, cyberplat, book):
    rec, d = open_day
    resp = _client(senior_user).post(f"/reconcile/cyberplat/2026-11-21/discrepancies/{d.pk}/resolve",
                                     {f"d{d.pk}-reason": "x"})
    assert resp.status_code == 404


def test_bad_day_or_gateway_in_the_address_is_404(senior_user, world):
    c = _client(senior_user)
    assert c.get("/reconcile/cyberplat/2026-13-45/").status_code == 404
    assert c.get("/reconcile/nosuch/2026-11-20/").status_code == 404


def test_a_resolved_discrepancy_stays_resolved_when_the_day_runs_again(open_day, senior_user, cyberplat, day):
    rec, d = open_day
    _client(senior_user).post(_resolve_url(rec, d), {f"d{d.pk}-reason": "known"})
    rec = reconciliation_run(gateway=cyberplat, day=day)
    d.refresh_from_db()
    assert d.state == "resolved" and rec.status == "reconciled" and Discrepancy.objects.count() == 1


def test_run_now_reconciles_the_chosen_day(senior_user, cyberplat, book):
    book("cyberplat", "600000000000000009", "paid", "10.00")
    resp = _client(senior_user).post("/reconcile/run", {"gateway": "cyberplat", "day": "2026-11-20"})
    assert resp.status_code == 302 and resp["Location"] == "/reconcile/cyberplat/2026-11-20/"
    rec = Reconciliation.objects.get(gateway=cyberplat)
    assert rec.status == "open" and rec.discrepancies.get().kind == "missing_ours"


def test_run_now_with_a_bad_day_is_a_form_error(senior_user, world):
    resp = _client(senior_user).post("/reconcile/run", {"gateway": "cyberplat", "day": "20.11.2026x"})
    assert resp.status_code == 400 and resp.context["run_form"].errors["day"]
    assert not Reconciliation.objects.exists()


def test_support_may_not_run_or_upload(support_user, cyberplat):
    c = _client(support_user)
    assert c.post("/reconcile/run", {"gateway": "cyberplat", "day": "2026-11-20"}).status_code == 403
    assert c.post("/reconcile/cyberplat/2026-11-20/run").status_code == 403
    assert c.post("/reconcile/cyberplat/2026-11-20/upload", {"file": _file(GOOD_CSV)}).status_code == 403


def test_run_needs_csrf(senior_user, cyberplat):
    c = Client(enforce_csrf_checks=True)
    c.force_login(senior_user)
    assert c.post("/reconcile/cyberplat/2026-11-20/run").status_code == 403
    assert not Reconciliation.objects.exists()


def _file(data, name="registry.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_uploaded_registry_is_stored_and_reconciled(senior_user, real_gateway, pay):
    pay("700000000000000001", gateway=real_gateway, credited="100.00")
    resp = _client(senior_user).post("/reconcile/realgw/2026-11-20/upload", {"file": _file(GOOD_CSV)})
    assert resp.status_code == 302
    upload = RegistryUpload.objects.get()
    assert upload.rows == 1 and upload.uploaded_by == senior_user and upload.filename == "registry.csv"
    rec = Reconciliation.objects.get(gateway=real_gateway)
    assert rec.status == "reconciled" and rec.source == "upload" and rec.upload == upload
    assert ReconciliationEvent.objects.filter(kind="uploaded", user=senior_user).exists()


def test_the_same_key_twice_in_an_uploaded_file_is_a_duplicate_on_their_side(senior_user, real_gateway, pay):
    pay("700000000000000001", gateway=real_gateway, credited="100.00")
    data = GOOD_CSV + b"700000000000000001,U1b,9161234567,100.00,paid,2026-11-20T12:05:00+03:00\r\n"
    _client(senior_user).post("/reconcile/realgw/2026-11-20/upload", {"file": _file(data)})
    d = Discrepancy.objects.get()
    assert (d.kind, d.key, d.detail["lines"]) == ("duplicate_theirs", "700000000000000001", [2, 3])


HEADER = b"key,upstream_id,account,amount,status,created_at\r\n"


@pytest.mark.parametrize("data, code, fragment", [
    (b"", "empty", ""),
    (b"key,account,amount,status,created_at\r\n", "registry_invalid", "upstream_id"),
    (HEADER + b"1,U,916,10,00,paid,2026-11-20T12:00:00+03:00\r\n", "registry_invalid", "'00'"),
    (HEADER + b"1,U,916,abc,paid,2026-11-20T12:00:00+03:00\r\n", "registry_invalid", "'abc'"),
    (HEADER + b"1,U,916,-5.00,paid,2026-11-20T12:00:00+03:00\r\n", "registry_invalid", "'-5.00'"),
    (HEADER + b"1,U,916,10.00,refunded,2026-11-20T12:00:00+03:00\r\n", "registry_invalid", "'refunded'"),
    (HEADER + b"1,U,916,10.00,paid,yesterday\r\n", "registry_invalid", "'yesterday'"),
    (HEADER + b"1,U,916,10.00,paid,2026-11-21T12:00:00+03:00\r\n", "registry_invalid", "2026-11-21T12:00:00"),
    (HEADER + b",U,916,10.00,paid,2026-11-20T12:00:00+03:00\r\n", "registry_invalid", "2"),
    (HEADER + b"1,U,916\r\n", "registry_invalid", "2"),
    (HEADER + b'1,U,916,10.00,paid,"2026-11-20\r\n', "registry_invalid", ""),
    ("ключ;сумма\r\n1;10,00\r\n".encode("cp1251"), "registry_invalid", ""),
    (b"\x00\x01\x02PK\x03\x04", "registry_invalid", ""),
], ids=["empty", "no-column", "extra-comma", "amount", "negative", "status", "time", "other-day", "no-key",
        "short-row", "open-quote", "cp1251", "binary"])
def test_a_malformed_registry_upload_is_a_form_error(senior_user, real_gateway, data, code, fragment):
    resp = _client(senior_user).post("/reconcile/realgw/2026-11-20/upload", {"file": _file(data)})
    assert resp.status_code == 400
    errors = resp.context["upload_form"].errors.as_data()["file"]
    assert {e.code for e in errors} == {code}
    assert fragment in " ".join(m for e in errors for m in e.messages)
    assert not RegistryUpload.objects.exists() and not Reconciliation.objects.exists()


def test_an_upload_without_a_file_is_a_form_error(senior_user, real_gateway):
    resp = _client(senior_user).post("/reconcile/realgw/2026-11-20/upload", {})
    assert resp.status_code == 400 and resp.context["upload_form"].errors["file"]


def test_the_day_page_shows_amounts_in_rubles(open_day, support_user):
    rec, _ = open_day
    page = _client(support_user).get(_day_url(rec))
    assert "150,00\u00a0₽" in page.content.decode()
    assert rec.discrepancies.get().their_amount == Decimal("150.00")


def test_the_pages_are_russian_first_and_english_on_request(open_day, senior_user):
    rec, _ = open_day
    c = _client(senior_user)
    ru = c.get(_day_url(rec)).content.decode()
    assert "Расхождения" in ru and "нет у нас" in ru and "Закрыть" in ru
    en = c.get(_day_url(rec), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Discrepancies" in en and "missing on our side" in en


def test_the_list_ignores_bad_filters_and_pages(open_day, support_user):
    c = _client(support_user)
    resp = c.get("/reconcile/?gateway=nosuch&status=zzz&page=abc")
    assert resp.status_code == 200 and b"2026-11-20" in resp.content
    filtered = c.get("/reconcile/?gateway=osmp")
    assert filtered.status_code == 200 and not filtered.context["page"].object_list


def test_a_dealer_cannot_run_or_upload(dealer_user, cyberplat):
    c = _client(dealer_user)
    assert c.post("/reconcile/run", {"gateway": "cyberplat", "day": "2026-11-20"}).status_code == 404
    assert c.post("/reconcile/cyberplat/2026-11-20/run").status_code == 404
    assert c.post("/reconcile/cyberplat/2026-11-20/upload", {"file": _file(GOOD_CSV)}).status_code == 404
    assert not Reconciliation.objects.exists()


def test_the_admin_lists_reconciliations_read_only_with_a_link_to_the_page(open_day, admin_user):
    rec, d = open_day
    c = _client(admin_user)
    page = c.get("/admin/reconcile/reconciliation/")
    assert page.status_code == 200 and _day_url(rec).encode() in page.content
    assert c.get("/admin/reconcile/discrepancy/").status_code == 200
    assert c.get("/admin/reconcile/reconciliationevent/").status_code == 200
    assert c.get("/admin/reconcile/registryupload/").status_code == 200
    assert c.get(f"/admin/reconcile/discrepancy/{d.pk}/delete/").status_code == 403
