"""Kiosk software releases (signed offline, only stored here), terminal groups, rollouts, update states."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

version_format = RegexValidator(r"^[0-9]{1,6}(\.[0-9]{1,6}){0,3}$", _("a version like 0.3.0"))
tag_format = RegexValidator(r"^[a-z0-9][a-z0-9_-]{0,39}$", _("lower-case letters, digits, - and _"))


class Release(models.Model):
    """A release as built and signed on the build machine: the archive and its detached signed manifest.

    Rows are only created by release_upload after the signature verified against KIT_RELEASE_PUBLIC_KEYS."""

    version = models.CharField(_("version"), max_length=27, unique=True, validators=[version_format])
    min_version = models.CharField(_("minimum version it upgrades from"), max_length=27)
    archive = models.FileField(_("archive"), upload_to="kit-kiosk/")
    size = models.PositiveBigIntegerField(_("archive size, bytes"))
    sha256 = models.CharField(_("archive SHA-256"), max_length=64)
    manifest = models.JSONField(_("signed manifest"))
    file_count = models.PositiveIntegerField(_("files"))
    signed_by = models.CharField(_("signed by key"), max_length=64)
    uploaded_by = models.CharField(_("uploaded by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-id"]

    def __str__(self):
        return self.version


class TerminalTag(models.Model):
    """A label on a terminal that a group can select by (e.g. `pilot`, `moscow-north`)."""

    terminal = models.ForeignKey("terminals.Terminal", on_delete=models.CASCADE, related_name="update_tags",
                                 verbose_name=_("terminal"))
    tag = models.CharField(_("tag"), max_length=40, validators=[tag_format])

    class Meta:
        verbose_name = _("terminal tag")
        verbose_name_plural = _("terminal tags")
        constraints = [models.UniqueConstraint(fields=["terminal", "tag"], name="terminal_tag_unique")]

    def __str__(self):
        return f"{self.terminal_id}:{self.tag}"


class TerminalGroup(models.Model):
    class Kind(models.TextChoices):
        DEALER = "dealer", _("a dealer's terminals (with its sub-agents)")
        TAG = "tag", _("terminals with a tag")
        LIST = "list", _("a list of terminals")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("dealer"))
    tag = models.CharField(_("tag"), max_length=40, blank=True, validators=[tag_format])
    terminals = models.ManyToManyField("terminals.Terminal", blank=True, related_name="+",
                                       verbose_name=_("terminals"))

    class Meta:
        verbose_name = _("terminal group")
        verbose_name_plural = _("terminal groups")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Rollout(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        PAUSED = "paused", _("paused")
        STOPPED = "stopped", _("stopped")

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="rollouts",
                                verbose_name=_("release"))
    group = models.ForeignKey(TerminalGroup, on_delete=models.PROTECT, related_name="rollouts",
                              verbose_name=_("group"))
    percent = models.PositiveSmallIntegerField(_("share of the group, %"), default=100,
                                               validators=[MinValueValidator(1), MaxValueValidator(100)])
    starts_at = models.DateTimeField(_("not before"), null=True, blank=True)
    window_start = models.TimeField(_("daily window from"), null=True, blank=True)
    window_end = models.TimeField(_("daily window to"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.CharField(_("created by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rollout")
        verbose_name_plural = _("rollouts")
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=models.Q(percent__gte=1, percent__lte=100),
                                              name="rollout_percent_1_100")]

    def __str__(self):
        return f"{self.release} -> {self.group} ({self.percent}%)"


class RolloutEvent(models.Model):
    """Append-only: who created, paused, resumed or stopped a rollout, and when."""

    rollout = models.ForeignKey(Rollout, on_delete=models.PROTECT, related_name="events",
                                verbose_name=_("rollout"))
    action = models.CharField(_("action"), max_length=16)
    old_status = models.CharField(_("from"), max_length=10, blank=True, choices=Rollout.Status.choices)
    new_status = models.CharField(_("to"), max_length=10, choices=Rollout.Status.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             verbose_name=_("user"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("rollout event")
        verbose_name_plural = _("rollout events")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.rollout_id} {self.action}"


class TerminalUpdate(models.Model):
    """The update state a terminal last reported in its heartbeat."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        DOWNLOADING = "downloading", _("downloading")
        VERIFIED = "verified", _("verified")
        SWITCHED = "switched", _("switched")
        RUNNING = "running", _("running")
        ROLLED_BACK = "rolled_back", _("rolled back")
        FAILED = "failed", _("failed")

    terminal = models.OneToOneField("terminals.Terminal", on_delete=models.CASCADE, primary_key=True,
                                    related_name="update_state", verbose_name=_("terminal"))
    version = models.CharField(_("version being installed"), max_length=27)
    state = models.CharField(_("update state"), max_length=12, choices=State.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    reported_at = models.DateTimeField(_("reported at"))

    class Meta:
        verbose_name = _("terminal update state")
        verbose_name_plural = _("terminal update states")

    def __str__(self):
        return f"{self.terminal_id} {self.version} {self.state}"
