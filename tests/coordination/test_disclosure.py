"""coordination.disclosure: the rules one by one, and a property test with an exhaustive solver.

The solver plays a nation (the reader) that knows its own figures and sees, for one item at two as-of
dates, everything the product shows it about other nations: the roll-up row (total, net, nations below,
nations counted; the API, the overview and the item page) and the procurement demand row (nations'
shortfall, nations short). It also knows that between the two dates only one named nation's position
changed (a pledge announced that day). It enumerates every assignment of the other nations' positions
over a small integer range and keeps those that produce exactly what it saw. The property: every other
nation's position, on either date, and the change, keep at least two possible values.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from coordination import disclosure
from coordination.disclosure import DOMINANT, FEW, RELATED, RESTRICTED, Reader
from stockpiles import procurement, shortfalls
from stockpiles.selectors import NationPosition, rollup_disclosed

POL = Reader(nation_id=0)
CELL = Reader(nation_id=None, is_cell=True)
DOMAIN = range(-4, 5)  # a nation's available − guideline: negative is a shortfall


def position(d: int) -> NationPosition:
    """A nation at ``d``; the reader knows every position lies in DOMAIN (the limits it is told)."""
    return NationPosition(shortfalls.BELOW_GUIDELINE if d < 0 else shortfalls.OK, max(0, -d), d,
                          limit=-min(DOMAIN), surplus_limit=max(DOMAIN))


def seen(values: tuple[int, ...], reader: Reader = POL) -> tuple:
    """Everything ``reader`` sees about one item on one date, nation i's position being values[i]."""
    positions = {n: position(d) for n, d in enumerate(values)}
    rollup, statuses = rollup_disclosed(positions=positions, reader=reader)
    demand = procurement.aggregate_demand(item_id=1, shortfalls=positions.values(), gaps=[], contracted=0,
                                          capacity_per_month=0)
    d = disclosure.demand_figures(shortfall={n: p.shortfall for n, p in positions.items()}, contracted={},
                                  national_capacity={}, recipient_uncovered=0, demand=demand, reader=reader,
                                  limits={n: p.limit for n, p in positions.items()})
    return (tuple(vars(rollup).values()), tuple(sorted(statuses.items())),
            d.nation_shortfall, d.nations_short, d.demand)


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

    assert disclosure.reason_text(FEW) == "fewer than 3 nations"
    with translation.override("fr"):
        assert disclosure.reason_text(FEW) == "moins de 3 nations"
        assert disclosure.reason_text(DOMINANT) == "une nation domine"


# --- The property: no other nation's figure is ever determined -----------------------------------------

@st.composite
def alliances(draw):
    others = draw(st.integers(min_value=2, max_value=4))
    day1 = tuple(draw(st.sampled_from(DOMAIN)) for _ in range(others + 1))  # index 0 is the reader
    changed = draw(st.integers(min_value=1, max_value=others))
    day2 = list(day1)
    day2[changed] = draw(st.sampled_from(DOMAIN))
    return day1, tuple(day2), changed


@pytest.mark.django_db(databases=[])
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(alliances())
def test_no_other_nations_figure_is_determined_from_two_dates(alliance):
    day1, day2, changed = alliance
    observed = (seen(day1), seen(day2))
    own = day1[0]
    others = len(day1) - 1
    candidates = []
    cache: dict[tuple, tuple] = {}

    def view(values):
        if values not in cache:
            cache[values] = seen(values)
        return cache[values]

    for rest in itertools.product(DOMAIN, repeat=others):
        v1 = (own, *rest)
        if view(v1) != observed[0]:
            continue
        for new in DOMAIN:
            v2 = list(v1)
            v2[changed] = new
            v2 = tuple(v2)
            if view(v2) == observed[1]:
                candidates.append((v1, v2))
    assert (day1, day2) in candidates  # the solver is sound
    for nation in range(1, others + 1):
        for day in (0, 1):
            assert len({c[day][nation] for c in candidates}) >= 2, (nation, day, alliance, observed)
    assert len({c[1][changed] - c[0][changed] for c in candidates}) >= 2, (alliance, observed)
