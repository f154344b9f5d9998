"""Disclosure control: the one place that decides whether a figure about other nations is shown.

Pure (no database): callers pass each nation's contribution to a figure and who is reading; the
module answers shown (rounded for nations) or suppressed with a reason. The rules and their reasons
are in docs/disclosure.md; in short:

a. *primary*: an aggregate of other nations' sensitive figures is shown to a nation only when at least
   ``AGGREGATE_MIN_OTHER_NATIONS`` nations other than the reader contribute a non-zero value to that
   very figure (the reader's own contribution is taken out first), and the largest of them is at most
   ``AGGREGATE_DOMINANCE_PERCENT`` % of the others' total;
   and no other nation's figure can be narrowed, from the rounded figure and what the reader knows of
   each contributor's range (a shortfall is at most the nation's guideline plus what it owes), to an
   interval narrower than ``AGGREGATE_PROTECTION_PERCENT`` % of that figure (at least two values);
b. *secondary*: figures shown together are checked together (``rollup_figures``, ``demand_figures``):
   a figure that, with the ones shown beside it, would give back a suppressed one is suppressed too,
   and a figure computed from others (demand, gap, share, months) is computed from the *shown* ones;
c. records the reader may not see (restricted pledges) never enter a figure shown to it: the callers
   compute each nation's contribution without them for that reader (``stockpiles.selectors.
   nation_positions(reader_actor=...)``), so a hidden record neither appears in nor moves a total.
   ``restricted=True`` remains for a caller that cannot leave such records out: the figure is then
   suppressed;
d. every figure shown to a nation is rounded to ``AGGREGATE_ROUNDING`` (nearest multiple), the same
   rules apply on every as-of date and frozen snapshot, so the difference between two dates or two
   pages is never one nation's exact change.

Aggregates over records the reader may read one by one (fulfilment of the pledges released to it, the
recipient's gaps over those pledges) reveal nothing more than the records: ``released`` says so and
shows them exact.

Public API (stable; the briefing and every page call these):

- ``Reader``, ``reader_of(scope)``; ``Figure`` (``value``, ``reason``, ``suppressed``, ``note``);
- ``disclose(value, contributions, reader, restricted=False, limits=None)`` for one aggregate;
  ``primary_reason(...)`` for the check alone; ``released(value, reader)`` for records the reader reads;
- ``rollup_figures(...)``, ``demand_figures(...)`` (``DemandFigures.listed``: whether the row is listed) for
  rows of figures shown together; ``series_figures(...)`` for one figure over consecutive periods
  (sourcing's headroom by month) and ``others_from_shown(...)``, the other nations' part of it as the reader
  may know it (what sourcing's split for a nation is computed from);
- the same rules on a few aggregates instead of every nation's contribution (what a database can sum):
  ``Contributors`` / ``contributors(...)``, ``primary_reason_of(...)``, ``RollupStats`` /
  ``rollup_figures_of(...)`` (the dict-taking functions build these and call them: one implementation of each
  rule);
- ``rounded(value, reader)``, ``reason_text(code)``, ``suppressed_text(figure)`` (the words a
  page, an export or the API shows in place of a hidden figure), ``REASONS`` and the codes.

The cell sees every figure exact. Views never decide suppression themselves: they show ``Figure.value``
or ``Figure.reason`` (a translated text, ``Figure.note``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

FEW = "few_nations"  # fewer than AGGREGATE_MIN_OTHER_NATIONS other nations contribute
DOMINANT = "dominant"  # one other nation makes up more than AGGREGATE_DOMINANCE_PERCENT %
RESTRICTED = "restricted"  # a record the reader may not see would be in it
RELATED = "related"  # secondary: shown beside the figures above, it would give one of them back
PINNED = "pinned"  # with what the reader knows of each nation's range, it would narrow one nation's figure

REASONS = (FEW, DOMINANT, RESTRICTED, RELATED, PINNED)

Contributions = Mapping[int, int | float]  # nation id -> that nation's contribution to one figure
Limits = Mapping[int, int | None]  # nation id -> the largest contribution the reader knows it could have


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


_TEXTS = {
    DOMINANT: _("one nation dominates"),
    RESTRICTED: _("includes records you may not see"),
    RELATED: _("would reveal a hidden figure"),
    PINNED: _("would narrow one nation's figure"),
}


def reason_text(reason: str) -> str:
    """The reason in the active language (read when called: a page, an export or the API in the user's)."""
    if reason == FEW:
        n = min_other_nations()
        return ngettext("fewer than %(n)d other nation", "fewer than %(n)d nations", n) % {"n": n}
    return str(_TEXTS[reason])


def suppressed_text(figure: Figure) -> str:
    """What a page, an export cell or the API shows in place of a hidden figure (never blank or 0)."""
    return figure.note


@dataclass(frozen=True)
class Contributors:
    """What rules (a) decide one figure on, for one reader: of the nations other than the reader with a
    non-zero contribution, how many (``k``), the sum and the largest of their contributions' magnitudes, the
    reader's own contribution (magnitude), and over those same ``k`` nations whether every one's limit is
    known (``caps_known``) with the sum, the smallest and the largest of the limits. The rules read nothing
    else, so the database can compute these per item (``stockpiles.selectors.reader_figures``) and the
    decision is the one the contributions themselves give (``contributors``)."""

    k: int = 0
    total: int | float = 0
    largest: int | float = 0
    own: int | float = 0
    caps_known: bool = False
    cap_sum: int | float = 0
    cap_min: int | float | None = None
    cap_max: int | float | None = None


def _of_others(others: Mapping[int, int | float], own: int | float, limits: Limits | None) -> Contributors:
    limits = limits or {}
    caps = [limits.get(n) for n in others]
    known = all(c is not None for c in caps)
    values = list(others.values())
    return Contributors(
        k=len(values), total=sum(values), largest=max(values, default=0), own=own, caps_known=known,
        cap_sum=sum(caps) if known else 0, cap_min=min(caps) if known and caps else None,
        cap_max=max(caps) if known and caps else None)


def contributors(contributions: Contributions, reader: Reader, limits: Limits | None = None) -> Contributors:
    """The ``Contributors`` of one figure from each nation's contribution (and what the reader knows of each
    one's largest value, ``limits``: a nation left out, or None, has no known limit)."""
    others = {n: abs(v) for n, v in contributions.items() if n != reader.nation_id and v}
    own = abs(contributions.get(reader.nation_id, 0) or 0)
    return _of_others(others, own, limits)


def primary_reason(contributions: Contributions, reader: Reader, *, restricted: bool = False,
                   limits: Limits | None = None) -> str | None:
    """Rule (a) and (c) for one figure, the sum of ``contributions`` shown rounded: None when the reader
    may see it, else the reason. ``limits``: what the reader knows of each contributor's largest value
    (a nation left out, or None, has no known limit). ``primary_reason_of`` on ``contributors(...)``."""
    if reader.is_cell:
        return None
    if restricted:
        return RESTRICTED
    return primary_reason_of(contributors(contributions, reader, limits), reader)


def primary_reason_of(c: Contributors, reader: Reader, *, restricted: bool = False) -> str | None:
    """``primary_reason`` from the figure's ``Contributors`` (the one implementation of rules a and c)."""
    if reader.is_cell:
        return None
    if restricted:
        return RESTRICTED
    if c.k < min_other_nations():
        return FEW
    if c.largest * 100 > float(settings.AGGREGATE_DOMINANCE_PERCENT) * c.total:
        return DOMINANT
    return pinned_reason_of(c, reader)


def exact_range(shown_value: int | float, reader: Reader) -> tuple[int | float, int | float]:
    """The exact values a nation knows a figure shown to it as ``shown_value`` can have (rounding)."""
    base = int(settings.AGGREGATE_ROUNDING)
    if reader.is_cell or base <= 1 or isinstance(shown_value, float):
        return shown_value, shown_value
    half = base // 2
    if shown_value == 0:
        return -(base - half - 1), base - half - 1
    if shown_value > 0:
        return shown_value - half, shown_value + base - half - 1
    return shown_value - (base - half - 1), shown_value + half


def protection(value: int | float) -> float:
    """How wide the interval a nation can narrow another nation's figure to must stay: at least two
    values, and ``AGGREGATE_PROTECTION_PERCENT`` % of the figure (the p % rule)."""
    return max(1.0, abs(value) * float(settings.AGGREGATE_PROTECTION_PERCENT) / 100)


def pinned_reason(others: Mapping[int, int | float], reader: Reader, *, own: int | float = 0,
                  limits: Limits | None = None) -> str | None:
    """PINNED when the sum of ``others`` (the non-zero contributions of the nations other than the reader)
    would be shown too close to the lowest or highest sum the reader knows it can have (each at least 1
    and at most its limit), closer than twice ``protection`` of the mean contribution.

    The decision is a function of what the reader sees (the rounded figure, its own ``own`` share, the
    number of contributors and their limits) and never of the exact sum: so "hidden for this reason"
    tells the reader only that the whole rounding interval lies near a bound, a region at least twice
    the protection wide, and a shown figure leaves its whole rounding interval open.
    ``pinned_reason_of`` on the others' ``Contributors``.
    """
    return pinned_reason_of(_of_others(others, own, limits), reader)


def pinned_reason_of(c: Contributors, reader: Reader) -> str | None:
    """``pinned_reason`` from the ``Contributors`` (the one implementation of the rule). A limit too low, or
    the others' too low, narrows one nation when it does for the smallest limit, or for the sum of the
    others' limits without the largest: the two extremes of "for some contributor"."""
    k = c.k
    if not k:
        return None
    lo, hi = exact_range(rounded(c.own + c.total, reader), reader)
    lo, hi = lo - c.own, hi - c.own
    margin = 2 * protection(max(1, lo) / k)
    if lo - k < margin:  # the interval reaches down to "every one of them at 1"
        return PINNED
    if c.caps_known:
        if c.cap_sum - hi < margin:  # ... or up to "every one of them at its limit"
            return PINNED
        # a limit so low, or the others' so low, that the limits alone narrow one
        if c.cap_min - 1 < margin or (k > 1 and (c.cap_sum - c.cap_max) - (k - 1) < margin):
            return PINNED
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


def released(value: int | float, reader: Reader) -> Figure:
    """An aggregate over records the reader may read one by one (its released pledges' fulfilment,
    recipient gaps over those pledges): it tells nothing the records do not, so it is shown exact.
    The caller must have left out every record the reader may not see (rule c)."""
    return Figure(value)


def disclose(value: int | float, contributions: Contributions, reader: Reader, *,
             restricted: bool = False, limits: Limits | None = None) -> Figure:
    """One aggregate: ``value`` (the sum of ``contributions``, or a figure built from them) as the
    reader may see it."""
    reason = primary_reason(contributions, reader, restricted=restricted, limits=limits)
    return hidden(reason) if reason else shown(value, reader)


def _split(contributions: Contributions) -> tuple[dict[int, int], dict[int, int]]:
    """Signed contributions as two magnitude figures: the positive parts and the negative parts."""
    pos = {n: v for n, v in contributions.items() if v > 0}
    neg = {n: -v for n, v in contributions.items() if v < 0}
    return pos, neg


def series_figures(series: Sequence[Contributions], reader: Reader, *, limits: Limits | None = None
                   ) -> list[Figure]:
    """A series of one figure over consecutive periods (e.g. headroom month by month), shown together.

    The first period is shown when it passes on its own. A later period is shown only when every earlier
    one is, it passes on its own, and its change since every earlier period (each nation's change: what
    production or contracts add, a change of 0 included) passes too: otherwise the difference of two shown
    periods, the slope of the series, would give one nation's rate. A later period hidden says only
    RELATED, whatever failed: which check failed, or a later period shown after a hidden one, would tell
    how many nations' figures grew (found by the property test: with each nation's range known, a flat
    series, or one hidden "fewer than 3" a month later, told that the one nation that might produce did not).
    """
    out: list[Figure] = []
    earlier: list[Contributions] = []
    for contributions in series:
        figure = disclose(sum(contributions.values()), contributions, reader, limits=limits)
        if earlier and not reader.is_cell:
            if figure.suppressed or any(f.suppressed for f in out):
                figure = hidden(RELATED)
            else:
                for before in earlier:
                    change = {n: contributions.get(n, 0) - before.get(n, 0) for n in set(contributions) | set(before)}
                    if primary_reason(change, reader) is not None:
                        figure = hidden(RELATED)
                        break
        earlier.append(contributions)
        out.append(figure)
    return out


def others_from_shown(series: Sequence[Figure], own: Sequence[int | float]) -> list[int | float] | None:
    """What a reader may know of the other nations' part of a series shown to it (``series_figures``) by
    period, for a figure that never falls (headroom): the shown figure minus its own contribution, at least
    0; a hidden period counts as the last shown one before it, and no period more than a later one. None
    when the first period is hidden: whatever would be computed from the others' part (sourcing's split for
    a nation) is then hidden too. Anything computed from this is computed from shown figures only (rule b),
    so it tells nothing the series does not."""
    if not series or series[0].suppressed or series[0].value is None:
        return None
    values: list[int | float] = []
    for f, o in zip(series, own, strict=True):
        values.append(values[-1] if f.suppressed or f.value is None else max(0, f.value - o))
    out: list[int | float] = []
    for v in reversed(values):
        out.append(v if not out else min(v, out[-1]))
    return out[::-1]


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
                   restricted: bool = False, limits: Limits | None = None,
                   surplus_limits: Limits | None = None) -> RollupFigures:
    """Rules (a)–(d) for one item's roll-up row, from each nation's figures.

    ``shortfall``: nation → its shortfall (≥ 0); ``surplus``: nation → available − guideline (signed)
    for the nations compared; ``counted``: the nations compared. Total = Σ shortfall; net = Σ surplus;
    below = how many have a shortfall. ``limits``: nation → the largest shortfall the reader knows it
    could have (its guideline plus what it owes, as the reader sees it); ``surplus_limits``: the same for
    a surplus (none in the product: a surplus has no known ceiling).

    Net + total is the sum of the surpluses alone, so the net is shown only when the total is and,
    whenever another compared nation is not short, the other nations' surpluses pass the check on their
    own (an "at guideline" nation would otherwise be seen at exactly 0); it is shown as the rounded sum
    of the surpluses minus the shown total (never a second rounding of the total). The counts are shown
    only with the total (they tell how many contributed to it).
    """
    positive, _negative = _split(surplus)
    stats = RollupStats(
        total=sum(shortfall.values()), below=sum(1 for v in shortfall.values() if v > 0), counted=len(counted),
        net=sum(surplus.values()), surpluses=sum(positive.values()),
        shortfall=contributors(shortfall, reader, limits), surplus=contributors(positive, reader, surplus_limits),
        others_not_short=any(n != reader.nation_id and not shortfall.get(n) for n in counted))
    return rollup_figures_of(stats, reader, restricted=restricted)


