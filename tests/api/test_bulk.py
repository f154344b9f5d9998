"""Bulk writes: a week of stock reports in one request, all or nothing, errors per row index, fixed query count."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coordination.access import CELL
from coordination.models import ApiToken
from pledges.models import Delivery, Pledge
from pledges.services import delivery_create
from stockpiles.models import CurrentStock, ShortfallMark, StockReport
from stockpiles.services import stock_report_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(db):
    return [factories.ItemFactory(name=f"Item {n}", nsn=f"13200123456{n:02d}") for n in range(3)]


def week(items, today, *, start_quantity=1000):
    return [
        {"item": item.pk, "quantity": start_quantity - 10 * day + i, "as_of": str(today - dt.timedelta(days=6 - day))}
        for day in range(7) for i, item in enumerate(items)
    ]


def test_a_week_of_stock_reports_in_one_request(pol, nations, items, today):
    rows = week(items, today)
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["count"] == 21
    assert [r["quantity"] for r in body["results"][:3]] == [1000, 1001, 1002]
    assert {r["nation"] for r in body["results"]} == {"POL"}
    assert StockReport.objects.filter(nation=nations["POL"]).count() == 21
    # CurrentStock holds the latest (today's) report of each item: 1000 - 60 + i.
    current = dict(CurrentStock.objects.filter(nation=nations["POL"]).values_list("item_id", "quantity"))
    assert current == {items[0].pk: 940, items[1].pk: 941, items[2].pk: 942}
    assert CurrentStock.objects.filter(as_of=today).count() == 3


def test_items_by_nsn_in_either_form(pol, items, today):
    response = pol.post("/api/v1/stock-reports/bulk/", [
        {"item": "1320012345600", "quantity": 5, "as_of": str(today)},
        {"item": "1320-01-234-5601", "quantity": 6, "as_of": str(today)},
        {"item": str(items[2].pk), "quantity": 7, "as_of": str(today)},
    ], format="json")
    assert response.status_code == 201, response.content
    assert [r["item"] for r in response.json()["results"]] == [i.pk for i in items]


def test_all_or_nothing_with_errors_per_row(pol, nations, items, today):
    stock_report_create(actor=CELL, nation=nations["POL"], item=items[1], quantity=1, as_of=dt.date(2024, 1, 1))
    good = {"item": items[0].pk, "quantity": 5, "as_of": "2024-02-01"}
    rows = [
        good,                                                               # 0 fine
        {"item": items[0].pk, "quantity": -1, "as_of": "2024-02-02"},       # 1 negative
        {"item": items[0].pk, "quantity": 5, "as_of": "2024-02-03"},        # 2 fine
        {"item": items[0].pk, "quantity": 5, "as_of": str(today + dt.timedelta(days=1))},  # 3 future
        {"item": "1320-01-234", "quantity": 5, "as_of": "2024-02-04"},      # 4 malformed NSN
        {"item": 999999, "quantity": 5, "as_of": "2024-02-05"},             # 5 unknown item
        dict(good),                                                         # 6 duplicate of row 0
        {"item": items[0].pk, "quantity": "ten", "as_of": "2024-02-06"},    # 7 wrong type
        {"item": items[1].pk, "quantity": 5, "as_of": "2024-01-01"},        # 8 already reported
        "not an object",                                                    # 9
    ]
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 400, response.content
    # Every row's errors at once: type errors from parsing, domain errors from the service.
    errors = response.json()["errors"]
    assert sorted(errors, key=int) == ["1", "3", "4", "5", "6", "7", "8", "9"]
    assert errors["1"] == {"quantity": ["The quantity on hand cannot be negative."]}
    assert "future" in errors["3"]["as_of"][0]
    assert errors["4"]["item"][0].startswith("Give an item id")
    assert errors["5"] == {"item": ["Unknown item (id 999999)."]}
    assert errors["6"] == {"as_of": ["Duplicate of row 0: one report per item and day."]}
    assert "quantity" in errors["7"]
    assert "already reported" in errors["8"]["as_of"][0]
    assert errors["9"] == {"non_field_errors": ["Each row must be a JSON object."]}
    assert StockReport.objects.count() == 1
    assert not ShortfallMark.objects.filter(item=items[0]).exists()

    # Only type errors left: still nothing written (the service's valid write is rolled back).
    good_rows = [rows[0], rows[2], {"item": items[2].pk, "quantity": 1, "as_of": "2024-03-01"}, "oops"]
    response = pol.post("/api/v1/stock-reports/bulk/", good_rows, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["3"]
    assert StockReport.objects.count() == 1
    assert not ShortfallMark.objects.filter(item=items[0]).exists()


@pytest.mark.parametrize("body,message", [
    ({"item": 1, "quantity": 1, "as_of": "2024-01-01"}, "Send a JSON list of rows."),
    ([], "Send at least one row."),
    ("text", "Send a JSON list of rows."),
])
def test_body_must_be_a_list_of_rows(pol, body, message):
    response = pol.post("/api/v1/stock-reports/bulk/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": [message]}


def test_more_than_10000_rows_are_refused(pol, items):
    rows = [{"item": items[0].pk, "quantity": 1, "as_of": "2024-01-01"}] * 10_001
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["At most 10000 rows per request; got 10001."]}
    assert not StockReport.objects.exists()


def test_the_cell_names_one_nation_per_bulk_request(cell, nations, items):
    rows = [{"nation": "POL", "item": items[0].pk, "quantity": 1, "as_of": "2024-01-01"},
            {"nation": "USA", "item": items[0].pk, "quantity": 1, "as_of": "2024-01-01"}]
    assert cell.post("/api/v1/stock-reports/bulk/", rows, format="json").status_code == 400
    assert cell.post("/api/v1/stock-reports/bulk/", rows[:1], format="json").status_code == 201
    assert cell.post("/api/v1/stock-reports/bulk/", [{"item": items[0].pk, "quantity": 1, "as_of": "2024-01-02"}],
                     format="json").json() == {"nation": ["The cell must name the reporting nation (its code)."]}


def _queries(client, rows) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 201, response.content
    return len(ctx.captured_queries)


def test_stock_report_bulk_has_no_per_row_queries(pol, today):
    many = [factories.ItemFactory(name=f"Bulk item {n}") for n in range(60)]
    # token, last-used, items, 3 savepoints (write, bulk, service), duplicates, insert, history insert,
    # current stock lock + upsert, marks, the marks' history_from (one per report date before today: the
    # history is corrected from there, docs/history.md), 3 releases (the history rows carry the token's
    # attribution as written)
    small = _queries(pol, [{"item": i.pk, "quantity": 1, "as_of": "2024-01-01"} for i in many[:3]])
    assert small == 16
    # 300 rows: the same statements; only the inserts are split into batches (SQLite's parameter limit), and
    # one history_from update per past date (4 here), never per row.
    large = _queries(pol, [{"item": i.pk, "quantity": 2, "as_of": str(today - dt.timedelta(days=d))}
                           for i in many for d in range(5)])
    assert large <= 24, large


def test_ten_thousand_rows_in_one_request(pol, nations, today):
    items = [factories.ItemFactory(name=f"Big item {n}") for n in range(100)]
    rows = [{"item": i.pk, "quantity": d, "as_of": str(today - dt.timedelta(days=d))}
            for i in items for d in range(100)]
    assert len(rows) == 10_000
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 201
    assert response.json()["count"] == 10_000
    assert StockReport.objects.filter(nation=nations["POL"]).count() == 10_000
    assert CurrentStock.objects.filter(nation=nations["POL"], quantity=0, as_of=today).count() == 100
    history = StockReport.history.filter(nation=nations["POL"])
    assert history.count() == 10_000 and set(history.values_list("history_type", flat=True)) == {"+"}
    token = ApiToken.objects.get(name="POL logistics")
    reasons = set(history.values_list("history_change_reason", flat=True))
    assert reasons == {f"API token #{token.pk} 'POL logistics' (POL)"}


def test_the_bulk_answer_is_the_serializers_output(pol, nations, items, today):
    from stockpiles.api.serializers import StockReportSerializer

    response = pol.post("/api/v1/stock-reports/bulk/", week(items, today), format="json")
    assert response.status_code == 201
    stored = StockReport.objects.filter(nation=nations["POL"]).select_related("nation", "item").order_by("pk")
    assert sorted(response.json()["results"], key=lambda r: r["id"]) == StockReportSerializer(stored, many=True).data
    assert {r["item_nsn"] for r in response.json()["results"]} == {i.nsn for i in items}


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")
def test_copy_insert_writes_what_the_orm_insert_writes(nations, items, today, monkeypatch, coordinator):
    """From COPY_INSERT_MIN_ROWS rows PostgreSQL takes COPY: the same reports, history, current stock and
    marks as the ORM path below it, ids from the table's sequence (later inserts do not collide)."""
    from stockpiles import services

    def rows(offset):
        return [{"item": item, "quantity": 100 + d + offset, "as_of": today - dt.timedelta(days=d)}
                for item in items for d in range(200)]

    def state(nation):
        reports = list(StockReport.objects.filter(nation=nation).order_by("item_id", "as_of")
                       .values_list("item_id", "as_of", "quantity", "reported_by_id"))
        history = list(StockReport.history.filter(nation=nation).order_by("item_id", "as_of").values_list(
            "item_id", "as_of", "quantity", "history_type", "history_user_id", "history_change_reason"))
        current = list(CurrentStock.objects.filter(nation=nation).order_by("item_id")
                       .values_list("item_id", "quantity", "as_of"))
        marks = set(ShortfallMark.objects.filter(nation=nation).values_list("item_id", flat=True))
        return reports, history, current, marks

    assert len(rows(0)) >= services.COPY_INSERT_MIN_ROWS
    pol, usa = nations["POL"], nations["USA"]
    reason = "a {reason}\twith\\ a tab,\na break and é"  # COPY's text format escapes the first three
    copied = services.stock_reports_bulk_create(actor=CELL, nation=pol, rows=rows(0), user=coordinator,
                                                change_reason=reason)
    monkeypatch.setattr(services, "COPY_INSERT_MIN_ROWS", 10**9)
    inserted = services.stock_reports_bulk_create(actor=CELL, nation=usa, rows=rows(0), user=coordinator,
                                                  change_reason=reason)
    copy_state, orm_state = state(pol), state(usa)
    assert copy_state == orm_state and len(copy_state[0]) == 600
    assert copy_state[1][0][4:] == (coordinator.pk, reason)
    for report in copied:  # what the caller gets back: saved instances with their ids and times
        assert report.pk and report.created_at and not report._state.adding
    assert {r.pk for r in copied} == set(StockReport.objects.filter(nation=pol).values_list("pk", flat=True))
    assert min(r.pk for r in inserted) > max(r.pk for r in copied)
    one = stock_report_create(actor=CELL, nation=pol, item=items[0], quantity=1, as_of=today - dt.timedelta(days=500))
    assert one.pk > max(r.pk for r in inserted)


