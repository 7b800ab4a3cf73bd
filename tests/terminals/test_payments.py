import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dealers.models import Dealer, LedgerEntry
from payments.models import Event, Payment
from providers.models import BlacklistedAccount, Provider
from terminals.models import Terminal

from .conftest import payment

pytestmark = pytest.mark.django_db


def code_of(response):
    return response.json()["error"]["code"]


def fields_of(response):
    return response.json()["error"]["fields"]


def test_a_payment_is_recorded_with_201_and_its_cheque(kiosk, demo):
    response = kiosk.post_payment(payment(txn="42"))
    assert response.status_code == 201
    body = response.json()
    p = Payment.objects.get(terminal__number="1001", txn="42")
    assert body["id"] == p.pk
    assert body["txn"] == "42"
    assert body["status"] == "accepted"
    assert (body["amount"], body["fee"], body["credited"]) == ("100.00", "0.00", "100.00")
    assert "reason" not in body
    assert body["cheque"] == {
        "number": "1001-42", "terminal": "1001", "txn": "42", "provider": "МТС", "account": "9161234567",
        "amount": "100.00", "fee": "0.00", "credited": "100.00", "paid_at": "2026-11-01T12:00:00+03:00",
        "dealer": "Demo", "support_phone": "8 800 000-00-01",
    }
    assert p.amount == Decimal("100.00")
    assert p.dealer == demo


def test_the_same_payment_again_is_200_with_the_same_body(kiosk):
    first = kiosk.post_payment(payment(txn="42"))
    again = kiosk.post_payment(payment(txn="42"))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Payment.objects.filter(txn="42").count() == 1
    assert Event.objects.filter(payment__txn="42").count() == 1
    assert LedgerEntry.objects.filter(payment__txn="42").count() == 1


def test_the_same_moment_in_another_offset_is_the_same_content(kiosk):
    kiosk.post_payment(payment(txn="42", paid_at="2026-11-01T12:00:00+03:00"))
    assert kiosk.post_payment(payment(txn="42", paid_at="2026-11-01T09:00:00+00:00")).status_code == 200


def test_the_same_txn_with_other_content_is_409(kiosk):
    kiosk.post_payment(payment(txn="42"))
    response = kiosk.post_payment(payment(txn="42", amount="200.00"))
    assert response.status_code == 409
    assert code_of(response) == "txn_conflict"
    assert Payment.objects.get(txn="42").amount == Decimal("100.00")


def test_the_same_txn_on_another_terminal_is_another_payment(kiosk, make_client, world):
    other = make_client(Terminal.objects.get(number="1002"))
    assert kiosk.post_payment(payment(txn="42")).status_code == 201
    assert other.post_payment(payment(txn="42", amount="5.00")).status_code == 201


def test_status_is_read_back_by_txn(kiosk):
    posted = kiosk.post_payment(payment(txn="42")).json()
    response = kiosk.get_payment("42")
    assert response.status_code == 200
    assert response.json() == posted


def test_status_shows_the_current_state(kiosk):
    kiosk.post_payment(payment(txn="42"))
    Payment.objects.filter(txn="42").update(status="succeeded")
    assert kiosk.get_payment("42").json()["status"] == "succeeded"
    assert kiosk.post_payment(payment(txn="42")).json()["status"] == "succeeded"


def test_another_terminals_payment_is_not_found(kiosk, make_client, world):
    other = make_client(Terminal.objects.get(number="1002"))
    other.post_payment(payment(txn="77"))
    response = kiosk.get_payment("77")
    assert response.status_code == 404
    assert code_of(response) == "not_found"


@pytest.mark.parametrize("txn", ["999", "abc", "1" * 21])
def test_an_unknown_or_malformed_txn_is_not_found(kiosk, txn):
    response = kiosk.get_payment(txn)
    assert response.status_code == 404
    assert code_of(response) == "not_found"


# -- well-formed but not payable now: recorded, 201, with a reason ---------------------------

