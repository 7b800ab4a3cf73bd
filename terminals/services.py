"""Terminal operations: enrollment codes and keys, heartbeats (live state and history), blocking."""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from kit.queue import enqueue_on_commit

from .errors import EnrollmentDenied
from .models import EnrollmentCode, Heartbeat, Terminal, TerminalAudit, TerminalState

log = logging.getLogger(__name__)

CODE_TTL = timedelta(hours=24)
CODE_DIGITS = 12


def _code_hash(code: str) -> str:
    # Keyed so a copy of the table does not let anyone try codes offline.
    return hmac.new(settings.SECRET_KEY.encode(), f"kit-enroll:{code}".encode(), hashlib.sha256).hexdigest()


def normalize_code(code: str) -> str:
    """Codes are read aloud and typed: spaces and dashes between the digit groups are ignored."""
    return "".join(ch for ch in code if ch not in " -")


def enrollment_code_issue(*, terminal: Terminal, by: str = "") -> tuple[EnrollmentCode, str]:
    """Make a new one-time code for `terminal` (valid 24 h); returns (row, the code in clear).

    The clear code exists only in the return value. The new code supersedes older ones and
    lifts a lock left by wrong codes.
    """
    for _ in range(5):
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        try:
            with transaction.atomic():
                row = EnrollmentCode.objects.create(terminal=terminal, code_hash=_code_hash(code),
                                                    expires_at=timezone.now() + CODE_TTL, created_by=by[:150])
        except IntegrityError:
            continue  # the same 12 digits were issued before (any terminal): draw again
        return row, f"{code[:4]}-{code[4:8]}-{code[8:]}"
    raise RuntimeError("could not draw a unique enrollment code")


def terminal_enroll(*, number: str, code: str, public_key: str) -> Terminal:
    """Register `public_key` for terminal `number` with its newest one-time code.

    Raises EnrollmentDenied for an unknown terminal and a wrong, used, expired or locked
    code; a wrong code counts towards the lock (EnrollmentCode.MAX_FAILURES). The new key
    replaces any old one.
    """
    now = timezone.now()
    denied = ""
    with transaction.atomic():
        current = (EnrollmentCode.objects.select_for_update().select_related("terminal")
                   .filter(terminal__number=number).order_by("-id").first())
        if current is None:
            denied = "no code issued"
        elif current.failures >= EnrollmentCode.MAX_FAILURES:
            denied = "locked after wrong codes"
        elif not hmac.compare_digest(current.code_hash, _code_hash(normalize_code(code))):
            current.failures += 1
            current.save(update_fields=["failures"])
            denied = f"wrong code ({current.failures})"
        elif current.used_at is not None:
            denied = "code already used"
        elif current.expires_at <= now:
            denied = "code expired"
        else:
            current.used_at = now
            current.save(update_fields=["used_at"])
            terminal = current.terminal
            terminal.public_key = public_key
            terminal.enrolled_at = now
            terminal.save(update_fields=["public_key", "enrolled_at"])
    if denied:
        log.warning("enrollment of terminal %s denied: %s", number[:20], denied)
        raise EnrollmentDenied(denied)
    log.info("terminal %s enrolled a new key", number)
    return terminal


