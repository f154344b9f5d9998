"""The shortfall formulas: pure, no ORM. The only implementation (see DESIGN.md).

For nation N, item I, as of date D:

- ``on_hand``   latest stock report with ``as_of <= D`` (none -> status ``no_report``)
- ``guideline`` nation-specific guideline in force at D, else the alliance-wide one (none -> ``no_guideline``)
- ``owed``      sum over N's non-cancelled national-stock pledges of I of (pledged - shipped)
- ``available`` on_hand - owed
- ``shortfall`` max(0, guideline - available); ``coverage`` = available / guideline
- ``months_to_recover`` ceil(shortfall / rate in force at D); no rate or zero -> None, not recovering
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

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
class ShortfallInputs:
    as_of: date
    stock: Sequence[StockPoint] = ()
    guidelines: Sequence[GuidelinePeriod] = ()
    rates: Sequence[RatePeriod] = ()
    pledges: Sequence[OwedPledge] = ()


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


def has_own_inputs(inputs: ShortfallInputs) -> bool:
    """A pair gets a Shortfall row only when something of its own exists: a stock report, a
    production rate, a national-stock pledge or a nation-specific guideline. An alliance-wide
    guideline alone does not create a row for every nation. Both the incremental and the full
    recompute use this one rule, so they agree on which rows exist."""
    return bool(inputs.stock or inputs.rates or inputs.pledges or any(g.national for g in inputs.guidelines))


def latest_on_hand(stock: Iterable[StockPoint], on: date) -> int | None:
    best: StockPoint | None = None
    for point in stock:
        if point.as_of <= on and (best is None or point.as_of > best.as_of):
            best = point
    return None if best is None else best.quantity


def guideline_in_force(guidelines: Iterable[GuidelinePeriod], on: date) -> int | None:
    """The nation-specific guideline in force wins; else the alliance-wide one. Latest start wins a tie."""
    in_force = [g for g in guidelines if g.in_force(on)]
    national = [g for g in in_force if g.national]
    pool = national or in_force
    if not pool:
        return None
    return max(pool, key=lambda g: g.effective_from).minimum_quantity


def rate_in_force(rates: Iterable[RatePeriod], on: date) -> int | None:
    started = [r for r in rates if r.effective_from <= on]
    if not started:
        return None
    return max(started, key=lambda r: r.effective_from).units_per_month


def owed_quantity(pledges: Iterable[OwedPledge]) -> int:
    return sum(
        max(0, p.quantity - p.shipped) for p in pledges if not p.cancelled and p.from_national_stock
    )


def months_to_recover(shortfall: int, rate: int | None) -> int | None:
    """Whole months of production to close the shortfall; None when not recovering."""
    if shortfall <= 0:
        return 0
    if not rate or rate <= 0:
        return None
    return math.ceil(shortfall / rate)


def compute_shortfall(inputs: ShortfallInputs) -> ShortfallResult:
    on = inputs.as_of
    on_hand = latest_on_hand(inputs.stock, on)
    guideline = guideline_in_force(inputs.guidelines, on)
    owed = owed_quantity(inputs.pledges)
    rate = rate_in_force(inputs.rates, on)
    available = None if on_hand is None else on_hand - owed

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
            months_to_recover=None, not_recovering=False,
        )

    shortfall = max(0, guideline - available)
    coverage = (available / guideline) if guideline > 0 else None
    months = months_to_recover(shortfall, rate)
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
    )


@dataclass(frozen=True)
class ItemRollup:
    """Alliance position for one item: gross shortfall (no cross-nation netting) and net position."""

    total_shortfall: int
    net_position: int  # sum of (available - guideline) over nations with both; negative = net short
    nations_below: int
    nations_counted: int
    statuses: dict[str, int] = field(default_factory=dict)


def rollup(results: Iterable[ShortfallResult]) -> ItemRollup:
    total = net = below = counted = 0
    statuses: dict[str, int] = {}
    for r in results:
        statuses[r.status] = statuses.get(r.status, 0) + 1
        total += r.shortfall
        if r.status in (OK, BELOW_GUIDELINE):
            counted += 1
            net += r.available - r.guideline
            below += r.status == BELOW_GUIDELINE
    return ItemRollup(
        total_shortfall=total, net_position=net, nations_below=below, nations_counted=counted,
        statuses=statuses,
    )


@dataclass(frozen=True)
class CoverageCell:
    """One cell of a nation × category heat map: the worst covered item decides the colour."""

    coverage: float | None  # lowest coverage among the items counted (None: nothing to compare)
    items_counted: int
    items_below: int
    worst_item_id: int | None = None


def coverage_cell(results: Iterable[tuple[int, ShortfallResult]]) -> CoverageCell:
    """Summarise (item_id, result) pairs of one nation and category.

    Quantities of different items are never added (rounds and vehicles do not sum); the cell shows
    the lowest coverage, how many items were compared and how many are below guideline.
    """
    worst: float | None = None
    worst_item: int | None = None
    counted = below = 0
    for item_id, r in results:
        if r.status not in (OK, BELOW_GUIDELINE):
            continue
        counted += 1
        below += r.status == BELOW_GUIDELINE
        if r.coverage is not None and (worst is None or r.coverage < worst):
            worst, worst_item = r.coverage, item_id
    return CoverageCell(coverage=worst, items_counted=counted, items_below=below, worst_item_id=worst_item)


@dataclass(frozen=True)
class ProjectionPoint:
    month: int  # 0 = as of the computation, 1 = one month of production later, ...
    available: int
    guideline: int


def recovery_projection(result: ShortfallResult, *, months: int = 24) -> list[ProjectionPoint]:
    """Available stock month by month if the current rate holds and nothing else changes.

    Empty when there is nothing to project (no report or no guideline). The point at
    ``result.months_to_recover`` is the first at or above the guideline.
    """
    if result.available is None or result.guideline is None:
        return []
    rate = result.rate if result.rate and result.rate > 0 else 0
    return [
        ProjectionPoint(month=m, available=result.available + m * rate, guideline=result.guideline)
        for m in range(max(0, months) + 1)
    ]
