"""The reporting view (dashboard page and API): per nation its last report, items expected and reported,
stale reporting flagged; an officer sees their own nation's row, the cell every nation; fixed queries."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from coordination.access import CELL
from coordination.api.tokens import token_issue
from stockpiles import engine, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporting_world(nations, today):
    """Two items under alliance-wide guidelines; POL reported both 40 days ago (stale), USA one today,
    DEU has its own guideline of 0 for both (not expected), UKR is the recipient (not expected)."""
    items = [factories.ItemFactory(name=f"Reported item {k}") for k in range(2)]
    deu = factories.NationFactory(code="DEU", name="Germany")
    for it in items:
        factories.GuidelineFactory(item=it, minimum_quantity=100)
        factories.GuidelineFactory(item=it, nation=deu, minimum_quantity=0)
        services.stock_report_create(actor=CELL, nation=nations["POL"], item=it, quantity=500,
                                     as_of=today - dt.timedelta(days=40))
    services.stock_report_create(actor=CELL, nation=nations["USA"], item=items[0], quantity=500, as_of=today)
    engine.shortfalls_recompute(pairs=None)
    return {"items": items, "deu": deu}


def _api(nation):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(nation=nation, name='feed')[1]}")
    return client


def _name(cell):
    return cell if isinstance(cell, str) else cell.text


def test_the_cell_sees_every_nation_with_stale_and_missing_reports(reporting_world, client, coordinator, today,
                                                                    django_assert_max_num_queries):
    client.force_login(coordinator)
    client.get("/api/v1/whoami/")  # the session's first request stamps it (see test_query_counts.login)
    with django_assert_max_num_queries(2 + 3):  # session, user (membership, device); counts, last reports, nations
        response = client.get("/reporting/")
    assert response.status_code == 200
    rows = {_name(r[0]): r for r in response.context["table"].rows}
    pol, usa, deu = rows["Poland"], rows["United States"], rows["Germany"]
    assert pol[1:6] == [today - dt.timedelta(days=40), 40, 2, 2, 0] and pol[6].text == "Stale"
    assert usa[1:6] == [today, 0, 2, 1, 1] and usa[6].text == "Current"
    assert deu[1:6] == [None, None, 0, 0, 0] and deu[6].text == "Current"  # nothing expected
    assert "Ukraine" not in rows
    assert list(rows)[0] == "Poland"  # stale first
    export = client.get("/reporting/", {"export": "csv", "table": "reporting"})
    assert export.status_code == 200 and b"Poland" in export.content


def test_a_nation_that_never_reported_is_flagged(reporting_world, client, coordinator):
    factories.NationFactory(code="FRA", name="France")
    engine.shortfalls_recompute(pairs=None)
    client.force_login(coordinator)
    rows = {_name(r[0]): r for r in client.get("/reporting/").context["table"].rows}
    assert rows["France"][1:6] == [None, None, 2, 0, 2] and rows["France"][6].text == "Never reported"


def test_an_officer_sees_only_their_own_row(reporting_world, client, polish_officer):
    client.force_login(polish_officer)
    rows = client.get("/reporting/").context["table"].rows
    assert [_name(r[0]) for r in rows] == ["Poland"]


def test_the_api_lists_the_same(reporting_world, nations, today):
    body = _api(nations["USA"]).get("/api/v1/reporting/").json()
    assert body["stale_after_days"] == 35
    assert body["results"] == [{"nation": "USA", "last_report": today.isoformat(), "days_since_report": 0,
                                "items_expected": 2, "items_reported": 1, "items_not_reported": 1, "stale": False}]


def test_the_setting_moves_the_stale_line(reporting_world, nations, settings):
    assert _api(nations["POL"]).get("/api/v1/reporting/").json()["results"][0]["stale"] is True
    settings.REPORTING_STALE_AFTER_DAYS = 60
    assert _api(nations["POL"]).get("/api/v1/reporting/").json()["results"][0]["stale"] is False


def test_heat_map_and_rollup_show_not_reported(reporting_world, client, coordinator, nations):
    client.force_login(coordinator)
    response = client.get("/")
    assert "1 not reported" in response.content.decode()  # USA's second item
    alliance = response.context["tables"]["alliance"]
    index = [c.key for c in alliance.columns].index("not_reporting")
    assert sorted(row[index] for row in alliance.rows) == [0, 1]
    api = client.get("/api/v1/shortfalls/alliance/").json()["results"]  # the cell's session
    assert sorted(r["nations_not_reporting"] for r in api) == [0, 1]
