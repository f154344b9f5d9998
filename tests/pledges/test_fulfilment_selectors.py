"""pledges.selectors: fulfilment, gaps, training, deliveries per month, overdue; access and query counts."""

import datetime as dt
from decimal import Decimal

import pytest

from coordination.access import CELL, Scope
from pledges import selectors
from pledges.services import delivery_create
from tests import factories


@pytest.fixture
def book(nations, item):
    """USA: P1 1,000 rounds €2m due 2024-06-30, 250 delivered 2024-03-10 and 150 on 2024-04-02
    (400 delivered, value €800,000), plus 100 in transit; P2 restricted 10 IFVs (no value, item €3,000 each)
    all delivered 2024-04-20. POL: P3 500 rounds €1m, due 2099, nothing delivered. POL cancelled P4 after
    delivering nothing. UKR needs 8,000 rounds (two periods)."""
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    ifv = factories.ItemFactory(name="IFV", unit="vehicles", unit_value_eur=3000)
    p1 = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=1000, value_eur=2_000_000,
                                 due_on=dt.date(2024, 6, 30))
    p2 = factories.PledgeFactory(donor=usa, recipient=ukr, item=ifv, quantity=10, value_eur=None,
                                 releasability="restricted", due_on=dt.date(2024, 5, 1))
    p3 = factories.PledgeFactory(donor=pol, recipient=ukr, item=item, quantity=500, value_eur=1_000_000,
                                 due_on=dt.date(2099, 1, 1))
    factories.PledgeFactory(donor=pol, recipient=ukr, item=item, quantity=300, status="cancelled",
                            due_on=dt.date(2024, 2, 1))
    delivery_create(actor=CELL, pledge_id=p1.pk, quantity=250, status="delivered", shipped_on=dt.date(2024, 3, 1),
                    delivered_on=dt.date(2024, 3, 10))
    delivery_create(actor=CELL, pledge_id=p1.pk, quantity=150, status="confirmed", shipped_on=dt.date(2024, 3, 25),
                    delivered_on=dt.date(2024, 4, 2))
    delivery_create(actor=CELL, pledge_id=p1.pk, quantity=100, status="in_transit", shipped_on=dt.date(2024, 6, 1))
    delivery_create(actor=CELL, pledge_id=p2.pk, quantity=10, status="delivered", delivered_on=dt.date(2024, 4, 20))
    factories.RequirementFactory(recipient=ukr, item=item, quantity=5000, period_from=dt.date(2024, 1, 1),
                                 period_to=dt.date(2024, 6, 30))
    factories.RequirementFactory(recipient=ukr, item=item, quantity=3000, period_from=dt.date(2024, 7, 1),
                                 period_to=dt.date(2024, 12, 31))
    return {"p1": p1, "p2": p2, "p3": p3, "ifv": ifv, **nations}


def pol_scope(book):
    return Scope(nation_id=book["POL"].pk, nation_code="POL", nation_role="ally")


