"""Issue 16, point 12: every import takes an item by NSN, name or id and says so; a long file's preview is a
summary and its errors, not every row."""

import datetime as dt
import time

import pytest
from django.urls import reverse

from pledges.models import Requirement
from stockpiles.models import StockReport
from tests import factories
from tests.admin.helpers import confirm, preview


@pytest.fixture
def items(db):
    he = factories.ItemFactory(name="155 mm HE projectile", unit="rounds", nsn="1320012345678")
    amraam = factories.ItemFactory(name="AIM-120 AMRAAM", unit="missiles", nsn="1410015550120")
    return he, amraam


@pytest.mark.django_db
def test_stock_report_import_takes_nsn_name_or_id(nations, items, coordinator_client):
    he, amraam = items
    content = ("nation,item,as_of,quantity\n"
               "POL,1410015550120,2024-05-01,10\n"        # the national spreadsheet: a bare NSN
               "POL,1320-01-234-5678,2024-05-01,20\n"     # an NSN as people write it
               "USA,AIM-120 AMRAAM,2024-05-01,30\n"       # the name
               f"USA,{he.pk},2024-05-01,40\n").encode()   # the id
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", content)
    result = response.context["result"]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert confirm(coordinator_client, "stockpiles", "stockreport", response).status_code == 302
    assert sorted(StockReport.objects.values_list("nation__code", "item__name", "quantity")) == [
        ("POL", "155 mm HE projectile", 20), ("POL", "AIM-120 AMRAAM", 10),
        ("USA", "155 mm HE projectile", 40), ("USA", "AIM-120 AMRAAM", 30),
    ]


@pytest.mark.django_db
def test_an_unknown_item_says_what_was_tried(nations, items, coordinator_client):
    content = b"nation,item,as_of,quantity\nPOL,1410015550999,2024-05-01,10\n"
    result = preview(coordinator_client, "stockpiles", "stockreport", "csv", content).context["result"]
    message = str(result.invalid_rows[0].error_dict["item"])
    assert "No item with the NSN, name or id “1410015550999”." in message
    assert "No item with name" not in message


@pytest.mark.django_db
def test_other_imports_take_an_nsn_too(nations, items, coordinator_client):
    content = (b"id,recipient,item,quantity,period_from,period_to,priority,notes\n"
               b",UKR,1320-01-234-5678,5000,2024-01-01,2024-12-31,1,\n")
    response = preview(coordinator_client, "pledges", "requirement", "csv", content)
    assert not response.context["result"].has_validation_errors()
    confirm(coordinator_client, "pledges", "requirement", response)
    assert Requirement.objects.get().item == items[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("app", "model"), [("stockpiles", "stockreport"), ("pledges", "pledge"),
                                            ("stockpiles", "stockpileguideline"), ("stockpiles", "order")])
def test_the_import_page_says_how_to_name_an_item(coordinator_client, app, model):
    page = coordinator_client.get(reverse(f"admin:{app}_{model}_import")).content.decode()
    assert "takes the item's NATO Stock Number (13 digits, or 4-2-3-4 such as 1320-01-234-5678), " \
           "its name or its id." in page


def _big_file(items, rows: int, *, bad_every: int = 0) -> bytes:
    lines = ["nation,item,as_of,quantity"]
    start = dt.date(2000, 1, 1)
    for n in range(rows):
        item = items[n % 2]
        day = start + dt.timedelta(days=n // 2)
        quantity = "-1" if bad_every and n % bad_every == 0 else str(n)
        lines.append(f"POL,{item.nsn},{day.isoformat()},{quantity}")
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.django_db
def test_a_10000_row_preview_is_a_summary_not_every_row(nations, items, coordinator_client, capsys):
    content = _big_file(items, 10_000)
    started = time.perf_counter()
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", content)
    page = response.content.decode()
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n10,000-row stock report preview: {elapsed:.1f} s, page {len(response.content) / 1024:.0f} KB")
    assert len(response.content) < 1_000_000
    assert "10,000 rows: 10,000 new, 0 changed, 0 unchanged (skipped). No errors." in page
    assert page.count('<tr class="new">') == 20
    assert response.context["confirm_form"] is not None
    assert not StockReport.objects.exists()  # a preview writes nothing


@pytest.mark.django_db
def test_a_long_file_with_errors_lists_the_errors_with_row_numbers(nations, items, coordinator_client):
    content = _big_file(items, 1000, bad_every=100)  # rows 1, 101, 201, ... have a negative quantity
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", content)
    page = response.content.decode()
    assert "10 of 1,000 rows have errors; nothing was imported." in page
    assert "<td>101</td>" in page and "<td>901</td>" in page
    assert "quantity: The quantity on hand cannot be negative." in page
    assert "Confirm import" not in page


@pytest.mark.django_db
def test_a_short_file_still_lists_every_row(nations, items, coordinator_client):
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", _big_file(items, 5))
    assert "import_summary" not in response.context or not response.context["import_summary"]
    assert response.content.decode().count('<tr class="new">') == 5
