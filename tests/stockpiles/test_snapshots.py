"""Frozen briefing snapshots: taken by the cell, unchanged by late reports and history corrections,
compared with each other and with today (what changed and why), read through the access rule."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coordination.access import CELL, Scope
from pledges.services import delivery_create
from stockpiles import selectors, services, shortfalls, snapshot_selectors
from stockpiles.models import SnapshotRow
from tests.stockpiles.test_history import hand_built  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

D = dt.date


def frozen_rows(snapshot):
    return sorted(SnapshotRow.objects.filter(snapshot=snapshot).values_list(
        "nation__code", "on_hand", "owed", "available", "shortfall", "status", "reported_on", "pledged"))


def test_a_snapshot_freezes_the_figures_and_a_late_report_never_changes_it(
        hand_built, item, django_capture_on_commit_callbacks, django_assert_max_num_queries):  # noqa: F811
    with django_assert_max_num_queries(8):  # name taken?; savepoint; figures; reports; pledges; snapshot; rows; release
        march = services.snapshot_create(actor=CELL, name="Briefing 2024-03-20", as_of=D(2024, 3, 20))
    expected = [("POL", None, 0, None, 0, "no_report", None, 0),
                ("USA", 800, 300, 500, 500, "below_guideline", D(2024, 3, 1), 300)]
    assert frozen_rows(march) == expected
    with django_capture_on_commit_callbacks(execute=True):  # a late report for 2024-03-10: the history moves
        services.stock_report_create(actor=CELL, nation=hand_built["usa"], item=item, quantity=50,
                                     as_of=D(2024, 3, 10))

    [live] = selectors.shortfalls_as_of(actor=CELL, as_of=D(2024, 3, 20), nation=hand_built["usa"])
    assert live.result.on_hand == 50  # the history was corrected …
    assert frozen_rows(march) == expected  # … the snapshot was not
    opened = {(r.nation.code, r.result.on_hand) for r in
              selectors.shortfalls_as_of(actor=CELL, as_of=march.as_of, snapshot_id=march.pk)}
    assert opened == {("POL", None), ("USA", 800)}


def test_only_the_cell_takes_snapshots_and_bad_input_is_refused(hand_built):  # noqa: F811
    pol = Scope(nation_id=hand_built["pol"].pk, nation_code="POL", nation_role="ally")
    with pytest.raises(PermissionDenied):
        services.snapshot_create(actor=pol, name="Mine")
    with pytest.raises(ValidationError) as blank:
        services.snapshot_create(actor=CELL, name="  ")
    assert "name" in blank.value.message_dict
    with pytest.raises(ValidationError) as future:
        services.snapshot_create(actor=CELL, name="Later", as_of=D(2999, 1, 1))
    assert "as_of" in future.value.message_dict
    services.snapshot_create(actor=CELL, name="Weekly briefing 2024-W18")
    with pytest.raises(ValidationError, match="already exists"):
        services.snapshot_create(actor=CELL, name="Weekly briefing 2024-W18")


def test_compare_two_snapshots_says_what_changed_and_why(hand_built, item, django_assert_max_num_queries):  # noqa: F811
    january = services.snapshot_create(actor=CELL, name="January", as_of=D(2024, 1, 20))
    february = services.snapshot_create(actor=CELL, name="February", as_of=D(2024, 2, 20))
    march = services.snapshot_create(actor=CELL, name="March", as_of=D(2024, 3, 20))
    april = services.snapshot_create(actor=CELL, name="April", as_of=D(2024, 4, 20))
    with django_assert_max_num_queries(4):  # both sides; nations; items
        jan_feb = snapshot_selectors.snapshot_compare(actor=CELL, a=january, b=february)
    assert [(c.nation.code, c.before.owed, c.after.owed, c.reasons) for c in jan_feb.changes] == [
        ("USA", 0, 300, (shortfalls.PLEDGE,))]
    feb_mar = snapshot_selectors.snapshot_compare(actor=CELL, a=february, b=march).changes
    assert [(c.nation.code, c.shortfall_delta, c.reasons) for c in feb_mar] == [("USA", 500, (shortfalls.REPORT,))]
    mar_apr = snapshot_selectors.snapshot_compare(actor=CELL, a=march, b=april).changes
    assert [(c.nation.code, c.shortfall_delta, c.available_delta, c.reasons) for c in mar_apr] == [
        ("USA", -100, 100, (shortfalls.DELIVERY,))]
    assert snapshot_selectors.snapshot_compare(actor=CELL, a=april, b=april).changes == []


def test_compare_with_today_and_a_nation_sees_only_its_own_rows(hand_built, item, nations,  # noqa: F811
                                                                django_capture_on_commit_callbacks,
                                                                django_assert_max_num_queries):
    april = services.snapshot_create(actor=CELL, name="April", as_of=D(2024, 4, 20))
    with django_capture_on_commit_callbacks(execute=True):
        delivery_create(actor=CELL, pledge_id=hand_built["pledge"].pk, quantity=50, status="in_transit",
                        shipped_on=dt.date(2024, 7, 1))
        services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=2000,
                                     as_of=dt.date(2024, 7, 1))
    with django_assert_max_num_queries(6):  # the snapshot's rows; today: rows, reports, pledges; nations; items
        changes = snapshot_selectors.snapshot_compare(actor=CELL, a=april, b=None).changes
    # USA: 50 more shipped, and its 2024-05-01 report (the same 800) came after the snapshot's date
    assert {(c.nation.code, c.reasons) for c in changes} == {("USA", (shortfalls.REPORT, shortfalls.DELIVERY)),
                                                             ("POL", (shortfalls.REPORT,))}
    pol = Scope(nation_id=nations["POL"].pk, nation_code="POL", nation_role="ally")
    own = snapshot_selectors.snapshot_compare(actor=pol, a=april, b=None).changes
    assert [(c.nation.code, c.after.on_hand) for c in own] == [("POL", 2000)]
    assert set(snapshot_selectors.snapshot_pairs(actor=pol, snapshot=april)) == {(nations["POL"].pk, item.pk)}


JAN_1 = D(2024, 1, 1)


def test_change_reasons_pure():
    def frozen(on_hand=10, owed=0, guideline=5, rate=None, inflow=0, reported=JAN_1, pledged=0):
        figures = ("ok", on_hand, guideline, owed, on_hand - owed, 0, 1.0, rate, 0, False, inflow)
        return shortfalls.FrozenPair(figures=figures, reported_on=reported, pledged=pledged)

    base = frozen()
    assert shortfalls.change_reasons(base, base) == ()
    assert shortfalls.change_reasons(None, base) == (shortfalls.NEW_PAIR,)
    assert shortfalls.change_reasons(base, None) == (shortfalls.PAIR_GONE,)
    assert shortfalls.change_reasons(base, frozen(reported=D(2024, 2, 1))) == (shortfalls.REPORT,)
    assert shortfalls.change_reasons(base, frozen(guideline=8)) == (shortfalls.GUIDELINE,)
    assert shortfalls.change_reasons(base, frozen(rate=3)) == (shortfalls.PRODUCTION,)
    assert shortfalls.change_reasons(base, frozen(inflow=4)) == (shortfalls.CONTRACT,)
    # a new pledge of 5, none shipped: owed 5 → a pledge; then 2 shipped: owed 3 → a delivery
    assert shortfalls.change_reasons(base, frozen(owed=5, pledged=5)) == (shortfalls.PLEDGE,)
    assert shortfalls.change_reasons(frozen(owed=5, pledged=5), frozen(owed=3, pledged=5)) == (shortfalls.DELIVERY,)
