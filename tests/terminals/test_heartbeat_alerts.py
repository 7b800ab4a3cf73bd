"""A heartbeat through the signed API runs the alert rules on its content."""

from alerts.models import Alert


def test_a_heartbeat_reporting_a_jam_opens_one_alert_and_a_good_one_closes_it(kiosk, terminal):
    jam = {"devices": {"bill_validator": {"state": "jammed", "error": "bill jam"}, "printer": {"paper": "ok"}}}
    assert kiosk.heartbeat(jam).status_code == 200
    assert kiosk.heartbeat(jam).status_code == 200
    assert list(Alert.objects.filter(terminal=terminal).values_list("code", "detail")) == [
        ("validator_failure", {"state": "jammed", "error": "bill jam"})]
    assert Alert.objects.get().closed_at is None

    ok = {"devices": {"bill_validator": {"state": "ok", "error": ""}, "printer": {"paper": "ok"}}}
    assert kiosk.heartbeat(ok).status_code == 200
    assert Alert.objects.get().closed_at is not None


def test_a_heartbeat_with_the_kiosk_issues_new_fields_is_read_by_the_rules(kiosk, terminal):
    doc = {"cash": {"notes": 980, "amount": "98000.00", "by_denomination": {"100": 980}, "cassette_capacity": 1000},
           "queue": {"count": 2, "oldest_at": "2020-01-01T00:00:00+03:00"},
           "rejected": [{"txn": "17", "http_status": 409, "code": "txn_conflict"}]}
    assert kiosk.heartbeat(doc).status_code == 200
    assert sorted(Alert.objects.filter(terminal=terminal).values_list("code", flat=True)) == [
        "cassette_near_full", "payments_rejected", "queue_stale"]
