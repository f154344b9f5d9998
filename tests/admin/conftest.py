"""Fixtures for the admin tests: one record of every registered model, and logged-in clients."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from coordination.access import CELL
from pledges.models import AidFlow, Delivery
from stockpiles import engine
from stockpiles import services as stock_services
from stockpiles.models import Alert, ShortfallMark
from tests import factories


@pytest.fixture
def world(nations, item, coordinator):
    """A small world: POL and USA pledges, reports, rates; UKR requirements; computed rows."""
    pol, usa, ukr = nations["POL"], nations["USA"], nations["UKR"]
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    pol_pledge = factories.PledgeFactory(donor=pol, recipient=ukr, item=item, quantity=1000, releasability="public")
    usa_pledge = factories.PledgeFactory(donor=usa, recipient=ukr, item=item, quantity=2000, releasability="public")
    delivery = factories.DeliveryFactory(pledge=pol_pledge, quantity=100, status=Delivery.Status.SCHEDULED)
    pol_pledge.allocated_quantity = 100
    pol_pledge.save()
    stock_services.stock_report_create(actor=CELL, nation=pol, item=item, quantity=4000, as_of=dt.date(2024, 1, 1))
    stock_services.stock_report_create(actor=CELL, nation=usa, item=item, quantity=9000, as_of=dt.date(2024, 1, 1))
    factories.ProductionRateFactory(nation=pol, item=item, units_per_month=500)
    factories.ProductionRateFactory(nation=usa, item=item, units_per_month=80_000)
    factories.TrainingCommitmentFactory(donor=pol, recipient=ukr)
    factories.RequirementFactory(recipient=ukr, item=item)
    AidFlow.objects.create(nation=pol, month=dt.date(2024, 1, 1), allocated_eur=100, military_eur=80,
                           financial_eur=10, humanitarian_eur=10, committed_eur=150, to_be_allocated_eur=50)
    # Joint procurement: a US line, a POL-led agreement with USA joining, a POL call-off with a schedule.
    line = factories.ProductionLineFactory(manufacturer=factories.ManufacturerFactory(name="Maker", nation=usa),
                                           item=item, name="Line A")
    factories.LineRateFactory(line=line, units_per_month=20_000)
    agreement = factories.FrameworkAgreementFactory(name="POL FA", lead_nation=pol, item=item, ceiling_quantity=50_000)
    factories.AgreementParticipantFactory(agreement=agreement, nation=pol, planned_quantity=30_000)
    factories.AgreementParticipantFactory(agreement=agreement, nation=usa, planned_quantity=20_000,
                                          joined_on=dt.date(2024, 3, 1))
    pol_order = factories.OrderFactory(nation=pol, item=item, agreement=agreement, quantity=5000, reference="POL-1")
    factories.OrderScheduleLineFactory(order=pol_order, due_on=dt.date(2024, 6, 1), quantity=2000)
    usa_order = factories.OrderFactory(nation=usa, item=item, quantity=7000, reference="USA-1")
    factories.OrderScheduleLineFactory(order=usa_order, due_on=dt.date(2024, 7, 1), quantity=7000)
    engine.shortfalls_recompute(pairs=None)
    stock_services.snapshot_create(actor=CELL, name="Weekly briefing")
    ShortfallMark.objects.get_or_create(nation=pol, item=item)
    Alert.objects.create(kind="below_guideline", nation=pol, item=item, key=f"below:POL:{item.pk}",
                         message="POL below guideline", opened_at=timezone.now())
    return {"pol_pledge": pol_pledge, "usa_pledge": usa_pledge, "delivery": delivery, "agreement": agreement,
            "pol_order": pol_order, "usa_order": usa_order, "line": line}


@pytest.fixture
def coordinator_client(coordinator):
    client = Client()
    client.force_login(coordinator)
    return client


@pytest.fixture
def polish_client(polish_officer):
    client = Client()  # a client of its own, so a test can use both
    client.force_login(polish_officer)
    return client
