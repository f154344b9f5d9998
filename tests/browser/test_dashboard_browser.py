"""The dashboard in a real browser: log in, charts drawn, htmx filtering, export, drill-down, French, access."""

from __future__ import annotations

import csv
import io

import pytest

from coordination.models import Membership
from tests.conftest import make_user
from tests.dashboard import scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANVAS_INK = """(canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { ink++; } }
  return ink;
}"""


@pytest.fixture
def demo(nations):
    return scenario.build(nations)


@pytest.fixture
def users(nations):
    return {"coordinator": make_user("coordinator", is_cell=True),
            "pol": make_user("pol-officer", nation=nations["POL"])}


def assert_clean(session):
    assert session.console_errors == []
    assert session.foreign_requests == []


def test_login_overview_charts_and_heat_map(session, demo, users):
    session.login("coordinator")
    page = session.page
    assert page.locator("h1").inner_text() == "Where the alliance is short, and who is late"
    assert page.locator(".banner-top").inner_text().strip() == "UNCLASSIFIED — DEMO DATA"
    assert page.locator(".banner-bottom").is_visible()
    # The heat map: USA's artillery cell is red at 45 %, Poland's green at 120 %.
    usa_row = page.locator("#table-coverage tbody tr", has_text="United States")
    assert usa_row.locator("td.cov-0").inner_text().strip() == "45%"
    pol_row = page.locator("#table-coverage tbody tr", has_text="Poland")
    assert pol_row.locator("td.cov-3").inner_text().strip() == "120%"
    # Both charts are drawn: Chart.js ran and painted pixels on the canvas.
    for chart_id in ("fulfilment-chart", "deliveries-chart"):
        canvas = page.locator(f"#{chart_id}")
        canvas.wait_for()
        page.wait_for_function(f"document.getElementById('{chart_id}').dataset.drawn === 'true'")
        assert canvas.evaluate(CANVAS_INK) > 500, f"{chart_id} is blank"
    assert page.evaluate("typeof window.Chart") == "function"
    assert page.evaluate("typeof window.htmx") == "object"
    session.shot("overview")
    assert_clean(session)


