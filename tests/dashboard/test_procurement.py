"""The procurement page and the item page's contracted inflows, against the worked example in
tests/dashboard/scenario.py (``procurement``)."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from stockpiles import shortfalls
from tests.dashboard import scenario
from web.dashboard.tables import Badge, Link

pytestmark = pytest.mark.django_db


def text(value):
    return value.text if isinstance(value, (Link, Badge)) else value


def rows(response, key):
    return [[text(v) for v in row] for row in response.context["tables"][key].rows]


@pytest.fixture
def contracts(nations, demo):
    return scenario.procurement(nations, demo)


def test_procurement_page_for_the_cell(client, coordinator, demo, contracts):
    client.force_login(coordinator)
    response = client.get("/procurement/")
    assert response.status_code == 200
    agreements = rows(response, "agreements")
    # agreement, item, lead, manufacturer, from, to, participants, ceiling, planned, ordered, share, remaining, price
    assert agreements == [["155 mm joint procurement", "155 mm HE projectile", "United States", "Polska Amunicja",
                           agreements[0][4], agreements[0][5], 2, 30_000, 18_000, 3000, pytest.approx(0.1), 27_000,
                           4000]]
    assert "note" not in [c.key for c in response.context["tables"]["agreements"].columns]  # nothing hidden
    participants = rows(response, "participants")
    assert [(r[1], r[2].isoformat(), r[3], r[4]) for r in participants] == [
        ("United States", "2024-01-01", 10_000, 3000), ("Poland", "2024-06-01", 8000, 0)]
    demand = {r[0]: r for r in rows(response, "demand")}
    # item, unit, nations' shortfall, nations short, uncovered, demand, contracted, gap, share, capacity, months
    assert demand["155 mm HE projectile"][2:11] == [5500, 1, 48_000, 53_500, 3000, 50_500, pytest.approx(3000 / 53_500),
                                                    3000, 17]
    assert demand["IRIS-T SLM interceptor"][5:8] == [50, 40, 10]
    assert demand["IRIS-T SLM interceptor"][10] == "no capacity"
    today = demo["today"]
    timeline = rows(response, "timeline")
    assert [(r[1], r[3], r[6]) for r in timeline] == [
        (shortfalls.add_months(today, 1), "USA", 1500), (shortfalls.add_months(today, 2), "POL", 40),
        (shortfalls.add_months(today, 3), "USA", 1500)]
    charts = response.context["demand_charts"]
    assert [c["title"] for c in charts] == ["155 mm HE projectile", "IRIS-T SLM interceptor"]
    assert charts[0]["chart"]["datasets"][0]["data"] == [53_500, 3000, 50_500, 3000]
    html = response.content.decode()
    assert f'id="demand-chart-{demo["shell"].pk}-data"' in html
    timeline_charts = {c["title"]: c["chart"] for c in response.context["timeline_charts"]}
    shells = timeline_charts["155 mm HE projectile"]
    assert [v for v in shells["datasets"][0]["data"] if v] == [1500, 1500]
    assert shells["options"]["yTitle"] == "Rounds" or shells["options"]["yTitle"].lower() == "rounds"
    assert '<a href="/procurement/" aria-current="page">Procurement</a>' in html


def test_procurement_exports(client, coordinator, demo, contracts):
    client.force_login(coordinator)
    response = client.get("/procurement/", {"export": "csv", "table": "agreements"})
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert lines[0][:3] == ["Agreement", "Item", "Lead nation"]
    assert lines[1][0] == "155 mm joint procurement" and lines[1][9] == "3000"
    for key in ("participants", "demand", "timeline"):
        xlsx = client.get("/procurement/", {"export": "xlsx", "table": key})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert client.get("/procurement/", {"export": "csv", "table": "nope"}).status_code == 404


def test_officer_sees_own_orders_and_no_small_group_totals(client, polish_officer, demo, contracts):
    """Poland takes part (joined later): it sees the agreement and the planned quantities, not the
    United States' call-off, and no total built from one other nation's orders (default rule)."""
    client.force_login(polish_officer)
    response = client.get("/procurement/")
    agreement = rows(response, "agreements")[0]
    few = "fewer than 3 nations"
    assert agreement[7:12] == [30_000, 18_000, few, few, few]  # says why, never a blank
    assert agreement[-1] == few  # the note column is there when something is hidden
    participants = {r[1]: r for r in rows(response, "participants")}
    assert participants["United States"][3:5] == [10_000, None]
    assert participants["Poland"][3:5] == [8000, 0]
    assert [r[3] for r in rows(response, "timeline")] == ["POL"]  # only its own orders' schedule
    shells = next(r for r in rows(response, "demand") if r[0] == "155 mm HE projectile")
    assert shells[2:8] == [few, few, shells[4], "would reveal a hidden figure", few, "would reveal a hidden figure"]
    assert "155 mm HE projectile" not in [c["title"] for c in response.context["demand_charts"]]
    html = response.content.decode()
    assert "/nations/USA/" not in html and "USA-155-CO-1" not in html


def test_a_nation_outside_every_agreement_sees_empty_states(client, nations, demo, contracts):
    from tests.conftest import make_user
    from tests.factories import NationFactory

    client.force_login(make_user("fra-officer", nation=NationFactory(code="FRA", name="France")))
    response = client.get("/procurement/")
    assert response.status_code == 200
    assert rows(response, "agreements") == [] and rows(response, "timeline") == []
    html = response.content.decode()
    assert "No framework agreement you lead or take part in" in html
    assert "No scheduled deliveries" in html


def test_empty_procurement_page(client, coordinator):
    client.force_login(coordinator)
    html = client.get("/procurement/").content.decode()
    assert "No demand, contract or production capacity recorded" in html
    assert "Nothing to chart yet" in html


def test_procurement_as_of(client, coordinator, demo, contracts):
    """On 2024-08-01 the call-off (2024-07-01) was placed: the schedule still lies ahead."""
    client.force_login(coordinator)
    response = client.get("/procurement/", {"as_of": "2024-08-01"})
    assert response.status_code == 200
    assert "Figures as they stood on 2024-08-01" in response.content.decode()
    shells = next(r for r in rows(response, "demand") if r[0] == "155 mm HE projectile")
    assert shells[6] == 3000  # contracted on that day (the POL missile contract came later)
    missiles = [r for r in rows(response, "demand") if r[0] == "IRIS-T SLM interceptor"]
    assert not missiles or missiles[0][6] == 0
    # The timeline on that day: the USA call-off's lines only (Poland's contract was placed on 2024-09-01).
    assert [(r[3], r[6]) for r in rows(response, "timeline")] == [("USA", 1500), ("USA", 1500)]


def test_item_projection_shows_contracted_inflows(client, coordinator, demo, contracts):
    client.force_login(coordinator)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    projection = response.context["charts"]["projection_chart"]
    usa = next(d for d in projection["datasets"] if d["label"] == "USA")
    assert usa["data"][:5] == [4500, 7000, 8000, 10_500, 11_500]
    inflow = next(d for d in projection["datasets"] if d["label"] == "USA: contracted inflows (cumulative)")
    assert inflow["data"][:5] == [0, 1500, 1500, 3000, 3000] and inflow["type"] == "bar"
    nations = {text(r[0]): r for r in rows(response, "nations")}
    today = demo["today"]
    assert nations["United States"][-1] == shortfalls.add_months(today, 3)  # back above guideline: 3 months
    assert nations["United States"][3] == 3  # months to recover, with the contracts (6 without)


def test_officer_item_projection_shows_only_own_inflows(client, polish_officer, demo, contracts):
    client.force_login(polish_officer)
    response = client.get(reverse("dashboard:item", args=[demo["missile"].pk]))
    labels = [d["label"] for d in response.context["charts"]["projection_chart"]["datasets"]]
    assert "POL" in labels and "POL: contracted inflows (cumulative)" in labels
    assert not any(label.startswith("USA") for label in labels)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    labels = [d["label"] for d in response.context["charts"]["projection_chart"]["datasets"]]
    assert not any(label.startswith("USA") for label in labels)


def test_procurement_page_in_french(client, coordinator, demo, contracts):
    from coordination.models import Membership

    Membership.objects.filter(user=coordinator).update(language="fr")
    client.force_login(coordinator)
    html = client.get("/procurement/").content.decode()
    assert "Achats conjoints : les contrats et l’industrie combleront-ils les déficits, et quand ?" in html
    assert '<a href="/procurement/" aria-current="page">Achats conjoints</a>' in html
    assert "Accords-cadres : commandé vs plafond" in html


def test_an_agreement_says_whether_it_is_in_force_on_the_day_read(client, coordinator, demo, contracts):
    from django.utils import translation

    from web.dashboard.procurement import validity_note

    day = dt.date(2025, 6, 1)
    with translation.override("en"):  # an earlier request may have left another language active
        assert validity_note(dt.date(2024, 1, 1), dt.date(2025, 12, 31), day) == ""
        assert validity_note(dt.date(2024, 1, 1), dt.date(2025, 5, 31), day) == "Expired"
        assert validity_note(dt.date(2025, 6, 2), None, day) == "Not yet in force"
        assert validity_note(dt.date(2024, 1, 1), None, day) == ""
    agreement = contracts["agreement"]
    agreement.valid_to = demo["today"] - dt.timedelta(days=1)
    agreement.save()
    client.force_login(coordinator)
    row = rows(client.get("/procurement/"), "agreements")[0]
    assert row[-1] == "Expired"  # the note column, shown because a row has a note
    csv = client.get("/procurement/", {"export": "csv", "table": "agreements"}).content.decode()
    assert "Note" in csv and "Expired" in csv


def test_a_long_demand_table_shows_the_largest_gaps_and_exports_every_row(client, coordinator, nations):
    """One row per item at alliance scale: the page shows the 50 with the most demand not under contract (with
    "Showing 50 of N"), the export all of them, in the same order."""
    from tests import factories

    for k in range(1, 58):  # the recipient's uncovered requirement is the demand: k x 10 for item k
        factories.RequirementFactory(recipient=nations["UKR"], item=factories.ItemFactory(name=f"Item {k:02d}"),
                                     quantity=k * 10)
    client.force_login(coordinator)
    response = client.get("/procurement/")
    table = response.context["tables"]["demand"]
    shown = [r[0] for r in rows(response, "demand")]
    assert table.total == 57 and shown == [f"Item {k:02d}" for k in range(57, 7, -1)]
    assert "Showing 50 of 57; the export has them all." in response.content.decode()
    exported = list(csv.reader(io.StringIO(client.get("/procurement/", {"export": "csv", "table": "demand"})
                                          .content.decode())))
    names = [row[0] for row in exported if row and row[0].startswith("Item ")]
    assert names == [f"Item {k:02d}" for k in range(57, 0, -1)]
