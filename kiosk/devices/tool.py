"""`python -m kiosk devices`: the technician's first command on a new unit.

Shows the validator's identification, bill table and live status and the printer's status; with
--accept-note takes one note (stacked, or given back with --return-note) and with --test-cheque
prints a test cheque. Exit status 1 when a device could not be talked to.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from decimal import Decimal

from . import validator as ev
from .ccnet import CcnetValidator
from .cheque import Cheque, cheque_lines
from .escpos import EscPosPrinter, PrinterError

TEST_NOTE = "ТЕСТОВЫЙ ЧЕК — НЕ ЯВЛЯЕТСЯ ПЛАТЁЖНЫМ ДОКУМЕНТОМ"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--validator", help="validator port URL (/dev/ttyUSB0, socket://h:p, kitsim://ccnet/NAME)")
    parser.add_argument("--printer", help="printer port URL")
    parser.add_argument("--accept-note", action="store_true", help="enable the validator and take one note")
    parser.add_argument("--return-note", action="store_true", help="with --accept-note: give the note back")
    parser.add_argument("--test-cheque", action="store_true", help="print a test cheque")
    parser.add_argument("--watch", type=float, default=0.0, help="show the validator's events for N seconds")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a note")
    parser.add_argument("--encoding", default="cp866", help="printer code page (Python codec)")
    parser.add_argument("--codepage", type=int, default=None, help="ESC t number for that code page")
    parser.add_argument("--printer-baud", type=int, default=19200)


def test_cheque(terminal: str = "TEST") -> Cheque:
    return Cheque(dealer_name="Проверка принтера", dealer_inn="0000000000", terminal=terminal,
                  address="—", paid_at=datetime.now().astimezone(), txn="0", cheque_number="0",
                  provider="Тест", account="0000000000", amount=Decimal("0.00"), fee=Decimal("0.00"),
                  credited=Decimal("0.00"), support_phone="—")


def _validator(url: str, args, out) -> bool:
    try:
        v = CcnetValidator(url)
    except Exception as exc:  # the port itself: wrong path, permissions
        print(f"validator: cannot open {url}: {exc}", file=out)
        return False
    try:
        info = v.start(lambda e: print(f"  event: {e.name} {e.raw.hex(' ')}", file=out))
        ident = info.identification
        print(f"validator: {ident.part_number}, serial {ident.serial_number}", file=out)
        print("bill table:", file=out)
        for t, note in sorted(info.bill_table.items()):
            print(f"  type {t:2d}: {note}", file=out)
        enabled, security = v.get_status()
        print(f"status: enabled types {sorted(enabled)}, high security {sorted(security)}; "
              f"now {v.poll().name}", file=out)
        if args.watch:
            _watch(v, args.watch, out)
        if args.accept_note:
            return _accept_one(v, args, out)
        return True
    except ev.ValidatorError as exc:
        print(f"validator: {type(exc).__name__}: {exc}", file=out)
        return False
    finally:
        v.close()


def _watch(v: CcnetValidator, seconds: float, out) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        v.poll(lambda e: print(f"  {e.name} {e.raw.hex(' ')}", file=out))
        time.sleep(v.poll_interval)


def _accept_one(v: CcnetValidator, args, out) -> bool:
    v.enable()
    print("insert a note…", file=out)
    decision = ev.Decision.RETURN if args.return_note else ev.Decision.STACK
    result: list[ev.Event] = []

    def handler(event: ev.Event):
        print(f"  {event.name} {event.raw.hex(' ')}", file=out)
        if isinstance(event, ev.NoteEscrowed):
            print(f"  in escrow: {event.note}", file=out)
            return decision
        if isinstance(event, ev.NoteStacked | ev.NoteReturned | ev.NoteRejected) or event.out_of_service:
            result.append(event)
        return None

    deadline = time.monotonic() + args.timeout
    try:
        while not result and time.monotonic() < deadline:
            v.poll(handler)
            time.sleep(v.poll_interval)
    finally:
        v.disable()
    if not result:
        print("no note within the timeout", file=out)
        return False
    last = result[0]
    if isinstance(last, ev.NoteStacked):
        print(f"note stacked: {last.note}", file=out)
    elif isinstance(last, ev.NoteReturned):
        print(f"note returned: {last.note}", file=out)
    else:
        print(f"no note taken: {last}", file=out)
    return not last.out_of_service


def _printer(url: str, args, out) -> bool:
    try:
        p = EscPosPrinter(url, encoding=args.encoding, codepage=args.codepage, baudrate=args.printer_baud)
    except Exception as exc:
        print(f"printer: cannot open {url}: {exc}", file=out)
        return False
    try:
        status = p.status()
        print(f"printer: {status.summary()} (DLE EOT {status.raw.hex(' ') or 'no answer'})", file=out)
        if not args.test_cheque:
            return status.answered
        p.print_lines(cheque_lines(test_cheque(), fiscal_note=TEST_NOTE))
        print("test cheque printed", file=out)
        return True
    except PrinterError as exc:
        print(f"printer: {type(exc).__name__}: {exc}", file=out)
        return False
    finally:
        p.close()


def run(args, out=None) -> int:
    out = out or sys.stdout
    ok = True
    if not args.validator and not args.printer:
        print("give --validator URL and/or --printer URL", file=out)
        return 2
    if args.validator:
        ok = _validator(args.validator, args, out) and ok
    if args.printer:
        ok = _printer(args.printer, args, out) and ok
    return 0 if ok else 1
