"""The name of a nation, category or item in the reader's language: the one rule, used everywhere.

Reference data carries its English ``name`` (the key that imports, the API and unique constraints use) and
an optional French ``name_fr``. A French reader sees ``name_fr``; an empty ``name_fr`` falls back to the
English name; every other language sees the English name. ``localized`` is that rule. The rest of this
module only feeds it:

- ``display_name(obj)``: a model instance (``Nation.display_name``, ``Item.display_name`` call it);
- ``NAME_FIELDS``/``name_of(row, prefix)``: a ``values()`` row that selected both columns (no extra query:
  selectors add ``f"{prefix}name_fr"`` beside ``f"{prefix}name"``);
- ``name_expression(prefix)``: the same rule in SQL, for ``order_by`` on a paginated list (sorting by the
  shown name); ``tests/coordination/test_names.py`` checks it gives what ``localized`` gives;
- ``ItemLabel``/``CategoryLabel``: ``item_label``/``category_label`` for a result row (a dataclass) that
  carries ``item_name``/``item_name_fr`` or ``category_name``/``category_name_fr``.

Why not django-modeltranslation: it keeps ``name`` as the database column and rewrites lookups only on the
registered model's own manager, so the many ``values("item__name")`` reads through pledges, stock reports
and shortfalls would still give English, and its fallback is applied in Python on instances, not in those
rows; its per-language columns would also need the unique constraints, import-export resources (items found
by name, NSN or id) and the API's ``name`` to be re-pointed. One explicit column and this module are less.
"""

from __future__ import annotations

import functools
import unicodedata

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import translation

FRENCH = "fr"


def _language(language: str | None) -> str:
    return (language or translation.get_language() or "en").split("-")[0].lower()


def localized(name: str, name_fr: str | None, language: str | None = None) -> str:
    """THE rule: the French name for a French reader when there is one, else the English name."""
    if _language(language) == FRENCH and name_fr:
        return name_fr
    return name


def display_name(obj, language: str | None = None) -> str:
    """A nation's, category's or item's name in the reader's (active) language."""
    return localized(obj.name, getattr(obj, "name_fr", ""), language)


def name_fields(prefix: str = "") -> tuple[str, str]:
    """The two columns a ``values()``/``values_list()`` read selects to name a row: ``name`` and ``name_fr``."""
    return f"{prefix}name", f"{prefix}name_fr"


def name_of(row: dict, prefix: str = "", language: str | None = None) -> str:
    """The shown name of a ``values()`` row that selected ``name_fields(prefix)``."""
    return localized(row[f"{prefix}name"], row.get(f"{prefix}name_fr", ""), language)


def name_expression(prefix: str = "", language: str | None = None):
    """``localized`` as a SQL expression (``order_by`` of a paginated list by the shown name)."""
    if _language(language) != FRENCH:
        return F(f"{prefix}name")
    return Coalesce(NullIf(F(f"{prefix}name_fr"), Value("")), F(f"{prefix}name"))


class ItemLabel:
    """Mixin for a result row (a dataclass, frozen or not) with ``item_name`` and ``item_name_fr`` fields: the
    item's name in the reader's language as ``item_label``; ``item_name`` stays English. No fields of its own
    (a dataclass inheriting it keeps its field order and defaults)."""

    @property
    def item_label(self) -> str:
        return localized(self.item_name, self.item_name_fr)


class CategoryLabel:
    """Mixin for a result row with ``category_name`` and ``category_name_fr`` fields: ``category_label``, the
    category's name in the reader's language (as ``ItemLabel``)."""

    @property
    def category_label(self) -> str:
        return localized(self.category_name, self.category_name_fr)


@functools.lru_cache(maxsize=65536)
def sort_key(text: str) -> str:
    """Names sort case-insensitively ("États-Unis" after "Espagne"): accents folded for the order only.
    Cached: a page sorts the same thousand item names on every request (~20 ms of a full-size overview)."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
