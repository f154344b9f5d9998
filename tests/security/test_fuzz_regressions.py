"""The inputs the service fuzzing (test_fuzz_services.py) found crashing a service, pinned one by one.

Each was an exception other than ValidationError (a 500 behind an import, the admin or a caller) or,
on SQLite, a row no other database would take.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordination.access import CELL
from coordination.models import Category
from coordination.services import BulkValidationError, record_save
from pledges import services as pledge_services
from pledges.models import Pledge, TrainingCommitment
from stockpiles import services as stock_services
from stockpiles.models import StockReport
from tests import factories

pytestmark = pytest.mark.django_db


def _pledge(nations, item, **fields):
    values = {"donor": nations["POL"], "recipient": nations["UKR"], "item": item, "quantity": 10,
              "announced_on": dt.date(2024, 1, 1), **fields}
    return pledge_services.pledge_create(actor=CELL, **values)


# --- One shared rule (coordination.services.clean_values, in validate_instance) ------------------------

@pytest.mark.parametrize("name,message", [
    ("a\x00b", "NUL characters are not allowed."),  # PostgreSQL: DataError; SQLite: stored as is
    ("\ud800", "The text is not valid Unicode (it holds an unpaired surrogate)."),  # UnicodeEncodeError
])
def test_text_no_database_can_hold_is_a_validation_error(name, message):
    with pytest.raises(ValidationError) as exc:
        record_save(actor=CELL, obj=Category(name=name))
    assert exc.value.message_dict == {"name": [message]}
    assert not Category.objects.exists()


def test_nul_in_a_pledge_note_is_a_validation_error(nations, item):
    with pytest.raises(ValidationError) as exc:
        _pledge(nations, item, notes="line\x00break", reference="\udfff")
    assert set(exc.value.message_dict) == {"notes", "reference"}
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("fields,field", [
    ({"quantity": float("inf")}, "quantity"),        # was OverflowError
    ({"quantity": 2.5}, "quantity"),                 # was silently stored as 2
    ({"quantity": True}, "quantity"),                # was stored as 1
    ({"announced_on": 20240101}, "announced_on"),    # was TypeError (fromisoformat)
    ({"value_eur": [1]}, "value_eur"),
])
def test_values_of_the_wrong_type_are_validation_errors(nations, item, fields, field):
    with pytest.raises(ValidationError) as exc:
        _pledge(nations, item, **fields)
    assert field in exc.value.message_dict


def test_a_long_text_is_kept_whole(nations, item):
    pledge = _pledge(nations, item, notes="\u202e😀" * 5000)
    assert Pledge.objects.get(pk=pledge.pk).notes == "\u202e😀" * 5000


def test_pledge_update_with_a_quantity_of_the_wrong_type(nations, item):
    """The reduction check compared the raw value with an int: TypeError."""
    pledge = _pledge(nations, item)
    with pytest.raises(ValidationError) as exc:
        pledge_services.pledge_update(actor=CELL, pledge_id=pledge.pk, quantity="")
    assert "quantity" in exc.value.message_dict
    pledge = pledge_services.pledge_update(actor=CELL, pledge_id=pledge.pk, quantity="12")
    assert Pledge.objects.get(pk=pledge.pk).quantity == 12


def test_delivery_with_an_invalid_date_beside_a_valid_one(nations, item):
    """The shipped/delivered order check compared a rejected raw value with a date: TypeError."""
    pledge = _pledge(nations, item)
    with pytest.raises(ValidationError) as exc:
        pledge_services.delivery_create(actor=CELL, pledge_id=pledge.pk, quantity=1,
                                        shipped_on=dt.date(2024, 1, 1), delivered_on=20240102)
    assert "delivered_on" in exc.value.message_dict


def test_training_commitment_with_an_infinite_count(nations):
    commitment = TrainingCommitment(donor=nations["POL"], recipient=nations["UKR"], programme="x",
                                    trainees_committed=float("-inf"))
    with pytest.raises(ValidationError) as exc:
        pledge_services.training_commitment_save(actor=CELL, commitment=commitment)
    assert "trainees_committed" in exc.value.message_dict


# --- Stock reports (their own row check, no model validation per row) -------------------------------

@pytest.mark.parametrize("row,field", [
    ({"quantity": 2**63, "as_of": dt.date(2024, 1, 1)}, "quantity"),  # was OverflowError / DataError
    ({"quantity": 1, "as_of": dt.datetime(2024, 1, 1, 12)}, "as_of"),  # was TypeError (datetime vs date)
])
def test_stock_report_out_of_range_or_wrong_type(nations, item, row, field):
    with pytest.raises(ValidationError) as exc:
        stock_services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, **row)
    assert field in exc.value.message_dict
    assert not StockReport.objects.exists()
    report = stock_services.stock_report_create(actor=CELL, nation=nations["POL"], item=item, quantity=2**63 - 1,
                                                as_of=dt.date(2024, 1, 1))
    assert StockReport.objects.get(pk=report.pk).quantity == 2**63 - 1


# --- Bulk deliveries: pledge ids that cannot be ids ------------------------------------------------

def test_bulk_delivery_rows_with_impossible_pledge_ids(nations, item):
    pledge = factories.PledgeFactory(donor=nations["POL"], item=item, quantity=100)
    rows = [{"pledge_id": pledge.pk, "quantity": 1},
            {"pledge_id": [pledge.pk], "quantity": 1},  # was TypeError: unhashable type
            {"pledge_id": 2**70, "quantity": 1},        # was OverflowError in the lock query
            {"pledge_id": True, "quantity": 1}]         # was pledge 1
    with pytest.raises(BulkValidationError) as exc:
        pledge_services.deliveries_bulk_create(actor=CELL, rows=rows)
    assert sorted(exc.value.row_errors) == [1, 2, 3]
    assert all("pledge" in errors for errors in exc.value.row_errors.values())