@dataclass(frozen=True)
class RollupStats:
    """What ``rollup_figures`` decides one item's row on, for one reader: Σ shortfall (``total``), how many
    nations are short (``below``) and compared (``counted``), Σ surplus of the compared (``net``, the cell's),
    Σ of their positive surpluses (``surpluses``), the ``Contributors`` of the shortfall (limits: guideline +
    owed) and of the compared nations' positive surpluses (no known ceiling), and whether another compared
    nation than the reader has no shortfall (``others_not_short``)."""

    total: int | float
    below: int
    counted: int
    net: int | float
    surpluses: int | float
    shortfall: Contributors
    surplus: Contributors
    others_not_short: bool


def rollup_figures_of(s: RollupStats, reader: Reader, *, restricted: bool = False) -> RollupFigures:
    """``rollup_figures`` from the item's ``RollupStats`` (the one implementation of its rules)."""
    if reader.is_cell:
        return RollupFigures(Figure(s.total), Figure(s.net), Figure(s.below), Figure(s.counted))
    reason = primary_reason_of(s.shortfall, reader, restricted=restricted)
    total = hidden(reason) if reason else shown(s.total, reader)
    if total.suppressed:
        related = hidden(RELATED if total.reason != RESTRICTED else RESTRICTED)
        return RollupFigures(total, related, related, related)
    # net = Σ positive surpluses − total. It is shown as rounded(Σ positive surpluses) − the shown total:
    # rounding the net on its own would be a second rounding of the total (the reader knows its own
    # surplus), and the two together narrow it. When every other compared nation is short, the surpluses
    # are the reader's own and the net tells nothing the total does not; otherwise they are a figure of
    # their own, checked like any other (an "at guideline" nation would otherwise be seen at exactly 0).
    surpluses = rounded(s.surpluses, reader)
    reason = primary_reason_of(s.surplus, reader) if s.others_not_short else None
    net = hidden(reason) if reason else Figure(surpluses - total.value)
    return RollupFigures(total, net, Figure(s.below), Figure(s.counted))


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

    @property
    def listed(self) -> bool:
        """Whether the row is listed at all: when a figure is hidden (it says so) or a shown one is not 0.
        Decided on the figures as shown, never on exact ones: leaving out a row because the exact demand is 0
        would tell a nation that every other nation's shortfall is 0."""
        figures = (self.nation_shortfall, self.demand, self.contracted, self.gap, self.capacity_per_month)
        return any(f.suppressed or f.value for f in figures)


