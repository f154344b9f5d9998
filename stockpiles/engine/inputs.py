"""The engine's inputs: gather what the pure formulas need for many pairs with a fixed number of queries.

A read: it never writes. ``shortfalls_compute`` runs the pure formulas (``stockpiles.shortfalls``) on
them without storing, which is also how a past date is computed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from coordination.models import Nation
from pledges.models import Pledge
from pledges.selectors import shipped_by_pledge_as_of
from stockpiles import shortfalls
from stockpiles.models import (
    CurrentStock,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    StockpileGuideline,
    StockReport,
)

Pair = tuple[int, int]  # (nation_id, item_id)

logger = logging.getLogger(__name__)


def _today() -> dt.date:
    return timezone.localdate()


def _schedule_lines(as_of: dt.date, *, received_after: dt.date):
    """Schedule lines of the orders placed by ``as_of``, not cancelled, not received by ``received_after``
    (the oldest stock report in use: ``ScheduledInflow.counts`` decides per pair; this only narrows the read)."""
    return (
        OrderScheduleLine.objects.filter(order__ordered_on__lte=as_of)
        .exclude(order__status=Order.Status.CANCELLED)
        .filter(Q(received_on__isnull=True) | Q(received_on__gt=received_after))
        .order_by()
    )


def inflows_by_pair(*, reported_on: Mapping[Pair, dt.date | None], as_of: dt.date
                    ) -> dict[Pair, tuple[tuple[int, int], ...]]:
    """The contracted inflows per projection month of the given pairs as of a date (each pair with the date of
    its stock report in use), as the engine counts them (``shortfalls.inflows_by_month``): what a projection
    from stored figures needs, which keep only their total. One query (none for no pairs)."""
    if not reported_on:
        return {}
    oldest = min((d for d in reported_on.values() if d is not None), default=as_of)
    lines: dict[Pair, list[shortfalls.ScheduledInflow]] = defaultdict(list)
    qs = _schedule_lines(as_of, received_after=min(oldest, as_of)).filter(
        order__nation_id__in={n for n, _ in reported_on}, order__item_id__in={i for _, i in reported_on})
    for n, i, due, q, received in qs.values_list("order__nation_id", "order__item_id", "due_on", "quantity",
                                                 "received_on"):
        if (n, i) in reported_on:
            lines[(n, i)].append(shortfalls.ScheduledInflow(due, q, received_on=received))
    return {pair: tuple(sorted(shortfalls.inflows_by_month(lines.get(pair, ()), as_of, day).items()))
            for pair, day in reported_on.items()}


def latest_report_subquery(on: dt.date, *, nation=None, item=None) -> Subquery:
    """The date of the latest stock report on or before ``on`` of the outer row's pair, as a correlated
    subquery (NULL: none): the pair is the outer row's ``nation_id`` and ``item_id`` unless ``nation``/``item``
    give another reference (``OuterRef("order__nation_id")``) or an id. ``latest_reports``, the projection's
    contracted inflows and the trend's read it thus."""
    return Subquery(
        StockReport.objects.filter(nation_id=OuterRef("nation_id") if nation is None else nation,
                                   item_id=OuterRef("item_id") if item is None else item, as_of__lte=on)
        .order_by("-as_of").values("as_of")[:1]
    )


def latest_reports(*, on: dt.date, nation_ids=None, item_ids=None):
    """The latest stock report on or before ``on`` of every pair (optionally of these nations/items), as
    ``(nation_id, item_id, quantity, as_of)`` rows: one query with a correlated subquery."""
    qs = StockReport.objects.filter(as_of__lte=on).filter(as_of=latest_report_subquery(on)).order_by()
    if nation_ids is not None:
        qs = qs.filter(nation_id__in=nation_ids)
    if item_ids is not None:
        qs = qs.filter(item_id__in=item_ids)
    return qs.values_list("nation_id", "item_id", "quantity", "as_of")


