"""Disclosure control: the one place that decides whether a figure about other nations is shown.

Pure (no database): callers pass each nation's contribution to a figure and who is reading; the
module answers shown (rounded for nations) or suppressed with a reason. The rules and their reasons
are in docs/disclosure.md; in short:

a. *primary*: an aggregate of other nations' sensitive figures is shown to a nation only when at least
   ``AGGREGATE_MIN_OTHER_NATIONS`` nations other than the reader contribute a non-zero value to that
   very figure (the reader's own contribution is taken out first), and the largest of them is at most
   ``AGGREGATE_DOMINANCE_PERCENT`` % of the others' total;
b. *secondary*: figures shown together are checked together (``rollup_figures``, ``demand_figures``):
   a figure that, with the ones shown beside it, would give back a suppressed one is suppressed too;
c. records the reader may not see (restricted pledges) never enter a figure shown to it: the caller
   says so with ``restricted=True`` and the figure is suppressed;
d. every figure shown to a nation is rounded to ``AGGREGATE_ROUNDING`` (nearest multiple), so that the
   difference between two dates or two pages is not one nation's exact change.

The cell sees every figure exact. Views never decide suppression themselves: they show ``Figure.value``
or ``Figure.reason`` (a translated text, ``Figure.note``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

FEW = "few_nations"  # fewer than AGGREGATE_MIN_OTHER_NATIONS other nations contribute
DOMINANT = "dominant"  # one other nation makes up more than AGGREGATE_DOMINANCE_PERCENT %
RESTRICTED = "restricted"  # a record the reader may not see would be in it
RELATED = "related"  # secondary: shown beside the figures above, it would give one of them back

REASONS = (FEW, DOMINANT, RESTRICTED, RELATED)

Contributions = Mapping[int, int | float]  # nation id -> that nation's contribution to one figure


@dataclass(frozen=True)
class Reader:
    """Who reads: the cell (exact figures) or one nation (``nation_id``)."""

    nation_id: int | None
    is_cell: bool = False


def reader_of(scope) -> Reader:
    """A ``coordination.access.Scope`` (or anything with ``is_cell`` and ``nation_id``) as a Reader."""
    return Reader(nation_id=scope.nation_id, is_cell=bool(scope.is_cell))


@dataclass(frozen=True)
class Figure:
    """One figure as a reader sees it: ``value`` (None when suppressed) and why it is suppressed."""

    value: int | float | None
    reason: str | None = None

    @property
    def suppressed(self) -> bool:
        return self.reason is not None

    @property
    def note(self) -> str:
        """The reason in the reader's language ('' when shown)."""
        return reason_text(self.reason) if self.reason else ""


def min_other_nations() -> int:
    return int(settings.AGGREGATE_MIN_OTHER_NATIONS)


def reason_text(reason: str) -> str:
    n = min_other_nations()
    texts = {
        FEW: ngettext_lazy("fewer than %(n)d other nation", "fewer than %(n)d nations", n) % {"n": n},
        DOMINANT: _("one nation dominates"),
        RESTRICTED: _("includes records you may not see"),
        RELATED: _("would reveal a hidden figure"),
    }
    return str(texts[reason])


def primary_reason(contributions: Contributions, reader: Reader, *, restricted: bool = False) -> str | None:
    """Rule (a) and (c) for one figure: None when the reader may see it, else the reason."""
    if reader.is_cell:
        return None
    if restricted:
        return RESTRICTED
    others = [abs(v) for n, v in contributions.items() if n != reader.nation_id and v]
    if len(others) < min_other_nations():
        return FEW
    if max(others) * 100 > float(settings.AGGREGATE_DOMINANCE_PERCENT) * sum(others):
        return DOMINANT
    return None


