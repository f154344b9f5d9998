"""The shortfall trend of the overview, nation and item pages (web/dashboard/trends.py, loaded by htmx) and the
API's series as of a date, against a hand-built history (tests/dashboard/trend_history.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from coordination.models import Membership
from stockpiles.shortfalls import add_months
from tests.conftest import make_user
from tests.dashboard import trend_history
from tests.dashboard.test_query_counts import login

pytestmark = pytest.mark.django_db

URL = "/trends/"


@pytest.fixture
def history(nations):
    return trend_history.build(nations)


def chart_of(response) -> dict:
    assert response.status_code == 200, response.content
    return response.context["chart"]


def dataset(chart: dict, label: str) -> dict:
    [found] = [d for d in chart["datasets"] if d["label"] == label]
    return found


def split(chart: dict, label: str, months: int = 24) -> tuple[list, list]:
    """A line's past (up to the marker) and its projection (from the marker on)."""
    past = dataset(chart, label)["data"][: months + 1]
    projected = dataset(chart, f"{label}, projected")["data"][months:]
    return past, projected


def test_overview_alliance_by_category_in_eur(client, coordinator, history):
    login(client, coordinator)
    today = history["today"]
    response = client.get(URL)
    chart = chart_of(response)
    assert chart["labels"][24] == today.isoformat() and len(chart["labels"]) == 24 + 1 + 12
    assert chart["options"]["marker"] == {"index": 24, "label": "Today"}
    assert chart["options"]["yTitle"] == "Shortfall (EUR)"
    past, projected = split(chart, "Artillery ammunition")
    for k, value in enumerate(past):  # each month: USA's and POL's shortfall of A at EUR 10 (C has no value)
        day = add_months(today, k - 24)
        usa, pol = trend_history.usa_a(day, today), trend_history.pol_a(day, today)
        assert value == (None if usa is None and pol is None else 10 * ((usa or 0) + (pol or 0))), day
    # ahead: USA produces 100 a month (300, 200, 100, 0), POL's order of 150 arrives in month 2
    assert projected[:5] == [5000, 4000, 1500, 500, 500]
    air_past, air_projected = split(chart, "Air defence")
    assert air_past[:21] == [None] * 21 and air_past[21:] == [2000] * 4
    assert set(air_projected) == {2000}
    # the projection is drawn as a projection: dashed, in the line's colour, out of the legend
    line = dataset(chart, "Artillery ammunition, projected")
    assert line["dashed"] is True and line["legend"] is False
    assert line["colour"] == dataset(chart, "Artillery ammunition")["colour"]
    assert "dashed" not in dataset(chart, "Artillery ammunition")
    html = response.content.decode()
    assert "1 item short without a reference value is left out." in html
    assert "Alliance shortfall over time by category (EUR)" in html


def test_the_page_loads_the_trend_for_its_date(client, coordinator, history):
    """The pages carry the panel's address (htmx loads it after the page: their own query counts do not
    change); as of a past date the address carries the date."""
    login(client, coordinator)
    a = history["a"].pk
    day = add_months(history["today"], -4).isoformat()
    assert 'hx-get="/trends/?"' in client.get("/").content.decode()
    assert f'hx-get="/trends/?as_of={day}"' in client.get("/", {"as_of": day}).content.decode()
    assert f'hx-get="/trends/?nation=USA&amp;as_of={day}"' in client.get("/nations/USA/", {"as_of": day}
                                                                          ).content.decode()
    assert f'hx-get="/trends/?item={a}&amp;"' in client.get(reverse("dashboard:item", args=[a])).content.decode()


