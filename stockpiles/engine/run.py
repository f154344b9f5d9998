"""Running the engine: full recompute, drain batches of marked pairs, overdue- and stale-reporting-alert sync,
under the lock."""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from coordination.history import background_attribution
from stockpiles import alerts
from stockpiles.engine import setbased
from stockpiles.engine.history import history_start, shortfall_history_rebuild, shortfall_history_record
from stockpiles.engine.inputs import compute_isolated, shortfall_inputs, shortfalls_compute_with_failures
from stockpiles.engine.lock import _engine_lock
from stockpiles.engine.marks import _delete_marks, _read_marks
from stockpiles.engine.store import _delete_rows_without_inputs, shortfalls_mark_failed, shortfalls_store
from stockpiles.models import ShortfallMark, ShortfallRun, ShortfallVersion

Pair = tuple[int, int]  # (nation_id, item_id)


def _recompute_locked(*, pairs: Sequence[Pair] | None, marks: Sequence[tuple] = ()) -> int:
    """Inside a transaction holding the engine lock: compute, store, drop rows without inputs, sync alerts.

    A pair that cannot be computed keeps its previous row, marked failed, and gets an engine-failure alert;
    every other pair is computed and stored. Its mark is deleted with the others (a deterministic failure
    would otherwise drain forever): the failure is in the row and the alert, and every full recompute and
    every write to the pair tries it again.

    The history (``engine.history``) records today's figures in the same transaction, and re-derives the
    history of marked pairs whose mark carries ``history_from`` (a backdated input) from that date on."""
    if pairs is None and setbased.applies():
        results, failures = _full_recompute_setbased()
        count = len(results)
    else:
        results, failures = shortfalls_compute_with_failures(pairs=pairs)
        count = shortfalls_store(results=results)
    shortfall_history_record(results=results, pairs=pairs, failures=failures.keys())
    backdated: dict = {}
    for _, n, i, _, since in marks:
        if since is not None:
            backdated.setdefault(since, set()).add((n, i))
    for since, group in sorted(backdated.items()):
        shortfall_history_rebuild(pairs=group, since=since)
    shortfalls_mark_failed(failures=failures)
    _delete_rows_without_inputs(pairs=pairs, keep=results.keys() | failures.keys())
    alerts.alerts_sync(results=results, pairs=None if pairs is None else set(pairs), failures=failures)
    _maybe_pause_for_tests()
    return count


def _full_recompute_setbased() -> tuple[dict, dict]:
    """PostgreSQL's full recompute: the pairs whose formulas are plain arithmetic computed and stored by the
    database (``engine.setbased``), the others through the Python formulas with the inputs a read of every
    pair gives them. Same rows as ``shortfalls_compute_with_failures(pairs=None)`` + ``shortfalls_store``
    (tests/stockpiles/test_engine_setbased.py)."""
    today = timezone.localdate()
    results, python_pairs, received_after = setbased.compute(as_of=today)
    setbased.store(as_of=today, pairs=results.keys())
    rest, failures = compute_isolated(shortfall_inputs(pairs=sorted(python_pairs), as_of=today,
                                                       received_after=received_after))
    shortfalls_store(results=rest)
    results.update(rest)
    return results, failures


def _maybe_pause_for_tests() -> None:
    """``SHORTFALL_TEST_SLEEP_SECONDS`` (tests only): hold the transaction open so a test can kill the worker."""
    seconds = float(getattr(settings, "SHORTFALL_TEST_SLEEP_SECONDS", 0) or 0)
    if seconds > 0:
        time.sleep(seconds)


