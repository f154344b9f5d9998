"""The audit view: cell only, who/which nation/when/what changed, filters, CSV, fixed query count."""

import csv
import datetime as dt
import io
import json
import logging

import pytest
from django.test import Client
from rest_framework.test import APIClient

from coordination.api.tokens import token_issue
from coordination.security import JsonFormatter
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(nations, item, coordinator):
    """A USA pledge reduced by the coordinator, a POL pledge, and a POL stock report sent with a token."""
    usa = factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=1000)
    usa.quantity = 900
    usa._history_user = coordinator
    usa.save()
    pol = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=50)
    token, key = token_issue(nation=nations["POL"], name="POL logistics")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 700, "as_of": "2024-03-01"},
                        format="json")
    assert response.status_code == 201
    return {"usa": usa, "pol": pol, "token": token}


@pytest.fixture
def cell_client(coordinator):
    client = Client()
    client.force_login(coordinator)
    return client


def rows_of(response):
    return response.context["rows"]


def test_coordinator_sees_who_changed_what(cell_client, trail):
    response = cell_client.get("/audit/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/audit/" aria-current="page"' in html  # in the nav, for the cell
    reduced = next(r for r in rows_of(response) if r.model == "Pledge" and r.action == "changed")
    assert (reduced.who, reduced.nation, reduced.object_id) == ("coordinator", "USA", trail["usa"].pk)
    assert reduced.changes == [("quantity", "1000", "900")]
    report = next(r for r in rows_of(response) if r.model == "Stock report")
    assert report.who == f"API token #{trail['token'].pk} 'POL logistics' (POL)"
    assert report.nation == "POL" and report.action == "created"
    assert ("quantity", "", "700") in report.changes
    token_row = next(r for r in rows_of(response) if r.model == "Api token")
    assert all(field != "key_hash" for field, _, _ in token_row.changes)  # never shown


def test_officers_get_404_and_it_is_logged(polish_officer, trail, caplog):
    client = Client()
    client.force_login(polish_officer)
    with caplog.at_level(logging.WARNING, logger="coordination.security"):
        assert client.get("/audit/").status_code == 404
        assert client.get("/audit/", {"export": "csv"}).status_code == 404
    assert 'href="/audit/"' not in client.get("/").content.decode()
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "coordination.security"]
    assert [(x["client"], x["path"], x["status"]) for x in lines] == [("user:pol-officer", "/audit/", 404)] * 2


