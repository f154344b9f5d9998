"""Selectors over stored and past-date shortfalls: worked examples, access rule, fixed query counts."""

import datetime as dt

import pytest

from coordination.access import CELL, NOBODY, Scope
from pledges.services import delivery_create
from stockpiles import selectors
from stockpiles.engine import shortfall_history_rebuild_locked, shortfalls_recompute
from stockpiles.services import stock_report_create
from tests import factories


@pytest.fixture
def world(nations, item):
    """USA and POL hold 155 mm (item A, ammunition) and POL holds a vehicle (item B).

    Alliance guideline A 10,000; POL's own A target 8,000 (wins). USA A: 12,000 on 2024-01-01,
    4,000 on 2024-06-01; owes 1,000 from national stock of which 400 shipped on 2024-05-01 → owed
    600, available 3,400, shortfall 6,600, at 1,000/month 7 months. POL A 9,000 on 2024-06-01 →
    ok, coverage 1.125. POL B: guideline 100, 50 on hand → shortfall 50, no rate: not recovering.
    USA B: the alliance-wide guideline applies to USA (an ally), which never reported it → no_report.
    """
    usa, pol = nations["USA"], nations["POL"]
    vehicle = factories.ItemFactory(name="IFV", unit="vehicles",
                                    category=factories.CategoryFactory(name="Armoured vehicles"))
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    factories.GuidelineFactory(item=item, nation=pol, minimum_quantity=8_000)
    factories.GuidelineFactory(item=vehicle, minimum_quantity=100)
    factories.ProductionRateFactory(nation=usa, item=item, units_per_month=1000)
    stock_report_create(actor=CELL, nation=usa, item=item, quantity=12_000, as_of=dt.date(2024, 1, 1))
    stock_report_create(actor=CELL, nation=usa, item=item, quantity=4_000, as_of=dt.date(2024, 6, 1))
    stock_report_create(actor=CELL, nation=pol, item=item, quantity=9_000, as_of=dt.date(2024, 6, 1))
    stock_report_create(actor=CELL, nation=pol, item=vehicle, quantity=50, as_of=dt.date(2024, 6, 1))
    pledge = factories.PledgeFactory(donor=usa, recipient=nations["UKR"], item=item, quantity=1000)
    delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=400, status="in_transit", shipped_on=dt.date(2024, 5, 1))
    shortfalls_recompute()
    shortfall_history_rebuild_locked()  # the past, as an installation with existing data backfills it
    return {"usa": usa, "pol": pol, "ammo": item, "ifv": vehicle}


def _pol_scope(world):
    return Scope(nation_id=world["pol"].pk, nation_code="POL", nation_role="ally")


@pytest.mark.django_db
def test_shortfall_list_worst_first_and_restricted(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the rows with nation, item and category
        rows = [(r.nation.code, r.item.name, r.shortfall, r.status, r.months_to_recover)
                for r in selectors.shortfall_list(actor=CELL)]
    assert rows == [
        ("USA", "155 mm HE projectile", 6600, "below_guideline", 7),
        ("POL", "IFV", 50, "below_guideline", None),
        ("POL", "155 mm HE projectile", 0, "ok", 0),
        ("USA", "IFV", 0, "no_report", None),  # the alliance-wide IFV guideline applies to USA: never reported
    ]
    own = selectors.shortfall_list(actor=_pol_scope(world))
    assert {r.nation.code for r in own} == {"POL"}
    assert list(selectors.shortfall_list(actor=NOBODY)) == []
    usa_row = selectors.shortfall_list(actor=CELL, nation=world["usa"], item=world["ammo"]).get()
    assert (usa_row.on_hand, usa_row.owed, usa_row.available, usa_row.guideline) == (4000, 600, 3400, 10_000)
    assert usa_row.coverage == pytest.approx(0.34)
    pol_ifv = selectors.shortfall_list(actor=CELL, nation=world["pol"].pk, item=world["ifv"].pk).get()
    assert pol_ifv.not_recovering is True


@pytest.mark.django_db
def test_shortfall_list_for_a_user_reads_membership_once(world, polish_officer, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # membership, rows
        rows = list(selectors.shortfall_list(actor=polish_officer))
    assert sorted(r.item.name for r in rows) == ["155 mm HE projectile", "IFV"]


@pytest.mark.django_db
def test_alliance_rollup_today(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # stored rows, items
        rows = selectors.alliance_rollup(actor=CELL)
    by_name = {r.item_name: r for r in rows}
    ammo = by_name["155 mm HE projectile"]
    # Gross: only USA is short (6,600); POL's 1,000 surplus does not cover it. Net: -6,600 + 1,000.
    assert (ammo.total_shortfall, ammo.net_position, ammo.nations_below, ammo.nations_counted) == (6600, -5600, 1, 2)
    assert ammo.category_name == "Artillery ammunition" and ammo.unit == "rounds"
    ifv = by_name["IFV"]
    assert (ifv.total_shortfall, ifv.net_position, ifv.nations_below) == (50, -50, 1)
    assert [r.item_name for r in selectors.alliance_rollup(actor=CELL, item_ids=[world["ifv"].pk])] == ["IFV"]


@pytest.mark.django_db
def test_alliance_rollup_and_snapshot_for_a_past_date(world, django_assert_max_num_queries):
    # On 2024-03-01: USA had 12,000 (the June report did not exist), nothing shipped yet → owed 1,000,
    # available 11,000 ≥ 10,000: ok with +1,000. POL had not reported yet.
    with django_assert_max_num_queries(8):
        rows = selectors.alliance_rollup(actor=CELL, as_of=dt.date(2024, 3, 1))
    ammo = {r.item_name: r for r in rows}["155 mm HE projectile"]
    assert (ammo.total_shortfall, ammo.net_position, ammo.nations_counted) == (0, 1000, 1)
    assert ammo.statuses == {"ok": 1, "no_report": 1}
    snapshot = selectors.shortfalls_as_of(actor=CELL, as_of=dt.date(2024, 3, 1), nation=world["usa"])
    assert [(s.nation.code, s.result.on_hand, s.result.owed, s.result.status) for s in snapshot] == [
        ("USA", 12_000, 1000, "ok"), ("USA", None, 0, "no_report"),  # IFV: expected, never reported
    ]
    assert selectors.shortfalls_as_of(actor=_pol_scope(world), as_of=dt.date(2024, 3, 1),
                                      nation=world["usa"]) == []


@pytest.mark.django_db
def test_shortfall_matrix_worst_item_per_category(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # rows, item categories, nations, categories
        matrix = selectors.shortfall_matrix(actor=CELL)
    ammo_cat, ifv_cat = world["ammo"].category_id, world["ifv"].category_id
    assert [n.code for n in matrix.nations] == ["POL", "USA"]
    assert [c.name for c in matrix.categories] == ["Armoured vehicles", "Artillery ammunition"]
    usa_ammo = matrix.cell(world["usa"].pk, ammo_cat)
    assert (usa_ammo.items_counted, usa_ammo.items_below) == (1, 1)
    assert usa_ammo.coverage == pytest.approx(0.34)
    assert matrix.cell(world["pol"].pk, ammo_cat).coverage == pytest.approx(1.125)
    assert matrix.cell(world["pol"].pk, ifv_cat).coverage == pytest.approx(0.5)
    usa_ifv = matrix.cell(world["usa"].pk, ifv_cat)  # expected to report, never did: "not reported"
    assert (usa_ifv.coverage, usa_ifv.items_counted, usa_ifv.items_not_reported) == (None, 0, 1)
    own = selectors.shortfall_matrix(actor=_pol_scope(world))
    assert [n.code for n in own.nations] == ["POL"]


@pytest.mark.django_db
def test_stock_history_restricted(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        series = selectors.stock_history(actor=CELL, item=world["ammo"])
    assert [(s.nation_code, s.points) for s in series] == [
        ("POL", [(dt.date(2024, 6, 1), 9000)]),
        ("USA", [(dt.date(2024, 1, 1), 12_000), (dt.date(2024, 6, 1), 4000)]),
    ]
    assert [s.nation_code for s in selectors.stock_history(actor=_pol_scope(world), item=world["ammo"])] == [
        "POL"
    ]
    only_usa = selectors.stock_history(actor=CELL, item=world["ammo"], nations=[world["usa"]],
                                       since=dt.date(2024, 2, 1))
    assert [(s.nation_code, s.points) for s in only_usa] == [("USA", [(dt.date(2024, 6, 1), 4000)])]


@pytest.mark.django_db
def test_recovery_projection_crosses_guideline_at_months_to_recover(world):
    points = selectors.recovery_projection(actor=CELL, nation=world["usa"], item=world["ammo"], months=8)
    assert [p.available for p in points] == [3400 + 1000 * m for m in range(9)]
    assert points[6].available < 10_000 <= points[7].available  # months_to_recover = 7
    assert selectors.recovery_projection(actor=_pol_scope(world), nation=world["usa"], item=world["ammo"]) == []


@pytest.mark.django_db
def test_last_computed_and_staleness(world, settings):
    last = selectors.shortfalls_last_computed()
    assert last is not None
    assert selectors.shortfalls_are_stale(now=last) is False
    assert selectors.shortfalls_are_stale(now=last + settings.SHORTFALL_STALE_AFTER + dt.timedelta(seconds=1))


@pytest.mark.django_db
def test_nothing_computed_yet_is_stale():
    assert selectors.shortfalls_last_computed() is None
    assert selectors.shortfalls_are_stale() is True


@pytest.mark.django_db
def test_query_counts_do_not_grow_with_data(world, django_assert_max_num_queries):
    for k in range(15):
        nation = factories.NationFactory()
        extra = factories.ItemFactory(category=factories.CategoryFactory(name=f"Category {k % 4}"))
        factories.GuidelineFactory(item=extra, minimum_quantity=100)
        stock_report_create(actor=CELL, nation=nation, item=extra, quantity=k * 10, as_of=dt.date(2024, 6, 1))
        stock_report_create(actor=CELL, nation=nation, item=world["ammo"], quantity=k * 1000, as_of=dt.date(2024, 6, 1))
    shortfalls_recompute()
    shortfall_history_rebuild_locked()
    with django_assert_max_num_queries(1):
        # 17 allies (USA, POL, 15 new) under 17 alliance-wide guidelines: a row each, reported or not.
        assert len(list(selectors.shortfall_list(actor=CELL))) == 17 * 17
    with django_assert_max_num_queries(2):
        assert len(selectors.alliance_rollup(actor=CELL)) == 2 + 15
    with django_assert_max_num_queries(4):
        assert len(selectors.shortfall_matrix(actor=CELL).nations) == 17
    with django_assert_max_num_queries(8):
        past = selectors.alliance_rollup(actor=CELL, as_of=dt.date(2024, 3, 1))
        # Only USA had reported (the ammunition); every other expected pair is counted as not reporting.
        assert sum(r.statuses.get("ok", 0) for r in past) == 1
        assert sum(r.statuses.get("no_report", 0) for r in past) == 17 * 17 - 1
    with django_assert_max_num_queries(1):
        assert len(selectors.stock_history(actor=CELL, item=world["ammo"])) == 17


@pytest.mark.django_db
def test_stored_aggregates_summed_by_the_database_equal_the_formulas_on_the_rows(world):
    """Today's roll-up and heat map sum stored rows in SQL (counts, sums, a minimum) and apply the rules
    in shortfalls.rollup_of_totals / coverage_of_totals; the same rules on the rows in Python agree."""
    from collections import defaultdict

    from coordination.models import Item
    from stockpiles import shortfalls

    for k in range(12):
        nation = factories.NationFactory()
        extra = factories.ItemFactory(category=world["ammo"].category)
        factories.GuidelineFactory(item=extra, minimum_quantity=100)
        stock_report_create(actor=CELL, nation=nation, item=extra, quantity=k * 20, as_of=dt.date(2024, 6, 1))
        stock_report_create(actor=CELL, nation=nation, item=world["ammo"], quantity=k * 2000, as_of=dt.date(2024, 6, 1))
    shortfalls_recompute()
    rows = selectors._results(scope=None, as_of=None)
    by_item, by_cell = defaultdict(list), defaultdict(list)
    category_of = dict(Item.objects.values_list("pk", "category_id"))
    for (n, i), r in rows.items():
        by_item[i].append(r)
        by_cell[(n, category_of[i])].append((i, r))
    for row in selectors.alliance_rollup(actor=CELL):
        expected = shortfalls.rollup(by_item[row.item_id])
        assert (row.total_shortfall, row.net_position, row.nations_below, row.nations_counted, row.statuses) == (
            expected.total_shortfall, expected.net_position, expected.nations_below, expected.nations_counted,
            expected.statuses)
    matrix = selectors.shortfall_matrix(actor=CELL)
    assert set(matrix.cells) == set(by_cell)
    for key, members in by_cell.items():
        expected = shortfalls.coverage_cell(members)
        cell = matrix.cells[key]
        assert (cell.coverage, cell.items_counted, cell.items_below) == (
            expected.coverage, expected.items_counted, expected.items_below)
