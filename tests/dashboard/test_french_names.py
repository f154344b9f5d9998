"""Nations, categories and items in the reader's language (coordination.names): a French reader sees the
French names on every page, in the charts, the exports and the briefing; an English reader the English
ones; an empty French name falls back to the English one; and the names cost no query."""

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from coordination.access import CELL
from coordination.models import Category, Item, Membership, Nation
from pledges.models import AidFlow
from stockpiles import engine
from stockpiles import services as stock_services
from tests import factories
from tests.dashboard import scenario

pytestmark = pytest.mark.django_db

FRENCH = {
    "United States": "États-Unis",
    "Poland": "Pologne",
    "155 mm HE projectile": "Obus explosif de 155 mm",
    "IRIS-T SLM interceptor": "Missile intercepteur IRIS-T SLM",
    "Artillery ammunition": "Munitions d’artillerie",
    "Air defence": "Défense aérienne",
}


@pytest.fixture
def french_demo(nations, demo):
    """The dashboard scenario with French names, joint procurement, tracker figures and a snapshot to compare."""
    Nation.objects.filter(code="USA").update(name_fr="États-Unis")
    Nation.objects.filter(code="POL").update(name_fr="Pologne")
    Item.objects.filter(pk=demo["shell"].pk).update(name_fr="Obus explosif de 155 mm")
    Item.objects.filter(pk=demo["missile"].pk).update(name_fr="Missile intercepteur IRIS-T SLM")
    Category.objects.filter(pk=demo["ammo"].pk).update(name_fr="Munitions d’artillerie")
    Category.objects.filter(pk=demo["air"].pk).update(name_fr="Défense aérienne")
    procurement = scenario.procurement(nations, demo)
    for code in ("USA", "POL"):
        AidFlow.objects.create(nation=nations[code], month=dt.date(2024, 1, 1), allocated_eur=100, military_eur=80,
                               financial_eur=10, humanitarian_eur=10, committed_eur=150, to_be_allocated_eur=50)
    snapshot = stock_services.snapshot_create(actor=CELL, name="Before the new report")
    stock_services.stock_report_create(actor=CELL, nation=nations["USA"], item=demo["shell"], quantity=7_000,
                                       as_of=demo["today"] - dt.timedelta(days=1))
    engine.shortfalls_recompute(pairs=None)
    return {**demo, **procurement, "snapshot": snapshot}


def pages(d) -> dict[str, tuple[str, dict, list[str]]]:
    """Page → (url, query, English names it shows)."""
    shell = d["shell"].pk
    return {
        "overview": ("/", {}, ["United States", "Poland", "155 mm HE projectile", "Artillery ammunition",
                               "Air defence"]),
        "nation": ("/nations/USA/", {}, ["United States", "155 mm HE projectile"]),
        "nation_pol": ("/nations/POL/", {}, ["Poland", "IRIS-T SLM interceptor"]),
        "item": (reverse("dashboard:item", args=[shell]), {}, ["155 mm HE projectile", "Artillery ammunition",
                                                               "United States", "Poland"]),
        "recipient": ("/recipient/", {}, ["155 mm HE projectile", "Artillery ammunition"]),
        "pledges": ("/pledges/", {}, ["155 mm HE projectile", "IRIS-T SLM interceptor", "Poland",
                                      "United States"]),
        "procurement": ("/procurement/", {}, ["155 mm HE projectile", "IRIS-T SLM interceptor", "United States"]),
        "sourcing": ("/sourcing/", {"item": shell, "quantity": 1000}, ["155 mm HE projectile", "Poland"]),
        "tracker": ("/tracker/", {}, ["United States", "Poland"]),
        "directory": ("/directory/", {}, ["United States", "Poland", "155 mm HE projectile",
                                          "IRIS-T SLM interceptor", "Artillery ammunition", "Air defence"]),
        "snapshot_compare": ("/snapshots/compare/", {"a": d["snapshot"].pk, "b": "today"},
                             ["United States", "155 mm HE projectile"]),
        "reporting": ("/reporting/", {}, ["United States", "Poland"]),
        "briefing": ("/briefing/", {}, ["United States", "155 mm HE projectile", "Artillery ammunition"]),
        # the trend panels htmx loads into the overview, nation and item pages: their lines and titles
        "trend_overview": ("/trends/", {}, ["Artillery ammunition"]),
        "trend_nation": ("/trends/", {"nation": "USA"}, ["155 mm HE projectile"]),
        "trend_item": ("/trends/", {"item": shell}, ["155 mm HE projectile", "United States"]),
    }


def set_language(user, language: str) -> None:
    Membership.objects.filter(user=user).update(language=language)


def test_every_page_names_in_the_readers_language(client, coordinator, french_demo):
    client.force_login(coordinator)
    for language in ("en", "fr"):
        set_language(coordinator, language)
        for page, (url, query, english) in pages(french_demo).items():
            response = client.get(url, query)
            assert response.status_code == 200, page
            html = response.content.decode()
            for name in english:
                shown, other = (name, FRENCH[name]) if language == "en" else (FRENCH[name], name)
                # as text, or inside a chart's JSON (non-ASCII letters escaped there)
                assert shown in html or json.dumps(shown)[1:-1] in html, (language, page, shown)
                assert other not in html and json.dumps(other)[1:-1] not in html, (language, page, other)


