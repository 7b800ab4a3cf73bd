"""Session idle timeout and the staff second factor, for every page but the ones a login needs."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from .policy import idle_limit_seconds, second_factor_required

# Paths a half-logged-in user must still reach (login, the 2FA pages, static files, language),
# and the machine-facing parts that never carry a session (terminal API, simulators, health).
EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/", "/sim/", "/healthz", "/check/", "/claims/status/")
LAST_SEEN = "kit_last_seen"
# last-seen is rewritten at most this often, so a busy page does not write its session each time
TOUCH_EVERY = 60


class IdleTimeoutMiddleware:
    """Log out a session idle for longer than its user's limit (staff shorter than dealers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = timezone.now().timestamp()
            limit = idle_limit_seconds(user)
            seen = request.session.get(LAST_SEEN)
            if seen is not None and now - seen > limit:
                logout(request)
                messages.info(request, _("Your session expired after a period of inactivity. Please log in again."))
                if not request.path.startswith("/accounts/login"):
                    return redirect(f"/accounts/login/?{urlencode({'next': request.get_full_path()})}")
            elif seen is None or now - seen >= TOUCH_EVERY:
                request.session[LAST_SEEN] = now
                # the stored session dies too, not just the check: cookie and row expire with the limit
                request.session.set_expiry(limit)
        return self.get_response(request)


class SecondFactorMiddleware:
    """A user with a confirmed device proves it once per session; required staff without one enrol first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            if not user.is_verified():
                from django_otp import user_has_device

                query = urlencode({"next": request.get_full_path()})
                if user_has_device(user):
                    return redirect(f"/accounts/2fa/verify/?{query}")
                if second_factor_required(user):
                    return redirect(f"/accounts/2fa/setup/?{query}")
        return self.get_response(request)
