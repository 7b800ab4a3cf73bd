"""Reads: which terminals a group holds, whether a rollout reaches a terminal, what a terminal should get."""

from __future__ import annotations

import hashlib
from datetime import datetime, time

from django.db.models import Count, QuerySet
from django.utils import timezone

from kiosk.updates.manifest import ManifestError, version_tuple
from terminals.models import Terminal

from .models import Release, Rollout, TerminalGroup, TerminalUpdate

# A terminal that already reported one of these for a release is not sent it again by the rollout.
SETTLED = (TerminalUpdate.State.RUNNING, TerminalUpdate.State.ROLLED_BACK, TerminalUpdate.State.FAILED)


def group_terminals(group: TerminalGroup) -> QuerySet[Terminal]:
    if group.kind == TerminalGroup.Kind.DEALER:
        if group.dealer is None:
            return Terminal.objects.none()
        return Terminal.objects.filter(dealer__path__startswith=group.dealer.path)
    if group.kind == TerminalGroup.Kind.TAG:
        return Terminal.objects.filter(update_tags__tag=group.tag).distinct() if group.tag else Terminal.objects.none()
    return group.terminals.all()


def rollout_bucket(*, terminal_number: str, version: str) -> int:
    """0..99, fixed per terminal and release: a 30 % rollout raised to 60 % keeps its first 30 %."""
    digest = hashlib.sha256(f"{terminal_number}:{version}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def rollout_reaches(rollout: Rollout, terminal: Terminal) -> bool:
    return rollout_bucket(terminal_number=terminal.number, version=rollout.release.version) < rollout.percent


def in_window(rollout: Rollout, now: datetime) -> bool:
    """The schedule: not before starts_at, and inside the daily window (server time zone; may span midnight)."""
    if rollout.starts_at and now < rollout.starts_at:
        return False
    start, end = rollout.window_start, rollout.window_end
    if start is None or end is None:
        return True
    t: time = timezone.localtime(now).time()
    return start <= t < end if start <= end else (t >= start or t < end)


def running_version(terminal: Terminal) -> str:
    """"kit-kiosk/0.2.0" as reported -> "0.2.0"."""
    return (terminal.software_version or "").rpartition("/")[2]


def _vt(version: str) -> tuple[int, ...] | None:
    try:
        return version_tuple(version)
    except ManifestError:
        return None


def rollout_pending_for(terminal: Terminal, *, now: datetime | None = None) -> Release | None:
    """The release this terminal should be sent now, or None.

    The highest release of an active rollout in its window whose group holds the terminal and whose
    percentage reaches it; above the running version, not below its minimum; not one the terminal has
    already finished with (running, rolled back or failed: a rolled-back release waits for a person).
    """
    now = now or timezone.now()
    running = _vt(running_version(terminal))
    if running is None:
        return None
    settled = set()
    state = TerminalUpdate.objects.filter(terminal=terminal).first()
    if state is not None and state.state in SETTLED:
        settled.add(state.version)
    best = None
    rollouts = Rollout.objects.filter(status=Rollout.Status.ACTIVE).select_related("release", "group__dealer")
    for rollout in rollouts:
        release = rollout.release
        target = _vt(release.version)
        if target is None or target <= running or release.version in settled:
            continue
        if (_vt(release.min_version) or (0,)) > running:
            continue
        if not in_window(rollout, now) or not rollout_reaches(rollout, terminal):
            continue
        if not group_terminals(rollout.group).filter(pk=terminal.pk).exists():
            continue
        if best is None or target > _vt(best.version):
            best = release
    return best


def rollout_targets(rollout: Rollout) -> list[Terminal]:
    """The group's terminals the percentage reaches."""
    return [t for t in group_terminals(rollout.group).order_by("number") if rollout_reaches(rollout, t)]


def rollout_progress(rollout: Rollout) -> dict:
    """{"targets": n, "running_it": n, "states": {state: n}} for the terminals the rollout reaches."""
    targets = rollout_targets(rollout)
    ids = [t.pk for t in targets]
    version = rollout.release.version
    running_it = sum(1 for t in targets if running_version(t) == version)
    rows = (TerminalUpdate.objects.filter(terminal_id__in=ids, version=version)
            .values("state").annotate(n=Count("pk")))
    return {"targets": len(targets), "running_it": running_it, "states": {r["state"]: r["n"] for r in rows}}



def update_command_args(release: Release) -> dict:
    """The `args` of the `update` command a terminal gets for `release` (the kiosk's Updater.handle takes them)."""
    return {"version": release.version, "sha256": release.sha256, "size": release.size}


def cabinet_update_view(terminals: QuerySet[Terminal]) -> dict:
    """For the cabinet: each of `terminals` with its version and update state, and each active or paused
    rollout's progress counted over these terminals only (a dealer never sees other dealers' terminals)."""
    rows = list(terminals.select_related("update_state", "dealer").order_by("number"))
    ids = {t.pk for t in rows}
    rollouts = []
    for rollout in (Rollout.objects.exclude(status=Rollout.Status.STOPPED)
                    .select_related("release", "group__dealer").order_by("-id")[:20]):
        mine = [t for t in rollout_targets(rollout) if t.pk in ids]
        if not mine:
            continue
        version = rollout.release.version
        states = {}
        for t in rows:
            state = getattr(t, "update_state", None)
            if t in mine and state is not None and state.version == version:
                states[state.get_state_display()] = states.get(state.get_state_display(), 0) + 1
        rollouts.append({"rollout": rollout, "targets": len(mine),
                         "running_it": sum(1 for t in mine if running_version(t) == version),
                         "states": sorted(states.items())})
    return {"terminals": rows, "rollouts": rollouts}
