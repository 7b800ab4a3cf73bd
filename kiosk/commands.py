"""Remote commands from the heartbeat's answer: each id runs at most once, its result is acknowledged later.

The store records an id before the command runs (a crash after that leaves it acknowledged as
failed, never run twice); the next heartbeat carries the acknowledgements (sync.heartbeat_doc).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from .devices.escpos import Line

log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


class Commands:
    """Runs the commands of one heartbeat answer. `actions` holds what only the program can do
    (restart, resend the queue); the rest is done here with the flow's devices and the store."""

    def __init__(self, *, flow, client, link, actions: dict[str, Callable[[], object]] | None = None):
        self.flow = flow
        self.client = client
        self.link = link
        self.actions = actions or {}

    def run(self, commands: list) -> int:
        """Run each new command of the answer; returns how many ran now (repeats are skipped)."""
        ran = 0
        for command in commands if isinstance(commands, list) else []:
            if not isinstance(command, dict) or not isinstance(command.get("id"), int):
                continue
            pk, kind, args = command["id"], str(command.get("kind", "")), command.get("args") or {}
            if kind == "restart":
                # The program ends on the restart: its result is recorded first, acknowledged by the next run.
                if self.flow.store.command_begin(pk=pk, kind=kind, now=_now(), ok=True, message="restarted"):
                    ran += 1
                    log.warning("command %s: restart", pk)
                    self.actions.get("restart", lambda: None)()
                continue
            if not self.flow.store.command_begin(pk=pk, kind=kind, now=_now()):
                continue  # ran before; its acknowledgement is on its way
            ran += 1
            try:
                ok, message = self.execute(kind, args, pk=pk)
            except Exception as exc:  # noqa: BLE001 - the dealer sees why it failed
                log.exception("command %s (%s) failed", pk, kind)
                ok, message = False, f"error: {exc}"[:255]
            log.info("command %s (%s): %s %s", pk, kind, "ok" if ok else "failed", message)
            self.flow.store.command_result(pk, ok=ok, message=message)
        return ran

    def execute(self, kind: str, args: dict, *, pk: int | None = None) -> tuple[bool, str]:
        if kind == "refresh_config":
            from .sync import config_refresh

            self.flow.store.meta_set("config_etag", "")  # fetched whole, even if nothing changed
            ok = config_refresh(store=self.flow.store, client=self.client, link=self.link)
            cached, _ = self.flow.store.config_cached()
            return ok, f"config {cached.get('config_version', '')}" if ok and cached else "server not reached"
        if kind == "resend_queue":
            action = self.actions.get("resend_queue")
            if action is None:
                return False, "no sender"
            action()
            return True, f"{self.flow.store.queue_summary()['count']} in the queue"
        if kind == "print_test":
            self.flow.printer.print_lines([Line("ТЕСТ ПРИНТЕРА", bold=True, align="center"),
                                           Line(f"Терминал № {self.flow.cfg.terminal}"), Line(_now())])
            return True, "printed"
        if kind == "update":
            action = self.actions.get("update")
            if action is None:
                return False, "no updater"
            return action(args)  # accepted or refused now; the outcome follows in the heartbeat's `update`
        if kind == "collect_logs":
            from .logs import send_logs

            # Once, now: offline it fails with the reason (the dealer queues another one).
            return send_logs(cfg=self.flow.cfg, client=self.client, link=self.link, command=pk,
                             max_bytes=args.get("max_bytes") if isinstance(args, dict) else None)
        return False, f"unknown command {kind!r}"