def shortfall_inputs(*, pairs: Sequence[Pair] | None, as_of: dt.date, item_id: int | None = None,
                     latest_stock: Mapping[Pair, shortfalls.StockPoint] | None = None,
                     shipped: Mapping[int, int] | None = None, allies: Iterable[int] | None = None,
                     received_after: dt.date | None = None,
                     ) -> dict[Pair, shortfalls.ShortfallInputs]:
    """Gather the inputs for many pairs with a fixed number of queries.

    ``pairs=None``: every pair that gets a row (``shortfalls.gets_row``: inputs of its own, or expected
    to report), or only
    those of ``item_id`` when given. Given pairs are returned whether or not they have inputs (the
    caller decides what an empty pair means).

    ``latest_stock``: the latest report on or before ``as_of`` of every pair, when the caller already
    holds it (the history rebuild walks the dates in order and keeps it up to date from one read of the
    reports, instead of one scan of the report history per date); pairs outside the scope are ignored.
    ``shipped``: likewise the quantity shipped per pledge on ``as_of`` (past dates only). ``allies``: the ids
    of the allies when the caller has read the nations (one query less).

    ``received_after``: read the schedule lines received after this date (default: the oldest stock report in
    use, or ``as_of`` if earlier), so that some pairs get exactly the inputs a read of every pair gives them
    (the set-based full recompute, ``engine.setbased``).
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
    if latest_stock is not None:
        for (n, i), point in latest_stock.items():
            if (nation_ids is None or n in nation_ids) and (item_ids is None or i in item_ids) \
                    and point.as_of <= as_of:
                stock[(n, i)].append(point)
    elif as_of >= _today():
        # Today's numbers: the latest report is CurrentStock (no history scan).
        for n, i, q, d in scoped(CurrentStock.objects.order_by()).values_list("nation_id", "item_id", "quantity",
                                                                               "as_of"):
            stock[(n, i)].append(shortfalls.StockPoint(d, q))
    else:
        # A past date: the latest report on or before it, per pair.
        for n, i, q, d in latest_reports(on=as_of, nation_ids=nation_ids, item_ids=item_ids):
            stock[(n, i)].append(shortfalls.StockPoint(d, q))

    # Guidelines: the alliance-wide ones per item, the national ones per pair (a pair reads only its own).
    alliance_guidelines: dict[int, list[shortfalls.GuidelinePeriod]] = defaultdict(list)
    national_guidelines: dict[Pair, list[shortfalls.GuidelinePeriod]] = defaultdict(list)
    gqs = StockpileGuideline.objects.filter(effective_from__lte=as_of).order_by()
    if item_ids is not None:
        gqs = gqs.filter(item_id__in=item_ids)
    for item_id, nation_id, minimum, start, end in gqs.values_list(
        "item_id", "nation_id", "minimum_quantity", "effective_from", "effective_to"
    ):
        if nation_id is None:
            alliance_guidelines[item_id].append(shortfalls.GuidelinePeriod(minimum, start, end))
        else:
            national_guidelines[(nation_id, item_id)].append(
                shortfalls.GuidelinePeriod(minimum, start, end, national=True))

    # Allies: the alliance-wide guideline applies to them (``shortfalls.expected_to_report``).
    if allies is not None:
        allies = set(allies)
    else:
        aqs = Nation.objects.filter(role=Nation.Role.ALLY).order_by()
        if nation_ids is not None:
            aqs = aqs.filter(pk__in=nation_ids)
        allies = set(aqs.values_list("pk", flat=True))

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
    if received_after is None:
        oldest_report = min((p.as_of for points in stock.values() for p in points), default=as_of)
        received_after = min(oldest_report, as_of)
    iqs = _schedule_lines(as_of, received_after=received_after)
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
        pledge_rows = list(scoped(pqs, "donor_id").values_list("pk", "donor_id", "item_id", "quantity"))
        if shipped is None:
            shipped = shipped_by_pledge_as_of(pledge_ids=[r[0] for r in pledge_rows], as_of=as_of)
        for pk, n, i, q in pledge_rows:
            owed[(n, i)].append(shortfalls.OwedPledge(q, shipped.get(pk, 0)))

    if wanted is None:
        # Every pair that may get a row: own inputs, a national guideline, or an ally under an
        # alliance-wide guideline (50 allies x 1,000 items: 50 k candidates, built in memory).
        expected = {(n, i) for i in alliance_guidelines for n in allies}
        wanted = set(stock) | set(owed) | set(rates) | set(inflows) | set(national_guidelines) | expected

    result: dict[Pair, shortfalls.ShortfallInputs] = {}
    empty: tuple = ()
    for n, i in wanted:
        pair = (n, i)
        national = national_guidelines.get(pair)
        alliance = alliance_guidelines.get(i, empty)
        result[pair] = shortfalls.ShortfallInputs(
            as_of=as_of,
            stock=tuple(stock.get(pair, empty)),
            guidelines=(*alliance, *national) if national else tuple(alliance),
            rates=tuple(rates.get(pair, empty)),
            pledges=tuple(owed.get(pair, empty)),
            inflows=tuple(inflows.get(pair, empty)),
            ally=n in allies,
        )
    return result


def compute_isolated(inputs: Mapping[Pair, shortfalls.ShortfallInputs]
                     ) -> tuple[dict[Pair, shortfalls.ShortfallResult], dict[Pair, str]]:
    """Run the formulas pair by pair; a pair that cannot be computed (a bad input row, such as a schedule
    line due in year 9999 that no month of the projection reaches) is logged and returned in the second
    dict with the reason, and every other pair is computed. Pairs that get no row are left out.
    """
    results: dict[Pair, shortfalls.ShortfallResult] = {}
    failures: dict[Pair, str] = {}
    for pair, inp in inputs.items():
        try:
            if shortfalls.gets_row(inp):
                results[pair] = shortfalls.compute_shortfall(inp)
        except Exception as exc:  # noqa: BLE001  one bad pair never stops the others
            failures[pair] = f"{type(exc).__name__}: {exc}"[:FAILURE_MAX]
            logger.error("Shortfall engine: could not compute nation %s, item %s as of %s: %s",
                         pair[0], pair[1], inp.as_of.isoformat(), failures[pair], exc_info=True)
    return results, failures


FAILURE_MAX = 300  # Shortfall.failure


def shortfalls_compute_with_failures(*, pairs: Sequence[Pair] | None, as_of: dt.date | None = None
                                     ) -> tuple[dict[Pair, shortfalls.ShortfallResult], dict[Pair, str]]:
    """Compute (without storing) shortfalls as of a date (today by default), and the pairs that failed."""
    return compute_isolated(shortfall_inputs(pairs=pairs, as_of=as_of or _today()))


def shortfalls_compute(*, pairs: Sequence[Pair] | None, as_of: dt.date | None = None
                       ) -> dict[Pair, shortfalls.ShortfallResult]:
    """Compute (without storing) shortfalls as of a date (today by default): also past-date snapshots.

    ``pairs=None``: every pair that gets a row. Given pairs that get none are left out, and so are
    pairs that cannot be computed (logged; see ``compute_isolated``).
    """
    return shortfalls_compute_with_failures(pairs=pairs, as_of=as_of)[0]


def shortfall_pairs(*, nation_id: int | None = None, item_id: int | None = None) -> list[Pair]:
    """The pairs a recompute covers: those with inputs today plus those with a stored row (so a row
    whose inputs are gone is removed), optionally for one nation and/or item. Sorted."""
    pairs = {p for p, inp in shortfall_inputs(pairs=None, as_of=_today()).items() if shortfalls.gets_row(inp)}
    pairs |= set(Shortfall.objects.order_by().values_list("nation_id", "item_id"))
    return sorted(
        (n, i) for n, i in pairs if (nation_id is None or n == nation_id) and (item_id is None or i == item_id)
    )
