"""load_demo: the scenario on the source facts, idempotent, and --if-empty."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from coordination.models import Item, Membership, Nation
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
from stockpiles.models import (
    AgreementParticipant,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionLine,
    ProductionRate,
    Shortfall,
    StockpileGuideline,
    StockReport,
)
from stockpiles.shortfalls import add_months

MODELS = (Nation, Item, Pledge, Delivery, TrainingCommitment, Requirement, StockReport, StockpileGuideline,
          ProductionRate, Shortfall, Manufacturer, ProductionLine, FrameworkAgreement, AgreementParticipant, Order,
          OrderScheduleLine)


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Load the demo once for this module, inside a transaction rolled back at the end of the module.

    Each test runs in its own savepoint within it (pytest-django), so tests still cannot see each
    other's writes, and nothing is left for other modules.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = StringIO()
            call_command("load_demo", "--logins", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


@pytest.mark.django_db
def test_nations_are_the_32_allies_ukraine_and_the_eu(demo):
    allies = Nation.objects.filter(role=Nation.Role.ALLY)
    assert allies.count() == 32
    assert Nation.objects.get(code="FIN").joined_on == dt.date(2023, 4, 4)
    assert Nation.objects.get(code="SWE").joined_on == dt.date(2024, 3, 7)
    # 31 members in 2023, 32 from March 2024 (source fact).
    assert allies.filter(joined_on__lte=dt.date(2023, 12, 31)).count() == 31
    assert allies.filter(joined_on__lte=dt.date(2024, 3, 31)).count() == 32
    assert Nation.objects.get(code="UKR").role == Nation.Role.RECIPIENT
    assert Nation.objects.get(code="EU").role == Nation.Role.PARTNER
    assert "nations: 34" in demo  # the summary at the end


@pytest.mark.django_db
def test_us_155mm_production_ramp_is_the_source_fact(demo):
    rates = list(
        ProductionRate.objects.filter(nation__code="USA", item__name="155 mm HE projectile", line__isnull=True)
        .order_by("effective_from").values_list("units_per_month", "effective_from")
    )
    assert rates[0] == (14_000, dt.date(2021, 1, 1))  # before February 2022
    assert rates[-1] == (80_000, dt.date(2024, 7, 1))  # by mid-2024
    assert [u for u, _ in rates] == sorted(u for u, _ in rates)  # a ramp, never down
    assert "Source fact" in ProductionRate.objects.get(nation__code="USA", units_per_month=14_000,
                                                       line__isnull=True).reference


@pytest.mark.django_db
def test_eu_promised_one_million_rounds(demo):
    eu = Pledge.objects.filter(donor__code="EU", item__name="155 mm HE projectile")
    assert sum(eu.values_list("quantity", flat=True)) == 1_000_000
    assert all((p.announced_on, p.due_on) == (dt.date(2023, 3, 20), dt.date(2024, 12, 31)) for p in eu)
    assert all("one million rounds" in p.notes for p in eu)
    # Delivered by then (illustrative deliveries): a public promise of 2024 is not shown years overdue.
    assert all(p.delivered_quantity == p.quantity for p in eu)
    assert max(Delivery.objects.filter(pledge__in=eu).values_list("delivered_on", flat=True)) <= dt.date(2024, 12, 31)


@pytest.mark.django_db
def test_us_155mm_shortfall_worked_example(demo):
    # Stock this month 1,150,000; guideline 1,500,000 (national, since July 2024);
    # owed = (200,000 - 180,000 shipped) + (100,000 - 30,000 shipped) = 90,000 (the cancelled and the
    # new-production pledges do not count); available 1,060,000; shortfall 440,000;
    # rate 80,000/month -> ceil(440,000 / 80,000) = 6 months.
    row = Shortfall.objects.get(nation__code="USA", item__name="155 mm HE projectile")
    assert (row.on_hand, row.guideline, row.owed, row.available) == (1_150_000, 1_500_000, 90_000, 1_060_000)
    assert (row.shortfall, row.rate, row.months_to_recover, row.status) == (440_000, 80_000, 6, "below_guideline")
    assert row.not_recovering is False


@pytest.mark.django_db
def test_some_nations_below_guideline_are_not_recovering(demo):
    ita = Shortfall.objects.get(nation__code="ITA", item__name="155 mm HE projectile")
    assert (ita.on_hand, ita.guideline, ita.shortfall, ita.months_to_recover, ita.not_recovering) == (
        70_000, 120_000, 50_000, None, True)
    below = Shortfall.objects.filter(item__name="155 mm HE projectile", status="below_guideline")
    assert below.count() >= 10
    assert below.filter(not_recovering=True).count() >= 5
    assert Shortfall.objects.filter(item__name="155 mm HE projectile", status="ok").count() >= 5


@pytest.mark.django_db
def test_every_status_is_present(demo, today):
    assert set(Pledge.objects.values_list("status", flat=True)) == set(Pledge.Status.values)
    assert set(Delivery.objects.values_list("status", flat=True)) == set(Delivery.Status.values)
    assert set(TrainingCommitment.objects.values_list("status", flat=True)) == set(
        TrainingCommitment.Status.values)
    overdue = [p for p in Pledge.objects.exclude(status=Pledge.Status.CANCELLED)
               if p.due_on and p.due_on < today and p.delivered_quantity < p.quantity]
    # Dated relative to today: four pledges overdue by 10 to 75 days (tests/data/test_demo_dates.py).
    assert {p.reference.split(" ")[0]: (today - p.due_on).days for p in overdue} == {
        "DEMO-USA-155-1": 45, "DEMO-USA-PAC3-1": 20, "DEMO-GBR-105-1": 75, "DEMO-NLD-155-1": 10}
    us1 = Pledge.objects.get(reference__startswith="DEMO-USA-155-1 ")
    assert (us1.allocated_quantity, us1.shipped_quantity, us1.delivered_quantity) == (200_000, 180_000, 160_000)
    assert {"F-16 pilot", "Leopard 2 crew"} <= set(TrainingCommitment.objects.values_list("programme", flat=True))


@pytest.mark.django_db
def test_monthly_stock_history_and_requirements(demo, today):
    """Five years of history before today: the first of every month from 59 months before this one (the
    low point 39 months before), and the latest report from the last week."""
    us = list(StockReport.objects.filter(nation__code="USA", item__name="155 mm HE projectile").order_by("as_of"))
    this_month = today.replace(day=1)
    start, low = add_months(this_month, -59), add_months(this_month, -39)
    latest = us[-1].as_of
    assert today - dt.timedelta(days=5) <= latest < today
    assert [r.as_of for r in us[:-1]] == [add_months(start, n) for n in range(len(us) - 1)]
    assert add_months(us[-2].as_of, 1) >= latest > us[-2].as_of  # monthly up to the latest
    assert (us[0].as_of, us[0].quantity) == (start, 1_600_000)
    assert next(r.quantity for r in us if r.as_of == low) == 900_000 == min(r.quantity for r in us)
    assert us[-1].quantity == 1_150_000
    need = Requirement.objects.filter(recipient__code="UKR", item__name="155 mm HE projectile")
    assert need.count() == 12 and set(need.values_list("quantity", flat=True)) == {200_000}


@pytest.mark.django_db
def test_illustrative_data_is_labelled(demo):
    assert all("Illustrative demo data" in p.reference or "Source fact" in p.notes for p in Pledge.objects.all())
    assert all("Illustrative demo data" in t.reference for t in TrainingCommitment.objects.all())
    assert all("Illustrative" in r.reference or "Source fact" in r.reference for r in ProductionRate.objects.all())
    item = Item.objects.get(name="155 mm HE projectile")
    assert item.nsn_display == "1320-01-555-0155"
    assert "Illustrative demo data" in item.history.first().history_change_reason


@pytest.mark.django_db
def test_rerunning_does_not_duplicate(demo):
    before = counts()
    out = StringIO()
    call_command("load_demo", "--logins", stdout=out)
    assert counts() == before
    assert "Nothing new" in out.getvalue()


@pytest.mark.django_db
def test_demo_logins_belong_to_their_nation(demo):
    officer = get_user_model().objects.get(username="officer-pol")
    assert officer.check_password("demo-officer-2024")
    assert Membership.objects.get(user=officer).nation.code == "POL"
    assert Membership.objects.get(user__username="coordinator").is_cell


# --- Joint procurement -----------------------------------------------------------------------------

SHELL = "155 mm HE projectile"


@pytest.mark.django_db
def test_procurement_source_facts(demo, today):
    deu_fa = FrameworkAgreement.objects.get(name__startswith="DEMO Germany")
    assert deu_fa.lead_nation.code == "DEU" and "Source fact: Estonia joined" in deu_fa.reference
    members = dict(deu_fa.participants.values_list("nation__code", "joined_on"))
    assert members["EST"] > members["DEU"] == deu_fa.valid_from  # Estonia joined later
    eu = FrameworkAgreement.objects.get(name__startswith="DEMO EU one-million")
    assert (eu.lead_nation.code, eu.ceiling_quantity) == ("EU", 1_000_000)
    assert "Source fact: the EU promised one million rounds" in eu.reference
    # Dated relative to today: Germany's agreement is in force, the EU's ended 11 months ago.
    assert deu_fa.validity(today) == FrameworkAgreement.Validity.IN_FORCE
    assert eu.validity(today) == FrameworkAgreement.Validity.EXPIRED
    assert eu.valid_to == add_months(today.replace(day=1), -11) - dt.timedelta(days=1)
    us_line = ProductionRate.objects.filter(line__manufacturer__nation__code="USA", item__name=SHELL)
    series = list(us_line.order_by("effective_from").values_list("units_per_month", "reference"))
    assert series[0][0] == 14_000 and series[-1][0] == 80_000
    assert "Source fact" in series[0][1] and "Source fact" in series[-1][1]
    assert all("Illustrative" in o.notes for o in Order.objects.all())
    assert set(Order.objects.values_list("status", flat=True)) >= {"confirmed", "cancelled"}


@pytest.mark.django_db
def test_a_contracted_schedule_moves_germanys_recovery_earlier(demo, today):
    """Germany, 155 mm: 180,000 on hand, 20,000 owed (120,000 pledged − 100,000 shipped) → 160,000;
    guideline 250,000 → short 90,000; own production 25,000 a month.
    Without its call-off: ceil(90,000 / 25,000) = 4 months. With the call-off's schedule (30,000 on
    the first of each of the next two months, i.e. counted in months 1 and 2):
    m1 = 25,000 + 30,000 = 55,000; m2 = 50,000 + 60,000 = 110,000 ≥ 90,000 → 2 months.
    Both through the same pure function, from the same gathered inputs."""
    import dataclasses

    from stockpiles import engine, shortfalls

    deu = Nation.objects.get(code="DEU")
    shell = Item.objects.get(name=SHELL)
    inputs = engine.shortfall_inputs(pairs=[(deu.pk, shell.pk)], as_of=today)[(deu.pk, shell.pk)]
    with_schedule = shortfalls.compute_shortfall(inputs)
    without = shortfalls.compute_shortfall(dataclasses.replace(inputs, inflows=()))
    assert (with_schedule.shortfall, with_schedule.rate, with_schedule.contracted_inflow) == (90_000, 25_000, 60_000)
    assert (without.months_to_recover, with_schedule.months_to_recover) == (4, 2)
    assert with_schedule.recovers_on < without.recovers_on
    assert with_schedule.recovers_on == shortfalls.add_months(today, 2)
    row = Shortfall.objects.get(nation=deu, item=shell)  # the stored row is the one with the schedule
    assert (row.months_to_recover, row.recovers_on, row.contracted_inflow) == (2, with_schedule.recovers_on, 60_000)
    # Estonia has no production of its own: not recovering without its call-off, recovering with it.
    est = Shortfall.objects.get(nation__code="EST", item=shell)
    assert (est.shortfall, est.rate, est.months_to_recover, est.not_recovering) == (10_000, None, 2, False)


@pytest.mark.django_db
def test_procurement_overview_on_the_demo(demo):
    from coordination.access import CELL
    from stockpiles import procurement_selectors as sel

    row = next(r for r in sel.procurement_overview(actor=CELL) if r.item_name == SHELL)
    # Capacity: US line 80,000 + German line 25,000 + French line 8,000 + national rates without lines:
    # POL 6,000, GBR 5,000, ESP 3,000, CAN 2,000 → 129,000 a month.
    assert row.capacity_per_month == 129_000
    # Under contract, not yet received: DEU 60,000 + EST 12,000 + POL 60,000 (40,000 received) + FRA 50,000
    # + CZE 30,000 + GBR 40,000 (the cancelled NLD order counts nothing) = 252,000.
    assert row.contracted == 252_000
    assert row.months_of_capacity == -(-(row.demand - 252_000) // 129_000)
    rows = {r.agreement.name: r for r in sel.agreement_list(actor=CELL)}
    deu = rows["DEMO Germany 155 mm framework agreement"]
    assert (deu.ordered, deu.ceiling) == (72_000, 600_000)


@pytest.mark.django_db
def test_with_debug_off_no_logins_unless_asked_and_it_says_so(demo, settings):
    demo_users = ["coordinator", "officer-usa", "officer-pol", "officer-deu", "officer-ukr"]
    get_user_model().objects.filter(username__in=demo_users).delete()
    settings.DEBUG = False
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert not get_user_model().objects.filter(username__in=demo_users).exists()
    assert "No demo logins created: DEBUG is off. Add --logins" in out.getvalue()
    out = StringIO()
    call_command("load_demo", "--logins", stdout=out)
    assert set(get_user_model().objects.filter(username__in=demo_users).values_list("username", flat=True)) == set(
        demo_users)
    assert "Demo logins (password 'demo-officer-2024' unless changed): coordinator, officer-usa" in out.getvalue()


@pytest.mark.django_db
def test_every_nation_category_and_item_has_a_french_name(demo):
    from coordination.models import Category

    for model in (Nation, Category, Item):
        assert not model.objects.filter(name_fr="").exists(), model.__name__
    french = dict(Nation.objects.values_list("code", "name_fr"))
    assert (french["DEU"], french["USA"], french["CZE"], french["UKR"]) == ("Allemagne", "États-Unis", "Tchéquie",
                                                                            "Ukraine")
    shell = Item.objects.get(nsn="1320015550155")
    assert (shell.name, shell.name_fr) == ("155 mm HE projectile", "Obus explosif de 155 mm")


@pytest.mark.django_db
def test_a_database_loaded_before_french_names_gets_them(demo):
    Nation.objects.filter(code="DEU").update(name_fr="")
    Item.objects.filter(nsn="1320015550155").update(name_fr="")
    Nation.objects.filter(code="FRA").update(name_fr="République française")  # an edit is kept
    call_command("load_demo", stdout=StringIO())
    assert Nation.objects.get(code="DEU").name_fr == "Allemagne"
    assert Item.objects.get(nsn="1320015550155").name_fr == "Obus explosif de 155 mm"
    assert Nation.objects.get(code="FRA").name_fr == "République française"
