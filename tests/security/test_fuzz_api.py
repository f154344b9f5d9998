"""Arbitrary JSON bodies POSTed/PATCHed/PUT to every write endpoint: a 2xx or a 4xx with a JSON body,
never a 500.

Complements ``tests/api/test_schemathesis.py``, which generates bodies *from the schema* for a national
token only: here the bodies are arbitrary JSON and, more often, objects with the endpoint's own keys
holding hostile values (NUL, lone surrogates, bidi marks, 10,000 characters, integers far beyond 64
bits, malformed dates, codes and NSNs, nested structures), sent by the cell (which may write every
resource, so the bodies reach the services) and by a national token.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from coordination.api.tokens import token_issue
from tests import factories

pytestmark = pytest.mark.django_db

ALLOWED = {200, 201, 400, 403, 404, 409, 422}
FUZZ = settings(max_examples=25, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])

HOSTILE_STRINGS = ["", "\x00", "a\x00", "\ud800", "\udfff\ud800", "\u202e", "😀", "x" * 10_000, "2024-02-30",
                   "0000-01-01", "9999-12-31", "10000-01-01", "-1", "1e400", "NaN", "POL", "pol", "UKR", "EU",
                   "1320012345678", "1320-01-234-5678", "1320-01-234", "１３２０", "99999999999999999999",
                   "2024-01-01T00:00:00Z", "true", "null", "[]", "{}", "delivered", "cancelled", "national_stock"]
HOSTILE_INTS = [0, 1, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**40, -(10**40)]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(HOSTILE_INTS),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20), st.sampled_from(HOSTILE_STRINGS),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=10),
)
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=12)

FIELDS = {
    "nations": ["code", "name", "role", "joined_on"],
    "categories": ["name"],
    "items": ["category", "name", "unit", "nsn", "unit_value_eur"],
    "pledges": ["donor", "recipient", "item", "quantity", "value_eur", "announced_on", "due_on", "source", "status",
                "releasability", "reference", "notes"],
    "deliveries": ["pledge", "quantity", "status", "shipped_on", "delivered_on", "reference"],
    "training-commitments": ["donor", "recipient", "programme", "trainees_committed", "trainees_completed",
                             "start_on", "end_on", "status", "reference"],
    "requirements": ["recipient", "item", "quantity", "period_from", "period_to", "priority", "notes"],
    "stock-reports": ["nation", "item", "quantity", "as_of"],
    "guidelines": ["item", "nation", "minimum_quantity", "effective_from", "effective_to"],
    "production-rates": ["nation", "item", "units_per_month", "effective_from", "reference"],
}
BULK = {"deliveries", "stock-reports"}
PUT = {"pledges", "deliveries", "training-commitments"}  # full updates as well as PATCH
APPEND_ONLY = {"stock-reports"}  # POST only


def shaped(resource: str):
    """An object with the endpoint's own keys (some missing, some extra) holding hostile values."""
    keys = FIELDS[resource]
    hostile = st.sampled_from([*HOSTILE_STRINGS, *HOSTILE_INTS])
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.sampled_from(keys), st.text(max_size=6)),
                           st.one_of(hostile, hostile, json_values), max_size=len(keys) + 2)


def bodies(resource: str):
    return st.one_of(shaped(resource), shaped(resource), shaped(resource), json_values)


@pytest.fixture
def clients(nations, item, coordinator, settings):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "1000000/min", "bulk": "1000000/min"}
    settings.REST_FRAMEWORK = rest
    item.nsn = "1320012345678"
    item.save()
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=1000, due_on=None)
    delivery = factories.DeliveryFactory(pledge=pledge, quantity=10)
    pledge.allocated_quantity = 10
    pledge.save()
    training = factories.TrainingCommitmentFactory(donor=nations["POL"], recipient=nations["UKR"])
    requirement = factories.RequirementFactory(recipient=nations["UKR"], item=item)
    guideline = factories.GuidelineFactory(item=item)
    rate = factories.ProductionRateFactory(nation=nations["POL"], item=item)
    ids = {"nations": "POL", "categories": item.category_id, "items": item.pk, "pledges": pledge.pk,
           "deliveries": delivery.pk, "training-commitments": training.pk, "requirements": requirement.pk,
           "guidelines": guideline.pk, "production-rates": rate.pk}
    cell = APIClient()
    cell.force_login(coordinator)
    pol = APIClient()
    pol.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(nation=nations['POL'], name='fuzz')[1]}")
    return {"cell": cell, "pol": pol, "ids": ids}


