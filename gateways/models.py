from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.crypto import EncryptedTextField


class Gateway(models.Model):
    class Code(models.TextChoices):
        CYBERPLAT = "cyberplat", _("CyberPlat")
        OSMP = "osmp", _("OSMP / QIWI")
        CONTACT = "contact", _("Contact")
        COMEPAY = "comepay", _("ComePay")
        PROVIDER = "provider", _("Provider protocol (direct)")

    code = models.SlugField(_("code"), unique=True, max_length=32)
    name = models.CharField(_("name"), max_length=100)
    protocol = models.CharField(_("protocol"), max_length=20, choices=Code.choices)
    base_url = models.URLField(_("base URL"), max_length=300)
    # Non-secret protocol parameters (dealer / point / operator codes, key serials, paths).
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # Secrets: encrypted at rest with KIT_FIELD_KEY; admin never shows them again.
    secret = EncryptedTextField(_("password / secret"), blank=True)
    private_key = EncryptedTextField(_("our private key (PEM)"), blank=True)
    peer_public_key = models.TextField(_("gateway public key (PEM)"), blank=True)
    connect_timeout = models.FloatField(_("connect timeout, s"), default=3.0)
    read_timeout = models.FloatField(_("read timeout, s"), default=5.0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gateway")
        verbose_name_plural = _("gateways")
        ordering = ["code"]

    def __str__(self):
        return self.name


class Route(models.Model):
    """Provider -> gateway, tried by priority (lower first), weighted within one priority."""

    provider = models.ForeignKey("providers.Provider", verbose_name=_("provider"), on_delete=models.CASCADE, related_name="routes")
    gateway = models.ForeignKey(Gateway, verbose_name=_("gateway"), on_delete=models.PROTECT, related_name="routes")
    dealer = models.ForeignKey("dealers.Dealer", verbose_name=_("dealer"), null=True, blank=True, on_delete=models.CASCADE,
                               help_text=_("Set: this dealer's override; its routes replace the default ones."))
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)
    weight = models.PositiveSmallIntegerField(_("weight"), default=100)
    remote_id = models.CharField(_("provider id at the gateway"), max_length=64)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")
        ordering = ["provider", "dealer", "priority", "-weight"]
        # One route per provider + gateway by default and one per dealer override. Two partial
        # unique indexes rather than NULLS NOT DISTINCT: SQLite (make run) enforces these too.
        constraints = [
            models.UniqueConstraint(fields=["provider", "gateway", "dealer"], name="route_unique_per_dealer",
                                    condition=models.Q(dealer__isnull=False)),
            models.UniqueConstraint(fields=["provider", "gateway"], name="route_unique_default",
                                    condition=models.Q(dealer__isnull=True)),
        ]

    def __str__(self):
        return f"{self.provider.code} -> {self.gateway.code} (p{self.priority}, w{self.weight})"


class GatewayHealth(models.Model):
    """The circuit breaker's state for one gateway (gateways/breaker.py moves it).

    closed: in rotation. open: taken out after repeated technical failures (or one
    configuration error) until `opened_at` + the cool-down. half_open: one trial attempt
    is let through (`trial_at`); its success closes the breaker, a failure opens it again.
    """

    class State(models.TextChoices):
        CLOSED = "closed", _("closed (in rotation)")
        OPEN = "open", _("open (out of rotation)")
        HALF_OPEN = "half_open", _("half-open (one trial)")

    gateway = models.OneToOneField(Gateway, verbose_name=_("gateway"), on_delete=models.CASCADE, related_name="health")
    state = models.CharField(_("breaker"), max_length=10, choices=State.choices, default=State.CLOSED)
    failures = models.PositiveIntegerField(_("consecutive technical failures"), default=0)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    trial_at = models.DateTimeField(_("half-open trial started"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gateway health")
        verbose_name_plural = _("gateway health")

    def __str__(self):
        return f"{self.gateway_id}: {self.state}"
