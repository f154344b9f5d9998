"""Issue 13 §4: a national client's body that names another nation in a nation-bound field is a 400
naming the field; nothing is written or re-assigned. Its own code (any case) or no code is accepted."""

import pytest

from pledges.models import Pledge, Requirement, TrainingCommitment
from stockpiles.models import Order, ProductionRate, StockReport
from tests import factories

pytestmark = pytest.mark.django_db


def _creates(item):
    return [
        ("/api/v1/stock-reports/", "nation", {"item": item.pk, "quantity": 1, "as_of": "2024-01-01"}),
        ("/api/v1/pledges/", "donor", {"recipient": "UKR", "item": item.pk, "quantity": 1,
                                       "announced_on": "2024-01-01"}),
        ("/api/v1/training-commitments/", "donor", {"recipient": "UKR", "programme": "crew",
                                                    "trainees_committed": 1}),
        ("/api/v1/orders/", "nation", {"item": item.pk, "quantity": 1, "ordered_on": "2024-05-01"}),
        ("/api/v1/production-rates/", "nation", {"item": item.pk, "units_per_month": 1,
                                                 "effective_from": "2024-01-01"}),
    ]


MODELS = (StockReport, Pledge, TrainingCommitment, Order, ProductionRate)


@pytest.mark.parametrize("index", range(5))
def test_creates_refuse_another_nation_and_accept_their_own(pol, nations, item, index):
    url, field, body = _creates(item)[index]
    response = pol.post(url, {field: "USA", **body}, format="json")
    assert response.status_code == 400, response.content
    assert response.json() == {field: [f"You write for POL only: leave {field} out or give POL; nothing was written."]}
    assert not any(model.objects.exists() for model in MODELS)
    assert pol.post(url, {field: "pol", **body}, format="json").status_code == 201


def test_a_requirement_names_its_recipient_only_as_the_recipient(nations, item):
    from coordination.api.tokens import token_issue
    from tests.api.conftest import client_with

    ukr = client_with(token_issue(nation=nations["UKR"], name="UKR")[1])
    body = {"item": item.pk, "quantity": 5, "period_from": "2024-01-01", "period_to": "2024-12-31"}
    response = ukr.post("/api/v1/requirements/", {"recipient": "POL", **body}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["recipient"]
    created = ukr.post("/api/v1/requirements/", {"recipient": "UKR", **body}, format="json")
    assert created.status_code == 201, created.content
    patched = ukr.patch(f"/api/v1/requirements/{created.json()['id']}/", {"recipient": "POL"}, format="json")
    assert patched.status_code == 400 and list(patched.json()) == ["recipient"]
    assert Requirement.objects.get().recipient.code == "UKR"


def test_bulk_stock_reports_name_the_rows_that_name_another_nation(pol, nations, item):
    rows = [{"item": item.pk, "quantity": 1, "as_of": "2024-01-01"},
            {"nation": "USA", "item": item.pk, "quantity": 1, "as_of": "2024-01-02"},
            {"nation": "POL", "item": item.pk, "quantity": 1, "as_of": "2024-01-03"}]
    response = pol.post("/api/v1/stock-reports/bulk/", rows, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["1"]
    assert list(response.json()["errors"]["1"]) == ["nation"]
    assert not StockReport.objects.exists()


def test_changes_refuse_another_nation(pol, nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=10)
    response = pol.patch(f"/api/v1/pledges/{pledge.pk}/", {"donor": "USA", "quantity": 11}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["donor"]
    assert Pledge.objects.get().quantity == 10
    order = pol.post("/api/v1/orders/", {"item": item.pk, "quantity": 1, "ordered_on": "2024-05-01"}, format="json")
    response = pol.patch(f"/api/v1/orders/{order.json()['id']}/", {"nation": "USA", "quantity": 2}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["nation"]
    rate = pol.post("/api/v1/production-rates/", {"item": item.pk, "units_per_month": 1,
                                                  "effective_from": "2024-01-01"}, format="json")
    response = pol.patch(f"/api/v1/production-rates/{rate.json()['id']}/", {"nation": "USA"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["nation"]
    own = pol.patch(f"/api/v1/pledges/{pledge.pk}/", {"donor": "POL", "quantity": 11}, format="json")
    assert own.status_code == 200


def test_the_cell_still_names_any_nation(cell, nations, item):
    response = cell.post("/api/v1/stock-reports/", {"nation": "USA", "item": item.pk, "quantity": 1,
                                                    "as_of": "2024-01-01"}, format="json")
    assert response.status_code == 201 and response.json()["nation"] == "USA"