def rounded(value: int | float, reader: Reader) -> int | float:
    """Rule (d): a figure shown to a nation, to the nearest multiple of ``AGGREGATE_ROUNDING``
    (halves away from zero); exact for the cell."""
    base = int(settings.AGGREGATE_ROUNDING)
    if reader.is_cell or base <= 1 or isinstance(value, float):
        return value
    sign = -1 if value < 0 else 1
    return sign * ((abs(int(value)) + base // 2) // base) * base


def shown(value: int | float, reader: Reader) -> Figure:
    return Figure(rounded(value, reader))


def hidden(reason: str) -> Figure:
    return Figure(None, reason)


def disclose(value: int | float, contributions: Contributions, reader: Reader, *,
             restricted: bool = False) -> Figure:
    """One aggregate: ``value`` (the sum of ``contributions``, or a figure built from them) as the
    reader may see it."""
    reason = primary_reason(contributions, reader, restricted=restricted)
    return hidden(reason) if reason else shown(value, reader)


def _split(contributions: Contributions) -> tuple[dict[int, int], dict[int, int]]:
    """Signed contributions as two magnitude figures: the positive parts and the negative parts."""
    pos = {n: v for n, v in contributions.items() if v > 0}
    neg = {n: -v for n, v in contributions.items() if v < 0}
    return pos, neg


# --- Figures shown together --------------------------------------------------------------------------

@dataclass(frozen=True)
class RollupFigures:
    """A roll-up row as the reader may see it: total shortfall, net position, nations below/counted."""

    total_shortfall: Figure
    net_position: Figure
    nations_below: Figure
    nations_counted: Figure

    @property
    def reason(self) -> str | None:
        """The row's reason (the total's, else the net's): None when everything is shown."""
        return self.total_shortfall.reason or self.net_position.reason


def rollup_figures(*, shortfall: Contributions, surplus: Contributions, counted: set[int], reader: Reader,
                   restricted: bool = False) -> RollupFigures:
    """Rules (a)–(d) for one item's roll-up row, from each nation's figures.

    ``shortfall``: nation → its shortfall (≥ 0); ``surplus``: nation → available − guideline (signed)
    for the nations compared; ``counted``: the nations compared. Total = Σ shortfall; net = Σ surplus;
    below = how many have a shortfall. Net + total is the sum of the surpluses alone, so the net is
    shown only when the total is and the surpluses (positive parts) pass the check on their own; the
    counts are shown only with the total (they tell how many contributed to it).
    """
    total_value = sum(shortfall.values())
    net_value = sum(surplus.values())
    below_value = sum(1 for v in shortfall.values() if v > 0)
    if reader.is_cell:
        return RollupFigures(Figure(total_value), Figure(net_value), Figure(below_value), Figure(len(counted)))
    total = disclose(total_value, shortfall, reader, restricted=restricted)
    if total.suppressed:
        related = hidden(RELATED if total.reason != RESTRICTED else RESTRICTED)
        return RollupFigures(total, related, related, related)
    positive, _negative = _split(surplus)
    # net + total = the surpluses alone: checked as a figure of their own when other nations have any
    # (when none has, net = own surplus − total, which tells nothing the total does not).
    has_other_surplus = any(n != reader.nation_id for n in positive)
    reason = primary_reason(positive, reader) if has_other_surplus else None
    net = hidden(reason) if reason else shown(net_value, reader)
    return RollupFigures(total, net, Figure(below_value), Figure(len(counted)))


@dataclass(frozen=True)
class DemandFigures:
    """Procurement demand of one item as the reader may see it."""

    nation_shortfall: Figure
    nations_short: Figure
    demand: Figure
    contracted: Figure
    gap: Figure
    contracted_share: Figure
    capacity_per_month: Figure
    months_of_capacity: Figure

    @property
    def reason(self) -> str | None:
        return self.nation_shortfall.reason or self.contracted.reason


def demand_figures(*, shortfall: Contributions, contracted: Contributions, national_capacity: Contributions,
                   recipient_uncovered: int, demand, reader: Reader, restricted: bool = False) -> DemandFigures:
    """Rules (a)–(d) for one procurement demand row.

    ``shortfall``: nation → shortfall; ``contracted``: nation → quantity still to come on its orders
    (only nations' orders count here, never as contributors to the shortfall); ``national_capacity``:
    nation → capacity from its own rates (capacity from production lines is reference data: not
    passed); ``demand``: the ``procurement.aggregate_demand`` result (demand = Σ shortfall + the
    recipient's uncovered need, which the reader sees, so demand is shown only with the shortfall; gap
    and share only with both demand and contracted; months of capacity only with gap and capacity).
    """
    if reader.is_cell:
        return DemandFigures(*(Figure(v) for v in (
            demand.nation_shortfall, demand.nations_short, demand.demand, demand.contracted, demand.gap,
            demand.contracted_share, demand.capacity_per_month, demand.months_of_capacity)))
    short = disclose(demand.nation_shortfall, shortfall, reader, restricted=restricted)
    if short.suppressed:
        count = hidden(short.reason)
        total_demand = hidden(RELATED)
    else:
        count, total_demand = Figure(demand.nations_short), shown(demand.demand, reader)
    contr = disclose(demand.contracted, contracted, reader)
    if total_demand.suppressed or contr.suppressed:
        gap = share = hidden(RELATED)
    else:
        gap = shown(demand.gap, reader)
        share = Figure(None if demand.contracted_share is None else round(demand.contracted_share, 2))
    cap_reason = primary_reason(national_capacity, reader) if any(national_capacity.values()) else None
    cap = hidden(cap_reason) if cap_reason else shown(demand.capacity_per_month, reader)
    months = (hidden(RELATED) if gap.suppressed or cap.suppressed else Figure(demand.months_of_capacity))
    return DemandFigures(short, count, total_demand, contr, gap, share, cap, months)


# --- Totals of figures already disclosed -----------------------------------------------------------

@dataclass(frozen=True)
class PartialTotal:
    """A total over parts that were each disclosed on their own (e.g. a category's shortfall in EUR over
    its items' roll-up totals): ``value`` sums the shown parts only, ``hidden`` counts the parts left out.

    A part hidden from the reader never enters the total, so the total minus the shown parts can never
    give a hidden part back (rule b): the reader learns nothing the parts shown beside it do not tell.
    """

    value: int | float | object
    hidden: int = 0

    @property
    def complete(self) -> bool:
        return self.hidden == 0


def total_of_shown(parts) -> PartialTotal:
    """Σ of the parts whose figure is shown; ``parts`` are (Figure, weight) pairs, the weight turning the
    figure into the unit of the total (e.g. EUR per unit), None when the part has no weight (left out,
    not counted as hidden)."""
    total, hidden = 0, 0
    for figure, weight in parts:
        if figure.suppressed:
            hidden += 1
        elif weight is not None and figure.value is not None:
            total += figure.value * weight
    return PartialTotal(total, hidden)