def test_as_of_a_past_date_the_trend_ends_there(client, coordinator, history):
    login(client, coordinator)
    today = history["today"]
    day = add_months(today, -4)
    chart = chart_of(client.get(URL, {"as_of": day.isoformat()}))
    assert chart["labels"][0] == add_months(day, -24).isoformat() and chart["labels"][24] == day.isoformat()
    assert chart["options"]["marker"] == {"index": 24, "label": f"As of {day.isoformat()}"}
    past, projected = split(chart, "Artillery ammunition")
    assert past[-1] == 10 * (300 + 200)  # USA's version from 6 months ago, POL's
    # Air defence started 3 months ago: after the date, so not in a trend that ends at it
    assert all(d["label"] != "Air defence" for d in chart["datasets"])
    # the projection starts from the date: USA recovers 100 a month from then
    # POL's order, due in 2 months from today, lands 6 months after the date (7 when the day is clamped)
    assert projected[:6] == [5000, 4000, 3000, 2000, 2000, 2000] and projected[8:] == [500] * 5


def test_nation_page_per_item_as_a_share_of_guideline(client, coordinator, history):
    login(client, coordinator)
    today = history["today"]
    chart = chart_of(client.get(URL, {"nation": "USA"}))
    assert chart["options"]["yTitle"] == "Shortfall, share of the item's guideline (%)"
    past, projected = split(chart, "155 mm HE projectile (rounds)")
    for k, value in enumerate(past):
        usa = trend_history.usa_a(add_months(today, k - 24), today)
        assert value == (None if usa is None else usa / 10)
    assert projected[:5] == [30.0, 20.0, 10.0, 0.0, 0.0]
    notes = dataset(chart, "155 mm HE projectile (rounds)")["notes"]
    assert notes[24] == "300 rounds"
    assert split(chart, "Fuze (units)")[0][-1] == 50.0
    assert split(chart, "Air-defence launcher (systems)")[0][-1] == 20.0
    # the largest shares first
    labels = [d["label"] for d in chart["datasets"] if d.get("legend", True)]
    assert labels == ["155 mm HE projectile (rounds)", "Fuze (units)", "Air-defence launcher (systems)"]


def test_item_page_across_nations_for_the_cell(client, coordinator, history):
    login(client, coordinator)
    chart = chart_of(client.get(URL, {"item": history["a"].pk}))
    assert chart["options"]["yTitle"] == "Shortfall (rounds)"
    assert split(chart, "United States")[0][-1] == 300
    assert split(chart, "Poland")[1][:3] == [200, 200, 50]
    assert split(chart, "Germany")[1][:2] == [0, 0]
    total_past, total_ahead = split(chart, "All nations")
    assert total_past[-1] == 500 and total_ahead[:4] == [500, 400, 150, 50]


def test_a_nation_sees_no_other_nations_line(client, history):
    """POL's officer: its own line only, on the item's trend and on the overview; no total over other nations
    (no disclosure-checked series over time is released to nations); another nation's trend is a 404."""
    officer = make_user("pol-officer", nation=history["pol"])
    login(client, officer)
    response = client.get(URL, {"item": history["a"].pk})
    chart = chart_of(response)
    assert {d["label"] for d in chart["datasets"]} == {"Poland", "Poland, projected"}
    html = response.content.decode()
    for other in ("United States", "Germany", "All nations"):
        assert other not in html
    assert "Only your nation's figures" in html
    overview = chart_of(client.get(URL))
    assert split(overview, "Artillery ammunition")[0][-1] == 10 * 200  # its own shortfall only
    assert all(d["label"] != "Air defence" for d in overview["datasets"])  # USA's only
    assert client.get(URL, {"nation": "USA"}).status_code == 404
    assert client.get(URL, {"nation": "POL"}).status_code == 200


def test_bad_input_is_a_400_or_404(client, coordinator, history):
    login(client, coordinator)
    assert client.get(URL, {"as_of": "2999-01-01"}).status_code == 400
    assert client.get(URL, {"as_of": "yesterday"}).status_code == 400
    assert client.get(URL, {"item": "x"}).status_code == 400
    assert client.get(URL, {"item": "999999"}).status_code == 404
    assert client.get(URL, {"nation": "XXX"}).status_code == 404


