"""The shortfall formulas: pure, no ORM. The only implementation (see docs/shortfalls.md).

For nation N, item I, as of date D:

- ``on_hand``   latest stock report with ``as_of <= D`` (none -> status ``no_report``; an ally to which the
  alliance-wide guideline applies, or a nation with its own guideline above 0, gets that row: ``gets_row``)
- ``guideline`` nation-specific guideline in force at D, else the alliance-wide one (none -> ``no_guideline``)
- ``owed``      sum over N's non-cancelled national-stock pledges of I of (pledged - shipped)
- ``available`` on_hand - owed
- ``shortfall`` max(0, guideline - available); ``coverage`` = available / guideline
- ``months_to_recover`` the first month m of the projection at or above the guideline (see below);
  without contracted inflows that is exactly ceil(shortfall / rate in force at D); no rate and no
  inflows enough -> None, not recovering

The projection (one implementation, ``projected_available``): month m (m >= 0) is the date
``add_months(D, m)``; available(m) = available + m × rate + the quantities of the contracted inflows
counted by month m. An inflow (a line of an order's delivery schedule) counts when its order is not
cancelled and it was not received, or received after the stock report in use (only a report dated on
or after its receipt carries it: deliveries reach the stock through the normal stock reports); it counts
from month ``inflow_month(due_on, D)``: the first m >= 1 with due_on <= add_months(D, m) (a line
already overdue at D counts from month 1, never in month 0, so month 0 is today's available).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from operator import attrgetter

OK = "ok"
BELOW_GUIDELINE = "below_guideline"
NO_REPORT = "no_report"
NO_GUIDELINE = "no_guideline"


@dataclass(frozen=True)
class StockPoint:
    as_of: date
    quantity: int


@dataclass(frozen=True)
class GuidelinePeriod:
    minimum_quantity: int
    effective_from: date
    effective_to: date | None = None
    national: bool = False  # True: the nation's own target; False: the alliance-wide default

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)


@dataclass(frozen=True)
class RatePeriod:
    units_per_month: int
    effective_from: date


@dataclass(frozen=True)
class OwedPledge:
    """A pledge of the nation's own stock: what is promised and what has already left."""

    quantity: int
    shipped: int
    cancelled: bool = False
    from_national_stock: bool = True


@dataclass(frozen=True)
class ScheduledInflow:
    """One line of an order's delivery schedule: ``quantity`` due on ``due_on`` to the ordering nation."""

    due_on: date
    quantity: int
    received_on: date | None = None
    cancelled: bool = False  # the order is cancelled

    def counts(self, as_of: date, reported_on: date | None = None) -> bool:
        """Counted as an inflow at ``as_of``: order not cancelled, and the line not received, or received
        after the stock report in use (``reported_on``, the latest report on or before ``as_of``): only a
        report dated on or after its receipt carries it."""
        if self.cancelled:
            return False
        if self.received_on is None:
            return True
        cutoff = as_of if reported_on is None else min(reported_on, as_of)
        return self.received_on > cutoff


@dataclass(frozen=True)
class ShortfallInputs:
    as_of: date
    stock: Sequence[StockPoint] = ()
    guidelines: Sequence[GuidelinePeriod] = ()
    rates: Sequence[RatePeriod] = ()
    pledges: Sequence[OwedPledge] = ()
    inflows: Sequence[ScheduledInflow] = ()
    ally: bool = False  # the nation is an ally: the alliance-wide guideline applies to it


@dataclass(frozen=True)
class ShortfallResult:
    as_of: date
    status: str
    on_hand: int | None
    guideline: int | None
    owed: int
    available: int | None
    shortfall: int
    coverage: float | None
    rate: int | None
    months_to_recover: int | None
    not_recovering: bool
    contracted_inflow: int = 0  # Σ of the inflows counted (scheduled, not yet received)
    recovers_on: date | None = None  # add_months(as_of, months_to_recover) while below guideline (None: never)
    inflow_by_month: tuple[tuple[int, int], ...] = ()  # (month, quantity) sorted; for the projection


