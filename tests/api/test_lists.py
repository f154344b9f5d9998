"""Lists: a fixed number of queries whatever the number of rows, stable pagination, filters, CSV."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.access import CELL
from pledges.services import deliveries_bulk_create
from stockpiles.models import Alert, Shortfall
from stockpiles.services import stock_reports_bulk_create
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/nations/", "/api/v1/categories/", "/api/v1/items/", "/api/v1/pledges/", "/api/v1/deliveries/",
    "/api/v1/training-commitments/", "/api/v1/requirements/", "/api/v1/stock-reports/", "/api/v1/current-stock/",
    "/api/v1/guidelines/", "/api/v1/production-rates/", "/api/v1/shortfalls/", "/api/v1/alerts/",
    "/api/v1/shortfalls/alliance/", "/api/v1/fulfilment/donors/", "/api/v1/fulfilment/items/",
    "/api/v1/fulfilment/gaps/", "/api/v1/training/summary/", "/api/v1/agreements/", "/api/v1/orders/",
    "/api/v1/order-schedule-lines/",
]


def populate(nations, n: int) -> None:
    """``n`` rows of everything for POL and USA (and UKR's requirements)."""
    category = factories.CategoryFactory(name=f"Category {n}")
    items = [factories.ItemFactory(name=f"Item {n}-{k}", category=category) for k in range(n)]
    now = timezone.now()
    for code in ("POL", "USA"):
        nation = nations[code]
        stock_reports_bulk_create(actor=CELL, nation=nation, rows=[
            {"item": item, "quantity": 100 + k, "as_of": dt.date(2024, 1, 1)} for k, item in enumerate(items)
        ])
        pledges = [factories.PledgeFactory(donor=nation, recipient=nations["UKR"], item=item, quantity=100)
                   for item in items]
        deliveries_bulk_create(actor=CELL, rows=[{"pledge_id": p.pk, "quantity": 10} for p in pledges])
        for k, item in enumerate(items):
            factories.TrainingCommitmentFactory(donor=nation, recipient=nations["UKR"], programme=f"Course {n}-{k}")
            factories.ProductionRateFactory(nation=nation, item=item)
            factories.GuidelineFactory(nation=nation, item=item)
            Shortfall.objects.create(nation=nation, item=item, as_of=dt.date(2024, 1, 1), on_hand=10, guideline=100,
                                     owed=0, available=10, shortfall=90, coverage=0.1, status="below_guideline",
                                     computed_at=now)
            Alert.objects.create(kind="below_guideline", nation=nation, item=item, key=f"below:{code}:{item.pk}",
                                 message="below", opened_at=now)
    for item in items:
        factories.RequirementFactory(recipient=nations["UKR"], item=item)
        factories.GuidelineFactory(nation=None, item=item)
        # Joint procurement: an agreement per item with POL and USA taking part, a call-off each with a
        # two-line schedule.
        lead = nations["USA"]
        agreement = factories.FrameworkAgreementFactory(lead_nation=lead, item=item, name=f"Agreement {item.name}")
        for code in ("POL", "USA"):
            factories.AgreementParticipantFactory(agreement=agreement, nation=nations[code])
            order = factories.OrderFactory(nation=nations[code], item=item, agreement=agreement, quantity=100)
            for month in (6, 7):
                factories.OrderScheduleLineFactory(order=order, due_on=dt.date(2025, month, 1), quantity=50)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", ["pol", "cell"])
def test_list_query_counts_do_not_grow_with_rows(role, roles, nations):
    client = roles[role]
    populate(nations, 2)
    client.get("/api/v1/nations/")  # first request of a token records last-used: keep it out of the counts
    few = {url: count_queries(client, url) for url in LISTS}
    populate(nations, 25)
    many = {url: count_queries(client, url) for url in LISTS}
    assert many == few


@pytest.mark.parametrize("url,max_queries", [
    # token, count, page (lists); token + the selector's queries (summaries)
    ("/api/v1/pledges/", 3), ("/api/v1/deliveries/", 3), ("/api/v1/stock-reports/", 3),
    ("/api/v1/training-commitments/", 3), ("/api/v1/current-stock/", 3), ("/api/v1/shortfalls/", 3),
    ("/api/v1/alerts/", 3), ("/api/v1/guidelines/", 3), ("/api/v1/production-rates/", 3),
    ("/api/v1/requirements/", 3), ("/api/v1/items/", 3), ("/api/v1/nations/", 3),
    # alliance: token, positions, the other donors' pledges POL may not see (disclosure rule c), item names
    ("/api/v1/shortfalls/alliance/", 5), ("/api/v1/fulfilment/donors/", 3), ("/api/v1/fulfilment/items/", 3),
    ("/api/v1/training/summary/", 3), ("/api/v1/fulfilment/gaps/", 6),
    # token, count, page, then the utilisation of the visible agreements (agreements, participants, call-offs)
    ("/api/v1/agreements/", 6),
    # token, count, page, schedule lines (prefetched)
    ("/api/v1/orders/", 4), ("/api/v1/order-schedule-lines/", 3),
])
def test_list_query_budget(pol, nations, url, max_queries, django_assert_max_num_queries):
    populate(nations, 30)
    pol.get("/api/v1/nations/")
    with django_assert_max_num_queries(max_queries):
        response = pol.get(url)
    assert response.status_code == 200


def test_pagination_is_stable_and_complete(pol, nations):
    item = factories.ItemFactory(name="Paged item")
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": item, "quantity": k % 7, "as_of": dt.date(2023, 1, 1) + dt.timedelta(days=k)} for k in range(250)
    ])
    seen = []
    url = "/api/v1/stock-reports/?ordering=quantity&page_size=100"
    while url:
        body = pol.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 250
    quantities = [r["quantity"] for r in pol.get("/api/v1/stock-reports/?ordering=quantity&page_size=1000").json()[
        "results"]]
    assert quantities == sorted(quantities)


