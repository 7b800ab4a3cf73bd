"""Remote commands: queued by people, delivered in heartbeat replies until acknowledged, then done or failed.

Delivery is at least once (a reply can be lost, so a delivered command goes out again until
an ack comes back); the kiosk makes execution at most once by remembering the ids it ran.
A command nobody acknowledged within KIT_COMMAND_EXPIRY_HOURS expires and is no longer sent.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Terminal, TerminalAudit, TerminalCommand

log = logging.getLogger(__name__)

State = TerminalCommand.State
Kind = TerminalCommand.Kind

# The one table of allowed moves. An expired command may still be acknowledged: the kiosk ran
# it, and the page should say what really happened.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.QUEUED: frozenset({State.DELIVERED, State.EXPIRED}),
    State.DELIVERED: frozenset({State.DONE, State.FAILED, State.EXPIRED}),
    State.EXPIRED: frozenset({State.DONE, State.FAILED}),
    State.DONE: frozenset(),
    State.FAILED: frozenset(),
}
OPEN = (State.QUEUED, State.DELIVERED)
# At most this many commands per heartbeat reply (oldest first); the rest follow in the next ones.
PER_REPLY = 20
MAX_TERMINALS = 500
# Acknowledgements in one heartbeat.
MAX_ACKS = 100


class CommandError(ValueError):
    """A command refused: `code` is stable, the message is for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Ack:
    id: int
    ok: bool
    message: str


def command_args(kind: str, *, release: str = "") -> dict:
    """The arguments a command of `kind` carries; only `update` has one (the release to install)."""
    if kind not in Kind.values:
        raise CommandError("unknown_kind", f"No command {kind!r}.")
    release = (release or "").strip()
    if kind == Kind.UPDATE:
        if not release or len(release) > 40 or not release.isprintable():
            raise CommandError("release_required", "An update names the release to install (up to 40 characters).")
        return {"release": release}
    return {}


def command_queue(*, terminals, kind: str, release: str = "", by=None) -> list[TerminalCommand]:
    """Queue one command of `kind` for each of `terminals` (the caller scoped them); one audit row each."""
    args = command_args(kind, release=release)
    terminals = list(terminals)
    if not terminals:
        raise CommandError("no_terminals", "Choose at least one terminal.")
    if len(terminals) > MAX_TERMINALS:
        raise CommandError("too_many_terminals", f"At most {MAX_TERMINALS} terminals at once.")
    user = by if getattr(by, "is_authenticated", False) else None
    expires = timezone.now() + timedelta(hours=settings.KIT_COMMAND_EXPIRY_HOURS)
    with transaction.atomic():
        rows = [TerminalCommand.objects.create(terminal=t, kind=kind, args=args, created_by=user,
                                               expires_at=expires) for t in terminals]
        TerminalAudit.objects.bulk_create([
            TerminalAudit(terminal=r.terminal, action="command", user=user,
                          detail={"command": r.pk, "kind": kind, **args}) for r in rows])
    return rows


def command_transition(*, command_id: int, to: str, **values) -> bool:
    """Move one command to `to` by compare-and-set from any state the table allows; False if none did."""
    sources = [s for s, targets in TRANSITIONS.items() if to in targets]
    return bool(TerminalCommand.objects.filter(pk=command_id, state__in=sources).update(state=to, **values))


def commands_expire(*, terminal_id: int | None = None) -> int:
    """Expire every open command past its time; returns how many."""
    now = timezone.now()
    qs = TerminalCommand.objects.filter(state__in=OPEN, expires_at__lte=now)
    if terminal_id is not None:
        qs = qs.filter(terminal_id=terminal_id)
    return qs.update(state=State.EXPIRED, finished_at=now)


def commands_deliver(*, terminal: Terminal) -> list[dict]:
    """The commands for this heartbeat reply: every open one not expired, oldest first; marks them delivered."""
    now = timezone.now()
    with transaction.atomic():
        commands_expire(terminal_id=terminal.pk)
        rows = list(TerminalCommand.objects.filter(terminal=terminal, state__in=OPEN)
                    .order_by("id").values_list("id", "kind", "args", "state")[:PER_REPLY])
        if not rows:
            return []
        ids = [r[0] for r in rows]
        TerminalCommand.objects.filter(pk__in=ids, state=State.QUEUED).update(state=State.DELIVERED, delivered_at=now)
        TerminalCommand.objects.filter(pk__in=ids).update(deliveries=F("deliveries") + 1)
    return [{"id": pk, "kind": kind, "args": _delivered_args(kind, args)} for pk, kind, args, _ in rows]


def _delivered_args(kind: str, args: dict) -> dict:
    """An `update` names its release; the kiosk also needs the archive's hash and size to check what it
    downloads, taken from the uploaded release when the command is delivered (unknown: sent as queued,
    and the kiosk refuses it with its reason in the acknowledgement). A `collect_logs` carries the
    server's limit of a log's text (KIT_TERMINAL_LOGS_MAX_BYTES), so the kiosk sends no more than that."""
    if kind == Kind.COLLECT_LOGS:
        return {**args, "max_bytes": settings.KIT_TERMINAL_LOGS_MAX_BYTES}
    if kind != Kind.UPDATE or "sha256" in args:
        return args
    from updates.models import Release
    from updates.selectors import update_command_args

    release = Release.objects.filter(version=args.get("release", "")).first()
    return {**args, **update_command_args(release)} if release is not None else args


def commands_acknowledge(*, terminal: Terminal, acks: list[Ack]) -> int:
    """Record the kiosk's acknowledgements; returns how many moved a command.

    An ack for an id that is not this terminal's, or for a command already finished, is
    ignored and logged (a repeated ack after a lost reply is normal; a foreign id is not).
    """
    if not acks:
        return 0
    now = timezone.now()
    known = dict(TerminalCommand.objects.filter(terminal=terminal, pk__in=[a.id for a in acks])
                 .values_list("pk", "state"))
    moved = 0
    with transaction.atomic():
        for ack in acks:
            if ack.id not in known:
                log.warning("terminal %s acknowledged unknown command id %s (ignored)", terminal.number, ack.id)
                continue
            to = State.DONE if ack.ok else State.FAILED
            if command_transition(command_id=ack.id, to=to, finished_at=now, message=ack.message[:255]):
                moved += 1
            else:
                log.info("terminal %s acknowledged command %s again (%s; ignored)", terminal.number, ack.id,
                         known[ack.id])
    return moved
