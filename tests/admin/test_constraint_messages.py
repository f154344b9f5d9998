"""Issue 16, point 7: every database constraint speaks to people, in English and French, through the admin,
the API and the paths that reach the database without model validation; numbers in messages are grouped."""

import datetime as dt

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from coordination.integrity import integrity_message
from coordination.models import Membership
from pledges.models import Pledge
from stockpiles.models import StockReport
from tests import factories

OUR_APPS = ("coordination", "pledges", "stockpiles", "notifications")


def _form_errors(response) -> str:
    assert response.status_code == 200, "expected the form again, with errors"
    return str(response.context["adminform"].form.errors)


def test_every_constraint_has_its_own_message_in_both_languages():
    seen = 0
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS:
            continue
        for constraint in model._meta.constraints:
            seen += 1
            assert constraint.violation_error_message != constraint.default_violation_error_message, constraint.name
            with translation.override("en"):
                english = str(constraint.get_violation_error_message())
            with translation.override("fr"):
                french = str(constraint.get_violation_error_message())
            assert constraint.name not in english and "Constraint" not in english, english
            assert french != english, f"{constraint.name}: no French translation for {english!r}"
    assert seen >= 40


def _pledge_form(nations, item, **overrides):
    data = {
        "donor": nations["POL"].pk, "recipient": nations["UKR"].pk, "item": item.pk, "quantity": "40000",
        "value_eur": "", "source": "national_stock", "status": "announced", "releasability": "alliance",
        "announced_on": "2024-06-30", "due_on": "2024-06-01", "reference": "", "notes": "",
        "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0", "deliveries-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "message"), [
    ("en", "The due date cannot be before the day the pledge was announced."),
    ("fr", "La date d’échéance ne peut pas précéder le jour de l’annonce de la promesse."),
])
def test_admin_pledge_due_before_announced_is_a_human_message(nations, item, coordinator, coordinator_client,
                                                              language, message):
    Membership.objects.filter(user=coordinator).update(language=language)
    response = coordinator_client.post(reverse("admin:pledges_pledge_add"), _pledge_form(nations, item))
    errors = _form_errors(response)
    assert message in errors, errors
    assert "pledge_due_after_announced" not in errors and "Constraint" not in errors and "Contrainte" not in errors
    assert not Pledge.objects.exists()


@pytest.mark.django_db
def test_admin_donor_equal_to_recipient_and_duplicate_requirement(nations, item, coordinator_client):
    response = coordinator_client.post(reverse("admin:pledges_pledge_add"), _pledge_form(
        nations, item, recipient=nations["POL"].pk, due_on=""))
    assert "The donor and the recipient must be different nations." in _form_errors(response)

    factories.RequirementFactory(recipient=nations["UKR"], item=item, period_from=dt.date(2024, 1, 1),
                                 period_to=dt.date(2024, 12, 31))
    response = coordinator_client.post(reverse("admin:pledges_requirement_add"), {
        "recipient": nations["UKR"].pk, "item": item.pk, "quantity": "5", "period_from": "2024-01-01",
        "period_to": "2024-06-30", "priority": "3", "notes": "",
    })
    errors = _form_errors(response)
    assert "This recipient already states a requirement for this item from this date." in errors, errors
    assert "requirement_unique_per_period" not in errors


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [
    ("en", "Only 900 of the 40,000 pledged are left"),
    ("fr", "Seulement 900 des 40\u00a0000 promis restent à livrer"),
])
def test_numbers_in_messages_are_grouped_per_language(nations, item, coordinator, coordinator_client,
                                                      language, expected):
    pledge = factories.PledgeFactory(donor=nations["POL"], recipient=nations["UKR"], item=item, quantity=40_000)
    factories.DeliveryFactory(pledge=pledge, quantity=39_100)
    Pledge.objects.filter(pk=pledge.pk).update(allocated_quantity=39_100)
    Membership.objects.filter(user=coordinator).update(language=language)
    response = coordinator_client.post(reverse("admin:pledges_delivery_add"), {
        "pledge": pledge.pk, "quantity": "1000", "status": "scheduled",
    })
    assert expected in _form_errors(response)


@pytest.mark.django_db
def test_api_constraint_message_in_english_and_french(nations, item):
    from coordination.api.tokens import token_issue
    from tests.api.conftest import client_with

    client = client_with(token_issue(nation=nations["POL"], name="feed")[1])
    body = {"recipient": "UKR", "item": item.pk, "quantity": 40000, "announced_on": "2024-06-30",
            "due_on": "2024-06-01"}
    response = client.post("/api/v1/pledges/", body, format="json")
    assert response.status_code == 400
    text = str(response.json())
    assert "The due date cannot be before the day the pledge was announced." in text, text
    assert "pledge_due_after_announced" not in text
    response = client.post("/api/v1/pledges/", body, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert "La date d’échéance ne peut pas précéder le jour de l’annonce de la promesse." in str(response.json())


@pytest.mark.django_db
def test_a_refusal_by_the_database_itself_names_no_constraint(nations, item):
    """Writes that skip model validation (bulk paths, races) end in an IntegrityError: the same words."""
    pol, ukr = nations["POL"], nations["UKR"]
    StockReport.objects.create(nation=pol, item=item, quantity=5, as_of=dt.date(2024, 1, 1))
    with pytest.raises(IntegrityError) as duplicate, transaction.atomic():
        StockReport.objects.create(nation=pol, item=item, quantity=6, as_of=dt.date(2024, 1, 1))
    with pytest.raises(IntegrityError) as check, transaction.atomic():
        Pledge.objects.create(donor=pol, recipient=ukr, item=item, quantity=1, announced_on=dt.date(2024, 6, 30),
                              due_on=dt.date(2024, 6, 1))
    with translation.override("en"):
        assert integrity_message(duplicate.value) == "This nation already reported this item for this day."
        assert integrity_message(check.value) == "The due date cannot be before the day the pledge was announced."
    with translation.override("fr"):
        assert integrity_message(duplicate.value) == "Ce pays a déjà déclaré cet article pour ce jour."


@pytest.mark.django_db
def test_api_409_from_the_database_is_the_constraint_message(nations, item, monkeypatch):
    """A race the service lost: the database refuses, the client reads the rule, not its name."""
    from coordination.api.exceptions import exception_handler

    pol = nations["POL"]
    StockReport.objects.create(nation=pol, item=item, quantity=5, as_of=dt.date(2024, 1, 1))
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        StockReport.objects.create(nation=pol, item=item, quantity=6, as_of=dt.date(2024, 1, 1))
    with translation.override("en"):
        response = exception_handler(refused.value, {})
    assert response.status_code == 409
    assert response.data == {"detail": "This nation already reported this item for this day."}