def test_an_unknown_provider_is_recorded_as_failed_and_kept_as_sent(kiosk):
    response = kiosk.post_payment(payment(txn="1", provider="no-such-operator"))
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["reason"]) == ("failed", "unknown_provider")
    assert body["cheque"]["provider"] == "no-such-operator"
    p = Payment.objects.get(txn="1")
    assert p.provider is None
    assert p.provider_code == "no-such-operator"


def test_an_account_in_the_wrong_format_is_recorded_as_failed(kiosk):
    body = kiosk.post_payment(payment(txn="1", account="12345")).json()
    assert (body["status"], body["reason"]) == ("failed", "account_format")


def test_an_amount_over_the_limit_is_recorded_as_failed(kiosk):
    body = kiosk.post_payment(payment(txn="1", amount="15000.01")).json()
    assert (body["status"], body["reason"]) == ("failed", "amount_out_of_limits")


def test_a_blacklisted_account_is_recorded_as_failed(kiosk):
    BlacklistedAccount.objects.create(account="9160000000", reason="fraud")
    body = kiosk.post_payment(payment(txn="1", account="9160000000")).json()
    assert (body["status"], body["reason"]) == ("failed", "blacklisted_account")


def test_a_dealer_without_balance_gets_the_payment_held(kiosk, demo):
    Dealer.objects.filter(pk=demo.pk).update(balance=Decimal("50.00"))
    response = kiosk.post_payment(payment(txn="1"))
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["reason"]) == ("held", "insufficient_balance")


def test_a_disabled_provider_gets_the_payment_held(kiosk):
    Provider.objects.filter(code="mts").update(is_active=False)
    body = kiosk.post_payment(payment(txn="1")).json()
    assert (body["status"], body["reason"]) == ("held", "provider_disabled")


def test_a_blocked_terminals_payment_is_recorded_as_held(kiosk, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    response = kiosk.post_payment(payment(txn="1"))
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["reason"]) == ("held", "terminal_blocked")


def test_a_blocked_terminals_batch_is_recorded_as_held(kiosk, terminal):
    Terminal.objects.filter(pk=terminal.pk).update(status=Terminal.Status.BLOCKED)
    response = kiosk.post_batch([payment(txn="1")])
    assert response.status_code == 200
    assert response.json()["results"][0]["body"]["reason"] == "terminal_blocked"


def test_a_paid_at_far_in_the_future_is_recorded_and_flagged_clock_skew(kiosk):
    future = (timezone.now() + timedelta(minutes=10)).isoformat()
    response = kiosk.post_payment(payment(txn="1", paid_at=future))
    assert response.status_code == 201
    assert response.json()["flags"] == ["clock_skew"]
    assert Payment.objects.get(txn="1").flags == ["clock_skew"]


def test_an_old_paid_at_is_fine_for_offline_uploads(kiosk):
    old = (timezone.now() - timedelta(days=3)).isoformat()
    body = kiosk.post_payment(payment(txn="1", paid_at=old)).json()
    assert body["status"] == "accepted"
    assert "flags" not in body


def test_printed_fee_and_credited_are_honoured_and_a_difference_is_flagged(kiosk):
    # mosenergosbyt's rule: 1 %, at least 10.00 -> the server would take 10.00 on 500.00.
    response = kiosk.post_payment(payment(txn="1", provider="mosenergosbyt", account="7712345678",
                                          amount="500.00", fee="5.00", credited="495.00"))
    assert response.status_code == 201
    body = response.json()
    assert (body["fee"], body["credited"]) == ("5.00", "495.00")
    assert (body["cheque"]["fee"], body["cheque"]["credited"]) == ("5.00", "495.00")
    assert body["flags"] == ["fee_mismatch"]


def test_printed_fee_matching_the_rules_raises_no_flag(kiosk):
    body = kiosk.post_payment(payment(txn="1", provider="mosenergosbyt", account="7712345678",
                                      amount="500.00", fee="10.00", credited="490.00")).json()
    assert (body["fee"], body["credited"]) == ("10.00", "490.00")
    assert "flags" not in body


def test_without_printed_values_the_server_rules_apply(kiosk):
    body = kiosk.post_payment(payment(txn="1", provider="mosenergosbyt", account="7712345678",
                                      amount="2000.00")).json()
    assert (body["fee"], body["credited"]) == ("20.00", "1980.00")


