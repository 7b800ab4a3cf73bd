"""Cheque lookup: every key on a cheque finds its payment; a miss and several hits behave as operators expect."""

import pytest

from tests.support.conftest import msk

pytestmark = pytest.mark.django_db


def _get(client, **params):
    return client.get("/support/cheque/", params)


def test_terminal_and_txn_redirect_to_the_payment_page(support_client, pay):
    p = pay("1001", "42", status="failed", reason="declined")
    resp = _get(support_client, terminal="1001", txn="42")
    assert resp.status_code == 302
    assert resp["Location"] == f"/support/payments/{p.pk}/"


def test_the_same_txn_at_another_terminal_is_not_a_hit(support_client, pay):
    pay("1002", "42")
    resp = _get(support_client, terminal="1001", txn="42")
    assert resp.status_code == 200
    assert "платёж не найден" in resp.content.decode()


def test_a_miss_answers_200_with_the_form_filled_in(support_client, pay):
    resp = _get(support_client, terminal="1001", txn="777")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="not-found"' in body and "платёж не найден" in body
    assert 'name="terminal" value="1001"' in body
    assert 'name="txn" value="777"' in body


def test_cheque_number_finds_the_payment(support_client, pay):
    p = pay("1003", "9001")
    resp = _get(support_client, cheque="1003-9001")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_our_attempt_id_finds_the_payment(support_client, pay):
    p = pay("1001", "51", attempts=[{"attempt_id": "700000000000000051", "upstream_id": "CP-88123"}])
    resp = _get(support_client, attempt="700000000000000051")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_the_gateways_transaction_id_finds_the_payment(support_client, pay):
    p = pay("1001", "52", attempts=[{"attempt_id": "700000000000000052", "upstream_id": "CP-88124"}])
    resp = _get(support_client, attempt="CP-88124")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


@pytest.mark.parametrize("typed", ["+7 916 123-45-67", "8 (916) 1234567", "9161234567", "79161234567"])
def test_a_phone_in_any_notation_finds_the_same_payment(support_client, pay, typed):
    p = pay("1001", "60", account="9161234567", at=msk(2026, 11, 20))
    resp = _get(support_client, account=typed, date_from="2026-11-19", date_to="2026-11-21")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_a_phone_stored_with_the_country_code_is_found_by_ten_digits(support_client, pay):
    p = pay("1001", "61", account="+79161112233", at=msk(2026, 11, 20))
    resp = _get(support_client, account="916 111 22 33")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_the_account_search_keeps_to_the_date_range(support_client, pay):
    pay("1001", "62", account="9161234567", at=msk(2026, 11, 10))
    resp = _get(support_client, account="9161234567", date_from="2026-11-19", date_to="2026-11-21")
    assert resp.status_code == 200 and 'id="not-found"' in resp.content.decode()


def test_amount_date_and_terminal_find_the_payment(support_client, pay):
    pay("1001", "70", amount="300.00", at=msk(2026, 11, 20, 10))
    p = pay("1001", "71", amount="500.00", at=msk(2026, 11, 20, 11))
    pay("1001", "72", amount="500.00", at=msk(2026, 11, 21, 11))
    resp = _get(support_client, terminal="1001", amount="500.00", date="2026-11-20")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_the_amount_may_be_typed_with_a_comma(support_client, pay):
    p = pay("1001", "73", amount="500.50", at=msk(2026, 11, 20, 11))
    resp = _get(support_client, terminal="1001", amount="500,50", date="2026-11-20")
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_several_hits_show_a_list_of_them(support_client, pay):
    a = pay("1001", "80", account="9169990000", at=msk(2026, 11, 20, 10))
    b = pay("1002", "81", account="9169990000", at=msk(2026, 11, 20, 11))
    resp = _get(support_client, account="9169990000")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="several"' in body
    assert f'href="/support/payments/{a.pk}/"' in body and f'href="/support/payments/{b.pk}/"' in body


@pytest.mark.parametrize("typed", ["1001/90", "1001 90", "1001-90"])
def test_the_search_box_reads_terminal_and_txn(support_client, pay, typed):
    p = pay("1001", "90")
    resp = support_client.get("/support/cheque/", {"q": typed})
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


@pytest.mark.parametrize("typed", ["+7 916 555-44-33", "700000000000000091", "CP-91"])
def test_the_search_box_reads_a_phone_and_attempt_ids(support_client, pay, typed):
    p = pay("1001", "91", account="9165554433",
            attempts=[{"attempt_id": "700000000000000091", "upstream_id": "CP-91"}])
    resp = support_client.get("/support/cheque/", {"q": typed})
    assert resp.status_code == 302 and resp["Location"] == f"/support/payments/{p.pk}/"


def test_the_lookup_page_shows_the_search_box_and_the_cheque_form(support_client):
    body = support_client.get("/support/").content.decode()
    assert 'id="search"' in body and 'id="cheque-form"' in body


# --- bad input: a form error, never a 500 ---------------------------------------------


def test_letters_in_the_terminal_number_are_a_form_error(support_client):
    resp = _get(support_client, terminal="10a1", txn="42")
    assert resp.status_code == 400
    assert "Только цифры" in resp.content.decode()


def test_an_impossible_date_is_a_form_error(support_client):
    resp = _get(support_client, account="9161234567", date_from="2026-13-40")
    assert resp.status_code == 400
    assert "Укажите настоящую дату" in resp.content.decode()


def test_an_amount_that_is_not_a_number_is_a_form_error(support_client):
    resp = _get(support_client, terminal="1001", amount="пятьсот", date="2026-11-20")
    assert resp.status_code == 400
    assert "Укажите сумму как в чеке" in resp.content.decode()


def test_a_txn_without_the_terminal_asks_for_the_terminal(support_client):
    resp = _get(support_client, txn="42")
    assert resp.status_code == 400
    assert "Укажите номер терминала" in resp.content.decode()


def test_an_empty_search_is_a_form_error(support_client):
    assert _get(support_client).status_code == 400
    assert support_client.get("/support/cheque/", {"q": "  "}).status_code == 400


def test_a_reversed_period_is_a_form_error(support_client):
    resp = _get(support_client, account="9161234567", date_from="2026-11-21", date_to="2026-11-19")
    assert resp.status_code == 400


def test_an_overlong_value_is_a_form_error(support_client):
    assert _get(support_client, terminal="1" * 50, txn="1").status_code == 400
    assert support_client.get("/support/cheque/", {"q": "x" * 500}).status_code == 400
