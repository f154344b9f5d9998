"""Admin writes go through the services: a broken rule is a form error and writes nothing."""

import datetime as dt

import pytest
from django.urls import reverse

from pledges.models import Delivery, Pledge
from stockpiles.models import CurrentStock, StockReport


def _pledge_data(pledge, nations, **overrides):
    data = {
        "donor": pledge.donor_id, "recipient": pledge.recipient_id, "item": pledge.item_id,
        "quantity": pledge.quantity, "value_eur": "1000000.00", "source": pledge.source, "status": pledge.status,
        "releasability": pledge.releasability, "announced_on": pledge.announced_on.isoformat(),
        "due_on": pledge.due_on.isoformat() if pledge.due_on else "", "reference": "", "notes": "",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0", "deliveries-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


def _with_delivery_rows(data, rows, *, initial=0):
    data["deliveries-TOTAL_FORMS"] = str(len(rows))
    data["deliveries-INITIAL_FORMS"] = str(initial)
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"deliveries-{i}-{key}"] = value
    return data


def _errors(response):
    assert response.status_code == 200, "expected the form again, with errors"
    return response.context["adminform"].form.errors


@pytest.mark.django_db
def test_add_pledge_with_deliveries_inline_goes_through_services(nations, item, coordinator_client, coordinator):
    data = _pledge_data(Pledge(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=1000,
                               source="national_stock", status="committed", releasability="alliance",
                               announced_on=dt.date(2024, 3, 1), due_on=dt.date(2024, 9, 1)), nations)
    _with_delivery_rows(data, [
        {"quantity": "300", "status": "delivered", "shipped_on": "2024-03-10", "delivered_on": "2024-03-20"},
        {"quantity": "200", "status": "scheduled"},
    ])
    response = coordinator_client.post(reverse("admin:pledges_pledge_add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    pledge = Pledge.objects.get()
    # Totals are derived by the delivery service, never typed in.
    assert (pledge.allocated_quantity, pledge.shipped_quantity, pledge.delivered_quantity) == (500, 300, 300)
    assert sorted(pledge.deliveries.values_list("quantity", flat=True)) == [200, 300]
    assert pledge.history.first().history_user == coordinator
    assert {d.history.first().history_user for d in pledge.deliveries.all()} == {coordinator}


@pytest.mark.django_db
def test_inline_deliveries_above_the_pledge_are_row_errors(world, nations, coordinator_client):
    pledge = world["pol_pledge"]  # 1000 pledged, 100 already scheduled
    data = _pledge_data(pledge, nations)
    delivery = world["delivery"]
    _with_delivery_rows(data, [
        {"id": delivery.pk, "pledge": pledge.pk, "quantity": "100", "status": "scheduled"},
        {"quantity": "600", "status": "scheduled"},
        {"quantity": "400", "status": "scheduled"},  # 100 + 600 + 400 > 1000
    ], initial=1)
    response = coordinator_client.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[1].errors == {}
    assert "Only 300 of the 1,000 pledged are left" in str(formset.forms[2].errors["quantity"])
    assert Delivery.objects.filter(pledge=pledge).count() == 1
    pledge.refresh_from_db()
    assert pledge.allocated_quantity == 100


@pytest.mark.django_db
def test_delivery_add_above_what_is_left_is_a_form_error(world, coordinator_client):
    pledge = world["pol_pledge"]
    response = coordinator_client.post(reverse("admin:pledges_delivery_add"), {
        "pledge": pledge.pk, "quantity": "901", "status": "scheduled",
    })
    assert "Only 900 of the 1,000 pledged are left" in str(_errors(response)["quantity"])
    assert Delivery.objects.filter(pledge=pledge).count() == 1


@pytest.mark.django_db
def test_pledge_reduction_below_scheduled_is_a_form_error(world, nations, coordinator_client):
    pledge = world["pol_pledge"]
    response = coordinator_client.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]),
                                       _pledge_data(pledge, nations, quantity="50"))
    assert "100 are already in non-cancelled deliveries" in str(_errors(response)["quantity"])
    pledge.refresh_from_db()
    assert pledge.quantity == 1000

    response = coordinator_client.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]),
                                       _pledge_data(pledge, nations, quantity="150"))
    assert response.status_code == 302
    pledge.refresh_from_db()
    assert pledge.quantity == 150
    assert [h.quantity for h in pledge.history.order_by("history_date")][-2:] == [1000, 150]  # recorded


@pytest.mark.django_db
@pytest.mark.parametrize("quantity, as_of, field, message", [
    ("10", "FUTURE", "as_of", "cannot be dated in the future"),
    ("-5", "2024-03-01", "quantity", "cannot be negative"),
    ("10", "2024-01-01", "as_of", "POL already reported this item for 2024-01-01"),  # the world fixture's
])
def test_stock_report_rule_broken_is_a_form_error(world, nations, item, today, coordinator_client,
                                                  quantity, as_of, field, message):
    if as_of == "FUTURE":
        as_of = (today + dt.timedelta(days=1)).isoformat()
    before = (StockReport.objects.count(), CurrentStock.objects.get(nation=nations["POL"]).quantity)
    response = coordinator_client.post(reverse("admin:stockpiles_stockreport_add"), {
        "nation": nations["POL"].pk, "item": item.pk, "quantity": quantity, "as_of": as_of,
    })
    errors = _errors(response)
    assert message in str(errors.get(field)), errors
    assert (StockReport.objects.count(), CurrentStock.objects.get(nation=nations["POL"]).quantity) == before


