"""coordination.disclosure: the rules one by one, and a property test with an exhaustive solver.

The solver plays a nation (the reader) that knows its own figures and sees, for one item at two as-of
dates, everything the product serves it about other nations, computed by the same functions the
selectors behind the pages, exports and API call: the roll-up row with its status counts (the API, the
overview and item page, the as-of views and snapshots: ``stockpiles.selectors.reader_positions`` and
``rollup_disclosed``), the procurement demand row and whether it is listed (``stockpiles.
procurement_selectors.demand_row``: every nation's shortfall, the quantity on its orders and its national
capacity), the sourcing plan (own headroom, the month-by-month total, the proposed split and its own lines,
for the recipients' need and for any quantity: ``stockpiles.sourcing_selectors.plan_from_results``), the
category's total over two items, and the trend endpoint's projection (its own pairs only). The solver
enumerates every assignment of the other nations' hidden figures over a small range and keeps those that
produce exactly what the reader saw. The property: every other nation's position, national capacity and
contracted quantity, on either date, and the change of each between the dates keep at least two possible
values; and the restricted pledges, unknown to the solver, change nothing it sees.

Not in the solver, by argument: what a nation is served about other nations' pledges (fulfilment by donor
and by item, overdue pledges and their count, deliveries per month, recipient gaps, on any date) is a sum
over records it may read one by one. Each is computed over ``Pledge.objects.restrict(reader, "view")``
(``pledges.selectors``: ``_pledges``, ``overdue_pledges_page``, ``recipient_gap_figures`` with the reader's
scope) or ``Delivery.objects.restrict(...)`` (``deliveries_per_month``), and a delivery is readable exactly
when its pledge is (``releasable_q`` with the ``pledge__`` prefix); the delivered quantity as of a past date
sums the deliveries of those readable pledges; the requirements and the item prices are reference data
every nation reads. So such a figure tells nothing the records listed to the reader do not, and a
solver over it would find each record's figure exact, as the reader can read it
(``disclosure.released``). What it must never include, a restricted pledge of another donor, is checked
through the database: tests/api/test_disclosure_sourcing_series.py.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
from dataclasses import dataclass, replace
from unittest import mock

import pytest
from hypothesis import example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from coordination import disclosure
from coordination.disclosure import DOMINANT, FEW, RELATED, RESTRICTED, Reader
from coordination.models import Item, Nation
from pledges import fulfilment
from stockpiles import procurement, procurement_selectors, shortfalls, sourcing, sourcing_selectors
from stockpiles.selectors import NationPosition, reader_positions, rollup_disclosed

POL = Reader(nation_id=0)
CELL = Reader(nation_id=None, is_cell=True)
# A nation's available − guideline: negative is a shortfall. Wide enough against the rounding base (10)
# that totals are shown (see test_the_solvers_domain_shows_figures), small enough to enumerate.
DOMAIN = range(-6, 7)


def position(d: int, *, limited: bool = False) -> NationPosition:
    """A nation at ``d``; ``limited``: the reader knows every position lies in DOMAIN (the limits it is told),
    as the solver does."""
    limits = {"limit": -min(DOMAIN), "surplus_limit": max(DOMAIN)} if limited else {}
    return NationPosition(shortfalls.BELOW_GUIDELINE if d < 0 else shortfalls.OK, max(0, -d), d, **limits)


# --- The rules one by one ------------------------------------------------------------------------------

def test_the_cell_sees_exact_figures():
    figures, _ = rollup_disclosed(positions={0: position(-3), 1: position(5)}, reader=CELL)
    assert (figures.total_shortfall.value, figures.net_position.value, figures.nations_below.value) == (3, 2, 1)


def test_fewer_than_three_other_contributors_is_suppressed_and_the_readers_own_share_does_not_count():
    # POL is short too: its own 40 must not make up the third contributor.
    assert disclosure.primary_reason({0: 40, 1: 100, 2: 120}, POL) == FEW
    assert disclosure.primary_reason({0: 40, 1: 100, 2: 120, 3: 0}, POL) == FEW  # zero contributes nothing
    assert disclosure.primary_reason({0: 40, 1: 100, 2: 120, 3: 90}, POL) is None


def test_one_dominant_nation_is_suppressed():
    assert disclosure.primary_reason({1: 860, 2: 70, 3: 70}, POL) == DOMINANT  # 86 % of the others
    assert disclosure.primary_reason({1: 850, 2: 80, 3: 70}, POL) is None  # 85 % exactly is shown


def test_rounding_to_the_documented_base():
    assert [disclosure.rounded(v, POL) for v in (4, 5, 14, 15, -15, 947, 977)] == [0, 10, 10, 20, -20, 950, 980]
    assert disclosure.rounded(947, CELL) == 947


def test_leak_2_numbers_hide_total_net_and_counts():
    # POL at guideline, NOR short 100, USA surplus 500: total 100, net 400, below 1 solved both.
    figures, statuses = rollup_disclosed(positions={0: position(0), 1: position(-100), 2: position(500)}, reader=POL)
    assert figures.total_shortfall.reason == FEW
    assert {figures.net_position.reason, figures.nations_below.reason, figures.nations_counted.reason} == {RELATED}
    assert statuses == {}


def test_net_is_hidden_when_the_surpluses_alone_fail():
    # Three short, one with a surplus: net + total would be that one nation's surplus.
    positions = {0: position(0), 1: position(-30), 2: position(-40), 3: position(-50), 4: position(200)}
    figures, _ = rollup_disclosed(positions=positions, reader=POL)
    assert figures.total_shortfall.value == 120 and figures.net_position.reason == FEW


def test_a_restricted_record_hides_the_row():
    positions = {n: position(-50) for n in range(5)}
    figures, _ = rollup_disclosed(positions=positions, reader=POL, restricted=True)
    assert figures.total_shortfall.reason == RESTRICTED and figures.net_position.value is None
    assert rollup_disclosed(positions=positions, reader=CELL, restricted=True)[0].total_shortfall.value == 250


def test_reason_texts_in_both_languages():
    from django.utils import translation

    with translation.override("en"):  # whatever language an earlier request in this process left active
        assert disclosure.reason_text(FEW) == "fewer than 3 nations"
    with translation.override("fr"):
        assert disclosure.reason_text(FEW) == "moins de 3 nations"
        assert disclosure.reason_text(DOMINANT) == "une nation domine"


# --- The property: no other nation's figure is ever determined -----------------------------------------
#
# A world is what one item looks like to the reader (nation 1) on two as-of dates. Each other nation has three
# hidden figures: its position d (available − guideline, as the reader's figures are computed: without the
# pledges it may not see), its national capacity (its own production rate: the engine's rate and, in the
# procurement demand row, its national capacity, ``procurement.capacity_by_nation``) and the quantity still to
# come on its orders (the demand row's contracted figure; its deliveries fall after sourcing's horizon, so it
# enters nothing else the reader is served). Between the dates one named nation's position changes, one
# nation's capacity and one nation's contracted quantity may change, and other nations' restricted pledges
# (which the reader may not see) are announced. The solver knows the reader's own figures, every nation's
# guideline and the owed of the pledges it may see (so each nation's range: d ≥ −(guideline + owed)), the
# ceilings of its domains, the line capacity (reference data) and which nation's position changed; it does
# not know the restricted pledges, nor which nation's capacity or contracted quantity changed. (A solver that
# knew that would learn, when a figure hidden as "fewer than 3 nations" on the first date is shown on the
# second, that this nation had none the day before: the frequency rule counts the nations with a non-zero
# figure. For a position that tells its sign only; for orders or production, none is one value. A limit of
# the rule, stated in docs/disclosure.md.)
#
# Three solves per world, each a stronger adversary than a real nation on the figures it does not solve for:
# the positions with every capacity and contracted quantity known; the capacities with every position and
# contracted quantity known; the contracted quantities with every position and capacity known. (Solving for
# all three at once is out of reach of an exhaustive enumeration.) A capacity or a contracted quantity is
# drawn below the ceiling the solver tries (``FLOWS``): a real nation knows no ceiling of another nation's
# orders or production, and a solver that knew one would "pin" a total at the top of its range.

READER = 1
THE_READER = Reader(nation_id=READER)
ITEM, OTHER_ITEM = 1, 2
DAYS = (dt.date(2024, 4, 12), dt.date(2024, 4, 13))
HORIZON = 2  # sourcing's months in the model
BIG = 10**6  # a quantity asked of sourcing larger than anything: the split then covers all it can
LINE_OWNER = 9  # the nation of a manufacturer's line (capacity from lines is reference data, not a nation's)
POSITION, CAPACITY, CONTRACTED = 0, 1, 2  # a nation's figures: (position, national capacity, contracted)
FIGURES = ("position", "capacity", "contracted")
# Per number of other nations: (guideline = −lowest position, ceiling of a position). Small enough to
# enumerate, wide enough against the rounding base (10) that figures are shown (test_the_solvers_domain_...).
SCALE = {2: (6, 6), 3: (6, 6), 4: (2, 2), 5: (2, 2)}
# Per number of other nations, for a capacity and a contracted quantity: (largest drawn, largest the solver tries).
FLOWS = {2: ((4, 6), (6, 8)), 3: ((4, 6), (6, 8)), 4: ((2, 3), (2, 3)), 5: ((2, 3), (2, 3))}

Values = tuple[tuple[int, int, int], ...]  # per nation 1..n: (position, capacity, contracted)


@dataclass(frozen=True)
class World:
    others: int  # nations other than the reader (2–5)
    own: tuple[int, int, int]  # the reader's (position, capacity, contracted)
    owed: tuple[int, ...]  # per nation 1..n: owed on pledges every nation may see (0 for the reader)
    restricted: tuple[int, ...]  # per nation 1..n: restricted pledge announced on the second date (0: none)
    changed: int  # the nation whose position changes between the dates (the solver knows which)
    changed_capacity: int  # the nation whose capacity may change (the solver does not know which)
    changed_contracted: int  # the nation whose contracted quantity may change (the solver does not know which)
    need: int  # the recipients' uncovered need, over the pledges the reader sees (released records)
    asked: int  # the quantity the reader asks sourcing for (BIG: more than anything)
    other_item: tuple[int, ...]  # the other item's positions (in the reader's category; known to the solver)
    line: int = 0  # a manufacturer's line capacity (reference data, known)

    @property
    def guideline(self) -> int:
        return SCALE[self.others][0]

    @property
    def ceiling(self) -> int:
        return SCALE[self.others][1]

    def positions(self, nation: int) -> range:
        """What the solver knows of a nation's position: at least −(guideline + owed), at most the ceiling."""
        return range(-(self.guideline + self.owed[nation - 1]), self.ceiling + 1)

    def domain(self, figure: int, nation: int) -> range:
        """The values the solver tries for one of a nation's figures."""
        if figure == POSITION:
            return self.positions(nation)
        return range(FLOWS[self.others][figure - 1][1] + 1)

    def drawn(self, figure: int) -> tuple[int, ...]:
        """The values a capacity or a contracted quantity is drawn from (0 often: most nations have none)."""
        return (0, 0, *range(1, FLOWS[self.others][figure - 1][0] + 1))

    def unseen(self) -> World:
        """The world as the solver models it: it does not know the other nations' restricted pledges."""
        return replace(self, restricted=(self.restricted[0],) + (0,) * (len(self.restricted) - 1))


