"""Requirements: the recipient states its own (token or officer), the cell any; other nations are refused.

The same rule in the admin, the import and the API: ``Requirement.access_q`` through ``record_save``.
"""

import pytest

from coordination.api.tokens import token_issue
from pledges.models import Requirement
from tests import factories
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db
URL = "/api/v1/requirements/"


@pytest.fixture
def ukr(nations):
    return client_with(token_issue(nation=nations["UKR"], name="UKR GS J4")[1])


def body(item, **extra):
    return {"item": item.pk, "quantity": 90_000, "period_from": "2025-01-01", "period_to": "2025-03-31",
            "priority": 1, **extra}


def test_the_recipient_states_its_own_requirement_by_token(ukr, item, nations):
    response = ukr.post(URL, body(item, recipient="POL"), format="json")  # naming another nation is refused
    assert response.status_code == 400 and list(response.json()) == ["recipient"]
    assert not Requirement.objects.exists()
    response = ukr.post(URL, body(item, recipient="UKR"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["recipient"] == "UKR"
    requirement = Requirement.objects.get()
    assert requirement.recipient == nations["UKR"]
    assert requirement.history.get().history_change_reason.startswith("API token")
    response = ukr.patch(f"{URL}{requirement.pk}/", {"quantity": 120_000}, format="json")
    assert response.status_code == 200 and response.json()["quantity"] == 120_000


def test_other_nations_may_not_state_or_change_requirements(pol, usa, ukr, item, nations):
    for client in (pol, usa):
        response = client.post(URL, body(item), format="json")
        assert response.status_code == 403
        assert "only the recipient states them" in response.json()["detail"]
    assert not Requirement.objects.exists()  # the refused create was rolled back
    requirement = factories.RequirementFactory(recipient=nations["UKR"], item=item, quantity=10)
    assert pol.patch(f"{URL}{requirement.pk}/", {"quantity": 1}, format="json").status_code == 403
    requirement.refresh_from_db()
    assert requirement.quantity == 10
    assert pol.get(f"{URL}{requirement.pk}/").status_code == 200  # every nation reads them


def test_the_cell_names_the_recipient(cell, item, nations):
    response = cell.post(URL, body(item), format="json")
    assert response.status_code == 400 and "recipient" in response.json()
    response = cell.post(URL, body(item, recipient="UKR"), format="json")
    assert response.status_code == 201 and response.json()["recipient"] == "UKR"


def test_bad_input_from_the_recipient_is_a_field_error(ukr, item):
    response = ukr.post(URL, body(item, period_to="2024-01-01", quantity=-1), format="json")
    assert response.status_code == 400
    assert "quantity" in response.json()
    assert not Requirement.objects.exists()
