"""Writes for stock levels, guidelines and rates, and the shortfall engine's storage side."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from coordination.models import Item, Nation
from coordination.services import BulkValidationError, require_nation_access
from pledges.models import Pledge
from stockpiles import shortfalls
from stockpiles.models import (
    CurrentStock,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    ShortfallMark,
    StockpileGuideline,
    StockReport,
)

Pair = tuple[int, int]  # (nation_id, item_id)
BIGINT_MAX = 2**63 - 1  # the quantity column (BigIntegerField)

logger = logging.getLogger(__name__)


# --- Marking pairs dirty and requesting a drain -------------------------------------------------

def shortfall_mark_pairs(*, pairs: Iterable[Pair]) -> int:
    """Mark (nation, item) pairs for recompute; when the transaction commits, request one drain.

    A mark that already exists is re-set (new ``marked_at``), so a drain that read it before this
    write will not delete it and the change is picked up by the next batch. However many pairs, a
    task is only published when none is already pending (see ``shortfall_request_drain``).
    """
    unique = sorted(set(pairs))
    if not unique:
        return 0
    now = timezone.now()
    ShortfallMark.objects.bulk_create(
        [ShortfallMark(nation_id=n, item_id=i, marked_at=now) for n, i in unique],
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=["marked_at"],
        batch_size=1000,
    )
    transaction.on_commit(shortfall_request_drain)
    return len(unique)


def shortfall_mark_item(*, item_id: int) -> int:
    """An alliance-wide guideline change touches every nation holding, owing or producing the item."""
    nations = set(CurrentStock.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    nations |= set(Shortfall.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    return shortfall_mark_pairs(pairs=[(n, item_id) for n in nations])


def shortfall_request_drain(*, force: bool = False) -> bool:
    """Publish one ``recompute_marked_shortfalls`` task unless one is already pending. True if published.

    Coalescing: a short-lived "drain pending" key (``drainflag``) is set when a task is published
    and cleared by the task when it starts, before it reads the marks. A write that commits while a
    task is pending needs no new task (that task will read its marks); a write that commits after
    the task started publishes exactly one more. So a burst of any number of writes costs at most
    one task per drain that actually runs, plus one. The key expires on its own, so a publication
    lost to a broker outage is retried by a later write; the periodic full recompute and the
    worker start-up check repair anything left meanwhile.
    """
    from stockpiles.tasks import recompute_marked_shortfalls

    if not drainflag.try_set() and not force:  # force (worker start): publish, and still set the flag
        return False
    try:
        recompute_marked_shortfalls.delay()
    except Exception:
        if recompute_marked_shortfalls.app.conf.task_always_eager:
            raise
        drainflag.clear()
        logger.exception("Could not publish the shortfall recompute; marks stay until the next drain.")
        return False
    return True


# --- Stock reports ------------------------------------------------------------------------------

def _today() -> dt.date:
    return timezone.localdate()


def _validate_report_row(row: dict, *, today: dt.date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    quantity = row.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors["quantity"] = ["Enter a whole number."]
    elif quantity < 0:
        errors["quantity"] = ["The quantity on hand cannot be negative."]
    elif quantity > BIGINT_MAX:
        errors["quantity"] = [f"The quantity cannot be more than {BIGINT_MAX}."]
    as_of = row.get("as_of")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        errors["as_of"] = ["Enter a valid date."]
    elif as_of > today:
        errors["as_of"] = [f"A stock report cannot be dated in the future (today is {today.isoformat()})."]
    if not isinstance(row.get("item"), Item):
        errors["item"] = ["Unknown item."]
    return errors


def stock_report_create(*, actor, nation: Nation, item: Item, quantity: int, as_of: dt.date,
                        user=None) -> StockReport:
    """Record one stock report; keep CurrentStock in step; mark the pair for recompute."""
    return stock_reports_bulk_create(
        actor=actor, nation=nation, rows=[{"item": item, "quantity": quantity, "as_of": as_of}], user=user,
        single=True,
    )[0]


def stock_reports_bulk_create(*, actor, nation: Nation, rows: Sequence[dict], user=None,
                              single: bool = False, change_reason: str | None = None) -> list[StockReport]:
    """All or nothing: every row valid, or a BulkValidationError with the errors per row index.

    A fixed number of queries whatever the size: one for duplicates, bulk inserts, one upsert.
    ``change_reason`` goes on the history rows as they are written (the API names its token there).
    """
    require_nation_access(actor, nation.pk, what=f"{nation.code}'s stock reports")
    today = _today()
    row_errors: dict[int, dict[str, list[str]]] = {}
    seen: dict[tuple[int, dt.date], int] = {}
    for index, row in enumerate(rows):
        errors = _validate_report_row(row, today=today)
        if not errors:
            key = (row["item"].pk, row["as_of"])
            if key in seen:
                errors["as_of"] = [f"Duplicate of row {seen[key]}: one report per item and day."]
            else:
                seen[key] = index
        if errors:
            row_errors[index] = errors

    with transaction.atomic():
        if seen:
            item_ids = {item_id for item_id, _ in seen}
            dates = {day for _, day in seen}
            existing = set(
                StockReport.objects.filter(nation=nation, item_id__in=item_ids, as_of__in=dates)
                .values_list("item_id", "as_of")
            )
            for key in existing & seen.keys():
                row_errors.setdefault(seen[key], {})["as_of"] = [
                    f"{nation.code} already reported this item for {key[1].isoformat()}."
                ]
        if row_errors:
            if single:
                raise ValidationError(next(iter(row_errors.values())))
            raise BulkValidationError(row_errors)

        writer = user if getattr(user, "pk", None) else None
        reports = []
        for row in rows:  # ids, with the related rows put in the instance's cache (cheaper than the descriptors)
            report = StockReport(nation_id=nation.pk, item_id=row["item"].pk, quantity=row["quantity"],
                                 as_of=row["as_of"], reported_by_id=getattr(writer, "pk", None))
            report._state.fields_cache.update(nation=nation, item=row["item"], reported_by=writer)
            reports.append(report)
        if transaction.get_connection().vendor == "postgresql" and len(reports) >= COPY_INSERT_MIN_ROWS:
            _insert_reports_by_copy(reports, history_user=writer, change_reason=change_reason)
        else:
            reports = bulk_create_with_history(reports, StockReport, batch_size=2000, default_user=writer,
                                               default_change_reason=change_reason)
        if any(r.pk is None for r in reports):  # backends without RETURNING: fetch the keys
            by_key = {
                (r.item_id, r.as_of): r.pk
                for r in StockReport.objects.filter(nation=nation, item_id__in={i for i, _ in seen})
                .only("pk", "item_id", "as_of")
            }
            for r in reports:
                r.pk = r.id = by_key[(r.item_id, r.as_of)]
        _current_stock_upsert(nation=nation, reports=reports)
        shortfall_mark_pairs(pairs=[(nation.pk, r.item_id) for r in reports])
    return reports


# From this many rows a bulk of stock reports goes in with COPY on PostgreSQL (an API batch of 10,000:
# the ORM's per-value preparation of two INSERTs was 60 % of the request).
COPY_INSERT_MIN_ROWS = 500


def _insert_reports_by_copy(reports: Sequence[StockReport], *, history_user, change_reason: str | None) -> None:
    """Insert ``reports`` and their history rows ("+", one time, the writer and reason) with two COPYs.

    The ids are drawn from the table's sequence first (one query), so the rows, their history and the
    caller (CurrentStock, the API's answer) know them. Same rows as ``bulk_create_with_history``; the
    database checks the same constraints (a duplicate report fails the whole batch).
    """
    connection = transaction.get_connection()
    now = timezone.now()
    table = StockReport._meta.db_table
    history = StockReport.history.model
    columns = [f.column for f in StockReport._meta.concrete_fields]
    attnames = [f.attname for f in StockReport._meta.concrete_fields]
    tracked = [f.attname for f in history.tracked_fields]
    history_columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                       [table, len(reports)])
        for report, (pk,) in zip(reports, cursor.fetchall(), strict=True):
            report.pk = pk
            report.created_at = now
            report._state.adding = False
            report._state.db = connection.alias
        _copy_rows(cursor, table, columns, ([getattr(report, name) for name in attnames] for report in reports))
        extra = [now, change_reason, "+", getattr(history_user, "pk", None)]
        _copy_rows(cursor, history._meta.db_table, history_columns,
                   ([*(getattr(report, name) for name in tracked), *extra] for report in reports))


def _copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """PostgreSQL ``COPY table (columns) FROM STDIN`` of Python values (psycopg 3 adapts each value)."""
    quote = cursor.db.ops.quote_name
    with cursor.cursor.copy(f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _current_stock_upsert(*, nation: Nation, reports: Sequence[StockReport]) -> None:
    latest: dict[int, StockReport] = {}
    for r in reports:
        if r.item_id not in latest or r.as_of > latest[r.item_id].as_of:
            latest[r.item_id] = r
    current = {
        c.item_id: c
        for c in CurrentStock.objects.select_for_update().filter(nation=nation, item_id__in=latest.keys())
    }
    rows = [
        CurrentStock(nation=nation, item_id=item_id, quantity=r.quantity, as_of=r.as_of, report_id=r.pk)
        for item_id, r in latest.items()
        if item_id not in current or r.as_of >= current[item_id].as_of
    ]
    CurrentStock.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=["quantity", "as_of", "report"],
        batch_size=2000,
    )


# --- Guidelines and production rates ------------------------------------------------------------

def guideline_saved(*, guideline: StockpileGuideline) -> None:
    """Call after a guideline was written (by a service or the admin): recompute what it touches."""
    if guideline.nation_id:
        shortfall_mark_pairs(pairs=[(guideline.nation_id, guideline.item_id)])
    else:
        shortfall_mark_item(item_id=guideline.item_id)


def production_rate_saved(*, rate: ProductionRate) -> None:
    """A nation's own rate changes its pair; a production line's rate changes no shortfall (it is
    industrial capacity, read on demand), so it marks nothing."""
    if rate.line_id is None:
        shortfall_mark_pairs(pairs=[(rate.nation_id, rate.item_id)])


class DrainFlag:
    """The "a drain task is pending" key used to coalesce drain requests.

    With a Redis broker: a Redis key set with NX and a TTL (shared by every web and worker process).
    With in-process (eager) tasks: a flag in this process. With another broker: no coalescing
    (every committed write transaction publishes one task, still never one per row).
    """

    prefix = "aid:stockpiles:shortfall-drain-pending"

    def __init__(self) -> None:
        self._local = False
        self._clients: dict[str, object] = {}

    @staticmethod
    def ttl() -> int:
        return int(getattr(settings, "SHORTFALL_DRAIN_PENDING_TTL", 300))

    def _redis(self):
        from coordination.celery import app

        if app.conf.task_always_eager:
            return None
        url = app.conf.broker_url or ""
        if not url.startswith(("redis://", "rediss://")):
            return None
        client = self._clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self._clients[url] = client
        return client

    @property
    def key(self) -> str:
        """One key per database and queue: deployments (or test runs) sharing a Redis never mix."""
        from coordination.celery import app

        name = transaction.get_connection().settings_dict.get("NAME") or ""
        return f"{self.prefix}:{name}:{app.conf.task_default_queue}"

    def _mode(self) -> str:
        from coordination.celery import app

        if app.conf.task_always_eager:
            return "local"
        return "redis" if self._redis() is not None else "none"

    def try_set(self) -> bool:
        """Set the flag if it is not set. True when this call set it (so the caller publishes)."""
        mode = self._mode()
        if mode == "local":
            if self._local:
                return False
            self._local = True
            return True
        if mode == "redis":
            try:
                return bool(self._redis().set(self.key, "1", nx=True, ex=self.ttl()))
            except Exception:  # Redis unreachable: publish anyway (the publish will tell)
                logger.warning("Drain flag unavailable; publishing without coalescing.", exc_info=True)
                return True
        return True

    def clear(self) -> None:
        mode = self._mode()
        if mode == "local":
            self._local = False
        elif mode == "redis":
            try:
                self._redis().delete(self.key)
            except Exception:
                logger.warning("Could not clear the drain flag; it expires by itself.", exc_info=True)

    def is_set(self) -> bool:
        mode = self._mode()
        if mode == "local":
            return self._local
        if mode == "redis":
            return bool(self._redis().exists(self.key))
        return False


drainflag = DrainFlag()


# --- The engine's storage side -------------------------------------------------------------------

# One PostgreSQL advisory lock serialises the writers of the Shortfall table (drains and full
# recomputes). It is transaction-scoped, so a killed worker's lock dies with its connection.
ENGINE_LOCK_KEY = 0x5AF0_0001


def _engine_lock(*, asynchronous_commit: bool = False) -> None:
    """Take the engine lock for the current transaction (PostgreSQL); SQLite serialises writers itself.

    ``asynchronous_commit`` (drains only), in the same statement: ``SET LOCAL synchronous_commit TO
    OFF``, so this transaction's COMMIT returns without waiting for the WAL flush. Safe for a drain
    and only for it: everything it writes is derived (Shortfall rows, alerts) and it deletes the
    marks it handled in the same transaction. A crash that loses this commit (at most about
    3 x ``wal_writer_delay`` of commits) loses the marks' deletion with it, so the marks are still
    there and the next drain recomputes the same pairs: nothing lost, nothing half-applied (an
    asynchronous commit is still atomic). User writes keep synchronous commits.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if asynchronous_commit:
                cursor.execute("SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true)",
                               [ENGINE_LOCK_KEY])
            else:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENGINE_LOCK_KEY])


