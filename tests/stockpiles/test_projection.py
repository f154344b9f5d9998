"""The stock projection with contracted inflows (stockpiles.shortfalls): a worked example month by month,
the month rule at month ends, and properties (hypothesis) against a brute-force month-by-month search."""

import datetime as dt
import math

from hypothesis import assume, given
from hypothesis import strategies as st

from stockpiles import shortfalls as s

D = dt.date(2024, 6, 15)


def worked_inputs(*, inflows=True, rate=1000):
    """10,000 on hand, 2,000 owed from national stock → available 8,000; guideline 20,000 → short 12,000;
    own production 1,000/month. Schedule lines (as of 15 June 2024):

    The stock report in use is of 1 June.

    - 1,500 due 1 Jun, not received (overdue)      → month 1 (an overdue line counts from month 1)
    - 3,000 due 15 Jul                             → month 1 (15 Jul <= add_months(D, 1) = 15 Jul)
    -   500 due 5 Jun, received 5 Jun              → month 1: arrived after the 1 June report, which
                                                     does not carry it yet
    - 2,000 due 20 Sep                             → month 4 (15 Sep < 20 Sep <= 15 Oct)
    - 5,000 due 1 Aug, received 20 May             → not counted: the 1 June report carries it
    - 4,000 due 1 Jul on a cancelled order         → not counted
    """
    lines = [
        s.ScheduledInflow(dt.date(2024, 6, 1), 1500),
        s.ScheduledInflow(dt.date(2024, 7, 15), 3000),
        s.ScheduledInflow(dt.date(2024, 6, 5), 500, received_on=dt.date(2024, 6, 5)),
        s.ScheduledInflow(dt.date(2024, 9, 20), 2000),
        s.ScheduledInflow(dt.date(2024, 8, 1), 5000, received_on=dt.date(2024, 5, 20)),
        s.ScheduledInflow(dt.date(2024, 7, 1), 4000, cancelled=True),
    ]
    return s.ShortfallInputs(
        as_of=D, stock=[s.StockPoint(dt.date(2024, 6, 1), 10_000)],
        guidelines=[s.GuidelinePeriod(20_000, dt.date(2020, 1, 1))],
        rates=[s.RatePeriod(rate, dt.date(2023, 1, 1))] if rate is not None else [],
        pledges=[s.OwedPledge(2000, 0)], inflows=lines if inflows else (),
    )


def test_worked_example_month_by_month_with_schedules_and_a_rate():
    r = s.compute_shortfall(worked_inputs())
    assert (r.available, r.shortfall, r.rate) == (8000, 12_000, 1000)
    # Inflows counted: month 1: 1,500 + 3,000 + 500 = 5,000; month 4: 2,000. Total 7,000.
    assert dict(r.inflow_by_month) == {1: 5000, 4: 2000}
    assert r.contracted_inflow == 7000
    points = s.recovery_projection(r, months=6)
    # available(m) = 8,000 + 1,000 m + inflows counted by m
    # m=0: 8,000  m=1: 8,000+1,000+5,000 = 14,000  m=2: 15,000  m=3: 16,000
    # m=4: 8,000+4,000+7,000 = 19,000  m=5: 20,000 (back at the guideline)  m=6: 21,000
    assert [p.available for p in points] == [8000, 14_000, 15_000, 16_000, 19_000, 20_000, 21_000]
    assert [p.contracted for p in points] == [0, 5000, 5000, 5000, 7000, 7000, 7000]
    assert [p.on for p in points][:2] == [D, dt.date(2024, 7, 15)]
    assert r.months_to_recover == 5 and r.recovers_on == dt.date(2024, 11, 15)
    assert r.not_recovering is False


def test_worked_example_without_schedules_is_todays_formula():
    r = s.compute_shortfall(worked_inputs(inflows=False))
    # ceil(12,000 / 1,000) = 12 months → 15 June 2025: the schedules bring recovery 7 months earlier.
    assert (r.months_to_recover, r.recovers_on, r.contracted_inflow) == (12, dt.date(2025, 6, 15), 0)
    assert r.months_to_recover == math.ceil(r.shortfall / r.rate) == s.months_to_recover(12_000, 1000)


def test_worked_example_schedules_alone():
    # No production: 7,000 contracted never closes 12,000 → not recovering.
    r = s.compute_shortfall(worked_inputs(rate=None))
    assert (r.months_to_recover, r.not_recovering, r.recovers_on) == (None, True, None)
    # With enough contracted, recovery is the month the last needed line arrives.
    assert s.months_to_recover(12_000, None, {1: 5000, 4: 7000}) == 4
    assert s.months_to_recover(12_000, 0, {1: 5000, 4: 6999}) is None


def test_month_rule_at_month_ends():
    jan31 = dt.date(2024, 1, 31)
    assert s.add_months(jan31, 1) == dt.date(2024, 2, 29)  # clamped, leap year
    assert s.inflow_month(dt.date(2024, 2, 29), jan31) == 1
    assert s.inflow_month(dt.date(2024, 3, 1), jan31) == 2  # after 29 Feb, by 31 Mar
    assert s.inflow_month(dt.date(2024, 1, 31), jan31) == 1  # due on the day: month 1, never month 0
    assert s.inflow_month(dt.date(2023, 5, 1), jan31) == 1  # long overdue: month 1
    assert s.inflow_month(dt.date(2025, 1, 31), jan31) == 12


