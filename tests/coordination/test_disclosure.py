"""coordination.disclosure: the rules one by one, and a property test with an exhaustive solver.

The solver plays a nation (the reader) that knows its own figures and sees, for one item at two as-of
dates, everything the product serves it about other nations, computed by the same functions the
selectors behind the pages, exports and API call: the roll-up row with its status counts (the API, the
overview and item page, the as-of views and snapshots: ``stockpiles.selectors.reader_positions`` and
``rollup_disclosed``), the procurement demand row and whether it is listed, the sourcing plan (own headroom,
the month-by-month total, the proposed split and its own lines, for the recipients' need and for any
quantity: ``stockpiles.sourcing_selectors.plan_from_results``), the category's total over two items, and
the trend endpoint's projection (its own pairs only). Fulfilment, overdue pledges, deliveries and recipient
gaps are sums over records the reader reads one by one: tests/api/test_disclosure_leaks.py checks that a
restricted pledge never enters them. The solver enumerates every assignment of the other nations' hidden
figures over a small range and keeps those that produce exactly what the reader saw. The property: every
other nation's position, on either date, the change between the dates and the producer's rate keep at
least two possible values; and the restricted pledges, unknown to the solver, change nothing it sees.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
from dataclasses import dataclass, replace
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from coordination import disclosure
from coordination.disclosure import DOMINANT, FEW, RELATED, RESTRICTED, Reader
from coordination.models import Item, Nation
from pledges import fulfilment
from stockpiles import procurement, shortfalls, sourcing, sourcing_selectors
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
# A world is what one item looks like to the reader (nation 1) on two as-of dates. Each other nation has a
# hidden position d (available − guideline, as the reader's figures are computed: without the pledges it
# may not see); one of them, the producer, a hidden production rate in RATES (every other nation's rate is
# 0, and the solver knows it: a stronger adversary than a real nation). Between the dates one named nation's
# position changes, and other nations' restricted pledges (which the reader may not see) are announced.
# The solver knows the reader's own figures, every nation's guideline and the owed of the pledges it may
# see (so each nation's range: d ≥ −(guideline + owed)), the domain's ceiling, which nation changed and who
# may produce; it does not know the restricted pledges.

READER = 1
THE_READER = Reader(nation_id=READER)
ITEM, OTHER_ITEM = 1, 2
DAYS = (dt.date(2024, 4, 12), dt.date(2024, 4, 13))
HORIZON = 2  # sourcing's months in the model
RATES = (0, 2)  # the producer's possible production per month
BIG = 10**6  # a quantity asked of sourcing larger than anything: the split then covers all it can
# Per number of other nations: (guideline = −lowest position, ceiling of a position). Small enough to
# enumerate, wide enough against the rounding base (10) that figures are shown (test_the_solvers_domain_...).
SCALE = {2: (6, 6), 3: (6, 6), 4: (2, 2), 5: (2, 2)}


@dataclass(frozen=True)
class World:
    others: int  # nations other than the reader (2–5)
    own: tuple[int, int]  # the reader's (position, rate)
    owed: tuple[int, ...]  # per nation 1..n: owed on pledges every nation may see (0 for the reader)
    restricted: tuple[int, ...]  # per nation 1..n: restricted pledge announced on the second date (0: none)
    producer: int  # the other nation whose rate is hidden
    changed: int  # the nation whose position changes between the dates
    need: int  # the recipients' uncovered need, over the pledges the reader sees (released records)
    asked: int  # the quantity the reader asks sourcing for (BIG: more than anything)
    other_item: tuple[int, ...]  # the other item's positions (in the reader's category; known to the solver)

    @property
    def guideline(self) -> int:
        return SCALE[self.others][0]

    @property
    def ceiling(self) -> int:
        return SCALE[self.others][1]

    def positions(self, nation: int) -> range:
        """What the solver knows of a nation's position: at least −(guideline + owed), at most the ceiling."""
        return range(-(self.guideline + self.owed[nation - 1]), self.ceiling + 1)

    def rates(self, nation: int) -> tuple[int, ...]:
        """The producer's possible rates; with four or six nations the enumeration leaves it out (rate 0,
        known) to stay small: the rate is solved for with three and five."""
        return RATES if nation == self.producer and self.others in (2, 4) else (0,)

    def unseen(self) -> World:
        """The world as the solver models it: it does not know the other nations' restricted pledges."""
        return replace(self, restricted=(self.restricted[0],) + (0,) * (len(self.restricted) - 1))


