"""Who has not reported is visible: an alliance-wide guideline applies to every ally unless the ally has its
own guideline for the item (0 = not held, not expected); such a pair gets a no_report row, on the incremental
path and the full recompute alike, and counts as not reporting in the roll-up and the heat map."""

import datetime as dt

import pytest

from coordination.access import CELL
from stockpiles import engine, selectors, services
from stockpiles.models import Shortfall
from tests import factories

pytestmark = pytest.mark.django_db

COMPARED = ("nation_id", "item_id", *engine.RESULT_COLUMNS)


def rows():
    return sorted(Shortfall.objects.order_by().values_list(*COMPARED))


def test_allies_under_the_alliance_guideline_get_no_report_rows(nations, item, today,
                                                                django_capture_on_commit_callbacks):
    pol, usa, ukr = nations["POL"], nations["USA"], nations["UKR"]
    deu = factories.NationFactory(code="DEU", name="Germany")
    partner = factories.NationFactory(code="SWE", name="Sweden partner", role="partner")
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=500, as_of=today)
    assert not Shortfall.objects.exclude(nation=pol).exists()  # no guideline yet: nobody is expected

    with django_capture_on_commit_callbacks(execute=True):  # the guideline's write marks every ally
        services.guideline_saved(guideline=factories.GuidelineFactory(item=item, nation=None, minimum_quantity=1_000))
        services.guideline_saved(guideline=factories.GuidelineFactory(item=item, nation=deu, minimum_quantity=0))
    status = {code: row for code, row in Shortfall.objects.values_list("nation__code", "status")}
    # USA: an ally, never reported. DEU: its own guideline of 0 (not held). UKR, SWE: not allies.
    assert status == {"POL": "below_guideline", "USA": "no_report"}
    assert ukr.role == "recipient" and partner.role == "partner"
    incremental = rows()
    engine.shortfalls_recompute(pairs=None)
    assert rows() == incremental  # the full recompute gives the same rows

    [rollup] = selectors.alliance_rollup(actor=CELL)
    assert (rollup.nations_not_reporting, rollup.nations_below, rollup.nations_counted) == (1, 1, 1)
    matrix = selectors.shortfall_matrix(actor=CELL)
    assert matrix.cell(usa.pk, item.category_id).items_not_reported == 1
    past = selectors.alliance_rollup(actor=CELL, as_of=today - dt.timedelta(days=1))
    assert past[0].nations_not_reporting == 2  # yesterday neither POL nor USA had reported

    with django_capture_on_commit_callbacks(execute=True):  # USA reports: its row counts from now on
        services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=2_000, as_of=today)
    assert Shortfall.objects.get(nation=usa).status == "ok"


def test_the_engine_stays_at_a_fixed_number_of_queries_for_many_silent_allies(nations):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    items = [factories.ItemFactory(name=f"Item {k}") for k in range(40)]
    for it in items:
        factories.GuidelineFactory(item=it, minimum_quantity=10)
    counts = []
    for more in (5, 25):
        for _ in range(more):
            factories.NationFactory()
        with CaptureQueriesContext(connection) as queries:
            engine.shortfalls_recompute(pairs=None)
        # The store's upsert goes in batches (SQLite: its parameter limit; PostgreSQL: COPY): not per pair.
        counts.append(sum(not q["sql"].startswith("INSERT INTO") for q in queries))
    assert counts[0] == counts[1]  # no query per pair: the same count for 7 x 40 and 32 x 40 pairs
    assert Shortfall.objects.filter(status="no_report").count() == (2 + 30) * 40
