"""Bad input is a 400 with field-level messages (never a 500), and nothing is written."""

import datetime as dt

import pytest

from coordination.access import CELL
from pledges.models import Delivery, Pledge, TrainingCommitment
from pledges.services import delivery_create
from stockpiles.models import FrameworkAgreement, Order, OrderScheduleLine, StockReport
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


# --- Orders: the order and its schedule in one request, all or nothing --------------------------------

@pytest.fixture
def call_off(nations, nsn_item):
    germany = factories.NationFactory(code="DEU", name="Germany")
    agreement = factories.FrameworkAgreementFactory(lead_nation=germany, item=nsn_item, ceiling_quantity=1000,
                                                    valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2026, 12, 31))
    factories.AgreementParticipantFactory(agreement=agreement, nation=nations["POL"], planned_quantity=600,
                                          joined_on=dt.date(2024, 3, 1))
    return agreement


@pytest.mark.parametrize("change,field", [
    ({"quantity": -1}, "quantity"),
    ({"quantity": HUGE}, "quantity"),
    ({"quantity": "lots"}, "quantity"),
    ({"ordered_on": "2024-02-30"}, "ordered_on"),
    ({"status": "shipped"}, "status"),
    ({"item": "nonsense"}, "item"),
    ({"agreement": 999999}, "agreement"),
    ({"agreement": "x"}, "agreement"),
    ({"schedule": "soon"}, "schedule"),
    ({"schedule": [{"due_on": "2024-06-01"}]}, "schedule"),
    ({"schedule": [{"due_on": "2024-06-01", "quantity": -5}]}, "schedule"),
    ({"schedule": [{"due_on": "2024-06-01", "quantity": 60}, {"due_on": "2024-07-01", "quantity": 50}]},
     "schedule"),                                                             # 110 scheduled, 100 ordered
    ({"schedule": [{"due_on": "2024-06-01", "quantity": 5}, {"due_on": "2024-06-01", "quantity": 5}]},
     "schedule[1]"),                                                          # the same day twice
    ({"reference": "x" * 201}, "reference"),
])
def test_order_bad_input_writes_nothing(pol, nations, nsn_item, change, field):
    body = {"item": nsn_item.pk, "quantity": 100, "ordered_on": "2024-05-01",
            "schedule": [{"due_on": "2024-06-01", "quantity": 50}], **change}
    response = pol.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Order.objects.exists() and not OrderScheduleLine.objects.exists()


