"""Reads of the foundation's records for the doors: nations and the catalogue, through the access rule."""

from __future__ import annotations

from django.db import models

from coordination.access import VIEW, Scope
from coordination.models import Item, Nation
from coordination.names import name_expression, sort_key


def nations_by_id() -> dict[int, Nation]:
    """Every nation by id (reference data: everyone reads it), read once for the tables that name them."""
    return Nation.objects.in_bulk()


def nation_get(*, actor, code: str) -> Nation | None:
    """The nation with this code if the actor may read it (None otherwise)."""
    return Nation.objects.restrict(actor, VIEW).filter(code=code.upper()).first()


def item_get(*, actor: Scope, pk: int) -> Item | None:
    """The catalogue item with its category, if the actor may read it (None otherwise)."""
    return Item.objects.restrict(actor, VIEW).select_related("category").filter(pk=pk).first()


def nation_search(*, actor, q: str = "") -> list[Nation]:
    """Nations the actor may read whose name (English or French) or code contains ``q`` (every nation for an
    empty ``q``), by the name the reader sees (``coordination.names``). One query."""
    qs = Nation.objects.restrict(actor, VIEW)
    if q:
        qs = qs.filter(models.Q(name__icontains=q) | models.Q(name_fr__icontains=q) | models.Q(code__iexact=q))
    return sorted(qs.order_by(), key=lambda nation: sort_key(nation.display_name))


def item_search(*, actor, q: str = "", limit: int | None = None) -> tuple[list[Item], int]:
    """Catalogue items the actor may read matching ``q`` in their name, category (English or French names) or
    NATO stock number (digits only, so "1410-01-551-0120" and "1410015550120" both match), by category and
    name as the reader sees them (``coordination.names``), with the number of matches. Two queries (the
    count and the page)."""
    qs = Item.objects.restrict(actor, VIEW).select_related("category")
    if q:
        match = (models.Q(name__icontains=q) | models.Q(name_fr__icontains=q)
                 | models.Q(category__name__icontains=q) | models.Q(category__name_fr__icontains=q))
        digits = "".join(ch for ch in q if ch.isdigit())
        if digits and len(digits) >= 4:
            match |= models.Q(nsn__contains=digits)
        qs = qs.filter(match)
    qs = qs.order_by(name_expression("category__"), name_expression(), "pk")
    total = qs.count()
    return list(qs[:limit] if limit else qs), total
