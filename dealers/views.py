import zoneinfo

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from kit.nav import nav_for, user_roles
from kit.roles import ADMIN

from .selectors import dealer_for_user, dealer_subtree


@login_required
def home(request):
    """A dealer user to its cabinet, an admin to the admin, other staff to their menu's first page."""
    dealer = dealer_for_user(request.user)
    if dealer is not None:
        return redirect("cabinet:overview")
    if dealer is None:
        roles = user_roles(request.user)
        if ADMIN in roles:
            return redirect("admin:index")
        menu = nav_for(request.user)
        if menu:
            return redirect(menu[0][1][0][0])
        if request.user.is_staff:
            return redirect("admin:index")
        return render(request, "dealers/no_dealer.html", status=403)
    timezone.activate(zoneinfo.ZoneInfo(dealer.time_zone))
    return render(request, "dealers/home.html", {
        "dealer": dealer,
        "subdealers": dealer_subtree(dealer).exclude(pk=dealer.pk),
        "entries": dealer.ledger.select_related("payment")[:20],
    })
