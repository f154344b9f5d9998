"""Throttling per client: one client's budget does not spend another's."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "3/min", "bulk": "1/min"}
    settings.REST_FRAMEWORK = rest


def test_each_client_has_its_own_budget(tight_rates, pol, usa):
    assert [pol.get("/api/v1/nations/").status_code for _ in range(4)] == [200, 200, 200, 429]
    throttled = pol.get("/api/v1/nations/")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert usa.get("/api/v1/nations/").status_code == 200


def test_bulk_writes_have_their_own_lower_rate(tight_rates, pol, item):
    rows = [{"item": item.pk, "quantity": 1, "as_of": "2024-01-01"}]
    assert pol.post("/api/v1/stock-reports/bulk/", rows, format="json").status_code == 201
    assert pol.post("/api/v1/stock-reports/bulk/", rows, format="json").status_code == 429
    assert pol.get("/api/v1/nations/").status_code == 200
