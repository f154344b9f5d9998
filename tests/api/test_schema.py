"""The OpenAPI schema: valid, without warnings, public; interactive docs served without any CDN."""

import io
import re

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target), stderr=io.StringIO())
    schema = yaml.safe_load(target.read_text())
    paths = schema["paths"]
    for path in ("/api/v1/stock-reports/bulk/", "/api/v1/deliveries/bulk/", "/api/v1/pledges/{id}/",
                 "/api/v1/shortfalls/", "/api/v1/shortfalls/alliance/", "/api/v1/alerts/",
                 "/api/v1/fulfilment/donors/", "/api/v1/nations/{code}/"):
        assert path in paths, path
    assert schema["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    bulk = paths["/api/v1/stock-reports/bulk/"]["post"]
    assert {"201", "400", "401", "409", "422"} <= set(bulk["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in bulk["parameters"])


def test_schema_is_public(anon):
    response = anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Aid Coordination Cell API"


def test_docs_load_nothing_from_outside(anon):
    response = anon.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    external = re.findall(r'(?:src|href)=["\'](https?:)?//', html)
    assert external == [], external
    assert "drf_spectacular_sidecar" in html
    # The init script is served as a file (CSP: no inline script); it turns the online validator off.
    script = anon.get("/api/docs/?script=")
    assert script.status_code == 200
    assert '"validatorUrl": null' in script.content.decode()


def test_api_root_links_every_resource(pol, anon):
    assert anon.get("/api/v1/").status_code == 401
    links = pol.get("/api/v1/").json()
    assert links["stock-reports"] == "http://testserver/api/v1/stock-reports/"
    for url in links.values():
        assert pol.get(url).status_code == 200, url


def test_browsable_api_for_a_logged_in_coordinator(cell):
    response = cell.get("/api/v1/stock-reports/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Stock Report List" in response.content or b"stock-reports" in response.content


def _schema(anon):
    return anon.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()


def _param(operation, name):
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_the_schema_states_what_the_server_enforces(anon, pol, nations):
    """Issue 13 §3: the rules the server enforces are in the schema, and the server holds to them."""
    from coordination.api.schema import IDEMPOTENCY_KEY_PATTERN, LINE_PATTERN, TEXT_PATTERN

    schema = _schema(anon)
    pledges = schema["paths"]["/api/v1/pledges/"]
    key = _param(pledges["post"], "Idempotency-Key")["schema"]
    assert (key["minLength"], key["maxLength"], key["pattern"]) == (1, 255, IDEMPOTENCY_KEY_PATTERN)
    page, size = _param(pledges["get"], "page")["schema"], _param(pledges["get"], "page_size")["schema"]
    assert (page["minimum"], size["minimum"], size["maximum"]) == (1, 1, 1000)
    assert _param(pledges["get"], "donor")["schema"]["items"]["pattern"] == "^[A-Za-z]{2,3}$"
    assert _param(pledges["get"], "ordering")["schema"]["pattern"] == LINE_PATTERN
    body = schema["components"]["schemas"]["PledgeInRequest"]["properties"]
    assert body["notes"]["pattern"] == TEXT_PATTERN
    assert body["value_eur"]["pattern"] == r"^[0-9]{1,16}(?:\.[0-9]{1,2})?$"
    # The server refuses what the schema refuses.
    pattern = re.compile(IDEMPOTENCY_KEY_PATTERN)
    for bad in (" k", "k ", "é", "k\x1b"):
        assert not pattern.match(bad)
        response = pol.post("/api/v1/pledges/", {}, format="json", HTTP_IDEMPOTENCY_KEY=bad)
        assert response.status_code == 400 and "Idempotency-Key" in response.json(), bad
    assert pol.get("/api/v1/pledges/?page_size=1001").status_code == 400
    assert pol.get("/api/v1/pledges/?donor=POLAND").status_code == 400
    assert pol.get("/api/v1/pledges/?ordering=%1B").status_code == 400
    assert pol.get("/api/v1/pledges/?ordering=").status_code == 200  # free text: empty is "no ordering"
    assert pol.get("/api/v1/pledges/?donor=").status_code == 400  # typed: empty is refused
