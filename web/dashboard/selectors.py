"""Presentational reads for the dashboard (no formulas here: the numbers come from the apps' selectors)."""

from __future__ import annotations

from coordination.access import scope_for
from coordination.models import Membership


def user_language(*, user) -> str:
    """The language stored on the user's Membership ("" when none). At most one query per request:
    the Membership row ``scope_for`` reads (and caches on the user) carries it; a superuser's scope
    needs no Membership, so then it is read here and cached the same way."""

    cached = getattr(user, "_aid_language_cache", None)
    if cached is None:  # the scope reads the Membership (for a superuser: only when it came with the user)
        scope_for(user)
        cached = getattr(user, "_aid_language_cache", None)
    if cached is None:
        cached = Membership.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""
        try:
            user._aid_language_cache = cached
        except AttributeError:  # pragma: no cover - exotic user objects
            pass
    return cached
