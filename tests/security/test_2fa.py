"""Two-factor authentication, through the real password form (no force_login: that one is verified).

Rule: cell users always, anyone who has enrolled, and everyone in /admin/ must pass a TOTP code or a
recovery code after the password. The API with a token is not concerned (machine clients).
"""

import json
import logging

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordination import otp
from coordination.security import JsonFormatter
from tests.conftest import current_totp, otp_throttle_reset, totp_device_for

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-1"
DASHBOARD_PAGES = ["/", "/pledges/", "/nations/POL/", "/pledges/?export=csv&table=pledges", "/accounts/2fa/"]
ADMIN_PAGES = ["/admin/", "/admin/pledges/pledge/", "/admin/pledges/pledge/export/"]


def password_login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, "password refused"
    return client


def security_lines(caplog, event):
    return [json.loads(JsonFormatter().format(r)) for r in caplog.records
            if r.name == "coordination.security" and r.getMessage() == event]


def sent_to(response, page: str) -> bool:
    return response.status_code == 302 and response["Location"].startswith(f"/accounts/2fa/{page}")


def test_coordinator_without_device_is_sent_to_enrolment_everywhere(coordinator, nations):
    client = password_login("coordinator")
    for url in DASHBOARD_PAGES + ADMIN_PAGES:
        response = client.get(url)
        assert sent_to(response, "setup"), url
    # a session (not a token) on the API is refused too, instead of serving cell-wide data
    response = client.get("/api/v1/pledges/")
    assert response.status_code == 403
    assert "Two-factor" in response.json()["detail"]


