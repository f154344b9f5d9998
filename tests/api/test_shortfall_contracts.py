"""The shortfall API shows what a contracted delivery schedule does to a nation's recovery."""

import datetime as dt

import pytest
from django.utils import timezone

from coordination.access import CELL
from stockpiles.services import stock_report_create
from stockpiles.shortfalls import add_months
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_order_posted_through_the_api_brings_recovery_forward(
    pol, nations, item, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    factories.GuidelineFactory(item=item, nation=None, minimum_quantity=1_000, effective_from=dt.date(2000, 1, 1))
    factories.ProductionRateFactory(nation=nations["POL"], item=item, units_per_month=100,
                                    effective_from=dt.date(2000, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=700, as_of=today)

    before = pol.get("/api/v1/shortfalls/").json()["results"]
    # Short by 300 at 100 a month: ceil(300 / 100) = 3 months, nothing contracted.
    assert [(r["shortfall"], r["months_to_recover"], r["contracted_inflow"]) for r in before] == [(300, 3, 0)]
    assert before[0]["recovers_on"] == add_months(today, 3).isoformat()

    with django_capture_on_commit_callbacks(execute=True):
        response = pol.post("/api/v1/orders/", {
            "item": item.pk, "quantity": 500, "ordered_on": today.isoformat(), "reference": "POL-NAT-1",
            "schedule": [{"due_on": (today + dt.timedelta(days=1)).isoformat(), "quantity": 200},
                         {"due_on": add_months(today, 6).isoformat(), "quantity": 300}],
        }, format="json")
    assert response.status_code == 201, response.json()

    after = pol.get("/api/v1/shortfalls/").json()["results"]
    # Month 1: 700 + 100 + 200 = 1,000 >= 1,000, so one month; all 500 scheduled are contracted inflow.
    assert [(r["shortfall"], r["months_to_recover"], r["contracted_inflow"]) for r in after] == [(300, 1, 500)]
    assert after[0]["recovers_on"] == add_months(today, 1).isoformat()