NATIONS = {n: Nation(pk=n, code=f"N{n}", name=f"Nation {n}", role=Nation.Role.ALLY) for n in range(1, 8)}
SOURCED = Item(pk=ITEM, name="Item", unit="rounds")
SINCE = dt.date(2020, 1, 1)


@functools.cache
def result(d: int, *, guideline: int, owed: int, restricted: int, rate: int, day: dt.date
           ) -> shortfalls.ShortfallResult:
    """The engine's result for a nation at position ``d`` as the reader computes it (without the pledges it may
    not see), owing ``owed`` on pledges every nation sees and ``restricted`` more on one it may not see (the
    engine's own, exact figures are lower by that much), producing ``rate`` a month (its national rate)."""
    inputs = shortfalls.ShortfallInputs(
        as_of=day,
        stock=(shortfalls.StockPoint(as_of=dt.date(2024, 1, 1), quantity=guideline + d + owed),),
        guidelines=(shortfalls.GuidelinePeriod(minimum_quantity=guideline, effective_from=SINCE),),
        rates=(shortfalls.RatePeriod(units_per_month=rate, effective_from=SINCE),) if rate else (),
        pledges=tuple(shortfalls.OwedPledge(quantity=q, shipped=0) for q in (owed, restricted) if q),
    )
    return shortfalls.compute_shortfall(inputs)


