"""Writes for stock levels, guidelines and rates, and the shortfall engine's storage side."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from coordination.models import Item, Nation
from coordination.services import BulkValidationError, require_nation_access
from pledges.models import Pledge
from stockpiles import shortfalls
from stockpiles.models import (
    CurrentStock,
    ProductionRate,
    Shortfall,
    ShortfallMark,
    StockpileGuideline,
    StockReport,
)

Pair = tuple[int, int]  # (nation_id, item_id)


# --- Marking pairs dirty -------------------------------------------------------------------------

def shortfall_mark_pairs(*, pairs: Iterable[Pair]) -> int:
    """Mark (nation, item) pairs for recompute and enqueue one drain task when the transaction commits."""
    unique = sorted(set(pairs))
    if not unique:
        return 0
    ShortfallMark.objects.bulk_create(
        [ShortfallMark(nation_id=n, item_id=i) for n, i in unique],
        ignore_conflicts=True,
        batch_size=1000,
    )
    from stockpiles.tasks import recompute_marked_shortfalls

    recompute_marked_shortfalls.delay_on_commit()
    return len(unique)


def shortfall_mark_item(*, item_id: int) -> int:
    """A guideline change touches every nation holding or owing the item."""
    nations = set(CurrentStock.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    nations |= set(Shortfall.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    return shortfall_mark_pairs(pairs=[(n, item_id) for n in nations])


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
    as_of = row.get("as_of")
    if not isinstance(as_of, dt.date):
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
                              single: bool = False) -> list[StockReport]:
    """All or nothing: every row valid, or a BulkValidationError with the errors per row index.

    A fixed number of queries whatever the size: one for duplicates, bulk inserts, one upsert.
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

        reports = [
            StockReport(nation=nation, item=row["item"], quantity=row["quantity"], as_of=row["as_of"],
                        reported_by=user if getattr(user, "pk", None) else None)
            for row in rows
        ]
        reports = bulk_create_with_history(
            reports, StockReport, batch_size=2000, default_user=user if getattr(user, "pk", None) else None,
        )
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
    shortfall_mark_pairs(pairs=[(rate.nation_id, rate.item_id)])


# --- The engine's storage side -------------------------------------------------------------------

