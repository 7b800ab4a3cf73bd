"""The second factor: enrol (QR code + recovery codes), verify once per session, manage."""

import segno
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from . import services
from .forms import TokenForm
from .policy import second_factor_required


def _next(request, default="/"):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return default
    return target


@login_required
def setup(request):
    """Enrol a TOTP app: scan the QR code (or type the key), confirm with one code, keep the recovery codes."""
    device = services.totp_pending_get_or_create(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_confirm(user=request.user, device=device, token=form.cleaned_data["token"])
        if codes is None:
            form.add_error("token", _("The code is wrong or has expired. Check the time on your phone."))
        else:
            otp_login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})
    qr = segno.make(device.config_url, error="m")
    return render(request, "accounts/setup.html", {
        "form": form, "qr_svg": qr.svg_inline(scale=4, dark="#1b2a44"), "key": _b32(device),
        "next": _next(request), "required": second_factor_required(request.user),
    })


@login_required
def verify(request):
    """Prove the second factor for this session: a code from the app, or one recovery code."""
    if request.user.is_verified():
        return HttpResponseRedirect(_next(request))
    if not user_has_device(request.user):
        return redirect("accounts:2fa_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is None:
            form.add_error("token", _("The code is wrong or has expired."))
        else:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)})


@login_required
def manage(request):
    """The user's second factor: on or off, recovery codes left; dealers may turn it off."""
    from django_otp.plugins.otp_static.models import StaticToken

    has_device = user_has_device(request.user)
    return render(request, "accounts/manage.html", {
        "has_device": has_device,
        "required": second_factor_required(request.user),
        "codes_left": StaticToken.objects.filter(device__user=request.user).count(),
    })


@login_required
@require_POST
def recovery_regenerate(request):
    if not request.user.is_verified():
        return redirect("accounts:2fa_verify")
    codes = services.recovery_codes_regenerate(user=request.user)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/accounts/2fa/"})


@login_required
@require_POST
def remove(request):
    if second_factor_required(request.user):
        messages.error(request, _("Your role requires a second factor; it cannot be turned off."))
    elif user_has_device(request.user) and not request.user.is_verified():
        return redirect("accounts:2fa_verify")
    else:
        services.otp_devices_remove(user=request.user)
        messages.success(request, _("The second factor is turned off."))
    return redirect("accounts:2fa")


def _b32(device) -> str:
    import base64

    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def locked_out(request, original_response=None, credentials=None):
    """Axes' answer to a locked username + address: the login page with a notice, never who exists."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm

    form = AuthenticationForm(request)
    return render(request, "registration/login.html", {
        "form": form, "locked": True, "lock_minutes": settings.KIT_LOCKOUT_MINUTES,
        "next": request.POST.get(REDIRECT_FIELD_NAME, ""),
    }, status=429)