def engine_values(values: Values) -> tuple[tuple[int, int], ...]:
    """What enters the engine: (position, rate); the contracted quantity is delivered after the horizon."""
    return tuple((d, rate) for d, rate, _q in values)


def _results(world: World, values: tuple[tuple[int, int], ...], day: int
             ) -> tuple[dict, dict[tuple[int, int], int]]:
    results, unseen = {}, {}
    for n, (d, rate) in enumerate(values, start=1):
        restricted = world.restricted[n - 1] if day == 1 else 0
        results[(n, ITEM)] = result(d, guideline=world.guideline, owed=world.owed[n - 1], restricted=restricted,
                                    rate=rate, day=DAYS[day])
        if restricted and n != READER:
            unseen[(n, ITEM)] = restricted
    return results, unseen


def _plan(plan) -> tuple:
    split = plan.split
    return (
        tuple(plan.totals_by_month or ()), tuple(plan.totals_notes), plan.split_suppressed,
        None if split is None else (split.need, split.covered, split.gap, split.covered_month),
        tuple((pl.line.month, pl.line.quantity, pl.line.headroom, pl.line.given_before, pl.explanation)
              for pl in plan.lines),
        tuple((r.nation.pk, r.headroom.by_month, r.headroom.earliest_month) for r in (*plan.rows, *plan.unknown)),
    )


