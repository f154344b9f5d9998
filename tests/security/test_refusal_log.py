"""Refused API access is one JSON line in the security log, with client, nation, path, method and reason."""

import datetime as dt
import json
import logging

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.access import CELL
from coordination.api.tokens import token_issue, token_revoke
from coordination.security import JsonFormatter
from stockpiles.services import stock_report_create
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pol_token(nations):
    return token_issue(nation=nations["POL"], name="POL logistics")


def client_with(key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def refused(caplog, call):
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="coordination.security"):
        response = call()
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "coordination.security"]
    return response, lines


def test_another_nations_object_is_404_and_logged(nations, item, pol_token, caplog):
    token, key = pol_token
    usa_report = stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=5,
                                     as_of=dt.date(2024, 1, 1))
    response, [line] = refused(caplog, lambda: client_with(key).get(f"/api/v1/stock-reports/{usa_report.pk}/"))
    assert response.status_code == 404
    assert line["event"] == "access_refused"
    assert line["reason"] == "another nation's object" and line["status"] == 404
    assert line["client"] == f"token:{token.prefix}"
    assert (line["token_id"], line["token_name"], line["nation"]) == (token.pk, "POL logistics", "POL")
    assert (line["method"], line["path"]) == ("GET", f"/api/v1/stock-reports/{usa_report.pk}/")
    assert (line["model"], line["object_id"]) == ("stockpiles.stockreport", usa_report.pk)


def test_an_id_that_exists_nowhere_is_not_a_refusal(pol_token, caplog):
    response, lines = refused(caplog, lambda: client_with(pol_token[1]).get("/api/v1/stock-reports/999999/"))
    assert response.status_code == 404
    assert lines == []


def test_write_to_another_nations_pledge_is_403_and_logged(nations, item, pol_token, caplog):
    shared = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="alliance", quantity=1000)
    pol = client_with(pol_token[1])
    url = f"/api/v1/pledges/{shared.pk}/"
    response, [line] = refused(caplog, lambda: pol.patch(url, {"quantity": 1}, format="json"))
    assert response.status_code == 403
    assert (line["status"], line["method"], line["nation"]) == (403, "PATCH", "POL")
    assert "may not change" in line["reason"]


def test_officer_session_refusal_names_the_user(polish_officer, nations, item, caplog):
    usa_report = stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=5,
                                     as_of=dt.date(2024, 1, 1))
    client = APIClient()
    client.force_login(polish_officer)
    response, [line] = refused(caplog, lambda: client.get(f"/api/v1/stock-reports/{usa_report.pk}/"))
    assert response.status_code == 404
    assert (line["client"], line["nation"]) == ("user:pol-officer", "POL")
    assert "token_id" not in line


@pytest.mark.parametrize("case", ["revoked", "expired", "unknown", "wrong secret", "no credentials"])
def test_refused_tokens_are_logged_with_the_reason(case, nations, caplog):
    token, key = token_issue(nation=nations["POL"], name="POL feed")
    if case == "revoked":
        token_revoke(token_id=token.pk)
    elif case == "expired":
        type(token).objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    elif case == "unknown":
        key = "aid_0000000000_" + key.split("_", 2)[2]
    elif case == "wrong secret":
        key = key[:-4] + "AAAA"
    client = APIClient() if case == "no credentials" else client_with(key)
    response, [line] = refused(caplog, lambda: client.get("/api/v1/pledges/"))
    assert response.status_code == 401
    assert line["status"] == 401 and line["path"] == "/api/v1/pledges/" and line["method"] == "GET"
    expected = {"revoked": "revoked token", "expired": "expired token", "unknown": "unknown token",
                "wrong secret": "wrong token secret", "no credentials": "no credentials"}[case]
    assert line["reason"] == expected
    if case in ("revoked", "expired", "wrong secret"):
        assert (line["token_id"], line["token_name"], line["token_nation"]) == (token.pk, "POL feed", "POL")
    if case == "unknown":
        assert line["token_prefix"] == "0000000000"


def test_deliveries_against_another_nations_pledge_are_logged(nations, item, pol_token, caplog):
    usa = factories.PledgeFactory(donor=nations["USA"], item=item, releasability="alliance", quantity=1000)
    own = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=1000)
    pol = client_with(pol_token[1])
    response, [line] = refused(caplog, lambda: pol.post("/api/v1/deliveries/", {"pledge": usa.pk, "quantity": 5},
                                                        format="json"))
    assert response.status_code == 400
    assert (line["reason"], line["object_ids"], line["nation"]) == ("write against another nation's pledge",
                                                                    [usa.pk], "POL")
    rows = [{"pledge": own.pk, "quantity": 5}, {"pledge": usa.pk, "quantity": 5}, {"pledge": 999999, "quantity": 1}]
    response, [line] = refused(caplog, lambda: pol.post("/api/v1/deliveries/bulk/", rows, format="json"))
    assert response.status_code == 400
    assert line["object_ids"] == [usa.pk] and line["method"] == "POST"
    # an unknown pledge alone is bad input, not a refusal
    response, lines = refused(caplog, lambda: pol.post("/api/v1/deliveries/", {"pledge": 999999, "quantity": 5},
                                                       format="json"))
    assert response.status_code == 400 and lines == []
