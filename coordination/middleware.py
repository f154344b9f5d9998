"""Per-user language: the dashboard speaks the language stored on the user's Membership.

Runs after ``AuthenticationMiddleware``. For a signed-in user with a Membership language, that
language wins over the cookie and the browser's Accept-Language (which ``LocaleMiddleware``
already applied). When the user switches language with Django's ``set_language`` view
(``/i18n/setlang/``), the choice is saved on the Membership so it follows the user everywhere.
One query per request (the Membership's language).
"""

from __future__ import annotations

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
