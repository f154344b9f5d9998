"""The recipient's page (issue 16): in the nav; requirements vs pledged vs delivered by category (EUR) and
item (its own unit); training for it (a nation sees totals through coordination.disclosure); deliveries
month by month with no empty month skipped and never a sum of units across items."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from pledges import fulfilment
from web.dashboard.tables import Badge, Link

pytestmark = pytest.mark.django_db


def text(value):
    return value.text if isinstance(value, (Link, Badge)) else value


def rows(response, key):
    return [[text(v) for v in row] for row in response.context["tables"][key].rows]


def test_recipient_page_for_the_cell(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/")
    assert 'href="/recipient/"' in response.content.decode()  # in the nav
    response = client.get("/recipient/")
    assert response.status_code == 200
    assert response.context["recipient"].code == "UKR"
    # 50,000 rounds required × €1,000; 2,000 pledged; nothing delivered yet
    assert rows(response, "categories") == [
        ["Artillery ammunition", 1, Decimal(50_000_000), Decimal(2_000_000), Decimal(0), Decimal(48_000_000),
         pytest.approx(0.04), 0]]
    assert rows(response, "items") == [
        ["Artillery ammunition", "155 mm HE projectile", "rounds", 50_000, 2_000, 0, 48_000, 2_000,
         pytest.approx(0.04)]]
    assert rows(response, "training") == [["Leopard 2 crew", "Poland", 120, 90, pytest.approx(0.75)]]
    months = rows(response, "deliveries")
    expected = [m.strftime("%Y-%m") for m in fulfilment.month_starts(dt.date(2024, 4, 1), timezone.localdate())]
    assert [m[0] for m in months] == expected[::-1]  # every month, newest first, none skipped
    assert months[-1] == ["2024-04", 1, Decimal("10000000.00")]
    assert all(m[1:] == [0, Decimal(0)] for m in months[:-1])
    assert [c.key for c in response.context["tables"]["deliveries"].columns] == ["month", "count", "value"]


def test_recipient_page_for_an_officer_discloses_training_totals_only(client, us_officer, demo):
    client.force_login(us_officer)
    response = client.get("/recipient/")
    assert response.status_code == 200
    training = rows(response, "training")
    # only Poland trains for it: a total over one other nation is hidden, with the reason
    assert training == [["Leopard 2 crew", "fewer than 3 nations", "would reveal a hidden figure", None, 0, 0]]
    assert "Poland" not in str(training)


def test_recipient_page_for_its_own_officer_and_exports(client, nations, demo):
    from tests.conftest import make_user

    officer = make_user("officer-ukr", nation=nations["UKR"])
    client.force_login(officer)
    response = client.get("/recipient/UKR/")
    assert response.status_code == 200
    assert rows(response, "items")[0][3:6] == [50_000, 2_000, 0]
    csv = client.get("/recipient/?export=csv&table=items").content.decode("utf-8-sig").splitlines()
    assert csv[1] == "Artillery ammunition,155 mm HE projectile,rounds,50000,2000,0,48000,2000,4.0"
    assert client.get("/recipient/POL/").status_code == 404  # not a recipient