def shortfall_inputs(*, pairs: Sequence[Pair] | None, as_of: dt.date) -> dict[Pair, shortfalls.ShortfallInputs]:
    """Gather the inputs for many pairs with a fixed number of queries (``None`` = every pair)."""
    if pairs is None:
        nation_ids = item_ids = None
        wanted = None
    else:
        wanted = set(pairs)
        nation_ids = {n for n, _ in wanted}
        item_ids = {i for _, i in wanted}

    def scoped(qs, nation_field="nation_id", item_field="item_id"):
        if nation_ids is not None:
            qs = qs.filter(**{f"{nation_field}__in": nation_ids, f"{item_field}__in": item_ids})
        return qs

    stock: dict[Pair, list[shortfalls.StockPoint]] = defaultdict(list)
    if as_of >= _today():
        # Today's numbers: the latest report is CurrentStock (no history scan).
        for n, i, q, d in scoped(CurrentStock.objects.all()).values_list("nation_id", "item_id", "quantity", "as_of"):
            stock[(n, i)].append(shortfalls.StockPoint(d, q))
    else:
        # A past date: the latest report on or before it, per pair.
        from django.db.models import Max

        latest = (
            scoped(StockReport.objects.filter(as_of__lte=as_of))
            .values("nation_id", "item_id")
            .annotate(last=Max("as_of"))
        )
        keys = {(r["nation_id"], r["item_id"], r["last"]) for r in latest}
        if keys:
            qs = scoped(StockReport.objects.filter(as_of__lte=as_of, as_of__in={k[2] for k in keys}))
            for n, i, q, d in qs.values_list("nation_id", "item_id", "quantity", "as_of"):
                if (n, i, d) in keys:
                    stock[(n, i)].append(shortfalls.StockPoint(d, q))

    guidelines_by_item: dict[int, list[tuple[int | None, shortfalls.GuidelinePeriod]]] = defaultdict(list)
    gqs = StockpileGuideline.objects.filter(effective_from__lte=as_of)
    if item_ids is not None:
        gqs = gqs.filter(item_id__in=item_ids)
    for item_id, nation_id, minimum, start, end in gqs.values_list(
        "item_id", "nation_id", "minimum_quantity", "effective_from", "effective_to"
    ):
        guidelines_by_item[item_id].append(
            (nation_id, shortfalls.GuidelinePeriod(minimum, start, end, national=nation_id is not None))
        )

    rates: dict[Pair, list[shortfalls.RatePeriod]] = defaultdict(list)
    for n, i, units, start in scoped(ProductionRate.objects.filter(effective_from__lte=as_of)).values_list(
        "nation_id", "item_id", "units_per_month", "effective_from"
    ):
        rates[(n, i)].append(shortfalls.RatePeriod(units, start))

    owed: dict[Pair, list[shortfalls.OwedPledge]] = defaultdict(list)
    pqs = Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=as_of).exclude(
        status=Pledge.Status.CANCELLED
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
        all_pairs = set(stock) | set(owed) | set(rates)
        national_pairs = {(n, i) for i, gs in guidelines_by_item.items() for n, _ in gs if n is not None}
        all_pairs |= national_pairs
        wanted = all_pairs

    result: dict[Pair, shortfalls.ShortfallInputs] = {}
    for n, i in wanted:
        result[(n, i)] = shortfalls.ShortfallInputs(
            as_of=as_of,
            stock=stock.get((n, i), ()),
            guidelines=[g for nation_id, g in guidelines_by_item.get(i, ()) if nation_id in (None, n)],
            rates=rates.get((n, i), ()),
            pledges=owed.get((n, i), ()),
        )
    return result


def shortfalls_compute(*, pairs: Sequence[Pair] | None, as_of: dt.date | None = None
                       ) -> dict[Pair, shortfalls.ShortfallResult]:
    """Compute (without storing) shortfalls for pairs as of a date: used for past-date snapshots too."""
    as_of = as_of or _today()
    return {pair: shortfalls.compute_shortfall(inp) for pair, inp in shortfall_inputs(pairs=pairs, as_of=as_of).items()}


def shortfalls_store(*, results: dict[Pair, shortfalls.ShortfallResult]) -> int:
    """Upsert Shortfall rows by (nation, item). Running it twice changes nothing but computed_at."""
    now = timezone.now()
    rows = [
        Shortfall(
            nation_id=n, item_id=i, as_of=r.as_of, on_hand=r.on_hand, guideline=r.guideline, owed=r.owed,
            available=r.available, shortfall=r.shortfall, coverage=r.coverage, rate=r.rate,
            months_to_recover=r.months_to_recover, not_recovering=r.not_recovering, status=r.status,
            computed_at=now,
        )
        for (n, i), r in sorted(results.items())
    ]
    Shortfall.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=[
            "as_of", "on_hand", "guideline", "owed", "available", "shortfall", "coverage", "rate",
            "months_to_recover", "not_recovering", "status", "computed_at",
        ],
        batch_size=1000,
    )
    return len(rows)


def shortfalls_recompute(*, pairs: Sequence[Pair] | None = None) -> int:
    """Recompute and store today's shortfalls for the given pairs (``None`` = every pair)."""
    with transaction.atomic():
        return shortfalls_store(results=shortfalls_compute(pairs=pairs))


def shortfalls_recompute_marked(*, limit: int = 5000) -> int:
    """Drain the marks: recompute the marked pairs, then delete exactly the marks that were read.

    A mark re-set by a write during the recompute keeps its newer ``marked_at`` and is not deleted,
    so its change is picked up by the next drain.
    """
    marks = list(ShortfallMark.objects.order_by("pk").values_list("pk", "nation_id", "item_id", "marked_at")[:limit])
    if not marks:
        return 0
    with transaction.atomic():
        count = shortfalls_store(results=shortfalls_compute(pairs=[(n, i) for _, n, i, _ in marks]))
        for pk, _, _, marked_at in marks:
            ShortfallMark.objects.filter(pk=pk, marked_at=marked_at).delete()
    return count
