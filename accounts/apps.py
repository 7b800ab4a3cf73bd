from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # The login protection's third-party apps name themselves in English in the admin. Only the
        # display names change: migrations read a model's options from _meta.original_attrs, which
        # stay as the packages wrote them, so no migration follows from this.
        names = {"axes": _("Login lockouts"), "otp_totp": _("Second factor: TOTP apps"),
                 "otp_static": _("Second factor: recovery codes")}
        for label, name in names.items():
            apps.get_app_config(label).verbose_name = name
        models = {"otp_totp.TOTPDevice": (_("TOTP device"), _("TOTP devices")),
                  "otp_static.StaticDevice": (_("recovery code set"), _("recovery code sets")),
                  "otp_static.StaticToken": (_("recovery code"), _("recovery codes"))}
        for label, (one, many) in models.items():
            meta = apps.get_model(label)._meta
            meta.verbose_name, meta.verbose_name_plural = one, many
        # The devices' lists show this flag as a column; the package leaves it unnamed.
        for label in ("otp_totp.TOTPDevice", "otp_static.StaticDevice"):
            apps.get_model(label)._meta.get_field("confirmed").verbose_name = _("confirmed")

