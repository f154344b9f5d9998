"""Snapshot pages: the cell freezes one from /snapshots/, opens it on the overview (?snapshot=), compares
it with today (/snapshots/compare/) and exports the comparison; a late report leaves the opened snapshot as
it was; an officer sees the list and their own rows only, and cannot freeze; query counts are fixed."""

import csv
import datetime as dt
import io

import pytest

from coordination.access import CELL
from stockpiles import engine, services
from stockpiles.models import Snapshot
from tests.dashboard.test_query_counts import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(demo):
    engine.shortfall_history_rebuild_locked()
    return demo


def test_the_cell_freezes_opens_and_compares(client, coordinator, nations, history, django_assert_max_num_queries,
                                             django_capture_on_commit_callbacks):
    login(client, coordinator)
    assert client.get("/snapshots/").status_code == 200
    answer = client.post("/snapshots/", {"name": "Weekly briefing 2025-W23", "as_of": "2025-06-01"})
    assert answer.status_code == 302 and "/snapshots/compare/" in answer["Location"]
    snapshot = Snapshot.objects.get(name="Weekly briefing 2025-W23")
    page = client.get("/", {"snapshot": snapshot.pk})
    assert page.status_code == 200 and "Weekly briefing 2025-W23" in page.content.decode()
    before = client.get("/", {"snapshot": snapshot.pk, "export": "csv", "table": "shortfalls"}).content
    # a late report for 2025-05-20: the history as of 2025-06-01 changes, the snapshot does not
    shell = history["shell"]
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=nations["USA"], item=shell, quantity=1,
                                     as_of=dt.date(2025, 5, 20))
    after = client.get("/", {"snapshot": snapshot.pk, "export": "csv", "table": "shortfalls"}).content
    assert after == before
    as_of_now = client.get("/", {"as_of": "2025-06-01", "export": "csv", "table": "shortfalls"}).content
    assert as_of_now != before
    with django_assert_max_num_queries(2 + 7):  # the snapshots (the pickers and both sides); both sides' rows (its
        # rows; today: rows, reports, pledges); nations; items
        compare = client.get("/snapshots/compare/", {"a": snapshot.pk, "b": "today"})
    assert compare.status_code == 200
    exported = client.get("/snapshots/compare/", {"a": snapshot.pk, "b": "today", "export": "csv",
                                                  "table": "changes"})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    why = rows[0].index("Why")  # a file about a past date ends with an "As of" column (exports.py)
    usa_shell = [r for r in rows if r[:2] == ["United States", shell.name]]
    assert usa_shell and "new stock report" in usa_shell[0][why]


def test_snapshot_pages_refuse_bad_input(client, coordinator, history):
    login(client, coordinator)
    assert client.post("/snapshots/", {"name": ""}).status_code == 400
    assert client.post("/snapshots/", {"name": "x", "as_of": "2999-01-01"}).status_code == 400
    assert client.get("/", {"snapshot": "nope"}).status_code == 404
    assert client.get("/snapshots/compare/", {"a": "999999"}).status_code == 404
    assert client.get("/snapshots/compare/").status_code == 404


def test_an_officer_sees_the_list_and_own_rows_and_cannot_freeze(client, polish_officer, history):
    services.snapshot_create(actor=CELL, name="Briefing")
    login(client, polish_officer)
    assert "Briefing" in client.get("/snapshots/").content.decode()
    assert client.post("/snapshots/", {"name": "Ours"}).status_code == 403
    snapshot = Snapshot.objects.get(name="Briefing")
    assert client.get("/", {"snapshot": snapshot.pk}).status_code == 200
    exported = client.get("/", {"snapshot": snapshot.pk, "export": "csv", "table": "shortfalls"}).content.decode()
    assert "United States" not in exported


def test_the_snapshot_overview_has_a_fixed_count(client, coordinator, nations, history, django_assert_max_num_queries):
    from tests.dashboard import scenario

    snapshot = services.snapshot_create(actor=CELL, name="Briefing", as_of=dt.date(2025, 6, 1))
    login(client, coordinator)
    with django_assert_max_num_queries(2 + 9) as small:  # the as-of overview's (test_query_counts) + the snapshot
        assert client.get("/", {"snapshot": snapshot.pk}).status_code == 200
    scenario.bulk(nations, extra_nations=20)
    big = services.snapshot_create(actor=CELL, name="Bigger", as_of=dt.date(2025, 6, 1))
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/", {"snapshot": big.pk}).status_code == 200
