"""The sourcing planner (stockpiles/sourcing.py): hand-computed worked examples and properties.

Worked example, as of D = 2024-05-15, every ally's guideline 10,000 (docs/sourcing.md has the same):

ally  on hand  rate/month  contracted                   headroom m0  m1     m2      m4      m12     earliest 10,000
FRA   50,000   —           —                            40,000       40,000 40,000  40,000  40,000  now (month 0)
DEU    8,000   3,000       —                                 0        1,000  4,000  10,000  34,000  2024-09-15 (month 4)
ITA   10,000   1,000       15,000 due 2024-07-01 (m2)        0        1,000 17,000  19,000  27,000  2024-07-15 (month 2)
      (without the contract ITA could give 10,000 only from month 10, 2025-03-15)
POL   (no report)                                           unknown: listed apart, never 0

DEU: available(m) = 8,000 + 3,000 m; headroom(m) = max(0, 3,000 m − 2,000); 10,000 needs 3,000 m ≥ 12,000: m = 4.
ITA: the line due 2024-07-01 counts from month 2 (2024-07-15 is the first month date on or after it):
available(2) = 10,000 + 2,000 + 15,000 = 27,000; without it 10,000 + 1,000 m ≥ 20,000 only at m = 10.

Split of 60,000 (greedy, month by month, largest offer first):
month 0: FRA 40,000 (its whole headroom; DEU and ITA have none)                   covered 40,000
month 1: DEU 1,000 and ITA 1,000 (each one month of production; a tie: DEU, listed first) covered 42,000
month 2: ITA 16,000 (17,000 − 1,000 given), then DEU 2,000 of its 3,000 new      covered 60,000 = need
Fully covered on 2024-07-15. Σ headroom by month: 40,000 / 42,000 / 61,000: no split covers 60,000 sooner.
A need of 120,000: Σ headroom at month 12 = 40,000 + 34,000 + 27,000 = 101,000, gap 19,000.
"""

import dataclasses
import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from stockpiles import shortfalls as s
from stockpiles import sourcing

D = dt.date(2024, 5, 15)
GUIDE = (s.GuidelinePeriod(10_000, dt.date(2020, 1, 1)),)


def inputs(on_hand=None, *, rate=None, inflows=(), owed=0, guidelines=GUIDE) -> s.ShortfallInputs:
    return s.ShortfallInputs(
        as_of=D,
        stock=() if on_hand is None else (s.StockPoint(D - dt.timedelta(days=3), on_hand),),
        guidelines=guidelines,
        rates=() if rate is None else (s.RatePeriod(rate, dt.date(2020, 1, 1)),),
        pledges=(s.OwedPledge(owed, 0),) if owed else (),
        inflows=tuple(s.ScheduledInflow(due, q) for due, q in inflows),
    )


FRA = inputs(50_000)
DEU = inputs(8_000, rate=3_000)
ITA = inputs(10_000, rate=1_000, inflows=[(dt.date(2024, 7, 1), 15_000)])
POL = inputs(None)


def room(nation_id, inp, quantity=10_000, horizon=12):
    return sourcing.headroom(nation_id, s.compute_shortfall(inp), horizon=horizon, quantity=quantity)


def test_an_ally_in_surplus_gives_at_once():
    h = room(1, FRA)
    assert h.known and h.now == 40_000
    assert h.by_month == (40_000,) * 13
    assert (h.earliest_month, h.earliest_on) == (0, D)
    assert room(1, FRA, quantity=40_000).earliest_month == 0
    assert room(1, FRA, quantity=40_001).earliest_month is None  # no production, no contract: never


def test_an_ally_gives_only_after_its_production_catches_up():
    h = room(2, DEU)
    assert h.now == 0
    assert h.by_month[:5] == (0, 1_000, 4_000, 7_000, 10_000)
    assert h.by_month[12] == 34_000
    assert (h.earliest_month, h.earliest_on) == (4, dt.date(2024, 9, 15))


