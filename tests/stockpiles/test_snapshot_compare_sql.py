"""The snapshot comparison is computed in the database (a join of the two sides returning only the changed pairs,
largest change of shortfall first, with their count): it gives exactly what the Python diff of both sides' rows
gave, for every reason kind, against today and against another snapshot, for the cell and for a nation; the page
shows the largest changes with the total, the export every changed pair; the query counts are fixed."""

import csv
import dataclasses
import datetime as dt
import io

import pytest
from django.utils import timezone

from coordination.access import CELL, Scope
from coordination.models import Item, Nation
from pledges.services import delivery_create, pledge_create
from stockpiles import engine, services, shortfalls, snapshot_selectors
from stockpiles.models import Snapshot, SnapshotRow
from tests import factories
from tests.dashboard.test_query_counts import login

pytestmark = pytest.mark.django_db

D = dt.date
NAMES = ("Alpha", "Bravo", "Charlie", "Delta", "Echo")

# (nation, item) -> why it differs between the hand-built snapshot and today
EXPECTED = {
    ("USA", "Alpha"): (shortfalls.PLEDGE,),
    ("USA", "Bravo"): (shortfalls.DELIVERY,),
    ("USA", "Charlie"): (shortfalls.REPORT,),
    ("USA", "Delta"): (shortfalls.GUIDELINE,),
    ("USA", "Echo"): (shortfalls.PRODUCTION,),
    ("POL", "Alpha"): (shortfalls.CONTRACT,),
    ("POL", "Bravo"): (shortfalls.DATE_MOVED,),
    ("POL", "Charlie"): (shortfalls.NEW_PAIR,),
    ("POL", "Delta"): (shortfalls.PLEDGE, shortfalls.DELIVERY),  # only the quantity pledged differs
    ("UKR", "Alpha"): (shortfalls.PAIR_GONE,),
}


