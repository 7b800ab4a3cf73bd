"""Cabinet page: the dealer's terminals with their software version and update state, and rollout progress."""

from django.shortcuts import render

from dealers.access import scope_terminals
from dealers.cabinet.base import cabinet_view

from .selectors import cabinet_update_view


@cabinet_view
def updates(request):
    return render(request, "updates/cabinet_updates.html", cabinet_update_view(scope_terminals(request.dealer)))
