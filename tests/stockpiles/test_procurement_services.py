"""Procurement writes: validation with clear messages, access, locking rules, marks and the engine
(incremental = full recompute with orders), and the selectors' access and query counts."""

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from coordination.access import CELL, Scope
from stockpiles import engine, services, tasks
from stockpiles import procurement_selectors as sel
from stockpiles import procurement_services as ps
from stockpiles.models import Order, OrderScheduleLine, Shortfall, ShortfallMark
from tests import factories
from tests.conftest import requires_postgres

from .test_engine import snapshot


def scope_of(nation) -> Scope:
    return Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)


@pytest.fixture
def agreement(nations, item):
    """POL leads a 155 mm agreement (ceiling 10,000, 2024-2026); USA joins on 1 March 2024."""
    a = ps.agreement_create(actor=CELL, name="POL 155 mm FA", lead_nation=nations["POL"], item=item,
                            ceiling_quantity=10_000, unit_price_eur=4000, valid_from=dt.date(2024, 1, 1),
                            valid_to=dt.date(2026, 12, 31))
    ps.participant_join(actor=CELL, agreement_id=a.pk, nation=nations["POL"], planned_quantity=6000,
                        joined_on=dt.date(2024, 1, 1))
    ps.participant_join(actor=CELL, agreement_id=a.pk, nation=nations["USA"], planned_quantity=4000,
                        joined_on=dt.date(2024, 3, 1))
    return a


def call_off(nation, agreement, quantity, *, actor=CELL, on=dt.date(2024, 4, 1), schedule=(), **kw):
    return ps.order_create(actor=actor, nation=nation, item=agreement.item, agreement=agreement, quantity=quantity,
                           ordered_on=on, schedule=schedule, **kw)


@pytest.mark.django_db
def test_call_off_rules_are_clear_field_errors(nations, item, agreement):
    usa, pol = nations["USA"], nations["POL"]
    with pytest.raises(ValidationError) as exc:
        call_off(usa, agreement, 100, on=dt.date(2024, 2, 1))
    assert "USA joined “POL 155 mm FA” on 2024-03-01" in str(exc.value.message_dict["ordered_on"])
    with pytest.raises(ValidationError) as exc:
        call_off(nations["UKR"], agreement, 100)
    assert "UKR is not a participant" in str(exc.value.message_dict["agreement"])
    other = factories.ItemFactory(name="105 mm")
    with pytest.raises(ValidationError) as exc:
        ps.order_create(actor=CELL, nation=pol, item=other, agreement=agreement, quantity=1,
                        ordered_on=dt.date(2024, 4, 1))
    assert "is for its item" in str(exc.value.message_dict["item"])
    with pytest.raises(ValidationError) as exc:
        call_off(pol, agreement, 100, on=dt.date(2027, 1, 1))
    assert "not in force on 2027-01-01" in str(exc.value.message_dict["ordered_on"])
    with pytest.raises(ValidationError) as exc:
        call_off(pol, agreement, 500, schedule=[{"due_on": dt.date(2024, 5, 1), "quantity": 400},
                                                {"due_on": dt.date(2024, 6, 1), "quantity": 200}])
    assert "adds up to 600, more than the 500 ordered" in str(exc.value.message_dict["schedule"])
    call_off(pol, agreement, 6000)
    call_off(usa, agreement, 3000)
    call_off(usa, agreement, 2000, status=Order.Status.CANCELLED)  # a cancelled call-off takes nothing
    with pytest.raises(ValidationError) as exc:
        call_off(usa, agreement, 1001)
    assert "Only 1,000 of the 10,000 under “POL 155 mm FA” are left" in str(exc.value.message_dict["quantity"])
    assert Order.objects.exclude(status="cancelled").count() == 2 and not OrderScheduleLine.objects.exists()


