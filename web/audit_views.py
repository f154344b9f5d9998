"""The audit view (``/audit/``): the cell reads who changed what, when, for which nation. Read-only.

National officers get a 404 (logged as a refused access), like another nation's page.
"""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coordination.access import scope_for
from coordination.security import log_refused
from web.audit import SPECS, AuditFilterSet, audit_chunks, audit_queryset, enrich

PAGE_SIZE = 50
CSV_HEADERS = ["when (UTC)", "who", "nation", "record type", "record id", "action", "field", "old", "new"]


class _Echo:
    def write(self, value):
        return value


def _csv_lines(queryset):
    writer = csv.writer(_Echo())
    yield "\ufeff"  # BOM: spreadsheets open UTF-8 correctly
    yield writer.writerow(CSV_HEADERS)
    for chunk in audit_chunks(queryset):
        for row in chunk:
            base = [row.when.isoformat(), row.who, row.nation, row.model, row.object_id, row.action]
            for field, old, new in row.changes or [("", "", "")]:
                yield writer.writerow([*base, field, old, new])


@require_GET
@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.is_cell:
        log_refused(request, reason="audit view is for the cell", status=404)
        raise Http404(_("No such page."))
    filterset = AuditFilterSet(request.GET or None, queryset=SPECS[0].model.history.none())
    queryset = audit_queryset(filterset)
    if request.GET.get("export") == "csv":
        response = StreamingHttpResponse(_csv_lines(queryset), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = enrich(page.object_list)
    return render(request, "dashboard/audit.html",
                  {"filterset": filterset, "page": page, "rows": rows, "scope": scope})