NATIONS = {n: Nation(pk=n, code=f"N{n}", name=f"Nation {n}", role=Nation.Role.ALLY) for n in range(1, 8)}
SOURCED = Item(pk=ITEM, name="Item", unit="rounds")


@functools.cache
def result(d: int, *, guideline: int, owed: int, restricted: int, rate: int, day: dt.date
           ) -> shortfalls.ShortfallResult:
    """The engine's result for a nation at position ``d`` as the reader computes it (without the pledges it may
    not see), owing ``owed`` on pledges every nation sees and ``restricted`` more on one it may not see (the
    engine's own, exact figures are lower by that much)."""
    inputs = shortfalls.ShortfallInputs(
        as_of=day,
        stock=(shortfalls.StockPoint(as_of=dt.date(2024, 1, 1), quantity=guideline + d + owed),),
        guidelines=(shortfalls.GuidelinePeriod(minimum_quantity=guideline, effective_from=dt.date(2020, 1, 1)),),
        rates=(shortfalls.RatePeriod(units_per_month=rate, effective_from=dt.date(2020, 1, 1)),) if rate else (),
        pledges=tuple(shortfalls.OwedPledge(quantity=q, shipped=0) for q in (owed, restricted) if q),
    )
    return shortfalls.compute_shortfall(inputs)


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


@functools.lru_cache(maxsize=4096)  # within one solve: each candidate is looked at once
def _positions(world: World, values: tuple[tuple[int, int], ...], day: int) -> tuple:
    results, unseen = _results(world, values, day)
    positions = reader_positions(results, unseen)[ITEM]
    # The solver knows the domain's ceiling; the rule is told it (the product knows no ceiling of a surplus).
    return results, unseen, {n: replace(p, surplus_limit=world.ceiling) for n, p in positions.items()}


@functools.lru_cache(maxsize=4096)  # within one solve: each candidate is looked at once
def rollup_view(world: World, values: tuple[tuple[int, int], ...], day: int, reader: Reader = THE_READER) -> tuple:
    """The roll-up row with its status counts, as the API, the overview, the item page, the as-of views and
    snapshots serve it (``stockpiles.selectors``: ``reader_positions`` then ``rollup_disclosed``), the
    category's total over both items (``shortfall_by_category``: ``disclosure.total_of_shown``) and the
    procurement demand row and whether it is listed (``procurement_overview``: ``aggregate_demand``,
    ``disclosure.demand_figures``)."""
    _results_, _unseen, positions = _positions(world, values, day)
    rollup, statuses = rollup_disclosed(positions=positions, reader=reader)
    category = disclosure.total_of_shown([(rollup.total_shortfall, 3), (_other_item_total(world, day, reader), 5)])
    gap = fulfilment.Gap(recipient_id=99, item_id=ITEM, required=world.need, pledged=0, delivered=0)
    demand = procurement.aggregate_demand(item_id=ITEM, shortfalls=positions.values(), gaps=[gap], contracted=0,
                                          capacity_per_month=0)
    d = disclosure.demand_figures(shortfall={n: p.shortfall for n, p in positions.items()}, contracted={},
                                  national_capacity={}, recipient_uncovered=demand.recipient_uncovered,
                                  demand=demand, reader=reader, limits={n: p.limit for n, p in positions.items()})
    return (tuple(vars(rollup).values()), tuple(sorted(statuses.items())), category, tuple(vars(d).values()),
            d.listed)


@functools.lru_cache(maxsize=4096)  # within one solve: each candidate is looked at once
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


def view(world: World, values: tuple[tuple[int, int], ...], day: int, reader: Reader = THE_READER) -> tuple:
    """Everything ``reader`` is served about the item on ``DAYS[day]``, nation n at ``values[n - 1]``
    (position, rate), computed by the selectors' own functions on the engine's results."""
    return rollup_view(world, values, day, reader), sourcing_view(world, values, day, reader)


def matches(world: World, values: tuple[tuple[int, int], ...], day: int, observed: tuple) -> bool:
    """``view(...) == observed``, the cheaper half first."""
    return (rollup_view(world, values, day) == observed[0]
            and sourcing_view(world, values, day) == observed[1])


