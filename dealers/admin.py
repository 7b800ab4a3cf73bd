from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from kit.admin_utils import ReadOnlyAdmin

from . import services
from .models import Dealer, DealerUser, LedgerEntry


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("amount, RUB"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    comment = forms.CharField(label=_("comment"), max_length=255, required=False)


class DealerUserInline(admin.TabularInline):
    model = DealerUser
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "inn", "balance", "credit_limit", "time_zone", "is_active"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["name", "inn", "contact"]
    readonly_fields = ["balance", "path"]
    inlines = [DealerUserInline]
    change_form_template = "admin/dealers/dealer/change_form.html"

    def get_urls(self):
        return [path("<int:pk>/topup/", self.admin_site.admin_view(self.topup_view), name="dealers_dealer_topup"),
                *super().get_urls()]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f not in ("name", "parent")}
        created = services.dealer_create(name=form.cleaned_data["name"], parent=form.cleaned_data.get("parent"),
                                         **fields)
        obj.pk, obj.path = created.pk, created.path

    def topup_view(self, request, pk):
        if not request.user.has_perm("dealers.add_ledgerentry"):
            messages.error(request, _("You may not top up balances."))
            return redirect(reverse("admin:dealers_dealer_change", args=[pk]))
        dealer = get_object_or_404(Dealer, pk=pk)
        form = TopUpForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            services.dealer_topup(dealer=dealer, amount=form.cleaned_data["amount"], by=request.user,
                                  comment=form.cleaned_data["comment"])
            messages.success(request, _("Balance topped up."))
            return redirect(reverse("admin:dealers_dealer_change", args=[pk]))
        return render(request, "admin/dealers/dealer/topup.html",
                      {**self.admin_site.each_context(request), "dealer": dealer, "form": form,
                       "opts": self.model._meta, "title": _("Top up balance")})


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "dealer", "kind", "amount", "balance_after", "payment", "created_by", "comment"]
    list_filter = ["kind"]
    search_fields = ["dealer__name", "comment"]
    date_hierarchy = "created_at"
    list_select_related = ["dealer", "created_by"]
