"""The sourcing planner: pure, no ORM (plain dataclasses in and out). The rules: docs/sourcing.md.

Built on the shortfall engine (``stockpiles.shortfalls``), never on a copy of its formulas:

- **Headroom** of an ally for an item at month m of the projection: max(0, available(m) - guideline),
  with available(m) the engine's ``projected_available`` (available = on hand - owed, plus its own
  production and its contracted order schedules counted by month m) and the engine's guideline.
  The projection never falls (production and deliveries only add), so headroom(m) is also the most
  the ally can have given, in total, by month m without being below its guideline at any month.
- **Earliest date** an ally could give q: the first month with available(m) >= guideline + q, which is
  the engine's ``months_to_recover`` of the shortfall (guideline + q - available), so it works beyond
  the horizon too.
- An ally without a stock report or without a guideline has no headroom: it is *unknown*, never 0.
- **The split** (``propose_split``): month by month from month 0, every ally may give what its
  headroom has grown to minus what it already gives; the largest offer is taken first (ties: the
  order given). The covered quantity by every month is then the most any split could have covered
  by that month, so the need is fully covered at the earliest possible month.
- **What-if** (``what_if``): the engine's result for the donor before and after a draft pledge is
  added to its owed pledges (only a pledge from national stock, not cancelled, is owed: the engine's
  rule). A draft that changes a saved pledge (``replaces``) takes that pledge's place: "before" is with
  the pledge as saved, "after" with the draft instead of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from stockpiles import shortfalls

NOW = "now"
PRODUCTION = "production"
CONTRACTED = "contracted"
PRODUCTION_AND_CONTRACTED = "production_and_contracted"


@dataclass(frozen=True)
class Headroom:
    """One ally's headroom for one item, from the engine's result (``known`` False: unknown)."""

    nation_id: int
    result: shortfalls.ShortfallResult
    known: bool
    now: int | None  # max(0, available - guideline) at the date; None when unknown
    by_month: tuple[int, ...] = ()  # headroom at months 0..horizon (non-decreasing); () when unknown
    months: tuple[date, ...] = ()  # the date of each month: add_months(as_of, m)
    quantity: int | None = None  # the quantity asked for ``earliest_month``
    earliest_month: int | None = None  # first month the ally could give ``quantity`` (None: never / unknown)
    earliest_on: date | None = None

    @property
    def at_horizon(self) -> int | None:
        return self.by_month[-1] if self.by_month else None

    @property
    def within_horizon(self) -> bool:
        return self.earliest_month is not None and self.earliest_month < len(self.by_month)


def earliest_month(result: shortfalls.ShortfallResult, quantity: int) -> int | None:
    """The first month m with available(m) >= guideline + quantity (the engine's ``months_to_recover``);
    None when never (no production or deliveries enough) or unknown (no report or no guideline)."""
    if result.available is None or result.guideline is None:
        return None
    return shortfalls.months_to_recover(result.guideline + max(0, quantity) - result.available, result.rate,
                                        dict(result.inflow_by_month))


def headroom(nation_id: int, result: shortfalls.ShortfallResult, *, horizon: int,
             quantity: int | None = None) -> Headroom:
    """The ally's headroom now and at months 0..``horizon`` (the engine's projection), and the earliest
    date it could give ``quantity`` without going below its guideline."""
    if result.available is None or result.guideline is None:
        return Headroom(nation_id=nation_id, result=result, known=False, now=None, quantity=quantity)
    points = shortfalls.recovery_projection(result, months=horizon)
    by_month = tuple(max(0, p.available - p.guideline) for p in points)
    month = earliest_month(result, quantity) if quantity is not None else None
    on = shortfalls._recovery_date(result.as_of, month)
    return Headroom(
        nation_id=nation_id, result=result, known=True, now=by_month[0], by_month=by_month,
        months=tuple(p.on for p in points), quantity=quantity, earliest_month=month if on is not None else None,
        earliest_on=on,
    )


@dataclass(frozen=True)
class SplitLine:
    """What one ally gives from one month on, and why it can (explainable line by line)."""

    nation_id: int
    month: int  # 0 = now
    on: date
    quantity: int
    headroom: int  # the ally's headroom at that month (its whole headroom, before any line of the split)
    given_before: int  # what earlier lines of the split already take from this ally
    reason: str  # NOW | PRODUCTION | CONTRACTED | PRODUCTION_AND_CONTRACTED: what made the headroom grow
    production: int = 0  # own production counted by that month (rate × month)
    contracted: int = 0  # contracted deliveries counted by that month


@dataclass(frozen=True)
class Split:
    need: int
    horizon: int
    lines: tuple[SplitLine, ...]
    covered: int  # Σ of the lines (<= need)
    covered_month: int | None  # the month the need is fully covered (None: not within the horizon)
    covered_on: date | None

    @property
    def gap(self) -> int:
        """What remains uncovered at the end of the horizon."""
        return self.need - self.covered

    @property
    def nation_ids(self) -> set[int]:
        return {line.nation_id for line in self.lines if line.quantity > 0}


def _reason(result: shortfalls.ShortfallResult, month: int) -> tuple[str, int, int]:
    if month == 0:
        return NOW, 0, 0
    rate = result.rate if result.rate and result.rate > 0 else 0
    contracted = sum(q for m, q in result.inflow_by_month if m <= month)
    production = rate * month
    if production and contracted:
        return PRODUCTION_AND_CONTRACTED, production, contracted
    return (CONTRACTED if contracted else PRODUCTION), production, contracted


def propose_split(headrooms: Sequence[Headroom], *, need: int, horizon: int, as_of: date) -> Split:
    """Split ``need`` across the allies with known headroom, earliest first (the rule: module docstring).

    Every ally stays at or above its guideline at every month: what it gives by month m never passes
    its headroom at m. The lines sum to at most ``need``.
    """
    need = max(0, need)
    known = [h for h in headrooms if h.known and h.by_month]
    given = [0] * len(known)
    lines: list[SplitLine] = []
    remaining = need
    covered_month: int | None = 0 if need == 0 else None
    for month in range(horizon + 1):
        if remaining <= 0:
            break
        offers = []
        for index, h in enumerate(known):
            cap = h.by_month[min(month, len(h.by_month) - 1)]
            if cap - given[index] > 0:
                offers.append((-(cap - given[index]), index, cap))
        offers.sort()
        for negative_offer, index, cap in offers:
            take = min(-negative_offer, remaining)
            h = known[index]
            reason, production, contracted = _reason(h.result, month)
            lines.append(SplitLine(
                nation_id=h.nation_id, month=month, on=shortfalls.add_months(as_of, month), quantity=take,
                headroom=cap, given_before=given[index], reason=reason, production=production,
                contracted=contracted,
            ))
            given[index] += take
            remaining -= take
            if remaining == 0:
                covered_month = month
                break
    return Split(
        need=need, horizon=horizon, lines=tuple(lines), covered=need - remaining, covered_month=covered_month,
        covered_on=None if covered_month is None else shortfalls.add_months(as_of, covered_month),
    )


# --- What-if of a draft pledge -------------------------------------------------------------------------

@dataclass(frozen=True)
class DraftPledge:
    quantity: int
    from_national_stock: bool = True
    due_on: date | None = None
    shipped: int = 0  # a change of a saved pledge: what its deliveries have already shipped
    cancelled: bool = False

    @property
    def owed(self) -> int:
        """What the draft takes from the donor's stock (the engine's rule: ``shortfalls.owed_quantity``)."""
        return shortfalls.owed_quantity([self.as_owed()])

    def as_owed(self) -> shortfalls.OwedPledge:
        return shortfalls.OwedPledge(quantity=self.quantity, shipped=self.shipped, cancelled=self.cancelled,
                                     from_national_stock=self.from_national_stock)


@dataclass(frozen=True)
class WhatIf:
    """The donor's engine figures before and after a draft pledge (not saved)."""

    draft: DraftPledge
    before: shortfalls.ShortfallResult
    after: shortfalls.ShortfallResult
    earliest_month: int | None  # first month the donor could give the quantity without going below guideline
    earliest_on: date | None

    @property
    def drops_below(self) -> bool:
        """True when the pledge would take the donor below its guideline (it is not now)."""
        return self.before.status == shortfalls.OK and self.after.status == shortfalls.BELOW_GUIDELINE

    @property
    def due_before_headroom(self) -> bool:
        """The draft is due before the donor could give it without going below its guideline."""
        if self.draft.due_on is None or not self.draft.owed:
            return False
        return self.earliest_on is None or self.draft.due_on < self.earliest_on


def what_if(inputs: shortfalls.ShortfallInputs, draft: DraftPledge, *,
            replaces: shortfalls.OwedPledge | None = None) -> WhatIf:
    """``compute_shortfall`` on the donor's inputs, and again with the draft among its owed pledges.

    ``replaces``: the saved pledge the draft changes, as it is among ``inputs.pledges`` (left out of
    "after", and of the figures the earliest date is computed from); absent from the inputs, nothing
    is left out.
    """
    before = shortfalls.compute_shortfall(inputs)
    others = list(inputs.pledges)
    if replaces is not None and replaces in others:
        others.remove(replaces)
    base = before if len(others) == len(inputs.pledges) else shortfalls.compute_shortfall(
        replace(inputs, pledges=tuple(others)))
    after = shortfalls.compute_shortfall(replace(inputs, pledges=(*others, draft.as_owed())))
    month = earliest_month(base, max(0, draft.quantity - draft.shipped))  # left to give, whatever the source
    on = shortfalls._recovery_date(base.as_of, month)
    return WhatIf(draft=draft, before=before, after=after, earliest_month=month if on is not None else None,
                  earliest_on=on)
