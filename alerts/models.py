from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .catalogue import Code


class Alert(models.Model):
    """One occurrence of a condition: opened when it starts, closed when it clears.

    `subject` names what the alert is about ("t<terminal id>" or "d<dealer id>"), so "one open
    alert per condition" is a unique constraint over (subject, code) while `closed_at` is null,
    for terminal and dealer alerts alike (a nullable terminal would not make NULLs collide).
    """

    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.CASCADE, related_name="alerts",
                               verbose_name=_("dealer"))
    terminal = models.ForeignKey("terminals.Terminal", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="alerts", verbose_name=_("terminal"))
    subject = models.CharField(_("subject"), max_length=24, editable=False)
    code = models.CharField(_("alert"), max_length=32, choices=Code.choices)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["subject", "code"], condition=Q(closed_at__isnull=True),
                                               name="alert_one_open_per_condition")]
        indexes = [models.Index(fields=["subject", "code", "-closed_at"], name="alert_subject_code_idx"),
                   models.Index(fields=["notified_at"], condition=Q(notified_at__isnull=True),
                                name="alert_unnotified_idx")]

    def __str__(self):
        return f"{self.subject} {self.code}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class AlertChoice(models.Model):
    """Which alert codes a user is notified of; no row means every code."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_choice",
                                verbose_name=_("user"))
    codes = models.JSONField(_("alert codes"), default=list, blank=True)

    class Meta:
        verbose_name = _("alert choice")
        verbose_name_plural = _("alert choices")

    def __str__(self):
        return f"{self.user_id}: {','.join(self.codes)}"
