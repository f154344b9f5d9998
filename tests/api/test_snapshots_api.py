"""Briefing snapshots over the API: the cell takes them, every client lists them, a nation's client reads
its own rows and its own changes only; bad input is a 400 with field messages."""

import datetime as dt

import pytest

from tests.stockpiles.test_history import hand_built  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db

URL = "/api/v1/snapshots/"


def test_the_cell_takes_a_snapshot_and_nations_read_their_own_rows(cell, pol, usa, hand_built, item):  # noqa: F811
    created = cell.post(URL, {"name": "Briefing 2024-03-20", "as_of": "2024-03-20"}, format="json")
    assert created.status_code == 201, created.content
    snapshot = created.json()
    assert (snapshot["name"], snapshot["as_of"], snapshot["taken_by"]) == ("Briefing 2024-03-20", "2024-03-20",
                                                                          "coordinator")
    assert [s["name"] for s in pol.get(URL).json()["results"]] == ["Briefing 2024-03-20"]
    rows = cell.get(f"{URL}{snapshot['id']}/rows/").json()["results"]
    assert {(r["nation"], r["figures"]["shortfall"]) for r in rows} == {("USA", 500), ("POL", 0)}
    own = usa.get(f"{URL}{snapshot['id']}/rows/").json()["results"]
    assert [(r["nation"], r["reported_on"], r["figures"]["on_hand"]) for r in own] == [("USA", "2024-03-01", 800)]
    assert [r["nation"] for r in pol.get(f"{URL}{snapshot['id']}/rows/").json()["results"]] == ["POL"]


def test_a_nation_may_not_take_one_and_bad_input_is_a_400(cell, pol, hand_built):  # noqa: F811
    assert pol.post(URL, {"name": "Ours"}, format="json").status_code == 403
    blank = cell.post(URL, {"name": ""}, format="json")
    assert blank.status_code == 400 and "name" in blank.json()
    future = cell.post(URL, {"name": "Later", "as_of": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "as_of" in future.json()
    assert cell.post(URL, {"name": "Once"}, format="json").status_code == 201
    again = cell.post(URL, {"name": "Once"}, format="json")
    assert again.status_code == 400 and "already exists" in str(again.json()["name"])


def test_compare_two_snapshots_and_with_today(cell, usa, pol, hand_built):  # noqa: F811
    a = cell.post(URL, {"name": "February", "as_of": "2024-02-20"}, format="json").json()["id"]
    b = cell.post(URL, {"name": "March", "as_of": "2024-03-20"}, format="json").json()["id"]
    answer = cell.get(f"{URL}compare/", {"a": a, "b": b})
    assert answer.status_code == 200
    [change] = answer.json()["results"]
    assert (change["nation"], change["shortfall_delta"], change["reasons"]) == ("USA", 500, ["report"])
    assert (change["before"]["available"], change["after"]["available"]) == (1200, 500)
    today = usa.get(f"{URL}compare/", {"a": a, "b": "today"}).json()
    assert today["b"] is None and [c["nation"] for c in today["results"]] == ["USA"]
    assert pol.get(f"{URL}compare/", {"a": a}).json()["results"] == []  # POL's own row did not change
    assert cell.get(f"{URL}compare/", {"a": "x"}).status_code == 400
    assert cell.get(f"{URL}compare/", {"a": 999999}).status_code == 400
    assert cell.get(f"{URL}compare/", {"a": a, "b": "nope"}).status_code == 400
    assert dt.date.fromisoformat(answer.json()["b"]["as_of"]) == dt.date(2024, 3, 20)


def test_compare_is_paged(cell, usa, pol, hand_built, item, nations):  # noqa: F811
    """Like every list: ``page``/``page_size`` (100 by default), with the count of every change and links."""
    from coordination.access import CELL
    from stockpiles import engine, services

    a = cell.post(URL, {"name": "Early", "as_of": "2024-01-20"}, format="json").json()["id"]
    # POL reports for the first time since: its pair changes too (USA's changed with the hand-built history)
    services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=200,
                                 as_of=dt.date(2024, 2, 1))
    engine.shortfalls_recompute(pairs=None)
    whole = cell.get(f"{URL}compare/", {"a": a, "page_size": 1000}).json()
    assert whole["count"] == len(whole["results"]) >= 2 and whole["next"] is None and whole["previous"] is None
    seen, page = [], f"{URL}compare/?a={a}&page_size=1"
    while page:
        answer = cell.get(page).json()
        assert answer["count"] == whole["count"] and len(answer["results"]) == 1
        seen += answer["results"]
        page = answer["next"]
    assert seen == whole["results"]
    second = cell.get(f"{URL}compare/", {"a": a, "page_size": 1, "page": 2}).json()
    assert second["results"] == whole["results"][1:2]
    assert cell.get(second["previous"]).json()["results"] == whole["results"][:1]  # the link leads to page 1
    assert cell.get(f"{URL}compare/", {"a": a, "page": whole["count"] + 1, "page_size": 1}).status_code == 404
    for bad in ({"page": "0"}, {"page": "x"}, {"page_size": "0"}, {"page_size": "1001"}):
        answer = cell.get(f"{URL}compare/", {"a": a, **bad})
        assert answer.status_code == 400 and set(answer.json()) == set(bad), answer.content
    own = usa.get(f"{URL}compare/", {"a": a, "page_size": 1000}).json()  # a nation: its own pairs, counted alike
    assert own["count"] == len(own["results"]) and {c["nation"] for c in own["results"]} <= {"USA"}


def test_the_series_reads_the_history_month_by_month(cell, usa, pol, hand_built, item,  # noqa: F811
                                                     django_assert_max_num_queries):
    from django.utils import timezone

    from stockpiles import shortfalls

    answer = cell.get("/api/v1/shortfalls/series/", {"item": item.pk, "months": 36})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    today = timezone.localdate()
    by_date = {p["date"]: p["shortfall"] for p in body["past"]}
    assert len(body["past"]) == 37 and body["past"][-1]["date"] == today.isoformat()
    for k in range(37):  # every point is the history's total on that day
        day = shortfalls.add_months(today, -k)
        expected = 0 if day < dt.date(2024, 3, 1) else 500 if day < dt.date(2024, 4, 1) else 400
        assert by_date[day.isoformat()] == expected, day
    # ahead: no production rate, no contract: the shortfall stays
    assert body["projected"][0] == {"date": today.isoformat(), "shortfall": 400}
    assert {p["shortfall"] for p in body["projected"]} == {400}
    assert pol.get("/api/v1/shortfalls/series/", {"item": item.pk}).json()["own_only"] is True
    assert {p["shortfall"] for p in pol.get("/api/v1/shortfalls/series/", {"item": item.pk}).json()["past"]} == {0}
    assert usa.get("/api/v1/shortfalls/series/", {"nation": "USA"}).json()["own_only"] is False
    assert cell.get("/api/v1/shortfalls/series/", {"months": "0"}).status_code == 400
    assert cell.get("/api/v1/shortfalls/series/", {"nation": "XXX"}).status_code == 400
    assert cell.get("/api/v1/shortfalls/series/", {"item": "a"}).status_code == 400
