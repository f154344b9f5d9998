"""pledges.aggregates: the totals the database sums give exactly what the formulas give pledge by pledge.

The same data is read twice: through the selectors (sums in SQL, ``fulfilment_of_totals``) and as
facts with ``fulfilment.fulfilment_by`` / ``fulfilment.delivered_value`` per pledge or delivery (the
path the overview used before; for a past date, the facts with their deliveries as of then). Values include
odd cents, exact halves of a cent (rounded half to even by ``delivered_value``), item reference values, no value at
all, zero quantities, cancelled pledges, due dates either side of the day asked about, and the
restricted view of a nation. Runs on SQLite and on PostgreSQL.
"""

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from coordination.access import CELL, VIEW, Scope
from pledges import aggregates, fulfilment, selectors
from pledges.models import Delivery, Pledge
from pledges.services import pledge_recount
from tests import factories

VALUES = [None, "0.01", "0.03", "0.05", "1.00", "10.01", "333.33", "1000000.00", "2000000.01", "123456789.99"]
UNIT_VALUES = [None, "0.01", "12.34", "3000.00"]
QUANTITIES = [0, 1, 2, 3, 7, 10, 1000, 12345]
PAST = dt.date(2024, 4, 1)


def figures(f: fulfilment.Fulfilment) -> tuple:
    """Every field, Decimals as text (so 1.0 and 1.00 would differ)."""
    return (f.pledges, f.pledged, f.delivered, str(f.pledged_value_eur), str(f.delivered_value_eur), f.unvalued,
            f.overdue, f.overdue_quantity)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


@pytest.fixture
def ledger(db):
    """~120 pledges of four donors to two recipients, with deliveries; deterministic."""
    rng = random.Random(20261128)
    donors = [factories.NationFactory(code=code) for code in ("USA", "POL", "DEU", "FRA")]
    recipients = [factories.NationFactory(code="UKR", role="recipient"), factories.NationFactory(code="MDA",
                                                                                                  role="recipient")]
    items = [factories.ItemFactory(name=f"Item {i}", unit_value_eur=_decimal(v))
             for i, v in enumerate(UNIT_VALUES)]
    for _ in range(120):
        announced = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 200))
        pledge = factories.PledgeFactory(
            donor=rng.choice(donors), recipient=rng.choice(recipients), item=rng.choice(items),
            quantity=rng.choice(QUANTITIES), value_eur=_decimal(rng.choice(VALUES)),
            announced_on=announced,
            due_on=rng.choice([None, announced + dt.timedelta(days=rng.randrange(0, 400))]),
            status=rng.choice([Pledge.Status.COMMITTED] * 4 + [Pledge.Status.CANCELLED]),
            releasability=rng.choice(["public", "alliance", "alliance", "restricted"]),
        )
        left = pledge.quantity
        for _ in range(rng.randrange(0, 4)):
            if left <= 0:
                break
            quantity = rng.randint(1, left)
            left -= quantity
            status = rng.choice([Delivery.Status.DELIVERED, Delivery.Status.CONFIRMED, Delivery.Status.IN_TRANSIT,
                                 Delivery.Status.SCHEDULED, Delivery.Status.CANCELLED])
            delivered_on = (announced + dt.timedelta(days=rng.randrange(0, 300))
                            if status in Delivery.DELIVERED else None)
            factories.DeliveryFactory(pledge=pledge, quantity=quantity, status=status, delivered_on=delivered_on)
        pledge_recount(pledge=pledge)
    return {"donors": donors, "recipients": recipients}


def scopes(ledger) -> list[Scope]:
    usa, ukr = ledger["donors"][0], ledger["recipients"][0]
    return [
        CELL,
        Scope(nation_id=usa.pk, nation_code="USA", nation_role="ally"),
        Scope(nation_id=ukr.pk, nation_code="UKR", nation_role="recipient"),
    ]


def test_the_ledger_needs_rounding_and_sums_in_sql(ledger):
    """Both paths of the SQL totals are taken: summed whole cents, and single rows rounded in Python."""
    totals = [t for _, t in aggregates.pledge_totals_by(Pledge.objects.all(), on=timezone.localdate(), key=None)]
    assert any(t.pledge is not None for t in totals)
    assert any(t.pledge is None and t.delivered_value > 0 for t in totals)
    months = [t for _, t in aggregates.delivery_totals_by_month(
        Delivery.objects.filter(status__in=Delivery.DELIVERED, delivered_on__isnull=False))]
    assert any(t.pledge is not None for t in months) and any(t.pledge is None and t.value > 0 for t in months)