def expected_to_report(inputs: ShortfallInputs) -> bool:
    """The nation is expected to hold (and so to report) the item at ``as_of``: the guideline in force
    that applies to it asks for more than 0. That is the nation's own guideline, else, for an ally, the
    alliance-wide one. A national guideline of 0 means "not held, not expected"."""
    period = guideline_period_in_force(inputs.guidelines, inputs.as_of)
    return period is not None and period.minimum_quantity > 0 and (period.national or inputs.ally)


def gets_row(inputs: ShortfallInputs) -> bool:
    """A pair gets a Shortfall row when something of its own exists (a stock report, a production rate,
    a national-stock pledge, an order schedule line) or when it is expected to report
    (``expected_to_report``): an ally to which the alliance-wide guideline applies gets a ``no_report``
    row until it reports. Both the incremental and the full recompute use this one rule, so they agree
    on which rows exist."""
    return bool(inputs.stock or inputs.rates or inputs.pledges or inputs.inflows) or expected_to_report(inputs)


def latest_report(stock: Iterable[StockPoint], on: date) -> StockPoint | None:
    best: StockPoint | None = None
    for point in stock:
        if point.as_of <= on and (best is None or point.as_of > best.as_of):
            best = point
    return best


def latest_on_hand(stock: Iterable[StockPoint], on: date) -> int | None:
    best = latest_report(stock, on)
    return None if best is None else best.quantity


def guideline_period_in_force(guidelines: Iterable[GuidelinePeriod], on: date) -> GuidelinePeriod | None:
    """The nation-specific guideline in force wins; else the alliance-wide one. Latest start wins a tie."""
    in_force = [g for g in guidelines if g.in_force(on)]
    national = [g for g in in_force if g.national]
    pool = national or in_force
    if not pool:
        return None
    return max(pool, key=lambda g: g.effective_from)


def guideline_in_force(guidelines: Iterable[GuidelinePeriod], on: date) -> int | None:
    period = guideline_period_in_force(guidelines, on)
    return None if period is None else period.minimum_quantity


def rate_in_force(rates: Iterable[RatePeriod], on: date) -> int | None:
    started = [r for r in rates if r.effective_from <= on]
    if not started:
        return None
    return max(started, key=lambda r: r.effective_from).units_per_month


