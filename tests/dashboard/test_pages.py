"""Dashboard pages against the hand-checked scenario (tests/dashboard/scenario.py)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from stockpiles.models import Shortfall, ShortfallRun
from web.dashboard.tables import Badge, Link

pytestmark = pytest.mark.django_db


def rows_of(response, key):
    return response.context["tables"][key].rows


def text(value):
    return value.text if isinstance(value, (Link, Badge)) else value


PAGES = ["dashboard:overview", "dashboard:pledges"]


@pytest.mark.parametrize("url", ["/", "/pledges/", "/nations/USA/", "/items/1/", "/audit/", "/accounts/2fa/"])
def test_login_required(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_login_page_renders_with_banner(client, settings):
    settings.CLASSIFICATION_BANNER = "NATO UNCLASSIFIED — TEST"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response.content.decode().count("NATO UNCLASSIFIED — TEST") == 2  # top and bottom


def test_login_flow(client, coordinator, demo):
    from tests.conftest import current_totp, totp_device_for

    device = totp_device_for(coordinator)
    response = client.post("/accounts/login/", {"username": "coordinator", "password": "pw-for-tests-1"},
                           follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/verify/?next=%2F"  # the second step
    response = client.post("/accounts/2fa/verify/", {"otp_token": current_totp(device), "next": "/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert b"Largest shortfalls" in response.content


def test_overview_numbers(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/")
    assert response.status_code == 200
    largest = [[text(v) for v in row] for row in rows_of(response, "shortfalls")]
    # nation, item, shortfall, coverage, months, on hand, owed, available, guideline, rate, status, category
    assert largest[0] == ["United States", "155 mm HE projectile", 5500, pytest.approx(0.45), 6, 6000, 1500, 4500,
                          10000, 1000, "Below guideline", "Artillery ammunition"]
    assert largest[1][:5] == ["Poland", "IRIS-T SLM interceptor", 50, 0.5, "not recovering"]
    alliance = {text(r[0]): r for r in rows_of(response, "alliance")}
    assert alliance["155 mm HE projectile"][3:7] == [5500, -3500, 1, 2]
    # Nations not reporting: every ally reported shells; USA never reported interceptors.
    assert (alliance["155 mm HE projectile"][7], alliance["IRIS-T SLM interceptor"][7]) == (0, 1)
    html = response.content.decode()
    # Heat map: USA artillery 45% (red band), POL artillery 120% (green), POL air defence 50% (orange).
    assert re.search(r'class="heat cov-0"><span[^>]*>45%', html)
    assert re.search(r'class="heat cov-3"><span[^>]*>120%', html)
    assert re.search(r'class="heat cov-1"><span[^>]*>50%', html)
    donors = {text(r[0]): r for r in rows_of(response, "fulfilment")}
    # donor, pledges, pledged EUR, delivered EUR, share (EUR), overdue: no quantities summed across items
    assert donors["Poland"][1:] == [1, 10_000_000, 10_000_000, 1.0, 0]
    assert donors["United States"][1:] == [1, 2_000_000, 0, 0.0, 1]
    overdue = rows_of(response, "overdue")
    assert [text(r[0]) for r in overdue] == ["United States"] and overdue[0][5] == 2000
    assert [r[:3] for r in rows_of(response, "deliveries")] == [["2024-04", 1, Decimal("10000000.00")]]  # count, EUR
    assert [r[1:4] for r in rows_of(response, "training")] == [["Leopard 2 crew", 120, 90]]
    assert "€10.0 m" in html and "5,500" in html
    assert 'id="fulfilment-chart-data"' in html and 'id="deliveries-chart-data"' in html
    assert "Stale" not in html


def test_overview_flags_stale_shortfalls(client, coordinator, demo, settings):
    settings.SHORTFALL_STALE_AFTER = dt.timedelta(minutes=60)
    Shortfall.objects.update(computed_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    ShortfallRun.objects.update(finished_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))  # nor a full recompute since
    client.force_login(coordinator)
    html = client.get("/").content.decode()
    assert "Shortfalls last computed: 2024-01-01 00:00 UTC" in html
    assert "Stale" in html


def test_overview_empty_states(client, coordinator):
    client.force_login(coordinator)
    html = client.get("/").content.decode()
    assert "Shortfalls have never been computed" in html and "manage.py" not in html
    assert "No pledges recorded yet" in html
    assert "Nothing to chart yet" in html


def test_as_of_past_date_recomputes_from_history(client, coordinator, demo):
    """200 days ago: USA had 9,000 on hand; 500 of its 2,000 national-stock pledge had shipped (2024-03-01),
    so owed 1,500, available 7,500, shortfall 2,500, 3 months at 1,000/month. Poland had not reported yet."""
    client.force_login(coordinator)
    day = demo["today"] - dt.timedelta(days=200)
    response = client.get("/", {"as_of": day.isoformat()})
    assert response.context["as_of"] == day
    largest = [[text(v) for v in row] for row in rows_of(response, "shortfalls")]
    assert [r[0] for r in largest] == ["United States"]
    assert largest[0][2:9] == [2500, 0.75, 3, 9000, 1500, 7500, 10000]
    assert f"Figures as they stood on {day.isoformat()}" in response.content.decode()


def test_as_of_future_date_is_refused_not_a_500(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/", {"as_of": (demo["today"] + dt.timedelta(days=3)).isoformat()})
    assert response.status_code == 200
    assert response.context["as_of"] is None
    assert "Pick today or a past date." in response.content.decode()
    assert client.get("/", {"as_of": "not-a-date"}).status_code == 200


def test_officer_sees_own_detail_and_alliance_aggregates(client, polish_officer, demo, settings):
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1  # two nations in the data; suppression: test_aggregate_suppression
    settings.AGGREGATE_DOMINANCE_PERCENT, settings.AGGREGATE_ROUNDING = 100, 1  # exact figures
    client.force_login(polish_officer)
    response = client.get("/")
    largest = [[text(v) for v in row] for row in rows_of(response, "shortfalls")]
    assert [r[0] for r in largest] == ["Poland"]  # not the United States' figures
    assert [text(r[0]) for r in rows_of(response, "coverage")] == ["Poland"]
    alliance = {text(r[0]): r for r in rows_of(response, "alliance")}
    assert alliance["155 mm HE projectile"][3] == 5500  # the aggregate still counts every nation
    html = response.content.decode()
    assert "/nations/USA/" not in html  # no link to a page it cannot open
    assert client.get("/nations/POL/").status_code == 200
    assert '<a href="/nations/POL/">My nation (POL)</a>' in html


def test_officer_cannot_open_another_nations_page(client, polish_officer, demo, caplog):
    client.force_login(polish_officer)
    with caplog.at_level("WARNING", logger="coordination.security"):
        response = client.get("/nations/USA/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode() and "UNCLASSIFIED" in response.content.decode()
    assert any(r.getMessage() == "access_refused" for r in caplog.records)
    assert client.get("/nations/USA/", {"export": "csv", "table": "stock"}).status_code == 404


def test_item_page_officer_sees_only_own_series(client, polish_officer, demo, settings):
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1  # two nations in the data; suppression: test_aggregate_suppression
    settings.AGGREGATE_DOMINANCE_PERCENT, settings.AGGREGATE_ROUNDING = 100, 1  # exact figures
    client.force_login(polish_officer)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    assert [text(r[0]) for r in rows_of(response, "nations")] == ["Poland"]
    assert response.context["rollup"].total_shortfall == 5500
    history = response.context["charts"]["history_chart"]
    assert [d["label"] for d in history["datasets"] if not d.get("dashed")] == ["POL"]


def test_nation_page(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/nations/usa/")
    assert response.status_code == 200
    stock = [[text(v) for v in row] for row in rows_of(response, "stock")]
    # item, shortfall, coverage, months, on hand, owed, available, guideline, rate, status, category
    assert stock[0] == ["155 mm HE projectile", 5500, 0.45, 6, 6000, 1500, 4500, 10000, 1000, "Below guideline",
                        "Artillery ammunition"]
    # The alliance-wide interceptor guideline applies to USA, which never reported them: shown as such.
    assert len(stock) == 2 and [stock[1][i] for i in (0, 1, 4, 7, 9)] == [
        "IRIS-T SLM interceptor", 0, None, 100, "No stock report"]
    pledges = [[text(v) for v in row] for row in rows_of(response, "pledges")]
    assert pledges[0][:6] == ["Ukraine", "155 mm HE projectile", 2000, 0, "rounds", 2_000_000]
    assert pledges[0][-1] == "overdue"
    assert "gaps" not in response.context["tables"]
    chart = response.context["charts"]["coverage_chart"]
    assert chart["labels"] == ["155 mm HE projectile"] and chart["datasets"][0]["data"] == [45.0]
    assert client.get("/nations/ZZZ/").status_code == 404


def test_recipient_page_shows_requirement_gaps(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/nations/UKR/")
    gaps = [[text(v) for v in row] for row in rows_of(response, "gaps")]
    assert gaps == [["Ukraine", "155 mm HE projectile", 50000, 2000, 0, 48000, 2000, pytest.approx(0.04)]]
    received = [[text(v) for v in row] for row in rows_of(response, "pledges")]
    assert [r[0] for r in received] == ["Poland", "United States"]  # pledges it receives, by donor
    assert response.context["pledges_url"] == "/pledges/?recipient=UKR"


def test_item_page(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    assert response.status_code == 200
    nations = {text(r[0]): r for r in rows_of(response, "nations")}
    usa = nations["United States"]
    assert usa[1:4] == [5500, 0.45, 6]
    today = demo["today"]
    years, month0 = divmod(today.month - 1 + 6, 12)
    recovered = usa[-1]
    assert (recovered.year, recovered.month) == (today.year + years, month0 + 1)
    assert recovered.day == today.day or (today.day > 28 and recovered.day >= 28)
    assert nations["Poland"][-1] is None  # at guideline: nothing to recover
    gaps = rows_of(response, "gaps")
    assert gaps[0][5:7] == [48000, 2000]
    history = response.context["charts"]["history_chart"]
    usa_series = next(d for d in history["datasets"] if d["label"] == "USA")
    assert [v for v in usa_series["data"] if v is not None] == [9000, 6000]
    projection = response.context["charts"]["projection_chart"]
    usa_projection = next(d for d in projection["datasets"] if d["label"] == "USA")
    assert usa_projection["data"][:7] == [4500, 5500, 6500, 7500, 8500, 9500, 10500]  # above 10,000 in month 6
    assert client.get(reverse("dashboard:item", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_officer_sees_no_alliance_total_built_from_one_other_nation(client, polish_officer, demo):
    """Default small-group rule: with only POL and USA holding the item, POL sees no total."""
    client.force_login(polish_officer)
    response = client.get(reverse("dashboard:item", args=[demo["shell"].pk]))
    assert response.context["rollup"].suppressed is True
    assert response.context["rollup"].total_shortfall is None


def test_audit_page_for_the_cell_only(client, coordinator, polish_officer, demo):
    client.force_login(coordinator)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert response.context["page"].paginator.count > 0  # the demo's records all have a "created" row
    client.force_login(polish_officer)
    assert client.get("/audit/").status_code == 404


def test_a_donor_of_many_items_shows_its_largest_pledges_and_exports_them_all(client, coordinator, nations):
    """The per-item pledge table of a donor of more items than a page holds: the largest pledged value first,
    the page cut at PAGE_SIZE with "Showing 50 of 53", the export every item."""
    from tests import factories
    from web.dashboard.common import PAGE_SIZE

    usa, ukr = nations["USA"], nations["UKR"]
    for k in range(PAGE_SIZE + 3):
        factories.PledgeFactory(donor=usa, recipient=ukr, item=factories.ItemFactory(name=f"Pledged item {k:02d}"),
                                quantity=10, value_eur=1000 * (k + 1))
    client.force_login(coordinator)
    response = client.get("/nations/usa/")
    table = response.context["tables"]["pledged"]
    assert table.total == PAGE_SIZE + 3 and len(table.rows) == PAGE_SIZE
    assert [text(row[0]) for row in table.rows[:2]] == ["Pledged item 52", "Pledged item 51"]
    assert f"Showing {PAGE_SIZE} of {PAGE_SIZE + 3}" in response.content.decode()
    exported = client.get("/nations/usa/?export=csv&table=pledged").content.decode().splitlines()
    assert len(exported) == 1 + PAGE_SIZE + 3 and "Pledged item 00" in exported[-1]
