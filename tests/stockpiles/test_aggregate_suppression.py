"""Alliance roll-ups through coordination.disclosure: never one nation's figures to another nation."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from coordination.access import CELL, Scope
from stockpiles import selectors
from stockpiles.engine import shortfalls_recompute
from stockpiles.services import stock_report_create
from tests import factories


@pytest.fixture
def two_holders(nations, item):
    """Only USA and POL hold the item: USA short by 7,000, POL short by 1,000 (guideline 10,000)."""
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=3_000, as_of=dt.date(2024, 1, 1))
    stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=9_000, as_of=dt.date(2024, 1, 1))
    shortfalls_recompute()
    return item


def scope_of(nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


@pytest.mark.django_db
def test_cell_sees_the_totals(two_holders):
    [row] = selectors.alliance_rollup(actor=CELL)
    assert (row.total_shortfall, row.nations_below, row.suppressed) == (8_000, 2, False)


@pytest.mark.django_db
def test_a_nation_in_a_group_of_two_sees_no_totals(nations, two_holders):
    # POL knowing its own 1,000 could read USA's 7,000 from a total of 8,000: suppressed.
    [row] = selectors.alliance_rollup(actor=scope_of(nations["POL"]))
    assert row.suppressed is True
    assert (row.total_shortfall, row.net_position, row.nations_below) == (None, None, None)


@pytest.mark.django_db
def test_totals_show_once_three_other_nations_contribute_rounded(nations, two_holders):
    for code, quantity in (("DEU", 6_000), ("FRA", 5_000)):
        nation = factories.NationFactory(code=code, name=code)
        stock_report_create(actor=CELL, nation=nation, item=two_holders, quantity=quantity, as_of=dt.date(2024, 1, 1))
    norway = factories.NationFactory(code="NOR", name="Norway")
    stock_report_create(actor=CELL, nation=norway, item=two_holders, quantity=10_000, as_of=dt.date(2024, 1, 1))
    shortfalls_recompute()
    # Others short: USA 7,000, DEU 4,000, FRA 5,000 (NOR at guideline adds nothing); POL 1,000.
    [row] = selectors.alliance_rollup(actor=scope_of(nations["POL"]))
    assert (row.suppressed, row.total_shortfall, row.nations_below, row.nations_counted) == (False, 17_000, 4, 5)
    # NOR is compared and not short: the net would say its surplus is exactly 0 (net + total = the
    # surpluses, here none), so the net is hidden; the figures shown with the total stay.
    assert (row.net_position, row.reasons["net_position"]) == (None, "few_nations")
    # Without NOR at guideline still three contributors; without DEU only two: hidden.
    stock_report_create(actor=CELL, nation=nations["USA"], item=two_holders, quantity=10_000,
                        as_of=dt.date(2024, 1, 2))
    shortfalls_recompute()
    [row] = selectors.alliance_rollup(actor=scope_of(nations["POL"]))
    assert (row.suppressed, row.total_shortfall, row.note("total_shortfall")) == (True, None, "fewer than 3 nations")


@pytest.mark.django_db
def test_one_dominant_nation_hides_the_total(nations, two_holders):
    for code, quantity in (("DEU", 9_700), ("FRA", 9_800)):
        nation = factories.NationFactory(code=code, name=code)
        stock_report_create(actor=CELL, nation=nation, item=two_holders, quantity=quantity, as_of=dt.date(2024, 1, 1))
    shortfalls_recompute()
    # Others: USA 7,000, DEU 300, FRA 200: USA is 93 % of 7,500.
    [row] = selectors.alliance_rollup(actor=scope_of(nations["POL"]))
    assert (row.total_shortfall, row.reasons["total_shortfall"]) == (None, "dominant")


@pytest.mark.django_db
def test_api_aggregate_is_suppressed_for_a_national_client(nations, two_holders, polish_officer, coordinator):
    client = APIClient()
    client.force_authenticate(polish_officer)
    body = client.get("/api/v1/shortfalls/alliance/").json()
    [row] = body["results"]
    assert row["suppressed"]["total_shortfall"]["code"] == "few_nations" and row["total_shortfall"] is None
    client.force_authenticate(coordinator)
    [row] = client.get("/api/v1/shortfalls/alliance/").json()["results"]
    assert row["suppressed"] == {} and row["total_shortfall"] == 8_000
