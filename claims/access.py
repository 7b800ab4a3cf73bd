"""Who may use the staff claim pages: support, senior support and admins."""

import functools

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from kit.nav import user_roles
from kit.roles import ADMIN, SENIOR, SUPPORT

STAFF = frozenset({SUPPORT, SENIOR, ADMIN})


def staff_view(view):
    """Log-in required; anyone without a support role gets a plain 403 page."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_roles(request.user) & STAFF:
            return render(request, "claims/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
