"""The history of the figures: ``ShortfallVersion`` rows, one per stretch of days a pair's figures held.

Written only here, by the engine, in the transaction that stores the Shortfall rows:

- ``shortfall_history_record``: today's results (every drain and full recompute). A pair whose figures
  changed gets a new version from today; its previous one ends today. Unchanged pairs cost no write.
- ``shortfall_history_rebuild``: re-derive pairs' versions from a date on, by computing the figures on
  every date an input of theirs changes (a backdated stock report; the backfill of existing data).

Read by ``stockpiles.selectors`` ("as of D" is the version valid at D). Rules: docs/history.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping

from django.db.models import Min, Q
from django.utils import timezone

from pledges.models import Delivery, Pledge
from pledges.selectors import shipped_between, shipped_by_pledge_as_of
from stockpiles import shortfalls
from stockpiles.engine.inputs import compute_isolated, latest_reports, shortfall_inputs
from stockpiles.models import (
    Order,
    OrderScheduleLine,
    ProductionRate,
    ShortfallVersion,
    StockpileGuideline,
    StockReport,
)

Pair = tuple[int, int]  # (nation_id, item_id)
Timeline = dict[Pair, list[tuple[dt.date, shortfalls.Figures | None]]]

FIGURES = shortfalls.VERSION_FIGURES


def _today() -> dt.date:
    return timezone.localdate()


def _in_scope(qs, pairs: Collection[Pair] | None, nation_field: str = "nation_id", item_field: str = "item_id"):
    if pairs is None:
        return qs
    return qs.filter(**{f"{nation_field}__in": {n for n, _ in pairs}, f"{item_field}__in": {i for _, i in pairs}})


def shortfall_history_record(*, results: Mapping[Pair, shortfalls.ShortfallResult], pairs: Collection[Pair] | None,
                             failures: Collection[Pair] = (), day: dt.date | None = None) -> int:
    """Record today's results in the history. ``pairs``: the pairs this run covered (None: every pair, the
    full recompute); a covered pair without a result has no row any more (its version ends today). A pair
    that failed keeps its history as it was. Returns the number of versions written or changed."""
    day = day or _today()
    covered = set(results) if pairs is None else set(pairs)
    covered -= set(failures)
    timeline: Timeline = {
        pair: [(day, shortfalls.figures_of(results[pair]) if pair in results else None)] for pair in covered
    }
    return _write(since=day, timeline=timeline, pairs=None if pairs is None else covered,
                  skip=set(failures))


def history_change_dates(*, pairs: Collection[Pair] | None, since: dt.date, until: dt.date) -> set[dt.date]:
    """Every date in [since, until] on which an input of the pairs (None: of any pair) may change their
    figures: stock reports, guidelines starting or ending, production rates starting, national-stock
    pledges announced, their deliveries shipped, orders placed, schedule lines due or received. Plus
    ``since`` and ``until``. A fixed number of queries."""
    dates = {since, until}

    def add(qs, *fields, shift: int = 0):
        for row in qs.values_list(*fields).distinct():
            for value in row:
                if value is not None:
                    value = value + dt.timedelta(days=shift)
                    if since <= value <= until:
                        dates.add(value)

    add(_in_scope(StockReport.objects.filter(as_of__range=(since, until)), pairs).order_by(), "as_of")
    items = None if pairs is None else {i for _, i in pairs}
    guidelines = StockpileGuideline.objects.order_by()
    if items is not None:
        guidelines = guidelines.filter(item_id__in=items)
    day_before = since - dt.timedelta(days=1)
    add(guidelines.filter(effective_from__range=(since, until)), "effective_from")
    add(guidelines.filter(effective_to__range=(day_before, until)), "effective_to", shift=1)  # ends after that day
    add(_in_scope(ProductionRate.objects.filter(line__isnull=True, effective_from__range=(since, until)),
                  pairs).order_by(), "effective_from")
    pledges = _in_scope(Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK), pairs, "donor_id").order_by()
    add(pledges.filter(announced_on__range=(since, until)), "announced_on")
    deliveries = Delivery.objects.filter(pledge__in=pledges.values("pk")).order_by()
    add(deliveries.filter(Q(shipped_on__range=(since, until)) | Q(delivered_on__range=(since, until))),
        "shipped_on", "delivered_on")
    orders = _in_scope(Order.objects.all(), pairs).order_by()
    add(orders.filter(ordered_on__range=(since, until)), "ordered_on")
    lines = _in_scope(OrderScheduleLine.objects.all(), pairs, "order__nation_id", "order__item_id").order_by()
    add(lines.filter(Q(due_on__range=(since, until)) | Q(received_on__range=(since, until))), "due_on", "received_on")
    add(lines.filter(received_on__range=(day_before, until)), "received_on", shift=1)
    return dates


def history_start() -> dt.date | None:
    """The earliest date any input speaks of (where a full backfill starts); None: no inputs. Five queries."""
    firsts = [
        StockReport.objects.aggregate(d=Min("as_of"))["d"],
        StockpileGuideline.objects.aggregate(d=Min("effective_from"))["d"],
        ProductionRate.objects.filter(line__isnull=True).aggregate(d=Min("effective_from"))["d"],
        Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK).aggregate(d=Min("announced_on"))["d"],
        Order.objects.aggregate(d=Min("ordered_on"))["d"],
    ]
    firsts = [d for d in firsts if d is not None]
    return min(firsts) if firsts else None


def shortfall_history_rebuild(*, pairs: Collection[Pair] | None, since: dt.date, until: dt.date | None = None,
                              progress=None) -> int:
    """Re-derive the versions of ``pairs`` (None: every pair) from ``since`` on: compute the figures on each
    change date (``history_change_dates``) up to ``until`` (today), and replace the stored versions from
    ``since`` with what they give. Versions before ``since`` stay (the one reaching ``since`` is cut there,
    or extended when the figures did not change). Returns the number of versions written or changed.

    Computed from the inputs as they are now (a pledge's quantity and status are today's): see
    docs/history.md."""
    until = until or _today()
    if since > until:
        return 0
    pairs = None if pairs is None else set(pairs)
    dates = sorted(history_change_dates(pairs=pairs, since=since, until=until))
    timeline: Timeline = defaultdict(list)
    last: dict[Pair, shortfalls.Figures | None] = {}
    failed: set[Pair] = set()
    stock = _StockWalk(pairs=pairs, since=since, until=until)
    shipped = _ShippedWalk(pairs=pairs, since=since, until=until)
    for k, day in enumerate(dates):
        past = day < _today()
        results, failures = compute_isolated(shortfall_inputs(
            pairs=None if pairs is None else sorted(pairs), as_of=day, latest_stock=stock.on(day),
            shipped=shipped.on(day) if past else None))  # today's: the pledges' own shipped totals
        failed |= failures.keys()
        seen = set(results) | set(last) | (set() if pairs is None else pairs)
        for pair in seen:
            if pair in failures:
                continue  # one bad date never stops the pair: its figures carry on from the last good date
            figures = shortfalls.figures_of(results[pair]) if pair in results else None
            if pair not in last or last[pair] != figures:
                if pair not in last and day != since:
                    timeline[pair].append((since, None))  # no row from since until it first gets one
                timeline[pair].append((day, figures))
                last[pair] = figures
        if progress is not None:
            progress(k + 1, len(dates))
    for pair in (pairs or ()):
        timeline.setdefault(pair, [(since, None)])
    return _write(since=since, timeline=dict(timeline), pairs=pairs)


class _StockWalk:
    """The latest stock report of every pair on each date of a rebuild, dates taken in increasing order:
    one read of the latest reports on ``since`` and one ordered pass over the reports after it (streamed),
    instead of a scan of the whole report history per date (at 5 M reports, ~15 s per date)."""

    def __init__(self, *, pairs: Collection[Pair] | None, since: dt.date, until: dt.date):
        nation_ids = None if pairs is None else {n for n, _ in pairs}
        item_ids = None if pairs is None else {i for _, i in pairs}
        self.latest: dict[Pair, shortfalls.StockPoint] = {
            (n, i): shortfalls.StockPoint(d, q)
            for n, i, q, d in latest_reports(on=since, nation_ids=nation_ids, item_ids=item_ids)
        }
        later = _in_scope(StockReport.objects.filter(as_of__gt=since, as_of__lte=until), pairs).order_by("as_of")
        self._rows = later.values_list("nation_id", "item_id", "quantity", "as_of").iterator(chunk_size=20_000)
        self._next = next(self._rows, None)
        self._day = since

    def on(self, day: dt.date) -> dict[Pair, shortfalls.StockPoint]:
        if day < self._day:
            raise ValueError("_StockWalk: dates must be taken in increasing order")
        self._day = day
        while self._next is not None and self._next[3] <= day:
            n, i, q, d = self._next
            self.latest[(n, i)] = shortfalls.StockPoint(d, q)
            self._next = next(self._rows, None)
        return self.latest


class _ShippedWalk:
    """The quantity shipped per pledge on each date of a rebuild, dates in increasing order: one sum per
    pledge on ``since`` and one ordered pass over the deliveries shipped after it (streamed), instead of
    summing every delivery again per date. Same rule as ``pledges.selectors.shipped_by_pledge_as_of``."""

    def __init__(self, *, pairs: Collection[Pair] | None, since: dt.date, until: dt.date):
        deliveries = Delivery.objects.filter(pledge__source=Pledge.Source.NATIONAL_STOCK)
        deliveries = _in_scope(deliveries, pairs, "pledge__donor_id", "pledge__item_id")
        self.shipped: dict[int, int] = shipped_by_pledge_as_of(pledge_ids=None, as_of=since, deliveries=deliveries)
        self._rows = shipped_between(after=since, until=until, deliveries=deliveries)
        self._next = next(self._rows, None)
        self._day = since

    def on(self, day: dt.date) -> dict[int, int]:
        if day < self._day:
            raise ValueError("_ShippedWalk: dates must be taken in increasing order")
        self._day = day
        while self._next is not None and self._next[1] <= day:
            pledge_id, _, quantity = self._next
            self.shipped[pledge_id] = self.shipped.get(pledge_id, 0) + quantity
            self._next = next(self._rows, None)
        return self.shipped


def _write(*, since: dt.date, timeline: Timeline, pairs: Collection[Pair] | None, skip: Iterable[Pair] = ()) -> int:
    """Make the stored versions of the pairs from ``since`` on what ``timeline`` says, with the fewest
    writes: versions that stay as they are are not touched. ``pairs`` None: every pair with a version
    reaching ``since`` is in scope (one missing from ``timeline`` has no row from ``since``).

    The stored versions are read as plain tuples (a full recompute reads one per pair, ~50 k, and writes
    only the few that changed: model instances are built for those alone)."""
    skip = set(skip)
    existing: dict[Pair, list[tuple]] = defaultdict(list)  # (pk, valid_from, valid_to, figures)
    qs = _in_scope(ShortfallVersion.objects.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=since)), pairs)
    for pk, n, i, start, end, *figures in qs.order_by("valid_from").values_list(
            "pk", "nation_id", "item_id", "valid_from", "valid_to", *FIGURES):
        pair = (n, i)
        if (pairs is None or pair in pairs) and pair not in skip:
            existing[pair].append((pk, start, end, tuple(figures)))
    now = timezone.now()
    create: list[ShortfallVersion] = []
    update: list[ShortfallVersion] = []
    delete: list[int] = []
    no_change = [(since, None)]
    for pair in set(existing) | set(timeline):
        stored = existing.get(pair, ())
        changes = timeline.get(pair, no_change)
        if len(stored) == 1 and len(changes) == 1 and stored[0][2] is None and stored[0][1] <= since \
                and changes[0] == (since, stored[0][3]):
            continue  # one open version, started by ``since``, with the same figures: nothing to write
        before = None
        if stored and stored[0][1] < since:
            before = stored[0][1:]
        wanted = {start: (end, figures) for start, end, figures in
                  shortfalls.versions_from(before=before, since=since, changes=changes)}
        for pk, start, end, figures in stored:
            want = wanted.pop(start, None)
            if want is None:
                delete.append(pk)
            elif want != (end, figures):
                update.append(ShortfallVersion(pk=pk, valid_to=want[0], recorded_at=now,
                                               **dict(zip(FIGURES, want[1], strict=True))))
        for start, (end, figures) in wanted.items():
            create.append(ShortfallVersion(nation_id=pair[0], item_id=pair[1], valid_from=start, valid_to=end,
                                           recorded_at=now, **dict(zip(FIGURES, figures, strict=True))))
    if delete:
        for chunk in range(0, len(delete), 5000):
            ShortfallVersion.objects.filter(pk__in=delete[chunk:chunk + 5000]).delete()
    if update:
        ShortfallVersion.objects.bulk_update(update, ["valid_to", *FIGURES, "recorded_at"], batch_size=1000)
    if create:
        ShortfallVersion.objects.bulk_create(create, batch_size=2000)
    return len(create) + len(update) + len(delete)
