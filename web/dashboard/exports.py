"""CSV and XLSX downloads of dashboard tables (tablib, installed with django-import-export)."""

from __future__ import annotations

import datetime as dt
import re

import tablib
from django.http import HttpResponse
from django.utils import timezone

from coordination.spreadsheet import spreadsheet_cell
from web.dashboard.tables import Table, export_label, export_value

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_dataset(table: Table) -> tablib.Dataset:
    headers = [spreadsheet_cell(export_label(c)) for c in table.columns]
    data = tablib.Dataset(headers=headers, title=str(table.title)[:31])
    for row in table.rows:
        data.append([spreadsheet_cell(export_value(v, c.kind)) for c, v in zip(table.columns, row, strict=True)])
    return data


def export_response(*, table: Table, fmt: str, as_of: dt.date | None = None) -> HttpResponse:
    """The table as a file download. ``fmt`` is "csv" or "xlsx" (the caller has checked it). The file name
    carries the date the figures describe: ``as_of`` when the page shows a past date, else today."""
    data = table_dataset(table)
    stamp = (as_of or timezone.localdate()).isoformat()
    name = re.sub(r"[^a-z0-9_-]+", "-", table.key.lower())
    if fmt == "csv":
        body = data.export("csv").encode("utf-8-sig")  # BOM: spreadsheets open UTF-8 correctly
    else:
        body = data.export("xlsx")
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
