"""PostgreSQL COPY of Python values: the fast path shared by bulk inserts and the shortfall store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of Python values (psycopg 3 adapts each value)."""
    quote = cursor.db.ops.quote_name
    with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
