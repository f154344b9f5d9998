"""Each record's history page shows its changes, including those written by bulk paths."""

import datetime as dt

import pytest
from django.urls import reverse

from pledges.models import Delivery
from pledges.services import deliveries_bulk_create, pledge_update
from stockpiles.models import StockReport
from stockpiles.services import stock_reports_bulk_create
from tests import factories


@pytest.mark.django_db
def test_history_shows_rows_written_by_the_bulk_stock_report_path(nations, item, polish_officer, coordinator_client):
    reports = stock_reports_bulk_create(actor=polish_officer, nation=nations["POL"], user=polish_officer, rows=[
        {"item": item, "quantity": 4000, "as_of": dt.date(2024, 1, 1)},
        {"item": item, "quantity": 3800, "as_of": dt.date(2024, 2, 1)},
    ])
    report = StockReport.objects.get(pk=reports[1].pk)
    response = coordinator_client.get(reverse("admin:stockpiles_stockreport_history", args=[report.pk]))
    assert response.status_code == 200
    records = list(response.context["page_obj"].object_list)
    assert [(r.history_type, r.quantity, r.history_user) for r in records] == [("+", 3800, polish_officer)]
    assert "pol-officer" in response.content.decode()


@pytest.mark.django_db
def test_history_shows_bulk_deliveries_and_a_pledge_reduction(nations, item, coordinator, coordinator_client):
    pledge = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=1000)
    pledge_update(actor=coordinator, pledge_id=pledge.pk, user=coordinator, quantity=800)
    (delivery,) = deliveries_bulk_create(actor=coordinator, user=coordinator, rows=[
        {"pledge_id": pledge.pk, "quantity": 300, "status": Delivery.Status.SCHEDULED},
    ])

    response = coordinator_client.get(reverse("admin:pledges_pledge_history", args=[pledge.pk]))
    assert response.status_code == 200
    records = list(response.context["page_obj"].object_list)
    # Newest first: the delivery totals the coordinator's delivery changed, the reduction by the
    # coordinator, then the creation (by the test factory, no user).
    assert [(r.history_type, r.quantity, r.allocated_quantity, r.history_user, r.history_change_reason)
            for r in records] == [
        ("~", 800, 300, coordinator, "Delivery totals"), ("~", 800, 0, coordinator, None), ("+", 1000, 0, None, None),
    ]
    body = response.content.decode()
    assert "quantity" in body.lower() and "1000" in body and "800" in body  # the change is shown

    response = coordinator_client.get(reverse("admin:pledges_delivery_history", args=[delivery.pk]))
    assert response.status_code == 200
    assert [(r.history_type, r.quantity) for r in response.context["page_obj"].object_list] == [("+", 300)]


@pytest.mark.django_db
def test_admin_edit_appears_in_history_and_revert_is_disabled(world, nations, coordinator, coordinator_client):
    from tests.admin.test_writes import _pledge_data

    pledge = world["pol_pledge"]
    response = coordinator_client.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]),
                                       _pledge_data(pledge, nations, reference="Press release 2024-03"))
    assert response.status_code == 302
    latest = pledge.history.first()
    assert (latest.reference, latest.history_user) == ("Press release 2024-03", coordinator)

    url = reverse("admin:pledges_pledge_simple_history", args=[pledge.pk, latest.history_id])
    assert coordinator_client.get(url).status_code == 200  # a past version can be looked at
    assert coordinator_client.post(url, {}).status_code == 403  # but not written back past the services


@pytest.mark.django_db
def test_history_shows_aid_flows_written_by_the_tracker_import_bulk_path(nations, coordinator_client):
    from decimal import Decimal

    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    from pledges.models import AidFlow

    amounts = dict(allocated_eur=Decimal("100.00"), military_eur=Decimal("80.00"), financial_eur=Decimal("10.00"),
                   humanitarian_eur=Decimal("10.00"), committed_eur=Decimal("150.00"),
                   to_be_allocated_eur=Decimal("50.00"))
    # The same calls coordination/ust.py (import_ust) makes.
    bulk_create_with_history([AidFlow(nation=nations["POL"], month=dt.date(2024, 1, 1), **amounts)], AidFlow,
                             default_change_reason="Kiel tracker")
    flow = AidFlow.objects.get()
    flow.allocated_eur = Decimal("120.00")
    bulk_update_with_history([flow], AidFlow, ["allocated_eur"], default_change_reason="Kiel tracker")

    response = coordinator_client.get(reverse("admin:pledges_aidflow_history", args=[flow.pk]))
    assert response.status_code == 200
    records = list(response.context["page_obj"].object_list)
    assert [(r.history_type, r.allocated_eur, r.history_change_reason) for r in records] == [
        ("~", Decimal("120.00"), "Kiel tracker"), ("+", Decimal("100.00"), "Kiel tracker"),
    ]
