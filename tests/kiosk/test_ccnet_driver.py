"""The CCNET driver against the simulator over real pyserial ports (kitsim://, a pty, socket://)."""

import logging
import time
from decimal import Decimal

import pytest

from kiosk.devices import sim
from kiosk.devices import validator as ev
from kiosk.devices.ccnet import CcnetValidator
from kiosk.devices.ccnet_frames import RejectCode, State, command, frame
from kiosk.devices.sim.ccnet import CcnetSimulator

H = bytes.fromhex


@pytest.fixture
def device():
    sim.forget()
    yield sim.device("ccnet", "test")
    sim.forget()


@pytest.fixture
def bv(device):
    v = CcnetValidator("kitsim://ccnet/test", response_timeout=0.1, retries=2, sleep=lambda s: None)
    yield v
    v.close()


class Recorder:
    """The caller: keeps every event, credits on NoteStacked, decides escrow by a maximum."""

    def __init__(self, decision=ev.Decision.STACK, maximum=None):
        self.events = []
        self.credited = []
        self.decision = decision
        self.maximum = maximum

    def __call__(self, event):
        self.events.append(event)
        if isinstance(event, ev.NoteStacked):
            self.credited.append(event.note.value)
        if isinstance(event, ev.NoteEscrowed):
            if self.maximum is not None and sum(self.credited) + event.note.value > self.maximum:
                return ev.Decision.RETURN
            return self.decision
        return None

    def names(self):
        return [e.name for e in self.events]


def polls(v, handler, n=8):
    return [v.poll(handler) for _ in range(n)]


def started(v):
    v.start()
    v.enable([10, 50, 100, 500, 1000, 5000])
    return v


def test_start_resets_the_unit_and_reads_identification_and_the_bill_table_from_it(device, bv):
    rec = Recorder()
    info = bv.start(rec)
    assert rec.names() == ["PowerUp", "Initializing", "Disabled"]
    assert info.identification.part_number == "SM-RU1353"
    assert {t: n.value for t, n in info.bill_table.items()} == {
        2: 10, 3: 50, 4: 100, 5: 500, 6: 1000, 7: 5000, 12: 200, 13: 2000}
    assert device.commands[:3] == [0x33, 0x00, 0x30]  # POLL, ACK, RESET


def test_the_note_positions_come_from_the_device_not_from_the_code():
    sim.forget()
    sim.install("ccnet", "eur", CcnetSimulator(table={0: 5, 1: 10, 2: 20}, currency="EUR"))
    v = CcnetValidator("kitsim://ccnet/eur", response_timeout=0.1, currency="EUR", sleep=lambda s: None)
    info = v.start()
    assert {t: (n.value, n.currency) for t, n in info.bill_table.items()} == {
        0: (5, "EUR"), 1: (10, "EUR"), 2: (20, "EUR")}
    assert v.enable([10]) == {1}
    sim.forget()


def test_enable_takes_only_notes_of_the_kiosks_currency():
    sim.forget()
    sim.install("ccnet", "mix", CcnetSimulator(table={2: 100, 3: 50}))
    v = CcnetValidator("kitsim://ccnet/mix", response_timeout=0.1, currency="EUR", sleep=lambda s: None)
    v.start()
    assert v.enable() == set()
    sim.forget()


def test_a_full_note_cycle_is_escrow_then_stack_then_one_credit(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 10)
    assert rec.names() == ["Idling", "Accepting", "NoteEscrowed", "Stacking", "NoteStacked", "Idling"]
    assert rec.credited == [Decimal(100)]
    assert device.counts()["stacked"] == 1 and device.counts()["by_value"] == {"100": 1}


def test_escrow_alone_never_credits(device, bv):
    started(bv)
    device.insert(500)
    rec = Recorder(decision=None)
    polls(bv, rec, 6)
    assert "NoteEscrowed" in rec.names() and rec.credited == []
    assert device.counts()["stacked"] == 0


def test_a_note_above_the_maximum_is_returned_from_escrow(device, bv):
    started(bv)
    device.insert(500)
    device.insert(1000)
    rec = Recorder(maximum=Decimal(1000))
    polls(bv, rec, 16)
    assert rec.credited == [Decimal(500)]
    assert [e.name for e in rec.events if e.name.startswith("Note")] == [
        "NoteEscrowed", "NoteStacked", "NoteEscrowed", "NoteReturned"]
    assert device.counts()["returned"] == 1 and device.counts()["stacked"] == 1


