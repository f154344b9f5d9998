import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coordination.access import CELL
from coordination.services import BulkValidationError
from stockpiles.models import CurrentStock, Shortfall, StockReport
from stockpiles.services import stock_report_create, stock_reports_bulk_create
from tests import factories


@pytest.mark.django_db
def test_report_updates_current_stock_and_shortfall(nations, item, polish_officer,
                                                    django_capture_on_commit_callbacks):
    factories.GuidelineFactory(item=item, minimum_quantity=10_000)
    pol = nations["POL"]
    with django_capture_on_commit_callbacks(execute=True):
        stock_report_create(actor=polish_officer, nation=pol, item=item, quantity=4000, as_of=dt.date(2024, 1, 1))
        stock_report_create(actor=polish_officer, nation=pol, item=item, quantity=6000, as_of=dt.date(2024, 2, 1))
        # An older report arriving late does not move CurrentStock back.
        stock_report_create(actor=polish_officer, nation=pol, item=item, quantity=1, as_of=dt.date(2023, 12, 1))
    current = CurrentStock.objects.get(nation=nations["POL"], item=item)
    assert (current.quantity, current.as_of) == (6000, dt.date(2024, 2, 1))
    assert StockReport.objects.count() == 3
    row = Shortfall.objects.get(nation=nations["POL"], item=item)  # eager task ran on commit
    assert (row.on_hand, row.guideline, row.shortfall, row.status) == (6000, 10_000, 4000, "below_guideline")


@pytest.mark.django_db
def test_report_for_another_nation_is_refused(nations, item, polish_officer):
    with pytest.raises(PermissionDenied):
        stock_report_create(actor=polish_officer, nation=nations["USA"], item=item, quantity=1,
                            as_of=dt.date(2024, 1, 1))
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_future_negative_and_duplicate_reports_are_validation_errors(nations, item, today):
    stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=5, as_of=dt.date(2024, 1, 1))
    with pytest.raises(ValidationError) as exc:
        stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=5, as_of=dt.date(2024, 1, 1))
    assert "already reported" in str(exc.value.message_dict["as_of"])
    with pytest.raises(ValidationError) as exc:
        stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=-1,
                            as_of=today + dt.timedelta(days=1))
    assert set(exc.value.message_dict) == {"quantity", "as_of"}


@pytest.mark.django_db
def test_bulk_is_all_or_nothing_with_row_errors(nations, item):
    rows = [
        {"item": item, "quantity": 10, "as_of": dt.date(2024, 1, 1)},
        {"item": item, "quantity": -3, "as_of": dt.date(2024, 1, 2)},
        {"item": item, "quantity": 10, "as_of": dt.date(2024, 1, 1)},
    ]
    with pytest.raises(BulkValidationError) as exc:
        stock_reports_bulk_create(actor=CELL, nation=nations["POL"], rows=rows)
    assert set(exc.value.row_errors) == {1, 2}
    assert not StockReport.objects.exists()
    assert not CurrentStock.objects.exists()