# --- Deliveries ----------------------------------------------------------------------------------

def test_delivery_bulk_counts_earlier_rows_against_what_is_left(pol, nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    response = pol.post("/api/v1/deliveries/bulk/", [
        {"pledge": pledge.pk, "quantity": 60, "status": "delivered", "delivered_on": "2024-02-01"},
        {"pledge": pledge.pk, "quantity": 50},
    ], format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "1": {"quantity": ["Only 40 of the 100 pledged are left to deliver on this pledge."]}
    }
    assert not Delivery.objects.exists()

    response = pol.post("/api/v1/deliveries/bulk/", [
        {"pledge": pledge.pk, "quantity": 60, "status": "delivered", "delivered_on": "2024-02-01"},
        {"pledge": pledge.pk, "quantity": 40, "status": "in_transit", "shipped_on": "2024-02-10"},
    ], format="json")
    assert response.status_code == 201, response.content
    assert [d["quantity"] for d in response.json()["results"]] == [60, 40]
    pledge.refresh_from_db()
    assert (pledge.allocated_quantity, pledge.shipped_quantity, pledge.delivered_quantity) == (100, 100, 60)
    assert pledge.progress == Pledge.Progress.PARTIAL


def test_delivery_bulk_type_errors_per_row(pol, nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    response = pol.post("/api/v1/deliveries/bulk/", [
        {"pledge": pledge.pk, "quantity": 1},
        {"pledge": "abc", "quantity": 1},
        {"pledge": pledge.pk, "quantity": 1, "status": "lost"},
        {"pledge": pledge.pk, "quantity": 1, "delivered_on": "yesterday"},
    ], format="json")
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["1", "2", "3"]
    assert not Delivery.objects.exists()


def test_marking_a_delivery_delivered(pol, nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    delivery = delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=30)
    response = pol.patch(f"/api/v1/deliveries/{delivery.pk}/", {"status": "delivered"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"delivered_on": ["Give the delivery date for a delivered delivery."]}
    response = pol.patch(f"/api/v1/deliveries/{delivery.pk}/", {"status": "delivered", "delivered_on": "2024-04-01"},
                         format="json")
    assert response.status_code == 200
    pledge.refresh_from_db()
    assert (pledge.shipped_quantity, pledge.delivered_quantity) == (30, 30)
