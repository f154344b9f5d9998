"""People's notification preferences: defaults, reading, saving (validated), unsubscribing.

Defaults when a user has saved nothing: every alert kind, every nation the user may see, every
category; an officer immediately (one email per alert), the cell as a daily digest; the language of
the dashboard. An officer may only choose their own nation (the access rule applies to mail too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from coordination.access import Scope, scope_for
from coordination.models import Category, Nation
from notifications.models import Kind, NotificationPreference

ALL_KINDS: tuple[str, ...] = tuple(Kind.values)
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


@dataclass(frozen=True)
class Prefs:
    enabled: bool
    mode: str
    kinds: frozenset[str]
    nation_ids: frozenset[int]  # empty: every nation the user may see
    category_ids: frozenset[int]  # empty: every category
    language: str  # "" : the dashboard language
    saved: bool = False

    def wants(self, *, kind: str, nation_id: int, category_id: int | None) -> bool:
        return (self.enabled and kind in self.kinds
                and (not self.nation_ids or nation_id in self.nation_ids)
                and (category_id is None or not self.category_ids or category_id in self.category_ids))


def preference_defaults(*, scope: Scope) -> Prefs:
    mode = NotificationPreference.Mode.DIGEST if scope.is_cell else NotificationPreference.Mode.IMMEDIATE
    return Prefs(enabled=True, mode=mode, kinds=frozenset(ALL_KINDS), nation_ids=frozenset(),
                 category_ids=frozenset(), language="")


def prefs_of(row: NotificationPreference | None, *, scope: Scope) -> Prefs:
    """The effective preferences of a user given their row (``nations``/``categories`` prefetched) or none."""
    if row is None:
        return preference_defaults(scope=scope)
    return Prefs(enabled=row.enabled, mode=row.mode, kinds=frozenset(row.kinds),
                 nation_ids=frozenset(n.pk for n in row.nations.all()),
                 category_ids=frozenset(c.pk for c in row.categories.all()),
                 language=row.language, saved=True)


def preference_get(*, user) -> Prefs:
    row = (NotificationPreference.objects.filter(user_id=user.pk)
           .prefetch_related("nations", "categories").first())
    return prefs_of(row, scope=scope_for(user))


def preference_save(*, user, enabled: bool, mode: str, kinds: Iterable[str], nations: Iterable[Nation],
                    categories: Iterable[Category], language: str = "") -> Prefs:
    """Validate and store a user's preferences. Errors: ``ValidationError({field: [message]})``."""
    scope = scope_for(user)
    if scope.is_nobody:
        raise ValidationError(_("Your account belongs to no nation and not to the cell: nothing to notify."))
    kinds, nations, categories = list(dict.fromkeys(kinds)), list(nations), list(categories)
    errors: dict[str, list[str]] = {}
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        errors["kinds"] = [_("Unknown alert kind: %(kinds)s.") % {"kinds": ", ".join(map(str, unknown))}]
    if mode not in NotificationPreference.Mode.values:
        errors["mode"] = [_("Choose immediately or a daily digest.")]
    if not scope.is_cell and any(n.pk != scope.nation_id for n in nations):
        errors["nations"] = [_("You may only be notified about your own nation.")]
    if language not in {"", *(code for code, _name in settings.LANGUAGES)}:
        errors["language"] = [_("Choose English or French, or leave empty for your dashboard language.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        row, _created = NotificationPreference.objects.update_or_create(
            user_id=user.pk, defaults={"enabled": enabled, "mode": mode, "kinds": kinds, "language": language})
        row.nations.set(nations)
        row.categories.set(categories)
    return preference_get(user=user)


def preference_unsubscribe(*, user) -> None:
    """Turn email off for a user, keeping the rest of their choices (or the defaults)."""
    current = preference_get(user=user)
    with transaction.atomic():
        row, created = NotificationPreference.objects.get_or_create(
            user_id=user.pk, defaults={"enabled": False, "mode": current.mode, "kinds": sorted(current.kinds)})
        if not created and row.enabled:
            row.enabled = False
            row.save(update_fields=["enabled", "updated_at"])


def unsubscribe_token(*, user) -> str:
    """A signed token naming the user (no expiry): the unsubscribe link works without logging in."""
    return signing.dumps({"u": user.pk}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_user(*, token: str):
    """The user a token names, or None for a forged, altered or stale token (user gone)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    if not isinstance(user_id, int):
        return None
    return get_user_model().objects.filter(pk=user_id, is_active=True).first()
