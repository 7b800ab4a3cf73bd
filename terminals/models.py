from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import ZERO, MoneyField

digits = RegexValidator(r"^[0-9]{1,20}$", _("digits only"))


class Terminal(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")

    number = models.CharField(_("number"), max_length=20, unique=True, validators=[digits])
    dealer = models.ForeignKey("dealers.Dealer", verbose_name=_("dealer"), on_delete=models.PROTECT, related_name="terminals")
    address = models.CharField(_("address"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=64, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)
    providers = models.ManyToManyField("providers.Provider", blank=True, related_name="terminals",
                                       verbose_name=_("providers offered"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["number"]

    def __str__(self):
        return self.number


class EnrollmentCode(models.Model):
    """A one-time code that lets a terminal register its public key.

    Only the HMAC of the code is stored. Only the newest code of a terminal counts: issuing
    a new one supersedes the old and clears the lock that five wrong codes put on enrollment.
    """

    MAX_FAILURES = 5

    terminal = models.ForeignKey(Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="enrollment_codes")
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("wrong codes tried"), default=0)
    created_by = models.CharField(_("issued by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("enrollment code")
        verbose_name_plural = _("enrollment codes")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.terminal_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class TerminalNonce(models.Model):
    """Nonces seen in the last 600 s, when Redis is not configured (insert-unique = seen once)."""

    terminal = models.ForeignKey(Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(_("nonce"), max_length=64)
    seen_at = models.DateTimeField(_("seen at"), db_index=True)

    class Meta:
        verbose_name = _("request nonce")
        verbose_name_plural = _("request nonces")
        constraints = [models.UniqueConstraint(fields=["terminal", "nonce"], name="terminal_nonce_unique")]

    def __str__(self):
        return f"{self.terminal_id}:{self.nonce}"


class TerminalState(models.Model):
    """The live state a terminal reported in its last heartbeat (the cabinet shows it)."""

    terminal = models.OneToOneField(Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, primary_key=True, related_name="live")
    devices = models.JSONField(_("devices"), default=dict, blank=True)
    cash_notes = models.PositiveIntegerField(_("notes in the cash box"), default=0)
    cash_amount = MoneyField(_("cash in the cash box"), default=ZERO)
    cash_by_denomination = models.JSONField(_("notes by face value"), default=dict, blank=True)
    cassette_capacity = models.PositiveIntegerField(_("cassette capacity (notes)"), null=True, blank=True)
    queue_count = models.PositiveIntegerField(_("payments waiting to be sent"), default=0)
    queue_oldest_at = models.DateTimeField(_("oldest waiting payment paid at"), null=True, blank=True)
    rejected = models.JSONField(_("payments the server refused"), default=list, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("terminal live state")
        verbose_name_plural = _("terminal live states")

    def __str__(self):
        return f"{self.terminal_id} @ {self.reported_at:%Y-%m-%d %H:%M:%S}"


class Heartbeat(models.Model):
    """One heartbeat as reported: a bounded history per terminal (pruned by a beat task)."""

    terminal = models.ForeignKey(Terminal, verbose_name=_("terminal"), on_delete=models.CASCADE, related_name="heartbeats")
    reported_at = models.DateTimeField(_("reported at"))
    devices = models.JSONField(_("devices"), default=dict, blank=True)
    cash_notes = models.PositiveIntegerField(_("cash notes"), null=True, blank=True)
    cash_amount = MoneyField(_("cash amount"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")
        ordering = ["-id"]
        indexes = [models.Index(fields=["terminal", "-id"], name="heartbeat_terminal_idx")]

    def __str__(self):
        return f"{self.terminal_id} @ {self.reported_at:%Y-%m-%d %H:%M:%S}"


class TerminalAudit(models.Model):
    """Append-only: every action a person took on a terminal (block, unblock, codes, providers)."""

    terminal = models.ForeignKey(Terminal, verbose_name=_("terminal"), on_delete=models.PROTECT, related_name="audit")
    action = models.CharField(_("action"), max_length=32)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("terminal audit entry")
        verbose_name_plural = _("terminal audit")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.terminal_id} {self.action}"