def test_page_size_is_bounded(pol, nations):
    assert pol.get("/api/v1/nations/?page_size=1000").status_code == 200
    response = pol.get("/api/v1/nations/?page_size=1001")  # above the bound the schema states: refused, not clamped
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Give a whole number, 1 to 1000."]}
    assert pol.get("/api/v1/nations/?page=99").status_code == 404


def test_filters(pol, nations):
    a = factories.ItemFactory(name="A", nsn="1320012345678")
    b = factories.ItemFactory(name="B")
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": a, "quantity": 1, "as_of": dt.date(2024, 1, 1)},
        {"item": a, "quantity": 2, "as_of": dt.date(2024, 2, 1)},
        {"item": b, "quantity": 3, "as_of": dt.date(2024, 3, 1)},
    ])
    q = lambda url: [r["quantity"] for r in pol.get(url).json()["results"]]  # noqa: E731
    assert q(f"/api/v1/stock-reports/?item={a.pk}&ordering=as_of") == [1, 2]
    assert q("/api/v1/stock-reports/?as_of_after=2024-01-15&ordering=as_of") == [2, 3]
    assert q("/api/v1/stock-reports/?as_of_before=2024-01-15") == [1]
    assert [r["id"] for r in pol.get("/api/v1/items/?nsn=1320012345678").json()["results"]] == [a.pk]
    overdue = factories.PledgeFactory(donor=nations["POL"], item=a, due_on=dt.date(2024, 6, 30))
    factories.PledgeFactory(donor=nations["POL"], item=a, due_on=None, status="announced")
    assert [p["id"] for p in pol.get("/api/v1/pledges/?overdue=true").json()["results"]] == [overdue.pk]
    assert len(pol.get("/api/v1/pledges/?status=announced").json()["results"]) == 1
    assert pol.get("/api/v1/stock-reports/?as_of_after=notadate").status_code == 400


def test_csv_format(pol, nations):
    item = factories.ItemFactory(name="CSV item")
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": item, "quantity": 42, "as_of": dt.date(2024, 1, 1)},
    ])
    response = pol.get("/api/v1/stock-reports/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == "id,nation,item,item_nsn,quantity,as_of,created_at"
    assert lines[1].split(",")[1:6] == ["POL", str(item.pk), "", "42", "2024-01-01"]


def test_procurement_filters(pol, cell, nations):
    item = factories.ItemFactory(name="Filtered item")
    agreement = factories.FrameworkAgreementFactory(lead_nation=nations["USA"], item=item,
                                                    valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2024, 12, 31))
    factories.AgreementParticipantFactory(agreement=agreement, nation=nations["POL"], joined_on=dt.date(2024, 1, 1))
    call_off = factories.OrderFactory(nation=nations["POL"], item=item, agreement=agreement, status="confirmed",
                                      ordered_on=dt.date(2024, 2, 1))
    contract = factories.OrderFactory(nation=nations["POL"], item=item, ordered_on=dt.date(2025, 2, 1))
    received = factories.OrderScheduleLineFactory(order=call_off, due_on=dt.date(2024, 6, 1),
                                                  received_on=dt.date(2024, 6, 2))
    open_line = factories.OrderScheduleLineFactory(order=call_off, due_on=dt.date(2025, 6, 1))
    ids = lambda url: [r["id"] for r in pol.get(url).json()["results"]]  # noqa: E731
    assert ids(f"/api/v1/orders/?agreement={agreement.pk}") == [call_off.pk]
    assert ids("/api/v1/orders/?national_contract=true") == [contract.pk]
    assert ids("/api/v1/orders/?status=confirmed") == [call_off.pk]
    assert ids("/api/v1/orders/?ordered_after=2025-01-01") == [contract.pk]
    assert ids("/api/v1/order-schedule-lines/?received=false") == [open_line.pk]
    assert ids("/api/v1/order-schedule-lines/?received=true") == [received.pk]
    assert ids("/api/v1/order-schedule-lines/?due_after=2025-01-01") == [open_line.pk]
    assert ids("/api/v1/agreements/?in_force_on=2024-06-01") == [agreement.pk]
    assert ids("/api/v1/agreements/?in_force_on=2025-06-01") == []
    assert ids("/api/v1/agreements/?participant=POL") == [agreement.pk]
    assert pol.get("/api/v1/orders/?status=shipped").status_code == 400
