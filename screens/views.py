"""Cabinet pages for themes and ads, and the public image URL the kiosks fetch."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from dealers.access import scope_terminals
from dealers.cabinet.base import cabinet_view

from . import services
from .forms import AdForm, AssignForm, ThemeForm
from .models import ScreenImage
from .selectors import scope_ads, scope_themes, themes_usable


def _themes_page(request, *, form=None, assign_form=None, status=200):
    dealer = request.dealer
    return render(request, "screens/themes.html", {
        "own_ids": set(scope_themes(dealer).values_list("pk", flat=True)),
        "usable": themes_usable(dealer).order_by("name"),
        "form": form or ThemeForm(),
        "assign_form": assign_form or AssignForm(dealer=dealer),
        "terminals": scope_terminals(dealer).select_related("theme_assignment__theme").order_by("number"),
    }, status=status)

@cabinet_view
def theme_list(request):
    if request.method == "POST":
        form = ThemeForm(request.POST, request.FILES)
        if form.is_valid():
            theme = form.save(commit=False)
            theme.dealer = request.dealer
            services.theme_save(theme=theme, logo=form.cleaned_data.get("logo_file"))
            messages.success(request, _("Theme «%(name)s» saved.") % {"name": theme.name})
            return redirect("cabinet:themes")
        return _themes_page(request, form=form, status=400)
    return _themes_page(request)

@cabinet_view
def theme_edit(request, pk: int):
    theme = get_object_or_404(scope_themes(request.dealer), pk=pk)
    form = ThemeForm(instance=theme)
    if request.method == "POST":
        form = ThemeForm(request.POST, request.FILES, instance=theme)
        if form.is_valid():
            services.theme_save(theme=form.save(commit=False), logo=form.cleaned_data.get("logo_file"),
                                remove_logo=form.cleaned_data.get("remove_logo"))
            messages.success(request, _("Theme «%(name)s» saved.") % {"name": theme.name})
            return redirect("cabinet:themes")
    return render(request, "screens/theme.html", {"form": form, "theme": theme},
                  status=400 if form.errors else 200)

@cabinet_view
@require_POST
def theme_assign(request):
    form = AssignForm(request.POST, dealer=request.dealer)
    if not form.is_valid():
        return _themes_page(request, assign_form=form, status=400)
    services.theme_assign(theme=form.cleaned_data["theme"], terminals=form.chosen_terminals(), by=request.user)
    messages.success(request, _("Theme assigned."))
    return redirect("cabinet:themes")

def _ads_page(request, *, form, template="screens/ads.html", ad=None, status=200):
    return render(request, template, {
        "ads": scope_ads(request.dealer).select_related("image").prefetch_related("terminals").order_by("-id"),
        "form": form, "ad": ad}, status=status)

def _save_ad(request, form: AdForm):
    ad = form.save(commit=False)
    if ad.dealer_id is None:
        ad.dealer = request.dealer
    services.ad_save(ad=ad, terminals=form.cleaned_data["terminals"], image=form.cleaned_data.get("image_file"))
    messages.success(request, _("Ad «%(name)s» saved.") % {"name": ad.name})
    return redirect("cabinet:ads")

@cabinet_view
def ad_list(request):
    if request.method == "POST":
        form = AdForm(request.POST, request.FILES, dealer=request.dealer)
        if form.is_valid():
            return _save_ad(request, form)
        return _ads_page(request, form=form, status=400)
    return _ads_page(request, form=AdForm(dealer=request.dealer))

@cabinet_view
def ad_edit(request, pk: int):
    ad = get_object_or_404(scope_ads(request.dealer), pk=pk)
    form = AdForm(instance=ad, dealer=request.dealer)
    if request.method == "POST":
        form = AdForm(request.POST, request.FILES, instance=ad, dealer=request.dealer)
        if form.is_valid():
            return _save_ad(request, form)
    return render(request, "screens/ad.html", {"form": form, "ad": ad}, status=400 if form.errors else 200)

@require_GET
def image(request, sha256: str):
    """An image by its SHA-256: public (it is shown on street kiosks) and never changing."""
    row = ScreenImage.objects.filter(sha256=sha256).only("data", "content_type").first()
    if row is None:
        raise Http404
    response = HttpResponse(bytes(row.data), content_type=row.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["ETag"] = f'"{sha256}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
