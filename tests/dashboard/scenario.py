"""A small, hand-checked scenario for the dashboard tests (written through the services).

Worked example (today = T; alliance guideline 155 mm = 10,000; interceptors = 100):

nation item          on hand  owed                    available guideline shortfall coverage rate  months
USA    155 mm         6,000   2,000 − 500 shipped      4,500    10,000     5,500     45%     1,000  6
POL    155 mm        12,000   0                       12,000    10,000         0    120%     —      0
POL    interceptors      50   0 (procurement pledge)      50       100        50     50%     —      not recovering

Alliance 155 mm: total shortfall 5,500 (POL's surplus does not cover the USA), net −5,500 + 2,000 = −3,500.
Pledges: USA→UKR 2,000 × 155 mm, €2,000,000, due 2024-06-30, 500 in transit (overdue, 0 delivered);
POL→UKR 20 interceptors, €10,000,000, 20 delivered (complete). UKR requires 50,000 × 155 mm:
uncovered 48,000, undelivered 2,000.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from coordination.access import CELL
from pledges import services as pledge_services
from pledges.models import Delivery, Pledge, TrainingCommitment
from stockpiles import engine
from stockpiles import services as stock_services
from tests import factories


def build(nations: dict) -> dict:
    today = timezone.localdate()
    usa, pol, ukr = nations["USA"], nations["POL"], nations["UKR"]
    ammo = factories.CategoryFactory(name="Artillery ammunition")
    air = factories.CategoryFactory(name="Air defence")
    shell = factories.ItemFactory(name="155 mm HE projectile", category=ammo, unit="rounds", unit_value_eur=1000)
    missile = factories.ItemFactory(name="IRIS-T SLM interceptor", category=air, unit="missiles",
                                    unit_value_eur=400_000)
    factories.GuidelineFactory(item=shell, minimum_quantity=10_000, effective_from=dt.date(2020, 1, 1))
    factories.GuidelineFactory(item=missile, minimum_quantity=100, effective_from=dt.date(2020, 1, 1))
    factories.ProductionRateFactory(nation=usa, item=shell, units_per_month=1000, effective_from=dt.date(2020, 1, 1))

    report_day = today - dt.timedelta(days=10)
    stock_services.stock_report_create(actor=CELL, nation=usa, item=shell, quantity=9_000,
                                       as_of=today - dt.timedelta(days=400))
    stock_services.stock_report_create(actor=CELL, nation=usa, item=shell, quantity=6_000, as_of=report_day)
    stock_services.stock_report_create(actor=CELL, nation=pol, item=shell, quantity=12_000, as_of=report_day)
    stock_services.stock_report_create(actor=CELL, nation=pol, item=missile, quantity=50, as_of=report_day)

    usa_pledge = pledge_services.pledge_create(
        actor=CELL, donor=usa, recipient=ukr, item=shell, quantity=2_000, value_eur=2_000_000,
        announced_on=dt.date(2024, 1, 15), due_on=dt.date(2024, 6, 30), source=Pledge.Source.NATIONAL_STOCK,
        status=Pledge.Status.COMMITTED, releasability="alliance", reference="test usa shells",
    )
    pledge_services.delivery_create(actor=CELL, pledge_id=usa_pledge.pk, quantity=500,
                                    status=Delivery.Status.IN_TRANSIT, shipped_on=dt.date(2024, 3, 1))
    pol_pledge = pledge_services.pledge_create(
        actor=CELL, donor=pol, recipient=ukr, item=missile, quantity=20, value_eur=10_000_000,
        announced_on=dt.date(2024, 2, 1), due_on=dt.date(2024, 12, 31), source=Pledge.Source.PROCUREMENT,
        status=Pledge.Status.ALLOCATED, releasability="public", reference="test pol missiles",
    )
    pledge_services.delivery_create(actor=CELL, pledge_id=pol_pledge.pk, quantity=20,
                                    status=Delivery.Status.DELIVERED, shipped_on=dt.date(2024, 4, 1),
                                    delivered_on=dt.date(2024, 4, 10))
    factories.RequirementFactory(recipient=ukr, item=shell, quantity=50_000)
    pledge_services.training_commitment_save(actor=CELL, commitment=TrainingCommitment(
        donor=pol, recipient=ukr, programme="Leopard 2 crew", trainees_committed=120, trainees_completed=90,
        status=TrainingCommitment.Status.IN_PROGRESS,
    ))
    engine.shortfalls_recompute(pairs=None)
    return {"shell": shell, "missile": missile, "usa_pledge": usa_pledge, "pol_pledge": pol_pledge,
            "ammo": ammo, "air": air, "today": today}


def bulk(nations: dict, *, extra_nations: int, items_per_category: int = 3, prefix: str = "Bulk",
         first: int = 0) -> None:
    """Many more nations, items, pledges and shortfall rows: for fixed-query-count tests. Called again with
    another ``prefix`` and ``first`` (the first new nation's number), it adds as many again."""
    ukr = nations["UKR"]
    cats = [factories.CategoryFactory(name=f"{prefix} category {c}") for c in range(3)]
    items = [factories.ItemFactory(name=f"{prefix} item {c}-{i}", category=cat)
             for c, cat in enumerate(cats) for i in range(items_per_category)]
    for item in items:
        factories.GuidelineFactory(item=item, minimum_quantity=1000)
    today = timezone.localdate()
    for n in range(first, first + extra_nations):
        nation = factories.NationFactory(code=f"X{chr(65 + n // 26)}{chr(65 + n % 26)}", name=f"{prefix} nation {n}")
        stock_services.stock_reports_bulk_create(
            actor=CELL, nation=nation,
            rows=[{"item": item, "quantity": 100 * (k + 1), "as_of": today - dt.timedelta(days=3)}
                  for k, item in enumerate(items)],
        )
        for k, item in enumerate(items[:4]):
            pledge = pledge_services.pledge_create(
                actor=CELL, donor=nation, recipient=ukr, item=item, quantity=100, value_eur=5000,
                announced_on=dt.date(2024, 1, 1), due_on=dt.date(2024, 2, 1), status=Pledge.Status.COMMITTED,
                releasability="alliance", reference=f"bulk {n}-{k}",
            )
            pledge_services.delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=10,
                                            status=Delivery.Status.DELIVERED, shipped_on=dt.date(2024, 1, 5),
                                            delivered_on=dt.date(2024, 1 + k % 6, 10))
        pledge_services.training_commitment_save(actor=CELL, commitment=TrainingCommitment(
            donor=nation, recipient=ukr, programme=f"Programme {n % 3}", trainees_committed=10,
        ))
    engine.shortfalls_recompute(pairs=None)


