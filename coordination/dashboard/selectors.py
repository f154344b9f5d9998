"""Presentational reads for the dashboard (no formulas here: the numbers come from the apps' selectors)."""

from __future__ import annotations

from coordination.models import Membership


def user_language(*, user) -> str:
    """The language stored on the user's Membership ("" when none). One query."""
    return Membership.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""