def test_a_return_from_escrow_gives_the_note_back_without_credit(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder(decision=ev.Decision.RETURN)
    polls(bv, rec, 8)
    assert rec.names() == ["Idling", "Accepting", "NoteEscrowed", "Returning", "NoteReturned", "Idling"]
    assert rec.credited == []
    assert device.counts()["returned"] == 1 and device.counts()["stacked"] == 0


def test_hold_keeps_the_note_in_escrow_until_stacked(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder(decision=ev.Decision.HOLD)
    polls(bv, rec, 5)
    assert rec.names()[-1] == "Holding"
    bv.stack()
    rec.decision = ev.Decision.STACK
    polls(bv, rec, 3)
    assert rec.credited == [Decimal(100)]


@pytest.mark.parametrize("code", list(RejectCode))
def test_each_reject_code_reaches_the_caller_by_name_with_no_credit(device, bv, code):
    started(bv)
    device.insert(100, reject=code)
    rec = Recorder()
    polls(bv, rec, 6)
    rejected = [e for e in rec.events if isinstance(e, ev.NoteRejected)]
    assert [(e.code, e.reason) for e in rejected] == [(code, code.name.lower())]
    assert rec.credited == [] and device.counts()["stacked"] == 0 and device.counts()["rejected"] == 1


def test_a_note_of_a_denomination_not_enabled_is_rejected_as_inhibited(device, bv):
    bv.start()
    bv.enable([100])
    device.insert(5000)
    rec = Recorder()
    polls(bv, rec, 6)
    assert [e.reason for e in rec.events if isinstance(e, ev.NoteRejected)] == ["inhibit"]
    assert rec.credited == []


def test_a_jam_mid_acceptance_is_out_of_service_and_never_a_credit(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder(decision=None)
    polls(bv, rec, 3)  # note in escrow
    device.jam()
    polls(bv, rec, 3)
    assert rec.events[-1] == ev.Jammed(where="validator") and rec.events[-1].out_of_service
    with pytest.raises(ev.IllegalCommand):
        bv.stack()
    assert rec.credited == [] and device.counts()["stacked"] == 0


def test_a_cassette_removed_mid_acceptance_is_reported_and_the_note_not_credited(device, bv):
    started(bv)
    device.insert(1000)
    rec = Recorder(decision=None)
    polls(bv, rec, 3)
    device.remove_cassette()
    polls(bv, rec, 3)
    assert isinstance(rec.events[-1], ev.CassetteRemoved)
    assert rec.credited == [] and device.counts()["stacked"] == 0 and device.counts()["returned"] == 1
    device.insert_cassette()
    polls(bv, rec, 4)
    assert rec.names()[-2:] == ["Initializing", "Idling"] or rec.names()[-1] in ("Disabled", "Idling")


def test_a_full_cassette_stops_acceptance(device, bv):
    started(bv)
    device.fill_cassette()
    rec = Recorder()
    polls(bv, rec, 2)
    assert rec.names() == ["CassetteFull"]


def test_power_lost_with_a_bill_in_the_stacker_is_an_incident_and_no_credit(device, bv, caplog):
    started(bv)
    device.insert(500)
    rec = Recorder()
    bv.poll(rec), bv.poll(rec), bv.poll(rec)  # idling, accepting, escrow -> STACK sent
    assert rec.names()[-1] == "NoteEscrowed"
    device.power_cut()
    with caplog.at_level(logging.ERROR, logger="kiosk.devices.ccnet"):
        polls(bv, rec, 4)
    power = [e for e in rec.events if isinstance(e, ev.PowerUp)]
    assert power == [ev.PowerUp(bill_in_stacker=True)] and power[0].incident
    assert "money in limbo" in caplog.text and "02 03 06 12" in caplog.text
    assert rec.credited == []
    assert device.counts()["limbo"] == 1 and device.counts()["stacked"] == 1  # it is in the cassette
    assert rec.names()[-1] == "Disabled"  # the driver reset the unit; the caller re-enables it


def test_power_lost_with_a_bill_in_the_validator_is_reported_and_the_note_given_back(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder(decision=None)
    polls(bv, rec, 3)
    device.power_cut()
    polls(bv, rec, 3)
    assert ev.PowerUp(bill_in_validator=True) in rec.events
    assert rec.credited == [] and device.counts()["returned"] == 1


def test_a_spoilt_reply_is_refused_with_nak_and_read_again(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 4)  # up to stacking
    device.corrupt(replies=1)
    polls(bv, rec, 2)
    assert rec.credited == [Decimal(100)]
    wire = [b for d, b in bv.wire if d == ">"]
    assert command(0xFF) in wire  # the NAK
    assert device.counts()["stacked"] == 1


def test_a_command_spoilt_on_the_way_is_nakked_by_the_device_and_sent_again(device, bv):
    started(bv)
    device.corrupt(commands=1)
    bv.poll()
    assert device.bad_frames == 1
    assert [b for d, b in bv.wire if d == "<"][-1] == frame(b"\x14")


def test_a_reply_that_stays_bad_ends_in_an_error_with_its_bytes_and_no_credit(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 4)
    device.corrupt(replies=50)
    with pytest.raises(ev.ValidatorError) as info:
        bv.poll(rec)
    assert "bad CRC" in str(info.value) and info.value.raw[:3] == H("02 03 07")
    assert rec.credited == []
    device.corrupt_out = 0
    polls(bv, rec, 2)  # the line recovers: the note is credited once, not lost
    assert rec.credited == [Decimal(100)]


def test_a_handler_that_fails_leaves_the_reply_unacked_and_the_note_comes_again_once(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 4)
    calls = []

    def failing(event):
        calls.append(event)
        raise OSError("disk full")

    with pytest.raises(OSError):
        bv.poll(failing)
    assert isinstance(calls[0], ev.NoteStacked)
    polls(bv, rec, 3)
    assert rec.credited == [Decimal(100)]
    assert device.repeats == 1 and device.counts()["stacked"] == 1


def test_a_lost_ack_makes_the_device_repeat_and_the_driver_does_not_credit_twice(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 4)
    device.lose_acks(1)  # the ACK after "bill stacked" never arrives
    polls(bv, rec, 4)
    assert device.repeats == 1
    assert rec.credited == [Decimal(100)]


def test_acked_runs_after_the_ack_of_a_new_event(device, bv):
    started(bv)
    device.insert(100)
    order = []
    for _ in range(6):
        bv.poll(lambda e: order.append(("handler", e.name)) or (
            ev.Decision.STACK if isinstance(e, ev.NoteEscrowed) else None),
            acked=lambda e: order.append(("acked", e.name)))
    i = order.index(("handler", "NoteStacked"))
    assert order[i + 1] == ("acked", "NoteStacked")


def test_a_restarted_driver_gets_the_stacked_note_that_was_never_acked(device, bv):
    started(bv)
    device.insert(100)
    polls(bv, Recorder(), 4)

    def crash(event):
        raise SystemExit("killed")

    with pytest.raises(SystemExit):
        bv.poll(crash)  # the kiosk died holding "bill stacked"
    bv.close()
    fresh = CcnetValidator("kitsim://ccnet/test", response_timeout=0.1, sleep=lambda s: None,
                           bill_table=bv.bill_table)
    rec = Recorder()
    fresh.start(rec)
    assert rec.credited == [Decimal(100)] and rec.names()[0] == "NoteStacked"


def test_a_restarted_driver_without_the_saved_bill_table_reports_an_incident_not_a_credit(device, bv):
    started(bv)
    device.insert(100)
    polls(bv, Recorder(), 4)
    with pytest.raises(SystemExit):
        bv.poll(lambda e: (_ for _ in ()).throw(SystemExit("killed")))
    fresh = CcnetValidator("kitsim://ccnet/test", response_timeout=0.1, sleep=lambda s: None)
    rec = Recorder()
    fresh.start(rec)
    assert rec.events[0] == ev.UnknownNoteStacked(bill_type=4) and rec.credited == []


def test_garbage_before_a_reply_is_skipped_and_logged(device, bv, caplog):
    started(bv)
    device.inject_bytes(H("FF 55 AA") + frame(b"\x14"))
    with caplog.at_level(logging.WARNING, logger="kiosk.devices.ccnet"):
        assert bv.poll() == ev.Idling()
    assert "ff 55 aa" in caplog.text


def test_a_truncated_reply_times_out_and_is_asked_again(device, bv, caplog):
    started(bv)
    device.inject_bytes(H("02 03 07 81"))
    with caplog.at_level(logging.WARNING, logger="kiosk.devices.ccnet"):
        event = bv.poll()
    assert event == ev.Idling()
    assert "02 03 07 81" in caplog.text


def test_pure_garbage_is_a_bad_frame_and_never_a_credit(device, bv):
    started(bv)
    for _ in range(20):  # more than the driver's bounded retries
        device.inject_bytes(H("02 03 01 99 99"))
    rec = Recorder()
    with pytest.raises(ev.ValidatorError):
        bv.poll(rec)
    assert rec.events == []


def test_an_unexpected_state_byte_is_an_unknown_state_event(device, bv, caplog):
    started(bv)
    device.script_reply(H("99 01"))
    rec = Recorder()
    with caplog.at_level(logging.ERROR, logger="kiosk.devices.ccnet"):
        event = bv.poll(rec)
    assert event == ev.UnknownState(state=0x99, data=b"\x01") and event.out_of_service
    assert "02 03 07 99 01" in caplog.text
    assert rec.credited == []


def test_a_device_that_stops_answering_mid_exchange_is_a_timeout_not_a_hang(device, bv):
    started(bv)
    device.insert(100)
    rec = Recorder()
    polls(bv, rec, 4)
    device.set_silent(True)
    t0 = time.monotonic()
    with pytest.raises(ev.ValidatorTimeout):
        bv.poll(rec)
    assert time.monotonic() - t0 < 1.0  # 3 sends x 0.1 s
    assert rec.credited == []
    device.set_silent(False)
    polls(bv, rec, 2)
    assert rec.credited == [Decimal(100)]


def test_stack_outside_escrow_is_an_illegal_command(device, bv):
    started(bv)
    with pytest.raises(ev.IllegalCommand) as info:
        bv.stack()
    assert info.value.raw == H("02 03 06 30 41 B3")


def test_identification_while_idling_is_an_illegal_command(device, bv):
    started(bv)
    bv.poll()
    with pytest.raises(ev.IllegalCommand):
        bv.identify()


def test_an_unknown_command_gets_illegal_command(device):
    assert device.receive(command(0x5B)) == H("02 03 06 30 41 B3")


def test_a_bad_crc_command_gets_a_nak_from_the_simulator(device):
    assert device.receive(H("02 03 06 33 DA 80")) == H("02 03 06 FF BA 8D")


def test_the_simulator_repeats_a_poll_reply_that_was_not_acked(device):
    first = device.receive(command(0x33))
    assert device.receive(command(0x33)) == first == H("02 03 06 10 43 92")
    assert device.repeats == 1


def test_busy_makes_the_driver_wait_the_time_the_device_asked(device):
    waits = []
    v = CcnetValidator("kitsim://ccnet/test", response_timeout=0.1, sleep=waits.append)
    started(v)
    device.busy(5)
    assert v.poll() == ev.Busy(ms=500)
    assert 0.5 in waits


def test_get_status_and_set_security_round_trip(device, bv):
    started(bv)
    bv.set_security([4, 5])
    enabled, security = bv.get_status()
    assert enabled == frozenset({2, 3, 4, 5, 6, 7}) and security == frozenset({4, 5})


def test_a_failure_code_is_out_of_service(device, bv):
    started(bv)
    device.fail(0x55)
    assert bv.poll() == ev.Failure(code=0x55, reason="optic_canal")


def test_the_escrow_window_returns_a_note_nobody_decided_on(device, bv):
    device.escrow_timeout_polls = 2
    started(bv)
    device.insert(100)
    rec = Recorder(decision=None)
    polls(bv, rec, 8)
    assert "NoteReturned" in rec.names() and rec.credited == []


def test_the_driver_drives_the_simulator_served_on_a_pty_by_another_process():
    from kiosk.devices.sim.serve import SimControl, spawn

    proc, info = spawn("ccnet", pty=True)
    try:
        assert info["port"].startswith("/dev/")
        control = SimControl(info["control"])
        v = CcnetValidator(info["port"], response_timeout=0.5)
        assert v.start().identification.serial_number == "41K000001"
        v.enable([100, 500])
        control.call("insert", 500)
        control.call("insert", 100, reject=0x67)
        rec = Recorder()
        polls(v, rec, 12)
        assert rec.credited == [Decimal(500)]
        assert [e.reason for e in rec.events if isinstance(e, ev.NoteRejected)] == ["optic"]
        counts = control.call("counts")
        assert counts["stacked"] == 1 and counts["rejected"] == 1 and counts["stacked_amount"] == "500.00"
        v.close()
        control.close()
    finally:
        proc.kill()
        proc.wait()


def test_the_driver_drives_the_simulator_on_a_tcp_port_through_socket_urls():
    from kiosk.devices.sim.serve import SimControl, spawn

    proc, info = spawn("ccnet", pty=False)
    try:
        assert info["port"].startswith("socket://")
        control = SimControl(info["control"])
        v = CcnetValidator(info["port"], response_timeout=0.5)
        v.start()
        v.enable()
        control.call("insert", "1000")
        rec = Recorder()
        polls(v, rec, 8)
        assert rec.credited == [Decimal(1000)]
        assert control.call("counts")["by_value"] == {"1000": 1}
        v.close()
    finally:
        proc.kill()
        proc.wait()


def test_the_simulator_states_after_reset_are_initialize_then_disabled(device):
    device.receive(command(0x30))
    replies = []
    for _ in range(4):
        replies.append(device.receive(command(0x33))[3])
        device.receive(command(0x00))
    assert replies == [State.INITIALIZE, State.INITIALIZE, State.UNIT_DISABLED, State.UNIT_DISABLED]
