"""Writes for stock levels, guidelines and production rates. The shortfall engine is ``stockpiles.engine``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import signals
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from coordination.access import require_cell
from coordination.dates import date_problem, validate_past_date_window
from coordination.dbcopy import copy_line_template, copy_lines
from coordination.models import Item, Nation
from coordination.services import BulkValidationError, require_nation_access
from coordination.text import grouped
from stockpiles import shortfalls
from stockpiles.engine.marks import shortfall_mark_item, shortfall_mark_pairs
from stockpiles.models import (
    CurrentStock,
    ProductionRate,
    Snapshot,
    SnapshotRow,
    StockpileGuideline,
    StockReport,
)
from stockpiles.snapshot_selectors import pairs_frozen

BIGINT_MAX = 2**63 - 1  # the quantity column (BigIntegerField)


# --- Stock reports ------------------------------------------------------------------------------

def _today() -> dt.date:
    return timezone.localdate()


def _validate_report_row(row: dict, *, today: dt.date, day_problems: dict) -> dict[str, list[str]]:
    """A row's errors; ``day_problems`` keeps each date's ``date_problem`` (a batch has few dates)."""
    errors: dict[str, list[str]] = {}
    quantity = row.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        errors["quantity"] = ["Enter a whole number."]
    elif quantity < 0:
        errors["quantity"] = ["The quantity on hand cannot be negative."]
    elif quantity > BIGINT_MAX:
        errors["quantity"] = [_("The quantity cannot be more than %(max)s.") % {"max": grouped(BIGINT_MAX)}]
    as_of = row.get("as_of")
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        errors["as_of"] = ["Enter a valid date."]
    else:
        if as_of not in day_problems:
            day_problems[as_of] = date_problem(as_of, not_after_today=True, today=today)
        if problem := day_problems[as_of]:
            errors["as_of"] = [problem]
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
    day_problems: dict[dt.date, str | None] = {}
    for index, row in enumerate(rows):
        errors = _validate_report_row(row, today=today, day_problems=day_problems)
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
        if transaction.get_connection().vendor == "postgresql" and len(rows) >= COPY_INSERT_MIN_ROWS:
            reports = _insert_reports_by_copy(nation, rows, writer=writer, change_reason=change_reason)
        else:
            reports = []
            for row in rows:  # ids, with the related rows put in the instance's cache (cheaper than the descriptors)
                report = StockReport(nation_id=nation.pk, item_id=row["item"].pk, quantity=row["quantity"],
                                     as_of=row["as_of"], reported_by_id=getattr(writer, "pk", None))
                report._state.fields_cache.update(nation=nation, item=row["item"], reported_by=writer)
                reports.append(report)
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
        earliest: dict[tuple[int, int], dt.date] = {}
        for r in reports:  # a report dated before today corrects the history from its date (docs/history.md)
            pair = (nation.pk, r.item_id)
            earliest[pair] = min(earliest.get(pair, r.as_of), r.as_of)
        shortfall_mark_pairs(pairs=earliest.keys(), history_from=earliest)
    return reports


# From this many rows a bulk of stock reports goes in with COPY on PostgreSQL (an API batch of 10,000:
# the ORM's per-value preparation of two INSERTs was 60 % of the request).
COPY_INSERT_MIN_ROWS = 500
VARYING = ["id", "item_id", "quantity", "as_of"]  # the columns of a COPY line that vary per report, in order


def _insert_reports_by_copy(nation: Nation, rows: Sequence[dict], *, writer, change_reason: str | None,
                            ) -> list[StockReport]:
    """Insert ``rows`` as stock reports and their history rows ("+", one time, the writer and reason) with
    two COPYs; return the saved reports.

    The ids are drawn from the table's sequence first (one query), so the rows, their history and the
    caller (CurrentStock, the API's answer) know them. Same rows as ``bulk_create_with_history``; the
    database checks the same constraints (a duplicate report fails the whole batch). The lines are
    formatted here, the constant columns once (``copy_line_template``), and the instances built from
    their values without ``Model.__init__`` (three quarters of the time of 10,000 reports went there).
    """
    connection = transaction.get_connection()
    now = timezone.now()
    history = StockReport.history.model
    fields = StockReport._meta.concrete_fields
    tracked = [f.attname for f in history.tracked_fields]
    constant = {"nation_id": nation.pk, "reported_by_id": getattr(writer, "pk", None), "created_at": now}
    varying = [name for name in (f.attname for f in fields) if name not in constant]
    history_columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    history_constant = {**constant, "history_date": now, "history_change_reason": change_reason,
                        "history_type": "+", "history_user_id": getattr(writer, "pk", None)}
    if varying != VARYING or [c for c in history_columns if c not in history_constant] != VARYING:
        raise RuntimeError(f"StockReport's columns changed ({varying}, {history_columns}): update the COPY lines.")
    line = copy_line_template([f.attname for f in fields], constant).format
    history_line = copy_line_template(history_columns, history_constant).format
    with connection.cursor() as cursor:
        # The sequence named once (a CTE kept apart), not per row: 4 ms for 10,000 ids instead of 115 ms.
        cursor.execute("WITH seq AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS id) "
                       "SELECT nextval(seq.id) FROM seq, generate_series(1, %s)",
                       [StockReport._meta.db_table, len(rows)])
        ids = [pk for (pk,) in cursor.fetchall()]
        values = [(pk, row["item"].pk, row["quantity"], row["as_of"]) for pk, row in zip(ids, rows, strict=True)]
        copy_lines(cursor, StockReport._meta.db_table, [f.column for f in fields], (line(*v) for v in values))
        copy_lines(cursor, history._meta.db_table, history_columns, (history_line(*v) for v in values))
    return _saved_instances(StockReport, [{**constant, "id": pk, "item_id": item_id, "quantity": quantity,
                                            "as_of": as_of} for pk, item_id, quantity, as_of in values],
                            connection.alias, related=[{"nation": nation, "item": row["item"], "reported_by": writer}
                                                       for row in rows])


def _saved_instances(model, values: Sequence[dict], alias: str, *, related: Sequence[dict]) -> list:
    """Instances of ``model`` as saved in ``alias``: every concrete field's value in ``values``, the related
    rows in ``related`` put in their cache. Without ``Model.__init__`` (no default, no descriptor per
    field) unless something listens to the model's init signals."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        instances = [model(**v) for v in values]
        for obj in instances:
            obj._state.adding, obj._state.db = False, alias
    else:
        instances = []
        for v in values:
            obj = model.__new__(model)
            obj.__dict__.update(v)
            obj._state = ModelState()
            obj._state.adding, obj._state.db = False, alias
            instances.append(obj)
    for obj, cache in zip(instances, related, strict=True):
        obj._state.fields_cache.update(cache)
    return instances


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
    """Call after a guideline was written (by a service or the admin): recompute what it touches. One that
    took effect before today corrects the history of those pairs from its start (docs/history.md)."""
    since = guideline.effective_from
    if guideline.nation_id:
        pair = (guideline.nation_id, guideline.item_id)
        shortfall_mark_pairs(pairs=[pair], history_from={pair: since})
    else:
        shortfall_mark_item(item_id=guideline.item_id, history_from=since)


def production_rate_saved(*, rate: ProductionRate) -> None:
    """A nation's own rate changes its pair (and its history from the rate's start when that is past); a
    production line's rate changes no shortfall (it is industrial capacity, read on demand), so it marks
    nothing."""
    if rate.line_id is None:
        pair = (rate.nation_id, rate.item_id)
        shortfall_mark_pairs(pairs=[pair], history_from={pair: rate.effective_from})


# --- Briefing snapshots ---------------------------------------------------------------------------

def snapshot_create(*, actor, name: str, as_of: dt.date | None = None, note: str = "", user=None) -> Snapshot:
    """Freeze every pair's figures as of ``as_of`` (today by default: the stored rows; a past date: the
    history) under ``name``. The cell only. The rows are copies: later reports, corrections of the history
    and recomputes never change them (docs/history.md). Four queries and one bulk insert."""
    require_cell(actor, what="briefing snapshots")
    today = _today()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the snapshot a name, e.g. “Weekly briefing 2024-W18”."]
    elif len(name) > Snapshot._meta.get_field("name").max_length:
        errors["name"] = ["At most 120 characters."]
    if as_of is not None and as_of > today:
        errors["as_of"] = ["A snapshot cannot be taken for a future date."]
    if len(note or "") > 300:
        errors["note"] = ["At most 300 characters."]
    if not errors and Snapshot.objects.filter(name=name).exists():
        errors["name"] = [f"A snapshot named “{name}” already exists."]
    if errors:
        raise ValidationError(errors)
    day = as_of or today
    if day < today:
        validate_past_date_window(day)
    with transaction.atomic():
        frozen = pairs_frozen(as_of=day)
        snapshot = Snapshot.objects.create(name=name, as_of=day, taken_at=timezone.now(), note=note or "",
                                           created_by=user if getattr(user, "pk", None) else None)
        SnapshotRow.objects.bulk_create([
            SnapshotRow(snapshot=snapshot, nation_id=n, item_id=i, reported_on=f.reported_on, pledged=f.pledged,
                        **dict(zip(shortfalls.VERSION_FIGURES, f.figures, strict=True)))
            for (n, i), f in sorted(frozen.items())
        ], batch_size=2000)
    return snapshot