def shortfall_inputs(*, pairs: Sequence[Pair] | None, as_of: dt.date, item_id: int | None = None
                     ) -> dict[Pair, shortfalls.ShortfallInputs]:
    """Gather the inputs for many pairs with a fixed number of queries.

    ``pairs=None``: every pair that has inputs of its own (``shortfalls.has_own_inputs``), or only
    those of ``item_id`` when given. Given pairs are returned whether or not they have inputs (the
    caller decides what an empty pair means).
    """
    if pairs is None:
        nation_ids = None
        item_ids = None if item_id is None else {item_id}
        wanted = None
    else:
        wanted = set(pairs)
        nation_ids = {n for n, _ in wanted}
        item_ids = {i for _, i in wanted}
        if not wanted:
            return {}

    def scoped(qs, nation_field="nation_id", item_field="item_id"):
        if nation_ids is not None:
            qs = qs.filter(**{f"{nation_field}__in": nation_ids})
        if item_ids is not None:
            qs = qs.filter(**{f"{item_field}__in": item_ids})
        return qs

    stock: dict[Pair, list[shortfalls.StockPoint]] = defaultdict(list)
    if as_of >= _today():
        # Today's numbers: the latest report is CurrentStock (no history scan).
        for n, i, q, d in scoped(CurrentStock.objects.order_by()).values_list("nation_id", "item_id", "quantity",
                                                                               "as_of"):
            stock[(n, i)].append(shortfalls.StockPoint(d, q))
    else:
        # A past date: the latest report on or before it, per pair (one query with a correlated subquery).
        latest_day = (
            StockReport.objects.filter(nation_id=OuterRef("nation_id"), item_id=OuterRef("item_id"), as_of__lte=as_of)
            .order_by("-as_of").values("as_of")[:1]
        )
        qs = scoped(StockReport.objects.filter(as_of__lte=as_of)).filter(as_of=Subquery(latest_day)).order_by()
        for n, i, q, d in qs.values_list("nation_id", "item_id", "quantity", "as_of"):
            stock[(n, i)].append(shortfalls.StockPoint(d, q))

    guidelines_by_item: dict[int, list[tuple[int | None, shortfalls.GuidelinePeriod]]] = defaultdict(list)
    gqs = StockpileGuideline.objects.filter(effective_from__lte=as_of).order_by()
    if item_ids is not None:
        gqs = gqs.filter(item_id__in=item_ids)
    for item_id, nation_id, minimum, start, end in gqs.values_list(
        "item_id", "nation_id", "minimum_quantity", "effective_from", "effective_to"
    ):
        guidelines_by_item[item_id].append(
            (nation_id, shortfalls.GuidelinePeriod(minimum, start, end, national=nation_id is not None))
        )

    # The nation's own production only: a production line's rows are industrial capacity
    # (stockpiles.procurement.industrial_capacity), not what the nation's stock regains.
    rates: dict[Pair, list[shortfalls.RatePeriod]] = defaultdict(list)
    rqs = ProductionRate.objects.filter(effective_from__lte=as_of, line__isnull=True).order_by()
    for n, i, units, start in scoped(rqs).values_list("nation_id", "item_id", "units_per_month", "effective_from"):
        rates[(n, i)].append(shortfalls.RatePeriod(units, start))

    # Contracted inflows: schedule lines of the nation's orders placed by the date, not cancelled, not
    # received before the pair's stock report (``ScheduledInflow.counts`` decides; the filter only
    # narrows the read, to lines received after the oldest report in use).
    inflows: dict[Pair, list[shortfalls.ScheduledInflow]] = defaultdict(list)
    oldest_report = min((p.as_of for points in stock.values() for p in points), default=as_of)
    iqs = (
        OrderScheduleLine.objects.filter(order__ordered_on__lte=as_of)
        .exclude(order__status=Order.Status.CANCELLED)
        .filter(Q(received_on__isnull=True) | Q(received_on__gt=min(oldest_report, as_of)))
        .order_by()
    )
    for n, i, due, q, received in scoped(iqs, "order__nation_id", "order__item_id").values_list(
        "order__nation_id", "order__item_id", "due_on", "quantity", "received_on"
    ):
        inflows[(n, i)].append(shortfalls.ScheduledInflow(due, q, received_on=received))

    owed: dict[Pair, list[shortfalls.OwedPledge]] = defaultdict(list)
    pqs = (
        Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=as_of)
        .exclude(status=Pledge.Status.CANCELLED)
        .order_by()
    )
    if as_of >= _today():
        rows = scoped(pqs, "donor_id").values_list("donor_id", "item_id", "quantity", "shipped_quantity")
        for n, i, q, shipped in rows:
            owed[(n, i)].append(shortfalls.OwedPledge(q, shipped))
    else:
        from pledges.selectors import shipped_by_pledge_as_of

        pledge_rows = list(scoped(pqs, "donor_id").values_list("pk", "donor_id", "item_id", "quantity"))
        shipped = shipped_by_pledge_as_of(pledge_ids=[r[0] for r in pledge_rows], as_of=as_of)
        for pk, n, i, q in pledge_rows:
            owed[(n, i)].append(shortfalls.OwedPledge(q, shipped.get(pk, 0)))

    if wanted is None:
        national_pairs = {(n, i) for i, gs in guidelines_by_item.items() for n, _ in gs if n is not None}
        wanted = set(stock) | set(owed) | set(rates) | set(inflows) | national_pairs

    result: dict[Pair, shortfalls.ShortfallInputs] = {}
    for n, i in wanted:
        result[(n, i)] = shortfalls.ShortfallInputs(
            as_of=as_of,
            stock=tuple(stock.get((n, i), ())),
            guidelines=tuple(g for nation_id, g in guidelines_by_item.get(i, ()) if nation_id in (None, n)),
            rates=tuple(rates.get((n, i), ())),
            pledges=tuple(owed.get((n, i), ())),
            inflows=tuple(inflows.get((n, i), ())),
        )
    return result