def test_empty_state_in_the_readers_words(client, coordinator, nations):
    login(client, coordinator)
    html = client.get(URL).content.decode()
    assert "No shortfall figures recorded over the last 24 months yet" in html and "<canvas" not in html
    html = client.get(URL, {"as_of": "2020-01-15"}).content.decode()
    assert "No shortfall figures had been recorded in the 24 months up to 2020-01-15" in html
    Membership.objects.filter(user=coordinator).update(language="fr")
    html = client.get(URL).content.decode()
    assert "Aucun chiffre de déficit enregistré sur les 24 derniers mois" in html


def test_french_labels(client, coordinator, history):
    Membership.objects.filter(user=coordinator).update(language="fr")
    login(client, coordinator)
    response = client.get(URL, {"item": history["a"].pk})
    chart = chart_of(response)
    assert chart["options"]["marker"]["label"] == "Aujourd’hui"
    assert chart["options"]["yTitle"].startswith("Déficit (")
    assert any(d["label"] == "Toutes les nations" for d in chart["datasets"])
    assert "Trait plein" in response.content.decode()


def test_a_snapshot_shows_the_trend_of_its_date(client, coordinator, history):
    from django.utils import timezone

    from stockpiles.models import Snapshot

    day = add_months(history["today"], -4)
    snapshot = Snapshot.objects.create(name="Briefing", as_of=day, taken_at=timezone.now(), created_by=coordinator)
    login(client, coordinator)
    html = client.get("/", {"snapshot": snapshot.pk}).content.decode()
    assert f'hx-get="/trends/?as_of={day.isoformat()}"' in html


# session + user + OTP device + membership = 4, then: the past (summed per line and date); the pairs short at
# the date (with their report's date when they have contracted inflows); their schedule lines (POL's order)
# and, for a nation's or an item's trend, the nation or the item.
CEILINGS = {"overview": 4 + 3, "nation": 4 + 4, "item": 4 + 4}


def test_fixed_query_counts(client, coordinator, nations, history, django_assert_max_num_queries):
    login(client, coordinator)
    params = {"overview": {}, "nation": {"nation": "USA"}, "item": {"item": history["a"].pk}}
    for size in ("small", "large"):
        if size == "large":  # 20 more nations with two versions each of A, B and C
            for n in range(20):
                nation = trend_history.factories.NationFactory(code=f"QA{chr(65 + n)}", name=f"Nation {n}")
                for it in (history["a"], history["b"], history["c"]):
                    trend_history.version(nation, it, history["ago"](20), history["ago"](5), shortfall=10,
                                          available=90, guideline=100, contracted=5)
                    trend_history.version(nation, it, history["ago"](5), None, shortfall=5, available=95,
                                          guideline=100, rate=1)
        for name, query in params.items():
            for as_of in ({}, {"as_of": history["ago"](2).isoformat()}):
                with django_assert_max_num_queries(CEILINGS[name]):
                    assert client.get(URL, {**query, **as_of}).status_code == 200


def test_api_series_as_of_a_date(client, coordinator, history):
    login(client, coordinator)
    today = history["today"]
    day = add_months(today, -4)
    body = client.get("/api/v1/shortfalls/series/", {"item": history["a"].pk, "as_of": day.isoformat()}).json()
    assert body["past"][-1] == {"date": day.isoformat(), "shortfall": 500}
    assert body["past"][0]["date"] == add_months(day, -24).isoformat()
    assert body["projected"][0] == {"date": day.isoformat(), "shortfall": 500}
    for point in body["past"]:
        d = dt.date.fromisoformat(point["date"])
        assert point["shortfall"] == (trend_history.usa_a(d, today) or 0) + (trend_history.pol_a(d, today) or 0)
    bad = client.get("/api/v1/shortfalls/series/", {"as_of": "2999-01-01"})
    assert bad.status_code == 400 and "as_of" in bad.json()
    assert client.get("/api/v1/shortfalls/series/", {"as_of": "nope"}).status_code == 400
