"""CSV and XLSX export then import give the same rows; a bad row is a row error and nothing is written."""

import datetime as dt

import pytest
from django.urls import reverse

from coordination.access import CELL
from coordination.models import Item
from pledges.models import Pledge
from stockpiles.models import CurrentStock, StockReport
from stockpiles.services import stock_reports_bulk_create
from tests import factories
from tests.admin.helpers import confirm, export, preview


def _report_rows():
    return sorted(StockReport.objects.values_list("nation__code", "item__name", "as_of", "quantity"))


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_stock_report_round_trip(fmt, nations, coordinator_client, coordinator):
    shells = factories.ItemFactory(name="155 mm HE projectile")
    mlrs = factories.ItemFactory(name="GMLRS rocket", unit="missiles")
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": shells, "quantity": 4000, "as_of": dt.date(2024, 1, 1)},
        {"item": shells, "quantity": 3500, "as_of": dt.date(2024, 2, 1)},
        {"item": mlrs, "quantity": 12, "as_of": dt.date(2024, 2, 1)},
    ])
    stock_reports_bulk_create(actor=CELL, nation=nations["USA"], rows=[
        {"item": shells, "quantity": 250_000, "as_of": dt.date(2024, 2, 1)},
    ])
    original = _report_rows()
    assert len(original) == 4
    content = export(coordinator_client, "stockpiles", "stockreport", fmt)
    if fmt == "csv":
        assert content.decode().splitlines()[0] == "nation,item,as_of,quantity"
        assert "POL,155 mm HE projectile,2024-02-01,3500" in content.decode()

    # Re-importing the same file changes nothing: every row is already on file (append-only, skipped).
    result = preview(coordinator_client, "stockpiles", "stockreport", fmt, content).context["result"]
    assert [(r.number, r.error_dict) for r in result.invalid_rows] == [] and not result.has_errors()
    assert result.totals["skip"] == 4 and result.totals["new"] == 0

    # Into an empty table: the same rows come back, through the service (CurrentStock follows).
    CurrentStock.objects.all().delete()
    StockReport.objects.all().delete()
    response = preview(coordinator_client, "stockpiles", "stockreport", fmt, content)
    assert response.context["result"].totals["new"] == 4
    assert not StockReport.objects.exists()  # the preview is a dry run
    done = confirm(coordinator_client, "stockpiles", "stockreport", response)
    assert done.status_code == 302
    assert _report_rows() == original
    assert CurrentStock.objects.get(nation=nations["POL"], item=shells).quantity == 3500
    assert {r.history.get().history_user for r in StockReport.objects.all()} == {coordinator}


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_item_round_trip(fmt, coordinator_client):
    factories.ItemFactory(name="Fuze M739", nsn="1320012345678", unit="units", unit_value_eur=250)
    factories.ItemFactory(name="Stinger missile", unit="missiles", unit_value_eur=400_000,
                          category=factories.CategoryFactory(name="Air defence"))
    original = sorted(Item.objects.values_list("name", "category__name", "unit", "nsn", "unit_value_eur"))
    content = export(coordinator_client, "coordination", "item", fmt)
    Item.objects.all().delete()
    response = preview(coordinator_client, "coordination", "item", fmt, content)
    assert response.context["result"].totals["new"] == 2
    assert confirm(coordinator_client, "coordination", "item", response).status_code == 302
    assert sorted(Item.objects.values_list("name", "category__name", "unit", "nsn", "unit_value_eur")) == original


@pytest.mark.django_db
def test_bad_row_is_a_row_error_and_nothing_is_written(nations, item, today, coordinator_client):
    future = (today + dt.timedelta(days=3)).isoformat()
    content = (
        "nation,item,as_of,quantity\n"
        f"POL,{item.name},2024-01-01,100\n"
        f"POL,{item.name},{future},100\n"
        f"POL,{item.name},2024-01-02,-4\n"
        f"XXX,{item.name},2024-01-03,5\n"
    ).encode()
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", content)
    result = response.context["result"]
    assert response.context.get("confirm_form") is None  # cannot be confirmed
    invalid = {row.number: row.error_dict for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4}
    assert "cannot be dated in the future" in str(invalid[2])
    assert "cannot be negative" in str(invalid[3]["quantity"])
    assert invalid[4] == {"nation": ["No nation with code “XXX”."]}
    body = response.content.decode()
    assert "cannot be dated in the future" in body  # shown in the preview
    assert not StockReport.objects.exists()

    # Even the row-by-row confirm path is all or nothing: process a file with one bad row directly.
    import tablib

    from stockpiles.resources import StockReportResource

    dataset = tablib.Dataset().load(content.decode(), format="csv")
    result = StockReportResource(user=None).import_data(dataset, dry_run=False, user=response.wsgi_request.user)
    assert result.has_validation_errors()
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_pledge_import_goes_through_the_service(world, nations, item, polish_client, coordinator_client):
    # A Polish officer may not import a pledge for the United States: a row error, nothing written.
    content = (
        "id,donor,recipient,item,quantity,value_eur,announced_on,due_on,source,status,releasability,reference,notes\n"
        f",USA,UKR,{item.name},10,,2024-04-01,,national_stock,committed,alliance,,\n"
    ).encode()
    response = preview(polish_client, "pledges", "pledge", "csv", content)
    result = response.context["result"]
    assert result.has_validation_errors(), (result.totals, [r.errors for r in result.rows], result.base_errors)
    assert "another nation" in str(result.invalid_rows[0].error_dict) or "donor" in result.invalid_rows[0].error_dict
    assert Pledge.objects.count() == 2

    # Reducing a pledge below what is scheduled is refused in an import as in the form.
    pledge = world["pol_pledge"]
    content = (
        "id,donor,recipient,item,quantity,value_eur,announced_on,due_on,source,status,releasability,reference,notes\n"
        f"{pledge.pk},POL,UKR,{item.name},50,,2024-01-15,2024-06-30,national_stock,committed,public,,\n"
    ).encode()
    result = preview(coordinator_client, "pledges", "pledge", "csv", content).context["result"]
    assert "already in non-cancelled deliveries" in str(result.invalid_rows[0].error_dict["quantity"])
    pledge.refresh_from_db()
    assert pledge.quantity == 1000