def test_anonymous_is_sent_to_login():
    response = Client().get("/audit/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_filters(cell_client, trail, coordinator):
    by_nation = rows_of(cell_client.get("/audit/", {"nation": "POL"}))
    assert by_nation and {r.nation for r in by_nation} == {"POL"}
    assert {r.model for r in by_nation} >= {"Pledge", "Stock report", "Api token"}
    by_model = rows_of(cell_client.get("/audit/", {"model": "pledge"}))
    assert {r.model for r in by_model} == {"Pledge"} and len(by_model) == 3
    by_user = rows_of(cell_client.get("/audit/", {"user": "coordinator"}))
    assert [(r.model, r.action) for r in by_user] == [("Pledge", "changed")]
    by_token = rows_of(cell_client.get("/audit/", {"user": "POL logistics"}))
    assert [r.model for r in by_token] == ["Stock report"]
    today = dt.date.today()
    assert rows_of(cell_client.get("/audit/", {"date_to": str(today - dt.timedelta(days=1))})) == []
    assert len(rows_of(cell_client.get("/audit/", {"date_from": str(today), "model": "pledge"}))) == 3
    bad = cell_client.get("/audit/", {"nation": "XXX"})
    assert bad.status_code == 200 and "nation" in bad.context["filterset"].errors


def test_csv_export_has_the_same_filters(cell_client, trail):
    response = cell_client.get("/audit/", {"export": "csv", "nation": "USA", "model": "pledge"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["nation"] for r in rows} == {"USA"} and {r["record type"] for r in rows} == {"Pledge"}
    change = [r for r in rows if r["action"] == "changed"]
    assert [(r["who"], r["field"], r["old"], r["new"]) for r in change] == [("coordinator", "quantity", "1000", "900")]


def test_query_count_is_fixed(cell_client, trail, nations, item, coordinator, django_assert_max_num_queries):
    from web.audit import SPECS

    # session, user, OTP device, membership language, scope, nation choices, count, page,
    # 2 per record type on the page (every audited type at most), users, nations: fixed whatever the rows.
    ceiling = 10 + 2 * len(SPECS)
    with django_assert_max_num_queries(ceiling) as small:
        assert cell_client.get("/audit/").status_code == 200
    for i in range(60):
        pledge = factories.PledgeFactory(donor=nations["POL" if i % 2 else "USA"], recipient=nations["UKR"],
                                         item=item, quantity=100 + i)
        pledge.quantity = 50
        pledge._history_user = coordinator
        pledge.save()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = cell_client.get("/audit/", {"page": 1})
    assert response.status_code == 200 and len(rows_of(response)) == 50


def test_a_delivery_shows_the_pledge_totals_it_changed(cell_client, nations, item, coordinator):
    from coordination.access import CELL
    from pledges.services import delivery_create

    pledge = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=100)
    delivery_create(actor=CELL, pledge_id=pledge.pk, user=coordinator, quantity=40, status="delivered",
                    shipped_on=dt.date(2024, 3, 1), delivered_on=dt.date(2024, 3, 5))
    rows = rows_of(cell_client.get("/audit/", {"model": "pledge"}))
    totals = next(r for r in rows if r.model == "Pledge" and r.action == "changed")
    # The derived totals are not editable fields: the audit shows them all the same, and nothing else but
    # the reason the service gave the row.
    assert sorted(totals.changes) == [("allocated_quantity", "0", "40"), ("delivered_quantity", "0", "40"),
                                      ("event", "", "Delivery totals"), ("shipped_quantity", "0", "40")]
    assert totals.who == "coordinator"


def test_account_changes_are_in_the_trail_with_the_membership_nation(cell_client, nations, coordinator):
    """Users have history (no password hash): who created or changed an account, with the nation of its
    membership; the nation filter finds them."""
    from tests.conftest import make_user

    officer = make_user("pol-new", nation=nations["POL"])
    officer.email = "pol@example.org"
    officer._history_user = coordinator
    officer.save()
    rows = [r for r in rows_of(cell_client.get("/audit/", {"model": "user"})) if r.object_id == officer.pk]
    assert [(r.action, r.who, r.nation) for r in rows] == [("changed", "coordinator", "POL"),
                                                            ("created", "system", "POL")]
    assert rows[0].changes == [("email", "", "pol@example.org")]
    assert not any(field in ("password", "last_login") for r in rows for field, _old, _new in r.changes)
    by_nation = rows_of(cell_client.get("/audit/", {"nation": "POL", "model": "user"}))
    assert {r.object_id for r in by_nation} == {officer.pk}
    assert not rows_of(cell_client.get("/audit/", {"nation": "USA", "model": "user"}))


def test_a_command_is_named_as_the_writer(cell_client, nations):
    from django.core.management import call_command

    call_command("issue_token", nation="POL", name="cmd token", stdout=io.StringIO(), stderr=io.StringIO())
    row = next(r for r in rows_of(cell_client.get("/audit/", {"model": "apitoken"})) if r.action == "created")
    assert (row.who, row.nation) == ("command: issue_token", "POL")


def test_procurement_records_are_in_the_trail(cell_client, nations, item, coordinator):
    from coordination.access import CELL
    from stockpiles.procurement_services import order_create

    order_create(actor=CELL, user=coordinator, nation=nations["POL"], item=item, quantity=500,
                 ordered_on=dt.date(2024, 5, 1), reference="POL-1",
                 schedule=[{"due_on": dt.date(2024, 9, 1), "quantity": 200}])
    rows = rows_of(cell_client.get("/audit/", {"nation": "POL"}))
    kinds = {(r.model, r.action, r.nation) for r in rows}
    assert ("Order", "created", "POL") in kinds
    assert ("Order schedule line", "created", "POL") in kinds
    assert not rows_of(cell_client.get("/audit/", {"nation": "USA", "model": "order"}))


def test_nations_and_items_are_named_not_numbered(cell_client, trail, nations, item):
    rows = rows_of(cell_client.get("/audit/", {"model": "pledge"}))
    created = next(r for r in rows if r.action == "created" and r.object_id == trail["pol"].pk)
    assert ("donor", "", "POL") in created.changes and ("recipient", "", "UKR") in created.changes
    assert ("item", "", item.name) in created.changes
    assert not any(field.endswith("_id") and field in {"donor_id", "item_id"} for field, _, _ in created.changes)
    # a changed reference shows both names
    other = factories.ItemFactory(name="Other item")
    pledge = trail["pol"]
    pledge.item = other
    pledge.save()
    changed = next(r for r in rows_of(cell_client.get("/audit/", {"model": "pledge"}))
                   if r.action == "changed" and r.object_id == pledge.pk)
    assert ("item", item.name, "Other item") in changed.changes
    csv_text = b"".join(cell_client.get("/audit/", {"model": "pledge", "export": "csv"}).streaming_content).decode()
    assert f",item,{item.name},Other item" in csv_text
