"""E-mail through Django's mail backend: one message per alert, or one digest."""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .base import Notifier


class EmailNotifier(Notifier):
    name = "email"

    def wants(self, user) -> bool:
        return bool(user.email)

    def send(self, *, user, alerts: Sequence, digest: bool) -> None:
        link = getattr(user, "dealer_link", None)
        language = (link.language if link else "") or settings.LANGUAGE_CODE
        with translation.override(language):
            if digest:
                subject = ngettext("%(n)d alert from your terminals", "%(n)d alerts from your terminals",
                                   len(alerts)) % {"n": len(alerts)}
            else:
                alert = alerts[0]
                where = alert.terminal.number if alert.terminal_id else alert.dealer.name
                subject = _("Alert: %(what)s (%(where)s)") % {"what": alert.get_code_display(), "where": where}
            body = render_to_string("alerts/email.txt", {
                "alerts": alerts, "digest": digest, "url": settings.KIT_SITE_URL.rstrip("/") + reverse("cabinet:alerts"),
                "tz": (link.time_zone or link.dealer.time_zone) if link else settings.TIME_ZONE,
            })
        send_mail(subject, body, None, [user.email])