def test_an_empty_french_name_falls_back_to_the_english_one(client, coordinator, french_demo):
    Item.objects.filter(pk=french_demo["missile"].pk).update(name_fr="")
    Nation.objects.filter(code="POL").update(name_fr="")
    client.force_login(coordinator)
    set_language(coordinator, "fr")
    html = client.get("/directory/").content.decode()
    assert "IRIS-T SLM interceptor" in html and "Poland" in html  # no French name: the English one
    assert "Obus explosif de 155 mm" in html and "États-Unis" in html  # the others in French


def test_chart_labels_are_french(client, coordinator, french_demo):
    client.force_login(coordinator)
    set_language(coordinator, "fr")
    charts = client.get("/nations/POL/").context["charts"]
    assert charts["coverage_chart"]["labels"] == ["Missile intercepteur IRIS-T SLM", "Obus explosif de 155 mm"]
    procurement = client.get("/procurement/").context
    titles = {c["title"] for c in procurement["demand_charts"]}
    assert "Obus explosif de 155 mm" in titles and "155 mm HE projectile" not in titles


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_french_export_carries_french_names(client, coordinator, french_demo):
    client.force_login(coordinator)
    set_language(coordinator, "fr")
    rows = csv_rows(client.get("/", {"export": "csv", "table": "coverage"}))
    assert rows[0] == ["Nation", "Défense aérienne (%)", "Munitions d’artillerie (%)"]
    assert [r[0] for r in rows[1:]] == ["États-Unis", "Pologne"]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/directory/", {"export": "xlsx", "table": "items"}).content))
    names = [r[0] for r in list(book.active.iter_rows(values_only=True))[1:]]
    assert names == ["Missile intercepteur IRIS-T SLM", "Obus explosif de 155 mm"]
    set_language(coordinator, "en")
    rows = csv_rows(client.get("/", {"export": "csv", "table": "coverage"}))
    assert [r[0] for r in rows[1:]] == ["Poland", "United States"]


def test_the_heat_map_sorts_by_the_name_shown(client, coordinator, french_demo):
    germany = factories.NationFactory(code="DEU", name="Germany", name_fr="Allemagne")
    czechia = factories.NationFactory(code="CZE", name="Czechia", name_fr="Tchéquie")
    for nation in (germany, czechia):
        stock_services.stock_report_create(actor=CELL, nation=nation, item=french_demo["shell"], quantity=5,
                                           as_of=french_demo["today"] - dt.timedelta(days=3))
    engine.shortfalls_recompute(pairs=None)
    client.force_login(coordinator)
    shown = {}
    for language in ("en", "fr"):
        set_language(coordinator, language)
        table = client.get("/").context["tables"]["coverage"]
        shown[language] = [getattr(row[0], "text", row[0]) for row in table.rows]
    assert shown["en"] == ["Czechia", "Germany", "Poland", "United States"]
    assert shown["fr"] == ["Allemagne", "États-Unis", "Pologne", "Tchéquie"]  # É with the E's


def test_the_pledge_list_sorts_by_the_item_name_shown(client, coordinator, french_demo):
    client.force_login(coordinator)
    order = {}
    for language in ("en", "fr"):
        set_language(coordinator, language)
        rows = client.get("/pledges/", {"sort": "item"}).context["table"].rows
        order[language] = [r[2].text for r in rows]
    assert order["en"] == ["155 mm HE projectile", "IRIS-T SLM interceptor"]
    assert order["fr"] == ["Missile intercepteur IRIS-T SLM", "Obus explosif de 155 mm"]


@pytest.mark.parametrize("language, q, want_nations, want_items", [
    ("fr", "pologne", ["Pologne"], []),
    ("en", "pologne", ["Poland"], []),  # the French name finds, the English reader sees the English name
    ("fr", "poland", ["Pologne"], []),
    ("fr", "obus", [], ["Obus explosif de 155 mm"]),
    ("fr", "aérienne", [], ["Missile intercepteur IRIS-T SLM"]),  # by the category's French name
    ("en", "obus", [], ["155 mm HE projectile"]),
])
def test_directory_search_by_either_name(client, coordinator, french_demo, language, q, want_nations, want_items):
    client.force_login(coordinator)
    set_language(coordinator, language)
    response = client.get("/directory/", {"q": q})
    assert [getattr(r[0], "text", r[0]) for r in response.context["nations"].rows] == want_nations
    assert [getattr(r[0], "text", r[0]) for r in response.context["items"].rows] == want_items


def test_names_cost_no_query(client, coordinator, french_demo):
    """Every page runs exactly as many queries in French as in English."""
    client.force_login(coordinator)
    client.get("/api/v1/whoami/")  # the session's first stamp (tests/dashboard/test_query_counts.py)
    counts = {}
    for language in ("en", "fr"):
        set_language(coordinator, language)
        for page, (url, query, _names) in pages(french_demo).items():
            client.get(url, query)  # warm: the same state before both counts
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url, query).status_code == 200
            counts[(page, language)] = len(captured.captured_queries)
    for page in pages(french_demo):
        assert counts[(page, "fr")] == counts[(page, "en")], page


def test_french_briefing_pdf_has_french_names(client, coordinator, french_demo):
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    client.force_login(coordinator)
    response = client.get("/briefing.pdf", {"lang": "fr"})
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(response.content)).pages)
    assert "Obus explosif de 155 mm" in text and "États-Unis" in text
    assert "155 mm HE projectile" not in text and "United States" not in text
