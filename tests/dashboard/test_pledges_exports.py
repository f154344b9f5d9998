"""The pledges table (PledgeFilterSet, sorting, pagination, htmx) and the CSV/XLSX exports."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from coordination.access import CELL
from pledges import services as pledge_services
from pledges.models import Pledge
from web.dashboard.tables import Link

pytestmark = pytest.mark.django_db


def donors_of(response):
    return [r[0].text if isinstance(r[0], Link) else r[0] for r in response.context["table"].rows]


def test_filter_by_donor_and_overdue(client, coordinator, demo):
    client.force_login(coordinator)
    assert donors_of(client.get("/pledges/")) == ["Poland", "United States"]  # newest announced first
    assert donors_of(client.get("/pledges/", {"donor": "POL"})) == ["Poland"]
    assert donors_of(client.get("/pledges/", {"overdue": "true"})) == ["United States"]
    assert donors_of(client.get("/pledges/", {"category": demo["air"].pk})) == ["Poland"]
    assert donors_of(client.get("/pledges/", {"status": "committed"})) == ["United States"]


def test_bad_filter_value_is_a_message_not_a_500(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/pledges/", {"donor": "NOPE", "item": "x"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_sorting(client, coordinator, demo):
    client.force_login(coordinator)
    assert donors_of(client.get("/pledges/", {"sort": "quantity"})) == ["Poland", "United States"]
    assert donors_of(client.get("/pledges/", {"sort": "-quantity"})) == ["United States", "Poland"]
    response = client.get("/pledges/", {"sort": "-quantity"})
    assert 'aria-sort="descending"' in response.content.decode()
    assert donors_of(client.get("/pledges/", {"sort": "__class__"})) == ["Poland", "United States"]  # ignored


def test_htmx_request_gets_only_the_results(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/pledges/", {"donor": "USA"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="pledge-results"')
    assert "<html" not in html and "pledge-filters" not in html
    assert "1 pledge" in html
    assert "HX-Request" in response["Vary"]
    full = client.get("/pledges/", {"donor": "USA"}).content.decode()
    assert 'id="pledge-filters"' in full and 'hx-get="/pledges/"' in full
    assert '<option value="USA" selected>' in full


def test_pagination(client, coordinator, nations, demo):
    for n in range(60):
        pledge_services.pledge_create(
            actor=CELL, donor=nations["USA"], recipient=nations["UKR"], item=demo["shell"], quantity=n + 1,
            announced_on=dt.date(2023, 1, 1), status=Pledge.Status.ANNOUNCED, source=Pledge.Source.NEW_PRODUCTION,
        )
    client.force_login(coordinator)
    first = client.get("/pledges/")
    assert len(first.context["table"].rows) == 50 and "Page 1 of 2" in first.content.decode()
    second = client.get("/pledges/", {"page": 2})
    assert len(second.context["table"].rows) == 12
    assert client.get("/pledges/", {"page": 99}).context["page"].number == 2


def test_officer_sees_only_releasable_pledges(client, us_officer, nations, demo):
    pledge_services.pledge_create(
        actor=CELL, donor=nations["POL"], recipient=nations["UKR"], item=demo["shell"], quantity=7,
        announced_on=dt.date(2024, 5, 1), releasability="restricted", reference="restricted one",
    )
    client.force_login(us_officer)
    quantities = [r[3] for r in client.get("/pledges/").context["table"].rows]
    assert 7 not in quantities and sorted(quantities) == [20, 2000]


def test_pledges_csv_export_applies_filters(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/pledges/", {"donor": "USA", "export": "csv", "table": "pledges", "page": 3})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="pledges-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Donor", "Recipient", "Item", "Quantity"]
    assert rows[1:] == [["United States", "Ukraine", "155 mm HE projectile", "2000", "0", "rounds", "2000000.0",
                         "2024-01-15",
                         "2024-06-30", "Committed", "None", "overdue"]]


def test_overview_xlsx_export(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/", {"export": "xlsx", "table": "shortfalls"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Nation" and rows[0][2] == "Shortfall"
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [("United States", 5500, 45.0), ("Poland", 50, 50.0)]


@pytest.mark.parametrize("table", ["coverage", "shortfalls", "alliance", "fulfilment", "deliveries", "training",
                                   "overdue", "alerts"])
def test_every_overview_table_exports(client, coordinator, demo, table):
    client.force_login(coordinator)
    response = client.get("/", {"export": "csv", "table": table})
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))) >= 1


def test_nation_and_item_exports(client, coordinator, demo):
    client.force_login(coordinator)
    rows = list(csv.reader(io.StringIO(
        client.get("/nations/USA/", {"export": "csv", "table": "stock"}).content.decode("utf-8-sig"))))
    assert rows[1][:8] == ["155 mm HE projectile", "5500", "45.0", "6", "6000", "1500", "4500", "10000"]
    rows = list(csv.reader(io.StringIO(client.get(
        f"/items/{demo['shell'].pk}/", {"export": "csv", "table": "gaps"}).content.decode("utf-8-sig"))))
    assert rows[1][:7] == ["Ukraine", "155 mm HE projectile", "50000", "2000", "0", "48000", "2000"]


def test_as_of_applies_to_exports(client, coordinator, demo):
    client.force_login(coordinator)
    day = (demo["today"] - dt.timedelta(days=200)).isoformat()
    rows = list(csv.reader(io.StringIO(client.get(
        "/", {"as_of": day, "export": "csv", "table": "shortfalls"}).content.decode("utf-8-sig"))))
    assert [(r[0], r[2]) for r in rows[1:]] == [("United States", "2500")]


def test_unknown_export_is_404(client, coordinator, demo):
    client.force_login(coordinator)
    assert client.get("/", {"export": "pdf", "table": "shortfalls"}).status_code == 404
    assert client.get("/", {"export": "csv", "table": "nope"}).status_code == 404
