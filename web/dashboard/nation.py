"""A nation's page (``/nations/<code>/``): its stock against guideline, what it pledged or receives, its
training. Only the cell and that nation's own users open it (coordination.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, can_see_nation_detail, scope_for
from coordination.models import Nation
from coordination.security import log_refused
from coordination.selectors import nation_get
from pledges import selectors as pledge_selectors
from stockpiles import selectors as stock_selectors
from web.dashboard.common import PAGE_SIZE, TOP, Builders, chart, export_or_none, item_cell, page, past, read_as_of
from web.dashboard.shared_tables import (
    ShortfallRow,
    fulfilment_cells,
    fulfilment_columns,
    gap_table,
    pledge_table,
    shortfall_table,
)
from web.dashboard.tables import Column, Table


@dataclass(frozen=True)
class Reader:
    scope: Scope
    as_of: dt.date | None
    nation: Nation

    @property
    def receives(self) -> bool:
        return self.nation.role == Nation.Role.RECIPIENT


def stock_rows(r: Reader, limit: int | None = PAGE_SIZE) -> tuple[list[ShortfallRow], int | None]:
    """Worst first: the rows shown (``limit``; all for an export) and the total when there are more."""
    if r.as_of is None:  # stored rows: the database cuts and counts (in the same query)
        qs = stock_selectors.shortfall_list(actor=r.scope, nation=r.nation)
        if limit is None:
            rows = [(row.nation, row.item, stock_selectors.result_of(row)) for row in qs]
            return rows, None
        page_rows, count = stock_selectors.page_with_count(qs, limit)
        rows = [(row.nation, row.item, stock_selectors.result_of(row)) for row in page_rows]
        return rows, (count if count > limit else None)
    stored = stock_selectors.stored_figures(as_of=r.as_of, nation_ids=[r.nation.pk])  # the history: all of them
    rows = [(row.nation, row.item, row.result) for row in stock_selectors.stored_shortfall_rows(
        actor=r.scope, stored=stored, nations={r.nation.pk: r.nation})]
    return (rows[:limit] if limit else rows), len(rows)


def stock_table(r: Reader, rows: list[ShortfallRow], total: int | None) -> Table:
    table = shortfall_table("stock", _("Stock vs guideline per item"), r.scope, rows, as_of=r.as_of, with_nation=False)
    table.total = total
    return table


def pledged_table(r: Reader, limit: int | None = PAGE_SIZE) -> Table:
    """Largest pledged value first (a donor of a thousand items: the page shows the first ``limit``, the
    export every one)."""
    table = Table(key="pledged", title=_("Pledges given, per item"),
                  caption=_("Largest pledged value first."),
                  columns=fulfilment_columns(Column("item", _("Item"))),
                  empty=(past(_("This nation had announced no pledge by %(day)s."), r.as_of)
                         or _("This nation has not pledged anything yet.")))
    rows = pledge_selectors.fulfilment_by_item(actor=r.scope, as_of=r.as_of, donor=r.nation)
    rows.sort(key=lambda row: -row.fulfilment.pledged_value_eur)  # stable: ties stay by category and item
    if limit is not None and len(rows) > limit:
        table.total, rows = len(rows), rows[:limit]
    for row in rows:
        table.rows.append([item_cell(row.item, r.as_of)] + fulfilment_cells(row.fulfilment))
    return table


def pledges_table(r: Reader, limit: int | None = TOP * 2) -> Table:
    """The pledges it gave (for a recipient: the pledges it receives), newest first."""
    whose = {"recipient": r.nation} if r.receives else {"donor": r.nation}
    delivered = None
    if r.as_of is not None:  # delivered as of then: a correlated sum in the same query
        qs = pledge_selectors.pledge_list_as_of(actor=r.scope, as_of=r.as_of, **whose)
        pledges = list(qs[:limit] if limit else qs)
        delivered = {p.pk: p.delivered_then for p in pledges}
    else:
        qs = pledge_selectors.pledge_list(actor=r.scope, **whose)
        pledges = list(qs[:limit] if limit else qs)
    return pledge_table(pledges, scope=r.scope, on=r.as_of or timezone.localdate(), delivered=delivered,
                        key="pledges", title=_("Pledges received") if r.receives else _("Its pledges"),
                        with_donor=r.receives, empty=past(_("No pledges announced by %(day)s."), r.as_of) or None)


def training_table(r: Reader) -> Table:
    table = Table(key="training", title=_("Its training commitments"),
                  columns=[Column("programme", _("Programme")), Column("recipient", _("Recipient")),
                           Column("committed", _("Trainees committed"), "int"),
                           Column("completed", _("Trainees completed"), "int"),
                           Column("start", _("Start"), "date"), Column("end", _("End"), "date"),
                           Column("status", _("Status"))],
                  empty=(past(_("No training commitments recorded for this nation by %(day)s."), r.as_of)
                         or _("No training commitments recorded for this nation.")))
    if r.as_of is not None:
        table.caption = _("As recorded on %(day)s: each commitment's figures from its history.") % {
            "day": r.as_of.isoformat()}
    for t in pledge_selectors.training_list(actor=r.scope, donor=r.nation, as_of=r.as_of):
        table.rows.append([t.programme, t.recipient.display_name, t.trainees_committed, t.trainees_completed,
                           t.start_on, t.end_on, t.get_status_display()])
    return table


def gaps_table(r: Reader) -> Table:
    rows = pledge_selectors.recipient_gaps(actor=r.scope, recipient=r.nation, as_of=r.as_of)
    return gap_table(rows, as_of=r.as_of, title=_("Requirements: required vs pledged vs delivered"))


def exports(r: Reader) -> Builders:
    builders: Builders = {"stock": lambda: stock_table(r, *stock_rows(r, None)),
                          "pledged": lambda: pledged_table(r, None), "pledges": lambda: pledges_table(r, None),
                          "training": lambda: training_table(r)}
    if r.receives:
        builders["gaps"] = lambda: gaps_table(r)
    return builders


def coverage_chart(rows: list[ShortfallRow]) -> dict:
    charted = [(item, res) for _n, item, res in rows if res.coverage is not None][:20]
    labels = [item.display_name for item, _res in charted]
    return chart(
        "bar", labels,
        [{"label": str(_("Coverage (available ÷ guideline)")),
          "data": [round(res.coverage * 100, 1) for _i, res in charted]},
         # the guideline itself: a bar reaching this line covers its guideline
         {"label": str(_("Guideline (100 %)")), "data": [100] * len(labels), "type": "line", "dashed": True}]
        if charted else [],
        indexAxis="y", yTitle="%", allLabels=True,
    )


@require_GET
@login_required
def nation_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for(request.user)
    nation = nation_get(actor=scope, code=code)
    if nation is None:
        raise Http404(_("No such nation page."))
    if not can_see_nation_detail(scope, nation.pk):
        # Another nation's detail: only the cell and that nation's own users may read it.
        log_refused(request, reason="another nation's dashboard page", status=404, target_nation=nation.code)
        raise Http404(_("No such nation page."))
    form, as_of = read_as_of(request)
    r = Reader(scope=scope, as_of=as_of, nation=nation)
    exported = export_or_none(request, exports(r))
    if exported is not None:
        return exported
    rows, total = stock_rows(r)
    tables = {"stock": stock_table(r, rows, total), "pledged": pledged_table(r), "pledges": pledges_table(r),
              "training": training_table(r)}
    if r.receives:
        tables["gaps"] = gaps_table(r)
    return page(request, "dashboard/nation.html", {
        "nation": nation, "form": form, "as_of": as_of, "scope": scope, "tables": tables,
        "charts": {"coverage_chart": coverage_chart(rows)},
        "pledges_url": reverse("dashboard:pledges") + f"?{'recipient' if r.receives else 'donor'}={nation.code}",
    })
