"""Notifier registry and delivery: which users hear of which alerts, through which channels."""

import logging
from collections import defaultdict

from django.conf import settings

from .base import Notifier
from .email import EmailNotifier
from .memory import MemoryNotifier

log = logging.getLogger(__name__)

# name -> class. A new channel is one module and one line here (no dynamic imports).
NOTIFIERS: dict[str, type[Notifier]] = {"email": EmailNotifier, "memory": MemoryNotifier}


def active_notifiers() -> list[Notifier]:
    out = []
    for name in settings.KIT_ALERT_NOTIFIERS:
        if name not in NOTIFIERS:
            log.error("KIT_ALERT_NOTIFIERS names an unknown notifier %r", name)
            continue
        out.append(NOTIFIERS[name]())
    return out


def recipients(dealer_ids) -> dict[int, list]:
    """dealer id -> its active users (with their alert choice loaded)."""
    from dealers.models import DealerUser

    out = defaultdict(list)
    links = (DealerUser.objects.select_related("user", "user__alert_choice", "dealer")
             .filter(dealer_id__in=dealer_ids, user__is_active=True).order_by("user_id"))
    for link in links:
        out[link.dealer_id].append(link.user)
    return out


def chosen(user, code: str) -> bool:
    choice = getattr(user, "alert_choice", None)
    return choice is None or code in choice.codes


def deliver(alerts: list) -> int:
    """Send `alerts` to their dealers' users; returns messages sent. A failing send is logged, not raised."""
    notifiers = active_notifiers()
    users = recipients({a.dealer_id for a in alerts})
    sent = 0
    for dealer_id, dealer_users in users.items():
        for user in dealer_users:
            mine = [a for a in alerts if a.dealer_id == dealer_id and chosen(user, a.code)]
            if not mine:
                continue
            digest = len(mine) > settings.KIT_ALERT_DIGEST_AFTER
            batches = [mine] if digest else [[a] for a in mine]
            for notifier in notifiers:
                if not notifier.wants(user):
                    continue
                for batch in batches:
                    try:
                        notifier.send(user=user, alerts=batch, digest=digest)
                        sent += 1
                    except Exception:  # noqa: BLE001 - one bad address or channel must not stop the others
                        log.exception("notifier %s to user %s failed", notifier.name, user.pk)
    return sent
