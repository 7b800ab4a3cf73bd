"""The operators' audit: one append-only row for every action a person took on a payment."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import MoneyField

# The audit's action codes in words (the actions of ActionRequest.Action, plus the four-eyes
# steps and the claims' links); an unknown code shows as itself.
AUDIT_ACTION_WORDS = {
    "request": _("asked for approval"),
    "approve": _("approved"),
    "reject": _("rejected the request"),
    "expire": _("request expired"),
    "claim_register": _("claim registered"),
    "claim_link": _("claim linked"),
}


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

    @property
    def action_words(self) -> str:
        """The action in the reader's language."""
        words = AUDIT_ACTION_WORDS.get(self.action)
        if words is None:
            words = dict(ActionRequest.Action.choices).get(self.action, self.action)
        return str(words)


class ActionRequest(models.Model):
    """An operator's request for an action on a payment (or a bulk selection) that waits for a second person.

    Four eyes: an action the requester's role may not do alone is stored here and runs when a
    senior, not the requester, approves it before it expires. `payment_status` is the state the
    payment was in when asked: approval re-checks it, and a payment that moved meanwhile is
    refused with that reason. One pending request per payment and action (a double click
    makes one request).
    """

    class Action(models.TextChoices):
        RESEND = "resend", _("resend as is")
        CORRECT = "correct", _("correct and resend")
        BULK_RESEND = "bulk_resend", _("bulk resend")
        CANCEL = "cancel", _("cancel")
        REVERSE = "reverse", _("reverse")
        RESOLVE = "resolve", _("resolve the outcome")
        POLL = "poll", _("poll now")

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for approval")
        DONE = "done", _("approved and done")
        REFUSED = "refused", _("approved, but refused")
        REJECTED = "rejected", _("rejected")
        EXPIRED = "expired", _("expired")

    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    payment = models.ForeignKey("payments.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="action_requests")
    # What to do: account and provider (correct), outcome and reference (resolve), reference
    # (reverse), payment ids (bulk resend).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    amount = MoneyField(_("sum at stake"), default=0)
    payment_status = models.CharField(_("payment status when requested"), max_length=12, blank=True)
    payment_round = models.PositiveIntegerField(_("payment round when requested"), default=0)
    comment = models.TextField(_("comment"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"),
                                     on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    # What happened when it ran: the refusal's code and message, or a bulk resend's summary.
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("action request")
        verbose_name_plural = _("action requests")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "action"], condition=models.Q(state="pending"),
                                    name="action_request_one_pending"),
        ]
        indexes = [
            # The approvals page: pending requests, oldest first.
            models.Index(fields=["state", "id"], name="action_request_state_idx"),
        ]

    def __str__(self):
        return f"{self.action} {self.payment_id or ''} {self.state}"

    @property
    def link(self) -> str:
        """How the audit names this request (AuditEntry.approval)."""
        return f"support.actionrequest:{self.pk}"