@functools.cache
def _other_item_total(world: World, day: int, reader: Reader) -> disclosure.Figure:
    positions = {n: position(d, limited=True) for n, d in enumerate(world.other_item, start=1)}
    return rollup_disclosed(positions=positions, reader=reader)[0].total_shortfall


@functools.lru_cache(maxsize=8192)  # within one solve: each candidate is looked at once
def _positions(world: World, values: tuple[tuple[int, int], ...], day: int) -> tuple:
    results, unseen = _results(world, values, day)
    positions = reader_positions(results, unseen)[ITEM]
    # The solver knows the domain's ceiling; the rule is told it (the product knows no ceiling of a surplus).
    return results, unseen, {n: replace(p, surplus_limit=world.ceiling) for n, p in positions.items()}


@functools.lru_cache(maxsize=8192)  # within one solve: each candidate is looked at once
def rollup_view(world: World, values: tuple[tuple[int, int], ...], day: int, reader: Reader = THE_READER) -> tuple:
    """The roll-up row with its status counts, as the API, the overview, the item page, the as-of views and
    snapshots serve it (``stockpiles.selectors``: ``reader_positions`` then ``rollup_disclosed``) and the
    category's total over both items (``shortfall_by_category``: ``disclosure.total_of_shown``)."""
    _results_, _unseen, positions = _positions(world, values, day)
    rollup, statuses = rollup_disclosed(positions=positions, reader=reader)
    category = disclosure.total_of_shown([(rollup.total_shortfall, 3), (_other_item_total(world, day, reader), 5)])
    return tuple(vars(rollup).values()), tuple(sorted(statuses.items())), category


@functools.lru_cache(maxsize=8192)  # within one solve: each candidate is looked at once
def demand_view(world: World, values: Values, day: int, reader: Reader = THE_READER) -> tuple:
    """The procurement demand row and whether it is listed (``procurement_overview``: ``procurement_selectors.
    demand_row`` on the nations' positions, the recipients' gap, every nation's orders and production rates)."""
    _results_, _unseen, positions = _positions(world, engine_values(values), day)
    gap = fulfilment.Gap(recipient_id=99, item_id=ITEM, required=world.need, pledged=0, delivered=0)
    orders = [procurement.OrderFacts(order_id=n, nation_id=n, item_id=ITEM, quantity=q, ordered_on=DAYS[0])
              for n, (_d, _c, q) in enumerate(values, start=1) if q]
    rates = [procurement.CapacityRate(n, c, SINCE) for n, (_d, c, _q) in enumerate(values, start=1) if c]
    if world.line:
        rates.append(procurement.CapacityRate(LINE_OWNER, world.line, SINCE, line_id=1))
    _exact, d = procurement_selectors.demand_row(item_id=ITEM, positions=positions, gaps=[gap], orders=orders,
                                                 rates=rates, on=DAYS[day], reader=reader)
    return tuple(vars(d).values()), d.listed


@functools.lru_cache(maxsize=8192)  # within one solve: each candidate is looked at once
def sourcing_view(world: World, values: tuple[tuple[int, int], ...], day: int, reader: Reader = THE_READER) -> tuple:
    """The sourcing plan (``sourcing_selectors.plan_from_results``, what ``sourcing_plan`` returns to the page,
    its exports and the API) for the quantity the reader asks (up to more than anything), and the trend
    endpoint's projection (``shortfall_series``: the reader's own pairs only)."""
    results, unseen, _positions_ = _positions(world, values, day)
    computed = {n: (r, True) for (n, _i), r in results.items()}
    plans = tuple(_plan(sourcing_selectors.plan_from_results(
        item=SOURCED, as_of=DAYS[day], need=q, need_source="quantity", nations=NATIONS, computed=computed,
        unseen=unseen, reader=reader, horizon=HORIZON)) for q in (world.asked,))
    return plans, tuple(shortfalls.projected_totals([results[(READER, ITEM)]], HORIZON))


