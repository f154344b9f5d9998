"""``?format=csv`` on list endpoints: the current page as CSV (nested values flattened to text; cells a
spreadsheet would run as a formula neutralised by ``coordination.spreadsheet.spreadsheet_cell``)."""

from __future__ import annotations

import csv
import io

from rest_framework.renderers import BaseRenderer

from coordination.spreadsheet import spreadsheet_cell


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            rows = data["results"]
        elif isinstance(data, list):
            rows = data
        else:
            rows = [data]
        rows = [r if isinstance(r, dict) else {"value": r} for r in rows]
        header: list[str] = []
        for row in rows:
            for key in row:
                if key not in header:
                    header.append(key)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else spreadsheet_cell(v if isinstance(v, int | float) else str(v)))
                             for k, v in row.items()})
        return out.getvalue().encode(self.charset)
