from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import ZERO, MoneyField


class Dealer(models.Model):
    """A dealer or sub-agent; sub-agents hang below their parent to any depth.

    `path` is a materialised path ("/1/5/9/") so a subtree is one indexed prefix query.
    """

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children", verbose_name=_("parent dealer"))
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False, default="")
    name = models.CharField(_("name"), max_length=200)
    inn = models.CharField(_("INN"), max_length=12, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    support_phone = models.CharField(_("support phone (printed on cheques)"), max_length=32, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Moscow")
    balance = MoneyField(_("balance"), default=ZERO, editable=False)
    credit_limit = MoneyField(_("credit limit"), default=ZERO)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        ordering = ["path"]

    def __str__(self):
        return self.name


class DealerUser(models.Model):
    """Links a Django user to the one dealer whose subtree the user sees."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("dealer admin")    # everything in the cabinet for the dealer's subtree
        VIEWER = "viewer", _("dealer viewer")  # read-only

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="dealer_link")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="users")
    role = models.CharField(_("role"), max_length=8, choices=Role.choices, default=Role.ADMIN)
    # The viewer's own settings (cabinet account page); blank: the dealer's time zone, the site's language.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("dealer user")
        verbose_name_plural = _("dealer users")

    def __str__(self):
        return f"{self.user} @ {self.dealer}"


class LedgerEntry(models.Model):
    """Append-only: the only way a dealer's balance changes."""

    class Kind(models.TextChoices):
        TOPUP = "topup", _("top-up")
        PAYMENT_DEBIT = "payment_debit", _("payment debit")
        PAYMENT_CREDIT = "payment_credit", _("payment refund")
        REWARD = "reward", _("reward")
        ADJUSTMENT = "adjustment", _("adjustment")
        TRANSFER_OUT = "transfer_out", _("transfer to another dealer")
        TRANSFER_IN = "transfer_in", _("transfer from another dealer")

    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = MoneyField(_("amount"), help_text=_("negative for a debit"))
    balance_after = MoneyField(_("balance after"))
    payment = models.ForeignKey("payments.Payment", verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="ledger_entries")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    comment = models.CharField(_("comment"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-id"]
        indexes = [models.Index(fields=["dealer", "-id"])]

    def __str__(self):
        return f"{self.dealer_id} {self.kind} {self.amount}"


class DailyAggregate(models.Model):
    """Payments of one finished day per dealer, terminal, provider and status (reports read these).

    A day is the dealer's local date of `received_at`. Rebuilt whole per (dealer time zone, day)
    by `dealers.aggregates.aggregates_rebuild`, never written by acceptance.
    """

    day = models.DateField(_("day"))
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="+")
    terminal = models.ForeignKey("terminals.Terminal", verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey("providers.Provider", verbose_name=_("provider"), null=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=12)
    count = models.PositiveIntegerField(_("count"), default=0)
    amount = MoneyField(_("amount"), default=ZERO)
    fee = MoneyField(_("fee"), default=ZERO)
    credited = MoneyField(_("credited"), default=ZERO)
    reward = MoneyField(_("reward"), default=ZERO)

    class Meta:
        verbose_name = _("daily aggregate")
        verbose_name_plural = _("daily aggregates")
        indexes = [models.Index(fields=["dealer", "day"], name="aggregate_dealer_day_idx")]

    def __str__(self):
        return f"{self.day} {self.dealer_id}/{self.terminal_id}/{self.provider_id} {self.status}"


class AggregateDay(models.Model):
    """A day whose aggregates are built, per time zone; reports read live what has no row here."""

    time_zone = models.CharField(_("time zone"), max_length=64)
    day = models.DateField(_("day"))
    built_at = models.DateTimeField(_("built at"))

    class Meta:
        verbose_name = _("aggregated day")
        verbose_name_plural = _("aggregated days")
        constraints = [models.UniqueConstraint(fields=["time_zone", "day"], name="aggregate_day_unique")]

    def __str__(self):
        return f"{self.time_zone} {self.day}"


class AggregateCursor(models.Model):
    """The last payment event the aggregate task has looked at (later events mark their days stale)."""

    name = models.CharField(_("name"), max_length=32, unique=True)
    last_event_id = models.BigIntegerField(_("last event ID"), default=0)

    class Meta:
        verbose_name = _("aggregation cursor")
        verbose_name_plural = _("aggregation cursors")

    def __str__(self):
        return f"{self.name}@{self.last_event_id}"


class ExportJob(models.Model):
    """An XLSX export built by a worker; its owner downloads the file once it is done."""

    class State(models.TextChoices):
        PENDING = "pending", _("in progress")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="exports")
    kind = models.CharField(_("kind"), max_length=20)  # payments / ledger / report
    params = models.JSONField(_("params"), default=dict)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.CharField(_("error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.kind} #{self.pk} {self.state}"


class Reward(models.Model):
    """One dealer's share of the reward on one succeeded payment.

    Written with the payment's success (no dealer row touched), credited later by the
    settlement run as part of one `reward` ledger entry per dealer (`settlement`), exactly once.
    A reversal of the payment voids an accrued row, or reverses a settled one with a negative
    `reward` entry (`reversal`).
    """

    class State(models.TextChoices):
        ACCRUED = "accrued", _("accrued")
        SETTLED = "settled", _("credited")
        VOID = "void", _("void (payment reversed before crediting)")
        REVERSED = "reversed", _("reversed after crediting")

    payment = models.ForeignKey("payments.Payment", on_delete=models.PROTECT, related_name="rewards",
                                verbose_name=_("payment"))
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("dealer"))
    level = models.PositiveSmallIntegerField(_("level below the dealer"), help_text=_("0: the terminal's dealer"))
    amount = MoneyField(_("share"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACCRUED)
    created_at = models.DateTimeField(_("accrued at"), auto_now_add=True)
    settled_at = models.DateTimeField(_("credited at"), null=True, blank=True)
    settlement = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="settled_rewards", verbose_name=_("credited by entry"))
    reversal = models.ForeignKey(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reversed_rewards", verbose_name=_("reversed by entry"))

    class Meta:
        verbose_name = _("reward share")
        verbose_name_plural = _("reward shares")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["payment", "dealer"], name="reward_payment_dealer_unique")]
        indexes = [models.Index(fields=["dealer", "state"], name="reward_dealer_state_idx")]

    def __str__(self):
        return f"{self.payment_id}/{self.dealer_id} {self.amount} {self.state}"


class Transfer(models.Model):
    """Money moved between a dealer and one of its sub-agents (either way): two ledger entries."""

    source = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="transfers_out",
                               verbose_name=_("from dealer"))
    target = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="transfers_in",
                               verbose_name=_("to dealer"))
    amount = MoneyField(_("amount"))
    comment = models.CharField(_("comment"), max_length=255, blank=True)
    # The form's one-time key: a second submit of the same form finds this row instead of moving money again.
    key = models.UUIDField(_("request key"), unique=True)
    # Set in the transfer's own transaction, right after the row (the key) is inserted.
    out_entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("debit entry"))
    in_entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("credit entry"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   verbose_name=_("made by"))
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.source_id} -> {self.target_id} {self.amount}"


