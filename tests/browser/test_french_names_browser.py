"""The overview in French on the demo data, in a real browser: nations, categories and items by their French
names (heat map rows in the order of those names, headers, tables, chart labels), nothing clipped. The
screenshot (tests/browser/artifacts/overview-french-names.png) is for a person to read."""

from __future__ import annotations

import pytest

from coordination.models import Membership
from coordination.names import sort_key
from tests.browser.test_every_page_browser import CLIPPED_CELLS
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_french_overview_speaks_french_names(session):
    from loaders.demo import demo_load

    demo_load()
    user = make_user("cell", is_cell=True)
    Membership.objects.filter(user=user).update(language="fr")
    session.login(user.username)
    page = session.page
    page.goto(session.url("/"))
    page.wait_for_function(
        "Array.from(document.querySelectorAll('canvas[data-chart]')).every(c => c.dataset.drawn)")
    body = page.inner_text("main")
    for french in ("États-Unis", "Allemagne", "Pologne", "Munitions d’artillerie", "Obus explosif de 155 mm"):
        assert french in body, french
    for english in ("United States", "Germany", "Artillery ammunition", "155 mm HE projectile"):
        assert english not in body, english
    rows = page.eval_on_selector_all("#table-coverage tbody tr > :first-child",
                                     "cells => cells.map(c => c.innerText.trim())")
    assert rows and rows == sorted(rows, key=sort_key), rows  # Allemagne first, États-Unis among the E's
    assert rows.index("Allemagne") < rows.index("États-Unis") < rows.index("Pologne")  # by code: DEU, POL, USA
    assert page.evaluate(CLIPPED_CELLS, True) == []
    session.shot("overview-french-names")
    assert session.console_errors == [] and session.foreign_requests == []
