from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kit.admin_utils import ReadOnlyAdmin

from . import services
from .models import BalanceAlert, Dealer, DealerUser, LedgerEntry, Reward, TopUpRequest, Transfer


class TopUpForm(forms.Form):
    amount = forms.DecimalField(label=_("amount, RUB"), max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    comment = forms.CharField(label=_("comment"), max_length=255, required=False)


class DealerUserInline(admin.TabularInline):
    model = DealerUser
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "role", "time_zone", "language"]


class BalanceAlertInline(admin.StackedInline):
    model = BalanceAlert
    extra = 0


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = ["name", "parent", "inn", "balance", "credit_limit", "time_zone", "is_active"]
    list_filter = ["is_active", "time_zone"]
    search_fields = ["name", "inn", "contact"]
    readonly_fields = ["balance", "path"]
    inlines = [DealerUserInline, BalanceAlertInline]
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


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("reason for rejection"), max_length=255)


@admin.register(TopUpRequest)
class TopUpRequestAdmin(admin.ModelAdmin):
    """Pending bank transfers reported by dealers: confirm (a `topup` entry) or reject with a reason."""

    list_display = ["created_at", "dealer", "amount", "paid_on", "order_number", "state", "scan_link",
                    "decided_by", "decided_at"]
    list_filter = ["state"]
    search_fields = ["dealer__name", "order_number"]
    list_select_related = ["dealer", "decided_by"]
    readonly_fields = [f.name for f in TopUpRequest._meta.fields] + ["scan_link"]
    actions = ["confirm_selected"]
    change_form_template = "admin/dealers/topuprequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("scan of the payment order"))
    def scan_link(self, obj):
        if not obj.scan:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:dealers_topuprequest_scan", args=[obj.pk]),
                           _("download"))

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [path("<int:pk>/confirm/", wrap(self.confirm_view), name="dealers_topuprequest_confirm"),
                path("<int:pk>/reject/", wrap(self.reject_view), name="dealers_topuprequest_reject"),
                path("<int:pk>/scan/", wrap(self.scan_view), name="dealers_topuprequest_scan"),
                *super().get_urls()]

    @admin.action(description=_("Confirm the selected requests (credit the balance)"))
    def confirm_selected(self, request, queryset):
        done = 0
        for req in queryset.filter(state=TopUpRequest.State.PENDING).order_by("pk"):
            try:
                services.topup_request_confirm(request_id=req.pk, by=request.user)
            except services.DealerError as exc:
                messages.error(request, str(exc))
                return
            done += 1
        messages.success(request, _("%(n)d request(s) confirmed.") % {"n": done})

    def confirm_view(self, request, pk):
        back = redirect(reverse("admin:dealers_topuprequest_change", args=[pk]))
        if request.method != "POST":
            return back
        try:
            req = services.topup_request_confirm(request_id=get_object_or_404(TopUpRequest, pk=pk).pk,
                                                 by=request.user)
        except services.DealerError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Confirmed: %(amount)s RUB credited to %(dealer)s.")
                             % {"amount": req.amount, "dealer": req.dealer.name})
        return back

    def reject_view(self, request, pk):
        req = get_object_or_404(TopUpRequest, pk=pk)
        form = RejectForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.topup_request_reject(request_id=req.pk, by=request.user, reason=form.cleaned_data["reason"])
            except services.DealerError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Request rejected."))
            return redirect(reverse("admin:dealers_topuprequest_change", args=[pk]))
        return render(request, "admin/dealers/topuprequest/reject.html",
                      {**self.admin_site.each_context(request), "req": req, "form": form,
                       "opts": self.model._meta, "title": _("Reject the top-up request")})

    def scan_view(self, request, pk):
        from django.http import FileResponse, Http404

        req = get_object_or_404(TopUpRequest, pk=pk)
        if not req.scan or not self.has_view_permission(request, req):
            raise Http404
        return FileResponse(req.scan.open("rb"), as_attachment=True, filename=req.scan.name.rsplit("/", 1)[-1])


@admin.register(Reward)
class RewardAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "payment", "dealer", "level", "amount", "state", "settled_at", "settlement"]
    list_filter = ["state"]
    search_fields = ["dealer__name", "payment__cheque_number"]
    list_select_related = ["dealer", "payment", "settlement"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "source", "target", "amount", "created_by", "comment"]
    search_fields = ["source__name", "target__name", "comment"]
    list_select_related = ["source", "target", "created_by"]