@pytest.mark.parametrize("change,field", [
    ({"quantity": 1001}, "quantity"),                 # above the ceiling
    ({"ordered_on": "2024-02-01"}, "ordered_on"),     # before Poland joined
    ({"ordered_on": "2027-02-01"}, "ordered_on"),     # after the agreement ended
])
def test_call_off_rules(pol, nations, nsn_item, call_off, change, field):
    body = {"item": nsn_item.pk, "quantity": 100, "ordered_on": "2024-05-01", "agreement": call_off.pk, **change}
    response = pol.post("/api/v1/orders/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Order.objects.exists()
    assert pol.post("/api/v1/orders/", {**body, **{"quantity": 100, "ordered_on": "2024-05-01"}},
                    format="json").status_code == 201


def test_replacing_a_schedule_is_all_or_nothing(pol, nations, nsn_item):
    created = pol.post("/api/v1/orders/", {"item": nsn_item.pk, "quantity": 100, "ordered_on": "2024-05-01",
                                           "schedule": [{"due_on": "2024-06-01", "quantity": 40}]}, format="json")
    assert created.status_code == 201, created.content
    url = f"/api/v1/orders/{created.json()['id']}/"
    bad = pol.patch(url, {"quantity": 90, "schedule": [{"due_on": "2024-07-01", "quantity": 50},
                                                       {"due_on": "2024-08-01", "quantity": 50}]}, format="json")
    assert bad.status_code == 400, bad.content
    assert "schedule[1]" in bad.json()
    order = Order.objects.get()
    assert order.quantity == 100
    assert list(order.schedule.values_list("due_on", "quantity")) == [(dt.date(2024, 6, 1), 40)]
    good = pol.patch(url, {"schedule": [{"due_on": "2024-07-01", "quantity": 50},
                                        {"due_on": "2024-08-01", "quantity": 50}]}, format="json")
    assert good.status_code == 200, good.content
    assert [(r["due_on"], r["quantity"]) for r in good.json()["schedule"]] == [("2024-07-01", 50), ("2024-08-01", 50)]
    assert good.json()["scheduled_quantity"] == 100


def test_agreement_bad_input(cell, nations, nsn_item):
    body = {"name": "Joint buy", "lead_nation": "POL", "item": nsn_item.pk, "ceiling_quantity": 10,
            "valid_from": "2024-01-01"}
    for change, field in (({"ceiling_quantity": -1}, "ceiling_quantity"), ({"lead_nation": "XXX"}, "lead_nation"),
                          ({"valid_to": "2023-01-01"}, "non_field_errors"),
                          ({"unit_price_eur": "-3"}, "unit_price_eur"), ({"manufacturer": 99999}, "manufacturer")):
        response = cell.post("/api/v1/agreements/", {**body, **change}, format="json")
        assert response.status_code == 400, (change, response.content)
        assert field in response.json(), (change, response.json())
    assert not FrameworkAgreement.objects.exists()


# --- Issue 13 §3: what a fuzzer found, and the whole class around it ----------------------------------

LISTS = ["/api/v1/pledges/", "/api/v1/deliveries/", "/api/v1/stock-reports/", "/api/v1/production-rates/",
         "/api/v1/guidelines/", "/api/v1/orders/", "/api/v1/order-schedule-lines/", "/api/v1/agreements/",
         "/api/v1/alerts/", "/api/v1/shortfalls/", "/api/v1/current-stock/", "/api/v1/training-commitments/",
         "/api/v1/requirements/", "/api/v1/items/"]


@pytest.mark.parametrize("query,field", [
    ("page=0%1E", "page"),                      # a control character after a number (was a 500)
    ("page=0", "page"), ("page=%C2%B9", "page"), ("page=last", "page"),
    ("page_size=true", "page_size"), ("page_size=0", "page_size"), ("page_size=1001", "page_size"),
    ("format=", "format"), ("format=xml", "format"),
    ("status=", "status"), ("item=", "item"),
    ("x%1B%5B31m=1", "x?[31m"),                # an ANSI escape in a parameter name
    ("ordering=%1B%5B2J", "ordering"),
])
@pytest.mark.parametrize("url", LISTS)
def test_every_list_refuses_malformed_common_parameters(pol, nations, url, query, field):
    response = pol.get(f"{url}?{query}")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


@pytest.mark.parametrize("url,field", [
    ("/api/v1/fulfilment/donors/?item=%C2%B9", "item"),          # '¹'.isdigit() is true (was a 500)
    ("/api/v1/fulfilment/donors/?item=%D9%A1%D9%A2", "item"),   # Arabic-Indic digits
    ("/api/v1/fulfilment/donors/?item=0", "item"),
    ("/api/v1/shortfalls/alliance/?item=%C2%B9", "item"),
    ("/api/v1/shortfalls/alliance/?item=1&item=x", "item"),
    ("/api/v1/production-rates/?item=%C2%B9", "item"),
    ("/api/v1/production-rates/?item=1e999999999", "item"),     # a Decimal no int() should ever build
    ("/api/v1/production-rates/?item=1.5", "item"),
    ("/api/v1/production-rates/?effective_after=%D9%A2%D9%A0%D9%A2%D9%A4-01-01", "effective_after"),
    ("/api/v1/production-rates/?effective_after=01/02/2024", "effective_after"),
    ("/api/v1/production-rates/?effective_before=2024-02-30", "effective_before"),
    ("/api/v1/production-rates/?nation=%C2%B9", "nation"),
    ("/api/v1/production-rates/?nation=POLAND", "nation"),
    ("/api/v1/stock-reports/?as_of_after=99999-01-01", "as_of_after"),
    ("/api/v1/deliveries/?pledge=-1", "pledge"),
    ("/api/v1/orders/?national_contract=maybe", "national_contract"),
    ("/api/v1/alerts/?open=1", "open"),
    ("/api/v1/pledges/?overdue=yes", "overdue"),
    ("/api/v1/pledges/?donor=P%1BL", "donor"),
])
def test_typed_filters_refuse_what_they_cannot_parse(pol, nations, url, field):
    response = pol.get(url)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()


def test_typed_filters_still_filter(pol, nations, nsn_item):
    factories.PledgeFactory(donor=nations["POL"], item=nsn_item, quantity=5)
    assert pol.get(f"/api/v1/fulfilment/donors/?item={nsn_item.pk}").json()[0]["pledged"] == 5
    assert len(pol.get("/api/v1/pledges/?donor=pol&overdue=true&announced_after=2000-01-01").json()["results"]) == 1
    assert pol.get("/api/v1/pledges/?donor=USA").json()["results"] == []
    assert pol.get("/api/v1/alerts/?open=true").status_code == 200


@pytest.mark.parametrize("depth", [33, 500, 700, 900, 950, 5000])
def test_deeply_nested_bodies_are_a_400(pol, nations, depth):
    response = pol.generic("POST", "/api/v1/stock-reports/", "[" * depth + "]" * depth,
                           content_type="application/json")
    assert response.status_code == 400, response.content
    assert "nested" in response.json()["detail"]


def test_an_oversized_body_gets_the_apis_json_error(pol, nations, settings):
    body = '{"reference": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = pol.generic("POST", "/api/v1/pledges/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["detail"]


@pytest.mark.parametrize("url,body,field", [
    ("/api/v1/pledges/", {"recipient": "UKR", "quantity": 1, "announced_on": "2024-01-01",
                          "reference": "\x1b[31mPAID\x1b[0m"}, "reference"),
    ("/api/v1/pledges/", {"recipient": "UKR", "quantity": 1, "announced_on": "2024-01-01",
                          "reference": "line\nbreak"}, "reference"),
    ("/api/v1/pledges/", {"recipient": "UKR", "quantity": 1, "announced_on": "2024-01-01",
                          "notes": "bell\x07"}, "notes"),
    ("/api/v1/pledges/", {"recipient": "UKR", "quantity": 1, "announced_on": "2024-01-01",
                          "notes": "C1 \x9b31m"}, "notes"),
    ("/api/v1/training-commitments/", {"recipient": "UKR", "programme": "crew\x1b[2J", "trainees_committed": 1},
     "programme"),
    ("/api/v1/orders/", {"quantity": 1, "ordered_on": "2024-05-01", "reference": "\x1b]8;;x\x07"}, "reference"),
])
def test_control_characters_in_free_text_are_refused(pol, nations, nsn_item, url, body, field):
    response = pol.post(url, {"item": nsn_item.pk, **body}, format="json")
    assert response.status_code == 400, response.content
    assert "Control characters" in response.json()[field][0]
    assert not Pledge.objects.exists() and not TrainingCommitment.objects.exists() and not Order.objects.exists()


def test_multi_line_notes_keep_their_line_breaks(pol, nations, nsn_item):
    response = pol.post("/api/v1/pledges/", {"recipient": "UKR", "item": nsn_item.pk, "quantity": 1,
                                             "announced_on": "2024-01-01", "notes": "first\r\n\tsecond"},
                        format="json")
    assert response.status_code == 201, response.content


def test_empty_text_filters_mean_no_filter(pol, nations, nsn_item):
    assert pol.get("/api/v1/items/?name__icontains=&nsn=&ordering=").json()["count"] == 1
    assert pol.get("/api/v1/training-commitments/?programme=&donor=").status_code == 200
    assert pol.get("/api/v1/items/?category=").status_code == 400
