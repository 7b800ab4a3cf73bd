"""Daily reconciliation with each gateway: one row per gateway and day, its discrepancies,
the registries admins upload for real gateways, and an append-only audit of everything done."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.money import MoneyField


class Reconciliation(models.Model):
    class Status(models.TextChoices):
        AWAITING_REGISTRY = "awaiting_registry", _("awaiting registry")
        OPEN = "open", _("open discrepancies")
        RECONCILED = "reconciled", _("reconciled")

    class Source(models.TextChoices):
        NONE = "", _("none")
        SIMULATOR = "simulator", _("fetched from the simulator")
        UPLOAD = "upload", _("uploaded file")

    gateway = models.ForeignKey("gateways.Gateway", verbose_name=_("gateway"), on_delete=models.PROTECT, related_name="reconciliations")
    # The registry's day in Moscow time (the gateways' business day).
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices,
                              default=Status.AWAITING_REGISTRY)
    source = models.CharField(_("registry source"), max_length=10, choices=Source.choices, blank=True)
    upload = models.ForeignKey("RegistryUpload", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("registry file used"))
    their_count = models.PositiveIntegerField(_("rows in their registry"), default=0)
    their_paid_total = MoneyField(_("paid in their registry"), default=0)
    our_count = models.PositiveIntegerField(_("our successful attempts"), default=0)
    our_paid_total = MoneyField(_("our successful total"), default=0)
    matched_count = models.PositiveIntegerField(_("matched"), default=0)
    open_count = models.PositiveIntegerField(_("open discrepancies"), default=0)
    discrepancy_count = models.PositiveIntegerField(_("discrepancies (all)"), default=0)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    # Why the last run had no registry (fetch error code and text); blank when it had one.
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "gateway__code"]
        permissions = [("resolve_discrepancy", "Can resolve reconciliation discrepancies")]
        constraints = [models.UniqueConstraint(fields=["gateway", "day"], name="reconciliation_gateway_day_unique")]

    def __str__(self):
        return f"{self.gateway.code} {self.day:%Y-%m-%d} {self.status}"


class Discrepancy(models.Model):
    class Kind(models.TextChoices):
        MISSING_OURS = "missing_ours", _("missing on our side")
        MISSING_THEIRS = "missing_theirs", _("missing on their side")
        AMOUNT_DIFFERS = "amount_differs", _("amount differs")
        STATUS_DIFFERS = "status_differs", _("status differs")
        DUPLICATE_THEIRS = "duplicate_theirs", _("duplicate on their side")

    class State(models.TextChoices):
        OPEN = "open", _("open")
        RESOLVED = "resolved", _("resolved")
        # No longer seen by a later run (e.g. a pending payment finished): closed with a note.
        GONE = "gone", _("closed automatically")

    reconciliation = models.ForeignKey(Reconciliation, verbose_name=_("reconciliation"), on_delete=models.CASCADE, related_name="discrepancies")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    key = models.CharField(_("key (our attempt id)"), max_length=64)
    account = models.CharField(_("account"), max_length=64, blank=True)
    our_amount = MoneyField(_("our amount"), null=True, blank=True)
    our_status = models.CharField(_("our status"), max_length=20, blank=True)
    their_amount = MoneyField(_("their amount"), null=True, blank=True)
    their_status = models.CharField(_("their status"), max_length=20, blank=True)
    upstream_id = models.CharField(_("their id"), max_length=64, blank=True)
    payment = models.ForeignKey("payments.Payment", verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT,
                                related_name="discrepancies")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["reconciliation", "kind", "key"]
        constraints = [
            # Re-running a day never reports the same thing twice.
            models.UniqueConstraint(fields=["reconciliation", "kind", "key"], name="discrepancy_unique_per_run_key"),
        ]

    def __str__(self):
        return f"{self.kind} {self.key} ({self.state})"


class RegistryUpload(models.Model):
    """A registry file an admin uploaded for a real gateway and day (validated before it is stored)."""

    gateway = models.ForeignKey("gateways.Gateway", verbose_name=_("gateway"), on_delete=models.PROTECT, related_name="registry_uploads")
    day = models.DateField(_("day"))
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    # The file as uploaded (UTF-8 text): a day's registry is small, and keeping it in the
    # database keeps it with the reconciliation it explains (no media volume to back up).
    content = models.TextField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registry file")
        verbose_name_plural = _("registry files")
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["gateway", "day", "-uploaded_at"], name="registry_upload_latest_idx")]

    def __str__(self):
        return f"{self.gateway_id} {self.day} {self.filename}"


class ReconciliationEvent(models.Model):
    """Append-only audit: runs, uploads, discrepancies opened / closed / reopened, resolutions."""

    class Kind(models.TextChoices):
        RUN = "run", _("run")
        UPLOADED = "uploaded", _("registry uploaded")
        OPENED = "opened", _("discrepancy found")
        UPDATED = "updated", _("discrepancy changed")
        REOPENED = "reopened", _("discrepancy seen again")
        CLOSED = "closed", _("discrepancy closed automatically")
        RESOLVED = "resolved", _("discrepancy resolved")

    reconciliation = models.ForeignKey(Reconciliation, verbose_name=_("reconciliation"), on_delete=models.CASCADE, related_name="events")
    discrepancy = models.ForeignKey(Discrepancy, verbose_name=_("discrepancy"), null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    actor = models.CharField(_("actor"), max_length=64, help_text=_("user:<username>, beat, command"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    note = models.TextField(_("note"), blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reconciliation event")
        verbose_name_plural = _("reconciliation events")
        ordering = ["id"]

    def __str__(self):
        return f"{self.reconciliation_id}: {self.kind}"
