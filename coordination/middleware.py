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

from django.conf import settings
from django.urls import reverse
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from coordination.dashboard.selectors import user_language
        from coordination.dashboard.services import membership_set_language

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
