"""Writes: release upload (verify only; the server holds no private release key), rollouts, update states."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone

from kiosk.updates.manifest import ManifestError, verify_signed
from terminals.models import Terminal

from .errors import Refusal, ReleaseRefused, RolloutMoveRefused
from .models import Release, Rollout, RolloutEvent, TerminalGroup, TerminalUpdate

MAX_MANIFEST_BYTES = 2 << 20

MANIFEST_CODES = {"unsigned": Refusal.UNSIGNED, "bad_signature": Refusal.BAD_SIGNATURE}


def release_keys() -> list[str]:
    return list(getattr(settings, "KIT_RELEASE_PUBLIC_KEYS", []) or [])


def _signer(doc: dict) -> str:
    chain = doc.get("chain") or []
    return chain[-1]["public_key"] if chain else "built-in"


def release_upload(*, archive: File, manifest: bytes, by: str = "") -> Release:
    """Store a release whose detached manifest verifies against KIT_RELEASE_PUBLIC_KEYS and whose archive
    is the one the manifest names; ReleaseRefused (with a stable code) otherwise."""
    keys = release_keys()
    if not keys:
        raise ReleaseRefused(Refusal.NO_KEYS)
    if len(manifest) > MAX_MANIFEST_BYTES:
        raise ReleaseRefused(Refusal.BAD_MANIFEST, "over 2 MiB")
    try:
        doc = json.loads(manifest.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ReleaseRefused(Refusal.UNSIGNED, "not JSON") from None
    try:
        signed = verify_signed(doc, keys)
    except ManifestError as exc:
        raise ReleaseRefused(MANIFEST_CODES.get(exc.code, Refusal.BAD_MANIFEST), str(exc)) from None
    digest = hashlib.sha256()
    size = 0
    archive.seek(0)
    for chunk in archive.chunks():
        digest.update(chunk)
        size += len(chunk)
    if size != signed["archive"]["size"] or digest.hexdigest() != signed["archive"]["sha256"]:
        raise ReleaseRefused(Refusal.ARCHIVE_MISMATCH)
    version = signed["version"]
    if Release.objects.filter(version=version).exists():
        raise ReleaseRefused(Refusal.DUPLICATE_VERSION, version)
    archive.seek(0)
    release = Release(version=version, min_version=signed["min_version"], size=size, sha256=digest.hexdigest(),
                      manifest=doc, file_count=len(signed["files"]), signed_by=_signer(doc), uploaded_by=by)
    try:
        with transaction.atomic():
            release.archive.save(f"kiosk-{version}.tar.gz", archive, save=False)
            release.save()
    except IntegrityError:
        release.archive.delete(save=False)
        raise ReleaseRefused(Refusal.DUPLICATE_VERSION, version) from None
    return release


# The only status changes a rollout has; stopped is final.
ROLLOUT_MOVES = {
    Rollout.Status.ACTIVE: {Rollout.Status.PAUSED, Rollout.Status.STOPPED},
    Rollout.Status.PAUSED: {Rollout.Status.ACTIVE, Rollout.Status.STOPPED},
    Rollout.Status.STOPPED: set(),
}
ACTIONS = {Rollout.Status.PAUSED: "pause", Rollout.Status.ACTIVE: "resume", Rollout.Status.STOPPED: "stop"}


def rollout_create(*, release: Release, group: TerminalGroup, percent: int = 100, starts_at=None,
                   window_start=None, window_end=None, user=None) -> Rollout:
    with transaction.atomic():
        rollout = Rollout.objects.create(release=release, group=group, percent=percent, starts_at=starts_at,
                                         window_start=window_start, window_end=window_end,
                                         created_by=user.get_username() if user else "")
        RolloutEvent.objects.create(rollout=rollout, action="create", new_status=rollout.status, user=user)
    return rollout


def rollout_move(*, rollout: Rollout, to: str, user=None) -> Rollout:
    """Pause, resume or stop; compare-and-set on the status, an event row with it. A repeat is a no-op."""
    with transaction.atomic():
        current = Rollout.objects.select_for_update().get(pk=rollout.pk)
        if current.status == to:
            return current
        if to not in ROLLOUT_MOVES[current.status]:
            raise RolloutMoveRefused(f"{current.status} -> {to}")
        Rollout.objects.filter(pk=current.pk, status=current.status).update(status=to)
        RolloutEvent.objects.create(rollout=current, action=ACTIONS[to], old_status=current.status,
                                    new_status=to, user=user)
        current.status = to
    return current


def terminal_update_record(*, terminal: Terminal, version: str, state: str, reason: str = "") -> TerminalUpdate:
    """What the heartbeat's `update` part says: the terminal's own account of its last update."""
    row, _ = TerminalUpdate.objects.update_or_create(
        terminal=terminal, defaults={"version": version, "state": state, "reason": reason,
                                     "reported_at": timezone.now()})
    return row


def rollout_commands_queue(*, terminal: Terminal, now=None):
    """Queue the `update` command for the release a rollout has due for this terminal, once per release.

    Called on each heartbeat, before the reply's commands are chosen. A command that expired
    undelivered is queued again; one the kiosk failed is not (a person looks at the reason first).
    Returns the new command, or None.
    """
    from terminals.commands import command_queue
    from terminals.models import TerminalCommand

    from .selectors import rollout_pending_for

    if not Rollout.objects.filter(status=Rollout.Status.ACTIVE).exists():
        return None
    release = rollout_pending_for(terminal, now=now)
    if release is None:
        return None
    sent = (TerminalCommand.objects.filter(terminal=terminal, kind=TerminalCommand.Kind.UPDATE,
                                           args__release=release.version)
            .exclude(state=TerminalCommand.State.EXPIRED))
    if sent.exists():
        return None
    return command_queue(terminals=[terminal], kind=TerminalCommand.Kind.UPDATE, release=release.version)[0]
