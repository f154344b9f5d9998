"""The three leaks of issue 14, through the doors a nation uses (POL's API token, officer-pol's dashboard
exports). Each failed before ``coordination.disclosure`` owned suppression."""

import csv
import datetime as dt
import io

import pytest

from coordination.access import CELL, Scope
from pledges import services as pledge_services
from pledges.models import Pledge
from stockpiles import procurement_services
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


def factories_scope(nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


def holder(nation, item, quantity, day=DAY):
    stock_report_create(actor=CELL, nation=nation, item=item, quantity=quantity, as_of=day)


def test_leak_1_procurement_demand_counts_no_orderer_as_a_shortfall_contributor(client, nations, polish_officer):
    """IRIS-T short for DEU only (130); USA orders 25. POL's demand export showed 130 / 1 / 25."""
    deu = factories.NationFactory(code="DEU", name="Germany")
    iris = factories.ItemFactory(name="IRIS-T SLM interceptor", unit="missiles")
    factories.GuidelineFactory(item=iris, minimum_quantity=200, effective_from=dt.date(2020, 1, 1))
    holder(deu, iris, 70)
    usa_scope = factories_scope(nations["USA"])
    procurement_services.order_create(actor=usa_scope, nation=nations["USA"], item=iris, quantity=25,
                                      ordered_on=DAY, reference="US IRIS-T")
    shortfalls_recompute()
    client.force_login(polish_officer)
    rows = export_rows(client, "/procurement/?export=csv&table=demand")
    row = rows["IRIS-T SLM interceptor"]
    shown = {v for k, v in row.items() if k not in ("Item", "Unit", "Recipient uncovered", "Note")}
    assert "130" not in shown and "25" not in shown and "1" not in shown
    assert row["Nations' shortfall"] == "fewer than 3 nations"
    assert row["Contracted"] == "fewer than 3 nations"


def test_leak_2_rollup_row_is_not_solvable(pol, nations):
    """NOR short 100, USA surplus 500, POL: total 100, net 400, below 1 gave both nations' positions."""
    nor = factories.NationFactory(code="NOR", name="Norway")
    item = factories.ItemFactory(name="Item five")
    factories.GuidelineFactory(item=item, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    holder(nor, item, 900)
    holder(nations["USA"], item, 1500)
    holder(nations["POL"], item, 1000)
    shortfalls_recompute()
    body = pol.get(f"/api/v1/shortfalls/alliance/?item={item.pk}").json()
    [row] = body["results"]
    assert (row["total_shortfall"], row["net_position"], row["nations_below"]) == (None, None, None)
    assert row["suppressed"]["total_shortfall"] == {"code": "few_nations", "reason": "fewer than 3 nations"}
    assert set(row["suppressed"]) >= {"total_shortfall", "net_position", "nations_below"}


def test_leak_2_in_french(pol, nations):
    nor = factories.NationFactory(code="NOR", name="Norway")
    item = factories.ItemFactory(name="Item five")
    factories.GuidelineFactory(item=item, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    holder(nor, item, 900)
    shortfalls_recompute()
    [row] = pol.get(f"/api/v1/shortfalls/alliance/?item={item.pk}", HTTP_ACCEPT_LANGUAGE="fr").json()["results"]
    assert row["suppressed"]["total_shortfall"]["reason"] == "moins de 3 nations"


def test_leak_3_restricted_pledge_does_not_move_another_nations_total(client, nations, polish_officer, coordinator,
                                                                        settings, today):
    """DEU's restricted pledge of 30 announced on day 2: POL's alliance export must not differ by it."""
    settings.AGGREGATE_ROUNDING = 1  # the rule, not the rounding, must close this leak
    deu, nor, fra = (factories.NationFactory(code=c) for c in ("DEU", "NOR", "FRA"))
    patriot = factories.ItemFactory(name="Patriot PAC-3", unit="missiles")
    factories.GuidelineFactory(item=patriot, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    for nation, quantity in ((deu, 700), (nor, 650), (fra, 600), (nations["POL"], 900)):
        holder(nation, patriot, quantity, day=today - dt.timedelta(days=30))
    day1, day2 = today - dt.timedelta(days=10), today - dt.timedelta(days=9)
    pledge_services.pledge_create(
        actor=CELL, donor=deu, recipient=nations["UKR"], item=patriot, quantity=30, value_eur=30_000_000,
        announced_on=day2, due_on=today + dt.timedelta(days=60), source=Pledge.Source.NATIONAL_STOCK,
        status=Pledge.Status.COMMITTED, releasability="restricted", reference="DEU restricted",
    )
    shortfalls_recompute()
    client.force_login(polish_officer)
    first = export_rows(client, f"/?export=csv&table=alliance&as_of={day1.isoformat()}")["Patriot PAC-3"]
    second = export_rows(client, f"/?export=csv&table=alliance&as_of={day2.isoformat()}")["Patriot PAC-3"]
    today_row = export_rows(client, "/?export=csv&table=alliance")["Patriot PAC-3"]
    figures = ("Total shortfall", "Net position")
    assert first[figures[0]] == "1150"  # 300 + 350 + 400 from three others + POL's 100, before the pledge
    # Rule c: computed without the pledge POL may not see, the figures neither hide nor move.
    for row in (second, today_row):
        assert [row[f] for f in figures] == [first[f] for f in figures]
    # The cell sees the exact figures, pledge included.
    client.force_login(coordinator)
    cell_row = export_rows(client, f"/?export=csv&table=alliance&as_of={day2.isoformat()}")["Patriot PAC-3"]
    assert cell_row["Total shortfall"] == str(300 + 30 + 350 + 400 + 100)


def pol_sees(client, pol, item, dates) -> dict:
    """Everything POL is served about ``item`` that carries other nations' figures, today and on ``dates``:
    the API's alliance position (today) and sourcing plan, the overview's alliance export, the procurement
    demand export and the sourcing page's month-by-month export."""
    seen = {}
    for day in (None, *dates):
        q = f"&as_of={day.isoformat()}" if day else ""
        if day is None:  # the API's alliance position is today's only
            seen[("api", day)] = pol.get(f"/api/v1/shortfalls/alliance/?item={item.pk}").json()["results"]
        seen[("sourcing", day)] = pol.get(f"/api/v1/sourcing/?item={item.pk}{q}").json()
        seen[("overview", day)] = export_rows(client, f"/?export=csv&table=alliance{q}").get(item.name)
        seen[("procurement", day)] = export_rows(client, f"/procurement/?export=csv&table=demand{q}").get(item.name)
        seen[("sourcing-page", day)] = export_rows(
            client, f"/sourcing/?item={item.pk}&export=csv&table=by_month{q}")
    return seen


def test_rule_c_a_restricted_pledge_never_appears_in_nor_moves_what_pol_sees(client, pol, nations, polish_officer,
                                                                             settings, today):
    """DEU pledges 30 of its own stock, restricted (DEU and the cell only), announced on day 2. Every figure
    POL is served, on day 1, day 2 and today, is the same as before the pledge existed: computed without it,
    not hidden because of it. The same pledge made public does move POL's figures (the check can fail)."""
    settings.AGGREGATE_ROUNDING = 1  # the rule, not the rounding, must keep the pledge out
    deu, nor, fra, ita = (factories.NationFactory(code=c) for c in ("DEU", "NOR", "FRA", "ITA"))
    patriot = factories.ItemFactory(name="Patriot PAC-3", unit="missiles")
    factories.GuidelineFactory(item=patriot, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    for nation, quantity in ((deu, 700), (nor, 650), (fra, 600), (ita, 620), (nations["POL"], 900),
                             (nations["USA"], 1200)):
        holder(nation, patriot, quantity, day=today - dt.timedelta(days=30))
    day1, day2 = today - dt.timedelta(days=10), today - dt.timedelta(days=9)
    shortfalls_recompute()
    client.force_login(polish_officer)
    before = pol_sees(client, pol, patriot, (day1, day2))
    assert before[("api", None)][0]["total_shortfall"] == 300 + 350 + 400 + 380 + 100  # shown: the test sees figures

    def pledge(releasability):
        return pledge_services.pledge_create(
            actor=CELL, donor=deu, recipient=nations["UKR"], item=patriot, quantity=30, value_eur=30_000_000,
            announced_on=day2, due_on=today + dt.timedelta(days=60), source=Pledge.Source.NATIONAL_STOCK,
            status=Pledge.Status.COMMITTED, releasability=releasability, reference=f"DEU {releasability}",
        )

    restricted = pledge("restricted")
    shortfalls_recompute()
    after = pol_sees(client, pol, patriot, (day1, day2))
    assert after == before
    flat = repr(after)
    assert "1560" not in flat  # the total with the pledge (1530 + 30) never appears
    # The cell sees it; and a public pledge, which POL may read, does move POL's figures.
    assert pol.get(f"/api/v1/pledges/{restricted.pk}/").status_code == 404
    restricted.delete()
    pledge("public")
    shortfalls_recompute()
    moved = pol_sees(client, pol, patriot, (day1, day2))
    assert moved[("api", None)][0]["total_shortfall"] == 1560
    assert moved[("overview", day2)] != before[("overview", day2)]
    assert moved[("overview", day1)] == before[("overview", day1)]  # announced on day 2
