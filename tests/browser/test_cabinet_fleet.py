"""The cabinet's remote commands and encashments in a browser: a dealer queues a restart, the kiosk's
heartbeat (simulated over HTTP) takes and acknowledges it, the dealer sees it done; then the dealer
opens an encashment's page. Screenshots at desktop and phone size."""

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.browser.conftest import login, shot

ENCASHMENT_ID = "5a8f0c2e-1b3d-4e6f-8a9b-0c1d2e3f4a5b"


def _kiosk(live_server):
    from kiosk.client import KioskClient
    from terminals.models import Terminal
    from terminals.services import enrollment_code_issue

    _, code = enrollment_code_issue(terminal=Terminal.objects.get(number="1001"))
    client = KioskClient(live_server.url, "1001")
    assert client.enroll(code, Ed25519PrivateKey.generate()).status_code == 200
    return client


def test_a_dealer_commands_a_restart_and_reads_an_encashment(page, phone_page, live_server):
    kiosk = _kiosk(live_server)
    login(page, "dealer")
    page.goto("/cabinet/terminals/")
    page.click("text=1001")
    page.click("#terminal-commands")
    page.select_option("#id_kind", "restart")
    page.click("#queue-command")
    page.wait_for_load_state()
    row = page.locator("#commands tbody tr[data-id]").first
    assert row.locator("td.state").inner_text() == "в очереди"
    shot(page, "cabinet-commands-queued")

    reply = kiosk.heartbeat({}).json()
    assert [c["kind"] for c in reply["commands"]] == ["restart"]
    command_id = reply["commands"][0]["id"]
    page.click("#refresh")
    assert page.locator(f'#commands tr[data-id="{command_id}"] td.state').inner_text() == "доставлена"
    again = kiosk.heartbeat({"acks": [{"id": command_id, "ok": True, "message": "restarted, queue kept"}]}).json()
    assert again["commands"] == []
    page.click("#refresh")
    assert page.locator(f'#commands tr[data-id="{command_id}"] td.state').inner_text() == "выполнена"
    assert "restarted, queue kept" in page.locator(f'#commands tr[data-id="{command_id}"]').inner_text()
    shot(page, "cabinet-commands-done")

    for txn, amount in (("1", "1000.00"), ("2", "1200.00")):
        assert kiosk.post_payment({"txn": txn, "provider": "mts", "account": "9161234567", "amount": amount,
                                   "paid_at": "2026-11-28T12:00:00+03:00"}).status_code == 201
    posted = kiosk.post_encashment({"id": ENCASHMENT_ID, "opened_at": "2026-11-28T18:00:00+03:00",
                                    "closed_at": "2026-11-28T18:04:00+03:00", "notes": {"100": 12, "500": 4},
                                    "total": "3200.00", "txns": ["1", "2", "3"]})
    assert posted.status_code == 201, posted.text
    page.click("nav >> text=Инкассации")
    page.wait_for_load_state()
    page.click("#encashments tbody tr[data-id] a")
    page.wait_for_load_state()
    assert page.locator("#notes-total").inner_text().replace("\u00a0", " ") == "3 200,00 ₽"
    assert page.locator("#pending").inner_text().strip() == "3"
    assert page.locator("#linked tbody tr").count() == 2
    page.fill("#id_counted", "3150.00")
    page.click("#counted-form button[type=submit]")
    page.wait_for_load_state()
    assert "-50,00" in page.locator("#counted-difference").inner_text().replace("\u00a0", " ")
    shot(page, "cabinet-encashment")

    login(phone_page, "dealer")
    phone_page.goto(page.url)
    shot(phone_page, "cabinet-encashment-phone")
    phone_page.goto("/cabinet/commands/")
    shot(phone_page, "cabinet-commands-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    kiosk.close()


def test_a_dealer_asks_for_the_kiosks_log_and_downloads_it(page, phone_page, live_server):
    from kiosk.logs import bundle

    kiosk = _kiosk(live_server)
    login(page, "dealer")
    page.goto("/cabinet/terminals/")
    page.click("text=1001")
    page.click("#terminal-commands")
    page.select_option("#id_kind", "collect_logs")
    page.click("#queue-command")
    page.wait_for_load_state()

    # The kiosk (its client, as kiosk/logs.py sends): the command in a heartbeat, the log, the ack.
    [command] = kiosk.heartbeat({}).json()["commands"]
    assert (command["kind"], command["args"]) == ("collect_logs", {"max_bytes": 4 * 1024 * 1024})
    text = "".join(f"2026-11-28 12:{n // 60:02}:{n % 60:02},000 INFO kiosk.flow: строка журнала {n}\n"
                   for n in range(400))
    doc = bundle(text, truncated=False, command=command["id"])
    assert kiosk.post_logs(doc).status_code == 201
    message = f"sent {len(doc['log']) * 3 // 4 // 1024 + 1} KB ({len(text.encode()) // 1024 + 1} KB of log)"
    kiosk.heartbeat({"acks": [{"id": command["id"], "ok": True, "message": message}]})
    page.click("#refresh")
    row = page.locator(f'#commands tr[data-id="{command["id"]}"]')
    assert row.locator("td.state").inner_text() == "выполнена"
    assert message in row.inner_text()
    with page.expect_download() as download:
        row.locator("a.log-link").click()
    assert download.value.suggested_filename.startswith("kiosk-1001-")
    assert open(download.value.path(), encoding="utf-8").read() == text
    shot(page, "cabinet-commands-log")

    page.click("text=← Терминал 1001")
    page.wait_for_load_state()
    logs = page.locator("#terminal-logs")
    logs.scroll_into_view_if_needed()
    assert "400" in logs.inner_text()
    shot(page, "cabinet-terminal-logs")

    login(phone_page, "dealer")
    phone_page.goto(page.url)
    phone_page.locator("#terminal-logs").scroll_into_view_if_needed()
    shot(phone_page, "cabinet-terminal-logs-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    kiosk.close()
