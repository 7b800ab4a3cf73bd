from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Gateway, Route, SimulatorState

SECRET_FIELDS = ("secret", "private_key")


class GatewayForm(forms.ModelForm):
    """Secrets are write-only: the form never shows a stored one; blank keeps it."""

    secret = forms.CharField(label=_("password / secret"), required=False,
                             widget=forms.PasswordInput(render_value=False),
                             help_text=_("Stored encrypted. Leave blank to keep the current value."))
    private_key = forms.CharField(label=_("our private key (PEM)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=_("Stored encrypted, never shown again. Leave blank to keep it."))

    class Meta:
        model = Gateway
        fields = ["code", "name", "protocol", "base_url", "params", "secret", "private_key", "peer_public_key",
                  "connect_timeout", "read_timeout", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in SECRET_FIELDS:
            self.initial[name] = ""

    def clean(self):
        data = super().clean()
        for name in SECRET_FIELDS:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)
        return data


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    autocomplete_fields = ["provider", "dealer"]


@admin.register(Gateway)
class GatewayAdmin(admin.ModelAdmin):
    form = GatewayForm
    list_display = ["name", "code", "protocol", "base_url", "is_active"]
    list_filter = ["protocol", "is_active"]
    search_fields = ["name", "code"]
    inlines = [RouteInline]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["provider", "gateway", "dealer", "priority", "weight", "remote_id", "is_active"]
    list_filter = ["gateway", "is_active"]
    search_fields = ["provider__code", "provider__name", "remote_id"]
    autocomplete_fields = ["provider", "dealer"]


@admin.register(SimulatorState)
class SimulatorStateAdmin(admin.ModelAdmin):
    list_display = ["code", "down", "latency_ms"]
    list_editable = ["down", "latency_ms"]
    fields = ["code", "down", "latency_ms"]
