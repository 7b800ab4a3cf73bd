"""The simulators' own tables: what a simulated gateway knows, never what we know."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kit.crypto import EncryptedTextField


class SimulatorState(models.Model):
    """A simulator's switches, its own keys and the password it issued (demo and tests only)."""

    code = models.SlugField(_("code"), unique=True, max_length=32)
    down = models.BooleanField(_("down (connection refused)"), default=False)
    latency_ms = models.PositiveIntegerField(_("added latency, ms"), default=0)
    private_key = EncryptedTextField(_("simulator private key (PEM)"), blank=True)
    peer_public_key = models.TextField(_("our public key as the simulator knows it (PEM)"), blank=True)
    # Protocol codes and switches; "password" is the one the simulated gateway issued to us.
    params = models.JSONField(_("params"), default=dict, blank=True)

    class Meta:
        verbose_name = _("simulator")
        verbose_name_plural = _("simulators")

    def __str__(self):
        return self.code


class SimRecord(models.Model):
    """What a simulator itself accepted: its own book, so tests can count real upstream payments."""

    code = models.SlugField(_("code"), max_length=32)
    key = models.CharField(_("key"), max_length=64, help_text=_("the idempotency key the gateway saw (SESSION, id...)"))
    upstream_id = models.CharField(_("upstream ID"), max_length=64, blank=True)
    account = models.CharField(_("account"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True)
    amount_all = models.DecimalField(_("amount all"), max_digits=14, decimal_places=2, null=True)
    state = models.CharField(_("state"), max_length=20)  # checked / paid / pending / declined / ...
    polls = models.PositiveIntegerField(_("polls"), default=0)
    data = models.JSONField(_("data"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("simulator record")
        verbose_name_plural = _("simulator records")
        constraints = [models.UniqueConstraint(fields=["code", "key"], name="simrecord_unique_key")]
        indexes = [models.Index(fields=["code", "account"], name="simrecord_code_account_idx")]

    def __str__(self):
        return f"{self.code}:{self.key} {self.state}"
