"""CSV and XLSX downloads of dashboard tables (tablib, installed with django-import-export)."""

from __future__ import annotations

import datetime as dt
import re

import tablib
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from coordination.spreadsheet import spreadsheet_cell
from web.dashboard.tables import Table, export_label, export_value

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_dataset(table: Table, *, as_of: dt.date | None = None) -> tablib.Dataset:
    """The table's rows; for a past ``as_of``, a last column "As of" saying the date on every row (a file
    passed on without its name still says which day it describes)."""
    headers = [spreadsheet_cell(export_label(c)) for c in table.columns]
    stamp = [] if as_of is None else [as_of.isoformat()]
    if as_of is not None:
        headers.append(str(_("As of")))
    data = tablib.Dataset(headers=headers, title=str(table.title)[:31])
    for row in table.rows:
        data.append([spreadsheet_cell(export_value(v, c.kind)) for c, v in zip(table.columns, row, strict=True)]
                    + stamp)
    return data


def export_response(*, table: Table, fmt: str, as_of: dt.date | None = None) -> HttpResponse:
    """The table as a file download. ``fmt`` is "csv" or "xlsx" (the caller has checked it). The file name
    carries the date the figures describe: ``as_of`` when the page shows a past date, else today; a past
    date's file says it on every row too (``table_dataset``)."""
    data = table_dataset(table, as_of=as_of)
    stamp = (as_of or timezone.localdate()).isoformat()
    name = re.sub(r"[^a-z0-9_-]+", "-", table.key.lower())
    if fmt == "csv":
        body = data.export("csv").encode("utf-8-sig")  # BOM: spreadsheets open UTF-8 correctly
    else:
        body = data.export("xlsx")
    response = HttpResponse(body, content_type=FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.{fmt}"'
    return response
