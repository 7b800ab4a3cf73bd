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

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="dealer_link")
    dealer = models.ForeignKey(Dealer, verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="users")
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
