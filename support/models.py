"""The operators' audit: one append-only row for every action a person took on a payment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    """Append-only: who did what to which payment, when, the state before and after, and why.

    Written only by `support.services.audit_record`, inside the transaction of the action it
    records. Nobody edits or deletes a row, admins included (the admin shows it read-only).
    """

    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("operator"), on_delete=models.PROTECT,
                             related_name="+")
    # A stable code (poll, resend, correct, bulk_resend, cancel, reverse, resolve, approve, reject...).
    action = models.CharField(_("action"), max_length=32)
    payment = models.ForeignKey("payments.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="audit_entries")
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # The approval request this action belongs to (four eyes), as "<app>.<model>:<id>" so the
    # audit does not depend on where approvals live.
    approval = models.CharField(_("approval"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("operator audit")
        ordering = ["-id"]
        indexes = [
            # The audit list's filters: by payment (its page), by operator, by action; newest first.
            models.Index(fields=["payment", "-id"], name="audit_payment_idx"),
            models.Index(fields=["user", "-id"], name="audit_user_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.payment_id}"
