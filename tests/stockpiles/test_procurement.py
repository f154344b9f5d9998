"""stockpiles.procurement: aggregated demand, industrial capacity and agreement utilisation, worked by
hand, and properties. The recipient's uncovered need comes from pledges.fulfilment.recipient_gaps."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from pledges import fulfilment as f
from stockpiles import procurement as p
from stockpiles import shortfalls as s

D = dt.date(2024, 6, 1)
ITEM, UKR = 7, 99
USA, POL, DEU = 1, 2, 3


def result(shortfall, available=0, guideline=0):
    status = "below_guideline" if shortfall else "ok"
    return s.ShortfallResult(D, status, available, guideline, 0, available, shortfall, None, None, None, False)


def test_worked_example_aggregated_demand_three_nations_and_the_recipient():
    """USA short 6,000, POL short 1,500, DEU 4,000 above guideline (its surplus covers nobody).

    Recipient UKR requires 30,000 + 20,000 = 50,000. Pledges to UKR of the item: 20,000 (USA),
    12,000 (POL), and a cancelled 10,000 (DEU) of which 4,000 were delivered before it was cancelled
    (counts 4,000). Pledged 36,000 → uncovered 50,000 − 36,000 = 14,000 (recipient_gaps).
    Demand = 6,000 + 1,500 + 14,000 = 21,500.

    Orders: USA 8,000 with 2,000 received → 6,000 outstanding; POL 5,000 cancelled → 0; DEU 3,000 → 3,000.
    Contracted 9,000; gap 21,500 − 9,000 = 12,500; share 9,000 / 21,500.

    Capacity on 1 June 2024: USA has two lines (2,000/month, then 3,000 from 1 March 2024; and
    1,000/month) → 4,000 (its national 5,000 is not added: lines break the national figure down);
    POL has no line, national 500 → 500. Capacity 4,500/month → ceil(12,500 / 4,500) = 3 months.
    """
    gaps = f.recipient_gaps(
        [f.RequirementFacts(UKR, ITEM, 30_000), f.RequirementFacts(UKR, ITEM, 20_000)],
        [f.PledgeFacts(1, USA, UKR, ITEM, 20_000), f.PledgeFacts(2, POL, UKR, ITEM, 12_000),
         f.PledgeFacts(3, DEU, UKR, ITEM, 10_000, delivered=4_000, cancelled=True)],
    )
    assert [g.uncovered for g in gaps] == [14_000]
    orders = [p.OrderFacts(1, USA, ITEM, 8_000, received=2_000), p.OrderFacts(2, POL, ITEM, 5_000, cancelled=True),
              p.OrderFacts(3, DEU, ITEM, 3_000)]
    capacity = p.industrial_capacity([
        p.CapacityRate(USA, 2_000, dt.date(2023, 1, 1), line_id=10),
        p.CapacityRate(USA, 3_000, dt.date(2024, 3, 1), line_id=10),
        p.CapacityRate(USA, 1_000, dt.date(2023, 6, 1), line_id=11),
        p.CapacityRate(USA, 5_000, dt.date(2023, 1, 1)),
        p.CapacityRate(POL, 500, dt.date(2022, 1, 1)),
        p.CapacityRate(POL, 9_000, dt.date(2025, 1, 1)),  # not yet in force
    ], D)
    assert capacity == 4_500
    d = p.aggregate_demand(item_id=ITEM, shortfalls=[result(6_000), result(1_500), result(0, 14_000, 10_000)],
                           gaps=gaps, contracted=p.contracted_outstanding(orders), capacity_per_month=capacity)
    assert (d.nation_shortfall, d.nations_short, d.recipient_uncovered, d.demand) == (7_500, 2, 14_000, 21_500)
    assert (d.contracted, d.gap, d.months_of_capacity) == (9_000, 12_500, 3)
    assert d.contracted_share == 9_000 / 21_500


def test_demand_edges():
    nothing = p.aggregate_demand(item_id=ITEM, shortfalls=[], gaps=[], contracted=0, capacity_per_month=0)
    assert (nothing.demand, nothing.gap, nothing.months_of_capacity, nothing.contracted_share) == (0, 0, 0, None)
    no_capacity = p.aggregate_demand(item_id=ITEM, shortfalls=[result(10)], gaps=[], contracted=0,
                                     capacity_per_month=0)
    assert no_capacity.months_of_capacity is None  # a gap and nothing to make it with: never a division error
    over = p.aggregate_demand(item_id=ITEM, shortfalls=[result(10)], gaps=[], contracted=50, capacity_per_month=1)
    assert (over.gap, over.contracted_share, over.months_of_capacity) == (0, 1.0, 0)


def test_worked_example_utilisation():
    """Ceiling 100,000. DEU plans 60,000, EST 10,000 (joined later). Call-offs: DEU 40,000 + 15,000,
    EST 5,000, a cancelled DEU 20,000, and 1,000 by LVA which is not a participant.
    Ordered 61,000 = 61 % of the ceiling, 39,000 left; DEU 55,000 / 60,000; EST 5,000 / 10,000;
    LVA 1,000 against a plan of 0 (it still counts)."""
    est, lva = 4, 5
    use = p.agreement_utilisation(
        ceiling=100_000,
        participants=[p.Participation(DEU, 60_000), p.Participation(est, 10_000)],
        orders=[p.OrderFacts(1, DEU, ITEM, 40_000), p.OrderFacts(2, DEU, ITEM, 15_000),
                p.OrderFacts(3, est, ITEM, 5_000), p.OrderFacts(4, DEU, ITEM, 20_000, cancelled=True),
                p.OrderFacts(5, lva, ITEM, 1_000)],
    )
    assert (use.ordered, use.planned, use.remaining, use.ordered_share) == (61_000, 70_000, 39_000, 0.61)
    rows = {u.nation_id: u for u in use.participants}
    assert (rows[DEU].ordered, rows[DEU].planned) == (55_000, 60_000)
    assert rows[est].ordered_share == 0.5
    assert (rows[lva].planned, rows[lva].ordered, rows[lva].ordered_share) == (0, 1_000, None)


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 10_000), st.booleans()), max_size=10),
       st.integers(0, 100_000))
def test_utilisation_total_is_the_sum_of_participants(orders, ceiling):
    use = p.agreement_utilisation(
        ceiling=ceiling, participants=[p.Participation(1, 100), p.Participation(2, 0)],
        orders=[p.OrderFacts(k, n, ITEM, q, cancelled=c) for k, (n, q, c) in enumerate(orders)],
    )
    assert use.ordered == sum(u.ordered for u in use.participants) == sum(q for _, q, c in orders if not c)
    assert use.remaining == max(0, ceiling - use.ordered)


@given(st.lists(st.tuples(st.integers(1, 3), st.one_of(st.none(), st.integers(1, 4)), st.integers(0, 5_000),
                          st.integers(0, 60)), max_size=12))
def test_capacity_never_adds_a_nations_national_rate_to_its_lines(rows):
    rates = [p.CapacityRate(n, q, D - dt.timedelta(days=30 * age), line_id=line) for n, line, q, age in rows]
    by_nation = p.capacity_by_nation(rates, D)
    for nation in {r.nation_id for r in rates}:
        lines = {r.line_id for r in rates if r.nation_id == nation and r.line_id is not None}
        if lines:
            expected = sum(s.rate_in_force([s.RatePeriod(r.units_per_month, r.effective_from)
                                            for r in rates if r.line_id == line and r.nation_id == nation], D) or 0
                           for line in lines)
        else:
            expected = s.rate_in_force([s.RatePeriod(r.units_per_month, r.effective_from)
                                        for r in rates if r.nation_id == nation], D) or 0
        assert by_nation[nation] == expected
    assert p.industrial_capacity(rates, D) == sum(by_nation.values())
