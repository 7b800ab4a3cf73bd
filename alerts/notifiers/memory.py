"""A notifier that keeps its messages in a list: for tests, and to see what would be sent."""

from collections.abc import Sequence

from .base import Notifier

# (username, [alert codes], digest) per message, in the order sent.
outbox: list[tuple[str, list[str], bool]] = []


class MemoryNotifier(Notifier):
    name = "memory"

    def send(self, *, user, alerts: Sequence, digest: bool) -> None:
        outbox.append((user.username, [a.code for a in alerts], digest))