def view(world: World, values: Values, day: int, reader: Reader = THE_READER) -> tuple:
    """Everything ``reader`` is served about the item on ``DAYS[day]``, nation n at ``values[n - 1]``
    (position, capacity, contracted), computed by the selectors' own functions on the engine's results."""
    engine = engine_values(values)
    return (rollup_view(world, engine, day, reader), demand_view(world, values, day, reader),
            sourcing_view(world, engine, day, reader))


def matches(world: World, values: Values, day: int, observed: tuple) -> bool:
    """``view(...) == observed``, the cheaper parts first."""
    engine = engine_values(values)
    return (rollup_view(world, engine, day) == observed[0]
            and demand_view(world, values, day) == observed[1]
            and sourcing_view(world, engine, day) == observed[2])


@st.composite
def worlds(draw):
    others = draw(st.sampled_from((2, 2, 3, 3, 4, 5)))  # 3–6 nations, the reader included
    n = others + 1
    guideline, ceiling = SCALE[others]
    owed = (0, *(draw(st.sampled_from((0, 0, 1) if others <= 3 else (0,))) for _ in range(others)))
    restricted = tuple(draw(st.sampled_from((0, 0, 3, 7))) for _ in range(n))
    world = World(
        others=others, own=(0, 0, 0), owed=owed, restricted=restricted, changed=draw(st.integers(2, n)),
        changed_capacity=draw(st.integers(2, n)), changed_contracted=draw(st.integers(2, n)),
        need=draw(st.sampled_from((0, 4, 9, 25))), asked=draw(st.sampled_from((4, 9, 25, BIG, BIG))),
        other_item=tuple(draw(st.sampled_from(DOMAIN)) for _ in range(4)), line=draw(st.sampled_from((0, 0, 20, 13))),
    )
    world = replace(world, own=(draw(st.integers(-guideline, ceiling)), draw(st.sampled_from(world.drawn(CAPACITY))),
                                draw(st.sampled_from(world.drawn(CONTRACTED)))))

    day1 = [world.own] + [(draw(st.sampled_from(world.positions(k))), draw(st.sampled_from(world.drawn(CAPACITY))),
                           draw(st.sampled_from(world.drawn(CONTRACTED)))) for k in range(2, n + 1)]
    day2 = list(day1)
    for figure, k in ((POSITION, world.changed), (CAPACITY, world.changed_capacity),
                      (CONTRACTED, world.changed_contracted)):
        values = world.positions(k) if figure == POSITION else world.drawn(figure)
        day2[k - 1] = (*day2[k - 1][:figure], draw(st.sampled_from(values)), *day2[k - 1][figure + 1:])
    return world, tuple(day1), tuple(day2)


@contextlib.contextmanager
def planner_cached():
    """The planner's and the engine's pure per-nation steps, remembered while the solver runs (the same
    functions, called with the same arguments thousands of times)."""
    with (mock.patch.object(sourcing, "headroom", functools.lru_cache(maxsize=8192)(sourcing.headroom)),
          mock.patch.object(shortfalls, "without_owed", functools.lru_cache(maxsize=8192)(shortfalls.without_owed))):
        yield


def solve(world: World, observed: tuple[tuple, tuple], truth: tuple[Values, Values], figure: int,
          changers: tuple[int, ...]) -> set[tuple[Values, Values]]:
    """Every (first date, second date) assignment of the other nations' ``figure`` (the other figures known, at
    their ``truth`` on each date) that gives what the reader observed on each date, where the two dates differ
    in that figure for one of ``changers`` at most."""

    def choices(k: int, values: Values) -> list[tuple[int, int, int]]:
        v = values[k - 1]
        return [(*v[:figure], x, *v[figure + 1:]) for x in world.domain(figure, k)]

    def matching(day: int) -> list[Values]:
        values = truth[day]
        found = []
        for rest in itertools.product(*(choices(k, values) for k in range(2, world.others + 2))):
            v = (values[0], *rest)
            if matches(world, v, day, observed[day]):
                found.append(v)
        return found

    def others_than(v: Values, k: int) -> tuple[int, ...]:
        return tuple(x[figure] for n, x in enumerate(v, start=1) if n != k)

    later: dict[tuple, list[Values]] = {}
    for v2 in matching(1):
        for k in changers:
            later.setdefault((k, others_than(v2, k)), []).append(v2)
    return {(v1, v2) for v1 in matching(0) for k in changers for v2 in later.get((k, others_than(v1, k)), ())}