@pytest.mark.django_db
def test_fulfilment_by_donor_for_the_cell(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # pledges, nations
        rows = {r.donor.code: r.fulfilment for r in selectors.fulfilment_by_donor(actor=CELL)}
    usa = rows["USA"]
    assert (usa.pledges, usa.pledged, usa.delivered) == (2, 1010, 410)
    assert usa.pledged_value_eur == Decimal("2030000")
    assert usa.delivered_value_eur == Decimal("830000")  # 2m × 400/1000 + 30,000
    assert usa.overdue == 1 and usa.overdue_quantity == 600  # P1 is past 2024-06-30
    pol = rows["POL"]
    assert (pol.pledges, pol.pledged, pol.delivered, pol.overdue) == (2, 500, 0, 0)
    assert pol.delivered_value_share == 0.0


@pytest.mark.django_db
def test_fulfilment_hides_restricted_pledges_of_others(book):
    rows = {r.donor.code: r.fulfilment for r in selectors.fulfilment_by_donor(actor=pol_scope(book))}
    assert (rows["USA"].pledges, rows["USA"].pledged) == (1, 1000)  # the restricted IFV pledge is not visible


@pytest.mark.django_db
def test_fulfilment_as_of_a_past_date(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # pledges, delivered as of, nations
        rows = {r.donor.code: r.fulfilment
                for r in selectors.fulfilment_by_donor(actor=CELL, as_of=dt.date(2024, 3, 31))}
    # By 2024-03-31 only the first 250 rounds had arrived; P1 was not yet due.
    assert (rows["USA"].delivered, rows["USA"].delivered_value_eur, rows["USA"].overdue) == (250, Decimal("500000"), 0)


@pytest.mark.django_db
def test_fulfilment_by_item(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        rows = {r.item.name: r.fulfilment for r in selectors.fulfilment_by_item(actor=CELL)}
    assert (rows["155 mm HE projectile"].pledged, rows["155 mm HE projectile"].delivered) == (1500, 400)
    assert (rows["IFV"].pledged, rows["IFV"].delivered_share) == (10, 1.0)
    only_pol = selectors.fulfilment_by_item(actor=CELL, donor=book["POL"])
    assert [(r.item.name, r.fulfilment.pledged) for r in only_pol] == [("155 mm HE projectile", 500)]


@pytest.mark.django_db
def test_overdue_pledges(book, django_assert_max_num_queries):
    # a past date: the pledges' facts, their deliveries as of then, the overdue ones in full
    with django_assert_max_num_queries(3):
        rows = selectors.overdue_pledges(actor=CELL, on=dt.date(2024, 7, 10))
    assert [(r.pledge.pk, r.days_overdue, r.outstanding) for r in rows] == [(book["p1"].pk, 10, 600)]
    assert rows[0].pledge.donor.code == "USA"
    assert selectors.overdue_pledges_page(actor=CELL, on=dt.date(2024, 7, 10), limit=0) == ([], 1)
    assert selectors.overdue_pledges(actor=CELL, on=dt.date(2024, 6, 30)) == []


@pytest.mark.django_db
def test_recipient_gaps(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # requirements, pledges, nations, items
        rows = selectors.recipient_gaps(actor=CELL, recipient=book["UKR"])
    assert len(rows) == 1
    gap = rows[0].gap
    # Required 8,000; pledged 1,000 + 500 (the cancelled 300 delivered nothing); delivered 400.
    assert (rows[0].item.name, gap.required, gap.pledged, gap.delivered) == ("155 mm HE projectile", 8000, 1500, 400)
    assert (gap.uncovered, gap.undelivered) == (6500, 1100)
    past = selectors.recipient_gaps(actor=CELL, as_of=dt.date(2024, 3, 31))[0].gap
    assert (past.required, past.delivered) == (5000, 250)


@pytest.mark.django_db
def test_training_summary_is_own_nation_only(book, django_assert_max_num_queries):
    factories.TrainingCommitmentFactory(donor=book["USA"], programme="F-16 pilot", trainees_committed=12,
                                        trainees_completed=5)
    factories.TrainingCommitmentFactory(donor=book["USA"], programme="F-16 pilot", trainees_committed=8,
                                        trainees_completed=8)
    factories.TrainingCommitmentFactory(donor=book["POL"], programme="Leopard 2 crew", trainees_committed=30)
    with django_assert_max_num_queries(2):
        rows = selectors.training_summary(actor=CELL)
    assert [(r.donor.code, r.progress.programme, r.progress.committed, r.progress.completed) for r in rows] == [
        ("POL", "Leopard 2 crew", 30, 0), ("USA", "F-16 pilot", 20, 13),
    ]
    assert [r.donor.code for r in selectors.training_summary(actor=pol_scope(book))] == ["POL"]


@pytest.mark.django_db
def test_deliveries_per_month(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        rows = selectors.deliveries_per_month(actor=CELL)
    assert [(r.month, r.deliveries, r.quantity, r.value_eur) for r in rows] == [
        (dt.date(2024, 3, 1), 1, 250, Decimal("500000.00")),
        (dt.date(2024, 4, 1), 2, 160, Decimal("330000.00")),  # 150 rounds (€300,000) + 10 IFVs (€30,000)
    ]
    pol_view = selectors.deliveries_per_month(actor=pol_scope(book))
    assert [(r.month, r.quantity) for r in pol_view] == [(dt.date(2024, 3, 1), 250), (dt.date(2024, 4, 1), 150)]


@pytest.mark.django_db
def test_query_counts_do_not_grow(book, django_assert_max_num_queries):
    for _ in range(20):
        p = factories.PledgeFactory(donor=factories.NationFactory(), recipient=book["UKR"], item=book["ifv"],
                                    quantity=5)
        delivery_create(actor=CELL, pledge_id=p.pk, quantity=5, status="delivered", delivered_on=dt.date(2024, 5, 5))
    with django_assert_max_num_queries(2):
        assert len(selectors.fulfilment_by_donor(actor=CELL)) == 22
    with django_assert_max_num_queries(3):  # a past date: facts, deliveries as of then, the rows
        assert len(selectors.overdue_pledges(actor=CELL, on=dt.date(2025, 1, 1))) == 1
    with django_assert_max_num_queries(1):
        assert selectors.deliveries_per_month(actor=CELL)[-1].deliveries == 20


@pytest.mark.django_db
def test_recipient_gap_totals_leave_out_other_donors_restricted_pledges(nations, item):
    """A restricted pledge is the donor's and the cell's only: it must not show up in another nation's totals."""
    deu = factories.NationFactory(code="DEU", name="Germany")
    factories.RequirementFactory(recipient=nations["UKR"], item=item, quantity=1000)
    factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=100,
                            releasability="alliance")
    factories.PledgeFactory(donor=deu, recipient=nations["UKR"], item=item, quantity=50, releasability="restricted")

    def pledged(scope) -> int:
        [row] = selectors.recipient_gaps(actor=scope)
        return row.gap.pledged

    pol = Scope(nation_id=nations["POL"].pk, nation_code="POL", nation_role="ally")
    germany = Scope(nation_id=deu.pk, nation_code="DEU", nation_role="ally")
    assert pledged(CELL) == 150
    assert pledged(germany) == 150  # its own restricted pledge counts for itself
    assert pledged(pol) == 100
