from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Gateway, GatewayHealth, Route

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


@admin.register(GatewayHealth)
class GatewayHealthAdmin(admin.ModelAdmin):
    """Breaker state (read-only); the full picture is on /gateways/health/."""

    list_display = ["gateway", "state", "failures", "opened_at", "last_error", "last_error_at", "last_success_at"]
    list_filter = ["state"]
    readonly_fields = list_display
    actions = ["close_breaker"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Close the breaker (the gateway is fixed)"), permissions=["view"])
    def close_breaker(self, request, queryset):
        from .breaker import breaker_reset

        if not request.user.is_superuser and not request.user.has_perm("gateways.change_gateway"):
            self.message_user(request, _("Only an admin may close a breaker."), level="error")
            return
        for health in queryset.select_related("gateway"):
            breaker_reset(health.gateway, by=f"user:{request.user.username}")