def test_enrolment_wrong_code_refused_and_logged_right_code_gives_recovery_codes(coordinator, nations, caplog):
    client = password_login("coordinator")
    page = client.get("/accounts/2fa/setup/?next=/pledges/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "style=" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=coordinator, confirmed=False)
    assert otp.totp_secret(device) in html  # the secret as text, for typing into an app

    with caplog.at_level(logging.WARNING, logger="coordination.security"):
        wrong = client.post("/accounts/2fa/setup/", {"otp_token": "000000", "next": "/pledges/"})
    assert wrong.status_code == 200 and wrong.context["error"]  # the form again, with the error
    [line] = security_lines(caplog, "otp_failed")
    assert line["client"] == "user:coordinator" and line["nation"] == "CELL"
    assert line["path"] == "/accounts/2fa/setup/" and line["method"] == "POST"
    assert line["reason"] == "wrong code at enrolment"
    assert sent_to(client.get("/"), "setup")

    right = client.post("/accounts/2fa/setup/", {"otp_token": current_totp(device), "next": "/pledges/"})
    assert right.status_code == 200
    codes = right.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(code in right.content.decode() for code in codes)
    assert client.get("/pledges/").status_code == 200
    assert client.get("/admin/").status_code == 200
    # shown once: the account page gives the count, never the codes
    account = client.get("/accounts/2fa/").content.decode()
    assert "10 recovery codes left" in account and codes[0] not in account


def test_verify_step_wrong_code_logged_then_right_code(coordinator, caplog, otp_throttle):
    device = totp_device_for(coordinator)
    client = password_login("coordinator")
    assert sent_to(client.get("/"), "verify")
    with caplog.at_level(logging.WARNING, logger="coordination.security"):
        response = client.post("/accounts/2fa/verify/", {"otp_token": "123456", "next": "/"})
    assert response.status_code == 200 and response.context["error"]
    [line] = security_lines(caplog, "otp_failed")
    assert (line["reason"], line["device"], line["client"]) == ("wrong code", "totp", "user:coordinator")
    assert sent_to(client.get("/"), "verify")

    # throttled: straight after a failure even the right code is refused (and logged as such)
    with caplog.at_level(logging.WARNING, logger="coordination.security"):
        throttled = client.post("/accounts/2fa/verify/", {"otp_token": current_totp(device), "next": "/"})
    assert throttled.status_code == 200 and "Too many" in throttled.context["error"]
    assert security_lines(caplog, "otp_failed")[-1]["reason"] == "throttled"

    otp_throttle_reset(device)  # instead of waiting a second
    ok = client.post("/accounts/2fa/verify/", {"otp_token": current_totp(device), "next": "/pledges/"})
    assert ok.status_code == 302 and ok["Location"] == "/pledges/"
    assert client.get("/pledges/").status_code == 200


def test_verify_never_redirects_off_site(coordinator):
    device = totp_device_for(coordinator)
    client = password_login("coordinator")
    response = client.post("/accounts/2fa/verify/", {"otp_token": current_totp(device),
                                                     "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_recovery_code_works_once(coordinator):
    totp_device_for(coordinator)
    codes = otp.recovery_codes_regenerate(user=coordinator)
    client = password_login("coordinator")
    response = client.post("/accounts/2fa/verify/", {"otp_token": codes[0].upper(), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert StaticToken.objects.filter(device__user=coordinator).count() == 9

    again = password_login("coordinator")
    assert again.post("/accounts/2fa/verify/", {"otp_token": codes[0], "next": "/"}).context["error"]
    assert sent_to(again.get("/"), "verify")


def test_regenerating_recovery_codes_voids_the_old_ones(coordinator):
    client = Client()
    client.force_login(coordinator)  # verified
    old = otp.recovery_codes_regenerate(user=coordinator)
    response = client.post("/accounts/2fa/")
    new = response.context["codes"]
    assert set(new).isdisjoint(old)
    assert set(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True)) == set(new)


def test_password_alone_cannot_regenerate_codes_or_enrol_a_new_device(coordinator):
    totp_device_for(coordinator)
    client = password_login("coordinator")
    assert sent_to(client.post("/accounts/2fa/"), "verify")
    assert sent_to(client.get("/accounts/2fa/setup/"), "verify")
    assert sent_to(client.post("/accounts/2fa/setup/", {"otp_token": "000000"}), "verify")
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_officer_without_device_uses_dashboard_but_not_admin(polish_officer):
    client = password_login("pol-officer")
    assert client.get("/").status_code == 200
    assert client.get("/nations/POL/").status_code == 200
    for url in ADMIN_PAGES:
        assert sent_to(client.get(url), "setup"), url
    assert "Two-factor authentication is off" in client.get("/accounts/2fa/").content.decode()


def test_officer_who_enrols_needs_the_code_from_then_on(polish_officer):
    client = password_login("pol-officer")
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=polish_officer)
    assert client.post("/accounts/2fa/setup/", {"otp_token": current_totp(device)}).status_code == 200
    assert client.get("/admin/").status_code == 200

    later = password_login("pol-officer")
    assert sent_to(later.get("/"), "verify")
    assert sent_to(later.get("/admin/"), "verify")


def test_api_token_clients_are_not_asked_for_a_second_factor(nations):
    from coordination.api.tokens import token_issue

    _, key = token_issue(nation=nations["POL"], name="POL feed")
    response = Client().get("/api/v1/pledges/", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200


def test_force_login_in_tests_is_verified(coordinator):
    """The shared test helper: force_login gives an OTP-verified session (else every test would break)."""
    client = Client()
    client.force_login(coordinator)
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


def test_admin_lists_devices_without_their_secrets(admin_client, coordinator):
    device = totp_device_for(coordinator)
    codes = otp.recovery_codes_regenerate(user=coordinator)
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert device.key not in html and "otpauth" not in html
    static = admin_client.get("/admin/otp_static/staticdevice/").content.decode()
    assert codes[0] not in static
    # a lost device is deleted by the cell; the person enrols again at the next login
    assert admin_client.post(f"/admin/otp_totp/totpdevice/{device.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_htmx_requests_are_sent_to_the_second_step_as_a_full_page(coordinator):
    client = password_login("coordinator")
    response = client.get("/pledges/", {"page": 2}, headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/2fa/setup/?next=")