@st.composite
def worlds(draw):
    others = draw(st.sampled_from((2, 2, 3, 3, 4, 5)))  # 3–6 nations, the reader included
    n = others + 1
    guideline, ceiling = SCALE[others]
    owed = (0, *(draw(st.sampled_from((0, 0, 1) if others <= 3 else (0,))) for _ in range(others)))
    restricted = tuple(draw(st.sampled_from((0, 0, 3, 7))) for _ in range(n))
    world = World(
        others=others, own=(draw(st.integers(-guideline, ceiling)), draw(st.sampled_from((0, 3)))),
        owed=owed, restricted=restricted, producer=draw(st.integers(2, n)), changed=draw(st.integers(2, n)),
        need=draw(st.sampled_from((0, 4, 9, 25))), asked=draw(st.sampled_from((4, 9, 25, BIG, BIG))),
        other_item=tuple(draw(st.sampled_from(DOMAIN)) for _ in range(4)),
    )
    day1 = [world.own] + [(draw(st.sampled_from(world.positions(k))), draw(st.sampled_from(world.rates(k))))
                          for k in range(2, n + 1)]
    day2 = list(day1)
    day2[world.changed - 1] = (draw(st.sampled_from(world.positions(world.changed))), day1[world.changed - 1][1])
    return world, tuple(day1), tuple(day2)


@contextlib.contextmanager
def planner_cached():
    """The planner's and the engine's pure per-nation steps, remembered while the solver runs (the same
    functions, called with the same arguments thousands of times)."""
    with (mock.patch.object(sourcing, "headroom", functools.lru_cache(maxsize=8192)(sourcing.headroom)),
          mock.patch.object(shortfalls, "without_owed", functools.lru_cache(maxsize=8192)(shortfalls.without_owed))):
        yield


def solve(world: World, observed: tuple[tuple, tuple]) -> list[tuple[tuple, tuple]]:
    """Every (first date, second date) assignment of the other nations' (position, rate) that gives what the
    reader observed, the changed nation keeping its rate."""
    domains = [[(d, r) for d in world.positions(k) for r in world.rates(k)] for k in range(2, world.others + 2)]
    candidates = []
    for rest in itertools.product(*domains):
        v1 = (world.own, *rest)
        if not matches(world, v1, 0, observed[0]):
            continue
        rate = v1[world.changed - 1][1]
        for new in world.positions(world.changed):
            v2 = list(v1)
            v2[world.changed - 1] = (new, rate)
            v2 = tuple(v2)
            if matches(world, v2, 1, observed[1]):
                candidates.append((v1, v2))
    return candidates


def test_the_solvers_domain_shows_figures():
    """The property below is not vacuous: in its domain totals, nets, demand and sourcing's month totals and
    split are shown to the reader."""
    world = World(others=3, own=(0, 0), owed=(0, 0, 0, 0), restricted=(0, 0, 0, 0), producer=2, changed=2,
                  need=9, asked=BIG, other_item=(0, 0, 0, 0))
    views = [view(world, ((0, 0), *rest), 0) for rest in itertools.product(
        *[[(d, 0) for d in world.positions(k)] for k in (2, 3, 4)])]
    rollups = [v[0][0] for v in views]
    assert sum(r[0].value is not None for r in rollups) > 100  # roll-up total
    assert any(r[1].value is not None for r in rollups)  # net
    assert any(v[0][3][2].value is not None for v in views)  # procurement demand
    splits = [v[1][0][0][3] for v in views]  # sourcing's split for BIG: (need, covered, gap, month)
    assert any(s is not None and s[1] > 0 for s in splits)


@pytest.mark.django_db(databases=[])
@hsettings(max_examples=25)  # the "aid" profile (tests/conftest.py) otherwise
@given(worlds())
def test_no_other_nations_figure_is_determined_from_everything_it_sees_on_two_dates(drawn):
    world, day1, day2 = drawn
    observed = (view(world, day1, 0), view(world, day2, 1))
    with planner_cached():
        candidates = solve(world.unseen(), observed)
    # Sound, and rule c: the solver does not know the restricted pledges, yet finds the truth.
    assert (day1, day2) in candidates, (world, observed)
    for k in range(2, world.others + 2):
        for day in (0, 1):
            assert len({c[day][k - 1][0] for c in candidates}) >= 2, ("position", k, day, drawn, observed)
    producer = world.producer - 1
    assert len({c[0][producer][1] for c in candidates}) >= 2 or world.rates(world.producer) == (0,), (
        "rate", drawn, observed)
    changed = world.changed - 1
    assert len({c[1][changed][0] - c[0][changed][0] for c in candidates}) >= 2, ("change", drawn, observed)
