"""The sourcing page (/sourcing/), its what-if and the item page's sourcing panel, on the worked example
(tests/stockpiles/sourcing_scenario.py)."""

import pytest
from django.urls import reverse

from pledges.models import Pledge
from tests.conftest import make_user
from tests.stockpiles import sourcing_scenario
from tests.stockpiles.sourcing_scenario import disclosure_as_when_written  # noqa: F401  (autouse)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(nations):
    return sourcing_scenario.build(nations)


@pytest.fixture
def cell_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def deu_client(client, world):
    client.force_login(make_user("deu-officer", nation=world["DEU"]))
    return client


def page(client, **params):
    response = client.get(reverse("dashboard:sourcing"), params)
    assert response.status_code == 200
    return response


def test_the_cell_sees_the_split_the_headroom_and_the_unknown(cell_client, world):
    response = page(cell_client, item=world["shell"].pk)
    html = response.content.decode()
    assert "FRA: 40,000 now, from headroom 40,000" in html
    assert world["month"](2).isoformat() in html  # fully covered on
    tables = response.context["tables"]
    assert [row[0].text for row in tables["headroom"].rows] == ["France", "Germany", "Italy"]
    assert [row[0].text for row in tables["unknown"].rows] == ["Poland", "United States"]
    assert sum(row[3] for row in tables["split"].rows) == 60_000
    total = tables["by_month"].rows[-1]
    assert str(total[0]) == "All allies (total)" and total[1:4] == [40_000, 42_000, 61_000]


def test_without_an_item_the_page_asks_for_one(cell_client, world):
    response = page(cell_client)
    assert response.context["plan"] is None
    assert "Pick an item" in response.content.decode()


def test_a_bad_quantity_is_a_message_not_an_error(cell_client, world):
    response = page(cell_client, item=world["shell"].pk, quantity="-3")
    assert response.context["plan"] is None and response.context["form"].errors["quantity"]
    response = page(cell_client, item="999999")
    assert response.context["plan"] is None and response.context["form"].errors["item"]


def test_export_of_the_split(cell_client, world):
    response = cell_client.get(reverse("dashboard:sourcing"),
                               {"item": world["shell"].pk, "export": "csv", "table": "split"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "FRA: 40,000 now, from headroom 40,000" in text and "Italy" in text


def test_a_nation_sees_only_its_own_row(deu_client, world, settings):
    # One other nation enough: every month's total is shown, so DEU's split (computed from those totals) is too.
    settings.AGGREGATE_MIN_OTHER_NATIONS = 1
    response = page(deu_client, item=world["shell"].pk)
    tables = response.context["tables"]
    assert [row[0].text for row in tables["headroom"].rows] == ["Germany"]
    assert tables["unknown"].rows == []
    assert {row[0].text for row in tables["split"].rows} == {"Germany"}
    html = response.content.decode()
    assert "France" not in html and "FRA" not in html.split('id="what-if-form"')[0]
    # The what-if form offers its own nation as the only donor.
    assert response.context["what_if_form"].fields["donor"].choices == [(world["DEU"].pk, "DEU – Germany")]


def test_what_if_htmx_partial_writes_nothing(deu_client, world):
    count = Pledge.objects.count()
    response = deu_client.get(reverse("dashboard:sourcing-what-if"), {
        "donor": world["DEU"].pk, "item": world["shell"].pk, "quantity": 10_000, "source": "national_stock",
        "due_on": world["month"](3).isoformat()}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    result = response.context["result"]
    assert (result.what_if.before.shortfall, result.what_if.after.shortfall) == (2_000, 12_000)
    assert (result.gap.before.uncovered, result.gap.after.uncovered) == (60_000, 50_000)
    assert "12,000" in html and "50,000" in html
    assert f"from {world['month'](4).isoformat()}" in html
    assert Pledge.objects.count() == count


def test_what_if_for_another_donor_is_refused_by_the_form(deu_client, world):
    response = deu_client.get(reverse("dashboard:sourcing-what-if"), {
        "donor": world["FRA"].pk, "item": world["shell"].pk, "quantity": 1, "source": "national_stock"})
    assert response.status_code == 200
    assert response.context["result"] is None and "donor" in response.context["what_if_form"].errors


def test_the_item_page_loads_the_sourcing_panel(cell_client, world):
    item_page = cell_client.get(reverse("dashboard:item", args=[world["shell"].pk])).content.decode()
    panel_url = reverse("dashboard:sourcing-item", args=[world["shell"].pk])
    assert f'hx-get="{panel_url}"' in item_page
    response = cell_client.get(panel_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="what-if-form"' in html and "60,000" in html and "France" in html


def test_the_page_in_french(client, world):
    user = make_user("fr-cell", is_cell=True)
    user.membership.language = "fr"
    user.membership.save()
    client.force_login(user)
    html = client.get(reverse("dashboard:sourcing"), {"item": world["shell"].pk}).content.decode()
    assert "FRA : 40" in html or "FRA: 40" in html
    assert "Marge" in html


def test_query_counts(cell_client, deu_client, world, django_assert_max_num_queries):
    url = reverse("dashboard:sourcing")
    cell_client.get(url)  # the session's first write after login is not the page's
    # session, user (membership, OTP device); the catalogue (choices and the item); nations; the recipient's gap
    # (requirements, pledges); engine inputs (current stock, guidelines, rates, schedule lines, pledges; the allies
    # from the nations); the restricted-pledge check
    with django_assert_max_num_queries(2 + 10):
        cell_client.get(url, {"item": world["shell"].pk})
    panel = reverse("dashboard:sourcing-item", args=[world["shell"].pk])
    with django_assert_max_num_queries(4 + 12):  # + allies; restricted-pledge check (nations)
        cell_client.get(panel)
    what_if = reverse("dashboard:sourcing-what-if")
    params = {"donor": world["FRA"].pk, "item": world["shell"].pk, "quantity": 5, "source": "national_stock"}
    # nations; item choices; item; engine inputs (5); default recipient (requirements); recipient gaps (3)
    with django_assert_max_num_queries(4 + 14):  # + the engine's allies read; restricted-pledge check (nations)
        cell_client.get(what_if, params, HTTP_HX_REQUEST="true")
