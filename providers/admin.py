import copy
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from gateways.models import Route
from kit.admin_utils import ReadOnlyAdmin, ReadOnlyInline

from . import selectors, services, transfer
from .models import (
    BlacklistChange,
    BlacklistedAccount,
    Category,
    DealerProviders,
    FeeRule,
    NumberingPlanLoad,
    NumberRange,
    OperatorProvider,
    PortedNumber,
    Provider,
    ProviderField,
    ProviderStateChange,
    RewardRule,
)


# -- dated rules: refused when they overlap, never edited once in force ---------------------------
class RuleForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        if self.errors or cleaned.get("DELETE"):
            return cleaned
        candidate = copy.copy(self.instance)
        for name, value in cleaned.items():
            if name in ("id", "DELETE", "provider"):
                continue
            if hasattr(candidate, name):
                setattr(candidate, name, value)
        if cleaned.get("provider") is not None:
            candidate.provider = cleaned["provider"]
        original = type(self.instance).objects.filter(pk=self.instance.pk).first() if self.instance.pk else None
        if candidate.provider_id is None or candidate.valid_from is None:
            return cleaned
        services.rule_validate(candidate, original=original)
        return cleaned


class RuleFormSet(forms.BaseInlineFormSet):
    """Two new rows of one scope in the same save are compared with each other too."""

    def clean(self):
        super().clean()
        now = timezone.now()
        periods = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            data = form.cleaned_data
            if data.get("DELETE"):
                if form.instance.pk and not services.rule_delete_allowed(form.instance, now=now):
                    raise ValidationError(_("A rule that has been in force cannot be deleted, only closed."))
                continue
            if data.get("valid_from") is None:
                continue
            dealer = data.get("dealer")
            start, end = data["valid_from"], data.get("valid_to")
            for other_dealer, o_start, o_end, label in periods:
                if other_dealer == dealer and (o_end is None or o_end > start) and (end is None or o_start < end):
                    raise ValidationError(_("Two rules for the same dealer overlap: %(a)s and %(b)s.")
                                          % {"a": label, "b": f"{start:%Y-%m-%d %H:%M}"})
            periods.append((dealer, start, end, f"{start:%Y-%m-%d %H:%M}"))


class FeeRuleInline(admin.TabularInline):
    model = FeeRule
    form = RuleForm
    formset = RuleFormSet
    extra = 0
    autocomplete_fields = ["dealer"]


class RewardRuleInline(admin.TabularInline):
    model = RewardRule
    form = RuleForm
    formset = RuleFormSet
    extra = 0
    autocomplete_fields = ["dealer"]


class ProviderFieldForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if "regex" in data and "example" in data:
            problem = services.field_example_problem(data["regex"], data["example"])
            if problem:
                self.add_error("example", problem)
        return data


class ProviderForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        if "account_format" in data and "account_example" in data:
            problem = services.field_example_problem(data["account_format"], data["account_example"])
            if problem:
                self.add_error("account_example", problem)
        return data


class ProviderFieldInline(admin.TabularInline):
    model = ProviderField
    form = ProviderFieldForm
    extra = 0
    fields = ["position", "name", "label", "label_en", "regex", "example", "mask", "required"]


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    fields = ["gateway", "dealer", "priority", "weight", "remote_id", "is_active"]
    autocomplete_fields = ["dealer"]


class StateChangeInline(ReadOnlyInline):
    model = ProviderStateChange
    fields = ["created_at", "is_active", "reason", "actor"]
    readonly_fields = fields
    verbose_name_plural = _("enable / disable history")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "position", "icon"]
    list_editable = ["position", "icon"]
    search_fields = ["name", "code"]


class StateForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=255, widget=forms.TextInput(attrs={"size": 60}))


class PreviewForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("provider"), queryset=Provider.objects.order_by("code"))
    dealer = forms.ModelChoiceField(label=_("dealer"), queryset=Dealer.objects.order_by("name"), required=False,
                                    help_text=_("Empty: the provider's default rules."))
    amount = forms.DecimalField(label=_("cash, RUB"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    at = forms.DateTimeField(label=_("paid at"), required=False, help_text=_("Empty: now. E.g. 2026-12-01 10:00"))


class TransferForm(forms.Form):
    file = forms.FileField(label=_("catalogue file (.json or .zip of CSVs)"))
    dry_run = forms.BooleanField(label=_("dry run: only show what would change"), required=False, initial=True)


class _NoDealer:
    pk = None
    path = ""


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    form = ProviderForm
    list_display = ["name", "code", "category", "legal_name", "inn", "min_amount", "max_amount", "check_required",
                    "is_active"]
    list_filter = ["category", "routes__gateway", "is_active", "check_required", "offline_allowed"]
    search_fields = ["name", "code", "legal_name", "inn"]
    list_select_related = ["category"]
    readonly_fields = ["is_active"]
    fieldsets = [
        (None, {"fields": ["code", "name", "category", "logo", "is_active"]}),
        (_("Legal"), {"fields": ["legal_name", "inn"]}),
        (_("Main account field"), {"fields": ["account_label", "account_label_en", "account_format",
                                              "account_example", "account_mask"]}),
        (_("Limits and kiosk policy"), {"fields": ["min_amount", "max_amount", "check_required", "offline_allowed",
                                                   "offline_max_amount"]}),
    ]
    inlines = [ProviderFieldInline, FeeRuleInline, RewardRuleInline, RouteInline, StateChangeInline]
    actions = ["disable_selected", "enable_selected"]
    change_list_template = "admin/providers/provider/change_list.html"
    change_form_template = "admin/providers/provider/change_form.html"

    def get_urls(self):
        site = self.admin_site
        return [
            path("state/", site.admin_view(self.state_view), name="providers_provider_state"),
            path("preview/", site.admin_view(self.preview_view), name="providers_provider_preview"),
            path("transfer/", site.admin_view(self.transfer_view), name="providers_provider_transfer"),
            path("export/<str:fmt>/", site.admin_view(self.export_view), name="providers_provider_export"),
            *super().get_urls(),
        ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        selectors.catalogue_invalidate()

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        selectors.catalogue_invalidate()

    # enable / disable always with a reason, one history row per provider
    @admin.action(description=_("Disable selected providers (asks why)"))
    def disable_selected(self, request, queryset):
        return self._to_state(queryset, active=False)

    @admin.action(description=_("Enable selected providers (asks why)"))
    def enable_selected(self, request, queryset):
        return self._to_state(queryset, active=True)

    def _to_state(self, queryset, *, active):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return redirect(f"{reverse('admin:providers_provider_state')}?ids={ids}&active={int(active)}")

    def state_view(self, request):
        if not self.has_change_permission(request):
            return redirect(reverse("admin:index"))
        ids = [int(x) for x in request.GET.get("ids", "").split(",") if x.isdigit()]
        active = request.GET.get("active") == "1"
        providers = list(Provider.objects.filter(pk__in=ids).order_by("name"))
        form = StateForm(request.POST or None)
        if request.method == "POST" and form.is_valid() and providers:
            changed = services.provider_set_active(providers=providers, active=active,
                                                   reason=form.cleaned_data["reason"],
                                                   actor=request.user.get_username())
            messages.success(request, _("%(n)d provider(s) changed.") % {"n": len(changed)})
            return redirect(reverse("admin:providers_provider_changelist"))
        return render(request, "admin/providers/provider/state.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "providers": providers, "active": active,
            "title": _("Enable providers") if active else _("Disable providers")})

    def preview_view(self, request):
        form = PreviewForm(request.GET or None)
        result = None
        if request.GET and form.is_valid():
            data = form.cleaned_data
            at = data["at"] or timezone.now()
            dealer = data["dealer"] or _NoDealer()
            snap = selectors.snapshot_load()  # fresh: the admin has just changed a rule, perhaps
            provider = snap.providers[data["provider"].code]
            q = selectors.quote(provider=provider, dealer=dealer, amount=data["amount"], at=at, snap=snap)
            result = {
                "quote": q, "at": at,
                "fee_rule": selectors.rule_in_force(FeeRule, provider=provider, dealer=dealer, at=at, snap=snap),
                "reward_rule": selectors.rule_in_force(RewardRule, provider=provider, dealer=dealer, at=at,
                                                       snap=snap),
            }
        return render(request, "admin/providers/provider/preview.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "result": result,
            "title": _("What would this cost")})

    def transfer_view(self, request):
        if not self.has_change_permission(request):
            return redirect(reverse("admin:index"))
        form = TransferForm(request.POST or None, request.FILES or None)
        report = errors = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = transfer.catalogue_import(name=upload.name, raw=upload.read(),
                                                   dry_run=form.cleaned_data["dry_run"],
                                                   actor=request.user.get_username())
            except transfer.ImportRefused as exc:
                errors = exc.errors
            else:
                if not report.dry_run:
                    messages.success(request, _("Catalogue imported."))
        return render(request, "admin/providers/provider/transfer.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form, "report": report,
            "errors": errors, "title": _("Import and export the catalogue")})

    def export_view(self, request, fmt):
        if not self.has_view_permission(request):
            return redirect(reverse("admin:index"))
        fmt = "zip" if fmt == "zip" else "json"
        data = transfer.export_bytes(fmt)
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response = HttpResponse(data, content_type="application/zip" if fmt == "zip" else "application/json")
        response["Content-Disposition"] = f'attachment; filename="catalogue-{stamp}.{fmt}"'
        return response


