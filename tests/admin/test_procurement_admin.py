"""Joint procurement in the admin: writes through the services (inlines included), form errors instead of
500s, national officers' access, and CSV/XLSX import/export."""

import pytest
import tablib
from django.urls import reverse

from stockpiles.models import AgreementParticipant, FrameworkAgreement, Order, OrderScheduleLine, ProductionRate
from tests.admin.helpers import confirm, export, preview


def _ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


def _order_data(nation, item, *, agreement=None, quantity=1000, ordered_on="2024-04-01", rows=(), initial=0, **extra):
    data = {
        "nation": nation.pk, "item": item.pk, "agreement": agreement.pk if agreement else "", "manufacturer": "",
        "quantity": str(quantity), "unit_price_eur": "", "ordered_on": ordered_on, "status": "placed",
        "reference": extra.pop("reference", "NEW-1"), "notes": "",
        "schedule-TOTAL_FORMS": str(len(rows)), "schedule-INITIAL_FORMS": str(initial),
        "schedule-MIN_NUM_FORMS": "0", "schedule-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"schedule-{i}-{key}"] = value
    data.update(extra)
    return data


@pytest.mark.django_db
def test_add_order_with_schedule_inline_through_services(world, nations, item, coordinator_client, coordinator):
    data = _order_data(nations["USA"], item, agreement=world["agreement"], quantity=3000, rows=[
        {"due_on": "2024-08-01", "quantity": "1000"}, {"due_on": "2024-09-01", "quantity": "2000"}])
    response = coordinator_client.post(reverse("admin:stockpiles_order_add"), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    order = Order.objects.get(reference="NEW-1")
    assert sorted(order.schedule.values_list("quantity", flat=True)) == [1000, 2000]
    assert order.history.first().history_user == coordinator
    assert {line.history.first().history_user for line in order.schedule.all()} == {coordinator}


@pytest.mark.django_db
def test_schedule_above_the_order_is_a_row_error_and_writes_nothing(world, nations, item, coordinator_client):
    data = _order_data(nations["USA"], item, quantity=1000, rows=[
        {"due_on": "2024-08-01", "quantity": "600"}, {"due_on": "2024-09-01", "quantity": "500"}])
    response = coordinator_client.post(reverse("admin:stockpiles_order_add"), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert formset.forms[0].errors == {}
    assert "Only 400 of the 1,000 ordered are left to schedule" in str(formset.forms[1].errors["quantity"])
    assert not Order.objects.filter(reference="NEW-1").exists()


@pytest.mark.django_db
def test_call_off_above_the_ceiling_or_before_joining_is_a_form_error(world, nations, item, coordinator_client):
    agreement = world["agreement"]  # ceiling 50,000; POL has 5,000 called off; USA joined 1 March 2024
    response = coordinator_client.post(reverse("admin:stockpiles_order_add"),
                                       _order_data(nations["POL"], item, agreement=agreement, quantity=45_001))
    errors = response.context["adminform"].form.errors
    assert "Only 45,000 of the 50,000" in str(errors["quantity"])
    response = coordinator_client.post(reverse("admin:stockpiles_order_add"),
                                       _order_data(nations["USA"], item, agreement=agreement, ordered_on="2024-02-01"))
    assert "joined “POL FA” on 2024-03-01" in str(response.context["adminform"].form.errors["ordered_on"])
    assert Order.objects.count() == 2


@pytest.mark.django_db
def test_agreement_with_participants_inline(nations, item, coordinator_client):
    data = {
        "name": "EU 1M", "lead_nation": nations["POL"].pk, "item": item.pk, "manufacturer": "",
        "ceiling_quantity": "1000000", "unit_price_eur": "3500.00", "valid_from": "2023-05-01", "valid_to": "",
        "reference": "", "notes": "",
        "participants-TOTAL_FORMS": "2", "participants-INITIAL_FORMS": "0",
        "participants-MIN_NUM_FORMS": "0", "participants-MAX_NUM_FORMS": "1000",
        "participants-0-nation": nations["POL"].pk, "participants-0-planned_quantity": "400000",
        "participants-0-joined_on": "2023-05-01",
        "participants-1-nation": nations["USA"].pk, "participants-1-planned_quantity": "100000",
        "participants-1-joined_on": "2023-04-01",  # before the agreement: refused
    }
    response = coordinator_client.post(reverse("admin:stockpiles_frameworkagreement_add"), data)
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert "valid from 2023-05-01" in str(formset.forms[1].errors["joined_on"])
    assert not FrameworkAgreement.objects.exists()
    data["participants-1-joined_on"] = "2024-01-10"  # Estonia-style: joins later
    response = coordinator_client.post(reverse("admin:stockpiles_frameworkagreement_add"), data)
    assert response.status_code == 302
    agreement = FrameworkAgreement.objects.get()
    assert sorted(agreement.participants.values_list("nation__code", "joined_on")) == [
        ("POL", agreement.valid_from), ("USA", __import__("datetime").date(2024, 1, 10))]
    # A bad ceiling is a field error, not a 500.
    data.update({"name": "Negative", "ceiling_quantity": "-1", "participants-TOTAL_FORMS": "0"})
    response = coordinator_client.post(reverse("admin:stockpiles_frameworkagreement_add"), data)
    assert "ceiling_quantity" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_officer_sees_own_orders_and_agreements_it_takes_part_in(world, nations, item, polish_client):
    response = polish_client.get(reverse("admin:stockpiles_order_changelist"))
    assert _ids(response) == {world["pol_order"].pk}
    response = polish_client.get(reverse("admin:stockpiles_orderscheduleline_changelist"))
    assert _ids(response) == set(OrderScheduleLine.objects.filter(order__nation=nations["POL"])
                                 .values_list("pk", flat=True))
    usa_order = polish_client.get(reverse("admin:stockpiles_order_change", args=[world["usa_order"].pk]))
    assert usa_order.status_code == 302
    # The agreement it leads: readable, not writable; participants likewise.
    response = polish_client.get(reverse("admin:stockpiles_frameworkagreement_changelist"))
    assert _ids(response) == {world["agreement"].pk}
    assert polish_client.get(reverse("admin:stockpiles_frameworkagreement_add")).status_code == 403
    before = FrameworkAgreement.objects.get().ceiling_quantity
    polish_client.post(reverse("admin:stockpiles_frameworkagreement_change", args=[world["agreement"].pk]),
                       {"name": "POL FA", "ceiling_quantity": "1"})
    assert FrameworkAgreement.objects.get().ceiling_quantity == before
    # Its own call-off, through the form; one for the United States is refused.
    response = polish_client.post(reverse("admin:stockpiles_order_add"),
                                  _order_data(nations["USA"], item, reference="X"))
    assert response.status_code == 200 and "nation" in response.context["adminform"].form.errors
    response = polish_client.post(reverse("admin:stockpiles_order_add"),
                                  _order_data(nations["POL"], item, agreement=world["agreement"], reference="POL-2",
                                              rows=[{"due_on": "2024-10-01", "quantity": "1000"}]))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Order.objects.get(reference="POL-2").schedule.get().quantity == 1000
    # A production line's capacity is the cell's.
    assert polish_client.get(reverse("admin:stockpiles_productionline_add")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_order_and_schedule_round_trip(fmt, world, coordinator_client):
    def orders():
        return sorted(Order.objects.values_list("nation__code", "item__name", "agreement__name", "quantity",
                                                "ordered_on", "status", "reference"))

    def lines():
        return sorted(OrderScheduleLine.objects.values_list("order__reference", "due_on", "quantity", "received_on"))

    original_orders, original_lines = orders(), lines()
    order_file = export(coordinator_client, "stockpiles", "order", fmt)
    line_file = export(coordinator_client, "stockpiles", "orderscheduleline", fmt)
    if fmt == "csv":
        assert "POL,155 mm HE projectile,POL FA,,5000" in order_file.decode()
    # Into an empty schedule table: the same lines come back (ids left empty: new rows).
    dataset = tablib.Dataset().load(line_file if fmt == "xlsx" else line_file.decode(), format=fmt)
    at = dataset.headers.index("id")
    dataset = tablib.Dataset(*[row[:at] + ("",) + row[at + 1:] for row in dataset], headers=dataset.headers)
    OrderScheduleLine.objects.all().delete()
    response = preview(coordinator_client, "stockpiles", "orderscheduleline", fmt, dataset.export(fmt)
                       if fmt == "xlsx" else dataset.export(fmt).encode())
    result = response.context["result"]
    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert confirm(coordinator_client, "stockpiles", "orderscheduleline", response).status_code == 302
    assert lines() == original_lines
    # Unchanged orders re-imported: nothing new, nothing refused.
    result = preview(coordinator_client, "stockpiles", "order", fmt, order_file).context["result"]
    assert not result.has_validation_errors() and result.totals["new"] == 0
    assert orders() == original_orders


@pytest.mark.django_db
def test_schedule_import_above_the_order_writes_nothing(world, coordinator_client):
    order = world["pol_order"]  # 5,000 ordered, 2,000 scheduled
    content = (
        "id,order,due_on,quantity,received_on\n"
        f",{order.pk},2024-08-01,2000,\n"
        f",{order.pk},2024-09-01,1001,\n"
    ).encode()
    response = preview(coordinator_client, "stockpiles", "orderscheduleline", "csv", content)
    result = response.context["result"]
    assert response.context.get("confirm_form") is None
    assert "Only 1,000 of the 5,000 ordered are left" in str({r.number: r.error_dict for r in result.invalid_rows}[2])
    assert OrderScheduleLine.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_line_capacity_inline_under_the_line(world, coordinator_client):
    line = world["line"]
    data = {
        "manufacturer": line.manufacturer_id, "item": line.item_id, "name": line.name, "location": "",
        "reference": "",
        "rates-TOTAL_FORMS": "1", "rates-INITIAL_FORMS": "0", "rates-MIN_NUM_FORMS": "0",
        "rates-MAX_NUM_FORMS": "1000",
        "rates-0-units_per_month": "80000", "rates-0-effective_from": "2024-07-01", "rates-0-reference": "ramp-up",
    }
    response = coordinator_client.post(reverse("admin:stockpiles_productionline_change", args=[line.pk]), data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert sorted(ProductionRate.objects.filter(line=line).values_list("units_per_month", flat=True)) == [
        20_000, 80_000]
    assert AgreementParticipant.objects.count() == 2
