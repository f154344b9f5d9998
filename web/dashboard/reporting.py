"""The reporting page (``/reporting/``): who reports, who is late, who never did.

Per nation: its last stock report, the items it is expected to report (a guideline above 0 applies to
it) and how many of them it has reported, flagged stale when the last report is older than
``REPORTING_STALE_AFTER_DAYS``. An officer sees their own nation's row; the cell sees every nation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import scope_for
from stockpiles.reporting import reporting_by_nation
from web.dashboard.common import past, read_as_of, with_as_of
from web.dashboard.exports import FORMATS, export_response
from web.dashboard.tables import Badge, Column, Link, Table


def reporting_table(scope, as_of: dt.date | None = None) -> Table:
    table = Table(
        key="reporting", title=_("Reporting by nation"),
        caption=_("Items expected: those a guideline above 0 applies to (the alliance-wide one for every ally, "
                  "unless the nation has its own). Stale: the last stock report is older than %(days)s days.")
        % {"days": settings.REPORTING_STALE_AFTER_DAYS},
        columns=[
            Column("nation", _("Nation")), Column("last_report", _("Last stock report"), "date"),
            Column("days", _("Days since"), "int"), Column("expected", _("Items expected"), "int"),
            Column("reported", _("Items reported"), "int"), Column("missing", _("Not reported"), "int"),
            Column("state", _("Reporting"), "badge"),
        ],
        empty=(past(_("No nation was expected to report on %(day)s: no guideline applied then."), as_of)
               or _("No nation is expected to report yet: no guideline applies.")),
    )
    for row in reporting_by_nation(actor=scope, as_of=as_of):
        if row.stale:
            state = Badge(str(_("Stale")) if row.last_report else str(_("Never reported")), "badge-bad")
        else:
            state = Badge(str(_("Current")), "badge-ok")
        nation = row.nation_label
        if scope.is_cell or row.nation_id == scope.nation_id:
            nation = Link(row.nation_label, with_as_of(reverse("dashboard:nation", args=[row.nation_code]), as_of))
        table.rows.append([nation, row.last_report, row.days_since_report, row.items_expected, row.items_reported,
                           row.items_missing, state])
    return table


@require_GET
@login_required
def reporting(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form, as_of = read_as_of(request)
    fmt = request.GET.get("export")
    if fmt is not None:
        if fmt not in FORMATS or request.GET.get("table", "reporting") != "reporting":
            raise Http404(_("Unknown export."))
        return export_response(table=reporting_table(scope, as_of), fmt=fmt, as_of=as_of)
    return render(request, "dashboard/reporting.html", {
        "scope": scope, "table": reporting_table(scope, as_of), "today": timezone.localdate(),
        "stale_after_days": settings.REPORTING_STALE_AFTER_DAYS, "form": form, "as_of": as_of,
    })
