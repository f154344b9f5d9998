"""Every date field accepts a sane window (coordination/dates.py): a date like 0001-01-01 or 9999-12-31 is a
400 naming the field and the window, through the API, the admin's model validation, the services and the
CSV import alike. A stock report is never dated in the future."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from coordination.access import CELL
from coordination.dates import date_window
from pledges.models import Pledge
from stockpiles import procurement_services
from stockpiles.models import Order, OrderScheduleLine, ProductionRate, StockReport
from tests import factories

pytestmark = pytest.mark.django_db

FAR = ("0001-01-01", "9999-12-31", "1989-12-31")


def _window_text() -> str:
    first, last = date_window()
    return f"from {first.isoformat()} to {last.isoformat()}"


def _assert_refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    text = str(body)
    assert field in text and _window_text()[:15] in text, body


@pytest.mark.parametrize("day", FAR)
def test_order_schedule_line_outside_the_window_is_refused(pol, item, day):
    response = pol.post("/api/v1/orders/", {
        "item": item.pk, "quantity": 500, "ordered_on": "2024-05-01", "reference": "POL-1",
        "schedule": [{"due_on": day, "quantity": 200}],
    }, format="json")
    _assert_refused(response, "due_on")
    assert not Order.objects.exists() and not OrderScheduleLine.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31"])
def test_stock_report_before_the_window_is_refused(pol, item, day):
    response = pol.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 5, "as_of": day}, format="json")
    _assert_refused(response, "as_of")
    assert not StockReport.objects.exists()


def test_stock_report_in_the_future_is_refused_naming_today(pol, item, today):
    tomorrow = today + dt.timedelta(days=1)
    response = pol.post("/api/v1/stock-reports/bulk/", [{"item": item.pk, "quantity": 5,
                                                         "as_of": tomorrow.isoformat()}], format="json")
    assert response.status_code == 400
    assert "cannot be dated in the future" in str(response.json()) and today.isoformat() in str(response.json())


@pytest.mark.parametrize("field", ["due_on", "announced_on"])
def test_pledge_dates_outside_the_window_are_refused(pol, nations, item, field):
    body = {"recipient": "UKR", "item": item.pk, "quantity": 10, "announced_on": "2024-01-01",
            "due_on": "2024-06-01", field: "9999-12-31"}
    _assert_refused(pol.post("/api/v1/pledges/", body, format="json"), field)
    assert not Pledge.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_production_rate_dates_outside_the_window_are_refused(pol, item, day):
    response = pol.post("/api/v1/production-rates/", {"item": item.pk, "units_per_month": 10, "effective_from": day},
                        format="json")
    _assert_refused(response, "effective_from")
    assert not ProductionRate.objects.exists()


@pytest.mark.parametrize("field", ["start_on", "end_on"])
def test_training_dates_outside_the_window_are_refused(pol, nations, field):
    body = {"recipient": "UKR", "programme": "Gunners", "trainees_committed": 10, field: "0001-01-01"}
    _assert_refused(pol.post("/api/v1/training-commitments/", body, format="json"), field)


def test_services_refuse_what_the_api_refuses(nations, item):
    """The rule is in the model layer: a command or import calling the service gets the same refusal."""
    with pytest.raises(ValidationError) as exc:
        procurement_services.order_create(actor=CELL, nation=nations["POL"], item=item, quantity=5,
                                          ordered_on=dt.date(2024, 1, 1),
                                          schedule=[{"due_on": dt.date(9999, 12, 31), "quantity": 5}])
    assert "due_on" in str(exc.value) and _window_text() in str(exc.value)
    rate = ProductionRate(nation=nations["POL"], item=item, units_per_month=1, effective_from=dt.date(1, 1, 1))
    with pytest.raises(ValidationError) as exc:
        procurement_services.production_rate_save(actor=CELL, rate=rate)
    assert exc.value.message_dict["effective_from"] == [f"Give a date {_window_text()}."]


def test_the_window_is_a_setting(pol, item, settings):
    settings.DATE_WINDOW_START = dt.date(2020, 1, 1)
    response = pol.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 5, "as_of": "2019-12-31"},
                        format="json")
    assert response.status_code == 400 and "2020-01-01" in str(response.json())
    assert pol.post("/api/v1/stock-reports/", {"item": item.pk, "quantity": 5, "as_of": "2020-01-01"},
                    format="json").status_code == 201


def test_nation_accession_dates_keep_their_history(nations):
    nation = factories.NationFactory(code="NOR", name="Norway")
    nation.joined_on = dt.date(1949, 4, 4)
    nation.full_clean()
    nation.joined_on = dt.date(1, 1, 1)
    with pytest.raises(ValidationError):
        nation.full_clean()
