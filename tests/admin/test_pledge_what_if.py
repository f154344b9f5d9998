"""The pledge form's "Preview effect" (pledges.admin, ``_whatif``): the form is validated as for a save, nothing
is written (no pledge, no history, no admin log entry), and the what-if of the draft is shown above the form,
as the cell and as a national officer. Worked example: tests/stockpiles/sourcing_scenario.py (DEU: 8,000 on
hand, guideline 10,000, 3,000 a month; UKR requires 60,000)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from pledges.models import Pledge
from tests import factories
from tests.conftest import make_user
from tests.stockpiles import sourcing_scenario
from tests.stockpiles.sourcing_scenario import disclosure_as_when_written  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db

ADD = "admin:pledges_pledge_add"


@pytest.fixture
def world(nations):
    return sourcing_scenario.build(nations)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cell_client(world):
    return _client(make_user("coordinator", is_cell=True))


@pytest.fixture
def deu_client(world):
    return _client(make_user("deu-officer", nation=world["DEU"]))


def _data(world, *, donor="DEU", quantity=10_000, status="committed", source="national_stock", button="_whatif"):
    data = {
        "donor": world[donor].pk, "recipient": world["UKR"].pk, "item": world["shell"].pk, "quantity": str(quantity),
        "value_eur": "", "source": source, "status": status, "releasability": "alliance",
        "announced_on": world["today"].isoformat(), "due_on": world["month"](3).isoformat(), "reference": "",
        "notes": "", "deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0",
        "deliveries-MIN_NUM_FORMS": "0", "deliveries-MAX_NUM_FORMS": "1000",
    }
    if button:
        data[button] = "Preview effect"
    return data


def _written():
    return Pledge.objects.count(), Pledge.history.count(), LogEntry.objects.count()


def _figures(view):
    w = view.what_if
    return {"shortfall": (w.before.shortfall, w.after.shortfall),
            "months": (w.before.months_to_recover, w.after.months_to_recover),
            "uncovered": (view.gap.before.uncovered, view.gap.after.uncovered)}


@pytest.mark.parametrize("who", ["cell", "officer"])
def test_preview_on_the_add_form_shows_the_effect_and_writes_nothing(request, world, who):
    client = request.getfixturevalue("cell_client" if who == "cell" else "deu_client")
    before = _written()
    response = client.post(reverse(ADD), _data(world))
    assert response.status_code == 200, "the form comes back, with the effect above it"
    assert _written() == before  # no pledge, no history row, no admin log entry
    view = response.context["what_if"]
    assert view is not None and response.context["adminform"].form.errors == {}
    assert _figures(view) == {"shortfall": (2_000, 12_000), "months": (1, 4), "uncovered": (60_000, 50_000)}
    html = response.content.decode()
    assert html.index('id="pledge-what-if"') < html.index('name="donor"')  # above the form's fields
    assert "DEU gives 10,000 × 155 mm HE projectile" in html and "12,000" in html and "50,000" in html
    assert "(rounds)" in html  # the unit beside each quantity
    assert "Please correct the error" not in html
    # The form keeps what was typed, and "Preview effect" is offered again.
    assert response.context["adminform"].form["quantity"].value() == "10000"
    assert 'name="_whatif"' in html


def test_the_button_is_on_the_empty_form_and_save_still_saves(world, deu_client):
    response = deu_client.get(reverse(ADD))
    assert response.status_code == 200 and 'name="_whatif"' in response.content.decode()
    assert response.context["what_if"] is None
    response = deu_client.post(reverse(ADD), _data(world, button="_save"))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert Pledge.objects.filter(donor=world["DEU"], quantity=10_000).count() == 1


def test_preview_of_a_change_replaces_the_saved_pledge(world, deu_client):
    saved = factories.PledgeFactory(donor=world["DEU"], recipient=world["UKR"], item=world["shell"], quantity=5_000,
                                    announced_on=world["today"], due_on=world["month"](3))
    before = _written()
    response = deu_client.post(reverse("admin:pledges_pledge_change", args=[saved.pk]), _data(world))
    assert response.status_code == 200
    view = response.context["what_if"]
    # Before: with the 5,000 as saved (owed: shortfall 7,000); after: 10,000 instead of it, not on top of it.
    assert _figures(view) == {"shortfall": (7_000, 12_000), "months": (3, 4), "uncovered": (55_000, 50_000)}
    assert view.replaces == saved.pk
    assert "the pledge as saved" in response.content.decode()
    saved.refresh_from_db()
    assert saved.quantity == 5_000 and _written() == before


def test_preview_of_a_cancellation(world, cell_client):
    saved = factories.PledgeFactory(donor=world["DEU"], recipient=world["UKR"], item=world["shell"], quantity=5_000,
                                    announced_on=world["today"], due_on=world["month"](3))
    response = cell_client.post(reverse("admin:pledges_pledge_change", args=[saved.pk]),
                                _data(world, quantity=5_000, status="cancelled"))
    assert _figures(response.context["what_if"]) == {
        "shortfall": (7_000, 2_000), "months": (3, 1), "uncovered": (55_000, 60_000)}
    assert Pledge.objects.get(pk=saved.pk).status == "committed"


def test_an_invalid_draft_shows_the_errors_and_no_effect(world, deu_client):
    before = _written()
    response = deu_client.post(reverse(ADD), _data(world, quantity=-5))
    assert response.status_code == 200 and response.context["what_if"] is None
    assert "quantity" in response.context["adminform"].form.errors
    assert 'id="pledge-what-if"' not in response.content.decode()
    assert _written() == before


def test_an_officer_cannot_preview_another_nations_pledge(world, deu_client):
    fra_pledge = factories.PledgeFactory(donor=world["FRA"], recipient=world["UKR"], item=world["shell"],
                                         quantity=5_000, announced_on=world["today"], due_on=world["month"](3),
                                         releasability="public")
    before = _written()
    # The admin lists only the officer's own nation's pledges: FRA's is not there to change or preview.
    response = deu_client.post(reverse("admin:pledges_pledge_change", args=[fra_pledge.pk]), _data(world, donor="FRA"))
    assert response.status_code in (302, 403, 404)
    assert "pledge_what_if" not in response.content.decode()
    # On the add form the donor can only be the officer's own nation.
    response = deu_client.post(reverse(ADD), _data(world, donor="FRA"))
    assert response.context["what_if"] is None and "donor" in response.context["adminform"].form.errors
    assert _written() == before
