"""The engine's storage side: upsert Shortfall rows, drop rows whose pair lost its inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from operator import attrgetter

from django.db import transaction
from django.utils import timezone

from coordination.dbcopy import copy_rows
from stockpiles import hooks, shortfalls
from stockpiles.models import Shortfall

Pair = tuple[int, int]  # (nation_id, item_id)


RESULT_COLUMNS = (
    "as_of", "on_hand", "guideline", "owed", "available", "shortfall", "coverage", "rate",
    "months_to_recover", "not_recovering", "status", "contracted_inflow", "recovers_on",
)


def shortfalls_store(*, results: dict[Pair, shortfalls.ShortfallResult]) -> int:
    """Upsert Shortfall rows by (nation, item). Running it twice changes nothing but ``computed_at``.

    PostgreSQL, more than ``COPY_STORE_MIN_ROWS`` rows (a full recompute, a large drain): the rows go into
    a temporary table with ``COPY`` and from there into Shortfall with one ``INSERT ... SELECT ... ON
    CONFLICT DO UPDATE ... WHERE`` the values differ: an unchanged row is not rewritten and keeps its
    ``computed_at`` (the full recompute records its end in ``ShortfallRun``). Otherwise ``bulk_create``
    upserts, which rewrite every row. Same values either way.
    """
    now = timezone.now()
    hooks.shortfalls_stored(pairs=results.keys())  # webhooks compare the rows after the commit
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and len(results) > COPY_STORE_MIN_ROWS:
        return _store_by_copy(results=results, now=now)
    rows = [
        Shortfall(nation_id=n, item_id=i, computed_at=now, **{name: getattr(r, name) for name in RESULT_COLUMNS},
                  **COMPUTED_STATE)
        for (n, i), r in sorted(results.items())
    ]
    Shortfall.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=[*RESULT_COLUMNS, *COMPUTED_STATE, "computed_at"],
        batch_size=1000,
    )
    return len(rows)


# A stored result clears an earlier failure of its pair.
COMPUTED_STATE = {"failed": False, "failure": ""}


def shortfalls_mark_failed(*, failures: dict[Pair, str]) -> int:
    """Keep the previous rows of pairs the engine could not compute, marked as failed with the reason
    (their figures and ``computed_at`` stay as they were). A pair that never had a row gets none: its
    engine-failure alert says it. One UPDATE per failed pair: failures are the exception, not the rule."""
    marked = 0
    for (n, i), reason in sorted(failures.items()):
        marked += Shortfall.objects.filter(nation_id=n, item_id=i).update(failed=True, failure=reason)
    return marked


# Below this many rows (an incremental drain) one parameterised upsert is cheaper than a temp table.
COPY_STORE_MIN_ROWS = 200


def _store_by_copy(*, results: dict[Pair, shortfalls.ShortfallResult], now: dt.datetime) -> int:
    connection = transaction.get_connection()
    table = Shortfall._meta.db_table
    columns = ["nation_id", "item_id", *RESULT_COLUMNS, *COMPUTED_STATE, "computed_at"]
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[2:])
    # Only rows whose values changed are rewritten (a full recompute changes a few hundred of ~50 k rows;
    # rewriting the others cost most of its time). Their ``computed_at`` stays: the full recompute records
    # its own end (``ShortfallRun``), and "last computed" is the later of the two.
    changed = (f"({', '.join(f'{table}.{c}' for c in columns[2:-1])}) IS DISTINCT FROM "
               f"({', '.join(f'EXCLUDED.{c}' for c in columns[2:-1])})")
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP as a safety net; the table is dropped at the end (a later store may recreate it).
        cursor.execute(f"CREATE TEMP TABLE shortfall_in ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        tail = (*COMPUTED_STATE.values(), now)
        values = attrgetter(*RESULT_COLUMNS)
        rows = ((n, i, *values(r), *tail) for (n, i), r in sorted(results.items()))
        copy_rows(cursor, "shortfall_in", columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM shortfall_in "
            f"ON CONFLICT (nation_id, item_id) DO UPDATE SET {updates} WHERE {changed}"
        )
        cursor.execute("DROP TABLE shortfall_in")
    return len(results)


def _delete_rows_without_inputs(*, pairs: Sequence[Pair] | None, keep: Iterable[Pair]) -> int:
    """Remove Shortfall rows of pairs that no longer have inputs (``pairs=None``: among all rows)."""
    keep = set(keep)
    candidates = Shortfall.objects.order_by()
    if pairs is not None:
        gone = set(pairs) - keep
        if not gone:
            return 0
        candidates = candidates.filter(nation_id__in={n for n, _ in gone}, item_id__in={i for _, i in gone})
    else:
        gone = None
    stale = [
        pk for pk, n, i in candidates.values_list("pk", "nation_id", "item_id")
        if (n, i) not in keep and (gone is None or (n, i) in gone)
    ]
    if not stale:
        return 0
    return Shortfall.objects.filter(pk__in=stale).delete()[0]
