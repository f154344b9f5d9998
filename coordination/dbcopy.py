"""PostgreSQL COPY of Python values: the fast path shared by bulk inserts and the shortfall store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of Python values (psycopg 3 adapts each value)."""
    quote = cursor.db.ops.quote_name
    with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def copy_text(value) -> str:
    """``value`` in COPY's text format: ``\\N`` for null, ISO dates and times, text with its backslashes,
    tabs and line breaks escaped."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):  # datetime too: aware ones keep their offset
        return value.isoformat()
    return (str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))


def copy_line_template(columns: Sequence[str], fixed: Mapping[str, object]) -> str:
    """A ``str.format`` template of one COPY text line: the ``fixed`` columns' values written in, a ``{}``
    for each other column, in order. Only ints and dates may be formatted into the ``{}``s (their
    ``format`` is their COPY text); anything else goes in ``fixed``."""
    return "\t".join(copy_text(fixed[c]).replace("{", "{{").replace("}", "}}") if c in fixed else "{}"
                     for c in columns) + "\n"


def copy_lines(cursor, table: str, columns: Sequence[str], lines: Iterable[str]) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of lines already in COPY's text format, sent in one
    piece (for tens of thousands of rows, an order of magnitude cheaper than adapting every value)."""
    quote = cursor.db.ops.quote_name
    with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        copy.write("".join(lines))
