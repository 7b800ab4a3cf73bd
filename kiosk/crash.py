"""The crash hook for the kill tests: KIOSK_CRASH_AT=<step>[:<nth>] kills this process with SIGKILL there.

Only tests set the variable; unset (production) the hook is one dictionary lookup and nothing else.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import Counter

log = logging.getLogger(__name__)

# Every place the flow can be cut, in the order a payment passes them.
STEPS = ("stacked_before_write", "note_written", "before_print", "after_print", "sending", "sent_before_mark")
_hits: Counter[str] = Counter()


def crash_point(step: str) -> None:
    wanted = os.environ.get("KIOSK_CRASH_AT")
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != step:
        return
    _hits[step] += 1
    if _hits[step] >= int(nth or 1):
        log.warning("KIOSK_CRASH_AT=%s: killing myself now", wanted)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os.kill(os.getpid(), signal.SIGKILL)
