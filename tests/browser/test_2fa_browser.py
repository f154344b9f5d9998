"""Two-factor enrolment and the audit view in Chromium: what a coordinator really sees and types."""

from __future__ import annotations

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from tests.conftest import make_user
from tests.dashboard import scenario
from tests.security.test_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def code_from_secret(secret_text: str) -> str:
    """What an authenticator app shows for the secret the page printed (base32, spaces allowed)."""
    key = b32decode(secret_text.replace(" ", ""))
    return f"{TOTP(key).token():06d}"


def test_first_login_walks_through_enrolment(session, nations):
    scenario.build(nations)
    make_user("coordinator", is_cell=True)
    page = session.page
    page.add_init_script(RECORD_VIOLATIONS)
    session.login("coordinator", otp=False, next_path="/pledges/")
    assert "/accounts/2fa/setup/" in page.url
    qr = page.locator(".qr svg")
    assert qr.is_visible() and qr.bounding_box()["width"] > 100  # the QR code, drawn from inline SVG
    secret = page.locator("#otp-secret").inner_text()
    session.shot("2fa-enrol")
    assert page.evaluate("window.__cspViolations") == []

    page.fill("#id_otp_token", "000000")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator(".error").is_visible()
    page.wait_for_timeout(1100)  # django-otp's throttle after one wrong code

    page.fill("#id_otp_token", code_from_secret(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    session.shot("2fa-recovery-codes")
    with page.expect_navigation():
        page.click("text=Continue")
    assert page.url.endswith("/pledges/")
    assert page.locator("h1").inner_text() == "Pledges"
    # the account page says 2FA is on
    page.goto(session.url("/accounts/2fa/"))
    assert "Two-factor authentication is on" in page.locator("#otp-state").inner_text()
    assert page.evaluate("window.__cspViolations") == []
    assert session.console_errors == [] and session.foreign_requests == []


def test_audit_view_screenshot(session, nations):
    scenario.build(nations)
    make_user("coordinator", is_cell=True)
    session.login("coordinator")  # types the current TOTP code at the two-factor step
    page = session.page
    page.click("nav >> text=Audit")
    assert page.locator("h1").inner_text() == "Audit trail"
    assert page.locator("#audit-table tbody tr").count() > 0
    page.select_option("#id_nation", "USA")
    with page.expect_navigation():
        page.click("#audit-filters button[type=submit]")
    nations_shown = set(page.locator("#audit-table tbody tr td:nth-child(3)").all_inner_texts())
    assert nations_shown == {"USA"}
    session.shot("audit")
    assert session.console_errors == [] and session.foreign_requests == []
