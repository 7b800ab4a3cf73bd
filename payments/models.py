from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kit.money import ZERO, MoneyField

from .errors import Reason


class Status(models.TextChoices):
    ACCEPTED = "accepted", _("accepted")
    HELD = "held", _("held")
    PROCESSING = "processing", _("processing")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


# The support queue: what waits for a person. The condition of the partial index
# payment_queue_idx; support's queries filter with this very Q so PostgreSQL can prove
# the index covers them.
SUPPORT_QUEUE = models.Q(status__in=[Status.FAILED, Status.HELD]) | models.Q(
    status=Status.PROCESSING,
    reason__in=[Reason.OUTCOME_UNKNOWN, Reason.GATEWAY_CONFIG, Reason.NO_GATEWAY_AVAILABLE])


class Payment(models.Model):
    Status = Status

    terminal = models.ForeignKey("terminals.Terminal", verbose_name=_("terminal"), on_delete=models.PROTECT, related_name="payments")
    # The terminal's dealer when the payment was accepted: tenant scoping and the ledger use it.
    dealer = models.ForeignKey("dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="payments")
    txn = models.CharField(_("transaction number"), max_length=20)
    provider = models.ForeignKey("providers.Provider", verbose_name=_("provider"), null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="payments")
    provider_code = models.CharField(_("provider code as sent"), max_length=64)
    account = models.CharField(_("account"), max_length=64)
    # The account as the terminal sent it, kept when support corrects `account` (blank until then):
    # the terminal's request stays as received.
    account_sent = models.CharField(_("account as sent"), max_length=64, blank=True)
    fields = models.JSONField(_("extra fields"), default=dict, blank=True)
    amount = MoneyField(_("cash received"))
    fee = MoneyField(_("customer fee"), default=ZERO)
    credited = MoneyField(_("credited to provider"), default=ZERO)
    reward = MoneyField(_("dealer reward"), default=ZERO)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACCEPTED)
    reason = models.CharField(_("reason code"), max_length=40, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # sha256 of the request content: the same txn with other content is a conflict.
    content_hash = models.CharField(_("content hash"), max_length=64)
    cheque_number = models.CharField(_("cheque number"), max_length=48)
    paid_at = models.DateTimeField(_("paid at the terminal"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The gateway the payment is with now (pinned while an outcome is unknown).
    gateway = models.ForeignKey("gateways.Gateway", verbose_name=_("gateway"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="payments")
    next_try_at = models.DateTimeField(_("next try at"), null=True, blank=True)
    # Attempts made; never reset (submission reads the attempt history only when it is > 0).
    tries = models.PositiveIntegerField(_("tries"), default=0)
    # The sweeper's claim: set when it enqueues the payment, so the next sweep does not
    # enqueue it again while that message is on its way (compare-and-set, payments/services/sweep.py).
    leased_until = models.DateTimeField(_("enqueued, lease until"), null=True, blank=True)
    # A resend or a correction starts a new round: routing and the retry budget read only the
    # attempts of the current round, so gateways that declined an earlier round are tried again.
    round = models.PositiveIntegerField(_("round"), default=1)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-id"]
        constraints = [
            # The terminal's transaction number is its idempotency key.
            models.UniqueConstraint(fields=["terminal", "txn"], name="payment_terminal_txn_unique"),
        ]
        # Support's look-ups (support/selectors.py), one index per key printed on a cheque:
        #  terminal + txn        -> payment_terminal_txn_unique (above)
        #  cheque number         -> payment_cheque_idx
        #  account in a period   -> payment_account_paid_idx (account = ANY(phone notations), paid_at range);
        #                           it replaced payment_account_idx, whose column it leads with
        #  amount + day + terminal -> payment_terminal_paid_idx (terminal, paid_at range; amount filtered
        #                           among one terminal's day, a few hundred rows at most)
        #  attempt ids           -> Attempt: attempt_id unique, attempt_upstream_idx
        #  the queue             -> payment_queue_idx: partial, only the rows that wait for a person, in
        #                           queue order (received_at, id) for keyset pages; status and reason
        #                           ride along so the counts per reason are an index-only scan
        indexes = [
            models.Index(fields=["status", "next_try_at"], name="payment_due_idx"),
            models.Index(fields=["dealer", "-received_at"], name="payment_dealer_idx"),
            models.Index(fields=["account", "paid_at"], name="payment_account_paid_idx"),
            models.Index(fields=["cheque_number"], name="payment_cheque_idx"),
            models.Index(fields=["terminal", "paid_at"], name="payment_terminal_paid_idx"),
            models.Index(fields=["received_at", "id", "status", "reason"], name="payment_queue_idx",
                         condition=SUPPORT_QUEUE),
        ]

    def __str__(self):
        # The admin's title for the payment: the numbers printed on the cheque and the status in words.
        return gettext("Payment %(txn)s of terminal %(terminal)s: %(status)s") % {
            "txn": self.txn, "terminal": self.terminal.number, "status": self.get_status_display()}


class Event(models.Model):
    """Append-only: one row per state change (the support timeline)."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="events")
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12)
    reason = models.CharField(_("reason"), max_length=40, blank=True)
    actor = models.CharField(_("actor"), max_length=64, help_text=_("terminal:<n>, worker, sweeper, user:<username>"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        ordering = ["id"]

    def __str__(self):
        return f"{self.payment_id}: {self.from_status or '-'} -> {self.to_status}"


class Attempt(models.Model):
    """One try at a gateway under one attempt id (CyberPlat SESSION, QIWI transaction number...)."""

    class State(models.TextChoices):
        OPEN = "open", _("open")  # reserved or sent; the outcome is not recorded yet
        CLOSED = "closed", _("closed")

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="attempts")
    gateway = models.ForeignKey("gateways.Gateway", verbose_name=_("gateway"), on_delete=models.PROTECT, related_name="attempts")
    # Digits only, at most 18: CyberPlat's SESSION and QIWI's transaction number allow no more.
    attempt_id = models.CharField(_("attempt ID"), max_length=18, unique=True)
    round = models.PositiveIntegerField(_("round"), default=1)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, blank=True)  # ok / declined / retry / unknown / config
    result_code = models.CharField(_("result code"), max_length=32, blank=True)
    message = models.CharField(_("message"), max_length=255, blank=True)
    upstream_id = models.CharField(_("upstream ID"), max_length=64, blank=True)
    # The provider's id at this gateway when the attempt was made (status queries reuse it).
    remote_id = models.CharField(_("remote ID"), max_length=64, blank=True)
    polls = models.PositiveIntegerField(_("polls"), default=0, help_text=_("status queries made for this attempt"))
    exchange = models.JSONField(_("exchange"), default=list, blank=True, help_text=_("request/response summaries, secrets masked"))
    duration_ms = models.PositiveIntegerField(_("duration, ms"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gateway attempt")
        verbose_name_plural = _("gateway attempts")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["state", "gateway"], name="attempt_open_idx"),
            # Support finds a payment by the gateway's own transaction id (what its support quotes back).
            models.Index(fields=["upstream_id"], name="attempt_upstream_idx"),
        ]

    def __str__(self):
        return f"{self.attempt_id} @ {self.gateway_id} {self.outcome or self.state}"
