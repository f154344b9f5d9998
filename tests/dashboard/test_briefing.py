"""The printable briefing (issue 16): /briefing/ (print-ready HTML) and /briefing.pdf (WeasyPrint, offline,
vendored fonts), for the cell or a nation's own view, today or an as-of date, English or French, the
classification banner on every page; an officer's briefing holds no other nation's exact figures."""

import io

import pytest

pytestmark = pytest.mark.django_db

weasyprint = pytest.importorskip("weasyprint")
pypdf = pytest.importorskip("pypdf")


def pdf_pages(content: bytes) -> list[str]:
    assert content.startswith(b"%PDF")
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def test_briefing_html_for_the_cell(client, coordinator, demo, settings):
    settings.CLASSIFICATION_BANNER = "NATO UNCLASSIFIED — BRIEFING TEST"
    client.force_login(coordinator)
    response = client.get("/briefing/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("NATO UNCLASSIFIED — BRIEFING TEST") == 2  # top and bottom on screen
    assert "@top-center" in (settings.BASE_DIR / "static/dashboard/briefing.css").read_text()  # every printed page
    for key in ("shortfall-categories", "overdue", "reporting", "alerts"):
        assert f'id="table-{key}"' in body
    assert "€25.5 m" in body and "Briefing: the coordination cell (every nation)" in body
    assert 'href="/briefing.pdf"' in body
    assert "http://" not in body and "https://" not in body  # nothing loads from elsewhere


def test_briefing_pdf_banner_on_every_page_in_french(client, coordinator, demo, settings):
    settings.CLASSIFICATION_BANNER = "NATO UNCLASSIFIED — BRIEFING TEST"
    client.force_login(coordinator)
    response = client.get("/briefing.pdf", {"lang": "fr"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = pdf_pages(response.content)
    assert len(pages) >= 1
    for text in pages:
        assert text.count("NATO UNCLASSIFIED — BRIEFING TEST") >= 2, text  # top and bottom margin boxes
    assert "Déficit de l’Alliance" in pages[0] and "25,5" in pages[0]
    fonts = {str(f) for page in pypdf.PdfReader(io.BytesIO(response.content)).pages
             for f in (page.get("/Resources", {}).get("/Font", {}) or {}).values()
             for f in [f.get_object().get("/BaseFont")]}
    # the vendored font (its @font-face family), not whatever the machine has
    assert fonts and all("Briefing-Sans" in f for f in fonts), fonts


def test_officers_briefing_has_no_other_nations_exact_figures(client, polish_officer, demo):
    client.force_login(polish_officer)
    response = client.get("/briefing.pdf")
    assert response.status_code == 200
    text = " ".join(pdf_pages(response.content)).replace(",", "").replace("\u202f", "").replace("\xa0", "")
    assert "Poland's view" in text
    assert "5500" not in text and "5.5 m" not in text  # the USA's shortfall (the only nation short of 155 mm)
    assert "6000" not in text and "4500" not in text  # its stock and what it has available
    assert "United States" in text  # its overdue pledge is a record POL may see (alliance releasability)
    # an officer cannot ask for another nation's view; the cell can
    assert client.get("/briefing/", {"nation": "USA"}).status_code == 404


def test_cell_prepares_a_nations_view_as_of_a_date(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/briefing/", {"nation": "POL", "as_of": "2025-01-15"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Poland" in body and "2025-01-15" in body
    assert "€5.5 m" not in body  # POL's view: the USA's 155 mm shortfall is hidden


def test_briefing_from_a_frozen_snapshot(client, coordinator, demo, nations):
    from coordination.access import CELL
    from stockpiles import engine
    from stockpiles import services as stock_services
    from stockpiles.services import snapshot_create

    snapshot = snapshot_create(actor=CELL, name="Weekly briefing W1")
    # a late report: the USA is back at guideline today, the snapshot keeps what it froze
    stock_services.stock_report_create(actor=CELL, nation=nations["USA"], item=demo["shell"], quantity=20_000,
                                       as_of=demo["today"])
    engine.shortfalls_recompute(pairs=None)
    client.force_login(coordinator)
    today = client.get("/briefing/").content.decode()
    frozen = client.get("/briefing/", {"snapshot": snapshot.pk}).content.decode()
    assert "€5.5 m" not in today
    assert "Weekly briefing W1" in frozen and "€25.5 m" in frozen and "€5.5 m" in frozen
    response = client.get("/briefing.pdf", {"snapshot": snapshot.pk})
    assert "Weekly briefing W1" in " ".join(pdf_pages(response.content))


@pytest.mark.parametrize("query", [{"as_of": "2999-01-01"}, {"lang": "de"}, {"snapshot": "q3"}, {"snapshot": "999"}])
def test_briefing_bad_input_is_a_clear_400(client, coordinator, demo, query):
    client.force_login(coordinator)
    for url in ("/briefing/", "/briefing.pdf"):
        response = client.get(url, query)
        assert response.status_code == 400
        assert response.content.decode().strip()


def test_pdf_fetches_nothing_outside_the_static_files():
    from web.dashboard.briefing import local_fetch

    for url in ("https://example.org/font.ttf", "http://127.0.0.1/x.css", "file:///etc/passwd"):
        with pytest.raises(ValueError):
            local_fetch(url)
