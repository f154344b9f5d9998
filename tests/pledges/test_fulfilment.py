"""pledges.fulfilment: worked examples written out by hand, and properties (hypothesis)."""

import datetime as dt
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from pledges import fulfilment as f

ON = dt.date(2024, 7, 1)

# A: 1,000 pledged for €2,000,000, 250 delivered, due 2024-06-30 → overdue on 2024-07-01.
A = f.PledgeFacts(pledge_id=1, donor_id=10, recipient_id=99, item_id=5, quantity=1000, delivered=250,
                  value_eur=Decimal("2000000"), due_on=dt.date(2024, 6, 30))
# B: 10 systems, no stated value, item reference €3,000 each → €30,000; all delivered.
B = f.PledgeFacts(pledge_id=2, donor_id=10, recipient_id=99, item_id=6, quantity=10, delivered=10,
                  unit_value_eur=Decimal("3000"), due_on=dt.date(2024, 1, 31))
# C: 500 for €1,000,000, cancelled after 100 delivered → counts as 100 pledged, €200,000.
C = f.PledgeFacts(pledge_id=3, donor_id=10, recipient_id=99, item_id=5, quantity=500, delivered=100,
                  value_eur=Decimal("1000000"), due_on=dt.date(2024, 3, 1), cancelled=True)
# D: another donor, no value known at all, not due yet.
D = f.PledgeFacts(pledge_id=4, donor_id=11, recipient_id=99, item_id=5, quantity=200, delivered=0,
                  due_on=dt.date(2025, 1, 1))


def test_values_by_hand():
    assert f.pledge_value(A) == Decimal("2000000")
    assert f.pledge_value(B) == Decimal("30000")
    assert f.pledge_value(D) is None
    assert f.delivered_value(A) == Decimal("500000.00")  # 2,000,000 × 250 / 1,000
    assert f.delivered_value(C) == Decimal("200000.00")
    assert f.delivered_value(D) is None


def test_overdue_by_hand():
    assert f.is_overdue(A, on=ON) and f.days_overdue(A, on=ON) == 1
    assert not f.is_overdue(A, on=dt.date(2024, 6, 30))  # due today is not yet overdue
    assert not f.is_overdue(B, on=ON)  # complete
    assert not f.is_overdue(C, on=ON)  # cancelled
    assert not f.is_overdue(D, on=ON)  # not due
    assert f.days_overdue(B, on=ON) == 0


def test_fulfilment_of_one_donor_by_hand():
    r = f.fulfilment([A, B, C], on=ON)
    assert (r.pledges, r.pledged, r.delivered, r.undelivered) == (3, 1110, 360, 750)
    assert r.pledged_value_eur == Decimal("2230000")  # 2,000,000 + 30,000 + 200,000
    assert r.delivered_value_eur == Decimal("730000")  # 500,000 + 30,000 + 200,000
    assert r.delivered_share == 360 / 1110
    assert r.delivered_value_share == 730000 / 2230000
    assert (r.overdue, r.overdue_quantity, r.unvalued) == (1, 750, 0)


def test_fulfilment_by_donor_and_item():
    by_donor = f.fulfilment_by([A, B, C, D], lambda p: p.donor_id, on=ON)
    assert by_donor[11].pledged == 200 and by_donor[11].unvalued == 1 and by_donor[11].delivered_value_share is None
    by_item = f.fulfilment_by([A, B, C, D], lambda p: p.item_id, on=ON)
    assert (by_item[5].pledged, by_item[5].delivered) == (1300, 350)
    assert f.fulfilment([], on=ON).delivered_share is None


def test_recipient_gaps_by_hand():
    needs = [f.RequirementFacts(99, 5, 5000), f.RequirementFacts(99, 5, 3000), f.RequirementFacts(99, 7, 40)]
    gaps = {g.item_id: g for g in f.recipient_gaps(needs, [A, B, C, D])}
    # Item 5: required 8,000; pledged 1,000 + 100 (cancelled C) + 200 = 1,300; delivered 250 + 100.
    assert (gaps[5].required, gaps[5].pledged, gaps[5].delivered) == (8000, 1300, 350)
    assert (gaps[5].uncovered, gaps[5].undelivered) == (6700, 950)
    # Item 7: nothing pledged. Item 6 (B) has no requirement: no gap row.
    assert (gaps[7].uncovered, gaps[7].undelivered, gaps[7].covered_share) == (40, 0, 0.0)
    assert set(gaps) == {5, 7}
    over = f.recipient_gaps([f.RequirementFacts(99, 5, 100)], [A])
    assert (over[0].uncovered, over[0].covered_share) == (0, 1.0)


def test_training_progress_by_hand():
    rows = f.training_progress([
        f.TrainingFacts(10, "F-16 pilot", committed=12, completed=5),
        f.TrainingFacts(10, "F-16 pilot", committed=8, completed=8),
        f.TrainingFacts(10, "F-16 pilot", committed=10, completed=2, cancelled=True),
        f.TrainingFacts(11, "Leopard 2 crew", committed=0),
    ])
    by_key = {(r.donor_id, r.programme): r for r in rows}
    f16 = by_key[(10, "F-16 pilot")]
    assert (f16.commitments, f16.committed, f16.completed, f16.outstanding) == (3, 22, 15, 7)
    assert f16.completed_share == 15 / 22
    assert by_key[(11, "Leopard 2 crew")].completed_share is None


pledges = st.builds(
    lambda q, d, v, cancelled, due: f.PledgeFacts(
        pledge_id=1, donor_id=1, recipient_id=2, item_id=3, quantity=q, delivered=min(d, q),
        value_eur=None if v is None else Decimal(v), due_on=due, cancelled=cancelled,
    ),
    st.integers(0, 10**6), st.integers(0, 10**6), st.one_of(st.none(), st.integers(0, 10**9)), st.booleans(),
    st.one_of(st.none(), st.dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1))),
)


@given(st.lists(pledges, max_size=20))
def test_totals_are_sums_and_shares_bounded(ps):
    total = f.fulfilment(ps, on=ON)
    assert total.delivered <= total.pledged
    assert total.delivered_value_eur <= total.pledged_value_eur
    for s in (total.delivered_share, total.delivered_value_share):
        assert s is None or 0 <= s <= 1
    halves = [f.fulfilment(ps[: len(ps) // 2], on=ON), f.fulfilment(ps[len(ps) // 2:], on=ON)]
    assert total.pledged == sum(h.pledged for h in halves)
    assert total.delivered_value_eur == sum(h.delivered_value_eur for h in halves)
    assert total.overdue == sum(h.overdue for h in halves)


@given(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 10**6))
def test_gap_is_never_negative_and_splits_the_requirement(required, pledged, delivered):
    delivered = min(delivered, pledged)
    gap = f.Gap(recipient_id=1, item_id=1, required=required, pledged=pledged, delivered=delivered)
    assert gap.uncovered >= 0 and gap.undelivered >= 0
    # Whatever is required is either uncovered, pledged but not delivered, or delivered.
    assert gap.uncovered + gap.undelivered + delivered >= required
    assert gap.uncovered == 0 or gap.uncovered + pledged == required


@given(pledges, st.dates(dt.date(2020, 1, 1), dt.date(2026, 1, 1)))
def test_overdue_needs_a_past_due_date_and_something_outstanding(p, on):
    if f.is_overdue(p, on=on):
        assert p.due_on < on and p.delivered < p.quantity and not p.cancelled
        assert f.days_overdue(p, on=on) > 0
