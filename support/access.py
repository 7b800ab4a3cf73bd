"""Who may use the console: the support and senior support roles, and admins."""

import functools

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from kit.nav import user_roles
from kit.roles import ADMIN, SENIOR, SUPPORT

CONSOLE_ROLES = frozenset({SUPPORT, SENIOR, ADMIN})


def can_use_console(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user_roles(user) & CONSOLE_ROLES)


def support_view(view):
    """Anonymous -> the login page; signed in without a console role (a dealer) -> 403 page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_use_console(request.user):
            return render(request, "support/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper
