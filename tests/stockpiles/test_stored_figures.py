"""One read of the stored figures per request (``selectors.stored_figures``) gives every table what its own
reads gave: the heat map, the roll-up and its categories, the largest shortfalls, the reporting counts, the
freshness answers and the item projection, today, on a past date and in a frozen snapshot, for the cell and
for a nation (whose rows only it sees)."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from coordination.access import CELL, Scope
from coordination.models import Item
from coordination.selectors import nations_by_id
from stockpiles import engine, procurement, procurement_selectors, selectors
from stockpiles.reporting import nations_with_last_report, reporting_by_nation
from stockpiles.services import snapshot_create
from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

PAST = dt.date(2025, 6, 1)


@pytest.fixture
def world(nations):
    demo = scenario.build(nations)
    demo.update(scenario.procurement(nations, demo))
    scenario.bulk(nations, extra_nations=4)
    engine.shortfall_history_rebuild_locked()
    demo["snapshot"] = snapshot_create(actor=CELL, name="W23", as_of=PAST)
    return demo


def readers(nations):
    pol = nations["POL"]
    return [CELL, Scope(nation_id=pol.pk, nation_code="POL", nation_role="ally")]


def cells(matrix):
    return ([n.pk for n in matrix.nations], [(c.pk, c.name) for c in matrix.categories],
            {k: (round(v.coverage, 9) if v.coverage is not None else None, v.items_counted, v.items_below,
                 v.items_not_reported) for k, v in matrix.cells.items()})


@pytest.mark.parametrize("when", ["today", "past", "snapshot"])
def test_one_read_gives_what_each_table_read(world, nations, when, django_assert_max_num_queries):
    as_of = None if when == "today" else PAST
    snapshot_id = world["snapshot"].pk if when == "snapshot" else None
    everyone = nations_by_id()
    with django_assert_max_num_queries(1):
        stored = selectors.stored_figures(as_of=as_of, snapshot_id=snapshot_id)
    for scope in readers(nations):
        own = selectors.alliance_rollup(actor=scope, as_of=as_of, snapshot_id=snapshot_id)
        with django_assert_max_num_queries(0 if scope.is_cell else 2):  # a nation: the pledges it may not see
            shared = selectors.alliance_rollup(actor=scope, stored=stored)
        assert shared == own
        with django_assert_max_num_queries(0):
            by_category = selectors.shortfall_by_category(actor=scope, rollup=shared)
            matrix = selectors.shortfall_matrix(actor=scope, nations=everyone, stored=stored)
            largest = selectors.stored_shortfall_rows(actor=scope, stored=stored, nations=everyone, below_only=True)
        assert by_category == selectors.shortfall_by_category(actor=scope, rollup=own)
        assert cells(matrix) == cells(selectors.shortfall_matrix(actor=scope, as_of=as_of, nations=everyone,
                                                                 snapshot_id=snapshot_id))
        expected = [(r.nation.pk, r.item.pk, r.item.name, r.item.category.name, r.result.shortfall)
                    for r in selectors.shortfalls_as_of(actor=scope, as_of=as_of or dt.date.today(),
                                                        snapshot_id=snapshot_id)
                    if r.result.status == "below_guideline"]
        assert [(r.nation.pk, r.item.pk, r.item.name, r.item.category.name, r.result.shortfall)
                for r in largest] == expected
        assert {r.nation.pk for r in largest} <= ({nations["POL"].pk} if not scope.is_cell else set(everyone))


@pytest.mark.parametrize("as_of", [None, PAST])
def test_reporting_from_the_one_read(world, nations, as_of, django_assert_max_num_queries):
    stored = selectors.stored_figures(as_of=as_of)
    for scope in readers(nations):
        with django_assert_max_num_queries(1):  # every nation, with its last report the reader may see
            named = nations_with_last_report(actor=scope, as_of=as_of)
        with django_assert_max_num_queries(0):
            shared = reporting_by_nation(actor=scope, as_of=as_of, stored=stored, nations=named)
        assert shared == reporting_by_nation(actor=scope, as_of=as_of)
        others = [n for pk, n in named.items() if pk != scope.nation_id and n.last_report is not None]
        assert scope.is_cell or not others  # another nation's reporting stays its own business


def test_freshness_from_the_one_read(world, django_assert_max_num_queries):
    stored = selectors.stored_figures()
    assert stored.last_computed == selectors.shortfalls_last_computed()
    expected = selectors.shortfalls_are_stale(last_computed=stored.last_computed)
    with django_assert_max_num_queries(0):
        assert stored.stale == expected


def test_items_read_alone_are_named_as_the_one_read_joins_them(world, django_assert_max_num_queries):
    """``stored_items`` (the items a page shows without a stored row, e.g. the procurement demand's) gives the
    same ``StoredItem`` as ``stored_figures``' join: the same columns in the same order."""
    shell = world["shell"]
    shell.name_fr = "Obus de 155 mm"
    shell.save()
    stored = selectors.stored_figures()
    assert shell.pk in stored.items and stored.items[shell.pk].name_fr == "Obus de 155 mm"
    assert any(item.unit_value_eur is not None for item in stored.items.values())
    with django_assert_max_num_queries(1):
        alone = selectors.stored_items(stored.items)
    assert alone == stored.items
    with django_assert_max_num_queries(0):
        assert selectors.stored_items([]) == {}


@pytest.mark.parametrize("as_of", [None, PAST])
def test_the_item_projection_from_the_one_read_is_the_engine_s(world, nations, as_of, django_assert_max_num_queries):
    shell = world["shell"]
    stored = selectors.stored_figures(as_of=as_of, item_ids=[shell.pk])
    everyone = nations_by_id()
    for scope in readers(nations):
        with django_assert_max_num_queries(1):  # the schedule lines the reader may see
            shared = procurement_selectors.item_projection_stored(actor=scope, item=shell, stored=stored,
                                                                  nations=everyone)
        engine_rows = procurement_selectors.item_projection(actor=scope, item=shell, as_of=as_of)

        def key(rows):
            return [(p.nation_id, p.nation_code, p.result.shortfall, p.result.status, p.points,
                     p.months_without_contracts, p.recovers_on_without_contracts) for p in rows]

        assert key(shared) == key(engine_rows)
        if scope.is_cell and as_of is None:  # the USA call-off's schedule is in it
            assert any(pt.contracted for p in shared for pt in p.points)


@pytest.mark.parametrize("grouping_sets", [True, False], ids=["grouping-sets", "orm-union"])
@pytest.mark.parametrize("when", ["today", "past", "snapshot"])
def test_the_cells_sums_give_what_every_pair_gives(world, nations, when, grouping_sets, monkeypatch,
                                                   django_assert_max_num_queries):
    """The cell's pages read the database's sums (``stored_summary``, one statement) instead of every pair: the
    roll-up, the categories, the heat map, the reporting counts, the largest rows and the freshness answers are
    the same as from every pair (``stored_figures``). On PostgreSQL both of its paths: one scan by ``GROUPING
    SETS`` and the ORM's two groupings (SQLite's)."""
    if grouping_sets and connection.vendor != "postgresql":
        pytest.skip("GROUPING SETS: the PostgreSQL path")
    monkeypatch.setattr(selectors, "GROUPING_SETS", grouping_sets)
    as_of = None if when == "today" else PAST
    snapshot_id = world["snapshot"].pk if when == "snapshot" else None
    everyone = nations_with_last_report(actor=CELL, as_of=as_of)
    stored = selectors.stored_figures(as_of=as_of, snapshot_id=snapshot_id)
    with django_assert_max_num_queries(1):
        summary = selectors.stored_summary(as_of=as_of, snapshot_id=snapshot_id)
    assert summary.by_item and summary.by_nation_category  # the scenario has rows on every date
    with django_assert_max_num_queries(0):
        rollup = selectors.alliance_rollup(actor=CELL, summary=summary)
        matrix = selectors.shortfall_matrix(actor=CELL, nations=everyone, summary=summary)
        reporting = reporting_by_nation(actor=CELL, as_of=as_of, summary=summary, nations=everyone)
    assert rollup == selectors.alliance_rollup(actor=CELL, stored=stored)
    assert selectors.shortfall_by_category(actor=CELL, rollup=rollup) == selectors.shortfall_by_category(
        actor=CELL, rollup=selectors.alliance_rollup(actor=CELL, stored=stored))
    assert cells(matrix) == cells(selectors.shortfall_matrix(actor=CELL, nations=everyone, stored=stored))
    assert reporting == reporting_by_nation(actor=CELL, as_of=as_of, stored=stored, nations=everyone)
    assert (summary.last_computed, summary.stale) == (stored.last_computed, stored.stale)
    for limit in (None, 3):
        with django_assert_max_num_queries(1):
            largest = selectors.largest_stored_rows(actor=CELL, nations=everyone, as_of=as_of,
                                                    snapshot_id=snapshot_id, limit=limit)
        expected = selectors.stored_shortfall_rows(actor=CELL, stored=stored, nations=everyone, below_only=True,
                                                   limit=limit)
        assert [(r.nation.pk, r.item.pk, r.item.name, r.result) for r in largest] == [
            (r.nation.pk, r.item.pk, r.item.name, r.result) for r in expected]
        assert when != "today" or len(largest) > (1 if limit is None else 2)  # the scenario's rows below today
    with django_assert_max_num_queries(1):
        with_rows = selectors.stored_summary(as_of=as_of, snapshot_id=snapshot_id, largest=3)
    assert [(r.nation.pk, r.item.pk, r.item.name, r.result) for r in selectors.largest_of_summary(with_rows, everyone)
            ] == [(r.nation.pk, r.item.pk, r.item.name, r.result) for r in selectors.stored_shortfall_rows(
                actor=CELL, stored=stored, nations=everyone, below_only=True, limit=3)]
    assert (with_rows.by_item, with_rows.by_nation_category, with_rows.reporting) == (
        summary.by_item, summary.by_nation_category, summary.reporting)


def test_a_nations_largest_rows_are_its_own(world, nations):
    pol = Scope(nation_id=nations["POL"].pk, nation_code="POL", nation_role="ally")
    everyone = nations_with_last_report(actor=CELL)
    rows = selectors.largest_stored_rows(actor=pol, nations=everyone)
    assert {r.nation.pk for r in rows} <= {nations["POL"].pk}
    assert [r.result for r in rows] == [r.result for r in selectors.stored_shortfall_rows(
        actor=pol, stored=selectors.stored_figures(), nations=everyone, below_only=True)]


@pytest.mark.parametrize("when", ["today", "past", "past-short"])
def test_the_cells_demand_sums_give_what_every_pair_gives(world, nations, when, django_assert_max_num_queries):
    """The cell's procurement demand reads its nations' shortfalls summed by the database
    (``nation_shortfall_totals``) instead of every pair's position: per item, the same Σ shortfall and
    nations short as ``procurement.nation_shortfalls`` over each nation's position (``nation_positions``)."""
    as_of = {"today": None, "past": PAST, "past-short": timezone.localdate() - dt.timedelta(days=10)}[when]
    positions = selectors.nation_positions(as_of=as_of)
    expected = {item_id: procurement.nation_shortfalls(by_nation.values()) for item_id, by_nation in positions.items()}
    assert expected and (when == "past" or any(t.short for t in expected.values()))
    with django_assert_max_num_queries(1):
        totals, items = selectors.nation_shortfall_totals(as_of=as_of)
    assert totals == expected
    assert items == selectors.stored_items(Item.objects.values_list("pk", flat=True))  # every item, named
    some = sorted(expected)[:2]
    assert selectors.nation_shortfall_totals(as_of=as_of, item_ids=some) == (
        {i: expected[i] for i in some}, selectors.stored_items(some))
    rows = procurement_selectors.procurement_overview(actor=CELL, as_of=as_of)
    assert rows and {r.item_id: (r.nation_shortfall, r.nations_short) for r in rows} == {
        item_id: (expected[item_id].total, expected[item_id].short) if item_id in expected else (0, 0)
        for item_id in (r.item_id for r in rows)}