def shortfalls_compute(*, pairs: Sequence[Pair] | None, as_of: dt.date | None = None
                       ) -> dict[Pair, shortfalls.ShortfallResult]:
    """Compute (without storing) shortfalls as of a date (today by default): also past-date snapshots.

    ``pairs=None``: every pair with inputs of its own. Given pairs without inputs are left out.
    """
    as_of = as_of or _today()
    return {
        pair: shortfalls.compute_shortfall(inp)
        for pair, inp in shortfall_inputs(pairs=pairs, as_of=as_of).items()
        if shortfalls.has_own_inputs(inp)
    }


RESULT_COLUMNS = (
    "as_of", "on_hand", "guideline", "owed", "available", "shortfall", "coverage", "rate",
    "months_to_recover", "not_recovering", "status", "contracted_inflow", "recovers_on",
)


def shortfalls_store(*, results: dict[Pair, shortfalls.ShortfallResult]) -> int:
    """Upsert Shortfall rows by (nation, item). Running it twice changes nothing but ``computed_at``.

    PostgreSQL: the rows go into a temporary table with ``COPY`` and from there into Shortfall with
    one ``INSERT ... SELECT ... ON CONFLICT DO UPDATE`` (a 40 k-row full recompute stores in about a
    quarter of the time of parameterised upserts). Other databases: ``bulk_create`` upserts. Same rows.
    """
    now = timezone.now()
    connection = transaction.get_connection()
    if connection.vendor == "postgresql" and len(results) > COPY_STORE_MIN_ROWS:
        return _store_by_copy(results=results, now=now)
    rows = [
        Shortfall(nation_id=n, item_id=i, computed_at=now, **{name: getattr(r, name) for name in RESULT_COLUMNS})
        for (n, i), r in sorted(results.items())
    ]
    Shortfall.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=[*RESULT_COLUMNS, "computed_at"],
        batch_size=1000,
    )
    return len(rows)