@pytest.mark.parametrize("days_ahead", [None, 0, 30])  # today's figures, or as of today or a later day
def test_fulfilment_by_donor_and_item_match_the_formulas_per_pledge(ledger, days_ahead):
    today = timezone.localdate()
    as_of = None if days_ahead is None else today + dt.timedelta(days=days_ahead)
    for scope in scopes(ledger):
        assert_sums_match_the_facts(scope, as_of, on=as_of or today)


def assert_sums_match_the_facts(scope, as_of, *, on):
    """Per donor and per item: the selectors' sums equal the formulas on each pledge's facts."""
    facts = selectors.pledge_facts(actor=scope, as_of=as_of)
    for summed, key in (
        ({r.donor.pk: r.fulfilment for r in selectors.fulfilment_by_donor(actor=scope, as_of=as_of)},
         lambda p: p.donor_id),
        ({r.item.pk: r.fulfilment for r in selectors.fulfilment_by_item(actor=scope, as_of=as_of)},
         lambda p: p.item_id),
    ):
        per_pledge = fulfilment.fulfilment_by(facts, key, on=on)
        assert summed.keys() == per_pledge.keys() and summed
        assert {k: figures(f) for k, f in summed.items()} == {k: figures(f) for k, f in per_pledge.items()}


@pytest.mark.parametrize("on", [PAST, dt.date(2024, 7, 1), dt.date(2025, 1, 1)])
def test_fulfilment_on_a_past_date_matches_the_formulas_per_pledge(ledger, on):
    """A past date: summed by the database (the pledges with a delivery since then apart, with their delivered
    quantity then), the same as the formulas on each pledge's facts as of then."""
    changed = {d.pledge_id for d in Delivery.objects.filter(status__in=Delivery.DELIVERED, delivered_on__gt=on)}
    settled = Pledge.objects.filter(announced_on__lte=on).exclude(pk__in=changed)
    assert changed and settled.filter(delivered_quantity__gt=0).exists()  # both sets are summed
    for scope in scopes(ledger):
        assert_sums_match_the_facts(scope, on, on=on)


@pytest.mark.django_db
def test_a_delivery_without_a_date_counts_today_not_on_a_past_date(nations, item):
    """Delivered without a delivery date: in the stored delivered quantity, never in a past date's figure."""
    usa, ukr = nations["USA"], nations["UKR"]
    pledge = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=10, value_eur=Decimal("100.00"),
                                     announced_on=dt.date(2024, 1, 10), due_on=dt.date(2024, 2, 1))
    factories.DeliveryFactory(pledge=pledge, quantity=4, status="delivered", delivered_on=dt.date(2024, 1, 20))
    factories.DeliveryFactory(pledge=pledge, quantity=6, status="confirmed", delivered_on=None)
    pledge_recount(pledge=pledge)
    assert selectors.fulfilment_by_donor(actor=CELL)[0].fulfilment.delivered == 10
    then = selectors.fulfilment_by_donor(actor=CELL, as_of=dt.date(2024, 3, 1))[0].fulfilment
    assert (then.delivered, str(then.delivered_value_eur), then.overdue, then.overdue_quantity) == (4, "40.00", 1, 6)
    rows, total = selectors.overdue_pledges_page(actor=CELL, on=dt.date(2024, 3, 1))
    assert total == 1 and [(r.pledge.pk, r.outstanding) for r in rows] == [(pledge.pk, 6)]
    assert selectors.overdue_pledges_page(actor=CELL)[1] == 0  # today: fully delivered


def test_the_restricted_view_sees_fewer_pledges(ledger):
    usa_scope = scopes(ledger)[1]
    cell = {r.donor.pk: r.fulfilment.pledges for r in selectors.fulfilment_by_donor(actor=CELL)}
    usa = {r.donor.pk: r.fulfilment.pledges for r in selectors.fulfilment_by_donor(actor=usa_scope)}
    restricted = Pledge.objects.filter(releasability="restricted").exclude(donor_id=usa_scope.nation_id).count()
    assert restricted and sum(cell.values()) - sum(usa.values()) == restricted
    assert cell[usa_scope.nation_id] == usa[usa_scope.nation_id]  # its own restricted pledges stay in


