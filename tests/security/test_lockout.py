"""Login throttling (django-axes): 5 failed logins for one username from one IP lock that pair out.

Settings under test (coordination/settings.py): AXES_FAILURE_LIMIT=5, lockout by username+IP, reset on
success, lockout answered with HTTP 429 even when the right password is then given.
"""

from __future__ import annotations

import json
import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from tests.conftest import make_user

pytestmark = pytest.mark.django_db

RIGHT = "pw-for-tests-1"
LOGIN_URLS = ["/accounts/login/", "/admin/login/"]


def attempt(client, url: str, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.parametrize("url", LOGIN_URLS)
def test_five_failures_lock_out_even_the_right_password(client, coordinator, url):
    statuses = [attempt(client, url, "coordinator", "wrong").status_code for _ in range(5)]
    # The first four redisplay the form; the fifth failure reaches the limit and is answered by the lockout.
    assert statuses == [200, 200, 200, 200, 429]
    sixth = attempt(client, url, "coordinator", RIGHT)
    assert sixth.status_code == 429
    assert b"Account locked" in sixth.content
    assert "_auth_user_id" not in client.session
    row = AccessAttempt.objects.get(username="coordinator")
    assert row.ip_address == "10.0.0.1"
    assert row.failures_since_start >= 5


def test_lockout_is_per_username_and_ip(client, coordinator, nations):
    make_user("pol-officer", nation=nations["POL"])
    for _ in range(5):
        attempt(client, "/accounts/login/", "coordinator", "wrong")
    # Same user from another address, and another user from the same address, still log in.
    assert attempt(client, "/accounts/login/", "coordinator", RIGHT, ip="10.0.0.2").status_code == 302
    client.logout()
    assert attempt(client, "/accounts/login/", "pol-officer", RIGHT).status_code == 302


def test_success_before_the_limit_resets_the_count(client, coordinator):
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "coordinator", "wrong").status_code == 200
    assert attempt(client, "/accounts/login/", "coordinator", RIGHT).status_code == 302
    client.logout()
    assert not AccessAttempt.objects.filter(username="coordinator").exists()
    # Four more failures: still below the limit, because the count restarted at zero.
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "coordinator", "wrong").status_code == 200
    assert attempt(client, "/accounts/login/", "coordinator", RIGHT).status_code == 302


def test_failed_login_json_log_line_still_written(client, coordinator, caplog):
    with caplog.at_level(logging.INFO, logger="coordination.security"):
        attempt(client, "/accounts/login/", "coordinator", "wrong")
    records = [r for r in caplog.records if r.name == "coordination.security"]
    assert len(records) == 1
    line = json.loads(logging.getLogger("coordination.security").handlers[0].formatter.format(records[0]))
    assert line["path"] == "/accounts/login/"


def test_lockout_visible_in_admin(client, coordinator):
    for _ in range(5):
        attempt(client, "/admin/login/", "coordinator", "wrong")
    url = "/admin/axes/accessattempt/"
    superuser = get_user_model().objects.create_superuser("root", password="pw-for-tests-1")
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200
    assert b"10.0.0.1" in page.content and b"coordinator" in page.content
    # A cell coordinator (is_staff, no Django model permissions) sees it too, and may lift it.
    client.force_login(coordinator)
    page = client.get(url)
    assert page.status_code == 200
    assert b"10.0.0.1" in page.content


def test_a_national_officer_does_not_see_lockouts(client, polish_officer):
    client.force_login(polish_officer)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