def owed_quantity(pledges: Iterable[OwedPledge]) -> int:
    return sum(
        max(0, p.quantity - p.shipped) for p in pledges if not p.cancelled and p.from_national_stock
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's last day (31 Jan + 1 = 29 Feb in 2024)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _recovery_date(as_of: date, months: int | None) -> date | None:
    """``add_months(as_of, months)``; None when not recovering or beyond the calendar (year 9999)."""
    if months is None:
        return None
    try:
        return add_months(as_of, months)
    except ValueError:
        return None


def inflow_month(due_on: date, as_of: date) -> int:
    """The first month m >= 1 of the projection whose date ``add_months(as_of, m)`` is on or after ``due_on``."""
    m = max(1, (due_on.year - as_of.year) * 12 + due_on.month - as_of.month)
    while due_on > add_months(as_of, m):
        m += 1
    return m


def inflows_by_month(inflows: Iterable[ScheduledInflow], as_of: date, reported_on: date | None = None
                     ) -> dict[int, int]:
    """The counted inflows summed per projection month (see the module docstring)."""
    out: dict[int, int] = {}
    for line in inflows:
        if line.counts(as_of, reported_on) and line.quantity > 0:
            m = inflow_month(line.due_on, as_of)
            out[m] = out.get(m, 0) + line.quantity
    return out


def months_to_recover(shortfall: int, rate: int | None, inflows: dict[int, int] | None = None) -> int | None:
    """The first month m with rate × m + (inflows counted by m) >= shortfall; None when never.

    Without inflows this is exactly ceil(shortfall / rate). Closed form per stretch between two
    inflow months (the contracted total is constant there), so it never loops month by month.
    """
    if shortfall <= 0:
        return 0
    r = rate if rate and rate > 0 else 0
    months = sorted((m, q) for m, q in (inflows or {}).items() if q > 0)
    contracted = 0
    start = 0  # the stretch [start, next inflow month) has ``contracted`` counted
    for month, quantity in [*months, (None, 0)]:
        need = shortfall - contracted
        if need <= 0:
            return start
        if r:
            m = max(start, math.ceil(need / r))
            if month is None or m < month:
                return m
        if month is None:
            return None
        contracted += quantity
        start = month
    return None  # pragma: no cover - the loop always returns at the sentinel


def projected_available(available: int, rate: int | None, inflows: dict[int, int], month: int) -> int:
    """available(m) = available + m × rate + inflows counted by month m."""
    r = rate if rate and rate > 0 else 0
    return available + month * r + sum(q for m, q in inflows.items() if m <= month)


def compute_shortfall(inputs: ShortfallInputs) -> ShortfallResult:
    on = inputs.as_of
    report = latest_report(inputs.stock, on)
    on_hand = None if report is None else report.quantity
    guideline = guideline_in_force(inputs.guidelines, on)
    owed = owed_quantity(inputs.pledges)
    rate = rate_in_force(inputs.rates, on)
    available = None if on_hand is None else on_hand - owed
    by_month = inflows_by_month(inputs.inflows, on, None if report is None else report.as_of)
    contracted = sum(by_month.values())
    by_month_t = tuple(sorted(by_month.items()))

    if on_hand is None:
        status = NO_REPORT
    elif guideline is None:
        status = NO_GUIDELINE
    else:
        status = None

    if status is not None:
        return ShortfallResult(
            as_of=on, status=status, on_hand=on_hand, guideline=guideline, owed=owed,
            available=available, shortfall=0, coverage=None, rate=rate,
            months_to_recover=None, not_recovering=False, contracted_inflow=contracted, inflow_by_month=by_month_t,
        )

    shortfall = max(0, guideline - available)
    coverage = (available / guideline) if guideline > 0 else None
    months = months_to_recover(shortfall, rate, by_month)
    return ShortfallResult(
        as_of=on,
        status=BELOW_GUIDELINE if shortfall > 0 else OK,
        on_hand=on_hand,
        guideline=guideline,
        owed=owed,
        available=available,
        shortfall=shortfall,
        coverage=coverage,
        rate=rate,
        months_to_recover=months,
        not_recovering=shortfall > 0 and months is None,
        contracted_inflow=contracted,
        recovers_on=_recovery_date(on, months) if shortfall > 0 else None,
        inflow_by_month=by_month_t,
    )


def without_owed(result: ShortfallResult, hidden_owed: int) -> ShortfallResult:
    """The result as a reader computes it that may not see ``hidden_owed`` of the pledges in ``owed``
    (another donor's restricted pledges): owed and available without them, and everything that follows
    from available (status, shortfall, coverage, months to recover) by the same formulas."""
    if not hidden_owed:
        return result
    owed = result.owed - hidden_owed
    if result.on_hand is None:
        return replace(result, owed=owed)
    available = result.on_hand - owed if result.available is not None else None
    if result.status not in (OK, BELOW_GUIDELINE) or result.guideline is None or available is None:
        return replace(result, owed=owed, available=available)
    guideline = result.guideline
    shortfall = max(0, guideline - available)
    months = months_to_recover(shortfall, result.rate, dict(result.inflow_by_month))
    return replace(
        result, owed=owed, available=available, shortfall=shortfall,
        status=BELOW_GUIDELINE if shortfall > 0 else OK,
        coverage=(available / guideline) if guideline > 0 else None,
        months_to_recover=months, not_recovering=shortfall > 0 and months is None,
        recovers_on=_recovery_date(result.as_of, months) if shortfall > 0 else None,
    )
# --- History: the figures a stored version keeps (docs/history.md) -------------------------------------

# A pair's figures as the history keeps them: everything but the date itself and what follows from it
# (``recovers_on`` = add_months(D, months_to_recover)). A new version starts when these change.
VERSION_FIGURES = (
    "status", "on_hand", "guideline", "owed", "available", "shortfall", "coverage", "rate",
    "months_to_recover", "not_recovering", "contracted_inflow",
)

Figures = tuple  # the values of VERSION_FIGURES, in that order


_figures = attrgetter(*VERSION_FIGURES)


def figures_of(result: ShortfallResult) -> Figures:
    return _figures(result)


def result_from_figures(figures: Figures, on: date) -> ShortfallResult:
    """The result a stored version stands for on day ``on`` (``recovers_on`` derived from the day)."""
    values = dict(zip(VERSION_FIGURES, figures, strict=True))
    months = values["months_to_recover"]
    below = values["shortfall"] > 0
    return ShortfallResult(as_of=on, recovers_on=_recovery_date(on, months) if below else None, **values)


Segment = tuple[date, date | None, Figures]  # (valid_from, valid_to exclusive or None: open, figures)


def versions_from(*, before: Segment | None, since: date, changes: Sequence[tuple[date, Figures | None]]
                  ) -> list[Segment]:
    """A pair's versions from ``since`` on, given the version that started before ``since`` (if it reaches
    ``since``) and the figures from each date of ``changes`` on (sorted; None: no row from that date).

    The version before is cut at ``since``; equal neighbours merge (a version is a stretch of unchanged
    figures), so re-deriving what did not change gives back the same versions.
    """
    segments: list[Segment] = []
    if before is not None:
        segments.append((before[0], since, before[2]))
    for k, (day, figures) in enumerate(changes):
        if figures is None:
            continue
        end = changes[k + 1][0] if k + 1 < len(changes) else None
        if segments and segments[-1][1] == day and segments[-1][2] == figures:
            segments[-1] = (segments[-1][0], end, figures)
        else:
            segments.append((day, end, figures))
    return segments


# --- Snapshots: what changed between two sets of figures, and why ----------------------------------

@dataclass(frozen=True)
class FrozenPair:
    """A pair's figures in a snapshot (or today) and what they came from."""

    figures: Figures
    reported_on: date | None  # the stock report in use
    pledged: int  # Σ quantity of the non-cancelled national-stock pledges announced by then


REPORT, PLEDGE, DELIVERY, GUIDELINE, PRODUCTION, CONTRACT, NEW_PAIR, PAIR_GONE, DATE_MOVED = (
    "report", "pledge", "delivery", "guideline", "production", "contract", "new_pair", "pair_gone", "date")
CHANGE_REASONS = (REPORT, PLEDGE, DELIVERY, GUIDELINE, PRODUCTION, CONTRACT, NEW_PAIR, PAIR_GONE, DATE_MOVED)


def pair_changed(a: FrozenPair | None, b: FrozenPair | None) -> bool:
    return a != b


def change_reasons(a: FrozenPair | None, b: FrozenPair | None) -> tuple[str, ...]:
    """Why a pair's figures differ between two snapshots (``a`` before, ``b`` after), from which inputs moved:
    a new stock report (its date or quantity), a pledge (the quantity pledged from national stock), a delivery
    (what has shipped: pledged − owed), the guideline, the production rate, contracted deliveries. When no
    input moved, the date did (a guideline or rate starting, a schedule month passing)."""
    if a is None and b is None:
        return ()
    if a is None:
        return (NEW_PAIR,)
    if b is None:
        return (PAIR_GONE,)
    fa = dict(zip(VERSION_FIGURES, a.figures, strict=True))
    fb = dict(zip(VERSION_FIGURES, b.figures, strict=True))
    reasons = []
    if a.reported_on != b.reported_on or fa["on_hand"] != fb["on_hand"]:
        reasons.append(REPORT)
    if a.pledged != b.pledged:
        reasons.append(PLEDGE)
    if a.pledged - fa["owed"] != b.pledged - fb["owed"]:
        reasons.append(DELIVERY)
    if fa["guideline"] != fb["guideline"]:
        reasons.append(GUIDELINE)
    if fa["rate"] != fb["rate"]:
        reasons.append(PRODUCTION)
    if fa["contracted_inflow"] != fb["contracted_inflow"]:
        reasons.append(CONTRACT)
    if not reasons and a != b:
        reasons.append(DATE_MOVED)
    return tuple(reasons)


COUNTED = (OK, BELOW_GUIDELINE)  # statuses with both a report and a guideline: the ones compared


@dataclass(frozen=True)
class StatusTotals:
    """Plain sums over some results that share one status: what a database ``GROUP BY status`` can
    return without knowing any rule (counts, sums, a minimum). ``rollup_of_totals`` and
    ``coverage_of_totals`` apply the rules, so stored rows can be summed in SQL and past-date
    results in Python with the same outcome. Several totals may carry the same status."""

    status: str
    count: int
    shortfall: int = 0  # sum of shortfall
    surplus: int = 0  # sum of (available - guideline) over the results that have both
    min_coverage: float | None = None  # lowest coverage
    worst_item_id: int | None = None  # the item with that coverage, when known


def status_totals(results: Iterable[ShortfallResult], item_ids: Iterable[int] | None = None) -> list[StatusTotals]:
    """Group results by status (``item_ids``, parallel to ``results``: which item each one is)."""
    groups: dict[str, list] = {}
    items = iter(item_ids) if item_ids is not None else None
    for r in results:
        item_id = next(items) if items is not None else None
        g = groups.setdefault(r.status, [0, 0, 0, None, None])
        g[0] += 1
        g[1] += r.shortfall
        if r.available is not None and r.guideline is not None:
            g[2] += r.available - r.guideline
        if r.coverage is not None and (g[3] is None or r.coverage < g[3]):
            g[3], g[4] = r.coverage, item_id
    return [StatusTotals(status, *g) for status, g in groups.items()]


@dataclass(frozen=True)
class ItemRollup:
    """Alliance position for one item: gross shortfall (no cross-nation netting) and net position."""

    total_shortfall: int
    net_position: int  # sum of (available - guideline) over nations with both; negative = net short
    nations_below: int
    nations_counted: int
    statuses: dict[str, int] = field(default_factory=dict)
    nations_not_reporting: int = 0  # rows with status no_report: expected to report, never did


def rollup(results: Iterable[ShortfallResult]) -> ItemRollup:
    return rollup_of_totals(status_totals(results))


def rollup_of_totals(totals: Iterable[StatusTotals]) -> ItemRollup:
    """The roll-up rule: gross total over every row; net position and counts over compared rows only."""
    total = net = below = counted = 0
    statuses: dict[str, int] = {}
    for t in totals:
        statuses[t.status] = statuses.get(t.status, 0) + t.count
        total += t.shortfall
        if t.status in COUNTED:
            counted += t.count
            net += t.surplus
            below += t.count if t.status == BELOW_GUIDELINE else 0
    return ItemRollup(
        total_shortfall=total, net_position=net, nations_below=below, nations_counted=counted,
        statuses=statuses, nations_not_reporting=statuses.get(NO_REPORT, 0),
    )


@dataclass(frozen=True)
class CoverageCell:
    """One cell of a nation × category heat map: the worst covered item decides the colour."""

    coverage: float | None  # lowest coverage among the items counted (None: nothing to compare)
    items_counted: int
    items_below: int
    worst_item_id: int | None = None
    items_not_reported: int = 0  # items the nation is expected to report and has not (status no_report)


def coverage_cell(results: Iterable[tuple[int, ShortfallResult]]) -> CoverageCell:
    """Summarise (item_id, result) pairs of one nation and category.

    Quantities of different items are never added (rounds and vehicles do not sum); the cell shows
    the lowest coverage, how many items were compared and how many are below guideline.
    """
    pairs = list(results)
    return coverage_of_totals(status_totals([r for _, r in pairs], [i for i, _ in pairs]))


def coverage_of_totals(totals: Iterable[StatusTotals]) -> CoverageCell:
    """The heat-map rule on status totals: only compared rows count; the lowest coverage wins."""
    worst: float | None = None
    worst_item: int | None = None
    counted = below = not_reported = 0
    for t in totals:
        not_reported += t.count if t.status == NO_REPORT else 0
        if t.status not in COUNTED:
            continue
        counted += t.count
        below += t.count if t.status == BELOW_GUIDELINE else 0
        if t.min_coverage is not None and (worst is None or t.min_coverage < worst):
            worst, worst_item = t.min_coverage, t.worst_item_id
    return CoverageCell(coverage=worst, items_counted=counted, items_below=below, worst_item_id=worst_item,
                        items_not_reported=not_reported)


@dataclass(frozen=True)
class ProjectionPoint:
    month: int  # 0 = as of the computation, 1 = one month of production later, ...
    available: int
    guideline: int
    contracted: int = 0  # contracted inflows counted by this month (cumulative; included in ``available``)
    on: date | None = None  # add_months(as_of, month); None beyond the calendar (year 9999)


def recovery_projection(result: ShortfallResult, *, months: int = 24) -> list[ProjectionPoint]:
    """Available stock month by month if the current rate holds and the contracted schedules arrive.

    Empty when there is nothing to project (no report or no guideline). The point at
    ``result.months_to_recover`` is the first at or above the guideline (same ``projected_available``).
    """
    if result.available is None or result.guideline is None:
        return []
    inflows = dict(result.inflow_by_month)
    return [
        ProjectionPoint(month=m, available=projected_available(result.available, result.rate, inflows, m),
                        guideline=result.guideline,
                        contracted=sum(q for k, q in inflows.items() if k <= m), on=_recovery_date(result.as_of, m))
        for m in range(max(0, months) + 1)
    ]


# --- Trends: shortfall over time from the history, and the projected path ahead ---------------------

def series_dates(today: date, months: int) -> list[date]:
    """The points of a past series: the same day of each of the last ``months`` months, oldest first,
    ending today (``add_months(today, -k)``)."""
    return [add_months(today, -k) for k in range(max(0, months), -1, -1)]


def total_on(versions: Iterable[tuple[date, date | None, int]], on: date) -> int:
    """Σ shortfall of the versions (valid_from, valid_to exclusive, shortfall) valid on ``on``."""
    return sum(short for start, end, short in versions if start <= on and (end is None or on < end))


def projected_shortfalls(result: ShortfallResult, months: int) -> list[int]:
    """The pair's shortfall month by month ahead, month 0 being ``result.as_of``: guideline − the projected
    available stock (production at the rate and contracted deliveries, ``recovery_projection``), never below
    0. A pair without a projection (no report or no guideline) keeps its shortfall as it is."""
    points = recovery_projection(result, months=months)
    if not points:
        return [result.shortfall] * (max(0, months) + 1)
    return [max(0, p.guideline - p.available) for p in points]


class ProjectedSum:
    """Σ over many pairs of ``projected_shortfalls`` month by month (month 0 .. ``months``), each pair weighted
    (1, or its unit value for EUR), without listing every pair's months: a pair without contracted inflows adds a
    constant (no projection, or no production) or a line falling by its rate until it reaches 0 (kept as two
    difference arrays, level and slope); a pair with contracted inflows adds its months one by one
    (``projected_available``). Equal to the sum of ``projected_shortfalls`` (tests/stockpiles/test_shortfalls.py).
    """

    def __init__(self, months: int):
        self.n = max(0, months) + 1
        self._level = [0] * (self.n + 1)
        self._slope = [0] * (self.n + 1)
        self._each = [0] * self.n

    def add(self, *, available: int | None, guideline: int | None, rate: int | None, shortfall: int,
            inflow_by_month: tuple[tuple[int, int], ...] = (), weight=1) -> None:
        n = self.n
        if available is None or guideline is None:  # no projection: the shortfall as it is
            self._level[0] += shortfall * weight
            return
        if inflow_by_month:
            inflows = dict(inflow_by_month)
            for m in range(n):
                self._each[m] += max(0, guideline - projected_available(available, rate, inflows, m)) * weight
            return
        r = rate if rate and rate > 0 else 0
        base = guideline - available  # month m: max(0, base - m * r)
        if r == 0:
            if base > 0:
                self._level[0] += base * weight
            return
        stop = min(n, max(0, -(-base // r)))  # the first month at or above the guideline: base - m * r <= 0
        if stop:
            self._level[0] += base * weight
            self._level[stop] -= base * weight
            self._slope[0] += r * weight
            self._slope[stop] -= r * weight

    def totals(self) -> list:
        out = []
        level = slope = 0
        for m in range(self.n):
            level += self._level[m]
            slope += self._slope[m]
            out.append(level - m * slope + self._each[m])
        return out


def projected_totals(results: Iterable[ShortfallResult], months: int) -> list[tuple[date, int]]:
    """Σ over the pairs of the projected shortfall, month by month (production and contracted deliveries,
    ``recovery_projection``); month 0 is today. Pairs without a projection count their shortfall as it is."""
    results = list(results)
    if not results:
        return []
    totals = [0] * (max(0, months) + 1)
    day0 = results[0].as_of
    for r in results:
        for m, short in enumerate(projected_shortfalls(r, months)):
            totals[m] += short
    return [(add_months(day0, m), t) for m, t in enumerate(totals)]
