"""The lists that grow to millions of rows (stock reports, deliveries, pledges) page by cursor (keyset):
``next`` carries the last row's sort key; no count; the old ``?page=N`` answered up to 50, refused beyond
with a 400 that says to follow ``next``."""

import datetime as dt

import pytest

from coordination.access import CELL
from pledges.services import deliveries_bulk_create
from stockpiles.services import stock_reports_bulk_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(nations):
    items = [factories.ItemFactory(name=f"Keyset item {k}") for k in range(3)]
    rows = [{"item": item, "quantity": (k * 7 + i) % 5, "as_of": dt.date(2023, 1, 1) + dt.timedelta(days=k // 3)}
            for k in range(250) for i, item in [(k % 3, items[k % 3])]]
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=rows)
    return rows


def walk(client, url):
    seen, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert "count" not in body and body["previous"] is None
        seen += body["results"]
        url, pages = body["next"], pages + 1
        assert url is None or "cursor=" in url and "page=" not in url
    return seen, pages


@pytest.mark.parametrize("ordering", ["", "&ordering=quantity", "&ordering=-quantity", "&ordering=as_of",
                                      "&ordering=-created_at"])
def test_cursor_pages_are_complete_in_order_and_without_repeats(pol, reports, ordering):
    seen, pages = walk(pol, f"/api/v1/stock-reports/?page_size=40{ordering}")
    assert pages == 7  # 250 / 40
    ids = [r["id"] for r in seen]
    assert len(ids) == len(set(ids)) == 250
    everything = pol.get(f"/api/v1/stock-reports/?page_size=1000{ordering}").json()["results"]
    assert ids == [r["id"] for r in everything]  # the same order as one page of everything
    if not ordering:
        assert [(r["as_of"], r["id"]) for r in seen] == sorted(((r["as_of"], r["id"]) for r in seen), reverse=True)


def test_a_cursor_keeps_its_place_when_rows_are_added_before_it(pol, nations, reports):
    first = pol.get("/api/v1/stock-reports/?page_size=100&ordering=as_of").json()
    late_item = factories.ItemFactory(name="Added meanwhile")
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"],
                              rows=[{"item": late_item, "quantity": 1, "as_of": dt.date(2022, 1, 1)}])
    second = pol.get(first["next"]).json()  # a row added before the cursor does not shift the next page
    assert second["results"][0]["as_of"] >= first["results"][-1]["as_of"]
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}


def test_old_page_numbers_are_answered_up_to_fifty_then_refused(pol, reports):
    body = pol.get("/api/v1/stock-reports/?page=2&page_size=20").json()
    everything = pol.get("/api/v1/stock-reports/?page_size=1000").json()["results"]
    assert [r["id"] for r in body["results"]] == [r["id"] for r in everything[20:40]]
    assert "cursor=" in body["next"] and "page=" not in body["next"].replace("page_size", "")
    assert [r["id"] for r in pol.get(body["next"]).json()["results"]] == [r["id"] for r in everything[40:60]]
    response = pol.get("/api/v1/stock-reports/?page=51")
    assert response.status_code == 400
    message = response.json()["page"][0]
    assert "cursor pagination" in message and "'next'" in message
    assert pol.get("/api/v1/stock-reports/?page=2000").status_code == 400


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "eyJrIjpbMV19", "eyJvIjotMX0"])
def test_a_bad_cursor_is_a_400(pol, reports, cursor):
    response = pol.get(f"/api/v1/stock-reports/?cursor={cursor}")
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor: take it from a 'next' link, unchanged."]}
    assert pol.get("/api/v1/stock-reports/?cursor=%00").status_code == 400  # the guards' own message


def test_a_nation_pages_only_through_what_it_may_see(usa, pol, reports):
    seen, _pages = walk(usa, "/api/v1/stock-reports/?page_size=10")
    assert seen == []
    assert len(walk(pol, "/api/v1/stock-reports/?page_size=100")[0]) == 250


def test_deliveries_and_pledges_page_by_cursor_too(pol, nations):
    item = factories.ItemFactory(name="Paged pledges")
    pledges = [factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=100,
                                       announced_on=dt.date(2023, 1, 1) + dt.timedelta(days=k % 4),
                                       due_on=None if k % 3 else dt.date(2024, 1, 1)) for k in range(25)]
    deliveries_bulk_create(actor=CELL, rows=[{"pledge_id": p.pk, "quantity": 10} for p in pledges])
    for url in ("/api/v1/pledges/?page_size=7", "/api/v1/deliveries/?page_size=7",
                "/api/v1/pledges/?page_size=7&ordering=due_on"):  # an ordering on a date that may be empty
        seen, pages = walk(pol, url)
        assert pages == 4 and len({r["id"] for r in seen}) == 25


def test_the_schema_describes_the_cursor(pol):
    schema = pol.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/stock-reports/"]["get"]
    names = {p["name"]: p for p in operation["parameters"]}
    assert "cursor" in names and names["page"]["deprecated"] and names["page"]["schema"]["maximum"] == 50
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    ref = body["$ref"].rsplit("/", 1)[-1]
    assert "count" not in schema["components"]["schemas"][ref]["properties"]