@pytest.mark.django_db
def test_a_nation_writes_only_its_own_orders_and_never_agreements(nations, item, agreement):
    pol = scope_of(nations["POL"])
    order = call_off(nations["POL"], agreement, 100, actor=pol)
    with pytest.raises(PermissionDenied):
        call_off(nations["USA"], agreement, 100, actor=pol)
    usa_order = call_off(nations["USA"], agreement, 100)
    with pytest.raises(PermissionDenied):
        ps.order_update(actor=pol, order_id=usa_order.pk, quantity=50)
    with pytest.raises(PermissionDenied):
        ps.order_update(actor=pol, order_id=order.pk, nation=nations["USA"])  # giving it away
    with pytest.raises(PermissionDenied):
        ps.schedule_line_create(actor=pol, order_id=usa_order.pk, due_on=dt.date(2024, 9, 1), quantity=1)
    with pytest.raises(PermissionDenied):
        ps.agreement_update(actor=pol, agreement_id=agreement.pk, ceiling_quantity=1)
    with pytest.raises(PermissionDenied):
        ps.participant_join(actor=pol, agreement_id=agreement.pk, nation=nations["UKR"], planned_quantity=1,
                            joined_on=dt.date(2024, 5, 1))
    line = ps.schedule_line_create(actor=pol, order_id=order.pk, due_on=dt.date(2024, 9, 1), quantity=60)
    with pytest.raises(ValidationError) as exc:
        ps.schedule_line_create(actor=pol, order_id=order.pk, due_on=dt.date(2024, 10, 1), quantity=41)
    assert "Only 40 of the 100 ordered are left to schedule" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        ps.order_update(actor=pol, order_id=order.pk, quantity=59)
    assert "schedule already holds 60" in str(exc.value)
    ps.schedule_line_update(actor=pol, line_id=line.pk, received_on=dt.date(2024, 9, 2))
    assert OrderScheduleLine.objects.get().received_on == dt.date(2024, 9, 2)


@pytest.mark.django_db
def test_agreement_ceiling_and_participant_rules(nations, item, agreement):
    call_off(nations["USA"], agreement, 3000, on=dt.date(2024, 3, 5))
    with pytest.raises(ValidationError) as exc:
        ps.agreement_update(actor=CELL, agreement_id=agreement.pk, ceiling_quantity=2999)
    assert "3,000 are already called off" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        ps.agreement_update(actor=CELL, agreement_id=agreement.pk, item=factories.ItemFactory(name="Other"))
    assert "its item cannot change" in str(exc.value)
    usa = agreement.participants.get(nation=nations["USA"])
    with pytest.raises(ValidationError) as exc:
        ps.participant_update(actor=CELL, participant_id=usa.pk, joined_on=dt.date(2024, 4, 1))
    assert "USA already called off on 2024-03-05" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=nations["UKR"], planned_quantity=1,
                            joined_on=dt.date(2023, 12, 31))
    assert "valid from 2024-01-01" in str(exc.value)
    with pytest.raises(ValidationError):  # joined twice: the unique key, as a field error
        ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=nations["USA"], planned_quantity=1,
                            joined_on=dt.date(2024, 5, 1))
    with pytest.raises(ValidationError) as exc:
        ps.agreement_create(actor=CELL, name="Backwards", lead_nation=nations["POL"], item=item, ceiling_quantity=-1,
                            valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2023, 1, 1))
    assert "ceiling_quantity" in exc.value.message_dict


@pytest.mark.django_db
def test_line_rates_are_capacity_not_the_nations_rate(nations, item):
    line = factories.ProductionLineFactory(manufacturer=factories.ManufacturerFactory(nation=nations["USA"]), item=item)
    rate = ps.production_line_rate_save(actor=CELL, rate=factories.LineRateFactory.build(
        line=line, units_per_month=50_000, effective_from=dt.date(2024, 1, 1)))
    assert (rate.nation_id, rate.item_id) == (nations["USA"].pk, item.pk)
    assert not ShortfallMark.objects.exists()  # capacity changes no shortfall
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    services.stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=4000, as_of=dt.date(2024, 1, 1))
    engine.shortfalls_recompute()
    row = Shortfall.objects.get(nation=nations["USA"], item=item)
    assert (row.rate, row.not_recovering) == (None, True)  # the line's 50,000 is not USA's own production
    with pytest.raises(ValidationError) as exc:
        ps.production_line_rate_save(actor=CELL, rate=factories.LineRateFactory.build(
            line=line, nation=nations["POL"], effective_from=dt.date(2024, 2, 1)))
    assert "manufacturer's nation" in str(exc.value)
    with pytest.raises(PermissionDenied):
        ps.production_line_rate_save(actor=scope_of(nations["USA"]), rate=factories.LineRateFactory.build(
            line=line, effective_from=dt.date(2024, 3, 1)))
    assert sel.capacity_in_force(as_of=dt.date(2024, 6, 1)) == {item.pk: {nations["USA"].pk: 50_000}}


