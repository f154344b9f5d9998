"""Numbers and dates inside messages, the same way everywhere: numbers grouped per the active language
(40,000 in English, 40 000 in French), dates ISO 8601."""

from __future__ import annotations

import datetime as dt

from django.utils.formats import number_format


def grouped(number) -> str:
    """A number in a message, grouped per the active language (40,000 / 40 000)."""
    return number_format(number, force_grouping=True)


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def amount_of(quantity, item) -> str:
    """"40,000 rounds, 155 mm HE": a quantity with the item's unit and name."""
    if item is None:
        return grouped(quantity)
    return f"{grouped(quantity)} {item.get_unit_display()}, {item.display_name}"
