"""The sourcing planner in a real browser: the page with its split, chart and tables; the what-if form
answered in place by htmx; the item page's sourcing panel; a national officer's view; the pledge form's
"Preview effect" in the admin (cell and officer). Worked example: tests/stockpiles/sourcing_scenario.py."""

from __future__ import annotations

import pytest

from coordination.access import CELL
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


def _preview(session) -> str:
    """Click "Preview effect" on the pledge form (a plain submit, no JS needed) and return the panel's text."""
    page = session.page
    with page.expect_navigation():
        page.click("#pledge-what-if-button")
    panel = page.locator("#pledge-what-if")
    panel.wait_for()
    return panel.inner_text()


def test_pledge_form_preview_effect_in_the_admin(session, world):
    from pledges.models import Pledge

    session.login("coordinator")
    page = session.page
    # The add form, donor / recipient / item given in the address (the admin's initial values).
    page.goto(session.url(f"/admin/pledges/pledge/add/?donor={world['DEU'].pk}&recipient={world['UKR'].pk}"
                          f"&item={world['shell'].pk}"))
    page.fill("#id_quantity", "10000")
    page.fill("#id_announced_on", world["today"].isoformat())
    page.fill("#id_due_on", world["month"](3).isoformat())
    text = _preview(session)
    assert "DEU gives 10,000 × 155 mm HE projectile" in text
    assert "Shortfall (rounds)" in text and "12,000" in text and "2,000" in text
    assert "UKR: uncovered need (rounds)" in text and "60,000" in text and "50,000" in text
    assert "Due before DEU could give it" in text
    assert page.locator("#id_quantity").input_value() == "10000"  # the form keeps the draft
    assert Pledge.objects.count() == 0
    # Every figure of the panel fits its cell (nothing clipped).
    clipped = page.eval_on_selector_all(
        "#pledge-what-if td, #pledge-what-if th",
        "cells => cells.filter(c => c.scrollWidth > c.clientWidth + 1).length")
    assert clipped == 0
    session.shot("admin-pledge-what-if-cell")
    assert_clean(session)


def test_pledge_form_preview_of_a_change_as_a_national_officer(session, world):
    from pledges import services
    from pledges.models import Pledge

    pledge = services.pledge_create(
        actor=CELL, donor=world["DEU"],
        recipient=world["UKR"], item=world["shell"], quantity=5_000, source=Pledge.Source.NATIONAL_STOCK,
        status=Pledge.Status.COMMITTED, releasability="alliance", announced_on=world["today"],
        due_on=world["month"](6))
    session.login("deu-officer")
    page = session.page
    page.goto(session.url(f"/admin/pledges/pledge/{pledge.pk}/change/"))
    assert f"/admin/pledges/pledge/{pledge.pk}/change/" in page.url
    page.fill("#id_quantity", "10000")
    text = _preview(session)
    assert "the pledge as saved" in text
    assert "7,000" in text and "12,000" in text  # DEU's shortfall: with the 5,000 saved, then 10,000 instead
    assert "55,000" in text and "50,000" in text
    pledge.refresh_from_db()
    assert pledge.quantity == 5_000
    session.shot("admin-pledge-what-if-officer")
    assert_clean(session)