# Below this many rows (an incremental drain) one parameterised upsert is cheaper than a temp table.
COPY_STORE_MIN_ROWS = 200


def _store_by_copy(*, results: dict[Pair, shortfalls.ShortfallResult], now: dt.datetime) -> int:
    connection = transaction.get_connection()
    table = Shortfall._meta.db_table
    columns = ["nation_id", "item_id", *RESULT_COLUMNS, "computed_at"]
    names = ", ".join(columns)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[2:])
    with transaction.atomic(), connection.cursor() as cursor:
        # ON COMMIT DROP as a safety net; the table is dropped at the end (a later store may recreate it).
        cursor.execute(f"CREATE TEMP TABLE shortfall_in ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")
        rows = ((n, i, *(getattr(r, name) for name in RESULT_COLUMNS), now) for (n, i), r in sorted(results.items()))
        _copy_rows(cursor, "shortfall_in", columns, rows)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM shortfall_in "
            f"ON CONFLICT (nation_id, item_id) DO UPDATE SET {updates}"
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


def _recompute_locked(*, pairs: Sequence[Pair] | None) -> int:
    """Inside a transaction holding the engine lock: compute, store, drop rows without inputs, sync alerts."""
    from stockpiles import alerts

    results = shortfalls_compute(pairs=pairs)
    count = shortfalls_store(results=results)
    _delete_rows_without_inputs(pairs=pairs, keep=results.keys())
    alerts.alerts_sync(results=results, pairs=None if pairs is None else set(pairs))
    _maybe_pause_for_tests()
    return count


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
    with transaction.atomic():
        _engine_lock()
        marks = _read_marks(limit=None) if pairs is None else []
        count = _recompute_locked(pairs=pairs)
        _delete_marks(marks)
    return count