@pytest.mark.django_db
def test_training_completed_and_dates_checked(nations, coordinator_client):
    response = coordinator_client.post(reverse("admin:pledges_trainingcommitment_add"), {
        "donor": nations["POL"].pk, "recipient": nations["UKR"].pk, "programme": "Leopard 2 crew",
        "trainees_committed": "100", "trainees_completed": "0", "status": "planned",
        "start_on": "2024-05-01", "end_on": "2024-04-01",
    })
    errors = str(_errors(response))
    assert "The end date cannot be before the start date." in errors and "training_end_after_start" not in errors
    response = coordinator_client.post(reverse("admin:pledges_trainingcommitment_add"), {
        "donor": nations["POL"].pk, "recipient": nations["UKR"].pk, "programme": "Leopard 2 crew",
        "trainees_committed": "100", "trainees_completed": "20", "status": "in_progress",
        "start_on": "2024-03-01", "end_on": "2024-04-01",
    })
    assert response.status_code == 302
    from pledges.models import TrainingCommitment

    assert TrainingCommitment.objects.get().trainees_completed == 20


@pytest.mark.django_db
def test_guideline_saved_marks_pairs_for_recompute(world, nations, item, coordinator_client):
    from stockpiles.engine import shortfalls_recompute_marked
    from stockpiles.models import Shortfall, ShortfallMark

    ShortfallMark.objects.all().delete()
    response = coordinator_client.post(reverse("admin:stockpiles_stockpileguideline_add"), {
        "item": item.pk, "nation": nations["POL"].pk, "minimum_quantity": "20000", "effective_from": "2021-01-01",
    })
    assert response.status_code == 302
    assert set(ShortfallMark.objects.values_list("nation_id", "item_id")) == {(nations["POL"].pk, item.pk)}
    shortfalls_recompute_marked()  # what the task enqueued on commit does
    row = Shortfall.objects.get(nation=nations["POL"], item=item)
    # on hand 4000, owed 1000 - 0 shipped = 1000, available 3000: shortfall 20000 - 3000
    assert (row.guideline, row.available, row.shortfall) == (20_000, 3000, 17_000)


@pytest.mark.django_db
def test_refusal_after_validation_rolls_back_and_is_a_message(world, nations, coordinator_client, monkeypatch):
    """A concurrent write between validation and save: the whole request rolls back, no 500."""
    from django.core.exceptions import ValidationError

    from pledges import services

    pledge = world["pol_pledge"]
    calls = {"n": 0}
    real = services.pledge_update

    def flaky(**kwargs):
        calls["n"] += 1
        if calls["n"] > 2:  # the dry runs pass; the real write is refused
            raise ValidationError({"quantity": ["Changed by someone else meanwhile."]})
        return real(**kwargs)

    monkeypatch.setattr(services, "pledge_update", flaky)
    data = _pledge_data(pledge, nations, quantity="900")
    _with_delivery_rows(data, [{"quantity": "50", "status": "scheduled"}])
    response = coordinator_client.post(reverse("admin:pledges_pledge_change", args=[pledge.pk]), data)
    assert response.status_code == 302
    assert response.url == reverse("admin:pledges_pledge_change", args=[pledge.pk])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("Nothing was saved" in m and "someone else" in m for m in messages)
    pledge.refresh_from_db()
    assert (pledge.quantity, pledge.deliveries.count()) == (1000, 1)


@pytest.mark.django_db
def test_catalogue_writes_validate_and_keep_history(coordinator_client, coordinator, nations):
    from coordination.models import Item, Nation
    from tests import factories

    category = factories.CategoryFactory(name="Artillery ammunition")
    url = reverse("admin:coordination_item_add")
    base = {"category": category.pk, "name": "Fuze M739", "unit": "units", "unit_value_eur": "250.00"}
    response = coordinator_client.post(url, {**base, "nsn": "1320-01-234"})
    assert "13 digits" in str(_errors(response)["nsn"])
    response = coordinator_client.post(url, {**base, "nsn": "1320012345678"})
    assert response.status_code == 302
    item = Item.objects.get(name="Fuze M739")
    assert (item.nsn_display, item.history.get().history_user) == ("1320-01-234-5678", coordinator)

    response = coordinator_client.post(reverse("admin:coordination_nation_add"),
                                       {"code": "POL", "name": "Poland again", "role": "ally"})
    assert "code" in _errors(response)
    assert Nation.objects.filter(code="POL").count() == 1


@pytest.mark.django_db
def test_production_rate_officer_writes_own_nation_only(nations, item, polish_client, polish_officer):
    from stockpiles.models import ProductionRate, ShortfallMark

    url = reverse("admin:stockpiles_productionrate_add")
    response = polish_client.post(url, {"nation": nations["USA"].pk, "item": item.pk, "units_per_month": "10",
                                        "effective_from": "2024-01-01", "reference": ""})
    assert "nation" in _errors(response)
    response = polish_client.post(url, {"nation": nations["POL"].pk, "item": item.pk, "units_per_month": "2500",
                                        "effective_from": "2024-01-01", "reference": "illustrative"})
    assert response.status_code == 302
    rate = ProductionRate.objects.get()
    assert (rate.nation, rate.units_per_month, rate.history.get().history_user) == (nations["POL"], 2500,
                                                                                    polish_officer)
    assert ShortfallMark.objects.filter(nation=nations["POL"], item=item).exists()  # recompute requested