def demand_figures(*, shortfall: Contributions, contracted: Contributions, national_capacity: Contributions,
                   recipient_uncovered: int, demand, reader: Reader, restricted: bool = False,
                   limits: Limits | None = None) -> DemandFigures:
    """Rules (a)–(d) for one procurement demand row.

    ``shortfall``: nation → shortfall; ``contracted``: nation → quantity still to come on its orders
    (only nations' orders count here, never as contributors to the shortfall); ``national_capacity``:
    nation → capacity from its own rates (capacity from production lines is reference data: not
    passed, it is in ``demand.capacity_per_month`` only; the capacity is checked on the national part, so
    an item whose capacity comes from lines only is hidden from a nation too); ``demand``: the
    ``procurement.aggregate_demand`` result; ``limits`` as in ``rollup_figures``.

    The reader sees the recipient's uncovered need, so demand (= Σ shortfall + uncovered), gap, share
    and months of capacity are computed **from the shown figures** (the rounded shortfall, contracted and
    capacity), never from exact ones: a second rounding of the same total would narrow it. Each is shown
    only when the figures it is made of are.
    """
    if reader.is_cell:
        return DemandFigures(*(Figure(v) for v in (
            demand.nation_shortfall, demand.nations_short, demand.demand, demand.contracted, demand.gap,
            demand.contracted_share, demand.capacity_per_month, demand.months_of_capacity)))
    short = disclose(demand.nation_shortfall, shortfall, reader, restricted=restricted, limits=limits)
    contr = disclose(demand.contracted, contracted, reader)
    # Checked on the nations' own rates whether or not any is non-zero: shown whenever none was, it told a
    # nation with no rate of its own that no other nation produced the item (found by the property test).
    cap = disclose(demand.capacity_per_month, national_capacity, reader)
    from_shown = type(demand)(  # the same formulas (procurement.ItemDemand) on the shown figures
        item_id=demand.item_id, nation_shortfall=short.value or 0, nations_short=demand.nations_short,
        recipient_uncovered=recipient_uncovered, contracted=contr.value or 0,
        capacity_per_month=cap.value or 0,
    )
    if short.suppressed:
        count, total_demand = hidden(short.reason), hidden(RELATED)
    else:
        count, total_demand = Figure(demand.nations_short), Figure(from_shown.demand)
    if total_demand.suppressed or contr.suppressed:
        gap = share = hidden(RELATED)
    else:
        gap = Figure(from_shown.gap)
        share = Figure(None if from_shown.contracted_share is None else round(from_shown.contracted_share, 2))
    months = hidden(RELATED) if gap.suppressed or cap.suppressed else Figure(from_shown.months_of_capacity)
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
