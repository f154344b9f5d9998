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


PERCENT_KINDS = ("pct", "coverage")  # shares (0.734): exported as percentages with one decimal


def export_label(column: Column) -> str:
    """A column's header in a file, with the unit of a percentage column ("Coverage (%)")."""
    return f"{column.label} (%)" if column.kind in PERCENT_KINDS else str(column.label)


def _rounded(value: Any, places: int) -> Any:
    try:
        return round(float(value), places)
    except (TypeError, ValueError):
        return str(value)


def export_value(value: Any, kind: str) -> Any:
    """A cell as a plain value for a file: numbers stay numbers (shares as percentages with one decimal, EUR
    to the cent, months to one decimal), dates ISO 8601, links and badges their text."""
    if kind == "coverage":  # a heat-map cell (stockpiles.shortfalls.CoverageCell): its lowest coverage
        value = getattr(value, "coverage", value)
    if value is None:
        return ""
    if isinstance(value, (Link, Badge)):
        return str(value.text)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if kind in PERCENT_KINDS and isinstance(value, (int, float, Decimal)):
        return _rounded(float(value) * 100, 1)
    if kind == "eur" and isinstance(value, (int, float, Decimal)):
        return _rounded(value, 2)
    if kind == "months" and isinstance(value, (int, float, Decimal)):
        return int(value) if value == int(value) else _rounded(value, 1)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral() else float(value)
    return value if isinstance(value, (int, float)) else str(value)
