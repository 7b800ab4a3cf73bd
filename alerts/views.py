"""The cabinet's alerts page: open and past alerts of the dealer's subtree, filtered."""

from django.core.paginator import Paginator
from django.shortcuts import render

from dealers.cabinet.base import cabinet_view, query_without

from .forms import AlertFilterForm
from .selectors import scope_alerts

PAGE = 50


@cabinet_view
def alert_list(request):
    form = AlertFilterForm(request.GET or None, dealer=request.dealer)
    qs = scope_alerts(request.dealer).order_by("-opened_at", "-id")
    status = 200
    if form.is_bound:
        if form.is_valid():
            qs = form.filter(qs)
        else:
            qs, status = qs.none(), 400
    page = Paginator(qs, PAGE).get_page(request.GET.get("page"))
    return render(request, "alerts/list.html", {"form": form, "page": page,
                                                "query": query_without(request, "page")}, status=status)