def test_pledges_filter_updates_rows_with_htmx(session, demo, users):
    session.login("coordinator", next_path="/pledges/")
    page = session.page
    rows = page.locator("#pledge-table tbody tr")
    assert rows.count() == 2
    page.evaluate("window.__sameDocument = true")
    with page.expect_response(lambda r: "/pledges/?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.select_option("#f-donor", "POL")
    page.wait_for_function("document.querySelectorAll('#pledge-table tbody tr').length === 1")
    assert "Poland" in rows.first.inner_text()
    assert page.evaluate("window.__sameDocument") is True  # no full reload
    assert "donor=POL" in page.url  # the URL follows the filters (hx-push-url)
    # Overdue only, on top of donor=POL: nothing left, and the empty state says what to do.
    with page.expect_response(lambda r: "overdue=true" in r.url):
        page.check("#f-overdue")
    page.locator("#pledge-results .empty").wait_for()
    assert "Clear some filters" in page.locator("#pledge-results .empty").inner_text()
    assert page.evaluate("window.__sameDocument") is True
    # Keyboard: the filters are native controls reachable with Tab.
    page.focus("#f-donor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-recipient"
    session.shot("pledges-filtered")
    assert_clean(session)


def test_export_downloads_the_filtered_rows(session, demo, users):
    session.login("coordinator", next_path="/pledges/?donor=USA")
    page = session.page
    with page.expect_download() as info:
        page.click("a[data-export=pledges-csv]")
    download = info.value
    assert download.suggested_filename.startswith("pledges-") and download.suggested_filename.endswith(".csv")
    path = session.tmp_path / download.suggested_filename
    download.save_as(str(path))
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][:4] == ["Donor", "Recipient", "Item", "Quantity"]
    assert [r[:4] for r in rows[1:]] == [["United States", "Ukraine", "155 mm HE projectile", "2000"]]
    assert_clean(session)


def test_drill_down_from_overview_to_nation_and_item(session, demo, users):
    session.login("coordinator")
    page = session.page
    with page.expect_navigation():
        page.locator("#table-coverage a", has_text="United States").click()
    assert page.url.endswith("/nations/USA/")
    assert page.locator("h1").inner_text().startswith("United States")
    stock_row = page.locator("#table-stock tbody tr").first
    assert "5,500" in stock_row.inner_text() and "45%" in stock_row.inner_text()
    page.wait_for_function("document.getElementById('coverage-chart').dataset.drawn === 'true'")
    session.shot("nation-usa")
    with page.expect_navigation():
        page.locator("#table-stock a", has_text="155 mm HE projectile").click()
    assert "/items/" in page.url
    assert page.locator("h1").inner_text().startswith("155 mm HE projectile")
    for chart_id in ("history-chart", "projection-chart"):
        page.wait_for_function(f"document.getElementById('{chart_id}').dataset.drawn === 'true'")
        assert page.locator(f"#{chart_id}").evaluate(CANVAS_INK) > 500
    assert "48,000" in page.locator("#table-gaps").inner_text()
    session.shot("item-155mm")
    assert_clean(session)


def test_switch_to_french(session, demo, users):
    session.login("coordinator")
    page = session.page
    page.select_option("#language-select", "fr")
    with page.expect_navigation():
        page.click("form.lang button[type=submit]")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h1").inner_text() == "Où l’Alliance manque, et qui est en retard"
    assert "Déficits les plus importants" in page.content()
    assert Membership.objects.get(user=users["coordinator"]).language == "fr"
    session.shot("overview-fr")
    assert_clean(session)


def test_national_officer_cannot_open_another_nations_page(session, demo, users):
    session.login("pol-officer")
    page = session.page
    assert page.locator("#table-coverage a[href^='/nations/USA/']").count() == 0
    response = page.goto(session.url("/nations/USA/"))
    assert response.status == 404
    response = page.goto(session.url("/nations/POL/"))
    assert response.status == 200
    assert page.locator("h1").inner_text().startswith("Poland")
    session.shot("nation-pol-as-officer")


def test_as_of_picker_on_a_large_screen(session, demo, users):
    """A briefing snapshot: 200 days ago the United States was 2,500 short (see tests/dashboard/scenario.py)."""
    import datetime as dt

    session.page.set_viewport_size({"width": 1920, "height": 1080})
    session.login("coordinator")
    page = session.page
    day = (demo["today"] - dt.timedelta(days=200)).isoformat()
    page.fill("#id_as_of", day)
    with page.expect_navigation():
        page.press("#id_as_of", "Enter")
    assert f"as_of={day}" in page.url
    assert f"Figures as they stood on {day}" in page.locator("p.notice[role=status]").inner_text()
    first = page.locator("#table-shortfalls tbody tr").first.inner_text()
    assert "United States" in first and "2,500" in first
    # Drilling down keeps the date.
    with page.expect_navigation():
        page.locator("#table-shortfalls a", has_text="United States").click()
    assert f"as_of={day}" in page.url
    session.shot("nation-usa-as-of-1920")
    assert_clean(session)


def test_procurement_page(session, nations, demo, users):
    """The procurement page: the demand charts and the delivery timeline are drawn, the agreement and
    its participants are in the tables (worked example: tests/dashboard/scenario.py ``procurement``)."""
    contracts = scenario.procurement(nations, demo)
    session.login("coordinator", next_path="/procurement/")
    page = session.page
    assert page.locator("nav a[aria-current=page]").inner_text() == "Procurement"
    shell_chart = f"demand-chart-{demo['shell'].pk}"
    for chart_id in (shell_chart, f"demand-chart-{demo['missile'].pk}", f"timeline-chart-{demo['shell'].pk}",
                     f"timeline-chart-{demo['missile'].pk}"):
        page.wait_for_function(f"document.getElementById('{chart_id}').dataset.drawn === 'true'")
        assert page.locator(f"#{chart_id}").evaluate(CANVAS_INK) > 500, f"{chart_id} is blank"
    agreement = page.locator("#table-agreements tbody tr").first.inner_text()
    assert contracts["agreement"].name in agreement and "30,000" in agreement and "3,000" in agreement
    participants = page.locator("#table-participants tbody tr")
    assert participants.count() == 2 and "2024-06-01" in participants.nth(1).inner_text()
    assert "53,500" in page.locator("#table-demand").inner_text()
    assert page.locator("#table-timeline tbody tr").count() == 3
    session.shot("procurement")
    # The item page: the projection chart carries the contracted inflows.
    with page.expect_navigation():
        page.locator("#table-demand a", has_text="155 mm HE projectile").click()
    page.wait_for_function("document.getElementById('projection-chart').dataset.drawn === 'true'")
    assert page.locator("#projection-chart").evaluate(CANVAS_INK) > 500
    session.shot("item-155mm-with-contracts")
    assert_clean(session)


def test_procurement_page_as_a_participant(session, nations, demo, users):
    scenario.procurement(nations, demo)
    session.login("pol-officer", next_path="/procurement/")
    page = session.page
    assert "155 mm joint procurement" in page.locator("#table-agreements").inner_text()
    assert "hidden" in page.locator("#table-agreements").inner_text()
    assert "USA-155-CO-1" not in page.content()
    chart_id = f"timeline-chart-{demo['missile'].pk}"
    page.wait_for_function(f"document.getElementById('{chart_id}').dataset.drawn === 'true'")
    assert page.locator(f"canvas#timeline-chart-{demo['shell'].pk}").count() == 0  # not its order
    session.shot("procurement-pol-officer")
    assert_clean(session)


def test_procurement_page_on_the_demo(session, db):
    """The demo scenario (load_demo): Germany's framework agreement with Estonia joining later is on the page,
    with its charts drawn."""
    from loaders.demo import demo_load

    demo_load()
    make_user("coordinator", is_cell=True)
    session.login("coordinator", next_path="/procurement/")
    page = session.page
    assert "DEMO Germany 155 mm framework agreement" in page.locator("#table-agreements").inner_text()
    assert "Estonia" in page.locator("#table-participants").inner_text()
    canvases = page.locator("canvas[id^=demand-chart-]")
    assert canvases.count() >= 1
    first = canvases.first.get_attribute("id")
    page.wait_for_function(f"document.getElementById('{first}').dataset.drawn === 'true'")
    assert canvases.first.evaluate(CANVAS_INK) > 500
    session.shot("procurement-demo")
    assert_clean(session)


def test_as_of_on_the_overview_pledges_and_reporting_pages(session, demo, users):
    """As of a past date: the banner names the latest stock report then; the pledges page keeps the date
    in its filters; the reporting page counts days to it (screenshots to look at)."""
    import datetime as dt

    session.login("coordinator")
    page = session.page
    day = (demo["today"] - dt.timedelta(days=200)).isoformat()
    page.goto(f"{session.base_url}/?as_of={day}")
    banner = page.locator("p.computed").inner_text()
    assert f"on or before {day}" in banner and "recompute" not in banner
    session.shot("overview-as-of-banner")
    page.goto(f"{session.base_url}/pledges/?as_of={day}")
    assert page.locator("#f-as_of").input_value() == day
    assert f"Pledges announced by {day}" in page.locator("p.notice[role=status]").inner_text()
    session.shot("pledges-as-of")
    page.goto(f"{session.base_url}/reporting/?as_of={day}")
    assert page.locator("#id_as_of").input_value() == day
    session.shot("reporting-as-of")
    page.goto(f"{session.base_url}/?as_of=2019-01-01")
    body = page.locator("main").inner_text()
    assert "No pledges announced by 2019-01-01." in body and "recompute" not in body
    session.shot("overview-as-of-2019")
    assert_clean(session)