# -- malformed: 400 invalid with fields ------------------------------------------------------

@pytest.mark.parametrize("change, field", [
    ({"txn": ""}, "txn"),
    ({"txn": "12a"}, "txn"),
    ({"txn": "1" * 21}, "txn"),
    ({"txn": 42}, "txn"),
    ({"txn": "42\n"}, "txn"),
    ({"provider": ""}, "provider"),
    ({"provider": None}, "provider"),
    ({"provider": "x" * 65}, "provider"),
    ({"account": 9161234567}, "account"),
    ({"account": "916\x00"}, "account"),
    ({"account": "\ud800"}, "account"),
    ({"amount": "0"}, "amount"),
    ({"amount": "0.00"}, "amount"),
    ({"amount": "-1.00"}, "amount"),
    ({"amount": "1.001"}, "amount"),
    ({"amount": "1e3"}, "amount"),
    ({"amount": "1,00"}, "amount"),
    ({"amount": " 100"}, "amount"),
    ({"amount": "100.00\n"}, "amount"),
    ({"amount": "1234567890123"}, "amount"),
    ({"amount": 100}, "amount"),
    ({"amount": 100.5}, "amount"),
    ({"amount": "NaN"}, "amount"),
    ({"amount": "１００"}, "amount"),
    ({"paid_at": "2026-11-28T12:00:00"}, "paid_at"),
    ({"paid_at": "yesterday"}, "paid_at"),
    ({"paid_at": "0001-01-01T00:00:00+05:00"}, "paid_at"),
    ({"paid_at": 1795856400}, "paid_at"),
    ({"fields": []}, "fields"),
    ({"fields": {"a": 1}}, "fields"),
    ({"fields": {"a": {"b": "c"}}}, "fields"),
    ({"fields": {str(i): "v" for i in range(33)}}, "fields"),
    ({"fee": "1.00"}, "credited"),
    ({"fee": "1.00", "credited": "98.00"}, "credited"),
    ({"fee": "x", "credited": "99.00"}, "fee"),
])
def test_a_malformed_payment_is_400_invalid_naming_the_field(kiosk, change, field):
    # ASCII-escaped JSON: a lone surrogate can only travel as a \\u escape.
    response = kiosk.request("POST", "/payments", json.dumps({**payment(txn="5"), **change}).encode())
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert field in fields_of(response)
    assert not Payment.objects.exists()


@pytest.mark.parametrize("missing", ["txn", "provider", "account", "amount", "paid_at"])
def test_a_missing_field_is_400_invalid(kiosk, missing):
    doc = payment(txn="5")
    del doc[missing]
    response = kiosk.post_payment(doc)
    assert response.status_code == 400
    assert missing in fields_of(response)


def test_every_bad_field_is_named_at_once(kiosk):
    response = kiosk.post_payment({"txn": "x", "amount": "0"})
    assert set(fields_of(response)) >= {"txn", "provider", "account", "amount", "paid_at"}


@pytest.mark.parametrize("body", [
    b"", b"not json", b"[1, 2]", b'"a string"', b"null", b"\xff\xfe{}", b'{"txn": NaN}',
    b'{"amount": 1e999999}', b"[" * 100000, b'{"txn": ' + b"9" * 5000 + b"}",
])
def test_a_body_that_is_not_a_json_object_is_400_invalid(kiosk, body):
    response = kiosk.request("POST", "/payments", body)
    assert response.status_code == 400
    assert code_of(response) == "invalid"


def test_a_body_that_is_not_json_by_content_type_is_415_unsupported_media_type(kiosk):
    body = kiosk.encode(payment(txn="5"))
    response = kiosk.request("POST", "/payments", body, content_type="text/plain")
    assert response.status_code == 415
    assert code_of(response) == "unsupported_media_type"
    assert "content_type" in fields_of(response)
    assert not Payment.objects.exists()


