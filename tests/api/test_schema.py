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
