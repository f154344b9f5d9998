"""Exports carry clean numbers: shares as percentages with one decimal and the unit in the header, the
heat map's coverage as a number (not the cell object), and the date the figures describe in the file name."""

import csv
import datetime as dt
import io

import openpyxl
import pytest

pytestmark = pytest.mark.django_db


def csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_coverage_heat_map_exports_percentages(client, coordinator, demo):
    client.force_login(coordinator)
    rows = csv_rows(client.get("/", {"export": "csv", "table": "coverage"}))
    assert rows[0] == ["Nation", "Air defence (%)", "Artillery ammunition (%)"]
    by_nation = {r[0]: r[1:] for r in rows[1:]}
    assert by_nation["United States"] == ["", "45.0"]
    assert by_nation["Poland"] == ["50.0", "120.0"]
    assert not any("CoverageCell" in cell for r in rows for cell in r)


def test_shares_are_rounded_percentages_in_xlsx(client, coordinator, demo):
    client.force_login(coordinator)
    response = client.get("/", {"export": "xlsx", "table": "training"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][-1] == "Completed share (%)"
    assert rows[1][-1] == 75.0  # 90 of 120 trainees
    rows = list(openpyxl.load_workbook(io.BytesIO(client.get(
        "/", {"export": "xlsx", "table": "shortfalls"}).content)).active.iter_rows(values_only=True))
    assert rows[0][3] == "Coverage (%)"
    assert [r[3] for r in rows[1:]] == [45.0, 50.0]


def test_a_share_with_many_decimals_is_cut_to_one(client, coordinator, demo):
    from pledges.models import TrainingCommitment

    TrainingCommitment.objects.update(trainees_committed=300, trainees_completed=212)  # 70.666…%
    client.force_login(coordinator)
    rows = csv_rows(client.get("/", {"export": "csv", "table": "training"}))
    assert rows[1][-1] == "70.7"


def test_file_name_carries_the_as_of_date(client, coordinator, demo):
    client.force_login(coordinator)
    day = demo["today"] - dt.timedelta(days=200)
    response = client.get("/", {"as_of": day.isoformat(), "export": "csv", "table": "shortfalls"})
    assert response["Content-Disposition"] == f'attachment; filename="shortfalls-{day.isoformat()}.csv"'
    response = client.get("/", {"export": "xlsx", "table": "shortfalls"})
    assert response["Content-Disposition"] == f'attachment; filename="shortfalls-{demo["today"].isoformat()}.xlsx"'
