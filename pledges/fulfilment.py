"""Pledge fulfilment, recipient gaps and training progress: pure, no ORM. The only implementation.

- A pledge's **value** is its ``value_eur``, else ``quantity × item unit value`` (None when neither is known).
- **Delivered value** = value × delivered / quantity.
- A **cancelled** pledge counts only for what was delivered before it was cancelled (its effective
  quantity is its delivered quantity), so a cancellation is a reduction, never lost deliveries.
- **Overdue**: the due date has passed, the pledge is not fully delivered and not cancelled.
- **Recipient gap** per (recipient, item): ``uncovered = max(0, required − pledged)``,
  ``undelivered = max(0, pledged − delivered)``.
- **Training**: trainees committed vs completed per donor and programme (a cancelled commitment
  counts for the trainees it completed).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class PledgeFacts:
    pledge_id: int
    donor_id: int
    recipient_id: int
    item_id: int
    quantity: int
    delivered: int = 0
    value_eur: Decimal | None = None
    unit_value_eur: Decimal | None = None  # the item's reference value, used when value_eur is empty
    due_on: date | None = None
    cancelled: bool = False


def pledge_value(p: PledgeFacts) -> Decimal | None:
    """The pledge's EUR value: as stated, else quantity × the item's reference unit value."""
    if p.value_eur is not None:
        return Decimal(p.value_eur)
    if p.unit_value_eur is not None:
        return Decimal(p.unit_value_eur) * p.quantity
    return None


def delivered_value(p: PledgeFacts, delivered: int | None = None) -> Decimal | None:
    """Value of ``delivered`` units (default: the pledge's delivered quantity) = value × delivered / quantity."""
    value = pledge_value(p)
    done = p.delivered if delivered is None else delivered
    if value is None:
        return None
    if p.quantity <= 0:
        return ZERO
    return (value * min(done, p.quantity) / p.quantity).quantize(CENT)


def effective_quantity(p: PledgeFacts) -> int:
    """What counts as pledged: the quantity, or for a cancelled pledge what was delivered."""
    return min(p.delivered, p.quantity) if p.cancelled else p.quantity


def is_overdue(p: PledgeFacts, *, on: date) -> bool:
    return is_overdue_on_values(due_on=p.due_on, quantity=p.quantity, delivered=p.delivered, cancelled=p.cancelled,
                                on=on)


def is_overdue_on_values(*, due_on: date | None, quantity: int, delivered: int, cancelled: bool, on: date) -> bool:
    """``is_overdue`` on the plain values (the engine's overdue sync reads ~36 k pledges at full size)."""
    return overdue_rule(due_before=_due_before_on(due_on, on), complete=_complete_on(delivered, quantity),
                        cancelled=cancelled)


def _due_before(p: PledgeFacts, on: date) -> bool:
    return _due_before_on(p.due_on, on)


def _due_before_on(due_on: date | None, on: date) -> bool:
    return due_on is not None and due_on < on


def _complete(p: PledgeFacts) -> bool:
    return _complete_on(p.delivered, p.quantity)


def _complete_on(delivered: int, quantity: int) -> bool:
    return delivered >= quantity


def overdue_rule(*, due_before: bool, complete: bool, cancelled: bool) -> bool:
    """Overdue: the due date has passed, not fully delivered, not cancelled (on facts or class totals)."""
    return due_before and not complete and not cancelled


def days_overdue(p: PledgeFacts, *, on: date) -> int:
    return (on - p.due_on).days if is_overdue(p, on=on) else 0


def share(part: int | Decimal, whole: int | Decimal) -> float | None:
    """part / whole, None when the whole is zero."""
    return float(part) / float(whole) if whole else None


@dataclass(frozen=True)
class Fulfilment:
    """Totals over a group of pledges (a donor, an item, a donor and item...)."""

    pledges: int = 0
    pledged: int = 0
    delivered: int = 0
    pledged_value_eur: Decimal = ZERO
    delivered_value_eur: Decimal = ZERO
    unvalued: int = 0  # pledges with no value and no item reference value (left out of the EUR sums)
    overdue: int = 0
    overdue_quantity: int = 0  # undelivered quantity of the overdue pledges

    @property
    def undelivered(self) -> int:
        return max(0, self.pledged - self.delivered)

    @property
    def delivered_share(self) -> float | None:
        """Delivered / pledged by quantity (meaningful within one item's unit)."""
        return share(self.delivered, self.pledged)

    @property
    def delivered_value_share(self) -> float | None:
        """Delivered / pledged by EUR value."""
        return share(self.delivered_value_eur, self.pledged_value_eur)


@dataclass(frozen=True)
class PledgeTotals:
    """Plain sums over pledges of one class: what a database ``GROUP BY`` returns without applying a
    rule. ``fulfilment_of_totals`` applies the rules; ``pledge_totals`` gives the same for one pledge,
    so stored pledges can be summed in SQL and facts in Python with the same outcome.

    The class: ``cancelled``; ``complete`` (delivered >= quantity); ``due_before`` (a due date before
    the day asked about); ``valued`` (a stated value or an item reference value).
    ``delivered_value`` is Σ ``delivered_value`` over the pledges whose value × delivered / quantity is
    a whole number of cents (a database sums those without rounding anything). ``pledge``: a pledge of
    the class whose delivered value is not in that sum; ``delivered_value(pledge)`` rounds it. Totals
    that only carry such a pledge have a zero count (its other figures are in its class's sums).
    """

    cancelled: bool
    complete: bool
    due_before: bool
    valued: bool
    count: int
    quantity: int = 0  # Σ quantity
    delivered: int = 0  # Σ delivered quantity (as recorded: may pass the quantity on complete pledges)
    value: Decimal = ZERO  # Σ pledge_value
    delivered_value: Decimal = ZERO
    pledge: PledgeFacts | None = None


def pledge_totals(p: PledgeFacts, *, on: date) -> PledgeTotals:
    """One pledge as its own class: its delivered value is rounded by ``delivered_value``."""
    value = pledge_value(p)
    return PledgeTotals(
        cancelled=p.cancelled, complete=_complete(p), due_before=_due_before(p, on), valued=value is not None, count=1,
        quantity=p.quantity, delivered=p.delivered, value=value if value is not None else ZERO, pledge=p,
    )


def fulfilment(pledges: Iterable[PledgeFacts], *, on: date) -> Fulfilment:
    return fulfilment_of_totals(pledge_totals(p, on=on) for p in pledges)


def fulfilment_of_totals(totals: Iterable[PledgeTotals]) -> Fulfilment:
    """The fulfilment rules on class totals: a cancelled pledge counts for what it delivered (quantity
    and value), delivered quantities are capped at the pledge, unvalued pledges stay out of the EUR
    sums, overdue = due before the day, not complete, not cancelled."""
    count = pledged = delivered = unvalued = overdue = overdue_qty = 0
    pledged_value = delivered_value_sum = ZERO
    for t in totals:
        done = t.quantity if t.complete else t.delivered  # Σ min(delivered, quantity)
        count += t.count
        pledged += done if t.cancelled else t.quantity  # Σ effective_quantity
        delivered += done
        if not t.valued:
            unvalued += t.count
        else:
            done_value = t.delivered_value
            if t.pledge is not None:
                done_value += delivered_value(t.pledge)
            pledged_value += done_value if t.cancelled else t.value
            delivered_value_sum += done_value
        if overdue_rule(due_before=t.due_before, complete=t.complete, cancelled=t.cancelled):
            overdue += t.count
            overdue_qty += t.quantity - t.delivered
    return Fulfilment(
        pledges=count, pledged=pledged, delivered=delivered, pledged_value_eur=pledged_value,
        delivered_value_eur=delivered_value_sum, unvalued=unvalued, overdue=overdue, overdue_quantity=overdue_qty,
    )


def fulfilment_across_items(parts: Iterable[Fulfilment]) -> Fulfilment:
    """Several groups (e.g. every donor's) as one: counts and EUR only. Quantities of different items are
    different units and never add up, so they stay 0 here."""
    out = Fulfilment()
    for f in parts:
        out = Fulfilment(
            pledges=out.pledges + f.pledges, pledged_value_eur=out.pledged_value_eur + f.pledged_value_eur,
            delivered_value_eur=out.delivered_value_eur + f.delivered_value_eur,
            unvalued=out.unvalued + f.unvalued, overdue=out.overdue + f.overdue,
        )
    return out


@dataclass(frozen=True)
class DeliveryTotals:
    """Plain sums over deliveries (a quantity against a pledge), like ``PledgeTotals``: ``value`` is Σ
    of their delivered value where it is a whole number of cents. ``pledge``, ``part``: a delivery of
    ``part`` against ``pledge`` whose value is not in that sum (its count and quantity are)."""

    valued: bool
    count: int
    quantity: int = 0
    value: Decimal = ZERO
    pledge: PledgeFacts | None = None
    part: int = 0


def delivery_value_of_totals(t: DeliveryTotals) -> Decimal:
    """Delivered value of deliveries: their share of the pledge's value; unvalued pledges count zero."""
    if not t.valued:
        return ZERO
    total = t.value + (delivered_value(t.pledge, t.part) if t.pledge is not None else ZERO)
    return total or ZERO  # nothing (0.00) as ZERO, as for an unvalued delivery


def fulfilment_by(pledges: Iterable[PledgeFacts], key: Callable[[PledgeFacts], Hashable], *, on: date
                  ) -> dict[Hashable, Fulfilment]:
    """``fulfilment`` per group (e.g. ``key=lambda p: p.donor_id``)."""
    groups: dict[Hashable, list[PledgeFacts]] = {}
    for p in pledges:
        groups.setdefault(key(p), []).append(p)
    return {k: fulfilment(members, on=on) for k, members in groups.items()}


# --- Recipient gaps ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class RequirementFacts:
    recipient_id: int
    item_id: int
    quantity: int


@dataclass(frozen=True)
class Gap:
    recipient_id: int
    item_id: int
    required: int
    pledged: int
    delivered: int

    @property
    def uncovered(self) -> int:
        return max(0, self.required - self.pledged)

    @property
    def undelivered(self) -> int:
        return max(0, self.pledged - self.delivered)

    @property
    def covered_share(self) -> float | None:
        return share(min(self.pledged, self.required), self.required)


def recipient_gaps(requirements: Iterable[RequirementFacts], pledges: Iterable[PledgeFacts]) -> list[Gap]:
    """One gap per (recipient, item) with a requirement: pledges to that recipient of that item cover it."""
    required: dict[tuple[int, int], int] = {}
    for r in requirements:
        key = (r.recipient_id, r.item_id)
        required[key] = required.get(key, 0) + r.quantity
    pledged: dict[tuple[int, int], int] = {}
    delivered: dict[tuple[int, int], int] = {}
    for p in pledges:
        key = (p.recipient_id, p.item_id)
        if key not in required:
            continue
        pledged[key] = pledged.get(key, 0) + effective_quantity(p)
        delivered[key] = delivered.get(key, 0) + min(p.delivered, p.quantity)
    return [
        Gap(recipient_id=rec, item_id=item, required=req, pledged=pledged.get((rec, item), 0),
            delivered=delivered.get((rec, item), 0))
        for (rec, item), req in required.items()
    ]


@dataclass(frozen=True)
class GapValue:
    """Gaps of several items in EUR (each item's quantities × its unit value): quantities of different
    items never add up, their values do. ``unvalued``: gaps of items without a unit value, left out."""

    required_eur: Decimal = ZERO
    pledged_eur: Decimal = ZERO
    delivered_eur: Decimal = ZERO
    uncovered_eur: Decimal = ZERO
    items: int = 0
    unvalued: int = 0

    @property
    def covered_share(self) -> float | None:
        return share(min(self.pledged_eur, self.required_eur), self.required_eur)


def gap_value(gaps: Iterable[tuple[Gap, Decimal | None]]) -> GapValue:
    """(gap, the item's unit value in EUR) pairs -> their totals in EUR."""
    out = GapValue()
    for g, unit_value in gaps:
        if unit_value is None:
            out = GapValue(out.required_eur, out.pledged_eur, out.delivered_eur, out.uncovered_eur,
                           out.items + 1, out.unvalued + 1)
            continue
        out = GapValue(out.required_eur + g.required * unit_value, out.pledged_eur + g.pledged * unit_value,
                       out.delivered_eur + g.delivered * unit_value, out.uncovered_eur + g.uncovered * unit_value,
                       out.items + 1, out.unvalued)
    return out


def month_starts(first: date, last: date) -> list[date]:
    """Every first-of-month from ``first``'s month to ``last``'s, none skipped."""
    months, m = [], first.replace(day=1)
    while m <= last:
        months.append(m)
        m = (m.replace(day=28) + timedelta(days=4)).replace(day=1)
    return months


# --- Training -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingFacts:
    donor_id: int
    programme: str
    committed: int
    completed: int = 0
    cancelled: bool = False


@dataclass(frozen=True)
class TrainingProgress:
    donor_id: int
    programme: str
    commitments: int
    committed: int
    completed: int

    @property
    def outstanding(self) -> int:
        return max(0, self.committed - self.completed)

    @property
    def completed_share(self) -> float | None:
        return share(min(self.completed, self.committed), self.committed)


def training_progress(commitments: Iterable[TrainingFacts]) -> list[TrainingProgress]:
    """Committed vs completed per (donor, programme); a cancelled commitment counts what it completed."""
    totals: dict[tuple[int, str], list[int]] = {}
    for c in commitments:
        row = totals.setdefault((c.donor_id, c.programme), [0, 0, 0])
        row[0] += 1
        row[1] += min(c.completed, c.committed) if c.cancelled else c.committed
        row[2] += c.completed
    return [
        TrainingProgress(donor_id=d, programme=prog, commitments=n, committed=committed, completed=completed)
        for (d, prog), (n, committed, completed) in totals.items()
    ]
