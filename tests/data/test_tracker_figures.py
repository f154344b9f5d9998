"""The Kiel tracker inside the product (issue 16): donors' totals and heavy weapons by type on /tracker/
and GET /api/v1/tracker/, with source and release named, equal to the source files to the cent. The
expected figures are summed here from the CSV files themselves, independently of the importer."""

from collections import defaultdict
from decimal import Decimal

import pytest

from coordination.api.tokens import token_issue
from tests.api.conftest import client_with
from tests.data.ust_helpers import csv_rows, run_import

pytestmark = pytest.mark.django_db

BILLION = Decimal(10) ** 9
COLUMNS = {"total": "allocated_eur", "military": "military_eur", "financial": "financial_eur",
           "humanitarian": "humanitarian_eur", "commitments": "committed_eur", "to_be_allocated": "to_be_allocated_eur"}


def source_donors() -> dict[str, dict[str, Decimal]]:
    """Per ISO code, each amount column summed exactly (the file is in billions of EUR)."""
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in csv_rows("data_explorer.csv"):
        for column, field in COLUMNS.items():
            out[row["iso"]][field] += Decimal(row[column]) * BILLION
    return out


def source_weapons() -> dict[str, tuple[int, Decimal]]:
    out: dict[str, list] = defaultdict(lambda: [0, Decimal(0)])
    for row in csv_rows("weapons.csv"):
        out[row["category"]][0] += int(row["number_of_weapons"])
        out[row["category"]][1] += Decimal(row["monetary_value_eur"])
    return {k: (n, v) for k, (n, v) in out.items()}


@pytest.fixture
def imported(db):
    run_import()


def test_tracker_page_equals_the_source_files_to_the_cent(client, polish_officer, imported):
    client.force_login(polish_officer)
    response = client.get("/tracker/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Kiel Institute, Ukraine Support Tracker" in body and "Release 29, data through April 2026" in body
    summary = response.context["summary"]
    expected = source_donors()
    assert {d.nation.code for d in summary.donors} == set(expected)
    for d in summary.donors:
        for field, value in expected[d.nation.code].items():
            assert getattr(d, field) == value.quantize(Decimal("0.01")), (d.nation.code, field)
    for field in COLUMNS.values():
        assert getattr(summary.total, field) == sum(v[field] for v in expected.values()).quantize(Decimal("0.01"))
    weapons = source_weapons()
    assert {w.category: (w.number, w.value_eur) for w in summary.weapons} == weapons
    assert summary.weapons_total.number == 0  # tanks and howitzers never add up in units
    assert summary.weapons_total.value_eur == sum(v for _n, v in weapons.values())
    # the page's rows are the same figures (the last row is every donor together)
    donors = response.context["tables"]["donors"].rows
    assert donors[-1][2:] == [getattr(summary.total, f) for f in COLUMNS.values()]
    assert 'href="/tracker/"' in body  # in the nav


def test_tracker_api_equals_the_source_files_to_the_cent(imported):
    from coordination.models import Nation

    _token, key = token_issue(nation=Nation.objects.get(code="POL"), name="POL logistics")
    response = client_with(key).get("/api/v1/tracker/")
    assert response.status_code == 200
    data = response.json()
    assert any("Release 29" in s for s in data["sources"])
    expected = source_donors()
    assert {d["donor"] for d in data["donors"]} == set(expected)
    for d in data["donors"]:
        for field, value in expected[d["donor"]].items():
            assert Decimal(d[field]) == value, (d["donor"], field)
    for field in COLUMNS.values():
        assert Decimal(data["total"][field]) == sum(v[field] for v in expected.values())
    weapons = source_weapons()
    assert {w["category"]: (w["number"], Decimal(w["value_eur"])) for w in data["heavy_weapons"]} == weapons
    assert Decimal(data["heavy_weapons_total"]["value_eur"]) == sum(v for _n, v in weapons.values())
    by_system = sum(Decimal(w["value_eur"]) for w in data["heavy_weapons_by_system"])
    assert by_system == Decimal(data["heavy_weapons_total"]["value_eur"])


def test_tracker_export_and_empty_state(client, coordinator, db):
    client.force_login(coordinator)
    response = client.get("/tracker/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No Kiel tracker figures loaded yet" in html and "manage.py" not in html  # in a coordinator's words
    run_import()
    csv = client.get("/tracker/?export=csv&table=tracker-weapons").content.decode("utf-8-sig").splitlines()
    assert csv[0] == "Type,Systems,Value (EUR),Donors"
    total = sum(v for _n, v in source_weapons().values())
    assert csv[-1].startswith("All types,") and Decimal(csv[-1].split(",")[2]) == total