# --- The engine ------------------------------------------------------------------------------------

@pytest.fixture
def usa_short(nations, item):
    """USA: 4,000 on hand, guideline 10,000 → short 6,000; own production 1,000/month → 6 months."""
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    services.production_rate_saved(rate=factories.ProductionRateFactory(nation=nations["USA"], item=item,
                                                                        units_per_month=1000))
    services.stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=4000,
                                 as_of=dt.date(2024, 1, 1))
    engine.shortfalls_recompute()
    return Shortfall.objects.get(nation=nations["USA"], item=item)


@pytest.mark.django_db
def test_a_contracted_schedule_brings_recovery_earlier_and_marks_the_pair(nations, item, usa_short, today,
                                                                         django_capture_on_commit_callbacks):
    assert (usa_short.months_to_recover, usa_short.contracted_inflow) == (6, 0)
    from stockpiles.shortfalls import add_months

    with django_capture_on_commit_callbacks(execute=True):
        order = ps.order_create(actor=CELL, nation=nations["USA"], item=item, quantity=5000, ordered_on=today,
                                schedule=[{"due_on": add_months(today, 1), "quantity": 3000},
                                          {"due_on": add_months(today, 2), "quantity": 2000}])
    row = Shortfall.objects.get(nation=nations["USA"], item=item)
    # m1: 1,000 + 3,000 = 4,000; m2: 2,000 + 5,000 = 7,000 ≥ 6,000 → 2 months (6 without the order).
    assert (row.months_to_recover, row.contracted_inflow, row.recovers_on) == (2, 5000, add_months(today, 2))
    with django_capture_on_commit_callbacks(execute=True):
        ps.order_update(actor=CELL, order_id=order.pk, status=Order.Status.CANCELLED)
    row.refresh_from_db()
    assert (row.months_to_recover, row.contracted_inflow) == (6, 0)
    incremental = snapshot()
    tasks.recompute_all_shortfalls()
    assert snapshot() == incremental


@pytest.mark.django_db
def test_incremental_equals_full_recompute_with_orders(nations, item, usa_short, today,
                                                       django_capture_on_commit_callbacks):
    pol = nations["POL"]
    with django_capture_on_commit_callbacks(execute=True):
        order = ps.order_create(actor=CELL, nation=pol, item=item, quantity=900, ordered_on=today,
                                schedule=[{"due_on": today + dt.timedelta(days=40), "quantity": 900}])
    # POL has only an order: a row of its own (no report yet).
    assert Shortfall.objects.get(nation=pol, item=item).status == "no_report"
    with django_capture_on_commit_callbacks(execute=True):
        ps.order_create(actor=CELL, nation=nations["USA"], item=item, quantity=2500, ordered_on=today,
                        schedule=[{"due_on": today + dt.timedelta(days=10), "quantity": 2500}])
    line = order.schedule.get()
    with django_capture_on_commit_callbacks(execute=True):
        ps.schedule_line_update(actor=CELL, line_id=line.pk, received_on=today)  # received: no longer an inflow
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=900, as_of=today)
    assert not ShortfallMark.objects.exists()
    usa = Shortfall.objects.get(nation=nations["USA"], item=item)
    # 6,000 short: month 1 brings 1,000 + 2,500; month 3: 3,000 + 2,500 = 5,500; month 4: 6,500 → 4.
    assert (usa.months_to_recover, usa.contracted_inflow) == (4, 2500)
    assert Shortfall.objects.get(nation=pol, item=item).contracted_inflow == 0
    incremental = snapshot()
    assert tasks.recompute_all_shortfalls() == 2
    assert snapshot() == incremental