@pytest.fixture
def world(nations, django_capture_on_commit_callbacks):
    """Five items, alliance guideline 100 each; the USA reports 60 of each (a production rate on Bravo, a
    national-stock pledge of 30 Alpha, 10 shipped), Poland 150 of each but Echo (a no_report row). Then a
    snapshot built by hand from today's frozen figures, each changed pair moved by one input (``EXPECTED``)."""
    today = timezone.localdate()
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    items = {name: factories.ItemFactory(name=name) for name in NAMES}
    with django_capture_on_commit_callbacks(execute=True):
        for item in items.values():
            factories.GuidelineFactory(item=item, minimum_quantity=100, effective_from=D(2020, 1, 1))
        factories.ProductionRateFactory(nation=usa, item=items["Bravo"], units_per_month=10)
        for name, item in items.items():
            services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=60,
                                         as_of=today - dt.timedelta(days=5))
            if name != "Echo":
                services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=150,
                                             as_of=today - dt.timedelta(days=5))
        pledge = pledge_create(actor=CELL, donor=usa, recipient=ukr, item=items["Alpha"], quantity=30,
                               announced_on=D(2024, 2, 1), due_on=D(2024, 12, 31), source="national_stock",
                               status="committed", releasability="alliance")
        delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=10, status="in_transit", shipped_on=D(2024, 4, 1))
    engine.shortfalls_recompute(pairs=None)  # the guidelines came in without a service

    now = snapshot_selectors.pairs_frozen()
    code = {n.pk: n.code for n in nations.values()}
    name = {i.pk: i.name for i in items.values()}
    by_name = {(code[n], name[i]): f for (n, i), f in now.items()}
    assert len(by_name) == 10 and by_name[("USA", "Alpha")].pledged == 30
    assert by_name[("POL", "Echo")].figures[0] == shortfalls.NO_REPORT

    def moved(key, shortfall_by=0, **changes):
        f = dict(zip(shortfalls.VERSION_FIGURES, by_name[key].figures, strict=True))
        extra = {k: changes.pop(k) for k in ("reported_on", "pledged") if k in changes}
        f.update(changes)
        f["shortfall"] += shortfall_by
        pair = dataclasses.replace(by_name[key], figures=tuple(f.values()))
        return dataclasses.replace(pair, **extra)

    usa_alpha = by_name[("USA", "Alpha")]
    owed = dict(zip(shortfalls.VERSION_FIGURES, usa_alpha.figures, strict=True))["owed"]
    before = dict(by_name)
    before.update({
        ("USA", "Alpha"): moved(("USA", "Alpha"), 40, owed=owed - 10, pledged=20),  # 10 less pledged
        ("USA", "Bravo"): moved(("USA", "Bravo"), -40, owed=owed + 5),  # a tie with Alpha: by item name
        ("USA", "Charlie"): moved(("USA", "Charlie"), 5, on_hand=70, reported_on=today - dt.timedelta(days=40)),
        ("USA", "Delta"): moved(("USA", "Delta"), 50, guideline=150),
        ("USA", "Echo"): moved(("USA", "Echo"), 0, rate=3),  # no change of shortfall: last
        ("POL", "Alpha"): moved(("POL", "Alpha"), 7, contracted_inflow=9),
        ("POL", "Bravo"): moved(("POL", "Bravo"), 12, months_to_recover=2),
        ("POL", "Delta"): moved(("POL", "Delta"), 0, pledged=7),
        ("UKR", "Alpha"): moved(("USA", "Alpha"), 25),  # only in the snapshot
    })
    del before[("POL", "Charlie")]  # only today
    nation_of = {c: n for n, c in code.items()}
    item_of = {v: k for k, v in name.items()}
    snapshot = Snapshot.objects.create(name="By hand", as_of=today - dt.timedelta(days=30), taken_at=timezone.now())
    SnapshotRow.objects.bulk_create([
        SnapshotRow(snapshot=snapshot, nation_id=nation_of[c], item_id=item_of[i], reported_on=f.reported_on,
                    pledged=f.pledged, **dict(zip(shortfalls.VERSION_FIGURES, f.figures, strict=True)))
        for (c, i), f in before.items()
    ])
    return {"snapshot": snapshot, "nations": nations, "items": items}


def python_diff(scope, a, b):
    """The comparison as it was computed before: both sides' rows read into Python and diffed there."""
    before = snapshot_selectors.snapshot_pairs(actor=scope, snapshot=a)
    after = (snapshot_selectors.snapshot_pairs(actor=scope, snapshot=b) if b is not None
             else snapshot_selectors.pairs_frozen(scope=scope))
    nations = {n.pk: n.code for n in Nation.objects.all()}
    items = {i.pk: i.name for i in Item.objects.all()}
    out = []
    for pair in before.keys() | after.keys():
        x, y = before.get(pair), after.get(pair)
        if x == y:
            continue
        delta = (y.figures[5] if y else 0) - (x.figures[5] if x else 0)
        out.append((nations[pair[0]], items[pair[1]], x.figures if x else None, y.figures if y else None,
                    shortfalls.change_reasons(x, y), delta))
    out.sort(key=lambda r: (-abs(r[5]), r[0], r[1]))
    return out


def sql_diff(comparison):
    return [(c.nation.code, c.item.name, shortfalls.figures_of(c.before) if c.before else None,
             shortfalls.figures_of(c.after) if c.after else None, c.reasons, c.shortfall_delta)
            for c in comparison.changes]