def test_a_received_line_counts_until_a_report_carries_it():
    line = s.ScheduledInflow(dt.date(2024, 6, 5), 500, received_on=dt.date(2024, 6, 5))
    assert line.counts(D, reported_on=dt.date(2024, 6, 1))  # the report predates the receipt
    assert not line.counts(D, reported_on=dt.date(2024, 6, 5))  # a report of that day carries it
    assert not line.counts(D)  # no report: received by D
    assert s.ScheduledInflow(D, 1, received_on=D + dt.timedelta(days=1)).counts(D, reported_on=D)  # after D
    assert not s.ScheduledInflow(D, 1, cancelled=True).counts(D)


def test_a_row_with_only_orders_gets_row():
    assert s.gets_row(s.ShortfallInputs(as_of=D, inflows=[s.ScheduledInflow(D, 1)]))


# --- Properties ----------------------------------------------------------------------------------

quantities = st.integers(min_value=0, max_value=200_000)
inflow_maps = st.dictionaries(st.integers(min_value=1, max_value=36), st.integers(min_value=0, max_value=50_000),
                              max_size=6)


def brute_force(shortfall, rate, inflows, limit=400):
    for m in range(limit + 1):
        if s.projected_available(0, rate, inflows, m) >= shortfall:
            return m
    return None


@given(st.integers(min_value=0, max_value=100_000), st.integers(min_value=0, max_value=5_000), inflow_maps)
def test_months_equal_the_first_month_of_the_projection_at_guideline(shortfall, rate, inflows):
    m = s.months_to_recover(shortfall, rate, inflows)
    expected = brute_force(shortfall, rate, inflows)
    if rate == 0 and expected is None:
        assert m is None
    elif expected is not None:
        assert m == expected
    else:  # slower than the brute force's horizon: still the first month at guideline
        assert m is not None and m > 400


@given(st.integers(min_value=0, max_value=1_000_000), st.integers(min_value=1, max_value=100_000))
def test_without_inflows_it_is_exactly_ceil_shortfall_over_rate(shortfall, rate):
    expected = 0 if shortfall == 0 else math.ceil(shortfall / rate)
    assert s.months_to_recover(shortfall, rate) == s.months_to_recover(shortfall, rate, {}) == expected


@given(st.integers(min_value=1, max_value=100_000), st.integers(min_value=0, max_value=5_000), inflow_maps)
def test_contracts_never_delay_recovery(shortfall, rate, inflows):
    without = s.months_to_recover(shortfall, rate)
    with_ = s.months_to_recover(shortfall, rate, inflows)
    if without is not None:
        assert with_ is not None and with_ <= without


@given(quantities, quantities, st.integers(min_value=0, max_value=3_000),
       st.lists(st.tuples(st.integers(min_value=-60, max_value=900), st.integers(min_value=0, max_value=20_000),
                          st.booleans(), st.booleans()), max_size=6))
def test_projection_point_at_months_to_recover_is_the_first_at_guideline(on_hand, guideline, rate, lines):
    inflows = [s.ScheduledInflow(D + dt.timedelta(days=days), q, cancelled=cancelled,
                                 received_on=D - dt.timedelta(days=1) if received else None)
               for days, q, cancelled, received in lines]
    r = s.compute_shortfall(s.ShortfallInputs(
        as_of=D, stock=[s.StockPoint(D, on_hand)], guidelines=[s.GuidelinePeriod(guideline, D)],
        rates=[s.RatePeriod(rate, D)], inflows=inflows,
    ))
    assert r.contracted_inflow == sum(line.quantity for line in inflows if line.counts(D))
    if r.months_to_recover is None:
        assert r.not_recovering and rate == 0
        return
    assume(r.months_to_recover <= 2_400)  # two centuries: the point-by-point check stays quick
    points = s.recovery_projection(r, months=r.months_to_recover)
    assert points[0].available == r.available
    assert points[-1].available >= r.guideline
    assert all(p.available < r.guideline for p in points[:-1])


def test_a_projection_past_the_calendar_has_no_date_rather_than_failing():
    """Found by the property test above: a recovery thousands of years out made ``add_months`` raise
    (year 10000), which would have failed the pair's computation. Beyond year 9999 a point has no date."""
    far = dt.date(9999, 6, 1)
    r = s.compute_shortfall(s.ShortfallInputs(
        as_of=far, stock=[s.StockPoint(far, 0)], guidelines=[s.GuidelinePeriod(1_000, far)],
        rates=[s.RatePeriod(1, far)], inflows=[]))
    points = s.recovery_projection(r, months=24)
    assert [p.on for p in points[:7]] == [s.add_months(far, m) for m in range(7)]
    assert points[7].on is None and points[24].on is None
    assert r.recovers_on is None and r.months_to_recover == 1_000