class TopUpRequest(models.Model):
    """A dealer's report of a bank transfer; an admin confirms it (a `topup` entry) or rejects it."""

    class State(models.TextChoices):
        PENDING = "pending", _("waiting for confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        REJECTED = "rejected", _("rejected")

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="topup_requests",
                               verbose_name=_("dealer"))
    amount = MoneyField(_("amount"))
    paid_on = models.DateField(_("date of the bank transfer"))
    order_number = models.CharField(_("payment order number"), max_length=32)
    scan = models.FileField(_("scan of the payment order"), upload_to="topups/%Y/%m/", blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason for rejection"), max_length=255, blank=True)
    key = models.UUIDField(_("request key"), unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("reported by"))
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    entry = models.OneToOneField(LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("ledger entry"))

    class Meta:
        verbose_name = _("top-up request")
        verbose_name_plural = _("top-up requests")
        ordering = ["-id"]
        permissions = [("confirm_topuprequest", _("Can confirm or reject top-up requests"))]

    def __str__(self):
        return f"{self.dealer} {self.amount} {self.order_number} {self.state}"


class BalanceAlert(models.Model):
    """A dealer's low-balance threshold (0: off). The alert itself, opened once per crossing and
    e-mailed, is the alerts app's `balance_low` (alerts/services.py)."""

    dealer = models.OneToOneField(Dealer, on_delete=models.CASCADE, primary_key=True, related_name="balance_alert",
                                  verbose_name=_("dealer"))
    threshold = MoneyField(_("alert when the available balance is below"), default=ZERO)

    class Meta:
        verbose_name = _("low-balance alert")
        verbose_name_plural = _("low-balance alerts")

    def __str__(self):
        return f"{self.dealer_id} < {self.threshold}"
