"""The notifier interface: how an alert reaches a person. One module per channel.

A notifier gets one user and the alerts to tell that user about in one message: a single
alert, or several as a digest (more than KIT_ALERT_DIGEST_AFTER at once). It sends, and
raises on failure; it never touches the alert rows (the caller has already marked them
notified). To add a channel (SMS, a messenger): write `<channel>.py` with a subclass, add it
to NOTIFIERS in `__init__.py`, and name it in KIT_ALERT_NOTIFIERS.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence


class Notifier(ABC):
    name: str = ""

    def wants(self, user) -> bool:
        """Whether this channel can reach `user` at all (an e-mail address, a phone number...)."""
        return True

    @abstractmethod
    def send(self, *, user, alerts: Sequence, digest: bool) -> None:
        """Tell `user` about `alerts` in one message; `digest` when there are several."""
