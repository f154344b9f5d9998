"""Tokens: stored as a hash, expiry, revocation, last-used, the issue_token command, anonymous access."""

import datetime as dt
import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from coordination.api.tokens import token_issue, token_revoke, token_verify
from coordination.models import ApiToken
from stockpiles.models import StockReport
from tests.api.conftest import client_with

pytestmark = pytest.mark.django_db


def test_only_a_hash_of_the_key_is_stored(nations):
    token, key = token_issue(nation=nations["POL"], name="POL logistics")
    tag, prefix, secret = key.split("_", 2)
    assert (tag, prefix) == ("aid", token.prefix)
    assert len(secret) >= 40
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(secret in str(v) for v in row.values())


def test_verify_refuses_wrong_secret_expired_and_revoked(nations):
    token, key = token_issue(nation=nations["POL"], name="feed",
                             expires_at=timezone.now() + dt.timedelta(days=30))
    assert token_verify(key=key).pk == token.pk
    assert token_verify(key=key[:-1] + ("A" if key[-1] != "A" else "B")) is None
    assert token_verify(key="aid_nothere_x") is None
    assert token_verify(key="garbage") is None
    assert token_verify(key=key, now=timezone.now() + dt.timedelta(days=31)) is None
    token_revoke(token_id=token.pk)
    assert token_verify(key=key) is None


def test_expired_and_revoked_tokens_get_401(roles):
    for role in ("expired", "revoked"):
        response = roles[role].get("/api/v1/stock-reports/")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token aid_zzzz_nope", "Bearer garbage"])
def test_malformed_or_unknown_credentials_get_401(db, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert client.get("/api/v1/nations/").status_code == 401


def test_bearer_is_accepted(pol_token):
    client = client_with(None)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pol_token[1]}")
    response = client.get("/api/v1/whoami/")
    assert response.status_code == 200
    assert response.json()["nation"] == "POL"


def test_last_used_is_recorded_at_most_once_a_minute(pol_token, pol):
    token, _ = pol_token
    assert token.last_used_at is None
    pol.get("/api/v1/nations/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    pol.get("/api/v1/nations/")
    token.refresh_from_db()
    assert token.last_used_at == first  # within the minute: no write
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(minutes=2))
    pol.get("/api/v1/nations/")
    token.refresh_from_db()
    assert token.last_used_at > first - dt.timedelta(minutes=2)
    assert token.history.count() == 1  # last-used updates do not write history rows


def test_issue_token_prints_the_key_once(nations):
    out, err = io.StringIO(), io.StringIO()
    call_command("issue_token", "--nation", "pol", "--name", "POL logistics", "--expires-days", "90",
                 stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert key.startswith("aid_") and "\n" not in key
    assert key not in err.getvalue()
    token = ApiToken.objects.get()
    assert (token.nation.code, token.name) == ("POL", "POL logistics")
    assert 89 <= (token.expires_at - timezone.now()).days <= 90
    assert token_verify(key=key).pk == token.pk
    response = client_with(key).get("/api/v1/whoami/")
    assert response.json()["nation"] == "POL"


def test_issue_token_refuses_unknown_nation_and_empty_name(nations):
    with pytest.raises(CommandError):
        call_command("issue_token", "--nation", "XXX", "--name", "x", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("issue_token", "--nation", "POL", "--name", "  ", stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("path", ["/api/v1/nations/", "/api/v1/stock-reports/", "/api/v1/pledges/",
                                  "/api/v1/shortfalls/alliance/"])
def test_anonymous_gets_401_but_the_schema_is_public(anon, path):
    assert anon.get(path).status_code == 401
    assert anon.post(path, {}, format="json").status_code == 401
    assert anon.get("/api/schema/").status_code == 200


def test_history_names_the_token_that_wrote(pol_token, pol, item, today):
    token, _ = pol_token
    response = pol.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 10, "as_of": str(today)},
                        format="json")
    assert response.status_code == 201
    record = StockReport.history.get(id=response.json()["id"])
    assert record.history_user_id is None
    assert record.history_change_reason == f"API token #{token.pk} 'POL logistics' (POL)"
    assert record.nation_id == token.nation_id
    bulk = pol.post("/api/v1/stock-reports/bulk/", [{"item": item.pk, "quantity": 9, "as_of": "2024-01-01"}],
                    format="json")
    assert bulk.status_code == 201, bulk.content
    record = StockReport.history.get(id=bulk.json()["results"][0]["id"])
    assert record.history_user_id is None
    assert record.history_change_reason == f"API token #{token.pk} 'POL logistics' (POL)"


def test_history_names_the_session_user(cell, coordinator, nations, item, today):
    response = cell.post("/api/v1/stock-reports/bulk/", [
        {"nation": "POL", "item": item.pk, "quantity": 10, "as_of": str(today)},
    ], format="json")
    assert response.status_code == 201, response.content
    record = StockReport.history.get(id=response.json()["results"][0]["id"])
    assert record.history_user_id == coordinator.pk
    assert record.history_change_reason == "API"


def test_admin_issues_a_token_and_shows_it_once(client, coordinator, nations):
    client.force_login(coordinator)
    response = client.post("/admin/coordination/apitoken/add/",
                           {"nation": nations["POL"].pk, "name": "from admin", "expires_at_0": "",
                            "expires_at_1": ""}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get(name="from admin")
    shown = [str(m) for m in response.context["messages"]]
    assert any(f"aid_{token.prefix}_" in m for m in shown)
    assert token.created_by == coordinator
    page = client.get("/admin/coordination/apitoken/").content.decode()
    assert f"aid_{token.prefix}_" not in page


def test_national_officer_cannot_manage_tokens(client, polish_officer):
    client.force_login(polish_officer)
    assert client.get("/admin/coordination/apitoken/").status_code in (302, 403)
