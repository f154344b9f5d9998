"""Issue 14 beyond the roll-up: what the exhaustive solver of tests/coordination/test_disclosure.py found in
sourcing and procurement, as regression tests through the selectors and POL's API token; and the doors a
nation may knock on for another nation's data (sourcing, what-if, the series endpoint) answer what
disclosure allows (200 with hidden figures marked, 400/403), never a 500."""

import datetime as dt

import pytest

from coordination.access import CELL, Scope
from pledges import selectors as pledge_selectors
from pledges import services as pledge_services
from pledges.models import Pledge
from stockpiles import procurement_selectors, sourcing_selectors
from stockpiles.engine import shortfalls_recompute
from stockpiles.services import stock_report_create
from tests import factories

pytestmark = pytest.mark.django_db
SOURCING = "/api/v1/sourcing/"
SERIES = "/api/v1/shortfalls/series/"


def scope_of(nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


@pytest.fixture
def alliance(nations, today):
    """Guideline 1,000. FRA, DEU, ITA, NOR above it by 1,234 / 2,345 / 3,456 / 4,567 (Σ 11,602); POL by 500;
    no production, no contracts: the headroom is the same every month."""
    others = {code: factories.NationFactory(code=code, name=name)
              for code, name in (("FRA", "France"), ("DEU", "Germany"), ("ITA", "Italy"), ("NOR", "Norway"))}
    item = factories.ItemFactory(name="Patriot PAC-3", unit="missiles")
    factories.GuidelineFactory(item=item, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    day = today - dt.timedelta(days=3)
    for nation, above in ((others["FRA"], 1234), (others["DEU"], 2345), (others["ITA"], 3456),
                          (others["NOR"], 4567), (nations["POL"], 500)):
        stock_report_create(actor=CELL, nation=nation, item=item, quantity=1000 + above, as_of=day)
    shortfalls_recompute()
    return {"item": item, **others, **nations}


def test_sourcing_split_for_a_nation_is_computed_from_the_rounded_totals(alliance):
    """Leak found by the solver: the split's covered quantity for a quantity larger than anything was the
    exact Σ headroom (12,102), which the month totals show only rounded (12,100); over two dates its change
    was one nation's exact change. Now a nation's split is computed from the totals it is shown."""
    pol = scope_of(alliance["POL"])
    plan = sourcing_selectors.sourcing_plan(actor=pol, item=alliance["item"], quantity=10**9)
    assert plan.totals_by_month[0] == 12_100 and not plan.split_suppressed
    assert plan.split.covered == 12_100 and plan.split.gap == 10**9 - 12_100
    assert [pl.line.quantity for pl in plan.lines] == [500]  # its own headroom, asked of it
    # The cell's split is over the exact figures (the check can fail).
    assert sourcing_selectors.sourcing_plan(actor=CELL, item=alliance["item"], quantity=10**9).split.covered == 12_102
    # Every quantity asked: the covered quantity and the date never differ from what the shown totals give.
    for quantity in (1, 499, 500, 501, 11_601, 12_095, 12_101, 12_102, 12_103):
        split = sourcing_selectors.sourcing_plan(actor=pol, item=alliance["item"], quantity=quantity).split
        assert split.covered == min(quantity, 12_100), quantity
        assert split.covered_month == (0 if quantity <= 12_100 else None), quantity


def test_sourcing_through_pols_token_marks_hidden_months_and_never_fails(pol, alliance, today):
    item = alliance["item"]
    body = pol.get(SOURCING, {"item": item.pk, "quantity": 10**9}).json()
    assert [r["nation"] for r in body["headroom"]] == ["POL"] and body["others_hidden"]
    assert body["headroom_total_by_month"][0] == 12_100 and body["split"]["covered"] == 12_100
    # Nobody's headroom grows: months 1.. beside month 0 would tell each nation's production is 0 (hidden,
    # marked); the split counts them as month 0 (headroom never falls).
    marks = body["headroom_total_suppressed"]
    assert marks[0] is None and {m["code"] for m in marks[1:]} == {"related"}
    assert body["headroom_total_by_month"][1:] == [None] * (len(marks) - 1)
    assert "12102" not in str(body) and "11602" not in str(body)
    # Only one other nation with headroom: every month hidden and marked, the split hidden, no nation's figure.
    lone = factories.ItemFactory(name="Lone item")
    factories.GuidelineFactory(item=lone, minimum_quantity=100, effective_from=dt.date(2020, 1, 1))
    stock_report_create(actor=CELL, nation=alliance["DEU"], item=lone, quantity=777, as_of=today)
    response = pol.get(SOURCING, {"item": lone.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["headroom_total_by_month"] is None and body["split"] is None and body["split_suppressed"]
    marks = body["headroom_total_suppressed"]
    assert marks[0]["code"] == "few_nations" and {m["code"] for m in marks[1:]} == {"related"}
    assert marks[0]["reason"] == "fewer than 3 nations"
    assert "677" not in str(body) and "777" not in str(body)
    # Past dates, odd input: a clear answer, never a 500.
    past = (today - dt.timedelta(days=1)).isoformat()
    assert pol.get(SOURCING, {"item": item.pk, "as_of": past}).status_code == 200
    for bad in ({"item": item.pk, "quantity": 0}, {"item": item.pk, "as_of": "2999-01-01"}, {"item": "x"},
                {"item": 10**12}, {}):
        assert pol.get(SOURCING, bad).status_code in (400, 404), bad
    # Another nation's what-if: refused, never computed.
    response = pol.post(f"{SOURCING}what-if/", {"donor": "DEU", "item": item.pk, "quantity": 5}, format="json")
    assert response.status_code == 400 and "donor" in response.json()


def test_the_series_of_another_nation_is_refused_and_an_items_series_is_the_readers_own(pol, alliance, today):
    deu = alliance["DEU"]
    short = factories.ItemFactory(name="Short item")
    factories.GuidelineFactory(item=short, minimum_quantity=1000, effective_from=dt.date(2020, 1, 1))
    stock_report_create(actor=CELL, nation=deu, item=short, quantity=700, as_of=today)  # DEU short 300
    stock_report_create(actor=CELL, nation=alliance["POL"], item=short, quantity=900, as_of=today)  # POL 100
    shortfalls_recompute()
    response = pol.get(SERIES, {"nation": "DEU"})
    assert response.status_code == 403 and "300" not in response.content.decode()
    assert pol.get(SERIES, {"nation": "DEU", "item": short.pk}).status_code == 403
    own = pol.get(SERIES, {"nation": "POL", "item": short.pk})
    assert own.status_code == 200 and own.json()["own_only"] is False
    body = pol.get(SERIES, {"item": short.pk}).json()
    assert body["own_only"] is True and body["projected"][0]["shortfall"] == 100  # POL's own, never + DEU's 300
    assert body["past"][-1]["shortfall"] == 100
    assert pol.get(SERIES, {"category": short.category_id}).status_code == 200
    assert pol.get(SERIES, {"nation": "ZZZ"}).status_code == 400


def test_procurement_lists_an_item_on_the_figures_a_nation_sees(alliance, today):
    """Leak found by the solver: an item was left out of procurement demand when its exact demand, contracts
    and capacity were 0; POL (not short, no need, no orders) then knew every other nation's shortfall was 0.
    Now the row is listed for a nation when a figure is hidden, and reads the same whether others are short."""
    pol = scope_of(alliance["POL"])
    item = alliance["item"]
    cell_rows = procurement_selectors.procurement_overview(actor=CELL, item=item)
    assert cell_rows == []  # nobody short, nothing contracted: nothing to show the cell
    [before] = procurement_selectors.procurement_overview(actor=pol, item=item)
    assert before.nation_shortfall is None and before.reasons["nation_shortfall"] == "few_nations"
    stock_report_create(actor=CELL, nation=alliance["DEU"], item=item, quantity=900, as_of=today)  # DEU short 100
    shortfalls_recompute()
    [after] = procurement_selectors.procurement_overview(actor=pol, item=item)
    assert after == before
    assert procurement_selectors.procurement_overview(actor=CELL, item=item)[0].nation_shortfall == 100


def test_a_restricted_pledge_never_enters_what_pol_reads_of_fulfilment(alliance, today):
    """Fulfilment per donor and per item, overdue pledges, deliveries per month and the recipient's gaps, today
    and on a past date, are sums over the pledges POL may read one by one: DEU's restricted pledge, with a
    delivery, leaves them as they were; a public one moves them."""
    pol = scope_of(alliance["POL"])
    item = alliance["item"]
    factories.RequirementFactory(recipient=alliance["UKR"], item=item, quantity=500,
                                 period_from=today - dt.timedelta(days=60), period_to=today + dt.timedelta(days=300))

    past = today - dt.timedelta(days=2)

    def reads():
        return tuple(
            (
                [(r.donor.code, r.fulfilment) for r in pledge_selectors.fulfilment_by_donor(actor=pol, as_of=on)],
                [(r.item.pk, r.fulfilment) for r in pledge_selectors.fulfilment_by_item(actor=pol, as_of=on)],
                [(r.recipient.code, r.gap) for r in pledge_selectors.recipient_gaps(actor=pol, as_of=on)],
                [o.pledge.pk for o in pledge_selectors.overdue_pledges(actor=pol, on=on)],
                pledge_selectors.deliveries_per_month(actor=pol, until=on),
            ) for on in (None, past)
        ) + (sourcing_selectors.uncovered_need(actor=pol, item=item),)

    def pledge(releasability):
        created = pledge_services.pledge_create(
            actor=CELL, donor=alliance["DEU"], recipient=alliance["UKR"], item=item, quantity=30,
            announced_on=today - dt.timedelta(days=20), due_on=today - dt.timedelta(days=5),
            source=Pledge.Source.NATIONAL_STOCK, status=Pledge.Status.COMMITTED, releasability=releasability,
            reference=f"DEU {releasability}")
        pledge_services.delivery_create(actor=CELL, pledge_id=created.pk, quantity=10, status="delivered",
                                        delivered_on=today - dt.timedelta(days=10))
        return created

    before = reads()
    pledge("restricted")
    assert reads() == before
    pledge("public")
    after = reads()
    for on in (0, 1):  # each read moves with a pledge POL may read, today and on the past date
        assert all(a != b for a, b in zip(after[on], before[on], strict=True)), on
    assert after[2] != before[2]
