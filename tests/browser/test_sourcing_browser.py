"""The sourcing planner in a real browser: the page with its split, chart and tables; the what-if form
answered in place by htmx; the item page's sourcing panel; a national officer's view. Worked example:
tests/stockpiles/sourcing_scenario.py."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard_browser import CANVAS_INK, assert_clean
from tests.conftest import make_user
from tests.stockpiles import sourcing_scenario

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(nations):
    w = sourcing_scenario.build(nations)
    make_user("coordinator", is_cell=True)
    make_user("deu-officer", nation=w["DEU"])
    return w


def test_sourcing_page_split_chart_and_what_if(session, world):
    session.login("coordinator", next_path=f"/sourcing/?item={world['shell'].pk}")
    page = session.page
    assert page.locator("nav a[aria-current=page]").inner_text() == "Sourcing"
    split = page.locator("#table-split tbody tr")
    assert split.count() == 5
    assert "FRA: 40,000 now, from headroom 40,000" in split.first.inner_text()
    assert world["month"](2).isoformat() in page.locator(".kpis").inner_text()
    headroom = page.locator("#table-headroom tbody tr")
    assert [headroom.nth(i).locator("th").inner_text() for i in range(3)] == ["France", "Germany", "Italy"]
    assert "Poland" in page.locator("#table-unknown").inner_text()
    page.wait_for_function("document.getElementById('headroom-chart').dataset.drawn === 'true'")
    assert page.locator("#headroom-chart").evaluate(CANVAS_INK) > 500
    session.shot("sourcing-cell")

    # What if Germany pledged 10,000 from national stock, due in three months?
    page.select_option("#what-if-donor", str(world["DEU"].pk))
    page.fill("#what-if-quantity", "10000")
    page.fill("#what-if-due_on", world["month"](3).isoformat())
    url = page.url
    page.click("#what-if-form button[type=submit]")
    result = page.locator("#what-if-result section")
    result.wait_for()
    assert page.url == url  # answered in place, nothing saved
    text = result.inner_text()
    assert "DEU gives 10,000 × 155 mm HE projectile" in text
    assert "12,000" in text and "50,000" in text  # DEU's shortfall after; UKR's uncovered need after
    assert f"from {world['month'](4).isoformat()}" in text
    result.scroll_into_view_if_needed()
    session.shot("sourcing-what-if")
    assert_clean(session)


def test_item_page_sourcing_panel(session, world):
    session.login("coordinator", next_path=f"/items/{world['shell'].pk}/")
    page = session.page
    panel = page.locator("#sourcing-panel")
    panel.wait_for()
    assert "60,000" in panel.locator(".kpis").inner_text()
    assert "France" in panel.inner_text()
    page.select_option("#what-if-donor", str(world["FRA"].pk))
    page.fill("#what-if-quantity", "45000")
    page.click("#what-if-form button[type=submit]")
    result = page.locator("#what-if-result section")
    result.wait_for()
    assert "drops below guideline" in result.inner_text()
    panel.scroll_into_view_if_needed()
    session.shot("item-sourcing-panel")
    assert_clean(session)


def test_sourcing_page_as_a_national_officer(session, world):
    session.login("deu-officer", otp=False, next_path=f"/sourcing/?item={world['shell'].pk}")
    page = session.page
    rows = page.locator("#table-headroom tbody tr")
    assert rows.count() == 1 and rows.first.locator("th").inner_text() == "Germany"
    assert "France" not in page.locator("main").inner_text()
    assert page.locator("#what-if-donor option").count() == 1
    session.shot("sourcing-deu-officer")
    assert_clean(session)
