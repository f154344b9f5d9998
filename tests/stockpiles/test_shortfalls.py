"""stockpiles.shortfalls: worked examples written out by hand, and properties (hypothesis)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from stockpiles import shortfalls as s

D = dt.date(2024, 6, 1)


def test_worked_example_us_155mm():
    """US 155 mm (illustrative): 250,000 on hand, 30,000 promised from national stock of which
    10,000 shipped (owed 20,000), alliance guideline 300,000, national target 400,000 (wins),
    production 80,000/month since 2024-05-01 (14,000 before).
    available = 250,000 − 20,000 = 230,000; shortfall = 400,000 − 230,000 = 170,000;
    coverage = 230,000 / 400,000 = 0.575; months = ceil(170,000 / 80,000) = 3."""
    inputs = s.ShortfallInputs(
        as_of=D,
        stock=[s.StockPoint(dt.date(2024, 1, 1), 900_000), s.StockPoint(dt.date(2024, 5, 31), 250_000),
               s.StockPoint(dt.date(2024, 6, 2), 1)],  # after D: ignored
        guidelines=[s.GuidelinePeriod(300_000, dt.date(2020, 1, 1)),
                    s.GuidelinePeriod(400_000, dt.date(2023, 1, 1), national=True)],
        rates=[s.RatePeriod(14_000, dt.date(2021, 1, 1)), s.RatePeriod(80_000, dt.date(2024, 5, 1))],
        pledges=[s.OwedPledge(30_000, 10_000), s.OwedPledge(5_000, 0, cancelled=True),
                 s.OwedPledge(7_000, 0, from_national_stock=False)],
    )
    r = s.compute_shortfall(inputs)
    assert (r.status, r.on_hand, r.guideline, r.owed, r.available) == ("below_guideline", 250_000, 400_000, 20_000,
                                                                       230_000)
    assert (r.shortfall, r.coverage, r.rate, r.months_to_recover, r.not_recovering) == (170_000, 0.575, 80_000, 3,
                                                                                        False)


def test_worked_example_not_recovering_and_ok():
    # 900 on hand, guideline 1,000, no production: short 100, not recovering (no division error).
    r = s.compute_shortfall(s.ShortfallInputs(as_of=D, stock=[s.StockPoint(D, 900)],
                                              guidelines=[s.GuidelinePeriod(1000, D)],
                                              rates=[s.RatePeriod(0, D)]))
    assert (r.shortfall, r.months_to_recover, r.not_recovering, r.coverage) == (100, None, True, 0.9)
    # 1,200 on hand: ok, coverage 1.2, nothing to recover.
    r = s.compute_shortfall(s.ShortfallInputs(as_of=D, stock=[s.StockPoint(D, 1200)],
                                              guidelines=[s.GuidelinePeriod(1000, D)]))
    assert (r.status, r.shortfall, r.months_to_recover, r.not_recovering, r.coverage) == ("ok", 0, 0, False, 1.2)


def test_statuses_without_report_or_guideline():
    no_report = s.compute_shortfall(s.ShortfallInputs(as_of=D, guidelines=[s.GuidelinePeriod(1000, D)]))
    assert (no_report.status, no_report.shortfall, no_report.available) == ("no_report", 0, None)
    no_guideline = s.compute_shortfall(s.ShortfallInputs(as_of=D, stock=[s.StockPoint(D, 5)],
                                                         pledges=[s.OwedPledge(3, 1)]))
    assert (no_guideline.status, no_guideline.available, no_guideline.owed) == ("no_guideline", 3, 2)


def test_guideline_periods():
    gs = [
        s.GuidelinePeriod(100, dt.date(2020, 1, 1)),
        s.GuidelinePeriod(150, dt.date(2024, 1, 1)),  # a later alliance default wins over the older one
        s.GuidelinePeriod(500, dt.date(2022, 1, 1), dt.date(2023, 12, 31), national=True),  # expired
    ]
    assert s.guideline_in_force(gs, dt.date(2023, 6, 1)) == 500
    assert s.guideline_in_force(gs, D) == 150
    assert s.guideline_in_force(gs, dt.date(2019, 1, 1)) is None


def test_months_to_recover_edges():
    assert s.months_to_recover(0, None) == 0
    assert s.months_to_recover(1, 1000) == 1
    assert s.months_to_recover(1000, 1000) == 1
    assert s.months_to_recover(1001, 1000) == 2
    assert s.months_to_recover(5, 0) is None


def test_rollup_by_hand():
    def res(status, available, guideline, shortfall):
        return s.ShortfallResult(D, status, available, guideline, 0, available, shortfall, None, None, None, False)

    r = s.rollup([res("below_guideline", 400, 1000, 600), res("ok", 5000, 1000, 0), res("no_report", None, 1000, 0)])
    # Gross 600 (the 4,000 surplus does not cover it); net = -600 + 4,000 = 3,400.
    assert (r.total_shortfall, r.net_position, r.nations_below, r.nations_counted) == (600, 3400, 1, 2)
    assert r.statuses == {"below_guideline": 1, "ok": 1, "no_report": 1}


def test_coverage_cell_and_projection_by_hand():
    def res(status, coverage):
        return s.ShortfallResult(D, status, 1, 1, 0, 1, 0, coverage, None, None, False)

    cell = s.coverage_cell([(1, res("ok", 1.5)), (2, res("below_guideline", 0.4)), (3, res("no_report", None))])
    assert (cell.coverage, cell.items_counted, cell.items_below, cell.worst_item_id) == (0.4, 2, 1, 2)
    r = s.compute_shortfall(s.ShortfallInputs(as_of=D, stock=[s.StockPoint(D, 100)],
                                              guidelines=[s.GuidelinePeriod(350, D)], rates=[s.RatePeriod(100, D)]))
    assert r.months_to_recover == 3
    assert [p.available for p in s.recovery_projection(r, months=3)] == [100, 200, 300, 400]


def test_gets_row():
    alliance = s.GuidelinePeriod(1, D)
    assert not s.gets_row(s.ShortfallInputs(as_of=D, guidelines=[alliance]))  # not an ally: not expected
    assert s.gets_row(s.ShortfallInputs(as_of=D, guidelines=[alliance], ally=True))  # an ally: expected
    assert s.gets_row(s.ShortfallInputs(as_of=D, guidelines=[s.GuidelinePeriod(1, D, national=True)]))
    assert s.gets_row(s.ShortfallInputs(as_of=D, rates=[s.RatePeriod(0, D)]))
    # A national guideline of 0 wins over the alliance-wide one: not held, not expected.
    zero = s.GuidelinePeriod(0, D, national=True)
    assert not s.gets_row(s.ShortfallInputs(as_of=D, guidelines=[alliance, zero], ally=True))
    # Not yet in force, or over: not expected.
    assert not s.gets_row(s.ShortfallInputs(as_of=D, guidelines=[s.GuidelinePeriod(1, D + dt.timedelta(days=1))],
                                            ally=True))
    result = s.compute_shortfall(s.ShortfallInputs(as_of=D, guidelines=[alliance], ally=True))
    assert (result.status, result.shortfall) == (s.NO_REPORT, 0)


def test_not_reporting_counts_in_the_rollup_and_the_heat_map():
    no_report = s.compute_shortfall(s.ShortfallInputs(as_of=D, guidelines=[s.GuidelinePeriod(10, D)], ally=True))
    below = s.compute_shortfall(s.ShortfallInputs(as_of=D, stock=[s.StockPoint(D, 4)],
                                                  guidelines=[s.GuidelinePeriod(10, D)], ally=True))
    up = s.rollup([no_report, no_report, below])
    assert (up.nations_not_reporting, up.nations_below, up.nations_counted) == (2, 1, 1)
    cell = s.coverage_cell([(1, no_report), (2, below)])
    assert (cell.items_not_reported, cell.items_below, cell.items_counted) == (1, 1, 1)


# --- Properties --------------------------------------------------------------------------------

days = st.dates(dt.date(2020, 1, 1), dt.date(2025, 12, 31))
quantities = st.integers(0, 10**9)
stock_points = st.lists(st.builds(s.StockPoint, days, quantities), max_size=5)
guideline_periods = st.lists(
    st.builds(lambda q, start, national: s.GuidelinePeriod(q, start, None, national), quantities, days, st.booleans()),
    max_size=3,
)
rate_periods = st.lists(st.builds(s.RatePeriod, st.integers(0, 10**6), days), max_size=3)
owed = st.lists(
    st.builds(lambda q, shipped, cancelled, national: s.OwedPledge(q, min(shipped, q), cancelled, national),
              quantities, quantities, st.booleans(), st.booleans()),
    max_size=4,
)
inputs = st.builds(s.ShortfallInputs, days, stock_points, guideline_periods, rate_periods, owed)


@given(inputs)
def test_shortfall_never_negative_and_consistent(inp):
    r = s.compute_shortfall(inp)
    assert r.shortfall >= 0
    assert r.owed >= 0
    if r.status in ("ok", "below_guideline"):
        assert r.shortfall == max(0, r.guideline - r.available)
        assert (r.status == "below_guideline") == (r.shortfall > 0)
    else:
        assert r.shortfall == 0


@given(inputs, st.integers(1, 10**9))
def test_more_stock_never_raises_the_shortfall(inp, extra):
    before = s.compute_shortfall(inp)
    more = [s.StockPoint(p.as_of, p.quantity + extra) for p in inp.stock]
    after = s.compute_shortfall(s.ShortfallInputs(inp.as_of, more, inp.guidelines, inp.rates, inp.pledges))
    assert after.shortfall <= before.shortfall
    assert after.status == before.status or after.status == "ok"


@given(inputs)
def test_recovery_months_consistent_with_rate(inp):
    r = s.compute_shortfall(inp)
    if r.shortfall > 0 and r.rate:
        m = r.months_to_recover
        assert m * r.rate >= r.shortfall > (m - 1) * r.rate
        assert not r.not_recovering
    if r.shortfall > 0 and not r.rate:
        assert r.months_to_recover is None and r.not_recovering


@given(st.lists(inputs, max_size=8))
def test_rollup_equals_sum_of_parts(many):
    results = [s.compute_shortfall(i) for i in many]
    r = s.rollup(results)
    assert r.total_shortfall == sum(x.shortfall for x in results)
    counted = [x for x in results if x.status in ("ok", "below_guideline")]
    assert r.net_position == sum(x.available - x.guideline for x in counted)
    assert r.nations_counted == len(counted)
    assert r.nations_below == sum(x.status == "below_guideline" for x in results)
    assert sum(r.statuses.values()) == len(results)
    # Gross never less than what netting would give: a surplus never hides another nation's shortfall.
    assert r.total_shortfall >= max(0, -r.net_position)


_pair = st.tuples(
    st.one_of(st.none(), st.integers(-500, 5_000)),  # available
    st.one_of(st.none(), st.integers(0, 5_000)),  # guideline
    st.one_of(st.none(), st.integers(-50, 800)),  # rate
    st.integers(0, 5_000),  # shortfall as stored
    st.lists(st.tuples(st.integers(0, 30), st.integers(1, 2_000)), max_size=3, unique_by=lambda t: t[0]),  # inflows
    st.sampled_from([1, 3, Decimal("2.50")]),  # weight (EUR: the unit value)
)


@given(pairs=st.lists(_pair, max_size=12), months=st.integers(0, 30))
def test_projected_sum_is_the_sum_of_each_pairs_projection(pairs, months):
    """``ProjectedSum`` (difference arrays for the pairs without contracts) == Σ weight x ``projected_shortfalls``."""
    total = s.ProjectedSum(months)
    expected = [0] * (months + 1)
    for available, guideline, rate, shortfall, inflows, weight in pairs:
        result = s.ShortfallResult(
            as_of=dt.date(2025, 1, 31), status="below_guideline", on_hand=available, guideline=guideline, owed=0,
            available=available, shortfall=shortfall, coverage=None, rate=rate, months_to_recover=None,
            not_recovering=False, inflow_by_month=tuple(sorted(inflows)))
        for m, v in enumerate(s.projected_shortfalls(result, months)):
            expected[m] += v * weight
        total.add(available=available, guideline=guideline, rate=rate, shortfall=shortfall,
                  inflow_by_month=result.inflow_by_month, weight=weight)
    assert total.totals() == expected
