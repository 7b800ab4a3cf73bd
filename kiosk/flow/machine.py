"""The payment flow: an explicit table of states and moves, and the machine that drives the devices.

    idle -> account -> inserting -> finishing -> receipt -> idle
    idle | account | receipt -> out_of_service -> idle    (a fault while inserting finishes the payment first)

The table is table.MOVES. The screens (kiosk/web.py) ask for moves; the device thread (tick()) is the only one that talks to the bill
validator, the printer and the registrar. Money rule: a note is the customer's money from the moment
the validator reports it stacked; it is written to the store before the validator gets its ACK.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from decimal import Decimal

from ..crash import crash_point
from ..devices import validator as ev
from ..devices.cheque import Cheque, cheque_lines
from ..devices.escpos import PrinterError, PrinterStatus
from ..devices.fiscal import AgentReceipt, AgentRequisites, FiscalRegistrar, RegistrarError
from ..money import ZERO, fee_for, iso, local_now, rub
from ..store import RECEIPT_FISCAL_FAILED, RECEIPT_NOT_PRINTED, RECEIPT_PRINTED, Payment, Store
from . import policy, receipts
from .table import (
    MOVES,
    OOS_BLOCKED,
    OOS_FISCAL,
    OOS_NO_CONFIG,
    OOS_OFFLINE,
    OOS_PRINTER,
    OOS_UNCONFIRMED,
    OOS_UPDATING,
    OOS_VALIDATOR,
    Devices,
    Link,
    MoveRefused,
    S,
)

log = logging.getLogger(__name__)


class Flow:
    """One kiosk's payment flow. Thread-safe: every public method takes the lock."""

    def __init__(self, *, config, store: Store, validator: ev.BillValidator, printer, registrar: FiscalRegistrar,
                 client=None, link: Link | None = None, clock=time.monotonic, on_finished=None):
        self.cfg = config
        self.store = store
        self.validator = validator
        self.printer = printer
        self.registrar = registrar
        self.client = client
        self.link = link or Link()
        self.clock = clock
        self.on_finished = on_finished or (lambda: None)
        self.lock = threading.RLock()
        self.devices = Devices()
        self.state = S.IDLE
        self.blocked = False
        # Set by the updater for the switch and the new version's health check only: no payment starts then.
        self.updating = False
        self.lang = config.language
        self._reset_customer()
        self.enabled = False
        self.finish_requested = ""
        self.receipt: Payment | None = None
        self.receipt_at = 0.0
        self.started = False
        self.incidents = 0
        self._last_status_poll = 0.0
        self._last_printer_check = 0.0
        self._first_poll = False

    # -- the table ----------------------------------------------------------------------
    def _move(self, new: S) -> None:
        if new not in MOVES[self.state]:
            raise MoveRefused(self.state, new)
        log.info("flow: %s -> %s", self.state.value, new.value)
        self.state = new

    def _reset_customer(self) -> None:
        self.provider: dict | None = None
        self.values: dict[str, str] = {}
        self.active = "account"
        self.message = ""
        self.hint: dict | None = None
        self.session_id: int | None = None
        self.txn: str | None = None
        self.total = ZERO
        self.notes: list[Decimal] = []
        self.returned = 0
        self.offline = False
        self.max_amount = ZERO
        self.activity = self.clock()

    # -- the server's config ------------------------------------------------------------
    @property
    def server_config(self) -> dict:
        doc, _ = self.store.config_cached()
        return doc or {}

    def providers(self) -> list[dict]:
        return list(self.server_config.get("providers", []))

    def provider_by_code(self, code: str) -> dict | None:
        return next((p for p in self.providers() if p.get("code") == code), None)

    # -- availability (the offline policy) ----------------------------------------------
    def oos_reasons(self) -> list[str]:
        """Why the kiosk takes no cash now (stable codes; none: it does)."""
        out = []
        if not self.server_config:
            out.append(OOS_NO_CONFIG)
        if not self.store.confirmed:
            out.append(OOS_UNCONFIRMED)
        if self.blocked:
            out.append(OOS_BLOCKED)
        if self.updating:
            out.append(OOS_UPDATING)
        if self.devices.validator != "ok":
            out.append(OOS_VALIDATOR)
        if self.devices.printer != "ok" and self.cfg.fiscal == "none":
            out.append(OOS_PRINTER)
        if self.devices.fiscal != "ok":
            out.append(OOS_FISCAL)
        if not self.link.online and self.offline_queue_full():
            out.append(OOS_OFFLINE)
        return out

    def offline_queue_full(self) -> bool:
        return policy.offline_queue_full(self.cfg, self.store)

    def offline_policy(self, provider: dict) -> tuple[bool, Decimal]:
        return policy.offline_policy(self.cfg, self.store, provider)

    def provider_available(self, provider: dict) -> bool:
        return policy.provider_available(self.cfg, self.store, provider, online=self.link.online)

    # -- availability (the offline policy) ----------------------------------------------
    # -- screens ask for moves ----------------------------------------------------------
    def set_language(self, lang: str) -> None:
        with self.lock:
            if lang in ("ru", "en"):
                self.lang = lang
            self.activity = self.clock()

    def touch(self) -> None:
        """A touch on the idle screen's full-screen ad: the services show again (the idle time starts over)."""
        with self.lock:
            self.activity = self.clock()

    def choose(self, code: str) -> bool:
        with self.lock:
            if self.state == S.ACCOUNT:
                self._move(S.IDLE)
            if self.state != S.IDLE or self.oos_reasons():
                return False
            provider = self.provider_by_code(code)
            if provider is None or not self.provider_available(provider):
                return False
            self._reset_customer()
            self.provider = provider
            self.values = {f["name"]: "" for f in self.fields()}
            self.active = self.fields()[0]["name"] if self.fields() else "account"
            self._move(S.ACCOUNT)
            return True

    def fields(self) -> list[dict]:
        if not self.provider:
            return []
        return self.provider.get("fields") or [{"name": "account", "label": self.provider["account"]["label"],
                                                 "format": self.provider["account"]["format"], "required": True}]

    def key(self, key: str, field_name: str | None = None) -> None:
        """The on-screen keypad: a digit or letter, "back" or "clear", on the active field."""
        with self.lock:
            if self.state != S.ACCOUNT:
                return
            self.activity = self.clock()
            if field_name in self.values:
                self.active = field_name
            value = self.values.get(self.active, "")
            if key == "back":
                value = value[:-1]
            elif key == "clear":
                value = ""
            elif len(key) == 1 and key.isalnum() and len(value) < 64:
                value += key
            self.values[self.active] = value
            self.message = ""
            self.hint = None

    def cancel(self) -> None:
        with self.lock:
            if self.state == S.ACCOUNT:
                self._reset_customer()
                self._move(S.IDLE)
            elif self.state == S.INSERTING:
                if self.total > 0:
                    return  # money is in: only "pay" (or the walk-away) ends it
                self.finish_requested = "cancel"

    def submit_account(self) -> bool:
        """Validate the fields, ask the server (phone hint, online check), open the payment session."""
        with self.lock:
            if self.state != S.ACCOUNT:
                return False
            self.activity = self.clock()
            for f in self.fields():
                value = self.values.get(f["name"], "")
                if (f.get("required", True) or value) and f.get("format") and not re.fullmatch(f["format"], value):
                    self.active, self.message = f["name"], "format"
                    return False
            provider = self.provider
            account = self.values.get("account", "")
        hint = self._phone_hint(provider, account)
        verdict = self._check(provider, account)
        with self.lock:
            if self.state != S.ACCOUNT or self.provider is not provider:
                return False
            if hint and hint.get("provider") and hint["provider"] != provider["code"] and self.hint is None:
                other = self.provider_by_code(hint["provider"])
                if other is not None:
                    self.hint = {"code": other["code"], "name": other["name"]}
                    self.message = "other_operator"
                    return False
            offline = not self.link.online
            if verdict is False:
                self.message = "declined"
                return False
            if verdict is None or offline:
                allowed, cap = self.offline_policy(provider)
                if not allowed or self.offline_queue_full():
                    self.message = "unavailable"
                    return False
                offline, self.max_amount = True, min(cap, Decimal(provider["limits"]["max"]))
            else:
                self.max_amount = Decimal(provider["limits"]["max"])
            if not self.store.confirmed:
                self.message = "unavailable"
                return False
            extra = {k: v for k, v in self.values.items() if k != "account"}
            session = self.store.session_open(provider=provider["code"], provider_name=provider["name"],
                                              account=account, fields=extra, offline=offline, now=iso(local_now()))
            self.session_id, self.offline = session.id, offline
            self.enabled = False
            self._move(S.INSERTING)
            return True

    def accept_hint(self) -> None:
        """The customer takes the operator the number belongs to."""
        with self.lock:
            if self.state != S.ACCOUNT or not self.hint:
                return
            values, code = dict(self.values), self.hint["code"]
            self._reset_customer()
            self._move(S.IDLE)
        if self.choose(code):
            with self.lock:
                self.values.update({k: v for k, v in values.items() if k in self.values})
                self.hint = {"accepted": True}

    def confirm(self) -> None:
        with self.lock:
            if self.state == S.INSERTING and self.total > 0:
                self.finish_requested = "confirm"

    def done(self) -> None:
        with self.lock:
            if self.state == S.RECEIPT:
                self.receipt = None
                self._reset_customer()
                self._move(S.OUT_OF_SERVICE if self.oos_reasons() else S.IDLE)

    def _phone_hint(self, provider: dict, account: str) -> dict | None:
        if self.client is None or provider.get("category", {}).get("code") != "mobile" or not self.link.online:
            return None
        try:
            response = self.client.phone(account)
        except Exception:  # the hint is a nicety: no answer, no hint
            self.link.fail()
            return None
        self.link.ok()
        return response.json() if response.status_code == 200 else None

    def _check(self, provider: dict, account: str) -> bool | None:
        """True/False from the server's /checks; None when it cannot say (or nobody was asked and may not be)."""
        if not provider.get("check_required"):
            return True
        if self.client is None:
            return None
        extra = {k: v for k, v in self.values.items() if k != "account"}
        try:
            response = self.client.check(provider["code"], account, f"{Decimal(provider['limits']['min']):.2f}",
                                         extra)
        except Exception:
            self.link.fail()
            return None
        if response.status_code != 200:
            self.link.fail() if response.status_code >= 500 else self.link.ok()
            return None
        self.link.ok()
        return response.json().get("ok")

    # -- the device thread --------------------------------------------------------------
    def start(self) -> None:
        """Start the devices and finish whatever a crash left behind (an open session, an unprinted cheque)."""
        self._first_poll = True
        try:
            info = self.validator.start(self._on_event)
            self.devices.identification = (f"{info.identification.part_number} "
                                           f"{info.identification.serial_number}").strip()
            self.store.meta_set("bill_table", ",".join(f"{t}:{n.value}:{n.currency}"
                                                      for t, n in sorted(info.bill_table.items())))
            self._set_validator("ok")
        except ev.ValidatorError as exc:
            self._set_validator("error", str(exc))
        finally:
            self._first_poll = False
        open_session = self.store.open_session()
        if open_session is not None:
            self.store.note_acked(open_session.id)
        try:
            if not self.registrar.status().shift_open:
                self.registrar.open_shift()
        except RegistrarError as exc:
            self._set_fiscal("error", str(exc))
        with self.lock:
            if open_session is not None:
                self.session_id, self.provider = open_session.id, self.provider_by_code(open_session.provider)
                self.offline, self.total = open_session.offline, open_session.amount
                # Not a move: the store says a session with the validator on was cut off, so the
                # flow resumes where the crash left it and finishes that payment at once.
                self.state = S.INSERTING
                self.finish_requested = "restart"
            self.started = True
        for payment in self.store.to_print():
            self._issue_receipt(payment)
        if open_session is not None:
            self._finish()
        with self.lock:
            if self.state == S.IDLE and self.oos_reasons():
                self._move(S.OUT_OF_SERVICE)

    def _set_validator(self, state: str, error: str = "") -> None:
        if (self.devices.validator, self.devices.validator_error) != (state, error):
            self.devices.validator, self.devices.validator_error = state, error
            self.devices.changed.set()

    def _set_fiscal(self, state: str, error: str = "") -> None:
        if (self.devices.fiscal, self.devices.fiscal_error) != (state, error):
            self.devices.fiscal, self.devices.fiscal_error = state, error
            self.devices.changed.set()

    def _set_printer(self, status: PrinterStatus) -> None:
        problems = status.problems()
        state = "ok" if not problems else problems[0]
        if (self.devices.printer, self.devices.paper) != (state, status.paper):
            self.devices.printer, self.devices.paper = state, status.paper
            self.devices.changed.set()

    def tick(self) -> None:
        """One step of the device thread: poll the validator, run the walk-away clock, finish, watch health."""
        now = self.clock()
        with self.lock:
            state = self.state
        if state == S.INSERTING:
            self._tick_inserting(now)
        elif state == S.RECEIPT:
            if now - self.receipt_at > self.cfg.receipt_seconds:
                self.done()
        elif state == S.ACCOUNT and now - self.activity > self.cfg.walk_away_seconds:
            self.cancel()  # nobody is typing any more and no money is in: back to the start
        if state != S.INSERTING and now - self._last_status_poll > 1.0:
            self._last_status_poll = now
            self._poll_quietly()
        if state in (S.IDLE, S.OUT_OF_SERVICE) and now - self._last_printer_check > 5.0:
            self._last_printer_check = now
            self._check_printer_and_registrar()
        with self.lock:
            reasons = self.oos_reasons()
            if self.state == S.IDLE and reasons:
                self._move(S.OUT_OF_SERVICE)
            elif self.state == S.OUT_OF_SERVICE and not reasons:
                self._move(S.IDLE)

    def _tick_inserting(self, now: float) -> None:
        if not self.enabled:
            allowed = [v for v in self._face_values() if v <= self.max_amount]
            try:
                self.validator.enable(allowed)
                self.enabled = True
            except ev.ValidatorError as exc:
                self._set_validator("error", str(exc))
                self.finish_requested = self.finish_requested or "fault"
        try:
            event = self.validator.poll(self._on_event, self._on_acked)
            self._watch(event)
        except ev.ValidatorError as exc:
            self._set_validator("error", str(exc))
            self.finish_requested = self.finish_requested or "fault"
        with self.lock:
            if not self.finish_requested and now - self.activity > self.cfg.walk_away_seconds:
                self.finish_requested = "walk_away"
            requested = self.finish_requested
        if requested:
            self._finish()

    def _face_values(self) -> list[Decimal]:
        table = getattr(self.validator, "bill_table", {}) or {}
        return sorted({n.value for n in table.values()})

    def _watch(self, event: ev.Event) -> None:
        if event.out_of_service:
            kind = {"CassetteRemoved": "cassette_removed", "CassetteFull": "cassette_full",
                    "Jammed": "jammed"}.get(event.name, "failure")
            if kind == "cassette_removed" and self.devices.validator != kind:
                self._cassette_pulled()
            self._set_validator(kind, event.name)
            with self.lock:
                if self.state == S.INSERTING:
                    self.finish_requested = self.finish_requested or "fault"
        elif isinstance(event, ev.Idling | ev.Disabled | ev.Accepting | ev.Stacking | ev.NoteEscrowed
                        | ev.NoteStacked | ev.NoteReturned | ev.NoteRejected | ev.Returning):
            self._set_validator("ok")

    def _poll_quietly(self) -> None:
        try:
            event = self.validator.poll(self._on_event, self._on_acked)
            self._watch(event)
        except ev.ValidatorError as exc:
            self._set_validator("error", str(exc))

    def _check_printer_and_registrar(self) -> None:
        if self.cfg.fiscal == "none":
            try:
                self._set_printer(self.printer.status())
            except Exception as exc:  # a dead port is the printer's state, not the kiosk's crash
                log.warning("printer status: %s", exc)
                self.devices.printer = "no_answer"
        if self.devices.fiscal != "ok":
            try:
                status = self.registrar.status()
                if status.ok:
                    if not status.shift_open:
                        self.registrar.open_shift()
                    self._set_fiscal("ok")
            except RegistrarError as exc:
                self._set_fiscal("error", str(exc))

    # -- validator events (device thread) -----------------------------------------------
    def _on_event(self, event: ev.Event):
        if isinstance(event, ev.NoteEscrowed):
            with self.lock:
                finishing = bool(self.finish_requested) or self.state != S.INSERTING
                value = event.note.value if event.note else None
                if finishing or value is None or self.total + value > self.max_amount:
                    self.returned += 1
                    log.info("flow: returning %s from escrow (total %s, max %s)", value, self.total, self.max_amount)
                    return ev.Decision.RETURN
                self.activity = self.clock()
            return ev.Decision.STACK
        if isinstance(event, ev.NoteStacked):
            self._stacked(event)
        elif isinstance(event, ev.UnknownNoteStacked) or (isinstance(event, ev.PowerUp) and event.incident):
            self.incidents += 1
            log.error("flow: money incident %s %s", event.name, event.raw.hex(" "))
        return None

    def _stacked(self, event: ev.NoteStacked) -> None:
        value = event.note.value
        if self._first_poll:
            repeat = self.store.unacked_note()
            if repeat is not None and repeat.bill_type == event.bill_type:
                log.warning("flow: the validator repeats stacked %s whose ACK was lost: already recorded", value)
                return
        crash_point("stacked_before_write")
        session = self.store.open_session()
        if session is None:
            self.incidents += 1
            log.error("flow: a %s note was stacked with no payment session open: incident", value)
            return
        txn, total = self.store.note_stacked(payment_id=session.id, value=value, bill_type=event.bill_type,
                                             now=iso(local_now()))
        log.info("flow: note %s stacked, txn %s, total %s", value, txn, total)
        with self.lock:
            self.txn, self.total = txn, total
            self.notes.append(value)
            self.activity = self.clock()
        crash_point("note_written")

    def _on_acked(self, event: ev.Event) -> None:
        if isinstance(event, ev.NoteStacked):
            session = self.store.open_session()
            if session is not None:
                self.store.note_acked(session.id)

    # -- finishing: record -> fiscal/print -> hand to the sender --------------------------
    def _finish(self) -> None:
        with self.lock:
            reason = self.finish_requested
        try:
            self.validator.disable()
        except ev.ValidatorError:
            pass
        self.enabled = False
        # Drain: a note already in escrow or stacking is reported now (stacked ones are money).
        for _ in range(12):
            try:
                event = self.validator.poll(self._on_event, self._on_acked)
            except ev.ValidatorError:
                break
            if isinstance(event, ev.Disabled) or event.out_of_service:
                self._watch(event)
                break
            time.sleep(min(self.cfg.poll_interval, 0.05))
        session = self.store.open_session()
        with self.lock:
            self.finish_requested = ""
            if session is None or session.amount <= 0:
                if session is not None:
                    self.store.void(session.id)
                log.info("flow: session closed without money (%s)", reason)
                self._reset_customer()
                self._move(S.IDLE)
                return
            self._move(S.FINISHING)
        provider = self.provider_by_code(session.provider) or {}
        amount = session.amount
        minimum = Decimal(provider.get("limits", {}).get("min", "0"))
        not_passed = amount < minimum
        fee = ZERO if not_passed else fee_for(provider.get("fee"), amount)
        credited = amount - fee
        paid_at = iso(local_now())
        doc = {"txn": session.txn, "provider": session.provider, "account": session.account,
               "amount": f"{amount:.2f}", "fee": f"{fee:.2f}", "credited": f"{credited:.2f}",
               "paid_at": paid_at, "fields": session.fields}
        payment = self.store.finish(payment_id=session.id, fee=fee, credited=credited, paid_at=paid_at,
                                    not_passed=not_passed, doc=doc)
        log.info("flow: payment txn %s finished (%s): %s, fee %s", payment.txn, reason, amount, fee)
        crash_point("before_print")
        payment = self._issue_receipt(payment)
        crash_point("after_print")
        self.on_finished()
        with self.lock:
            self.receipt = payment
            self.receipt_at = self.clock()
            self._move(S.RECEIPT)

    def cheque_for(self, payment: Payment) -> Cheque:
        return receipts.cheque_for(self.cfg, self.server_config, payment)

    def requisites(self, provider_code: str) -> AgentRequisites:
        return receipts.requisites(self.cfg, self.server_config, self.provider_by_code(provider_code))

    def _issue_receipt(self, payment: Payment) -> Payment:
        """Register the receipt (the fiscal one first), which prints it; a failure keeps the payment."""
        receipt = AgentReceipt(cheque=self.cheque_for(payment), requisites=self.requisites(payment.provider))
        try:
            result = self.registrar.register(receipt)
        except RegistrarError as exc:
            log.error("flow: fiscal registration of txn %s failed: %s", payment.txn, exc)
            self.store.receipt_set(payment.id, RECEIPT_FISCAL_FAILED)
            self._set_fiscal("error", str(exc))
            return self.store.payment(payment.id)
        except PrinterError as exc:
            log.error("flow: cheque of txn %s not printed: %s", payment.txn, exc)
            result = None
        printed = result is not None and result.printed
        self.store.receipt_set(payment.id, RECEIPT_PRINTED if printed else RECEIPT_NOT_PRINTED,
                               result.document_number if result else "")
        if not printed and self.cfg.fiscal == "none":
            try:
                self._set_printer(self.printer.status())
            except Exception:
                self.devices.printer = "no_answer"
        return self.store.payment(payment.id)

    def reprint_last(self) -> bool:
        """The service screen's reprint of the last cheque (always as a slip on the printer)."""
        payment = self.store.last_payment()
        if payment is None:
            return False
        try:
            self.printer.print_lines(cheque_lines(self.cheque_for(payment), fiscal_note="КОПИЯ"))
        except PrinterError as exc:
            log.error("reprint failed: %s", exc)
            return False
        if payment.receipt == RECEIPT_NOT_PRINTED:
            self.store.receipt_set(payment.id, RECEIPT_PRINTED, payment.fiscal_doc)
        return True

    def encashment_open(self) -> str:
        """The collector opens an encashment (service screen, behind the PIN) before pulling the cassette."""
        opened = iso(local_now())
        self.store.meta_set("encashment_opened_at", opened)
        log.info("encashment opened at %s", opened)
        return opened

    def _cassette_pulled(self) -> None:
        """A cassette out with no encashment open is tampering: counted for the heartbeat, which reports it."""
        if self.store.meta_get("encashment_opened_at"):
            return
        count = int(self.store.meta_get("tamper_count", "0")) + 1
        with self.store.tx() as db:
            self.store._meta_set(db, "tamper_count", str(count))
            self.store._meta_set(db, "tamper_last_at", iso(local_now()))
        log.error("flow: the cassette was pulled with no encashment open (tamper event %d)", count)
        self.devices.changed.set()

    def collect(self) -> dict | None:
        """Encashment from the service screen: record the cassette's notes as one collection, print the slip.

        Refused (None) while a payment is under way; the slip failing to print does not undo it."""
        with self.lock:
            if self.state not in (S.IDLE, S.OUT_OF_SERVICE):
                return None
            collection = self.store.collect(now=iso(local_now()), opened_at=self.store.meta_get("encashment_opened_at"))
        if collection is None:
            return None
        self.store.meta_set("encashment_opened_at", "")
        self.devices.changed.set()
        try:
            self.printer.print_lines(receipts.collection_lines(self.cfg, self.server_config, collection))
            collection["printed"] = True
        except PrinterError as exc:
            log.error("encashment slip not printed: %s", exc)
            collection["printed"] = False
        log.info("encashment %s: %s notes, %s", collection["id"], collection["notes"], collection["amount"])
        return collection

    # -- what the screens show ----------------------------------------------------------
    def snapshot(self) -> dict:
        with self.lock:
            return {"state": self.state.value, "total": rub(self.total), "notes": list(self.notes),
                    "count": len(self.notes), "txn": self.txn, "returned": self.returned,
                    "offline": self.offline, "max": self.max_amount}
