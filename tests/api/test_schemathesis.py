"""schemathesis over the whole schema with every check (as ``st run --checks all``), authenticated as a
national client (POL), a bounded number of examples per operation: no server error, status codes,
content types, headers and bodies as documented, and no schema/server mismatch either way:

- what the schema calls invalid is refused (``negative_data_rejection``);
- what it calls valid is accepted (``positive_data_acceptance``), with one documented allowance: a write
  or filter may still be refused with a 400 for a rule a schema cannot state (an id or nation code
  that does not exist, a business rule such as a ceiling or "already reported"). Such a 400 must never
  be a format refusal (``FORMAT_MESSAGES``): that would be a rule the schema should have stated.
"""

import json

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi import checks as openapi_checks

from coordination.api.tokens import token_issue
from tests import factories

# Messages of the server's format rules (type, length, range, text, date, id, page rules). A positive
# (schema-valid) case refused with one of these is a schema/server mismatch.
FORMAT_MESSAGES = (
    "A valid integer is required", "A valid number is required", "Enter a valid date", "Date has wrong format",
    "Not a valid string", "Ensure this field has no more than", "Ensure this field has at least",
    "Ensure this value is less than", "Ensure this value is greater than", "Ensure that there are no more",
    "This field may not be blank", "This field may not be null", "This field is required",
    "Must be a valid boolean", "is not a valid choice", "Expected a list", "Incorrect type",
    "Control characters", "NUL characters", "not valid Unicode", "nested", "JSON parse error",
    "Give a whole number", "Give an id", "Give item id", "Give a date", "Give true or false",
    "Give nation codes", "Give a value, or leave", "Give one of", "Give a nation code", "Give a key of",
    "The number is out of range", "A value is out of range", "Invalid page",
)


def positive_data_acceptance(ctx, response, case):
    """schemathesis' check, with the allowance above."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status in (401, 403, 404, 409, 422, 429) or status >= 500:
        return None  # 409/422: a generated Idempotency-Key reused; 5xx: not_a_server_error reports it
    text = response.text if hasattr(response, "text") else response.content.decode(errors="replace")
    if status == 400 and not any(message in text for message in FORMAT_MESSAGES):
        return None
    raise AssertionError(f"Schema-valid request refused ({status}) by a rule the schema does not state: "
                         f"{text[:500]}")


CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
    openapi_checks.use_after_free,
    openapi_checks.ensure_resource_availability,
    openapi_checks.missing_required_header,
    openapi_checks.ignored_auth,
    openapi_checks.unsupported_method,
    openapi_checks.allow_header_conformance,
    positive_data_acceptance,
]

# Generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.fixture
def keep_connection():
    """Requests go through the WSGI handler directly: keep it from closing the test's database
    connection at the end of each request (Django's test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def pol_key(nations, settings, keep_connection):
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {"client": "100000/min", "bulk": "100000/min"}
    settings.REST_FRAMEWORK = rest
    item = factories.ItemFactory(name="155 mm HE projectile", nsn="1320012345678")
    factories.PledgeFactory(donor=nations["POL"], item=item, quantity=1000)
    return token_issue(nation=nations["POL"], name="schemathesis")[1]


def test_the_whole_api_is_covered():
    operations = [result.ok() for result in schema.get_all_operations()]
    paths = {op.path for op in operations}
    assert len(operations) >= 60
    assert {"/api/v1/pledges/", "/api/v1/stock-reports/bulk/", "/api/v1/orders/{id}/",
            "/api/v1/fulfilment/donors/"} <= paths
    raw = json.loads(json.dumps(schema.raw_schema))
    assert all(p.startswith("/api/v1/") for p in raw["paths"])


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
def test_api_conforms_to_its_schema(case, pol_key):
    case.call_and_validate(headers={"Authorization": f"Token {pol_key}"}, checks=CHECKS)
