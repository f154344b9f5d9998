"""The stock-report changelist over millions of rows: an estimated count, newest entered first, a search
that looks the term up in the catalogue (indexed columns), a fixed number of queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.access import CELL
from coordination.admin_base import EstimatedCountPaginator
from stockpiles.models import StockReport
from stockpiles.services import stock_reports_bulk_create
from tests import factories
from tests.conftest import requires_postgres

pytestmark = pytest.mark.django_db

URL = reverse("admin:stockpiles_stockreport_changelist")


@pytest.fixture
def reports(nations):
    shell = factories.ItemFactory(name="155 mm HE projectile", nsn="1320012345678")
    missile = factories.ItemFactory(name="Patriot interceptor", nsn="1410098765432")
    for nation, item in ((nations["POL"], shell), (nations["USA"], missile)):
        stock_reports_bulk_create(actor=CELL, nation=nation, rows=[
            {"item": item, "quantity": k, "as_of": dt.date(2024, 1, 1) + dt.timedelta(days=k)} for k in range(5)])
    return {"shell": shell, "missile": missile}


def shown(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.context["cl"]


@pytest.mark.parametrize(("term", "expected"), [
    ("POL", {"POL"}), ("pol", {"POL"}), ("Unit", {"USA"}),            # nation code (exact), name start
    ("1320-01-234-5678", {"POL"}), ("1410098765432", {"USA"}),       # item NSN, with or without dashes
    ("155 mm", {"POL"}), ("patriot", {"USA"}),                        # item name start
    ("mm HE", set()), ("1320-01", set()),                             # the middle of a name, half an NSN
])
def test_search_names_nations_and_items_by_indexed_columns(coordinator_client, reports, term, expected):
    cl = shown(coordinator_client, q=term)
    assert {r.nation.code for r in cl.result_list} == expected
    assert all(r.nation.code in expected for r in cl.result_list)


def test_newest_entered_first_and_no_full_table_count(coordinator_client, reports):
    cl = shown(coordinator_client)
    ids = [r.pk for r in cl.result_list]
    assert ids == sorted(ids, reverse=True) and len(ids) == 10
    assert cl.show_full_result_count is False and cl.sortable_by == ()
    assert cl.result_count == 10


def test_changelist_query_count_does_not_grow(coordinator_client, nations, reports):
    coordinator_client.get(URL)  # warm

    def count(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert coordinator_client.get(URL, params).status_code == 200
        return len(ctx.captured_queries)

    few, few_search = count(), count(q="POL")
    items = [factories.ItemFactory(name=f"Item {k}") for k in range(30)]
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": item, "quantity": 1, "as_of": dt.date(2024, 2, 1)} for item in items])
    assert (count(), count(q="POL")) == (few, few_search)


@requires_postgres
def test_beyond_the_exact_limit_the_count_is_the_planners_estimate(reports, monkeypatch):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 3)
    connection.cursor().execute("ANALYZE stockpiles_stockreport")
    paginator = EstimatedCountPaginator(StockReport.objects.order_by("-pk"), 2)
    assert paginator.count >= 4 and getattr(paginator, "estimated", False)
    small = EstimatedCountPaginator(StockReport.objects.filter(nation__code="POL", quantity__lt=2).order_by("-pk"), 2)
    assert small.count == 2 and not getattr(small, "estimated", False)  # under the limit: exact