# --- Selectors -------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_agreement_list_access_and_utilisation(nations, item, agreement, django_assert_max_num_queries):
    call_off(nations["POL"], agreement, 5000)
    call_off(nations["USA"], agreement, 1500)
    other = factories.FrameworkAgreementFactory(name="Not ours", item=item)
    with django_assert_max_num_queries(3):  # agreements, participants, call-off totals
        rows = sel.agreement_list(actor=CELL)
    assert [r.agreement.name for r in rows] == ["Not ours", "POL 155 mm FA"]
    row = rows[1]
    assert (row.ceiling, row.planned, row.ordered, row.remaining, row.ordered_share) == (10_000, 10_000, 6500, 3500,
                                                                                         0.65)
    assert [(p.participant.nation.code, p.planned, p.ordered) for p in row.participants] == [
        ("POL", 6000, 5000), ("USA", 4000, 1500)]
    # The lead sees everything; another participant its own call-offs, and no total in a group of two.
    [lead] = sel.agreement_list(actor=scope_of(nations["POL"]))
    assert lead.ordered == 6500 and lead.agreement.pk == agreement.pk
    [member] = sel.agreement_list(actor=scope_of(nations["USA"]))
    assert [(p.participant.nation.code, p.ordered) for p in member.participants] == [("POL", None), ("USA", 1500)]
    assert (member.ordered, member.suppressed) == (None, True)
    assert sel.agreement_list(actor=scope_of(nations["UKR"])) == []
    assert other.pk not in {r.agreement.pk for r in sel.agreement_list(actor=scope_of(nations["POL"]))}


@pytest.mark.django_db
def test_orders_and_schedules_are_nation_owned(nations, item, agreement, polish_officer,
                                               django_assert_max_num_queries):
    call_off(nations["POL"], agreement, 5000, schedule=[{"due_on": dt.date(2024, 7, 1), "quantity": 2000}])
    call_off(nations["USA"], agreement, 1500, schedule=[{"due_on": dt.date(2024, 6, 1), "quantity": 1500}])
    with django_assert_max_num_queries(3):  # membership, orders, schedule lines
        orders = list(sel.order_list(actor=polish_officer))
        assert [(o.nation.code, [line.quantity for line in o.schedule.all()]) for o in orders] == [("POL", [2000])]
    with django_assert_max_num_queries(1):
        timeline = sel.scheduled_deliveries(actor=CELL)
    assert [(d.nation_code, d.due_on, d.quantity, d.agreement_name) for d in timeline] == [
        ("USA", dt.date(2024, 6, 1), 1500, "POL 155 mm FA"), ("POL", dt.date(2024, 7, 1), 2000, "POL 155 mm FA")]
    assert [d.nation_code for d in sel.scheduled_deliveries(actor=polish_officer)] == ["POL"]
    assert sel.scheduled_deliveries(actor=CELL, since=dt.date(2024, 6, 15)) == timeline[1:]


@pytest.mark.django_db
def test_procurement_overview_worked_example_and_suppression(nations, item, usa_short, agreement,
                                                             django_assert_max_num_queries):
    """USA short 6,000 (stored row). UKR requires 10,000 and was pledged 3,000 → uncovered 7,000.
    Demand 13,000. Orders: POL 5,000 (1,000 received) + USA 1,500 → contracted 5,500; gap 7,500.
    Capacity: a German line 2,000/month + USA's national 1,000 → 3,000 → 3 months."""
    factories.RequirementFactory(recipient=nations["UKR"], item=item, quantity=10_000)
    factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=3000,
                            source="new_production")
    pol_order = call_off(nations["POL"], agreement, 5000, schedule=[
        {"due_on": dt.date(2024, 5, 1), "quantity": 1000, "received_on": dt.date(2024, 5, 2)}])
    call_off(nations["USA"], agreement, 1500)
    deu = factories.NationFactory(code="DEU", name="Germany")
    factories.LineRateFactory(line=factories.ProductionLineFactory(
        manufacturer=factories.ManufacturerFactory(nation=deu), item=item), units_per_month=2000)
    engine.shortfalls_recompute()
    with django_assert_max_num_queries(9):
        [row] = sel.procurement_overview(actor=CELL)
    assert (row.nation_shortfall, row.recipient_uncovered, row.demand) == (6000, 7000, 13_000)
    assert (row.contracted, row.gap, row.capacity_per_month, row.months_of_capacity) == (5500, 7500, 3000, 3)
    assert row.contracted_share == 5500 / 13_000 and not row.suppressed
    # POL: the figures add up USA's shortfall and orders: fewer than two other nations → suppressed.
    [pol_view] = sel.procurement_overview(actor=scope_of(nations["POL"]))
    assert (pol_view.suppressed, pol_view.demand, pol_view.contracted, pol_view.recipient_uncovered) == (
        True, None, None, 7000)
    assert (pol_view.capacity_suppressed, pol_view.capacity_per_month) == (True, None)  # USA's national rate
    assert pol_order.pk


