"""CCNET bytes: CRC, reference frames, bill table, masks, and every POLL state and code as an event."""

from decimal import Decimal

import pytest

from kiosk.devices import validator as ev
from kiosk.devices.ccnet import event_for
from kiosk.devices.ccnet_frames import (
    Cmd,
    FailureCode,
    FrameError,
    FrameSplitter,
    Note,
    RejectCode,
    State,
    bill_record,
    build_bill_table,
    build_identification,
    command,
    crc16,
    frame,
    mask,
    parse,
    parse_bill_record,
    parse_bill_table,
    parse_identification,
    unmask,
)

H = bytes.fromhex


def test_the_crc_of_123456789_is_the_kermit_check_value():
    assert crc16(b"123456789") == 0x2189


@pytest.mark.parametrize("cmd, wire", [
    (Cmd.ACK, "02 03 06 00 C2 82"),
    (Cmd.NAK, "02 03 06 FF BA 8D"),
    (Cmd.RESET, "02 03 06 30 41 B3"),
    (Cmd.GET_STATUS, "02 03 06 31 C8 A2"),
    (Cmd.POLL, "02 03 06 33 DA 81"),
    (Cmd.STACK, "02 03 06 35 EC E4"),
    (Cmd.RETURN, "02 03 06 36 77 D6"),
    (Cmd.IDENTIFICATION, "02 03 06 37 FE C7"),
    (Cmd.HOLD, "02 03 06 38 09 3F"),
    (Cmd.GET_BILL_TABLE, "02 03 06 41 4F D1"),
])
def test_each_command_frame_is_the_reference_frame(cmd, wire):
    assert command(cmd) == H(wire)


def test_enable_bill_types_two_to_seven_with_escrow_is_the_reference_frame():
    assert command(Cmd.ENABLE_BILL_TYPES, mask(range(2, 8)) + mask(range(2, 8))) == \
        H("02 03 0C 34 00 00 FC 00 00 FC EB D1")


def test_enable_bill_types_with_nothing_enabled_is_the_reference_frame():
    assert command(Cmd.ENABLE_BILL_TYPES, mask([]) + mask([])) == H("02 03 0C 34 00 00 00 00 00 00 17 0C")


@pytest.mark.parametrize("payload, wire", [
    ("14", "02 03 06 14 67 D4"),
    ("15", "02 03 06 15 EE C5"),
    ("19", "02 03 06 19 82 0F"),
    ("10", "02 03 06 10 43 92"),
    ("13", "02 03 06 13 D8 A0"),
    ("17", "02 03 06 17 FC E6"),
    ("80 04", "02 03 07 80 04 A8 75"),
    ("81 04", "02 03 07 81 04 70 6C"),
    ("82 04", "02 03 07 82 04 18 46"),
    ("1C 68", "02 03 07 1C 68 3F 6C"),
    ("1B 05", "02 03 07 1B 05 D4 99"),
    ("41", "02 03 06 41 4F D1"),
    ("42", "02 03 06 42 D4 E3"),
    ("47 55", "02 03 07 47 55 06 B1"),
    ("30", "02 03 06 30 41 B3"),
])
def test_each_reference_reply_frame_is_built_and_parsed_back(payload, wire):
    assert frame(H(payload)) == H(wire)
    assert parse(H(wire)).payload == H(payload)


def test_a_long_frame_carries_its_length_in_two_bytes_after_a_zero_lng():
    raw = frame(bytes(300))
    assert raw[2] == 0 and int.from_bytes(raw[3:5], "big") == len(raw) == 307
    assert parse(raw).payload == bytes(300)


@pytest.mark.parametrize("raw, reason", [
    ("02 03 06 33 DA 80", "bad CRC"),
    ("02 03 07 33 DA 81", "length"),
    ("02 03 06 33", "too short"),
    ("03 03 06 33 DA 81", "too short or no SYNC"),
])
def test_a_bad_frame_is_refused_with_its_bytes(raw, reason):
    with pytest.raises(FrameError) as info:
        parse(H(raw))
    assert reason in info.value.reason
    assert info.value.raw == H(raw)


def test_a_frame_for_another_address_is_refused():
    with pytest.raises(FrameError):
        parse(frame(b"\x14", address=0x01))


def test_the_splitter_skips_garbage_and_waits_for_the_rest_of_a_frame():
    splitter = FrameSplitter()
    frames, garbage = splitter.feed(H("FF 00 55 02 03 06"))
    assert frames == [] and garbage == H("FF 00 55")
    frames, garbage = splitter.feed(H("33 DA 81 02 03"))
    assert frames == [H("02 03 06 33 DA 81")] and garbage == b""
    assert splitter.pending() == H("02 03")


def test_masks_put_type_23_at_the_top_of_the_first_byte_and_type_0_at_the_bottom_of_the_last():
    assert mask([23]) == H("80 00 00")
    assert mask([0]) == H("00 00 01")
    assert unmask(H("00 00 FC")) == frozenset(range(2, 8))
    with pytest.raises(ValueError):
        mask([24])


def test_the_bill_table_record_05_eur_00_is_five_euro():
    assert parse_bill_record(0, H("05 45 55 52 00")) == Note(0, Decimal("5"), "EUR")


