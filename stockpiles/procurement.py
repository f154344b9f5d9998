"""Joint procurement numbers: pure, no ORM. The only implementation (see docs/procurement.md).

- **Industrial capacity** of an item at date D (``industrial_capacity``): per nation, the sum of its
  production lines' rates in force at D when it has lines for the item, else its national rate in
  force at D (a national rate is the nation's total output; lines break it down, so both are never
  added for one nation).
- **Aggregated demand** per item (``aggregate_demand``): Σ of the nations' shortfalls (each
  ``ShortfallResult.shortfall``: no netting between nations) + the recipient's uncovered requirement
  (``pledges.fulfilment.Gap.uncovered``: the recipient-gap formula, called, never copied), against the
  quantity under contract and not yet received, and the capacity per month:
  ``gap = max(0, demand − contracted)``, ``months_of_capacity = ceil(gap / capacity)`` (None when the
  capacity is 0 and there is a gap), ``contracted_share = min(contracted, demand) / demand``.
- **Framework agreement utilisation** (``agreement_utilisation``): ordered (non-cancelled call-offs)
  vs ceiling in total, and ordered vs planned per participant.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pledges.fulfilment import Gap, share
from stockpiles.shortfalls import ShortfallResult

# --- Industrial capacity ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CapacityRate:
    """One row of the production-rate series: a nation's own rate (``line_id`` None) or a line's."""

    nation_id: int
    units_per_month: int
    effective_from: date
    line_id: int | None = None


def _in_force(rates: Iterable[CapacityRate], on: date) -> int:
    started = [r for r in rates if r.effective_from <= on]
    return max(started, key=lambda r: r.effective_from).units_per_month if started else 0


def capacity_by_nation(rates: Iterable[CapacityRate], on: date) -> dict[int, int]:
    """Units per month per nation at ``on``: Σ of its lines' rates in force, else its national rate."""
    lines: dict[int, dict[int, list[CapacityRate]]] = {}
    national: dict[int, list[CapacityRate]] = {}
    for r in rates:
        if r.line_id is None:
            national.setdefault(r.nation_id, []).append(r)
        else:
            lines.setdefault(r.nation_id, {}).setdefault(r.line_id, []).append(r)
    out: dict[int, int] = {}
    for nation_id in set(lines) | set(national):
        if nation_id in lines:
            out[nation_id] = sum(_in_force(series, on) for series in lines[nation_id].values())
        else:
            out[nation_id] = _in_force(national[nation_id], on)
    return out


def industrial_capacity(rates: Iterable[CapacityRate], on: date) -> int:
    """Units of one item per month the industry can make at ``on`` (the rates of that item only)."""
    return sum(capacity_by_nation(rates, on).values())


# --- Aggregated demand -----------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemDemand:
    item_id: int
    nation_shortfall: int  # Σ of the nations' shortfalls
    nations_short: int
    recipient_uncovered: int  # Σ of the recipient gaps' uncovered quantity
    contracted: int  # under contract, not yet received
    capacity_per_month: int

    @property
    def demand(self) -> int:
        return self.nation_shortfall + self.recipient_uncovered

    @property
    def gap(self) -> int:
        """Demand not yet under contract."""
        return max(0, self.demand - self.contracted)

    @property
    def contracted_share(self) -> float | None:
        return share(min(self.contracted, self.demand), self.demand)

    @property
    def months_of_capacity(self) -> int | None:
        """Months of current capacity to make what is not yet under contract (0: nothing left; None: no capacity)."""
        if self.gap <= 0:
            return 0
        if self.capacity_per_month <= 0:
            return None
        return math.ceil(self.gap / self.capacity_per_month)


@dataclass(frozen=True)
class NationShortfalls:
    """An item's nations' shortfalls summed: Σ shortfall and how many nations have one (> 0). What the
    demand needs of each nation's result; a database can sum the stored rows to it (the cell reads every
    nation's, ``stockpiles.selectors.nation_shortfall_totals``)."""

    total: int = 0
    short: int = 0


def nation_shortfalls(shortfalls: Iterable[ShortfallResult]) -> NationShortfalls:
    """``NationShortfalls`` of the results (or positions) of one item's nations."""
    total = short = 0
    for r in shortfalls:
        total += r.shortfall
        short += r.shortfall > 0
    return NationShortfalls(total, short)


def aggregate_demand(*, item_id: int, shortfalls: Iterable[ShortfallResult] | NationShortfalls, gaps: Iterable[Gap],
                     contracted: int, capacity_per_month: int) -> ItemDemand:
    """Aggregated demand of one item (see the module docstring). ``gaps`` of that item only; ``shortfalls``:
    its nations' results, or their sums (``NationShortfalls``)."""
    nations = shortfalls if isinstance(shortfalls, NationShortfalls) else nation_shortfalls(shortfalls)
    return ItemDemand(
        item_id=item_id, nation_shortfall=nations.total, nations_short=nations.short,
        recipient_uncovered=sum(g.uncovered for g in gaps), contracted=max(0, contracted),
        capacity_per_month=max(0, capacity_per_month),
    )


@dataclass(frozen=True)
class OrderFacts:
    """An order as the numbers need it: quantity, received so far, cancelled or not."""

    order_id: int
    nation_id: int
    item_id: int
    quantity: int
    received: int = 0
    cancelled: bool = False
    agreement_id: int | None = None
    ordered_on: date | None = None

    @property
    def outstanding(self) -> int:
        """Under contract and not yet received (0 for a cancelled order)."""
        return 0 if self.cancelled else max(0, self.quantity - self.received)


def contracted_outstanding(orders: Iterable[OrderFacts]) -> int:
    return sum(o.outstanding for o in orders)


# --- Framework agreement utilisation ---------------------------------------------------------------

@dataclass(frozen=True)
class ParticipantUse:
    nation_id: int
    planned: int
    ordered: int

    @property
    def ordered_share(self) -> float | None:
        """Ordered / planned."""
        return share(self.ordered, self.planned)


@dataclass(frozen=True)
class Utilisation:
    ceiling: int
    ordered: int
    planned: int
    participants: list[ParticipantUse] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return max(0, self.ceiling - self.ordered)

    @property
    def ordered_share(self) -> float | None:
        """Ordered / ceiling."""
        return share(self.ordered, self.ceiling)


@dataclass(frozen=True)
class Participation:
    nation_id: int
    planned_quantity: int


def agreement_utilisation(*, ceiling: int, participants: Iterable[Participation],
                          orders: Iterable[OrderFacts]) -> Utilisation:
    """Ordered vs ceiling in total; ordered vs planned per participant (non-cancelled call-offs).

    A call-off by a nation that is not (or no longer) a participant still counts in the total, and
    gets a row with planned 0, so nothing ordered disappears from the figures.
    """
    ordered: dict[int, int] = {}
    for o in orders:
        if not o.cancelled:
            ordered[o.nation_id] = ordered.get(o.nation_id, 0) + o.quantity
    planned = {p.nation_id: p.planned_quantity for p in participants}
    rows = [ParticipantUse(nation_id=n, planned=planned.get(n, 0), ordered=ordered.get(n, 0))
            for n in sorted(set(planned) | set(ordered))]
    return Utilisation(ceiling=ceiling, ordered=sum(ordered.values()), planned=sum(planned.values()),
                       participants=rows)
