"""The shortfall trend on the overview, nation and item pages in a real browser: loaded by htmx after the page,
drawn by the vendored Chart.js (past solid, projection dashed, a marker at the date), at 1440 and 390 px, in
English and French; a national officer sees its own line only. Screenshots of each panel go to
tests/browser/artifacts/trend-*.png (look at them: legible lines, labelled axes, no overlapping labels)."""

from __future__ import annotations

import shutil

import pytest

from coordination.models import Membership
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_dashboard_browser import CANVAS_INK, assert_clean
from tests.conftest import make_user
from tests.dashboard import trend_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(nations):
    w = trend_history.build(nations)
    w["coordinator"] = make_user("coordinator", is_cell=True)
    make_user("pol-officer", nation=w["pol"])
    return w


def panel_shot(session, name: str):
    """Wait for the trend to be drawn, check it has ink, and save a picture of the panel."""
    page = session.page
    page.locator("#trend-chart[data-drawn=true]").wait_for()  # (no wait_for_function: the CSP forbids eval)
    assert page.locator("#trend-chart").evaluate(CANVAS_INK) > 2000
    panel = page.locator("#trend-panel")
    panel.scroll_into_view_if_needed()
    path = session.tmp_path / f"trend-{name}.png"
    panel.screenshot(path=str(path))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)
    return panel


PAGES = {"overview": "/", "nation": "/nations/USA/", "item": None}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_trends_on_the_three_pages_at_two_widths(session, world, language):
    Membership.objects.filter(user=world["coordinator"]).update(language=language)
    session.login("coordinator")
    page = session.page
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900 if width > 1000 else 844})
        for name, path in PAGES.items():
            page.goto(session.url(path or f"/items/{world['a'].pk}/"))
            panel = panel_shot(session, f"{name}-{width}-{language}")
            text = panel.inner_text()
            assert ("Trait plein" if language == "fr" else "Solid:") in text
            if name == "overview":
                assert ("Catégorie" in text or "catégorie" in text) if language == "fr" else "by category" in text
    assert_clean(session)


def test_trend_as_of_a_date_and_for_a_national_officer(session, world):
    day = world["ago"](4).isoformat()
    session.login("coordinator", next_path=f"/?as_of={day}")
    panel = panel_shot(session, "overview-as-of")
    assert day in panel.inner_text()
    session.page.context.clear_cookies()
    session.login("pol-officer", otp=False, next_path=f"/items/{world['a'].pk}/")
    panel = panel_shot(session, "item-pol")
    text = panel.inner_text()
    assert "Only your nation's figures" in text
    labels = session.page.evaluate(
        "JSON.parse(document.getElementById('trend-chart-data').textContent).datasets.map(d => d.label)")
    assert set(labels) == {"Poland", "Poland, projected"}
    assert_clean(session)