def test_a_contracted_delivery_brings_the_date_forward():
    h = room(3, ITA)
    assert h.by_month[:5] == (0, 1_000, 17_000, 18_000, 19_000)
    assert (h.earliest_month, h.earliest_on) == (2, dt.date(2024, 7, 15))
    without = room(3, inputs(10_000, rate=1_000))
    assert (without.earliest_month, without.earliest_on) == (10, dt.date(2025, 3, 15))


def test_an_ally_without_a_report_is_unknown_not_zero():
    h = room(4, POL)
    assert not h.known
    assert h.now is None and h.by_month == () and h.earliest_month is None
    assert h.result.status == s.NO_REPORT
    no_guideline = room(5, inputs(30_000, guidelines=()))
    assert not no_guideline.known and no_guideline.result.status == s.NO_GUIDELINE
    split = sourcing.propose_split([h, no_guideline], need=1_000, horizon=12, as_of=D)
    assert split.lines == () and split.gap == 1_000 and split.covered_on is None


def _allies():
    return [room(1, FRA), room(2, DEU), room(3, ITA), room(4, POL)]


def test_the_split_covers_the_need_as_early_as_possible():
    split = sourcing.propose_split(_allies(), need=60_000, horizon=12, as_of=D)
    got = [(ln.nation_id, ln.month, ln.quantity, ln.headroom, ln.given_before, ln.reason) for ln in split.lines]
    assert got == [
        (1, 0, 40_000, 40_000, 0, sourcing.NOW),
        (2, 1, 1_000, 1_000, 0, sourcing.PRODUCTION),
        (3, 1, 1_000, 1_000, 0, sourcing.PRODUCTION),
        (3, 2, 16_000, 17_000, 1_000, sourcing.PRODUCTION_AND_CONTRACTED),
        (2, 2, 2_000, 4_000, 1_000, sourcing.PRODUCTION),
    ]
    assert split.lines[3].production == 2_000 and split.lines[3].contracted == 15_000
    assert split.covered == 60_000 and split.gap == 0
    assert (split.covered_month, split.covered_on) == (2, dt.date(2024, 7, 15))


def test_a_need_not_covered_within_the_horizon_leaves_a_gap():
    split = sourcing.propose_split(_allies(), need=120_000, horizon=12, as_of=D)
    assert split.covered == 101_000 and split.gap == 19_000
    assert split.covered_month is None and split.covered_on is None
    per_ally = {}
    for ln in split.lines:
        per_ally[ln.nation_id] = per_ally.get(ln.nation_id, 0) + ln.quantity
    assert per_ally == {1: 40_000, 2: 34_000, 3: 27_000}


def test_what_if_uses_the_engine_before_and_after():
    w = sourcing.what_if(FRA, sourcing.DraftPledge(quantity=45_000, due_on=dt.date(2024, 6, 1)))
    assert (w.before.shortfall, w.after.shortfall) == (0, 5_000)
    assert (w.before.coverage, w.after.coverage) == (5.0, 0.5)
    assert w.after.months_to_recover is None and w.after.not_recovering
    assert w.drops_below and w.due_before_headroom and w.earliest_on is None

    w = sourcing.what_if(DEU, sourcing.DraftPledge(quantity=10_000, due_on=dt.date(2024, 10, 1)))
    # 8,000 − 10,000 owed = −2,000 available: shortfall 12,000, 4 months at 3,000 (before: 2,000, 1 month).
    assert (w.before.shortfall, w.before.months_to_recover) == (2_000, 1)
    assert (w.after.shortfall, w.after.months_to_recover) == (12_000, 4)
    assert w.earliest_on == dt.date(2024, 9, 15) and not w.due_before_headroom and not w.drops_below

    w = sourcing.what_if(DEU, sourcing.DraftPledge(quantity=10_000, from_national_stock=False))
    assert w.after == w.before  # new production is not owed from stock (the engine's rule)


