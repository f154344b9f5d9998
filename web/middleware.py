"""Per-user language: the dashboard speaks the language stored on the user's Membership.

Runs after ``AuthenticationMiddleware``. For a signed-in user with a Membership language, that
language wins over the cookie and the browser's Accept-Language (which ``LocaleMiddleware``
already applied). When the user switches language with Django's ``set_language`` view
(``/i18n/setlang/``), the choice is saved on the Membership so it follows the user everywhere.
The Membership row is read once per request and shared with the access scope (``scope_for``).

``SessionRefreshMiddleware`` keeps sessions expiring after ``SESSION_COOKIE_AGE`` of inactivity
without writing the session on every request.
"""

from __future__ import annotations

import time
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware as DjangoOTPMiddleware

from coordination.auth import checking_device
from coordination.otp import otp_required_for, user_has_confirmed_device
from web.dashboard.selectors import user_language
from web.dashboard.services import membership_set_language
from web.views import healthz


class OTPMiddleware(DjangoOTPMiddleware):
    """django-otp's middleware (``request.user.otp_device``, ``is_verified()``) without a query of its own:
    the session's device is checked in the user's read (``coordination.auth.MembershipBackend``: it exists,
    is the user's and is confirmed, django-otp's ``_finalize_device`` rule). ``otp_device`` is then the
    device, loaded only if something reads it. Any other case (another backend, no device in the session)
    takes django-otp's own path."""

    def _verify_user_sync(self, request, user):
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        if not persistent_id:
            return super()._verify_user_sync(request, user)
        persistent_id = self._normalize_persistent_id(persistent_id)
        with checking_device(persistent_id):
            authenticated = user.is_authenticated  # loads the user (lazy): one query with the check
        confirmed = getattr(user, "_otp_device_confirmed", None) if authenticated else None
        if confirmed is None:
            return super()._verify_user_sync(request, user)
        self._init_user_fields(user)
        if confirmed:
            user.otp_device = SimpleLazyObject(partial(self._device_from_persistent_id, persistent_id))
        else:
            del request.session[DEVICE_ID_SESSION_KEY]
        return user


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        switching = request.method == "POST" and request.path == reverse("set_language")
        if signed_in and not switching:
            language = user_language(user=user)
            if language in dict(settings.LANGUAGES):
                translation.activate(language)
                request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if signed_in and switching and response.status_code in (302, 204):
            language = request.POST.get("language", "")
            if language in dict(settings.LANGUAGES):
                membership_set_language(user=user, language=language)
        return response


class SessionRefreshMiddleware:
    """Inactivity expiry without a session write per request.

    ``SESSION_SAVE_EVERY_REQUEST`` would move the expiry forward on every request, at the cost of a
    ``BEGIN; UPDATE django_session; COMMIT`` each time. Instead, a request re-saves the session
    (moving its expiry to now + ``SESSION_COOKIE_AGE``, cookie included) only when the last refresh is
    older than ``SESSION_REFRESH_AFTER`` seconds (default 300). A session therefore still ends after
    ``SESSION_COOKIE_AGE`` without requests, give or take at most ``SESSION_REFRESH_AFTER``.
    Runs after ``SessionMiddleware`` (which saves a modified session on the way out).
    """

    KEY = "_aid_refreshed_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            now = int(time.time())
            last = session.get(self.KEY)
            if not isinstance(last, int) or now - last >= int(getattr(settings, "SESSION_REFRESH_AFTER", 300)):
                session[self.KEY] = now  # marks the session modified: saved with a new expiry
        return self.get_response(request)


class TwoFactorMiddleware:
    """The two-factor rule, in one place, for the dashboard and the admin.

    Runs after ``django_otp.middleware.OTPMiddleware``. A signed-in user whose session is not
    OTP-verified is sent to the verify step (has a confirmed device) or to enrolment (has none) when:

    - the user is cell staff (``Membership.is_cell``), for every page; or
    - the user has enrolled a device (officers who turned 2FA on), for every page; or
    - the request is for the admin (``/admin/``), whoever the user is.

    The login, logout, two-factor pages, language switch, static files and health check stay open.
    An API request carrying a session (not a token) gets a JSON 403 instead of a redirect; token
    clients (national systems) have no session user and are not concerned.
    """

    # The unsubscribe link carries its own signed token: it works without (or with a half-done) login.
    OPEN_PREFIXES = ("/accounts/login/", "/accounts/logout/", "/accounts/2fa/", "/i18n/", "/healthz",
                     "/notifications/unsubscribe/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect = self._check(request)
        return redirect if redirect is not None else self.get_response(request)

    def _check(self, request):

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        path = request.path
        static = "/" + settings.STATIC_URL.lstrip("/")
        if path.startswith(self.OPEN_PREFIXES) or path.startswith(static):
            return None
        is_admin = path.startswith(reverse("admin:index"))
        if not (is_admin or otp_required_for(user)):
            return None
        if path.startswith("/api/"):
            return JsonResponse({"detail": "Two-factor verification required: log in through the dashboard."},
                                status=403)

        target = "otp-verify" if user_has_confirmed_device(user) else "otp-setup"
        url = f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}"
        if request.headers.get("HX-Request") == "true":  # htmx: a full-page visit, not a swapped fragment

            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return redirect(url)


class HealthzMiddleware:
    """``/healthz`` answered before every other middleware, so a probe inside the container works with
    production settings: no ``SECURE_SSL_REDIRECT`` (the probe speaks plain http to gunicorn, behind the
    TLS-terminating proxy) and no ``ALLOWED_HOSTS`` check (the probe's Host is 127.0.0.1). It says only
    whether the database and Redis answer (``web.views.health``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
