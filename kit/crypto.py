"""Secrets at rest: a text field encrypted with the Fernet key from KIT_FIELD_KEY."""

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def _fernet() -> Fernet:
    try:
        return Fernet(settings.KIT_FIELD_KEY.encode())
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("KIT_FIELD_KEY must be a Fernet key (Fernet.generate_key())") from exc


def encrypt(plain: str) -> str:
    return PREFIX + _fernet().encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ImproperlyConfigured("stored secret is not encrypted")
    try:
        return _fernet().decrypt(stored[len(PREFIX):].encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("KIT_FIELD_KEY cannot decrypt a stored secret (key changed?)") from exc


class EncryptedTextField(models.TextField):
    """Holds a secret (a private key, a password); the database row has only ciphertext."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
