"""Writes made from the dashboard: only the user's own preferences."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError

from coordination.models import Membership


def membership_set_language(*, user, language: str) -> bool:
    """Store the user's dashboard language on their Membership (kept in its history).

    Returns False when the user has no Membership (the cookie set by ``set_language`` still applies).
    """
    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [f"Unknown language {language!r}."]})
    membership = Membership.objects.filter(user_id=user.pk).first()
    if membership is None:
        return False
    if membership.language != language:
        membership.language = language
        membership._history_user = user
        membership.save(update_fields=["language"])
    return True
