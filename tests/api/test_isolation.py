"""The access rule through the API: a POL token never sees or touches USA's data."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL
from pledges.models import Delivery, Pledge
from stockpiles.models import Alert, CurrentStock, Order, Shortfall, StockReport
from stockpiles.services import stock_report_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(nations, item):
    return {
        code: stock_report_create(actor=CELL, nation=nations[code], item=item, quantity=q, as_of=dt.date(2024, 3, 1))
        for code, q in (("POL", 700), ("USA", 90_000))
    }


def test_stock_reports_list_shows_only_own_nation(pol, reports):
    body = pol.get("/api/v1/stock-reports/").json()
    assert [(r["nation"], r["quantity"]) for r in body["results"]] == [("POL", 700)]
    assert body["next"] is None


def test_another_nations_stock_report_is_404(pol, reports):
    assert pol.get(f"/api/v1/stock-reports/{reports['USA'].pk}/").status_code == 404
    assert pol.get(f"/api/v1/stock-reports/{reports['POL'].pk}/").status_code == 200


def test_filtering_for_another_nation_returns_nothing(pol, reports):
    assert pol.get("/api/v1/stock-reports/?nation=USA").json()["results"] == []
    assert pol.get("/api/v1/current-stock/?nation=USA").json()["count"] == 0


def test_a_body_naming_another_nation_is_refused(pol, usa, reports, item, today):
    response = pol.post("/api/v1/stock-reports/",
                        {"nation": "USA", "item": item.pk, "quantity": 1, "as_of": str(today)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"nation": ["You write for POL only: leave nation out or give POL; nothing was written."]}
    usa_stock = CurrentStock.objects.get(nation__code="USA")
    assert (usa_stock.quantity, usa_stock.as_of) == (90_000, dt.date(2024, 3, 1))
    assert StockReport.objects.filter(nation__code="USA").count() == 1
    assert not StockReport.objects.filter(as_of=today).exists()
    own = pol.post("/api/v1/stock-reports/",
                   {"nation": "pol", "item": item.pk, "quantity": 1, "as_of": str(today)}, format="json")
    assert own.status_code == 201 and own.json()["nation"] == "POL"


def test_restricted_pledges_are_visible_to_donor_and_cell_only(pol, usa, cell, nations, item):
    secret = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="restricted")
    shared = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="alliance")
    assert [p["id"] for p in pol.get("/api/v1/pledges/").json()["results"]] == [shared.pk]
    assert pol.get(f"/api/v1/pledges/{secret.pk}/").status_code == 404
    assert {p["id"] for p in usa.get("/api/v1/pledges/").json()["results"]} == {secret.pk, shared.pk}
    assert cell.get(f"/api/v1/pledges/{secret.pk}/").status_code == 200


def test_a_visible_pledge_of_another_nation_cannot_be_changed(pol, nations, item):
    shared = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="alliance", quantity=1000)
    response = pol.patch(f"/api/v1/pledges/{shared.pk}/", {"quantity": 1}, format="json")
    assert response.status_code == 403
    shared.refresh_from_db()
    assert shared.quantity == 1000
    assert shared.history.count() == 1


def test_deliveries_against_another_nations_pledge_are_refused(pol, nations, item):
    shared = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="alliance", quantity=1000)
    own = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=1000)
    single = pol.post("/api/v1/deliveries/", {"pledge": shared.pk, "quantity": 5}, format="json")
    assert single.status_code == 400
    assert "pledge" in single.json()
    bulk = pol.post("/api/v1/deliveries/bulk/", [{"pledge": own.pk, "quantity": 5},
                                                 {"pledge": shared.pk, "quantity": 5}], format="json")
    assert bulk.status_code == 400
    assert list(bulk.json()["errors"]) == ["1"]
    assert not Delivery.objects.exists()
    assert Pledge.objects.get(pk=own.pk).allocated_quantity == 0


def test_pledge_donor_comes_from_the_token(usa, nations, item):
    body = {"recipient": "UKR", "item": item.pk, "quantity": 10, "announced_on": "2024-01-01"}
    response = usa.post("/api/v1/pledges/", {"donor": "POL", **body}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["donor"]
    assert not Pledge.objects.exists()
    response = usa.post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 201
    assert Pledge.objects.get(pk=response.json()["id"]).donor.code == "USA"


def test_shortfalls_are_own_nation_only_and_the_alliance_sees_the_aggregate(pol, usa, nations, item, settings):
    # Two nations only: allow a group of one "other" here to test the aggregate itself; the default
    # small-group rule (suppression) is tested in tests/stockpiles/test_aggregate_suppression.py.
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1
    settings.AGGREGATE_DOMINANCE_PERCENT, settings.AGGREGATE_ROUNDING = 100, 1  # exact figures
    now = timezone.now()
    for code, on_hand, shortfall in (("POL", 10, 90), ("USA", 60, 40)):
        Shortfall.objects.create(nation=nations[code], item=item, as_of=dt.date(2024, 3, 1), on_hand=on_hand,
                                 guideline=100, owed=0, available=on_hand, shortfall=shortfall,
                                 coverage=on_hand / 100, status="below_guideline", computed_at=now)
    rows = pol.get("/api/v1/shortfalls/").json()["results"]
    assert [(r["nation"], r["shortfall"]) for r in rows] == [("POL", 90)]
    alliance = pol.get("/api/v1/shortfalls/alliance/").json()
    assert len(alliance["results"]) == 1
    row = alliance["results"][0]
    # Gross: 90 + 40 = 130 (no netting); net position: (10 - 100) + (60 - 100) = -130; both below.
    assert (row["item"], row["total_shortfall"], row["nations_below"], row["nations_counted"]) == (item.pk, 130, 2, 2)
    assert "POL" not in str(alliance) and "USA" not in str(alliance)


def test_alerts_are_own_nation_only(pol, nations, item):
    now = timezone.now()
    mine = Alert.objects.create(kind="below_guideline", nation=nations["POL"], item=item, key="below:POL",
                                message="POL below", opened_at=now)
    Alert.objects.create(kind="below_guideline", nation=nations["USA"], item=item, key="below:USA",
                         message="USA below", opened_at=now)
    assert [a["id"] for a in pol.get("/api/v1/alerts/").json()["results"]] == [mine.pk]


def test_a_national_officer_session_is_scoped_like_a_token(polish_officer, reports):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(polish_officer)
    assert [r["nation"] for r in client.get("/api/v1/stock-reports/").json()["results"]] == ["POL"]
    assert client.get(f"/api/v1/stock-reports/{reports['USA'].pk}/").status_code == 404


# --- Joint procurement: orders are the ordering nation's; agreements its lead's and participants' -----

@pytest.fixture
def procurement(nations, item):
    """Germany leads a 155 mm agreement; Poland and the United States take part; Poland and the United
    States each have an order (a call-off) with a schedule."""
    germany = factories.NationFactory(code="DEU", name="Germany")
    agreement = factories.FrameworkAgreementFactory(lead_nation=germany, item=item, ceiling_quantity=100_000)
    for code, planned in (("POL", 40_000), ("USA", 30_000)):
        factories.AgreementParticipantFactory(agreement=agreement, nation=nations[code], planned_quantity=planned)
    orders = {}
    for code, quantity in (("POL", 12_000), ("USA", 7_000)):
        orders[code] = factories.OrderFactory(nation=nations[code], item=item, agreement=agreement, quantity=quantity,
                                              ordered_on=dt.date(2024, 3, 1))
        factories.OrderScheduleLineFactory(order=orders[code], due_on=dt.date(2025, 1, 1), quantity=quantity)
    other = factories.FrameworkAgreementFactory(lead_nation=germany, item=item, name="Germany only")
    return {"agreement": agreement, "orders": orders, "other": other, "germany": germany}


def test_orders_list_shows_only_own_nation(pol, usa, cell, procurement):
    assert [o["nation"] for o in pol.get("/api/v1/orders/").json()["results"]] == ["POL"]
    assert [o["nation"] for o in usa.get("/api/v1/orders/").json()["results"]] == ["USA"]
    assert sorted(o["nation"] for o in cell.get("/api/v1/orders/").json()["results"]) == ["POL", "USA"]
    assert pol.get("/api/v1/orders/?nation=USA").json()["count"] == 0
    assert pol.get(f"/api/v1/orders/?agreement={procurement['agreement'].pk}").json()["count"] == 1


def test_another_nations_order_and_schedule_are_404(pol, procurement):
    usa_order = procurement["orders"]["USA"]
    assert pol.get(f"/api/v1/orders/{usa_order.pk}/").status_code == 404
    line = usa_order.schedule.get()
    assert pol.get(f"/api/v1/order-schedule-lines/{line.pk}/").status_code == 404
    assert pol.patch(f"/api/v1/order-schedule-lines/{line.pk}/", {"received_on": "2025-01-02"},
                     format="json").status_code == 404
    assert pol.patch(f"/api/v1/orders/{usa_order.pk}/", {"quantity": 1}, format="json").status_code == 404
    usa_order.refresh_from_db()
    line.refresh_from_db()
    assert (usa_order.quantity, line.received_on) == (7_000, None)
    lines = pol.get("/api/v1/order-schedule-lines/").json()["results"]
    assert [(r["nation"], r["quantity"]) for r in lines] == [("POL", 12_000)]


def test_order_nation_comes_from_the_token(usa, procurement, item):
    body = {"item": item.pk, "quantity": 10, "ordered_on": "2024-05-01"}
    response = usa.post("/api/v1/orders/", {"nation": "POL", **body}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == ["nation"]
    response = usa.post("/api/v1/orders/", {"nation": "USA", **body}, format="json")
    assert response.status_code == 201, response.content
    assert Order.objects.get(pk=response.json()["id"]).nation.code == "USA"


def test_a_call_off_needs_a_visible_agreement(usa, procurement, item):
    """The United States does not take part in "Germany only": for it, that agreement does not exist."""
    body = {"item": item.pk, "quantity": 10, "ordered_on": "2024-05-01", "agreement": procurement["other"].pk}
    response = usa.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400
    assert "agreement" in response.json()
    assert not Order.objects.filter(agreement=procurement["other"]).exists()


def test_agreements_are_read_by_participants_only(pol, usa, cell, nations, procurement):
    ukr = factories.NationFactory(code="FRA", name="France")
    from coordination.api.tokens import token_issue
    from tests.api.conftest import client_with

    france = client_with(token_issue(nation=ukr, name="FRA feed")[1])
    agreement = procurement["agreement"]
    assert [a["id"] for a in pol.get("/api/v1/agreements/").json()["results"]] == [agreement.pk]
    assert france.get("/api/v1/agreements/").json()["count"] == 0
    assert france.get(f"/api/v1/agreements/{agreement.pk}/").status_code == 404
    assert usa.get(f"/api/v1/agreements/{procurement['other'].pk}/").status_code == 404
    assert cell.get("/api/v1/agreements/").json()["count"] == 2
    assert pol.get("/api/v1/agreements/?participant=USA").json()["count"] == 1


def test_a_participant_sees_its_own_call_offs_not_another_participants(pol, cell, procurement, settings):
    """Poland sees its own 12,000 and the planned quantities, not the United States' 7,000; the total
    (two nations' orders: one other than Poland) is suppressed under the default small-group rule."""
    settings.AGGREGATE_MIN_OTHER_NATIONS = 2
    body = pol.get(f"/api/v1/agreements/{procurement['agreement'].pk}/").json()
    rows = {p["nation"]: p for p in body["participants"]}
    assert (rows["POL"]["planned_quantity"], rows["POL"]["ordered"]) == (40_000, 12_000)
    assert rows["POL"]["ordered_share"] == pytest.approx(0.3)
    assert (rows["USA"]["planned_quantity"], rows["USA"]["ordered"], rows["USA"]["ordered_share"]) == (30_000, None,
                                                                                                      None)
    assert body["utilisation"]["suppressed"] is True
    assert body["utilisation"]["ordered"] is None
    assert not {7_000, 19_000, 81_000} & set(numbers_in(body))  # USA's call-offs, the total, what is left
    full = cell.get(f"/api/v1/agreements/{procurement['agreement'].pk}/").json()
    assert {p["nation"]: p["ordered"] for p in full["participants"]} == {"POL": 12_000, "USA": 7_000}
    assert (full["utilisation"]["ceiling"], full["utilisation"]["ordered"], full["utilisation"]["remaining"],
            full["utilisation"]["planned"]) == (100_000, 19_000, 81_000, 70_000)
    assert full["utilisation"]["ordered_share"] == pytest.approx(0.19)


def numbers_in(value):
    """Every number anywhere in a JSON body."""
    if isinstance(value, dict):
        for v in value.values():
            yield from numbers_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from numbers_in(v)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value
