"""The notification scenario: POL and USA with an officer each (with addresses), the cell, a guideline."""

from __future__ import annotations

import datetime as dt

from rest_framework.test import APIClient

from coordination.api.tokens import token_issue
from tests import factories
from tests.conftest import make_user

POL_OFFICER = "pol-officer@example.org"
USA_OFFICER = "usa-officer@example.org"
CELL_USER = "coordinator@example.org"


def people(nations):
    pol = make_user("pol-officer", nation=nations["POL"])
    usa = make_user("usa-officer", nation=nations["USA"])
    cell = make_user("coordinator", is_cell=True)
    for user, address in ((pol, POL_OFFICER), (usa, USA_OFFICER), (cell, CELL_USER)):
        user.email = address
        user.save(update_fields=["email"])
    return {"POL": pol, "USA": usa, "cell": cell}


def token_client(nation) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(nation=nation, name=f'{nation.code} system')[1]}")
    return client


def guideline(item, quantity: int = 10_000):
    return factories.GuidelineFactory(item=item, minimum_quantity=quantity)


def report(client: APIClient, item, quantity: int, day: dt.date = dt.date(2024, 1, 1)):
    response = client.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": quantity,
                                                     "as_of": day.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    return response
