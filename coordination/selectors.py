"""Reads of the foundation's records for the doors: nations and the catalogue, through the access rule."""

from __future__ import annotations

from coordination.access import VIEW, Scope
from coordination.models import Item, Nation


def nations_by_id() -> dict[int, Nation]:
    """Every nation by id (reference data: everyone reads it), read once for the tables that name them."""
    return Nation.objects.in_bulk()


def nation_get(*, actor, code: str) -> Nation | None:
    """The nation with this code if the actor may read it (None otherwise)."""
    return Nation.objects.restrict(actor, VIEW).filter(code=code.upper()).first()


def item_get(*, actor: Scope, pk: int) -> Item | None:
    """The catalogue item with its category, if the actor may read it (None otherwise)."""
    return Item.objects.restrict(actor, VIEW).select_related("category").filter(pk=pk).first()
