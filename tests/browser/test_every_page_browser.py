"""Every dashboard page on the demo data, as the cell, a national officer (POL) and the recipient's officer
(UKR), in English and French, on a laptop (1440 px) and a phone (390 px): no cell cuts its text (unless
the table scrolls sideways), no console error, no request leaves the machine. Full-page screenshots of
every one go to tests/browser/artifacts/ for a person to read."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from coordination.access import CELL
from coordination.models import Item, Membership, Nation
from stockpiles.models import Snapshot
from stockpiles.services import snapshot_create
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A cell whose content is wider than the cell and not inside a sideways-scrolling container is clipped.
CLIPPED_CELLS = """(wide) => {
  function scrolls(el) {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === 'auto' || o === 'scroll') && p.scrollWidth > p.clientWidth - 1) { return true; }
    }
    return false;
  }
  const clipped = [];
  document.querySelectorAll('td, th').forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1) {
      const wrap = el.closest('.table-wrap');
      const scrollable = wrap && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX);
      if (!scrollable && !scrolls(el)) { clipped.push(el.innerText.trim().slice(0, 40)); }
    }
  });
  // Text cut by an ellipsis or a fixed-width box anywhere in the page's cards.
  document.querySelectorAll('.card, .kpis div, .chart-box').forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === 'hidden') {
      clipped.push('card: ' + el.id);
    }
  });
  // On a laptop screen a table fits its card: nothing hides behind a scroll bar nobody sees.
  if (wide) {
    document.querySelectorAll('.table-wrap').forEach((el) => {
      if (el.scrollWidth > el.clientWidth + 1) { clipped.push('table scrolls: ' + el.closest('section').id); }
    });
  }
  return clipped;
}"""

# What makes the page wider than the screen (for the failure message).
TOO_WIDE = """() => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                  && !el.closest('.table-wrap'))
  .slice(0, 5).map((el) => el.tagName + '.' + el.className + '#' + el.id)"""

# A table wider than the page is only acceptable inside its own scroll container: the page itself never
# scrolls sideways.
PAGE_OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "img" / "overview.png"


def readme_shot(page) -> None:
    """The README's picture of the overview: its first screen as the cell sees it, small enough to commit.
    Written only with AID_README_SHOT=1, so that a test run leaves the tracked file alone."""
    README_SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(README_SHOT), clip={"x": 0, "y": 0, "width": 1440, "height": 1100})


@pytest.fixture
def demo_users(db, tmp_path):
    from loaders.demo import demo_load
    from loaders.ust import ust_import

    demo_load()
    # The Kiel tracker page's donors: the extract's monthly flows (its weapons become pledges to UKR, which
    # would change the demo's overview; the weapons tables are checked in tests/data/test_tracker_figures.py).
    source = settings.BASE_DIR / "data" / "ukraine-support-tracker"
    for name in ("data_explorer.csv", "SOURCE.md"):
        shutil.copy(source / name, tmp_path / name)
    ust_import(directory=tmp_path)
    snapshot_create(actor=CELL, name="Weekly briefing 2025-W23", as_of=timezone.localdate() - dt.timedelta(days=90))
    nations = {n.code: n for n in Nation.objects.filter(code__in=["POL", "UKR"])}
    return {"cell": make_user("cell", is_cell=True),
            "officer-pol": make_user("officer-pol", nation=nations["POL"]),
            "officer-ukr": make_user("officer-ukr", nation=nations["UKR"])}


def pages_for(who: str) -> list[tuple[str, str]]:
    item = Item.objects.filter(name__icontains="155").order_by("pk").first()
    pages = [("overview", "/"), ("pledges", "/pledges/"), ("procurement", "/procurement/"),
             ("item-155", f"/items/{item.pk}/"), ("sourcing", f"/sourcing/?item={item.pk}"),
             ("reporting", "/reporting/"), ("directory", "/directory/?q=155"), ("recipient", "/recipient/"),
             ("tracker", "/tracker/"), ("briefing", "/briefing/")]
    snapshot = Snapshot.objects.order_by("pk").first()
    pages += [("snapshots", "/snapshots/"), ("snapshot-overview", f"/?snapshot={snapshot.pk}"),
              ("snapshot-compare", f"/snapshots/compare/?a={snapshot.pk}&b=today")]
    if who == "cell":  # a nation's page opens for the cell and that nation's own users (coordination.access)
        pages += [("recipient-ukr", "/nations/UKR/"), ("nation-pol", "/nations/POL/"),
                  ("nation-usa", "/nations/USA/"), ("audit", "/audit/"), ("briefing-pol", "/briefing/?nation=POL")]
    elif who == "officer-pol":
        pages += [("nation-pol", "/nations/POL/")]
    else:
        pages += [("recipient-ukr", "/nations/UKR/")]
    return pages


@pytest.mark.parametrize("who", ["cell", "officer-pol", "officer-ukr"])
def test_every_page_reads_whole_in_both_languages_and_widths(session, demo_users, who):
    user = demo_users[who]
    session.login(user.username, otp=who == "cell")
    page = session.page
    problems = []
    for language in ("en", "fr"):
        Membership.objects.filter(user=user).update(language=language)
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            for name, path in pages_for(who):
                response = page.goto(session.url(path))
                assert response.status == 200, (path, response.status)
                assert page.locator("html").get_attribute("lang") == language
                page.wait_for_load_state("load")
                page.wait_for_function(
                    "Array.from(document.querySelectorAll('canvas[data-chart]')).every(c => c.dataset.drawn)")
                clipped = page.evaluate(CLIPPED_CELLS, width >= 1000)
                overflow = page.evaluate(PAGE_OVERFLOW)
                if clipped:
                    problems.append(f"{who} {language} {width} {path}: clipped {clipped}")
                if overflow > 0:
                    problems.append(f"{who} {language} {width} {path}: page scrolls sideways by {overflow}px: "
                                    f"{page.evaluate(TOO_WIDE)}")
                session.shot(f"{name}-{who}-{language}-{width}")
                if (name == "overview" and who == "cell" and language == "en" and width == 1440
                        and os.environ.get("AID_README_SHOT") == "1"):  # refresh the README's picture on request
                    readme_shot(page)
    assert not problems, "\n".join(problems)
    assert session.console_errors == []
    assert session.foreign_requests == []
