"""The nations-and-items directory with its search, the heat map's order and its word on the allies it
does not show, and the product's own error pages (400/403/404/500) with DEBUG off."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.views import defaults

from coordination.access import CELL
from stockpiles import engine
from stockpiles import services as stock_services
from tests import factories
from web.dashboard.tables import Badge, Link

pytestmark = pytest.mark.django_db


def texts(table, col=0):
    return [getattr(row[col], "text", row[col]) for row in table.rows]


def test_directory_lists_every_nation_and_item_for_the_cell(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/directory/")
    assert response.status_code == 200
    assert texts(response.context["nations"]) == ["Poland", "Ukraine", "United States"]
    assert all(isinstance(row[0], Link) for row in response.context["nations"].rows)  # the cell opens all
    roles = [row[2] for row in response.context["nations"].rows]
    assert [b.text for b in roles] == ["Ally", "Recipient", "Ally"] and all(isinstance(b, Badge) for b in roles)
    assert texts(response.context["items"]) == ["IRIS-T SLM interceptor", "155 mm HE projectile"]  # by category
    assert b"Nations and items" in response.content  # in the nav and as the title


@pytest.mark.parametrize("q, want_nations, want_items", [
    ("pol", ["Poland"], []),
    ("USA", ["United States"], []),
    ("iris", [], ["IRIS-T SLM interceptor"]),
    ("artillery", [], ["155 mm HE projectile"]),
    ("nothing-like-this", [], []),
])
def test_directory_search(client, coordinator, demo, q, want_nations, want_items):
    client.force_login(coordinator)
    response = client.get("/directory/", {"q": q})
    assert texts(response.context["nations"]) == want_nations
    assert texts(response.context["items"]) == want_items
    if not want_nations:
        assert f"No nation matches “{q}”." in response.content.decode()


def test_directory_finds_an_item_by_its_nato_stock_number_with_or_without_dashes(client, coordinator, demo):
    factories.ItemFactory(name="AMRAAM", nsn="1410015510120", category=demo["missile"].category)
    client.force_login(coordinator)
    for q in ("1410-01-551-0120", "1410015510120"):
        assert texts(client.get("/directory/", {"q": q}).context["items"]) == ["AMRAAM"]
    row = client.get("/directory/", {"q": "AMRAAM"}).context["items"].rows[0]
    assert row[3] == "1410015510120"  # the NSN is shown: a match on it is visible, not a surprise


def test_an_officer_sees_every_name_but_opens_only_their_own_nation(client, polish_officer, demo):
    client.force_login(polish_officer)
    rows = client.get("/directory/").context["nations"].rows
    linked = {getattr(r[0], "text", r[0]): isinstance(r[0], Link) for r in rows}
    assert linked == {"Poland": True, "Ukraine": False, "United States": False}


def test_directory_query_count_is_fixed(client, coordinator, demo, django_assert_max_num_queries):
    for n in range(30):
        factories.ItemFactory(name=f"Extra item {n}")
    client.force_login(coordinator)
    client.get("/directory/")  # warm the session and the 2FA device
    with django_assert_max_num_queries(8):
        assert client.get("/directory/").status_code == 200


def test_directory_export_has_every_item(client, coordinator, demo):
    for n in range(60):
        factories.ItemFactory(name=f"Extra item {n:02d}")
    client.force_login(coordinator)
    page = client.get("/directory/")
    assert len(page.context["items"].rows) == 50 and page.context["items"].total == 62
    assert "Showing 50 of 62" in page.content.decode()
    csv = client.get("/directory/", {"export": "csv", "table": "items"}).content.decode()
    assert csv.count("Extra item") == 60


def test_heat_map_rows_are_in_the_order_of_the_names_shown(client, coordinator, demo):
    germany = factories.NationFactory(code="DEU", name="Germany")
    stock_services.stock_report_create(actor=CELL, nation=germany, item=demo["shell"], quantity=5,
                                       as_of=demo["today"] - dt.timedelta(days=3))
    engine.shortfalls_recompute(pairs=None)
    factories.NationFactory(code="CZE", name="Czechia")  # an ally the engine has not seen yet: no row at all
    client.force_login(coordinator)
    response = client.get("/")
    table = response.context["tables"]["coverage"]
    names = texts(table)
    assert names == sorted(names, key=str.casefold) and "Germany" in names
    # Czechia has no stored figure: the caption says how many allies are shown and why the others are not
    assert "3 of 4 allies shown; the other 1 have no stored figures yet" in str(table.caption)


def test_sortable_headers_look_clickable():
    from pathlib import Path

    css = Path(__file__).resolve().parents[2].joinpath("static/dashboard/dashboard.css").read_text()
    rule = css[css.index("th[aria-sort] a {"):].split("}", 1)[0]
    assert "underline" in rule and "cursor: pointer" in rule and "color: inherit" not in rule


@pytest.mark.parametrize("lang, heading", [("en", "Something went wrong"), ("fr", "Un problème est survenu")])
def test_the_500_page_is_the_products_own_and_renders_without_a_request_context(lang, heading, settings):
    settings.DEBUG = False
    request = RequestFactory().get("/")
    with translation.override(lang):
        response = defaults.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert heading in body and "Server Error (500)" not in body


@pytest.mark.parametrize("url, status, text", [
    ("/no-such-page/", 404, "Page not found"),
    ("/nations/ZZZ/", 404, "Page not found"),
])
def test_404_page_with_debug_off(client, coordinator, demo, settings, url, status, text):
    settings.DEBUG = False
    client.force_login(coordinator)
    response = client.get(url)
    assert response.status_code == status
    assert text in response.content.decode() and "Nations and items" in response.content.decode()  # the menu


def test_400_page_is_the_products_own(settings, coordinator):
    settings.DEBUG = False
    request = RequestFactory().get("/")
    request.user = coordinator
    response = defaults.bad_request(request, Exception("bad"))
    assert response.status_code == 400 and "The request could not be read" in response.content.decode()