# -- blacklist --------------------------------------------------------------------------------------
class BlacklistChangeInline(ReadOnlyInline):
    model = BlacklistChange
    fields = ["created_at", "action", "actor", "data"]
    readonly_fields = fields
    verbose_name_plural = _("history")


class BlacklistForm(forms.ModelForm):
    class Meta:
        model = BlacklistedAccount
        fields = ["provider", "kind", "account", "reason", "expires_at"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            candidate = copy.copy(self.instance)
            for k, v in cleaned.items():
                setattr(candidate, k, v)
            services.blacklist_validate(candidate)
        return cleaned


@admin.register(BlacklistedAccount)
class BlacklistedAccountAdmin(admin.ModelAdmin):
    form = BlacklistForm
    list_display = ["account", "kind", "provider", "reason", "created_by", "expires_at", "created_at"]
    search_fields = ["account", "reason"]
    list_filter = ["kind", "provider"]
    inlines = [BlacklistChangeInline]

    def save_model(self, request, obj, form, change):
        services.blacklist_save(entry=obj, actor=request.user.get_username())

    def delete_model(self, request, obj):
        services.blacklist_remove(entry=obj, actor=request.user.get_username())

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            services.blacklist_remove(entry=entry, actor=request.user.get_username())


@admin.register(BlacklistChange)
class BlacklistChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "data"]
    list_filter = ["action"]


# -- what each dealer may offer ----------------------------------------------------------------------
@admin.register(DealerProviders)
class DealerProvidersAdmin(admin.ModelAdmin):
    """A dealer without a row here may offer every active provider."""

    list_display = ["dealer", "count", "updated_at"]
    autocomplete_fields = ["dealer"]
    filter_horizontal = ["providers"]
    search_fields = ["dealer__name", "dealer__inn"]

    @admin.display(description=_("providers allowed"))
    def count(self, obj):
        return obj.providers.count()


# -- numbering plan ---------------------------------------------------------------------------------
@admin.register(OperatorProvider)
class OperatorProviderAdmin(admin.ModelAdmin):
    list_display = ["inn", "note", "provider"]
    search_fields = ["inn", "note", "provider__name", "provider__code"]
    autocomplete_fields = ["provider"]


@admin.register(NumberRange)
class NumberRangeAdmin(ReadOnlyAdmin):
    list_display = ["first", "last", "operator", "inn", "region"]
    search_fields = ["operator", "inn", "region"]


@admin.register(PortedNumber)
class PortedNumberAdmin(ReadOnlyAdmin):
    list_display = ["number", "operator_inn", "ported_at"]
    search_fields = ["=number", "operator_inn"]


@admin.register(NumberingPlanLoad)
class NumberingPlanLoadAdmin(ReadOnlyAdmin):
    list_display = ["loaded_at", "kind", "rows", "files", "digest"]
    list_filter = ["kind"]