def test_deliveries_per_month_match_the_formula_per_delivery(ledger):
    for scope in scopes(ledger):
        expected: dict[dt.date, list] = {}
        delivered = Delivery.objects.restrict(scope, VIEW).filter(status__in=Delivery.DELIVERED,
                                                                   delivered_on__isnull=False)
        for d in delivered.select_related("pledge__item"):
            facts = fulfilment.PledgeFacts(pledge_id=d.pledge_id, donor_id=0, recipient_id=0, item_id=0,
                                           quantity=d.pledge.quantity, value_eur=d.pledge.value_eur,
                                           unit_value_eur=d.pledge.item.unit_value_eur)
            bucket = expected.setdefault(d.delivered_on.replace(day=1), [0, 0, fulfilment.ZERO])
            bucket[0] += 1
            bucket[1] += d.quantity
            bucket[2] += fulfilment.delivered_value(facts, d.quantity) or fulfilment.ZERO
        rows = selectors.deliveries_per_month(actor=scope)
        assert [(r.month, r.deliveries, r.quantity, str(r.value_eur)) for r in rows] == [
            (m, n, q, str(v)) for m, (n, q, v) in sorted(expected.items())
        ]


@pytest.mark.parametrize("on", [PAST, dt.date(2025, 1, 1)])
def test_overdue_page_matches_the_rule_per_pledge(ledger, on):
    for scope in scopes(ledger):
        # On a past date: the pledges announced by then, with their deliveries as of then.
        overdue = sorted(((on - p.due_on).days, p.pledge_id) for p in selectors.pledge_facts(actor=scope, as_of=on)
                         if fulfilment.is_overdue(p, on=on))
        overdue.sort(key=lambda r: (-r[0], r[1]))
        for limit in (None, 3):
            rows, total = selectors.overdue_pledges_page(actor=scope, on=on, limit=limit)
            assert total == len(overdue)
            assert [(r.days_overdue, r.pledge.pk) for r in rows] == overdue[:limit]


@pytest.mark.django_db
def test_half_cents_round_to_even_in_both_paths(nations, item):
    """Delivered values of exactly half a cent: 0.005 → 0.00, 0.015 → 0.02, 0.025 → 0.02 (to even)."""
    usa, ukr = nations["USA"], nations["UKR"]
    for value in ("0.01", "0.03", "0.05"):
        pledge = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=2, value_eur=Decimal(value),
                                         due_on=None)
        factories.DeliveryFactory(pledge=pledge, quantity=1, status="delivered", delivered_on=dt.date(2024, 5, 2))
        pledge_recount(pledge=pledge)
    usa_row = selectors.fulfilment_by_donor(actor=CELL)[0].fulfilment
    assert usa_row.delivered_value_eur == Decimal("0.04") and usa_row.pledged_value_eur == Decimal("0.09")
    [month] = selectors.deliveries_per_month(actor=CELL)
    assert (month.deliveries, month.value_eur) == (3, Decimal("0.04"))


def test_rows_that_need_rounding_cost_one_query_more(ledger, django_assert_max_num_queries):
    """However many pledges or deliveries need rounding, they are read in one more query."""
    with django_assert_max_num_queries(3):  # totals, the pledges to round, nations
        assert selectors.fulfilment_by_donor(actor=CELL)
    with django_assert_max_num_queries(2):  # totals per month, the deliveries to round
        assert selectors.deliveries_per_month(actor=CELL)
    with django_assert_max_num_queries(2):  # class totals (no values), the page of candidates
        selectors.overdue_pledges_page(actor=CELL, limit=3)
    with django_assert_max_num_queries(4):  # a past date: class totals, the pledges to round in each set, nations
        assert selectors.fulfilment_by_donor(actor=CELL, as_of=dt.date(2025, 1, 1))
    with django_assert_max_num_queries(2):  # a past date: class totals (no values), the page of candidates
        selectors.overdue_pledges_page(actor=CELL, on=dt.date(2025, 1, 1), limit=3)