@pytest.mark.django_db
def test_delivery_import_over_the_pledge_is_refused_whole(world, coordinator_client):
    pledge = world["pol_pledge"]  # 1000 pledged, 100 scheduled: 900 left
    content = (
        "id,pledge,quantity,status,shipped_on,delivered_on,reference\n"
        f",{pledge.pk},500,scheduled,,,\n"
        f",{pledge.pk},500,scheduled,,,\n"  # 100 + 500 + 500 > 1000
    ).encode()
    response = preview(coordinator_client, "pledges", "delivery", "csv", content)
    result = response.context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert "Only 400 of the 1,000 pledged are left" in str(result.invalid_rows[0].error_dict["quantity"])
    assert pledge.deliveries.count() == 1
    pledge.refresh_from_db()
    assert pledge.allocated_quantity == 100


@pytest.mark.django_db
def test_officer_imports_own_stock_reports_and_not_others(nations, item, polish_client, polish_officer):
    assert polish_client.get(reverse("admin:stockpiles_stockreport_import")).status_code == 200
    bad = f"nation,item,as_of,quantity\nPOL,{item.name},2024-05-01,10\nUSA,{item.name},2024-05-01,10\n".encode()
    result = preview(polish_client, "stockpiles", "stockreport", "csv", bad).context["result"]
    assert [row.number for row in result.invalid_rows] == [2]
    assert "may not change USA's stock reports" in str(result.invalid_rows[0].error_dict)
    good = f"nation,item,as_of,quantity\nPOL,{item.name},2024-05-01,10\n".encode()
    response = preview(polish_client, "stockpiles", "stockreport", "csv", good)
    assert confirm(polish_client, "stockpiles", "stockreport", response).status_code == 302
    report = StockReport.objects.get()
    assert (report.nation, report.quantity, report.reported_by) == (nations["POL"], 10, polish_officer)


@pytest.mark.django_db
def test_rows_refused_between_preview_and_confirm_roll_back_and_say_so(nations, item, coordinator_client):
    content = (f"nation,item,as_of,quantity\nPOL,{item.name},2024-05-01,10\n"
               f"POL,{item.name},2024-05-02,20\n").encode()
    response = preview(coordinator_client, "stockpiles", "stockreport", "csv", content)
    assert response.context["result"].totals["new"] == 2
    # Someone else reports POL's 2 May stock before this file is confirmed.
    stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=[
        {"item": item, "quantity": 99, "as_of": dt.date(2024, 5, 2)},
    ])
    done = confirm(coordinator_client, "stockpiles", "stockreport", response)
    assert done.status_code == 302
    messages = [str(m) for m in done.wsgi_request._messages]
    assert any("Nothing was imported" in m for m in messages), messages
    assert sorted(StockReport.objects.values_list("as_of", "quantity")) == [(dt.date(2024, 5, 2), 99)]


@pytest.mark.django_db
def test_stock_report_import_query_count_is_flat(nations, coordinator, django_assert_max_num_queries):
    """Lookups are cached per value and new rows are written in one bulk call per nation."""
    import tablib

    from stockpiles.resources import StockReportResource

    items = [factories.ItemFactory(name=f"Item {i}") for i in range(5)]
    lines = ["nation,item,as_of,quantity"] + [
        f"{code},{it.name},2024-01-{day:02d},{day * 10}"
        for code in ("POL", "USA") for it in items for day in range(1, 11)
    ]
    dataset = tablib.Dataset().load("\n".join(lines), format="csv")
    # Per row: import-export's savepoint, its release and the append-only existence check (3 x 100).
    # Then a fixed number: scope, lookups (2 nations + 5 items, cached), and per nation one duplicate
    # check, report and history inserts, CurrentStock read and upsert, mark upsert (< 40).
    with django_assert_max_num_queries(3 * 100 + 40):
        result = StockReportResource(user=coordinator).import_data(dataset, dry_run=False, user=coordinator)
    assert not result.has_validation_errors() and result.totals["new"] == 100
    assert StockReport.objects.count() == 100
