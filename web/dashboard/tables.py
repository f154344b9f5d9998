"""Tables as data: the same rows render as HTML and export to CSV/XLSX, so an export always matches
what is on screen, with the same filters. Purely presentational: values come from the selectors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Link:
    text: str
    url: str
    is_link = True  # for templates

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Badge:
    """A short status word with a CSS class (e.g. "Overdue", "Not recovering")."""

    text: str
    css: str = ""
    is_badge = True  # for templates

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Column:
    key: str
    label: Any  # a (lazy) translated string
    kind: str = "text"  # text | int | eur | pct | date | months | badge
    sort: str = ""  # the sort key the view understands ("" = not sortable)

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "eur", "pct", "months")


@dataclass
class Table:
    key: str
    title: Any
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    empty: Any = ""  # what to do when there are no rows
    caption: Any = ""
    total: int | None = None  # rows before a page's cut ("15 of 42"); None when all are shown

    def cells(self):
        """Rows as (column, value) pairs, for the template."""
        for row in self.rows:
            yield list(zip(self.columns, row, strict=True))


def export_value(value: Any, kind: str) -> Any:
    """A cell as a plain value for a file: numbers stay numbers, dates ISO 8601, links their text."""
    if value is None:
        return ""
    if isinstance(value, (Link, Badge)):
        return str(value.text)
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value) if kind in ("eur", "pct") else int(value) if value == value.to_integral() else float(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, (int, float)) else str(value)