@pytest.mark.django_db
def test_item_projection_with_and_without_contracts(nations, item, usa_short, today, polish_officer,
                                                    django_assert_max_num_queries):
    from stockpiles.shortfalls import add_months

    ps.order_create(actor=CELL, nation=nations["USA"], item=item, quantity=3000, ordered_on=today,
                    schedule=[{"due_on": add_months(today, 1), "quantity": 3000}])
    with django_assert_max_num_queries(7):  # the engine's six input queries for the item, nations
        [usa] = sel.item_projection(actor=CELL, item=item, months=4)
    # m1: 4,000 + 1,000 + 3,000 = 8,000; m2: 9,000; m3: 10,000 → 3 months (6 without).
    assert [p.available for p in usa.points] == [4000, 8000, 9000, 10_000, 11_000]
    assert [p.contracted for p in usa.points] == [0, 3000, 3000, 3000, 3000]
    assert (usa.result.months_to_recover, usa.months_without_contracts) == (3, 6)
    assert usa.recovers_on_without_contracts == add_months(today, 6)
    assert sel.item_projection(actor=polish_officer, item=item) == []
    # The per-pair projection of stockpiles.selectors shows the same contracted inflow.
    from stockpiles import selectors

    pair = selectors.recovery_projection(actor=CELL, nation=nations["USA"], item=item, months=4)
    assert pair == usa.points
    assert selectors.recovery_projection(actor=polish_officer, nation=nations["USA"], item=item) == []


# --- PostgreSQL: concurrent call-offs never pass the ceiling ----------------------------------------

@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_call_offs_respect_the_ceiling(nations, item):
    agreement = factories.FrameworkAgreementFactory(lead_nation=nations["POL"], item=item, ceiling_quantity=1000,
                                                    valid_from=dt.date(2024, 1, 1))
    for code in ("POL", "USA"):
        factories.AgreementParticipantFactory(agreement=agreement, nation=nations[code])
    results = []

    def order(code):
        try:
            call_off(nations[code], agreement, 600)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=order, args=(c,)) for c in ("POL", "USA", "POL", "USA")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["ok", "refused", "refused", "refused"]
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_duplicate_rates_are_clear_errors(nations, item):
    pol = scope_of(nations["POL"])
    ps.production_rate_save(actor=pol, rate=factories.ProductionRateFactory.build(nation=nations["POL"], item=item))
    with pytest.raises(ValidationError) as exc:
        ps.production_rate_save(actor=pol, rate=factories.ProductionRateFactory.build(nation=nations["POL"], item=item))
    assert "already has a production rate for this item from this date" in str(exc.value)
    line = factories.ProductionLineFactory(manufacturer=factories.ManufacturerFactory(nation=nations["POL"]), item=item)
    ps.production_line_rate_save(actor=CELL, rate=factories.LineRateFactory.build(line=line))
    with pytest.raises(ValidationError) as exc:
        ps.production_line_rate_save(actor=CELL, rate=factories.LineRateFactory.build(line=line))
    assert "already has a capacity from this date" in str(exc.value)


@pytest.mark.django_db
def test_a_received_line_counts_until_a_stock_report_carries_it(nations, item, usa_short, today,
                                                                django_capture_on_commit_callbacks):
    """USA's report is of 1 January 2024. A line received yesterday is not in it: it still counts (from
    month 1); once USA reports stock on or after the receipt, it no longer does (the report carries it)."""
    yesterday = today - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        ps.order_create(actor=CELL, nation=nations["USA"], item=item, quantity=2000, ordered_on=dt.date(2024, 1, 1),
                        schedule=[{"due_on": yesterday, "quantity": 2000, "received_on": yesterday}])
    row = Shortfall.objects.get(nation=nations["USA"], item=item)
    assert (row.contracted_inflow, row.months_to_recover) == (2000, 4)  # m4: 4,000 + 2,000 ≥ 6,000
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_report_create(actor=CELL, nation=nations["USA"], item=item, quantity=6000, as_of=today)
    row.refresh_from_db()
    assert (row.on_hand, row.contracted_inflow, row.months_to_recover) == (6000, 0, 4)
    incremental = snapshot()
    tasks.recompute_all_shortfalls()
    assert snapshot() == incremental
