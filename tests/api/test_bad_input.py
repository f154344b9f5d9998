"""Bad input is a 400 with field-level messages (never a 500), and nothing is written."""

import datetime as dt

import pytest

from coordination.access import CELL
from pledges.models import Delivery, Pledge, TrainingCommitment
from pledges.services import delivery_create
from stockpiles.models import StockReport
from tests import factories

pytestmark = pytest.mark.django_db

TOMORROW = str(dt.date.today() + dt.timedelta(days=2))
HUGE = 10**30


@pytest.fixture
def nsn_item(db):
    return factories.ItemFactory(name="NSN item", nsn="1320012345678")


@pytest.mark.parametrize("body,field", [
    ({"item": "ITEM", "quantity": 1, "as_of": "2024-01-01"}, "item"),
    ({"item": "1320-01-234-567", "quantity": 1, "as_of": "2024-01-01"}, "item"),       # malformed NSN
    ({"item": "9999999999999", "quantity": 1, "as_of": "2024-01-01"}, "item"),         # unknown NSN
    ({"item": 987654, "quantity": 1, "as_of": "2024-01-01"}, "item"),                  # unknown id
    ({"item": True, "quantity": 1, "as_of": "2024-01-01"}, "item"),
    ({"item": None, "quantity": 1, "as_of": "2024-01-01"}, "item"),
    ({"item": "1320012345678", "quantity": -1, "as_of": "2024-01-01"}, "quantity"),
    ({"item": "1320012345678", "quantity": "12", "as_of": "2024-01-01"}, None),        # "12" is accepted
    ({"item": "1320012345678", "quantity": 1.5, "as_of": "2024-01-01"}, "quantity"),
    ({"item": "1320012345678", "quantity": HUGE, "as_of": "2024-01-01"}, "quantity"),
    ({"item": "1320012345678", "quantity": [1], "as_of": "2024-01-01"}, "quantity"),
    ({"item": "1320012345678", "quantity": 1, "as_of": TOMORROW}, "as_of"),
    ({"item": "1320012345678", "quantity": 1, "as_of": "2024-13-01"}, "as_of"),
    ({"item": "1320012345678", "quantity": 1}, "as_of"),
])
def test_stock_report_bad_input(pol, nations, nsn_item, body, field):
    response = pol.post("/api/v1/stock-reports/", body, format="json")
    if field is None:
        assert response.status_code == 201, response.content
        return
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not StockReport.objects.exists()


def test_duplicate_stock_report(pol, nations, nsn_item):
    body = {"item": nsn_item.pk, "quantity": 1, "as_of": "2024-01-01"}
    assert pol.post("/api/v1/stock-reports/", body, format="json").status_code == 201
    response = pol.post("/api/v1/stock-reports/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"as_of": ["POL already reported this item for 2024-01-01."]}


@pytest.mark.parametrize("body", ["not json", b"\xff\xfe", "[1, 2", "null", "42"])
def test_malformed_bodies(pol, nations, body):
    response = pol.generic("POST", "/api/v1/stock-reports/", body, content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("change,field", [
    ({"recipient": "XXX"}, "recipient"),
    ({"recipient": 7}, "recipient"),
    ({"recipient": "POL"}, "non_field_errors"),      # donor = recipient (database constraint, as a message)
    ({"quantity": -5}, "quantity"),
    ({"value_eur": "-1"}, "value_eur"),
    ({"value_eur": "1e40"}, "value_eur"),
    ({"announced_on": "yesterday"}, "announced_on"),
    ({"due_on": "2023-01-01"}, "non_field_errors"),   # due before announced
    ({"status": "promised"}, "status"),
    ({"releasability": "secret"}, "releasability"),
    ({"item": "1320-01-234-56789"}, "item"),
])
def test_pledge_bad_input(pol, nations, nsn_item, change, field):
    body = {"recipient": "UKR", "item": nsn_item.pk, "quantity": 10, "announced_on": "2024-01-01", **change}
    response = pol.post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Pledge.objects.exists()


def test_pledge_reduction_below_deliveries(pol, nations, nsn_item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=nsn_item, quantity=100)
    delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=80)
    response = pol.patch(f"/api/v1/pledges/{pledge.pk}/", {"quantity": 50}, format="json")
    assert response.status_code == 400
    assert "80 are already in non-cancelled deliveries" in response.json()["quantity"][0]
    pledge.refresh_from_db()
    assert pledge.quantity == 100


@pytest.mark.parametrize("change,field", [
    ({"quantity": 0}, "quantity"),
    ({"quantity": 101}, "quantity"),                  # above what is left
    ({"quantity": "many"}, "quantity"),
    ({"pledge": 99999}, "pledge"),
    ({"pledge": None}, "pledge"),
    ({"status": "delivered"}, "delivered_on"),
    ({"shipped_on": "2024-03-02", "delivered_on": "2024-03-01", "status": "delivered"}, "delivered_on"),
])
def test_delivery_bad_input(pol, nations, nsn_item, change, field):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=nsn_item, quantity=100)
    body = {"pledge": pledge.pk, "quantity": 10, **change}
    response = pol.post("/api/v1/deliveries/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("change,field", [
    ({"trainees_committed": -1}, "trainees_committed"),
    ({"trainees_committed": 2**40}, "trainees_committed"),
    ({"start_on": "2024-05-01", "end_on": "2024-04-01"}, "non_field_errors"),
    ({"recipient": "ZZZ"}, "recipient"),
    ({"programme": ""}, "programme"),
])
def test_training_bad_input(pol, nations, change, field):
    body = {"recipient": "UKR", "programme": "Leopard 2 crew", "trainees_committed": 10, **change}
    response = pol.post("/api/v1/training-commitments/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not TrainingCommitment.objects.exists()


@pytest.mark.parametrize("url", ["/api/v1/pledges/abc/", "/api/v1/stock-reports/99999999999999999999/",
                                 "/api/v1/nations/XXXX/"])
def test_bad_ids_are_404(pol, nations, url):
    assert pol.get(url).status_code == 404


def test_bad_query_parameters_are_400(pol, nations):
    assert pol.get("/api/v1/pledges/?donor=XXX").status_code == 400
    assert pol.get("/api/v1/shortfalls/alliance/?item=abc").status_code == 400
    assert pol.get("/api/v1/fulfilment/items/?donor=XXX").status_code == 400
    assert pol.get("/api/v1/pledges/?ordering=nonsense").status_code == 200  # unknown orderings are ignored
