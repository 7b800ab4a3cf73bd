"""The admin gateway-health page: breaker state, success rate, latency and open attempts per gateway.

Staff with the admin or support roles (and superusers) see it; anyone else signed in gets a 404.
"""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from kit.roles import ADMIN, SENIOR, SUPPORT

from .health import gateway_health_rows

ROLES = (ADMIN, SUPPORT, SENIOR)


def can_view_health(user) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name__in=ROLES).exists()


@require_GET
def gateway_health(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not can_view_health(request.user):
        raise Http404
    context = {**admin.site.each_context(request), "title": _("Gateway health"), "rows": gateway_health_rows()}
    if request.headers.get("HX-Request"):
        return render(request, "gateways/_health_table.html", context)
    return render(request, "gateways/health.html", context)
