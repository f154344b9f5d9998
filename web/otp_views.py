"""Two-factor pages: verify (after the password), enrol, and the account page with recovery codes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from coordination import otp
from coordination.access import scope_for
from coordination.security import log_event


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("dashboard:overview")


def _mark_verified(request: HttpRequest, device) -> None:
    otp_login(request, device)
    request.session.cycle_key()  # a new session id once the second factor is in (no fixation)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return redirect(_next(request))
    if not otp.user_has_confirmed_device(request.user):
        return redirect(f"{reverse('otp-setup')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        result = otp.otp_verify(user=request.user, token=request.POST.get("otp_token", ""))
        if result.device is not None:
            _mark_verified(request, result.device)
            return redirect(_next(request))
        reason = "throttled" if result.throttled else "wrong code"
        log_event(request, "otp_failed", reason=reason, status=401, device=result.kind)
        error = (_("Too many wrong codes: wait a few seconds, then try again.") if result.throttled
                 else _("That code is not valid. Try the current code, or a recovery code."))
    context = {"error": error, "next": _next(request), "otp_pending": True}
    return render(request, "registration/otp_verify.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    has_device = otp.user_has_confirmed_device(user)
    if has_device and not user.is_verified():
        # A password alone never adds a device to an account that already has one.
        return redirect(f"{reverse('otp-verify')}?{urlencode({'next': _next(request)})}")
    if otp.otp_state(user=user).enabled:
        return redirect("otp-account")
    device = otp.totp_pending_device(user=user)
    error = None
    if request.method == "POST":
        codes = otp.totp_confirm(user=user, device=device, token=request.POST.get("otp_token", ""))
        if codes is not None:
            _mark_verified(request, device)
            return render(request, "registration/otp_recovery_codes.html",
                          {"codes": codes, "next": _next(request), "first": True})
        log_event(request, "otp_failed", reason="wrong code at enrolment", status=401, device="totp")
        error = _("That code is not valid. Check the time on your phone and type the current code.")
    context = {"secret": otp.totp_secret(device), "qr_svg": otp.totp_qr_svg(device), "uri": device.config_url,
               "error": error, "next": _next(request), "required": otp.otp_required_for(user),
               "otp_pending": True}
    return render(request, "registration/otp_setup.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_account_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if otp.otp_required_for(user) and not user.is_verified():
        target = "otp-verify" if otp.user_has_confirmed_device(user) else "otp-setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': reverse('otp-account')})}")
    state = otp.otp_state(user=user)
    if request.method == "POST":
        if not (state.enabled and user.is_verified()):
            raise PermissionDenied
        codes = otp.recovery_codes_regenerate(user=user)
        return render(request, "registration/otp_recovery_codes.html",
                      {"codes": codes, "next": reverse("otp-account"), "first": False})
    return render(request, "registration/otp_account.html",
                  {"state": state, "is_cell": scope_for(user).is_cell, "verified": user.is_verified()})