def test_what_if_of_a_change_replaces_the_saved_pledge():
    """A saved pledge of 5,000 (1,000 shipped) raised to 10,000: "after" owes 9,000, not 4,000 + 9,000; the
    earliest date is for what is left to give (9,000) with the saved pledge left out (available 8,000)."""
    saved = s.OwedPledge(5_000, 1_000)
    deu = dataclasses.replace(DEU, pledges=(saved,))
    draft = sourcing.DraftPledge(quantity=10_000, shipped=1_000, due_on=dt.date(2024, 8, 1))
    w = sourcing.what_if(deu, draft, replaces=saved)
    assert (w.before.owed, w.after.owed) == (4_000, 9_000)
    assert (w.before.shortfall, w.after.shortfall) == (6_000, 11_000)
    # 8,000 + 3,000 m >= 10,000 + 9,000: m = 4 (2024-09-15), after the due date.
    assert w.earliest_on == dt.date(2024, 9, 15) and w.due_before_headroom
    # Without ``replaces`` the draft is added on top of the saved pledge.
    assert sourcing.what_if(deu, draft).after.owed == 13_000
    # Cancelling the saved pledge: nothing owed after, and no warning about its due date.
    cancelled = sourcing.what_if(deu, sourcing.DraftPledge(quantity=5_000, shipped=1_000, cancelled=True,
                                                           due_on=dt.date(2024, 6, 1)), replaces=saved)
    assert (cancelled.after.owed, cancelled.after.shortfall) == (0, 2_000) and not cancelled.due_before_headroom


# --- Properties ---------------------------------------------------------------------------------------

ally = st.builds(
    lambda on_hand, guideline, rate, inflows: inputs(
        on_hand, rate=rate, guidelines=(s.GuidelinePeriod(guideline, dt.date(2020, 1, 1)),),
        inflows=[(D + dt.timedelta(days=d), q) for d, q in inflows]),
    on_hand=st.one_of(st.none(), st.integers(0, 200_000)),
    guideline=st.integers(0, 100_000),
    rate=st.one_of(st.none(), st.integers(0, 20_000)),
    inflows=st.lists(st.tuples(st.integers(-60, 500), st.integers(1, 50_000)), max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(allies=st.lists(ally, min_size=0, max_size=6), need=st.integers(0, 600_000), horizon=st.integers(1, 18))
def test_split_never_takes_an_ally_below_guideline_and_never_more_than_the_need(allies, need, horizon):
    rooms = [sourcing.headroom(i, s.compute_shortfall(inp), horizon=horizon, quantity=need)
             for i, inp in enumerate(allies)]
    split = sourcing.propose_split(rooms, need=need, horizon=horizon, as_of=D)
    assert all(ln.quantity > 0 for ln in split.lines)
    assert split.covered == sum(ln.quantity for ln in split.lines) <= need
    for i, inp in enumerate(allies):
        mine = [ln for ln in split.lines if ln.nation_id == i]
        if not rooms[i].known:
            assert not mine  # unknown allies are never asked
            continue
        for month in range(horizon + 1):
            given_by = sum(ln.quantity for ln in mine if ln.month <= month)
            if not given_by:
                continue
            # The engine itself, with what the ally has given by that month owed: still at or above guideline.
            after = s.compute_shortfall(s.ShortfallInputs(**{**inp.__dict__, "pledges": (s.OwedPledge(given_by, 0),)}))
            point = s.recovery_projection(after, months=horizon)[month]
            assert point.available >= point.guideline
    # As early as possible: by every month it covers all it can (Σ headroom then), up to the need.
    totals = [sum(r.by_month[m] for r in rooms if r.known) for m in range(horizon + 1)]
    for month in range(horizon + 1):
        assert sum(ln.quantity for ln in split.lines if ln.month <= month) == min(need, totals[month])
    first = next((m for m, t in enumerate(totals) if t >= need), None)
    assert split.covered_month == first


@settings(max_examples=200, deadline=None)
@given(ally=ally, quantity=st.integers(1, 300_000))
def test_earliest_date_is_the_first_month_with_enough_headroom(ally, quantity):
    h = sourcing.headroom(0, s.compute_shortfall(ally), horizon=24, quantity=quantity)
    if not h.known:
        assert h.earliest_month is None
        return
    within = next((m for m, room in enumerate(h.by_month) if room >= quantity), None)
    if within is not None:
        assert h.earliest_month == within
    else:
        assert h.earliest_month is None or h.earliest_month > 24