def test_the_solvers_domain_shows_figures():
    """The property below is not vacuous: in its domain totals, nets, demand, contracted and capacity, and
    sourcing's month totals and split are shown to the reader."""
    world = World(others=3, own=(0, 0, 0), owed=(0, 0, 0, 0), restricted=(0, 0, 0, 0), changed=2,
                  changed_capacity=2, changed_contracted=2, need=9, asked=BIG, other_item=(0, 0, 0, 0))
    views = [view(world, ((0, 0, 0), *((d, 0, 0) for d in rest)), 0)
             for rest in itertools.product(*(world.positions(k) for k in (2, 3, 4)))]
    rollups = [v[0][0] for v in views]
    assert sum(r[0].value is not None for r in rollups) > 100  # roll-up total
    assert any(r[1].value is not None for r in rollups)  # net
    assert any(v[1][0][2].value is not None for v in views)  # procurement demand
    splits = [v[2][0][0][3] for v in views]  # sourcing's split for BIG: (need, covered, gap, month)
    assert any(s is not None and s[1] > 0 for s in splits)
    for figure, field in ((CAPACITY, 6), (CONTRACTED, 3)):  # DemandFigures.capacity_per_month, .contracted
        def nation(x: int, figure: int = figure) -> tuple[int, int, int]:
            return (3, x, 0) if figure == CAPACITY else (3, 0, x)

        flows = [((0, 0, 0), *(nation(x) for x in rest))
                 for rest in itertools.product(range(1, FLOWS[3][figure - 1][0] + 1), repeat=3)]
        assert any(demand_view(world, v, 0)[0][field].value is not None for v in flows), FIGURES[figure]


# Drawn every run besides the random worlds: nobody produces or orders (a capacity shown whenever no nation's
# own rate entered it told the reader so); and four nations whose capacities and orders are all shown.
NOBODY = (World(others=2, own=(0, 0, 0), owed=(0, 0, 0), restricted=(0, 0, 0), changed=2, changed_capacity=2,
                changed_contracted=3, need=0, asked=4, other_item=(0, 0, 0, 0)),
          ((0, 0, 0), (1, 0, 0), (2, 0, 0)), ((0, 0, 0), (3, 0, 0), (2, 0, 0)))
ALL_SHOWN = (World(others=3, own=(0, 0, 0), owed=(0, 0, 0, 0), restricted=(0, 0, 3, 0), changed=2, changed_capacity=3,
                   changed_contracted=4, need=9, asked=BIG, other_item=(0, 0, 0, 0), line=13),
             ((0, 0, 0), (3, 4, 5), (2, 4, 6), (1, 3, 4)), ((0, 0, 0), (4, 4, 5), (2, 2, 6), (1, 3, 6)))


@pytest.mark.django_db(databases=[])
@hsettings(max_examples=25)  # the "aid" profile (tests/conftest.py) otherwise
@given(worlds())
@example(NOBODY)
@example(ALL_SHOWN)
def test_no_other_nations_figure_is_determined_from_everything_it_sees_on_two_dates(drawn):
    world, day1, day2 = drawn
    observed = (view(world, day1, 0), view(world, day2, 1))
    others = tuple(range(2, world.others + 2))
    for figure, changed, changers in ((POSITION, world.changed, (world.changed,)),
                                      (CAPACITY, world.changed_capacity, others),
                                      (CONTRACTED, world.changed_contracted, others)):
        with planner_cached():
            candidates = solve(world.unseen(), observed, (day1, day2), figure, changers)
        name = FIGURES[figure]
        # Sound, and rule c: the solver does not know the restricted pledges, yet finds the truth.
        assert (day1, day2) in candidates, (name, world, observed)
        for k in others:
            for day in (0, 1):
                assert len({c[day][k - 1][figure] for c in candidates}) >= 2, (name, k, day, drawn, observed)
        assert len({c[1][changed - 1][figure] - c[0][changed - 1][figure] for c in candidates}) >= 2, (
            name, "change", drawn, observed)