def shortfalls_recompute(*, pairs: Sequence[Pair] | None = None) -> int:
    """Recompute and store today's shortfalls for the given pairs (``None``: the full recompute).

    The full recompute also removes rows of pairs that no longer have inputs of their own, and it
    syncs every alert (including pledges that became overdue because a date passed). Marks that
    existed before it started are covered by it and deleted (unless re-set meanwhile).
    """
    with _collector_paused(pairs is None), background_attribution(), transaction.atomic():
        _engine_lock()
        marks = _read_marks(limit=None) if pairs is None else []
        count = _recompute_locked(pairs=pairs, marks=marks)
        _delete_marks(marks)
        if pairs is None:
            _record_full_run()
    return count


@contextmanager
def _collector_paused(pause: bool):
    """The full recompute builds ~50 k inputs and results that all live until it ends: the cyclic garbage
    collector would walk them again and again (about a third of its time, measured) for nothing to free.
    Paused for its duration; what it leaves behind is collected as usual afterwards."""
    if not pause or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _record_full_run() -> None:
    """The full recompute confirmed every row (it rewrites only those that changed): one upsert of ShortfallRun."""
    ShortfallRun.objects.bulk_create([ShortfallRun(pk=1, finished_at=timezone.now())], update_conflicts=True,
                                     unique_fields=["pk"], update_fields=["finished_at"])


def shortfalls_recompute_marked(*, limit: int = 5000) -> int:
    """One drain batch: under the engine lock, read up to ``limit`` marks, recompute and store those
    pairs, delete exactly the marks read (a mark re-set meanwhile keeps its newer ``marked_at`` and
    stays for the next batch). Returns the number of marks handled (0: nothing left).
    """
    if not ShortfallMark.objects.exists():  # nothing to do: do not even queue for the lock
        return 0
    with background_attribution(), transaction.atomic():
        _engine_lock(asynchronous_commit=True)
        marks = _read_marks(limit=limit)
        if not marks:
            return 0
        _recompute_locked(pairs=[(n, i) for _, n, i, *_ in marks], marks=marks)
        _delete_marks(marks)
    return len(marks)


def shortfalls_drain(*, limit: int = 5000, max_batches: int | None = None) -> int:
    """Drain batches until no marks are left (or ``max_batches``). Returns the marks handled."""
    total = batches = 0
    while max_batches is None or batches < max_batches:
        done = shortfalls_recompute_marked(limit=limit)
        if not done:
            break
        total += done
        batches += 1
    return total


def shortfall_alerts_sync_overdue() -> tuple[int, int]:
    """Raise/close overdue-pledge alerts for every pledge (under the engine lock). Returns (raised, closed)."""
    with background_attribution(), transaction.atomic():
        _engine_lock()
        return alerts.alerts_sync_overdue()


def stale_reporting_sync() -> tuple[int, int]:
    """Raise/close stale-reporting alerts for every nation (under the engine lock, so a drain closing one
    after a fresh report cannot interleave). Returns (raised, closed)."""
    with background_attribution(), transaction.atomic():
        _engine_lock()
        return alerts.alerts_sync_stale_reporting()
def shortfall_history_rebuild_locked(*, since: dt.date | None = None, pairs: Sequence[Pair] | None = None,
                                     progress=None) -> int:
    """Re-derive the history of ``pairs`` (None: every pair) from ``since`` (None: the earliest input date)
    to today, under the engine lock, in one transaction (the backfill of existing data, the demo load,
    ``manage.py rebuild_shortfall_history``). Returns the versions written or changed."""
    with background_attribution(), transaction.atomic():
        _engine_lock()
        start = since or history_start()
        if start is None:
            return 0
        written = shortfall_history_rebuild(pairs=pairs, since=start, progress=progress)
    if written >= ANALYZE_AFTER_VERSIONS and connection.vendor == "postgresql":
        # the planner's statistics for the new versions now, not when autovacuum comes by: with the counts of
        # before a large backfill it picks nested loops for "the versions valid on a day" (the overview as of
        # a date at full size: 650 ms -> 170 ms for that read)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {ShortfallVersion._meta.db_table}")
    return written


ANALYZE_AFTER_VERSIONS = 10_000  # a rebuild writing this many versions refreshes the table's statistics
