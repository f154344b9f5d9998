"""schemathesis over the whole schema, authenticated as a national client (POL):
no server errors, status codes, content types and bodies conform to the schema."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from coordination.api.tokens import token_issue
from tests import factories

CHECKS = [schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


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


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
def test_api_conforms_to_its_schema(case, pol_key):
    case.call_and_validate(headers={"Authorization": f"Token {pol_key}"}, checks=CHECKS)
