"""A national officer in the admin sees and writes only their own nation's records."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from coordination.models import Nation
from pledges.models import Pledge
from stockpiles.models import Shortfall, StockReport


def _ids(response):
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.django_db
def test_officer_lists_only_own_pledges_and_reports(world, nations, polish_client):
    pol = nations["POL"]
    response = polish_client.get(reverse("admin:pledges_pledge_changelist"))
    assert response.status_code == 200
    # The US pledge is public (readable on the dashboard), but the admin is for one's own records.
    assert _ids(response) == {world["pol_pledge"].pk}

    response = polish_client.get(reverse("admin:stockpiles_stockreport_changelist"))
    assert response.status_code == 200
    assert _ids(response) == set(StockReport.objects.filter(nation=pol).values_list("pk", flat=True))
    assert len(_ids(response)) == 1

    response = polish_client.get(reverse("admin:stockpiles_shortfall_changelist"))
    assert _ids(response) == set(Shortfall.objects.filter(nation=pol).values_list("pk", flat=True))


@pytest.mark.django_db
def test_officer_cannot_open_another_nations_records(world, nations, polish_client):
    usa_report = StockReport.objects.get(nation=nations["USA"])
    for url in (
        reverse("admin:pledges_pledge_change", args=[world["usa_pledge"].pk]),
        reverse("admin:stockpiles_stockreport_change", args=[usa_report.pk]),
    ):
        response = polish_client.get(url)
        assert response.status_code == 302  # "does not exist" and back to the index, never the record
        assert response.status_code != 200
    history = polish_client.get(reverse("admin:pledges_pledge_history", args=[world["usa_pledge"].pk]))
    assert history.status_code == 403
    own = polish_client.get(reverse("admin:pledges_pledge_change", args=[world["pol_pledge"].pk]))
    assert own.status_code == 200


@pytest.mark.django_db
def test_officer_cannot_save_for_another_nation(world, nations, item, polish_client):
    usa = nations["USA"]
    before = StockReport.objects.count()
    response = polish_client.post(reverse("admin:stockpiles_stockreport_add"), {
        "nation": usa.pk, "item": item.pk, "quantity": 10, "as_of": "2024-02-01",
    })
    assert response.status_code == 200  # the form again, with an error
    assert "nation" in response.context["adminform"].form.errors
    assert StockReport.objects.count() == before

    response = polish_client.post(reverse("admin:pledges_pledge_add"), {
        "donor": usa.pk, "recipient": nations["UKR"].pk, "item": item.pk, "quantity": 5, "source": "national_stock",
        "status": "committed", "releasability": "alliance", "announced_on": "2024-03-01",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "donor" in response.context["adminform"].form.errors
    assert Pledge.objects.filter(donor=usa).count() == 1

    # Changing the US pledge through its URL is refused too.
    response = polish_client.post(reverse("admin:pledges_pledge_change", args=[world["usa_pledge"].pk]), {
        "donor": usa.pk, "recipient": nations["UKR"].pk, "item": item.pk, "quantity": 1,
    })
    assert response.status_code == 302
    world["usa_pledge"].refresh_from_db()
    assert world["usa_pledge"].quantity == 2000


@pytest.mark.django_db
def test_officer_adds_own_report_through_the_service(world, nations, item, polish_client, polish_officer):
    response = polish_client.post(reverse("admin:stockpiles_stockreport_add"), {
        "nation": nations["POL"].pk, "item": item.pk, "quantity": 3500, "as_of": "2024-02-01",
    })
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    report = StockReport.objects.get(nation=nations["POL"], as_of=dt.date(2024, 2, 1))
    assert (report.quantity, report.reported_by) == (3500, polish_officer)
    assert report.history.get().history_user == polish_officer
    # CurrentStock moved with it: the service ran, not a bare save.
    from stockpiles.models import CurrentStock

    assert CurrentStock.objects.get(nation=nations["POL"], item=item).quantity == 3500


@pytest.mark.django_db
def test_officer_nation_choice_is_only_own_nation(nations, polish_client):
    response = polish_client.get(reverse("admin:stockpiles_stockreport_add"))
    field = response.context["adminform"].form.fields["nation"]
    assert list(field.queryset) == [nations["POL"]]


@pytest.mark.django_db
def test_catalogue_read_only_and_cell_pages_hidden_for_officer(world, nations, polish_client):
    pol = nations["POL"]
    response = polish_client.get(reverse("admin:coordination_nation_change", args=[pol.pk]))
    assert response.status_code == 200
    assert b'name="name"' not in response.content
    response = polish_client.post(reverse("admin:coordination_nation_change", args=[pol.pk]),
                                  {"code": "POL", "name": "Renamed", "role": "ally"})
    assert response.status_code == 403
    assert Nation.objects.get(pk=pol.pk).name == "Poland"
    assert polish_client.get(reverse("admin:coordination_nation_add")).status_code == 403
    assert polish_client.get(reverse("admin:stockpiles_stockpileguideline_add")).status_code == 403
    assert polish_client.get(reverse("admin:coordination_membership_changelist")).status_code == 403
    assert polish_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert polish_client.get(reverse("admin:stockpiles_shortfallmark_changelist")).status_code == 403

    index = polish_client.get(reverse("admin:index"))
    assert index.status_code == 200
    models = {m["object_name"] for app in index.context["app_list"] for m in app["models"]}
    assert {"Pledge", "StockReport", "Nation"} <= models
    assert not {"Membership", "User", "ShortfallMark"} & models


@pytest.mark.django_db
def test_staff_without_membership_sees_nothing(client, world):
    nobody = get_user_model().objects.create_user(username="nobody", password="pw-for-tests-1", is_staff=True)
    client.force_login(nobody)
    assert client.get(reverse("admin:pledges_pledge_changelist")).status_code == 403


@pytest.mark.django_db
def test_officer_export_contains_only_own_rows(world, nations, polish_client):
    from tests.admin.helpers import export

    content = export(polish_client, "stockpiles", "stockreport", "csv").decode()
    lines = content.strip().splitlines()
    assert lines[0].split(",") == ["nation", "item", "as_of", "quantity"]
    assert [line.split(",")[0] for line in lines[1:]] == ["POL"]


@pytest.mark.django_db
def test_officer_autocomplete_offers_only_own_pledges(world, polish_client):
    response = polish_client.get(reverse("admin:autocomplete"), {
        "app_label": "pledges", "model_name": "delivery", "field_name": "pledge", "term": "",
    })
    assert response.status_code == 200
    assert {int(r["id"]) for r in response.json()["results"]} == {world["pol_pledge"].pk}


@pytest.mark.django_db
def test_officer_cannot_add_a_delivery_to_another_nations_pledge(world, polish_client):
    from pledges.models import Delivery

    response = polish_client.post(reverse("admin:pledges_delivery_add"), {
        "pledge": world["usa_pledge"].pk, "quantity": "10", "status": "scheduled",
    })
    assert response.status_code == 200
    assert "pledge" in response.context["adminform"].form.errors
    assert not Delivery.objects.filter(pledge=world["usa_pledge"]).exists()


@pytest.mark.django_db
def test_recipient_officer_writes_own_requirements_only(world, nations, item, client):
    from pledges.models import Requirement
    from tests.conftest import make_user

    ukr_officer = make_user("ukr-officer", nation=nations["UKR"])
    client.force_login(ukr_officer)
    response = client.post(reverse("admin:pledges_requirement_add"), {
        "recipient": nations["UKR"].pk, "item": item.pk, "quantity": "5000", "period_from": "2025-01-01",
        "period_to": "2025-12-31", "priority": "1", "notes": "",
    })
    assert response.status_code == 302
    assert Requirement.objects.filter(recipient=nations["UKR"], quantity=5000).exists()
    # An ally reads the requirements but may not add any.
    client.force_login(make_user("pol-2", nation=nations["POL"]))
    assert client.get(reverse("admin:pledges_requirement_changelist")).status_code == 200
    assert client.get(reverse("admin:pledges_requirement_add")).status_code == 403


@pytest.mark.django_db
def test_officer_deletes_own_training_commitment_only(nations, polish_client, polish_officer):
    from pledges.models import TrainingCommitment
    from tests import factories

    own = factories.TrainingCommitmentFactory(donor=nations["POL"], recipient=nations["UKR"])
    other = factories.TrainingCommitmentFactory(donor=nations["USA"], recipient=nations["UKR"], programme="F-16 pilot")
    response = polish_client.post(reverse("admin:pledges_trainingcommitment_delete", args=[own.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not TrainingCommitment.objects.filter(pk=own.pk).exists()
    assert own.history.first().history_type == "-" and own.history.first().history_user == polish_officer
    response = polish_client.post(reverse("admin:pledges_trainingcommitment_delete", args=[other.pk]), {"post": "yes"})
    assert response.status_code == 302  # "does not exist" for them
    assert TrainingCommitment.objects.filter(pk=other.pk).exists()


@pytest.mark.django_db
def test_pledges_and_stock_reports_are_not_deleted_but_cancelled(world, coordinator_client):
    url = reverse("admin:pledges_pledge_delete", args=[world["pol_pledge"].pk])
    assert coordinator_client.get(url).status_code == 403
    report = StockReport.objects.first()
    assert coordinator_client.get(reverse("admin:stockpiles_stockreport_delete", args=[report.pk])).status_code == 403


@pytest.mark.django_db
def test_delete_selected_action_deletes_with_history_and_marks(world, nations, item, coordinator_client, coordinator):
    from stockpiles.models import ProductionRate, ShortfallMark

    ShortfallMark.objects.all().delete()
    rates = list(ProductionRate.objects.filter(line__isnull=True).values_list("pk", flat=True))
    assert len(rates) == 2  # the nations' own rates (the world's production-line rate stays)
    response = coordinator_client.post(reverse("admin:stockpiles_productionrate_changelist"), {
        "action": "delete_selected", "_selected_action": rates, "post": "yes",
    })
    assert response.status_code == 302
    assert not ProductionRate.objects.filter(line__isnull=True).exists()
    assert ProductionRate.history.filter(history_type="-", history_user=coordinator).count() == 2
    # Both nations' pairs are marked for recompute (the rate is an input of the shortfall).
    assert set(ShortfallMark.objects.values_list("nation__code", flat=True)) == {"POL", "USA"}
