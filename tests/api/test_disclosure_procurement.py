"""Procurement demand as a nation reads it (officer-pol's dashboard export; the demand row has no API of its
own): regression tests for what the extended solver of tests/coordination/test_disclosure.py looks at, the
other nations' national capacity and the quantities on their orders."""

import csv
import datetime as dt
import io

import pytest

from coordination.access import CELL, Scope
from stockpiles import procurement_selectors
from stockpiles.engine import shortfalls_recompute
from stockpiles.services import stock_report_create
from tests import factories

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 1, 2)


def export_rows(client, url: str) -> dict[str, dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    reader = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return {row[reader.fieldnames[0]]: row for row in reader}


def scope_of(nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


def test_capacity_never_tells_a_nation_that_no_other_nation_produces(client, nations, polish_officer):
    """Two items with the same German line (2,000 a month, reference data), DEU short of both: USA has a
    national rate for one, nobody for the other. The capacity of the second was shown (2,000) because no
    nation's own rate entered it, so POL, with no rate of its own, read that no other nation produced the
    item, and from the first being hidden that one did. Both are hidden from POL alike; the cell sees both."""
    deu = factories.NationFactory(code="DEU", name="Germany")
    line = {}
    for name in ("Produced", "Not produced"):
        item = factories.ItemFactory(name=name, unit="rounds")
        factories.GuidelineFactory(item=item, minimum_quantity=200, effective_from=dt.date(2020, 1, 1))
        stock_report_create(actor=CELL, nation=deu, item=item, quantity=70, as_of=DAY)
        factories.LineRateFactory(line=factories.ProductionLineFactory(
            manufacturer=factories.ManufacturerFactory(nation=deu), item=item), units_per_month=2000)
        line[name] = item
    factories.ProductionRateFactory(nation=nations["USA"], item=line["Produced"], units_per_month=1000)
    shortfalls_recompute()

    pol = {r.item_name: r for r in procurement_selectors.procurement_overview(actor=scope_of(nations["POL"]))}
    assert {name: (r.capacity_per_month, r.reasons.get("capacity_per_month")) for name, r in pol.items()} == {
        "Produced": (None, "few_nations"), "Not produced": (None, "few_nations")}
    cell = {r.item_name: r.capacity_per_month for r in procurement_selectors.procurement_overview(actor=CELL)}
    assert cell == {"Produced": 3000, "Not produced": 2000}

    client.force_login(polish_officer)
    rows = export_rows(client, "/procurement/?export=csv&table=demand")
    assert rows["Produced"]["Capacity / month"] == rows["Not produced"]["Capacity / month"] == "fewer than 3 nations"
