"""Issue 16, point 8: records read as people say them; pickers show an item's name, unit and NSN."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from coordination.models import Membership
from pledges.models import Delivery
from stockpiles.models import StockReport
from tests import factories


@pytest.fixture
def pledge(nations, item):
    return factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=40_000,
                                   announced_on=dt.date(2024, 1, 15), due_on=dt.date(2024, 6, 30))


@pytest.mark.django_db
def test_records_read_as_people_say_them(nations, item, pledge):
    with translation.override("en"):
        assert str(pledge) == "USA → UKR: 40,000 rounds, 155 mm HE projectile, due 2024-06-30"
        delivery = factories.DeliveryFactory(pledge=pledge, quantity=1500, status=Delivery.Status.IN_TRANSIT)
        assert str(delivery) == "USA → UKR: 1,500 rounds, 155 mm HE projectile, in transit (pledge of 2024-01-15)"
        report = StockReport.objects.create(nation=nations["POL"], item=item, quantity=12_000,
                                            as_of=dt.date(2024, 3, 1))
        assert str(report) == "POL: 12,000 rounds, 155 mm HE projectile on hand on 2024-03-01"
        requirement = factories.RequirementFactory(recipient=nations["UKR"], item=item, quantity=250_000,
                                                   period_from=dt.date(2024, 1, 1), period_to=dt.date(2024, 12, 31))
        assert str(requirement) == "UKR needs 250,000 rounds, 155 mm HE projectile, 2024-01-01 to 2024-12-31"
        guideline = factories.GuidelineFactory(item=item, minimum_quantity=10_000, effective_from=dt.date(2024, 1, 1))
        assert str(guideline) == "Alliance: at least 10,000 rounds, 155 mm HE projectile from 2024-01-01"
        order = factories.OrderFactory(nation=nations["POL"], item=item, quantity=5000, reference="POL-1",
                                       ordered_on=dt.date(2024, 2, 1))
        assert str(order) == "POL order POL-1: 5,000 rounds, 155 mm HE projectile, ordered 2024-02-01"
    with translation.override("fr"):
        text = str(pledge)
        assert "40\u00a0000" in text and "2024-06-30" in text and "USA → UKR" in text, text
        assert "Alliance" in str(guideline)


@pytest.fixture
def items(db):
    he = factories.ItemFactory(name="155 mm HE projectile", unit="rounds", nsn="1320012345678")
    amraam = factories.ItemFactory(name="AIM-120 AMRAAM", unit="missiles", nsn="1410015550120")
    return he, amraam


def _autocomplete(client, *, app, model, field, term):
    response = client.get(reverse("admin:autocomplete"), {"app_label": app, "model_name": model,
                                                         "field_name": field, "term": term})
    assert response.status_code == 200, response.content[:300]
    return [row["text"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_item_search_shows_name_unit_and_nsn_and_says_when_the_nsn_matched(items, nations, coordinator_client):
    labels = _autocomplete(coordinator_client, app="stockpiles", model="stockreport", field="item", term="155")
    assert labels == [
        "155 mm HE projectile (rounds) — NSN 1320-01-234-5678",  # the name matched: first
        "AIM-120 AMRAAM (missiles) — NSN 1410-01-555-0120 · found by its NSN",
    ]
    labels = _autocomplete(coordinator_client, app="stockpiles", model="stockreport", field="item",
                           term="1410-01-555-0120")
    assert labels == ["AIM-120 AMRAAM (missiles) — NSN 1410-01-555-0120 · found by its NSN"]


@pytest.mark.django_db
def test_item_label_in_french(items, coordinator, coordinator_client):
    Membership.objects.filter(user=coordinator).update(language="fr")
    labels = _autocomplete(coordinator_client, app="stockpiles", model="stockreport", field="item", term="AMRAAM")
    assert labels == ["AIM-120 AMRAAM (missiles) — NSN 1410-01-555-0120"]
    labels = _autocomplete(coordinator_client, app="stockpiles", model="stockreport", field="item", term="155")
    assert labels[1].endswith("· trouvé par son NSN")


@pytest.mark.django_db
def test_the_chosen_item_in_a_form_reads_like_its_autocomplete(items, coordinator_client):
    response = coordinator_client.get(reverse("admin:stockpiles_stockreport_add") + f"?item={items[1].pk}")
    assert "AIM-120 AMRAAM (missiles) — NSN 1410-01-555-0120" in response.content.decode()


@pytest.mark.django_db
def test_delivery_pledge_picker_lists_readable_pledges_in_one_query(nations, coordinator_client,
                                                                   django_assert_max_num_queries):
    for i in range(15):
        item = factories.ItemFactory(name=f"Item {i}", unit="rounds")
        factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"], item=item, quantity=40_000 + i)
    coordinator_client.get(reverse("admin:index"))  # session and login warmed up
    # Session, user, OTP device, membership (language, scope), permission checks, count and one page of
    # pledges with donor, recipient and item joined: a fixed number, not three per pledge.
    with django_assert_max_num_queries(10):
        labels = _autocomplete(coordinator_client, app="pledges", model="delivery", field="pledge", term="USA")
    assert len(labels) == 15
    assert "USA → UKR: 40,003 rounds, Item 3, due 2024-06-30" in labels


@pytest.mark.django_db
def test_delivery_change_list_shows_readable_pledges_without_a_query_per_row(nations, coordinator_client,
                                                                           django_assert_max_num_queries):
    for i in range(20):
        pledge = factories.PledgeFactory(donor=nations["USA"], recipient=nations["UKR"],
                                         item=factories.ItemFactory(name=f"Item {i}"), quantity=40_000)
        factories.DeliveryFactory(pledge=pledge, quantity=100)
    coordinator_client.get(reverse("admin:index"))
    with django_assert_max_num_queries(16):
        response = coordinator_client.get(reverse("admin:pledges_delivery_changelist"))
    assert "USA → UKR: 40,000 rounds, Item 7, due 2024-06-30" in response.content.decode()