def heartbeat_record(*, terminal: Terminal, software_version: str | None, devices: dict | None,
                     cash_notes: int | None, cash_amount: Decimal | None,
                     cash_by_denomination: dict | None = None, cassette_capacity: int | None = None,
                     queue_count: int | None = None, queue_oldest_at=None,
                     rejected: list | None = None) -> TerminalState:
    """Store what the terminal reports as its live state and mark it seen now.

    A part that is None was not reported and keeps its last value; `queue_count` given sets
    `queue_oldest_at` with it (None when the queue is empty)."""
    now = timezone.now()
    values = {"reported_at": now}
    if cash_by_denomination is not None:
        values["cash_by_denomination"] = cash_by_denomination
    if cassette_capacity is not None:
        values["cassette_capacity"] = cassette_capacity
    if queue_count is not None:
        values["queue_count"] = queue_count
        values["queue_oldest_at"] = queue_oldest_at
    if rejected is not None:
        values["rejected"] = rejected
    if software_version is not None:
        values["software_version"] = software_version
    if devices is not None:
        values["devices"] = devices
    if cash_notes is not None:
        values["cash_notes"] = cash_notes
    if cash_amount is not None:
        values["cash_amount"] = cash_amount
    terminal_values = {"last_seen": now}
    if software_version is not None:
        terminal_values["software_version"] = software_version
    with transaction.atomic():
        state, _ = TerminalState.objects.update_or_create(terminal=terminal, defaults=values)
        Terminal.objects.filter(pk=terminal.pk).update(**terminal_values)
        Heartbeat.objects.create(terminal=terminal, reported_at=now, devices=devices or {},
                                 cash_notes=cash_notes, cash_amount=cash_amount,
                                 software_version=software_version or "")
    return state


def heartbeats_prune(*, keep_days: float | None = None) -> int:
    """Delete heartbeat history older than `keep_days` (KIT_HEARTBEAT_KEEP_DAYS); returns rows deleted."""
    days = settings.KIT_HEARTBEAT_KEEP_DAYS if keep_days is None else keep_days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Heartbeat.objects.filter(reported_at__lt=cutoff).delete()
    return deleted


class TerminalError(ValueError):
    """A terminal action refused: `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _audit(terminal: Terminal, action: str, by, **detail) -> TerminalAudit:
    user = by if getattr(by, "is_authenticated", False) else None
    return TerminalAudit.objects.create(terminal=terminal, action=action, user=user, detail=detail)


def terminal_create(*, dealer, number: str, address: str = "", by=None) -> Terminal:
    """A new terminal of `dealer` (offering every active provider); refuses a number in use."""
    from providers.models import Provider

    try:
        with transaction.atomic():
            terminal = Terminal.objects.create(number=number, dealer=dealer, address=address)
            terminal.providers.set(Provider.objects.filter(is_active=True))
            _audit(terminal, "create", by, number=number, address=address)
    except IntegrityError as exc:
        raise TerminalError("number_taken", "This terminal number is already in use.") from exc
    return terminal


def terminal_block(*, terminal: Terminal, by=None, reason: str = "") -> Terminal:
    """Block the terminal: its new payments are recorded as held; audited. Blocking twice is a no-op."""
    with transaction.atomic():
        changed = (Terminal.objects.filter(pk=terminal.pk, status=Terminal.Status.ACTIVE)
                   .update(status=Terminal.Status.BLOCKED))
        if changed:
            _audit(terminal, "block", by, reason=reason[:200])
    terminal.status = Terminal.Status.BLOCKED
    return terminal


def terminal_unblock(*, terminal: Terminal, by=None) -> Terminal:
    """Unblock the terminal and resume its held payments (the engine's resume, on commit); audited."""
    from payments.tasks import resume_held

    with transaction.atomic():
        changed = (Terminal.objects.filter(pk=terminal.pk, status=Terminal.Status.BLOCKED)
                   .update(status=Terminal.Status.ACTIVE))
        if changed:
            _audit(terminal, "unblock", by)
            enqueue_on_commit(resume_held, terminal.dealer_id)
    terminal.status = Terminal.Status.ACTIVE
    return terminal


def terminal_providers_set(*, terminal: Terminal, providers, by=None) -> Terminal:
    """Set the providers the terminal offers (the caller offers only those enabled for the dealer); audited."""
    with transaction.atomic():
        terminal.providers.set(providers)
        _audit(terminal, "providers", by, providers=sorted(p.code for p in providers))
    return terminal


def terminal_code_issue(*, terminal: Terminal, by=None) -> tuple[EnrollmentCode, str]:
    """Issue an enrollment code from the cabinet (audited; the clear code is only returned)."""
    with transaction.atomic():
        row, code = enrollment_code_issue(terminal=terminal, by=getattr(by, "username", "") or "")
        _audit(terminal, "enrollment_code", by, expires_at=row.expires_at.isoformat())
    return row, code