@pytest.mark.parametrize("resource,body", [
    ("categories", {"name": "\ud800"}),
    ("nations", {"code": "XYZ", "name": "x\udfff"}),
    ("pledges", {"recipient": "UKR", "item": 1, "quantity": 1, "announced_on": "2024-01-01", "notes": "\ud800"}),
])
def test_unpaired_surrogates_are_a_400(clients, resource, body):
    """JSON may carry ``\\ud800`` escapes; Python decodes them to text no database can store."""
    response = clients["cell"].post(f"/api/v1/{resource}/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert "surrogate" in json.dumps(response.json()).lower()


@pytest.mark.parametrize("resource,body", [
    ("nations", {"role": "\ud800"}),  # DRF's choice message echoes the value: '"\ud800" is not a valid choice.'
    ("pledges", {"source": "\udfff", "status": "x\ud800"}),
    ("deliveries", {"status": "\ud800"}),
])
def test_a_message_that_echoes_a_surrogate_is_still_a_400(clients, resource, body):
    """An error message quoting the input (a choice field's) carries the surrogate into the response: written as
    its escape, the answer is a 400 with that field named, not a 500 in the renderer."""
    response = clients["cell"].post(f"/api/v1/{resource}/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400, response.content
    assert set(body) <= set(response.json())


def send(client: APIClient, method: str, url: str, body) -> None:
    # json.dumps escapes lone surrogates (\ud800), as a real client's JSON would carry them.
    response = getattr(client, method)(url, data=json.dumps(body), content_type="application/json")
    assert response.status_code in ALLOWED, (method, url, body, response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    if response.status_code >= 400:
        assert response.json(), response.content  # an explanation, not an empty body


def _resource_test(resource: str):
    @FUZZ
    @given(body=bodies(resource), who=st.sampled_from(["cell", "pol"]),
           method=st.sampled_from(["post"] if resource in APPEND_ONLY else
                                  ["post", "patch", "put"] if resource in PUT else ["post", "patch"]))
    def test(clients, body, who, method):
        client = clients[who]
        if method == "post":
            send(client, "post", f"/api/v1/{resource}/", body)
        else:
            send(client, method, f"/api/v1/{resource}/{clients['ids'][resource]}/", body)

    test.__name__ = f"test_arbitrary_json_to_{resource.replace('-', '_')}"
    return test


for _resource in FIELDS:
    globals()[f"test_arbitrary_json_to_{_resource.replace('-', '_')}"] = _resource_test(_resource)


def _bulk_test(resource: str):
    @FUZZ
    @given(rows=st.one_of(st.lists(shaped(resource), min_size=1, max_size=6), json_values),
           who=st.sampled_from(["cell", "pol"]))
    def test(clients, rows, who):
        send(clients[who], "post", f"/api/v1/{resource}/bulk/", rows)

    test.__name__ = f"test_arbitrary_json_to_{resource.replace('-', '_')}_bulk"
    return test


for _resource in sorted(BULK):
    globals()[f"test_arbitrary_json_to_{_resource.replace('-', '_')}_bulk"] = _bulk_test(_resource)


@pytest.mark.parametrize("body", [b'{"quantity": NaN}', b'{"quantity": Infinity}', b"\xff\xfe", b'{"a": "\\ud800"',
                                  b"", b"   ", b'{"a": 1', b"\x00"])
def test_a_body_that_is_not_json_is_a_400(clients, body):
    response = clients["cell"].post("/api/v1/pledges/", data=body, content_type="application/json")
    assert response.status_code == 400, (body[:20], response.status_code)


@pytest.mark.parametrize("body", [b"[" * 2000 + b"]" * 2000, b'{"a":' * 2000 + b"1" + b"}" * 2000])
def test_deeply_nested_json_is_a_400(clients, body):
    response = clients["cell"].post("/api/v1/pledges/", data=body, content_type="application/json")
    assert response.status_code == 400
