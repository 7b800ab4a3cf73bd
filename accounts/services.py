"""Second-factor devices: enrol a TOTP device with recovery codes, remove them."""

import logging
import secrets

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

log = logging.getLogger("kit.security")

RECOVERY_CODES = 8
PENDING_NAME = "pending"


def totp_pending_get_or_create(*, user) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (one per user; its secret is kept until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=PENDING_NAME).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, confirmed=False, name=PENDING_NAME)
    return device


def totp_confirm(*, user, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm `device` with a token from the app; returns the new recovery codes, or None if wrong."""
    if not device.verify_token(token):
        return None
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=True).delete()
        device.confirmed = True
        device.name = "TOTP"
        device.save(update_fields=["confirmed", "name"])
        codes = _recovery_codes_replace(user=user)
        log.info("second factor enrolled user=%s", user.pk)
    return codes


def recovery_codes_regenerate(*, user) -> list[str]:
    with transaction.atomic():
        codes = _recovery_codes_replace(user=user)
        log.info("recovery codes regenerated user=%s", user.pk)
    return codes


def _recovery_codes_replace(*, user) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    static = StaticDevice.objects.create(user=user, name="recovery")
    codes = [f"{secrets.randbelow(10**8):08d}" for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def otp_devices_remove(*, user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        log.info("second factor removed user=%s", user.pk)
