"""Numbers for people: thousands separators, EUR with units ("€1.2 bn"), percentages, ISO dates.

Every filter accepts ``None`` and shows an em dash, so templates need no ``if`` around empty values.
The separators follow the active language (English "1,234,567"; French "1 234 567").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.utils import formats, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()

EMPTY = "—"


def _number(value, decimals: int = 0) -> str:
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def format_int(value) -> str:
    if value is None or value == "":
        return EMPTY
    try:
        return _number(round(Decimal(str(value))), 0)
    except (ArithmeticError, ValueError, TypeError):
        return str(value)


def format_eur(value) -> str:
    """EUR for people: "€1.2 bn", "€350.0 m", "€12,500" (French: "1,2 Md€", "350,0 M€", "12 500 €")."""
    if value is None or value == "":
        return EMPTY
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        return str(value)
    size = abs(amount)
    if size >= Decimal("1e9"):
        return _("€%(amount)s bn") % {"amount": _number(amount / Decimal("1e9"), 1)}
    if size >= Decimal("1e6"):
        return _("€%(amount)s m") % {"amount": _number(amount / Decimal("1e6"), 1)}
    return _("€%(amount)s") % {"amount": _number(round(amount), 0)}


def format_pct(value, decimals: int = 0) -> str:
    """A share (0.734) as a percentage ("73%"; French "73 %")."""
    if value is None or value == "":
        return EMPTY
    try:
        share = Decimal(str(value)) * 100
    except (ArithmeticError, ValueError, TypeError):
        return str(value)
    return _("%(amount)s%%") % {"amount": _number(share, decimals)}


def format_date(value) -> str:
    """ISO 8601, whatever the language."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M") + (f" {value.tzname()}" if value.tzname() else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


register.filter("num", format_int)
register.filter("eur", format_eur)
register.filter("pct", format_pct)
register.filter("isodate", format_date)


@register.filter
def coverage_band(value) -> str:
    """A CSS class for a coverage share: the heat map's colour (no inline styles)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return "cov-na"
    if value < 0.5:
        return "cov-0"
    if value < 0.75:
        return "cov-1"
    if value < 1:
        return "cov-2"
    return "cov-3"


def _cell_content(column, value) -> str:
    """One table cell's inner HTML (escaped), by column kind; see ``table_row``."""
    kind = column.kind
    if getattr(value, "is_badge", False):  # in any column: a hidden figure's reason, a status word
        return format_html('<span class="badge {}">{}</span>', value.css, value.text)
    if kind == "int":
        return conditional_escape(format_int(value))
    if kind == "eur":
        return conditional_escape(format_eur(value))
    if kind == "pct":
        return conditional_escape(format_pct(value))
    if kind == "date":
        return conditional_escape(format_date(value))
    if kind == "coverage":
        if not value:
            return format_html('<span class="muted">{}</span>', EMPTY)
        missing = getattr(value, "items_not_reported", 0)
        note = format_html(' <span class="not-reported">{}</span>', ngettext(
            "%(n)s not reported", "%(n)s not reported", missing) % {"n": missing}) if missing else ""
        if value.coverage is None and missing:
            return note
        return format_html('<span title="{} / {}">{}</span>{}', value.items_below, value.items_counted,
                           format_pct(value.coverage), note)
    if kind == "months":
        return conditional_escape(format_int(value))
    if getattr(value, "is_link", False):
        return format_html('<a href="{}">{}</a>', value.url, value.text)
    return conditional_escape(formats.localize(value))  # as {{ value }} would render it


@register.simple_tag
def table_row(cells) -> str:
    """The cells of one table row, the first as the row header: (column, value) pairs from ``Table.cells``.

    Rendered in Python rather than one template include per cell: a page of a few thousand cells
    renders in a fraction of the time.
    """
    parts = []
    for index, (column, value) in enumerate(cells):
        if index == 0:
            parts.append(format_html('<th scope="row">{}</th>', _cell_content(column, value)))
        elif column.numeric:
            parts.append(format_html('<td class="num">{}</td>', _cell_content(column, value)))
        elif column.kind == "date":
            parts.append(format_html('<td class="date">{}</td>', _cell_content(column, value)))
        elif column.kind == "coverage":
            band = coverage_band(getattr(value, "coverage", None))
            parts.append(format_html('<td class="heat {}">{}</td>', band, _cell_content(column, value)))
        else:
            parts.append(format_html("<td>{}</td>", _cell_content(column, value)))
    return mark_safe("".join(parts))  # noqa: S308 - every part is built with format_html / conditional_escape