def test_the_sql_diff_equals_the_python_diff_for_every_reason(world, nations, django_assert_max_num_queries):
    a = world["snapshot"]
    with django_assert_max_num_queries(3):  # the changed pairs and their count; nations; items
        today = snapshot_selectors.snapshot_compare(actor=CELL, a=a, b=None)
    assert sql_diff(today) == python_diff(CELL, a, None)
    assert {(c.nation.code, c.item.name): c.reasons for c in today.changes} == EXPECTED
    assert today.total == len(today.changes) == len(EXPECTED)
    assert [(c.nation.code, c.item.name, abs(c.shortfall_delta)) for c in today.changes] == [
        ("UKR", "Alpha", 85), ("USA", "Delta", 50), ("USA", "Alpha", 40), ("USA", "Bravo", 40), ("POL", "Bravo", 12),
        ("POL", "Alpha", 7), ("USA", "Charlie", 5), ("POL", "Charlie", 0), ("POL", "Delta", 0),
        ("USA", "Echo", 0)]
    assert all(type(c.before.not_recovering) is bool for c in today.changes if c.before)
    gone = next(c for c in today.changes if c.reasons == (shortfalls.PAIR_GONE,))
    assert gone.after is None and gone.shortfall_delta == -gone.before.shortfall

    frozen_now = services.snapshot_create(actor=CELL, name="Now")  # the same figures as today
    with django_assert_max_num_queries(3):
        two = snapshot_selectors.snapshot_compare(actor=CELL, a=a, b=frozen_now)
    assert sql_diff(two) == sql_diff(today) == python_diff(CELL, a, frozen_now)
    assert snapshot_selectors.snapshot_compare(actor=CELL, a=frozen_now, b=None).changes == []
    assert snapshot_selectors.snapshot_compare(actor=CELL, a=a, b=a).total == 0

    for code, expected in (("POL", {"Alpha", "Bravo", "Charlie", "Delta"}), ("USA", set(NAMES))):
        scope = Scope(nation_id=nations[code].pk, nation_code=code, nation_role="ally")
        with django_assert_max_num_queries(3):
            own = snapshot_selectors.snapshot_compare(actor=scope, a=a, b=None)
        assert sql_diff(own) == python_diff(scope, a, None)
        assert {c.nation.code for c in own.changes} == {code} and {c.item.name for c in own.changes} == expected


def test_the_first_changes_and_the_total(world):
    a = world["snapshot"]
    every = snapshot_selectors.snapshot_compare(actor=CELL, a=a, b=None)
    first = snapshot_selectors.snapshot_compare(actor=CELL, a=a, b=None, limit=4)
    assert first.changes == every.changes[:4] and first.total == len(EXPECTED)


def test_the_page_shows_the_largest_changes_and_the_export_has_them_all(
        world, client, coordinator, polish_officer, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr("web.dashboard.snapshots.COMPARE_PAGE", 4)
    a = world["snapshot"]
    login(client, coordinator)
    with django_assert_max_num_queries(6):  # the floor's 2; the snapshots; the changed pairs; nations; items
        page = client.get("/snapshots/compare/", {"a": a.pk, "b": "today"})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-changed="10"' in html and "10 pairs changed." in html
    assert "Showing 4 of 10; the export has them all." in html
    assert html.count("<tr>") == 1 + 4  # the header and the largest four
    exported = client.get("/snapshots/compare/", {"a": a.pk, "b": "today", "export": "csv", "table": "changes"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(EXPECTED)
    assert {(r[0], r[1]) for r in rows[1:]} == {
        ({"USA": "United States", "POL": "Poland", "UKR": "Ukraine"}[n], i) for n, i in EXPECTED}

    client.logout()
    login(client, polish_officer)
    with django_assert_max_num_queries(6):
        own = client.get("/snapshots/compare/", {"a": a.pk, "b": "today"})
    html = own.content.decode()
    assert 'data-changed="4"' in html and "Showing" not in html and "United States" not in html
    assert html.count("<tr>") == 1 + 4
    rows = list(csv.reader(io.StringIO(client.get("/snapshots/compare/", {
        "a": a.pk, "b": "today", "export": "csv", "table": "changes"}).content.decode("utf-8-sig"))))
    assert sorted(r[1] for r in rows[1:]) == ["Alpha", "Bravo", "Charlie", "Delta"]
    assert {r[0] for r in rows[1:]} == {"Poland"}