def test_a_body_over_the_size_limit_is_413(kiosk, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = kiosk.request("POST", "/payments", b'{"x": "' + b"a" * 2000 + b'"}')
    assert response.status_code == 413
    assert code_of(response) == "too_large"


def test_extra_keys_are_ignored(kiosk):
    assert kiosk.post_payment(payment(txn="5", comment="hi")).status_code == 201


# -- batches ---------------------------------------------------------------------------------

def test_a_batch_of_500_with_bad_items_answers_500_results_in_order(kiosk):
    items = []
    for i in range(1, 501):
        item = payment(txn=str(i))
        if i % 50 == 0:
            item["amount"] = "-1"  # malformed
        elif i % 50 == 1:
            item["provider"] = "unknown-op"  # recorded, failed
        items.append(item)
    items[98] = "not an object"
    items[198] = payment(txn="3", amount="7.00")  # the same txn as item 3, other content
    items[298] = payment(txn="4")  # the same as item 4: answered as the same payment
    response = kiosk.post_batch(items)
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 500
    assert [r["txn"] for r in results[:5]] == ["1", "2", "3", "4", "5"]
    assert results[0]["http_status"] == 201
    assert results[0]["body"]["reason"] == "unknown_provider"
    assert results[1]["http_status"] == 201
    assert results[1]["body"]["status"] == "accepted"
    assert results[49]["http_status"] == 400
    assert results[49]["body"]["error"]["code"] == "invalid"
    assert results[98] == {"txn": None, "http_status": 400, "body": results[98]["body"]}
    assert results[198]["http_status"] == 409
    assert results[198]["body"]["error"]["code"] == "txn_conflict"
    assert results[298]["http_status"] == 200
    assert results[298]["body"]["id"] == results[3]["body"]["id"]
    assert results[499]["http_status"] == 400
    assert Payment.objects.filter(terminal__number="1001").count() == 500 - 10 - 3  # ten malformed, three replaced


def test_a_batch_answers_each_item_as_if_posted_alone(kiosk):
    alone = kiosk.post_payment(payment(txn="1"))
    batch = kiosk.post_batch([payment(txn="1"), payment(txn="2")]).json()["results"]
    assert batch[0] == {"txn": "1", "http_status": 200, "body": alone.json()}
    assert batch[1]["http_status"] == 201
    assert kiosk.get_payment("2").json() == batch[1]["body"]


@pytest.mark.parametrize("doc", [{"payments": [{}] * 501}, {"payments": {}}, {"payments": "x"}, {}])
def test_a_batch_that_is_not_a_list_of_at_most_500_is_400(kiosk, doc):
    response = kiosk.call("POST", "/payments/batch", doc)
    assert response.status_code == 400
    assert code_of(response) == "invalid"
    assert "payments" in fields_of(response)


def test_an_empty_batch_is_fine(kiosk):
    assert kiosk.post_batch([]).json() == {"results": []}


# -- speed -----------------------------------------------------------------------------------

def test_a_payment_post_costs_few_queries(kiosk, django_assert_max_num_queries):
    kiosk.post_payment(payment(txn="1"))
    with django_assert_max_num_queries(16):
        assert kiosk.post_payment(payment(txn="2")).status_code == 201
    # 14: with KIT_CATALOGUE_TTL=0 (tests) every request reloads the catalogue snapshot, which reads
    # the providers' extra account fields too; with the production TTL acceptance reads none of it.
    with django_assert_max_num_queries(14):
        assert kiosk.post_payment(payment(txn="2")).status_code == 200
    with django_assert_max_num_queries(5):
        assert kiosk.get_payment("2").status_code == 200


def test_a_foreign_dealers_terminal_cannot_read_our_payment(kiosk, make_client, foreign):
    kiosk.post_payment(payment(txn="55"))
    stranger = make_client(Terminal.objects.get(number="9001"))
    response = stranger.get_payment("55")
    assert response.status_code == 404
    assert code_of(response) == "not_found"


def test_an_unexpected_failure_is_a_json_500_internal(kiosk, monkeypatch):
    import terminals.api.views as views

    def boom(**kw):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views, "payment_accept", boom)
    response = kiosk.post_payment(payment(txn="1"))
    assert response.status_code == 500
    assert code_of(response) == "internal"
    assert "database" not in response.text
