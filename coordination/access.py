"""The access rule, in one place.

A nation's own stock levels and non-public records are readable and writable only by that
nation's users and clients and by the cell. Every query that serves a user goes through
``Model.objects.restrict(user, action)``; writes re-fetch through it inside the transaction.

``action`` is ``"view"`` or ``"change"`` (add, change and delete share the write rule).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models

VIEW = "view"
CHANGE = "change"


@dataclass(frozen=True)
class Scope:
    """Who is asking, reduced to what the access rule needs."""

    is_cell: bool = False
    nation_id: int | None = None
    nation_code: str | None = None
    nation_role: str | None = None

    @property
    def is_nobody(self) -> bool:
        return not self.is_cell and self.nation_id is None


NOBODY = Scope()
CELL = Scope(is_cell=True)


def scope_for(user) -> Scope:
    """The scope of a user, or of an API client that carries one (``user.aid_scope``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NOBODY
    carried = getattr(user, "aid_scope", None)
    if isinstance(carried, Scope):
        return carried
    cached = getattr(user, "_aid_scope_cache", None)
    if cached is not None:
        return cached
    if getattr(user, "is_superuser", False):
        scope = CELL
        joined = _joined_membership(user)
        if joined is not _NOT_JOINED:  # the language came with the user's read: no query for it either
            user._aid_language_cache = joined.language if joined is not None else ""
    else:
        # The user's Membership through its relation (coordination.models imports this module, not the reverse).
        membership = _membership_of(user)
        try:  # the dashboard language is on the same row: one read per request serves both
            user._aid_language_cache = membership.language if membership is not None else ""
        except AttributeError:  # pragma: no cover - exotic user objects
            pass
        if membership is None:
            scope = NOBODY
        elif membership.is_cell:
            scope = CELL
        else:
            nation = membership.nation
            scope = Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)
    try:
        user._aid_scope_cache = scope
    except AttributeError:  # pragma: no cover - exotic user objects
        pass
    return scope


_NOT_JOINED = object()


def _joined_membership(user):
    """The user's Membership read with the user (``coordination.auth.MembershipBackend``: None when the user
    has none), or ``_NOT_JOINED`` when it was not read with it."""
    try:  # ``__class__``: a lazy ``request.user`` stands for its user
        descriptor = user.__class__.membership
    except AttributeError:  # pragma: no cover - exotic user objects
        return _NOT_JOINED
    if not descriptor.is_cached(user):
        return _NOT_JOINED
    try:
        return user.membership
    except descriptor.RelatedObjectDoesNotExist:
        return None


def _membership_of(user):
    """The user's Membership with its nation: the one read with the user, else one query."""
    joined = _joined_membership(user)
    if joined is not _NOT_JOINED:
        return joined
    membership_model = get_user_model()._meta.get_field("membership").related_model
    return membership_model.objects.select_related("nation").filter(user_id=user.pk).first()


NONE_Q = models.Q(pk__in=[])
ALL_Q = models.Q()


class RestrictedQuerySet(models.QuerySet):
    """``restrict(user, action)`` filters to what the user may see or write."""

    def restrict(self, actor, action: str = VIEW):
        scope = actor if isinstance(actor, Scope) else scope_for(actor)
        if scope.is_cell:
            return self
        if scope.is_nobody:
            return self.none()
        return self.filter(self.model.access_q(scope, action))


class CatalogueAccess:
    """Reference data (nations, catalogue, requirements): everyone reads, the cell writes."""

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        return ALL_Q if action == VIEW else NONE_Q


class NationOwnedAccess:
    """Records of one nation: only that nation (and the cell) reads and writes them."""

    owner_field = "nation"

    @classmethod
    def access_q(cls, scope: Scope, action: str) -> models.Q:
        return models.Q(**{f"{cls.owner_field}_id": scope.nation_id})


def releasable_q(scope: Scope, *, prefix: str = "") -> models.Q:
    """Who may read a pledge-like record by its releasability (the donor always may).

    ``public``: every authenticated nation; ``alliance``: every ally and the recipient it is for;
    ``restricted``: the donor and the cell only.
    """
    q = models.Q(**{f"{prefix}donor_id": scope.nation_id}) | models.Q(**{f"{prefix}releasability": "public"})
    alliance = models.Q(**{f"{prefix}releasability": "alliance"})
    if scope.nation_role == "ally":
        q |= alliance
    else:
        q |= alliance & models.Q(**{f"{prefix}recipient_id": scope.nation_id})
    return q


def can_see_nation_detail(scope: Scope, nation_id: int | None) -> bool:
    """A nation's own detail (its stock, its page): that nation's users and clients, and the cell."""
    return scope.is_cell or (nation_id is not None and scope.nation_id == nation_id)


# --- Write checks: every door and service refuses through these ----------------------------------

def as_scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


def require_nation_access(actor, nation_id: int | None, *, what: str = "this nation's records") -> Scope:
    """Refuse a write for another nation. The cell may write for any nation."""
    scope = as_scope(actor)
    if scope.is_cell:
        return scope
    if scope.is_nobody or nation_id != scope.nation_id:
        raise PermissionDenied(f"You may not change {what}.")
    return scope


def require_cell(actor, *, what: str = "this record") -> Scope:
    scope = as_scope(actor)
    if not scope.is_cell:
        raise PermissionDenied(f"Only the coordination cell may change {what}.")
    return scope