def _read_marks(*, limit: int | None) -> list[tuple[int, int, int, dt.datetime]]:
    qs = ShortfallMark.objects.order_by("pk").values_list("pk", "nation_id", "item_id", "marked_at")
    return list(qs if limit is None else qs[:limit])


def _delete_marks(marks: Sequence[tuple[int, int, int, dt.datetime]]) -> int:
    """Delete, in one statement, exactly the marks read whose ``marked_at`` is unchanged."""
    if not marks:
        return 0
    connection = transaction.get_connection()
    table = connection.ops.quote_name(ShortfallMark._meta.db_table)
    total = 0
    # One statement per 5,000 marks (a drain batch is at most that), within the parameter limits.
    for start in range(0, len(marks), 5000):
        chunk = marks[start:start + 5000]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params: list = []
        for pk, _, _, marked_at in chunk:
            params += [pk, connection.ops.adapt_datetimefield_value(marked_at)]
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE (id, marked_at) IN (VALUES {values})", params)
            total += cursor.rowcount
    return total


def shortfalls_recompute_marked(*, limit: int = 5000) -> int:
    """One drain batch: under the engine lock, read up to ``limit`` marks, recompute and store those
    pairs, delete exactly the marks read (a mark re-set meanwhile keeps its newer ``marked_at`` and
    stays for the next batch). Returns the number of marks handled (0: nothing left).
    """
    if not ShortfallMark.objects.exists():  # nothing to do: do not even queue for the lock
        return 0
    with transaction.atomic():
        _engine_lock(asynchronous_commit=True)
        marks = _read_marks(limit=limit)
        if not marks:
            return 0
        _recompute_locked(pairs=[(n, i) for _, n, i, _ in marks])
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


def shortfall_marks_pending() -> int:
    return ShortfallMark.objects.count()


def shortfall_pairs(*, nation_id: int | None = None, item_id: int | None = None) -> list[Pair]:
    """The pairs a recompute covers: those with inputs today plus those with a stored row (so a row
    whose inputs are gone is removed), optionally for one nation and/or item. Sorted."""
    pairs = {p for p, inp in shortfall_inputs(pairs=None, as_of=_today()).items() if shortfalls.has_own_inputs(inp)}
    pairs |= set(Shortfall.objects.order_by().values_list("nation_id", "item_id"))
    return sorted(
        (n, i) for n, i in pairs if (nation_id is None or n == nation_id) and (item_id is None or i == item_id)
    )


def shortfall_alerts_sync_overdue() -> tuple[int, int]:
    """Raise/close overdue-pledge alerts for every pledge (under the engine lock). Returns (raised, closed)."""
    from stockpiles import alerts

    with transaction.atomic():
        _engine_lock()
        return alerts.alerts_sync_overdue()
