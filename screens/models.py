"""What the kiosk's customer screens show: themes, ads, and the images both use."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

WEEKDAYS = [("1", _("Mon")), ("2", _("Tue")), ("3", _("Wed")), ("4", _("Thu")), ("5", _("Fri")),
            ("6", _("Sat")), ("7", _("Sun"))]

colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("A colour is # and six hex digits, e.g. #1a73e8."))


class ScreenImage(models.Model):
    """An uploaded image, addressed by the SHA-256 of its bytes (the kiosk caches by this hash).

    Kept in the database: images are small (KIT_SCREEN_IMAGE_MAX_BYTES) and every web
    process then serves the same bytes without a shared file system.
    """

    sha256 = models.CharField(_("SHA-256"), max_length=64, primary_key=True)
    content_type = models.CharField(_("content type"), max_length=32)
    data = models.BinaryField(_("bytes"))
    size = models.PositiveIntegerField(_("size, bytes"))
    width = models.PositiveIntegerField(_("width"))
    height = models.PositiveIntegerField(_("height"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("screen image")
        verbose_name_plural = _("screen images")

    def __str__(self):
        return f"{self.sha256[:12]} ({self.content_type}, {self.size} B)"


class Theme(models.Model):
    """Colours, logo and layout of the customer screens. No dealer: a global theme any dealer may pick."""

    class Layout(models.TextChoices):
        TILES = "tiles", _("tiles")
        LIST = "list", _("list")
        LARGE = "large", _("large buttons")

    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="themes", verbose_name=_("dealer (empty: global)"))
    name = models.CharField(_("name"), max_length=100)
    layout = models.CharField(_("layout"), max_length=10, choices=Layout.choices, default=Layout.TILES)
    background = models.CharField(_("background colour"), max_length=7, validators=[colour], default="#ffffff")
    text = models.CharField(_("text colour"), max_length=7, validators=[colour], default="#1f2933")
    accent = models.CharField(_("accent colour"), max_length=7, validators=[colour], default="#1a73e8")
    button_text = models.CharField(_("button text colour"), max_length=7, validators=[colour], default="#ffffff")
    logo = models.ForeignKey(ScreenImage, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("logo"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class ThemeAssignment(models.Model):
    """The theme a terminal shows (none: the kiosk program's default look)."""

    terminal = models.OneToOneField("terminals.Terminal", on_delete=models.CASCADE, primary_key=True,
                                    related_name="theme_assignment", verbose_name=_("terminal"))
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("theme"))
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    verbose_name=_("assigned by"))
    assigned_at = models.DateTimeField(_("assigned at"), auto_now=True)

    class Meta:
        verbose_name = _("theme assignment")
        verbose_name_plural = _("theme assignments")

    def __str__(self):
        return f"{self.terminal_id} -> {self.theme_id}"


class Ad(models.Model):
    """An image or a text shown at a screen position inside its schedule, in the dealer's time zone.

    The schedule: dates (inclusive), ISO weekdays (1 = Monday), and a daily window of hours
    [time_from, time_to). No dealer: a global ad, shown on every terminal when `all_terminals`.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("image")
        TEXT = "text", _("text")

    class Position(models.TextChoices):
        TOP = "top", _("banner at the top")
        BOTTOM = "bottom", _("banner at the bottom")
        IDLE = "idle", _("full screen while idle")

    dealer = models.ForeignKey("dealers.Dealer", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="ads", verbose_name=_("dealer (empty: global)"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.TEXT)
    text = models.CharField(_("text"), max_length=280, blank=True)
    image = models.ForeignKey(ScreenImage, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("image"))
    position = models.CharField(_("screen position"), max_length=6, choices=Position.choices,
                                default=Position.BOTTOM)
    date_from = models.DateField(_("from date"))
    date_to = models.DateField(_("to date (inclusive)"))
    weekdays = models.CharField(_("days of week"), max_length=7, default="1234567",
                                validators=[RegexValidator(r"^[1-7]{1,7}$", _("ISO weekdays 1-7"))])
    time_from = models.TimeField(_("from time"))
    time_to = models.TimeField(_("to time"))
    all_terminals = models.BooleanField(_("on all terminals"), default=False)
    terminals = models.ManyToManyField("terminals.Terminal", blank=True, related_name="ads",
                                       verbose_name=_("terminals"))
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("ad")
        verbose_name_plural = _("ads")
        ordering = ["date_from", "time_from", "id"]

    def __str__(self):
        return self.name

    @property
    def weekdays_display(self) -> str:
        return ", ".join(str(label) for day, label in WEEKDAYS if day in self.weekdays)
