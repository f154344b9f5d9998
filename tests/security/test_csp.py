"""Content Security Policy (django-csp): the header on every kind of page, and no violation in Chromium."""

from __future__ import annotations

import pytest

from tests.browser.conftest import browser, session  # noqa: F401  (Playwright fixtures, Debian Chromium)
from tests.conftest import make_user
from tests.dashboard import scenario

CSP = "Content-Security-Policy"
# htmx 2's start-up indicator <style>, allowed by hash (coordination/settings.py).
HTMX = "'sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk='"


def directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/login/", "/accounts/login/", "/api/docs/",
                                  "/api/v1/", "/admin/pledges/pledge/", "/procurement/", "/audit/",
                                  "/accounts/2fa/"])
def test_header_on_dashboard_admin_and_api_docs(client, coordinator, path):
    if "login" not in path:
        client.force_login(coordinator)
    response = client.get(path)
    assert response.status_code == 200
    policy = directives(response[CSP])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert "'unsafe-inline'" not in response[CSP]
    assert "'unsafe-eval'" not in response[CSP]


@pytest.mark.django_db
def test_only_the_api_docs_allow_their_one_inline_style_by_hash(client, coordinator):
    docs = directives(client.get("/api/docs/")[CSP])
    assert docs["style-src"] == ["'self'", HTMX, "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='"]
    assert directives(client.get("/accounts/login/")[CSP])["style-src"] == ["'self'", HTMX]
    # The Swagger UI start-up script is a separate file, not inline.
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert b'"validatorUrl": null' in script.content  # no call to the public swagger.io validator


RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile);
});
"""


def visit(browser_session, path: str) -> list[str]:
    browser_session.page.goto(browser_session.url(path))
    browser_session.page.wait_for_load_state("networkidle")
    return browser_session.page.evaluate("window.__cspViolations")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_in_chromium(session, nations):  # noqa: F811 (the imported fixture)
    scenario.build(nations)
    make_user("coordinator", is_cell=True)
    page = session.page
    page.add_init_script(RECORD_VIOLATIONS)
    missing = []
    page.on("response", lambda r: r.status == 404 and missing.append(r.url.removeprefix(session.base_url)))
    session.login("coordinator")  # through the login form: django-axes sees a real request
    pages = {"/": None, "/admin/login/": None, "/admin/": None, "/admin/pledges/pledge/": None,
             "/admin/pledges/pledge/import/": None, "/api/docs/": None, "/procurement/": None, "/audit/": None,
             "/accounts/2fa/": None}
    for path in pages:
        pages[path] = visit(session, path)
    # Swagger UI rendered from the local sidecar files and its separate script.
    page.goto(session.url("/api/docs/"))
    page.locator(".swagger-ui .info .title").wait_for()
    assert "Aid Coordination Cell API" in page.locator(".swagger-ui .info .title").inner_text()
    pages["/api/docs/ (rendered)"] = page.evaluate("window.__cspViolations")
    # The change form with autocomplete widgets (select2): open one and search.
    page.goto(session.url("/admin/pledges/pledge/add/"))
    page.locator("#id_donor + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("Pol")
    page.locator(".select2-results__option", has_text="Poland").wait_for()
    pages["/admin/pledges/pledge/add/"] = page.evaluate("window.__cspViolations")
    assert {path: found for path, found in pages.items() if found} == {}
    # The admin pages have no favicon link, so Chromium asks for /favicon.ico (404): not a CSP matter.
    assert set(missing) <= {"/favicon.ico"}
    not_found = "Failed to load resource: the server responded with a status of 404 (Not Found)"
    assert [e for e in session.console_errors if e != not_found] == []
    assert session.foreign_requests == []
