from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

digits = RegexValidator(r"^[0-9]{1,20}$", _("digits only"))


class Terminal(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        BLOCKED = "blocked", _("blocked")

    number = models.CharField(_("number"), max_length=20, unique=True, validators=[digits])
    dealer = models.ForeignKey("dealers.Dealer", on_delete=models.PROTECT, related_name="terminals")
    address = models.CharField(_("address"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    public_key = models.CharField(_("public key (Ed25519, base64)"), max_length=64, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    software_version = models.CharField(_("software version"), max_length=40, blank=True)
    providers = models.ManyToManyField("providers.Provider", blank=True, related_name="terminals",
                                       verbose_name=_("providers offered"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("terminal")
        verbose_name_plural = _("terminals")
        ordering = ["number"]

    def __str__(self):
        return self.number
