"""Customer claims: the claim, its append-only history, the number counter, the work calendar."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kit.money import MoneyField

from .storage import private_storage


class Status(models.TextChoices):
    REGISTERED = "registered", pgettext_lazy("claim", "registered")
    INVESTIGATING = "investigating", pgettext_lazy("claim", "investigating")
    RESOLVED = "resolved", pgettext_lazy("claim", "resolved")
    REJECTED = "rejected", pgettext_lazy("claim", "rejected")


class Outcome(models.TextChoices):
    CREDITED = "credited", pgettext_lazy("claim", "credited to the account")
    REFUNDED = "refunded", pgettext_lazy("claim", "cash refunded")
    EXPLAINED = "explained", pgettext_lazy("claim", "explained")


class Ask(models.TextChoices):
    """What the customer asks for."""

    CREDIT = "credit", pgettext_lazy("claim", "credit the account")
    REFUND = "refund", pgettext_lazy("claim", "refund the cash")


class CalendarDay(models.Model):
    """An exception to "Monday to Friday work": a holiday or a moved day off, or a Saturday worked.

    Seeded with the Russian production calendar (migration 0002); admins keep it up to date.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("non-working day")
        WORKDAY = "workday", _("working day")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("production calendar")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.get_kind_display()}"


class ClaimCounter(models.Model):
    """The last number given in a year; its row lock serialises registrations so numbers have no gaps."""

    year = models.PositiveIntegerField(_("year"), primary_key=True)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("claim number counter")
        verbose_name_plural = _("claim number counters")

    def __str__(self):
        return f"{self.year}: {self.last}"


class Claim(models.Model):
    Status = Status
    Outcome = Outcome
    Ask = Ask

    number = models.CharField(_("number"), max_length=16, unique=True)
    payment = models.ForeignKey("payments.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="claims")
    # The linked payment's dealer: the cabinet's scope and the list's filter.
    dealer = models.ForeignKey("dealers.Dealer", verbose_name=_("dealer"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="claims")
    # What the cheque says, as the operator typed it (it may match no payment).
    cheque_terminal = models.CharField(_("terminal number"), max_length=20, blank=True)
    cheque_txn = models.CharField(_("transaction number"), max_length=20, blank=True)
    cheque_paid_at = models.DateTimeField(_("date and time on the cheque"), null=True, blank=True)
    cheque_amount = MoneyField(_("amount on the cheque"), null=True, blank=True)
    cheque_account = models.CharField(_("account"), max_length=64, blank=True)
    cheque_provider = models.CharField(_("provider"), max_length=200, blank=True)

    customer_name = models.CharField(_("customer's name"), max_length=200)
    customer_phone = models.CharField(_("customer's phone"), max_length=16)
    customer_email = models.EmailField(_("customer's e-mail"), blank=True)
    ask = models.CharField(_("the customer asks to"), max_length=8, choices=Ask.choices)
    text = models.TextField(_("the claim's text"))
    scan = models.FileField(_("cheque scan"), storage=private_storage, upload_to="claims/%Y/", blank=True)
    scan_type = models.CharField(_("scan type"), max_length=32, blank=True)
    # Handling a claim performs a contract (152-FZ art. 6 p. 1 item 5): no consent, but the
    # version of the privacy notice the form showed is kept.
    privacy_notice = models.CharField(_("privacy notice version shown"), max_length=32)

    received_at = models.DateTimeField(pgettext_lazy("claim", "received"))
    due_at = models.DateTimeField(_("answer due by"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"),
                                      on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # The registration form's one-time key: a second submit of the same form finds the first claim.
    request_key = models.CharField(_("form key"), max_length=36, unique=True, null=True, blank=True,
                                   editable=False)

    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    answer = models.TextField(_("answer to the customer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    # Set by the overdue task the first time it finds the claim open past its deadline.
    overdue_since = models.DateTimeField(_("overdue since"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="claim_open_due_idx"),
            models.Index(fields=["cheque_terminal", "cheque_txn"], name="claim_cheque_idx"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in (Status.REGISTERED, Status.INVESTIGATING)


class Step(models.Model):
    """Append-only claim history: every step has an author, a time and a comment."""

    class Kind(models.TextChoices):
        REGISTERED = "registered", pgettext_lazy("claim", "registered")
        INVESTIGATING = "investigating", pgettext_lazy("claim", "investigation started")
        RESOLVED = "resolved", pgettext_lazy("claim", "resolved")
        REJECTED = "rejected", pgettext_lazy("claim", "rejected")
        LINKED = "linked", pgettext_lazy("claim", "payment linked")
        ESCALATED = "escalated", pgettext_lazy("claim", "escalated to a gateway")
        OVERDUE = "overdue", pgettext_lazy("claim", "deadline missed")

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=16, choices=Kind.choices)
    from_status = models.CharField(_("from"), max_length=16, blank=True)
    to_status = models.CharField(_("to"), max_length=16, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"))
    gateway = models.ForeignKey("gateways.Gateway", verbose_name=_("gateway"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("gateway's reference"), max_length=100, blank=True)
    happened_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim step")
        verbose_name_plural = _("claim history")
        ordering = ["id"]

    def __str__(self):
        return f"{self.claim_id} {self.kind}"


class OverdueNotice(models.Model):
    """One row per claim and day an overdue e-mail went out: the unique pair keeps it to one a day."""

    claim = models.ForeignKey(Claim, verbose_name=_("claim"), on_delete=models.PROTECT, related_name="notices")
    day = models.DateField(_("day"))
    sent_to = models.JSONField(_("sent to"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("overdue notice")
        verbose_name_plural = _("overdue notices")
        constraints = [models.UniqueConstraint(fields=["claim", "day"], name="claim_notice_once_a_day")]

    def __str__(self):
        return f"{self.claim_id} {self.day}"
