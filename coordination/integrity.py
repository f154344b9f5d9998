"""A database refusal in words: the constraint's own message, never its name.

Every check and unique constraint carries a ``violation_error_message`` (in the model's ``Meta``), which
model validation shows. A write that reaches the database anyway (a race the service had checked for, a
bulk path that skips per-row ORM validation) fails with an ``IntegrityError``; ``integrity_message`` finds
the constraint it names and answers with the same message, in the active language.
"""

from __future__ import annotations

import functools
import re

from django.apps import apps
from django.db import IntegrityError
from django.utils.translation import gettext as _

_SQLITE_CHECK = re.compile(r"CHECK constraint failed: (\w+)")
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w.]+(?:, [\w.]+)*)")


@functools.cache
def _constraints() -> tuple[dict[str, object], dict[tuple[str, frozenset[str]], object]]:
    by_name: dict[str, object] = {}
    by_columns: dict[tuple[str, frozenset[str]], object] = {}
    for model in apps.get_models():
        opts = model._meta
        for constraint in opts.constraints:
            by_name[constraint.name] = constraint
            fields = getattr(constraint, "fields", ())
            if fields:
                columns = frozenset(opts.get_field(name).column for name in fields)
                by_columns.setdefault((opts.db_table, columns), constraint)
    return by_name, by_columns


def constraint_of(exc: IntegrityError):
    """The model constraint an IntegrityError names (PostgreSQL: by name; SQLite: by name or columns)."""
    by_name, by_columns = _constraints()
    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    name = getattr(diag, "constraint_name", None)
    if name:
        return by_name.get(name)
    text = str(exc)
    if match := _SQLITE_CHECK.search(text):
        return by_name.get(match.group(1))
    if match := _SQLITE_UNIQUE.search(text):
        pairs = [part.rsplit(".", 1) for part in match.group(1).split(", ")]
        tables = {table for table, _column in pairs}
        if len(tables) == 1:
            return by_columns.get((tables.pop(), frozenset(column for _table, column in pairs)))
    return None


def integrity_message(exc: IntegrityError) -> str:
    """What to tell the user about a write the database refused."""
    constraint = constraint_of(exc)
    if constraint is not None and constraint.violation_error_message != constraint.default_violation_error_message:
        return str(constraint.get_violation_error_message())
    return _("This record conflicts with another one, or breaks a rule of the database; nothing was saved.")
