"""The dealer cabinet's claim pages (/cabinet/claims/): read-only, the viewer's subtree only."""

from django.http import HttpResponseNotAllowed
from django.shortcuts import render

from dealers.cabinet.base import cabinet_view

from .selectors import access_claim, scope_claims


@cabinet_view
def claim_list(request):
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    claims = scope_claims(request.dealer).select_related("payment__terminal", "dealer").order_by("-received_at")
    return render(request, "claims/cabinet/list.html", {"claims": claims[:200]})


@cabinet_view
def claim_detail(request, pk):
    claim = access_claim(request.dealer, pk)
    # Read-only, but the id is checked first: a foreign claim is a 404 whatever the method.
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return render(request, "claims/cabinet/detail.html", {
        "claim": claim, "steps": claim.steps.exclude(kind="overdue").select_related("user")})