def test_the_exponent_multiplies_and_its_top_bit_divides():
    assert parse_bill_record(5, H("05 52 55 53 02")).value == Decimal("500")
    assert parse_bill_record(1, H("05 55 53 44 82")).value == Decimal("0.05")


def test_an_empty_slot_has_no_note():
    assert parse_bill_record(9, bytes(5)) is None


def test_a_whole_bill_table_parses_to_its_filled_slots():
    data = build_bill_table({2: (10, "RUS"), 4: (100, "RUS"), 7: (5000, "RUS"), 12: (200, "RUS")})
    assert len(data) == 120
    assert data[20:25] == H("01 52 55 53 02")  # 100 = 1 x 10^2
    table = parse_bill_table(data)
    assert {t: (n.value, n.currency) for t, n in table.items()} == {
        2: (Decimal(10), "RUS"), 4: (Decimal(100), "RUS"), 7: (Decimal(5000), "RUS"), 12: (Decimal(200), "RUS")}


def test_a_bill_table_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError):
        parse_bill_table(bytes(7))


def test_records_written_for_values_read_back_as_the_same_values():
    for value in ("5", "10", "50", "100", "200", "500", "1000", "2000", "5000", "0.5"):
        assert parse_bill_record(0, bill_record(Decimal(value), "RUS")).value == Decimal(value)


def test_identification_is_part_number_serial_number_and_asset_number():
    ident = parse_identification(build_identification("SM-RU1353", "41K000001", b"\x01" * 7))
    assert (ident.part_number, ident.serial_number, ident.asset_number) == ("SM-RU1353", "41K000001", b"\x01" * 7)


TABLE = {4: Note(4, Decimal(100), "RUS")}


@pytest.mark.parametrize("payload, expected", [
    ("10", ev.PowerUp()),
    ("11", ev.PowerUp(bill_in_validator=True)),
    ("12", ev.PowerUp(bill_in_stacker=True)),
    ("13", ev.Initializing()),
    ("14", ev.Idling()),
    ("15", ev.Accepting()),
    ("17", ev.Stacking()),
    ("18", ev.Returning()),
    ("19", ev.Disabled()),
    ("1A", ev.Holding()),
    ("1B 05", ev.Busy(ms=500)),
    ("41", ev.CassetteFull()),
    ("42", ev.CassetteRemoved()),
    ("43", ev.Jammed(where="validator")),
    ("44", ev.Jammed(where="cassette")),
    ("45", ev.Cheated()),
    ("46", ev.Paused()),
    ("80 04", ev.NoteEscrowed(note=TABLE[4], bill_type=4)),
    ("81 04", ev.NoteStacked(note=TABLE[4], bill_type=4)),
    ("82 04", ev.NoteReturned(note=TABLE[4], bill_type=4)),
])
def test_every_poll_state_maps_to_its_event(payload, expected):
    assert event_for(H(payload), b"", TABLE) == expected


def test_the_state_table_has_an_event_for_every_state():
    for state in State:
        data = b"\x04" if state in (State.ESCROW_POSITION, State.BILL_STACKED, State.BILL_RETURNED) else \
            b"\x01" if state in (State.DEVICE_BUSY, State.REJECTING, State.GENERIC_FAILURE) else b""
        assert not isinstance(event_for(bytes([state]) + data, b"", TABLE), ev.UnknownState), state


@pytest.mark.parametrize("code", list(RejectCode))
def test_every_reject_code_maps_to_a_rejection_with_its_name(code):
    event = event_for(bytes([0x1C, code]), b"", TABLE)
    assert event == ev.NoteRejected(code=code, reason=code.name.lower())


@pytest.mark.parametrize("code", list(FailureCode))
def test_every_failure_code_maps_to_a_failure_with_its_name(code):
    event = event_for(bytes([0x47, code]), b"", TABLE)
    assert event == ev.Failure(code=code, reason=code.name.lower())
    assert event.out_of_service


def test_the_named_codes_are_the_documented_ones():
    assert RejectCode.INHIBIT == 0x68 and RejectCode.UV == 0x6D and RejectCode.BARCODE_UNKNOWN_STOP == 0x95
    assert FailureCode.OPTIC_CANAL == 0x55 and FailureCode.CAPACITANCE_CANAL == 0x5F
    assert len(RejectCode) == 17 and len(FailureCode) == 8


def test_an_unknown_reject_code_still_is_a_rejection_named_unknown():
    assert event_for(H("1C 77"), b"", TABLE) == ev.NoteRejected(code=0x77, reason="unknown_0x77")


@pytest.mark.parametrize("payload", ["99", "14 01", "81", "80", "47", "", "81 04 04"])
def test_an_unexpected_state_or_shape_is_an_unknown_state_never_a_credit(payload):
    event = event_for(H(payload), H("02 03"), TABLE)
    assert isinstance(event, ev.UnknownState)
    assert event.out_of_service


def test_a_stacked_note_missing_from_the_bill_table_is_an_incident_not_a_credit():
    event = event_for(H("81 09"), b"", TABLE)
    assert event == ev.UnknownNoteStacked(bill_type=9)
    assert not isinstance(event, ev.NoteStacked)


def test_power_up_with_a_bill_in_the_stacker_is_an_incident():
    assert event_for(H("12"), b"", TABLE).incident
    assert not event_for(H("11"), b"", TABLE).incident
