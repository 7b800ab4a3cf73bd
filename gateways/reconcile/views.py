"""Reconciliation pages (staff): the list of days, a page per gateway and day, and its actions.

Anyone not allowed to see reconciliation gets a 404; support may look but not act (403).
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import selectors, services
from .errors import Code, ReconcileError
from .forms import FilterForm, ResolveForm, RunForm, UploadForm
from .registry import RegistryInvalid


def staff_page(*, write: bool = False):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not selectors.can_view(request.user):
                raise Http404
            if write and not selectors.can_resolve(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)
        return wrapper
    return decorate


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise Http404 from None


def _day_url(code: str, day: dt.date) -> str:
    return reverse("reconcile:day", args=[code, day.isoformat()])


def _context(request, **extra) -> dict:
    return {**admin.site.each_context(request), "can_resolve": selectors.can_resolve(request.user), **extra}


@require_GET
@staff_page()
def reconciliation_list(request):
    filters = FilterForm(request.GET or None)
    gateway = status = ""
    if filters.is_valid():
        gateway = filters.cleaned_data["gateway"].code if filters.cleaned_data["gateway"] else ""
        status = filters.cleaned_data["status"]
    page = Paginator(selectors.reconciliation_list(gateway=gateway, status=status), 50).get_page(request.GET.get("page"))
    run_form = RunForm(initial={"day": services.previous_day()})
    return render(request, "reconcile/list.html", _context(
        request, title=_("Reconciliation"), page=page, filters=filters, run_form=run_form))


@require_POST
@staff_page(write=True)
def run(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        page = Paginator(selectors.reconciliation_list(), 50).get_page(1)
        return render(request, "reconcile/list.html", _context(
            request, title=_("Reconciliation"), page=page, filters=FilterForm(), run_form=form), status=400)
    gateway, day = form.cleaned_data["gateway"], form.cleaned_data["day"]
    _run(request, gateway, day)
    return redirect(_day_url(gateway.code, day))


def _run(request, gateway, day) -> None:
    rec = services.reconciliation_run(gateway=gateway, day=day, by=request.user)
    if rec.status == rec.Status.AWAITING_REGISTRY:
        messages.warning(request, _("No registry for this day yet.") + (f" {rec.last_error}" if rec.last_error else ""))
    else:
        messages.success(request, _("Reconciled: %(status)s, %(open)d open discrepancies.")
                         % {"status": rec.get_status_display(), "open": rec.open_count})


def _render_day(request, gateway, day, *, upload_form=None, resolve_forms=None, status=200):
    rec = selectors.reconciliation_find(gateway=gateway, day=day)
    discrepancies = list(selectors.discrepancies_for(rec)) if rec else []
    resolve_forms = resolve_forms or {}
    rows = [(d, resolve_forms.get(d.pk) or ResolveForm(prefix=f"d{d.pk}")) for d in discrepancies]
    return render(request, "reconcile/day.html", _context(
        request, title=_("Reconciliation: %(gateway)s, %(day)s") % {"gateway": gateway.name, "day": day.isoformat()},
        gateway=gateway, day=day, rec=rec, rows=rows, simulated=services.is_simulated(gateway),
        events=selectors.events_for(rec)[:100] if rec else [],
        uploads=selectors.uploads_for(gateway=gateway, day=day),
        upload_form=upload_form or UploadForm()), status=status)


@require_GET
@staff_page()
def day_detail(request, code: str, day: str):
    return _render_day(request, selectors.gateway_get(code), _day(day))


@require_POST
@staff_page(write=True)
def day_run(request, code: str, day: str):
    gateway, the_day = selectors.gateway_get(code), _day(day)
    _run(request, gateway, the_day)
    return redirect(_day_url(gateway.code, the_day))


@require_POST
@staff_page(write=True)
def day_upload(request, code: str, day: str):
    gateway, the_day = selectors.gateway_get(code), _day(day)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        f = form.cleaned_data["file"]
        try:
            services.registry_upload(gateway=gateway, day=the_day, data=f.read(), filename=f.name,
                                     by=request.user)
        except RegistryInvalid as exc:
            for error in exc.errors:
                form.add_error("file", ValidationError(error, code=exc.code))
        else:
            messages.success(request, _("Registry file accepted."))
            _run(request, gateway, the_day)
            return redirect(_day_url(gateway.code, the_day))
    return _render_day(request, gateway, the_day, upload_form=form, status=400)


@require_POST
@staff_page(write=True)
def resolve(request, code: str, day: str, pk: int):
    gateway, the_day = selectors.gateway_get(code), _day(day)
    rec = selectors.reconciliation_find(gateway=gateway, day=the_day)
    if rec is None:
        raise Http404
    discrepancy = selectors.discrepancy_get(rec=rec, pk=pk)
    form = ResolveForm(request.POST, prefix=f"d{pk}")
    if not form.is_valid():
        return _render_day(request, gateway, the_day, resolve_forms={pk: form}, status=400)
    try:
        services.discrepancy_resolve(discrepancy=discrepancy, by=request.user, reason=form.cleaned_data["reason"])
    except ReconcileError as exc:
        if exc.code != Code.NOT_OPEN:
            raise
        messages.error(request, _("This discrepancy is already closed."))
    else:
        messages.success(request, _("Discrepancy resolved."))
    return redirect(_day_url(gateway.code, the_day))
