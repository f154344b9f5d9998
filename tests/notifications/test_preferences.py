"""Preferences: GET/PUT /api/v1/me/notifications/ (a session) and Account › Notifications in the dashboard."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from notifications.models import NotificationPreference
from notifications.preferences import preference_get
from tests.conftest import make_user
from tests.notifications.scenario import token_client

URL = "/api/v1/me/notifications/"


def session(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_defaults_officer_immediately_cell_digest(nations):
    officer = session(make_user("pol-officer", nation=nations["POL"]))
    body = officer.get(URL).json()
    assert (body["enabled"], body["mode"], body["nations"]) == (True, "immediate", [])
    assert body["kinds"] == sorted(["below_guideline", "back_above", "pledge_overdue", "stale_reporting",
                                    "engine_failure"])
    assert session(make_user("coordinator", is_cell=True)).get(URL).json()["mode"] == "digest"


@pytest.mark.django_db
def test_put_saves_and_get_reads_back(nations, item):
    user = make_user("coordinator", is_cell=True)
    client = session(user)
    body = {"enabled": True, "mode": "immediate", "kinds": ["below_guideline", "back_above"],
            "nations": ["pol", "USA"], "categories": [item.category_id], "language": "fr"}
    response = client.put(URL, body, format="json")
    assert response.status_code == 200, response.content
    assert client.get(URL).json() | {"email": ""} == {**body, "nations": ["POL", "USA"], "kinds":
                                                       ["back_above", "below_guideline"], "email": ""}


@pytest.mark.django_db
@pytest.mark.parametrize("body, field", [
    ({"nations": ["USA"]}, "nations"),  # an officer: own nation only
    ({"nations": ["XXX"]}, "nations"),
    ({"kinds": ["everything"]}, "kinds"),
    ({"mode": "hourly"}, "mode"),
    ({"categories": [999999]}, "categories"),
    ({"language": "de"}, "language"),
    ({"enabled": "maybe"}, "enabled"),
])
def test_bad_input_is_a_400_on_the_field_and_changes_nothing(nations, body, field):
    client = session(make_user("pol-officer", nation=nations["POL"]))
    full = {"enabled": True, "mode": "digest", "kinds": ["below_guideline"], **body}
    response = client.put(URL, full, format="json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not NotificationPreference.objects.exists()


@pytest.mark.django_db
def test_an_officer_may_name_their_own_nation(nations):
    user = make_user("pol-officer", nation=nations["POL"])
    response = session(user).put(URL, {"enabled": True, "mode": "digest", "kinds": [], "nations": ["POL"]},
                                 format="json")
    assert response.status_code == 200 and response.json()["nations"] == ["POL"]


@pytest.mark.django_db
def test_tokens_and_anonymous_have_no_preferences(nations):
    assert token_client(nations["POL"]).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


@pytest.mark.django_db
def test_dashboard_page_shows_and_saves(nations, client, item, django_assert_max_num_queries):
    user = make_user("pol-officer", nation=nations["POL"])
    user.email = "pol@example.org"
    user.save()
    client.force_login(user)
    with django_assert_max_num_queries(15):
        page = client.get("/accounts/notifications/")
    assert page.status_code == 200
    assert b"pol@example.org" in page.content and b'name="nations"' not in page.content  # officer: no choice
    response = client.post("/accounts/notifications/", {"enabled": "on", "mode": "digest",
                                                       "kinds": ["pledge_overdue"], "categories": [item.category_id],
                                                       "language": ""})
    assert response.status_code == 200 and b"notifications-saved" in response.content
    prefs = preference_get(user=user)
    assert (prefs.mode, prefs.kinds, prefs.category_ids) == ("digest", {"pledge_overdue"}, {item.category_id})
    bad = client.post("/accounts/notifications/", {"mode": "hourly", "kinds": ["x"]})
    assert bad.status_code == 400
    assert preference_get(user=user).mode == "digest"
    assert b'href="/accounts/notifications/"' in client.get("/accounts/2fa/").content


@pytest.mark.django_db
def test_cell_page_lists_nations(nations, client):
    client.force_login(make_user("coordinator", is_cell=True))
    page = client.get("/accounts/notifications/")
    assert page.status_code == 200 and b'name="nations"' in page.content and b"POL" in page.content
