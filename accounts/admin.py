"""django-otp's device admins in Russian: its field and section names are plain English strings,
so the lists and pages show ours instead (labels only; the models and their data stay as they are)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

SECTIONS = {"Identity": _("Device"), "Timestamps": _("Use"), "Configuration": _("Settings"),
            "State": _("State"), "Throttling": _("Throttling")}
TIMES = {"created_at": "created", "last_used_at": "last_used"}


class _Russian:
    list_display = ["user", "name", "created", "last_used", "confirmed"]
    list_filter = ["confirmed"]

    def get_list_display(self, request):
        return [TIMES.get(name, name) for name in super().get_list_display(request)]

    def get_readonly_fields(self, request, obj=None):
        return [TIMES.get(name, name) for name in super().get_readonly_fields(request, obj)]

    def get_fieldsets(self, request, obj=None):
        return [(SECTIONS.get(title, title), {**opts, "fields": [TIMES.get(f, f) for f in opts["fields"]]})
                for title, opts in super().get_fieldsets(request, obj)]

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at


class KitTOTPDeviceAdmin(_Russian, TOTPDeviceAdmin):
    pass


class KitStaticDeviceAdmin(_Russian, StaticDeviceAdmin):
    pass


for model, model_admin in ((TOTPDevice, KitTOTPDeviceAdmin), (StaticDevice, KitStaticDeviceAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
