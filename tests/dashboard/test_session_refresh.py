"""Sessions still end after SESSION_COOKIE_AGE without requests, but are not written on every request:
SessionRefreshMiddleware re-saves one only when its last refresh is older than SESSION_REFRESH_AFTER."""

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from web.middleware import SessionRefreshMiddleware

pytestmark = pytest.mark.django_db


def session_writes(client, url="/api/v1/whoami/"):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")]


def expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_no_session_write_between_refreshes(client, coordinator):
    client.force_login(coordinator)
    session_writes(client)  # the first request after login stamps the session
    assert session_writes(client) == []
    assert session_writes(client, "/") == []


def test_an_old_refresh_moves_the_expiry_forward(client, coordinator, settings, monkeypatch):
    client.force_login(coordinator)
    session_writes(client)
    before = expiry(client)
    clock = SessionRefreshMiddleware.__module__ + ".time.time"
    later = timezone.now().timestamp() + settings.SESSION_REFRESH_AFTER + 1
    monkeypatch.setattr(clock, lambda: later)
    assert session_writes(client) != []  # saved again: a new expiry
    assert expiry(client) >= before
    stamp = client.session[SessionRefreshMiddleware.KEY]
    assert stamp == int(later)


def test_an_inactive_session_still_expires(client, coordinator):
    client.force_login(coordinator)
    assert client.get("/").status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_an_active_session_outlives_its_first_expiry(client, coordinator, settings):
    """Active within SESSION_COOKIE_AGE (refreshed at least every SESSION_REFRESH_AFTER): never logged out."""
    client.force_login(coordinator)
    session_writes(client)
    # The stamp is older than the refresh interval: the next request moves the expiry to now + AGE.
    session = client.session
    session[SessionRefreshMiddleware.KEY] = int(timezone.now().timestamp()) - settings.SESSION_REFRESH_AFTER - 1
    session.save()
    Session.objects.filter(session_key=session.session_key).update(expire_date=timezone.now() + dt.timedelta(seconds=5))
    assert client.get("/").status_code == 200
    assert expiry(client) > timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60)
