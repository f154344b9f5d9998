"""The local first run: ensure_local_admin gives 'admin' a TOTP device and says how to get codes;
totp_code prints the current code. Both refuse with DEBUG off."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_first_run_admin_can_log_in_with_the_printed_code(settings):
    settings.DEBUG = True
    out = run("ensure_local_admin")
    device = TOTPDevice.objects.get(user__username="admin", confirmed=True)
    assert "otpauth://totp/" in out and "manage.py totp_code admin" in out
    code = re.match(r"(\d{6}) ", run("totp_code", "admin")).group(1)

    client = Client()
    response = client.post("/accounts/login/", {"username": "admin", "password": "admin"})
    assert response.status_code == 302
    assert client.get("/")["Location"].startswith("/accounts/2fa/verify/")
    response = client.post("/accounts/2fa/verify/", {"otp_token": code, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/admin/").status_code == 200
    # run again: same device, nothing duplicated
    run("ensure_local_admin")
    assert TOTPDevice.objects.filter(user__username="admin").get() == device


def test_both_refuse_with_debug_off(settings, coordinator):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        run("ensure_local_admin")
    with pytest.raises(CommandError):
        run("totp_code", "coordinator")
