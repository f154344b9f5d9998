"""The sourcing planner's reads on the worked example in the database (tests/stockpiles/sourcing_scenario.py):
the engine's figures, the split, who sees what, the what-if, and pinned query counts."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from coordination.access import CELL, Scope
from coordination.models import Nation
from pledges import services as pledge_services
from pledges.models import Pledge
from stockpiles import shortfalls, sourcing_selectors
from tests.stockpiles import sourcing_scenario
from tests.stockpiles.sourcing_scenario import disclosure_as_when_written  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nations):
    return sourcing_scenario.build(nations)


def scope_of(nation: Nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


def test_the_cell_sees_every_ally_the_split_and_the_unknown(world):
    plan = sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"])
    month = world["month"]
    assert (plan.need, plan.need_source) == (60_000, "requirement")
    rows = {r.nation.code: r.headroom for r in plan.rows}
    assert [r.nation.code for r in plan.rows] == ["FRA", "DEU", "ITA"]
    assert rows["FRA"].now == 40_000 and rows["FRA"].by_month[12] == 40_000
    assert rows["DEU"].by_month[:3] == (0, 1_000, 4_000) and rows["DEU"].by_month[12] == 34_000
    assert rows["ITA"].by_month[:3] == (0, 1_000, 17_000) and rows["ITA"].by_month[12] == 27_000
    # Earliest date for the need (60,000): FRA never (no production); DEU 3,000 m ≥ 62,000 -> m = 21;
    # ITA 25,000 + 1,000 m ≥ 70,000 -> m = 45.
    assert rows["FRA"].earliest_on is None
    assert rows["DEU"].earliest_on == month(21)
    assert rows["ITA"].earliest_on == month(45)
    assert sorted((r.nation.code, r.result.status) for r in plan.unknown) == [
        ("POL", shortfalls.NO_REPORT), ("USA", shortfalls.NO_REPORT)]
    assert all(r.headroom.now is None for r in plan.unknown)  # unknown, never 0
    lines = [(pl.nation.code, pl.line.month, pl.line.quantity) for pl in plan.lines]
    assert lines == [("FRA", 0, 40_000), ("DEU", 1, 1_000), ("ITA", 1, 1_000), ("ITA", 2, 16_000), ("DEU", 2, 2_000)]
    assert plan.lines[0].explanation == "FRA: 40,000 now, from headroom 40,000"
    assert plan.lines[3].explanation == (
        f"ITA: 16,000 from {month(2).isoformat()} (month 2), when its own production (2,000) and contracted "
        "deliveries (15,000) raise its headroom to 17,000 (1,000 of it in earlier lines)")
    assert (plan.split.covered_on, plan.split.gap) == (month(2), 0)
    assert plan.totals_by_month[:3] == [40_000, 42_000, 61_000]


def test_an_asked_quantity_and_a_need_beyond_the_horizon(world):
    plan = sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"], quantity=10_000)
    rows = {r.nation.code: r.headroom for r in plan.rows}
    month = world["month"]
    assert (rows["FRA"].earliest_on, rows["DEU"].earliest_on, rows["ITA"].earliest_on) == (
        month(0), month(4), month(2))
    plan = sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"], quantity=120_000)
    assert (plan.split.covered, plan.split.gap, plan.split.covered_on) == (101_000, 19_000, None)


def test_a_pledge_already_owed_reduces_the_headroom(world):
    pledge_services.pledge_create(
        actor=CELL, donor=world["FRA"], recipient=world["UKR"], item=world["shell"], quantity=15_000,
        announced_on=world["today"], due_on=None, source=Pledge.Source.NATIONAL_STOCK,
        status=Pledge.Status.COMMITTED, releasability="alliance", reference="")
    plan = sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"])
    fra = next(r for r in plan.rows if r.nation.code == "FRA")
    assert fra.headroom.now == 25_000  # 50,000 − 15,000 owed − 10,000
    assert plan.need == 45_000  # 60,000 − 15,000 pledged


def test_a_nation_sees_its_own_headroom_and_a_split_computed_from_the_totals_it_is_shown(world, settings):
    settings.AGGREGATE_MIN_OTHER_NATIONS = 2
    plan = sourcing_selectors.sourcing_plan(actor=scope_of(world["DEU"]), item=world["shell"])
    assert [r.nation.code for r in plan.rows] == ["DEU"] and plan.unknown == []
    # Month 0's total would be FRA's own headroom (ITA has none yet, DEU's is its own): hidden. Every later
    # month of the series goes with it ("would reveal a hidden figure"): shown after a hidden month 0, or
    # hidden for its own reason, it would tell how many nations' headroom grew.
    assert plan.totals_by_month is None
    assert plan.totals_notes[2] == "would reveal a hidden figure"
    assert plan.totals_reasons[:3] == ["few_nations", "related", "related"]
    # The split a nation sees is computed from the totals shown to it (never the others' exact headroom):
    # with month 0 hidden there is nothing to compute it from.
    assert plan.others_hidden and plan.split is None and plan.lines == [] and plan.split_suppressed

    plan = sourcing_selectors.sourcing_plan(actor=scope_of(world["POL"]), item=world["shell"])
    assert plan.rows == [] and [r.nation.code for r in plan.unknown] == ["POL"]

    # One other nation is enough here: every month is shown, and DEU's split from those totals (its own
    # headroom and the others' together) gives it the lines the cell's split gives it.
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1
    plan = sourcing_selectors.sourcing_plan(actor=scope_of(world["DEU"]), item=world["shell"])
    assert None not in plan.totals_by_month and not plan.split_suppressed
    assert {pl.nation.code for pl in plan.lines} == {"DEU"}
    assert [pl.line.quantity for pl in plan.lines] == [1_000, 2_000]
    assert (plan.split.covered, plan.split.covered_month) == (60_000, 2)

    settings.AGGREGATE_MIN_OTHER_NATIONS = 3
    plan = sourcing_selectors.sourcing_plan(actor=scope_of(world["DEU"]), item=world["shell"])
    assert plan.split is None and plan.lines == [] and plan.split_suppressed
    assert plan.totals_by_month is None


def test_what_if_before_and_after(world):
    view = sourcing_selectors.sourcing_what_if(
        actor=scope_of(world["DEU"]), donor=world["DEU"], item=world["shell"], quantity=10_000,
        source=Pledge.Source.NATIONAL_STOCK, due_on=world["month"](3))
    w = view.what_if
    assert (w.before.shortfall, w.before.months_to_recover) == (2_000, 1)
    assert (w.after.shortfall, w.after.months_to_recover, w.after.coverage) == (12_000, 4, -0.2)
    assert w.earliest_on == world["month"](4) and w.due_before_headroom
    assert view.recipient.code == "UKR"
    assert (view.gap.before.uncovered, view.gap.after.uncovered) == (60_000, 50_000)


def test_what_if_of_another_nations_pledge_is_refused(world):
    with pytest.raises(PermissionDenied):
        sourcing_selectors.sourcing_what_if(
            actor=scope_of(world["DEU"]), donor=world["FRA"], item=world["shell"], quantity=1,
            source=Pledge.Source.NATIONAL_STOCK)


def test_what_if_of_a_change_needs_the_nations_own_saved_pledge(world):
    fra = pledge_services.pledge_create(
        actor=CELL, donor=world["FRA"], recipient=world["UKR"], item=world["shell"], quantity=5_000,
        source=Pledge.Source.NATIONAL_STOCK, status=Pledge.Status.COMMITTED, releasability="public",
        announced_on=world["today"])
    with pytest.raises(PermissionDenied):  # DEU's draft may not stand in for FRA's pledge
        sourcing_selectors.sourcing_what_if(
            actor=scope_of(world["DEU"]), donor=world["DEU"], item=world["shell"], quantity=1,
            source=Pledge.Source.NATIONAL_STOCK, replaces=fra.pk)
    view = sourcing_selectors.sourcing_what_if(
        actor=CELL, donor=world["FRA"], item=world["shell"], quantity=45_000, source=Pledge.Source.NATIONAL_STOCK,
        replaces=fra.pk)
    # FRA: 50,000 − 5,000 owed = 45,000 before; 50,000 − 45,000 after (in place of the 5,000, not on top).
    assert (view.what_if.before.available, view.what_if.after.available) == (45_000, 5_000)
    assert (view.gap.before.uncovered, view.gap.after.uncovered) == (55_000, 15_000)


def test_what_if_writes_nothing(world):
    before = (Pledge.objects.count(), Pledge.history.count())
    sourcing_selectors.sourcing_what_if(actor=CELL, donor=world["FRA"], item=world["shell"],
                                        quantity=5_000, source=Pledge.Source.NATIONAL_STOCK, due_on=dt.date.today())
    assert (Pledge.objects.count(), Pledge.history.count()) == before


def test_a_past_date_uses_the_history(world):
    plan = sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"],
                                            as_of=world["today"] - dt.timedelta(days=10))
    # No stock report yet 10 days ago: every ally unknown, nothing to split.
    assert plan.rows == [] and {r.result.status for r in plan.unknown} == {shortfalls.NO_REPORT}
    assert plan.split.covered == 0


def test_query_counts(world, django_assert_max_num_queries):
    # nations; recipient gaps (requirements, pledges, items); engine inputs (current stock, guidelines,
    # rates, schedule lines, pledges)
    with django_assert_max_num_queries(10):  # + the engine's allies read
        sourcing_selectors.sourcing_plan(actor=CELL, item=world["shell"])
    # the engine's inputs for the pair (5); default recipient (requirements); recipient gaps (requirements,
    # pledges, items); nations
    with django_assert_max_num_queries(11):  # + the engine's allies read
        sourcing_selectors.sourcing_what_if(actor=CELL, donor=world["FRA"], item=world["shell"],
                                            quantity=5_000, source=Pledge.Source.NATIONAL_STOCK)
