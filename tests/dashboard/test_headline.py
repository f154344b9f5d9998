"""The overview's headline row (issue 16): alliance shortfall by category in EUR (units per item, never
summed across items), share of pledged value delivered, overdue pledges, nations not reporting, open
alerts; each links to its detail. Figures from the hand-checked scenario (tests/dashboard/scenario.py)."""

from decimal import Decimal

import pytest

from web.dashboard.tables import Badge, Link

pytestmark = pytest.mark.django_db


def text(value):
    return value.text if isinstance(value, (Link, Badge)) else value


def heads(response):
    return {h.key: h for h in response.context["headlines"]}


def test_headline_row_for_the_cell(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/")
    h = heads(response)
    # 155 mm: USA 5,500 rounds × €1,000; interceptors: POL 50 × €400,000 -> €5.5 m + €20 m
    assert h["shortfall"].value == "€25.5 m"
    assert "155 mm" not in h["shortfall"].value
    assert "IRIS-T SLM interceptor, 50 missiles" in h["shortfall"].detail  # the largest, in its own unit
    assert h["delivered"].value == "83%"  # €10 m of €12 m
    assert h["overdue"].value == "1"
    assert h["alerts"].value == str(response.context["tables"]["alerts"].total or
                                    len(response.context["tables"]["alerts"].rows))
    assert h["reporting"].label == "Nations not reporting"
    # each links to its detail, which is on the page or one click away
    body = response.content.decode()
    assert h["shortfall"].url == "/#table-shortfall-categories" and 'id="table-shortfall-categories"' in body
    assert h["delivered"].url == "/#table-fulfilment" and 'id="table-fulfilment"' in body
    assert h["overdue"].url == "/#table-overdue" and 'id="table-overdue"' in body
    assert h["alerts"].url == "/#table-alerts" and 'id="table-alerts"' in body
    assert h["reporting"].url == "/reporting/"
    for one in h.values():
        assert f'href="{one.url}"' in body
    rows = [[text(v) for v in row] for row in response.context["tables"]["categories"].rows]
    # category, items short, EUR, largest item, its shortfall (units), unit
    assert rows == [["Air defence", 1, Decimal("20000000"), "IRIS-T SLM interceptor", 50, "missiles"],
                    ["Artillery ammunition", 1, Decimal("5500000"), "155 mm HE projectile", 5500, "rounds"]]


def test_headline_row_for_an_officer_hides_what_disclosure_hides(client, polish_officer, demo):
    client.force_login(polish_officer)
    response = client.get("/")
    h = heads(response)
    # Each item's roll-up has fewer than 3 other contributing nations: hidden, so not in the EUR total.
    assert h["shortfall"].value == "€0"
    assert "2 items hidden from you are not in it" in h["shortfall"].detail
    assert h["reporting"].label == "Your reporting"  # its own state, never a count of other nations
    rows = [[text(v) for v in row] for row in response.context["tables"]["categories"].rows]
    assert all(row[2] == 0 and row[-1] == "1" for row in rows), rows  # nothing exact about other nations
    assert "5500" not in response.content.decode().replace(",", "").replace("\u202f", "")


def test_headline_row_in_french(client, coordinator, demo):
    from coordination.models import Membership

    Membership.objects.filter(user=coordinator).update(language="fr")
    client.force_login(coordinator)
    response = client.get("/")
    h = heads(response)
    assert str(h["shortfall"].label) == "Déficit de l’Alliance"
    assert h["shortfall"].value.replace("\xa0", " ") == "25,5 M€"


def test_category_export_matches_the_page(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/?export=csv&table=shortfall-categories")
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("Air defence,1,20000000.0,IRIS-T SLM interceptor,50,missiles")
