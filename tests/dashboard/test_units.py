"""Quantities of different units are never added: the monthly deliveries give counts and EUR only, and every
table that shows a pledge's quantity says its unit."""

import csv
import datetime as dt
import io

import pytest

from coordination.access import CELL
from pledges import services as pledge_services
from pledges.models import Delivery

pytestmark = pytest.mark.django_db


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_deliveries_per_month_never_adds_rounds_and_missiles(client, coordinator, demo):
    # 500 rounds delivered in the month the 20 missiles were: one month, two units.
    pledge_services.delivery_create(actor=CELL, pledge_id=demo["usa_pledge"].pk, quantity=100,
                                    status=Delivery.Status.DELIVERED, shipped_on=dt.date(2024, 4, 2),
                                    delivered_on=dt.date(2024, 4, 20))
    client.force_login(coordinator)
    table = client.get("/").context["tables"]["deliveries"]
    assert [c.key for c in table.columns] == ["month", "count", "value"]
    rows = csv_rows(client.get("/", {"export": "csv", "table": "deliveries"}))
    assert rows[0] == ["Month", "Deliveries", "Delivered value (EUR)"]
    april = next(r for r in rows[1:] if r[0] == "2024-04")
    assert april[1] == "2"  # two deliveries, no quantity "120" mixing rounds and missiles
    assert "120" not in april


def test_pledge_tables_name_the_unit(client, coordinator, demo):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/pledges/", {"export": "csv", "table": "pledges"}))
    unit = rows[0].index("Unit")
    assert rows[0][unit - 2:unit + 1] == ["Quantity", "Delivered", "Unit"]
    assert sorted(r[unit] for r in rows[1:]) == ["missiles", "rounds"]
    html = client.get("/pledges/").content.decode()
    assert ">Unit</th>" in html
    overdue = csv_rows(client.get("/", {"export": "csv", "table": "overdue"}))
    assert overdue[0][-2:] == ["Outstanding quantity", "Unit"]
    assert overdue[1][-2:] == ["2000", "rounds"]  # 500 in transit are not delivered
