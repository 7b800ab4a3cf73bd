from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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


# What each TerminalAudit action is called on the pages (the row keeps the code).
AUDIT_ACTIONS = {
    "create": _("terminal created"),
    "block": _("blocked"),
    "unblock": _("unblocked"),
    "providers": _("services changed"),
    "enrollment_code": _("enrollment code issued"),
    "command": _("command queued"),
    "encashment_counted": _("bank count entered"),
    "log_downloaded": _("log downloaded"),
    "theme": _("theme assigned"),
}


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

    @property
    def action_text(self) -> str:
        """The action in words; an action without a name shows its code."""
        return str(AUDIT_ACTIONS.get(self.action, self.action))


# Russian banknotes in circulation (the 5- and 10-ruble notes are legal tender again).
RUBLE_NOTES = (5, 10, 50, 100, 200, 500, 1000, 2000, 5000)


class Encashment(models.Model):
    """One cash collection, as the kiosk closed and posted it: the notes taken out and the txns they cover.

    The kiosk's id is the idempotency key (unique per terminal). No ledger entry ever: the
    collected cash is the dealer's own; its balance moves only with payments, top-ups and transfers.
    """

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="encashments",
                                 verbose_name=_("terminal"))
    kiosk_id = models.UUIDField(_("kiosk's id"))
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"))
    notes = models.JSONField(_("notes by face value"), default=dict)
    notes_count = models.PositiveIntegerField(_("number of notes"), default=0)
    total = MoneyField(_("total of the notes"))
    # sha256 of the canonical body: the same id with other content is a 409.
    content_hash = models.CharField(_("content hash"), max_length=64)
    counted_amount = MoneyField(_("counted at the bank"), null=True, blank=True)
    counted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("counted amount entered by"))
    counted_at = models.DateTimeField(_("counted amount entered at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("encashment")
        verbose_name_plural = _("encashments")
        ordering = ["-closed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["terminal", "kiosk_id"], name="encashment_kiosk_id_unique")]
        indexes = [models.Index(fields=["terminal", "-closed_at"], name="encashment_terminal_idx")]

    def __str__(self):
        return f"{self.terminal_id} {self.closed_at:%Y-%m-%d %H:%M} {self.total}"


class EncashmentTxn(models.Model):
    """One txn the kiosk put in an encashment; `payment` is set once the payment is known here."""

    encashment = models.ForeignKey(Encashment, on_delete=models.CASCADE, related_name="txns",
                                   verbose_name=_("encashment"))
    # The encashment's terminal, repeated so pending rows are matched to payments without a join.
    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="+", verbose_name=_("terminal"))
    txn = models.CharField(_("transaction number"), max_length=20)
    payment = models.ForeignKey("payments.Payment", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="encashment_links", verbose_name=_("payment"))
    linked_at = models.DateTimeField(_("linked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("encashment transaction")
        verbose_name_plural = _("encashment transactions")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["encashment", "txn"], name="encashment_txn_unique")]
        indexes = [models.Index(fields=["terminal", "txn"], name="encashment_txn_pending_idx",
                                condition=models.Q(payment__isnull=True))]

    def __str__(self):
        return f"{self.encashment_id}:{self.txn}"


class TerminalCommand(models.Model):
    """A command for one terminal: delivered in every heartbeat reply until the kiosk acknowledges it.

    States move only through terminals.commands.command_transition (its table says which moves).
    """

    class Kind(models.TextChoices):
        RESTART = "restart", _("restart the kiosk program")
        RESEND_QUEUE = "resend_queue", _("resend the payment queue")
        REFRESH_CONFIG = "refresh_config", _("refresh the config")
        PRINT_TEST = "print_test", _("print a test page")
        COLLECT_LOGS = "collect_logs", _("collect the logs")
        UPDATE = "update", _("update the software")

    class State(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("command state", "queued")
        DELIVERED = "delivered", pgettext_lazy("command state", "delivered")
        DONE = "done", pgettext_lazy("command state", "done")
        FAILED = "failed", pgettext_lazy("command state", "failed")
        EXPIRED = "expired", pgettext_lazy("command state", "expired")

    terminal = models.ForeignKey(Terminal, on_delete=models.PROTECT, related_name="commands",
                                 verbose_name=_("terminal"))
    kind = models.CharField(_("command"), max_length=20, choices=Kind.choices)
    args = models.JSONField(_("arguments"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("queued by"))
    created_at = models.DateTimeField(_("queued at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    delivered_at = models.DateTimeField(_("first delivered at"), null=True, blank=True)
    deliveries = models.PositiveIntegerField(_("times delivered"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    message = models.CharField(_("kiosk's message"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("terminal command")
        verbose_name_plural = _("terminal commands")
        ordering = ["-id"]
        indexes = [models.Index(fields=["terminal", "id"], name="command_open_idx",
                                condition=models.Q(state__in=["queued", "delivered"]))]

    def __str__(self):
        return f"{self.terminal_id} {self.kind} #{self.pk} {self.state}"


class TerminalLog(models.Model):
    """A bundle of the kiosk program's own log, posted by the kiosk (for a `collect_logs` command or on its own).

    The text is kept gzip-compressed as the kiosk sent it (checked: one gzip stream of UTF-8 text);
    `size` and `sha256` are of the text. The kiosk's id is the idempotency key (unique per terminal).
    Only the newest KIT_TERMINAL_LOGS_KEEP bundles of a terminal are kept (terminals/logs.py).
    """

    terminal = models.ForeignKey(Terminal, on_delete=models.CASCADE, related_name="logs", verbose_name=_("terminal"))
    command = models.ForeignKey(TerminalCommand, null=True, blank=True, on_delete=models.SET_NULL, related_name="logs",
                                verbose_name=_("command"))
    kiosk_id = models.UUIDField(_("kiosk's id"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    size = models.PositiveIntegerField(_("size (bytes of text)"))
    lines = models.PositiveIntegerField(_("lines"))
    truncated = models.BooleanField(_("older lines left out"), default=False)
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    # sha256 of the canonical content (text, command, truncated): the same id with other content is a 409.
    content_hash = models.CharField(_("content hash"), max_length=64)
    gzip = models.BinaryField(_("text, gzip-compressed"))

    class Meta:
        verbose_name = _("kiosk log")
        verbose_name_plural = _("kiosk logs")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["terminal", "kiosk_id"], name="terminal_log_kiosk_id_unique")]
        indexes = [models.Index(fields=["terminal", "-id"], name="terminal_log_terminal_idx")]

    def __str__(self):
        return f"{self.terminal_id} {self.received_at:%Y-%m-%d %H:%M:%S} {self.size} B"