def procurement(nations: dict, demo: dict) -> dict:
    """Joint procurement on top of ``build`` (written through the services). Worked example, today = T:

    Agreement "155 mm joint procurement" (lead USA, ceiling 30,000, €4,000 a round, valid 2024-01-01 to
    2029-12-31): USA joined 2024-01-01 planning 10,000; POL joined later, 2024-06-01, planning 8,000.
    USA call-off 3,000 (2024-07-01), schedule: 1,500 due T + 1 month, 1,500 due T + 3 months.
    POL national contract: 40 interceptors, 40 due T + 2 months.
    Capacity of 155 mm: USA's own rate 1,000/month + a POL line (Polska Amunicja, 2,000/month) = 3,000/month.

    USA 155 mm projection: available 4,500; +1,000 a month; +1,500 in months 1 and 3:
    month 0 4,500, 1 7,000, 2 8,000, 3 10,500 ≥ 10,000: back above guideline in 3 months (6 without).
    Demand 155 mm = 5,500 (USA shortfall) + 48,000 (UKR uncovered) = 53,500; contracted 3,000;
    not yet under contract 50,500; 17 months of capacity (50,500 / 3,000 rounded up).
    Interceptors: demand 50 (POL), contracted 40, gap 10, no capacity.
    Utilisation: ordered 3,000 of 30,000 (10 %), remaining 27,000; planned 18,000.
    """
    from stockpiles import procurement_services as ps
    from stockpiles import shortfalls
    from stockpiles.models import Manufacturer, ProductionLine, ProductionRate

    usa, pol = nations["USA"], nations["POL"]
    today = demo["today"]
    shell, missile = demo["shell"], demo["missile"]
    maker = ps.manufacturer_save(actor=CELL, manufacturer=Manufacturer(name="Polska Amunicja", nation=pol))
    line = ps.production_line_save(actor=CELL, line=ProductionLine(manufacturer=maker, item=shell, name="Line 1"))
    ps.production_line_rate_save(actor=CELL, rate=ProductionRate(line=line, nation=pol, item=shell,
                                                                   units_per_month=2000,
                                                                   effective_from=dt.date(2020, 1, 1)))
    agreement = ps.agreement_create(
        actor=CELL, name="155 mm joint procurement", lead_nation=usa, item=shell, manufacturer=maker,
        ceiling_quantity=30_000, unit_price_eur=4000, valid_from=dt.date(2024, 1, 1), valid_to=dt.date(2029, 12, 31),
    )
    ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=usa, planned_quantity=10_000,
                        joined_on=dt.date(2024, 1, 1))
    ps.participant_join(actor=CELL, agreement_id=agreement.pk, nation=pol, planned_quantity=8_000,
                        joined_on=dt.date(2024, 6, 1))
    call_off = ps.order_create(
        actor=CELL, nation=usa, item=shell, agreement=agreement, quantity=3000, ordered_on=dt.date(2024, 7, 1),
        status="confirmed", reference="USA-155-CO-1",
        schedule=[{"due_on": shortfalls.add_months(today, 1), "quantity": 1500},
                  {"due_on": shortfalls.add_months(today, 3), "quantity": 1500}],
    )
    contract = ps.order_create(
        actor=CELL, nation=pol, item=missile, quantity=40, ordered_on=dt.date(2024, 9, 1), reference="POL-IRIS-1",
        schedule=[{"due_on": shortfalls.add_months(today, 2), "quantity": 40}],
    )
    engine.shortfalls_recompute(pairs=None)
    return {"agreement": agreement, "call_off": call_off, "contract": contract, "maker": maker}
