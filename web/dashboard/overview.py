"""Overview (``/``): the alliance at a glance. Each table is declared below as a function of the
selectors' rows; the view reads, builds and renders. ``?export=csv|xlsx&table=<key>`` downloads one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from coordination.models import Nation
from pledges import selectors as pledge_selectors
from pledges.fulfilment import fulfilment_across_items, month_starts
from stockpiles import selectors as stock_selectors
from stockpiles.alert_text import alert_text
from stockpiles.reporting import nations_with_last_report, reports_stale_on, snapshot_with_nations
from web.dashboard.common import (
    PAGE_SIZE,
    TOP,
    Builders,
    chart,
    export_or_none,
    figure_cell,
    item_cell,
    nation_cell,
    page,
    past,
    read_as_of,
    unit_label,
    with_as_of,
)
from web.dashboard.headline import category_table, headlines, read_figures
from web.dashboard.shared_tables import (
    fulfilment_cells,
    fulfilment_columns,
    shortfall_table,
)
from web.dashboard.tables import Column, Link, Table


@dataclass(frozen=True)
class Reader:
    """Who reads the page, for which date, and the nations by id with their last reports (read once)."""

    scope: Scope
    as_of: dt.date | None
    nations: dict[int, Nation]
    snapshot_id: int | None = None  # a frozen snapshot opened (?snapshot=): the stock tables read its rows

    @cached_property
    def stored(self) -> stock_selectors.StoredFigures | stock_selectors.ReaderFigures:
        """A nation's read of the page's date (or the snapshot's), once for every stock table of its page: its
        own pairs and, per item, the aggregates its roll-up is disclosed on (``reader_figures``); every pair
        (``stored_figures``) for an account without a nation."""
        if self.scope.nation_id is not None and not self.scope.is_cell:
            return stock_selectors.reader_figures(actor=self.scope, as_of=self.as_of, snapshot_id=self.snapshot_id)
        return stock_selectors.stored_figures(as_of=self.as_of, snapshot_id=self.snapshot_id)

    @cached_property
    def summary(self) -> stock_selectors.StoredSummary:
        """The same figures summed by the database, read once for every stock table of the cell's page."""
        return stock_selectors.stored_summary(as_of=self.as_of, snapshot_id=self.snapshot_id, largest=TOP)

    @property
    def read(self) -> dict:
        """What the stock tables are built from: the cell's sums, or a nation's read (``stored``)."""
        return {"summary": self.summary} if self.scope.is_cell else {"stored": self.stored}


def coverage_table(r: Reader) -> Table:
    matrix = stock_selectors.shortfall_matrix(actor=r.scope, as_of=r.as_of, nations=r.nations,
                                              snapshot_id=r.snapshot_id, **r.read)
    table = Table(
        key="coverage", title=_("Coverage by nation and category"),
        caption=_("Lowest coverage (available ÷ guideline) among each nation's items in the category."),
        columns=[Column("nation", _("Nation"))]
        + [Column(f"c{c.pk}", c.display_name, "coverage") for c in matrix.categories],
        empty=(past(_("No figures on %(day)s: no stock report or guideline was recorded by then."), r.as_of)
               or _("No figures yet: the heat map fills in once nations report stock of items a guideline "
                     "applies to.")),
    )
    for nation in matrix.nations:
        table.rows.append([nation_cell(r.scope, nation, r.as_of)]
                          + [matrix.cell(nation.pk, c.pk) for c in matrix.categories])
    if r.scope.is_cell and table.rows:
        allies = [n for n in r.nations.values() if n.role == Nation.Role.ALLY]
        missing = len({n.pk for n in allies} - {n.pk for n in matrix.nations})
        if missing:
            table.caption = format_lazy("{} {}", table.caption, _(
                "%(shown)s of %(allies)s allies shown; the other %(missing)s have no stored figures yet (no "
                "guideline applies to them, or the engine has not run since they were added): see Reporting.") % {
                "shown": len(allies) - missing, "allies": len(allies), "missing": missing})
    return table


def largest_table(r: Reader, limit: int | None = TOP) -> Table:
    if r.scope.is_cell and limit == TOP:  # read with the sums
        found = stock_selectors.largest_of_summary(r.summary, r.nations)
    elif r.scope.is_cell:  # the export: every row, ordered by the database
        found = stock_selectors.largest_stored_rows(actor=r.scope, nations=r.nations, as_of=r.as_of,
                                                    snapshot_id=r.snapshot_id, limit=limit)
    else:
        found = stock_selectors.stored_shortfall_rows(actor=r.scope, stored=r.stored, nations=r.nations,
                                                      below_only=True, limit=limit)
    rows = [(row.nation, row.item, row.result) for row in found]
    return shortfall_table("shortfalls", _("Largest shortfalls"), r.scope, rows, as_of=r.as_of,
                           empty=past(_("No nation was below guideline for any item on %(day)s."), r.as_of)
                           or (_("No nation is below guideline for any item.") if r.scope.is_cell else
                               _("Your nation is not below guideline for any item. Other nations' rows are not "
                                 "shown to you; the alliance position per item counts them.")))


def alliance_table(r: Reader, limit: int | None = PAGE_SIZE, rows: list | None = None) -> Table:
    table = Table(
        key="alliance", title=_("Alliance position per item"),
        caption=_("Gross shortfall: a surplus in one nation never covers another's shortfall."),
        columns=[
            Column("item", _("Item")), Column("category", _("Category")), Column("unit", _("Unit")),
            Column("total", _("Total shortfall"), "int"), Column("net", _("Net position"), "int"),
            Column("below", _("Nations below guideline"), "int"),
            Column("counted", _("Nations counted"), "int"),
            Column("not_reporting", _("Nations not reporting"), "int"),
        ],
        empty=(past(_("No figures on %(day)s: no stock report or guideline was recorded by then."), r.as_of)
               or _("No stored shortfalls yet.")),
    )
    rows = list(stock_selectors.alliance_rollup(actor=r.scope, **r.read) if rows is None else rows)
    rows.sort(key=lambda row: -(row.total_shortfall or 0))  # stable: ties stay by category and name
    table.total = len(rows)
    for row in rows[:limit] if limit else rows:
        table.rows.append([
            Link(row.item_label, with_as_of(reverse("dashboard:item", args=[row.item_id]), r.as_of)),
            row.category_label,
            unit_label(row.unit), *(figure_cell(row, name) for name in
                                    ("total_shortfall", "net_position", "nations_below", "nations_counted",
                                     "nations_not_reporting")),
        ])
    return table


def donor_rows(r: Reader) -> list:
    return pledge_selectors.fulfilment_by_donor(actor=r.scope, as_of=r.as_of, nations=r.nations)


def fulfilment_table(r: Reader, rows: list) -> Table:
    table = Table(key="fulfilment", title=_("Pledge fulfilment by donor"),
                  caption=_("In EUR across all items; quantities per item are on each nation's and item's page."),
                  columns=fulfilment_columns(Column("donor", _("Donor")), quantities=False),
                  empty=(past(_("No pledges announced by %(day)s."), r.as_of)
                         or _("No pledges recorded yet. Add pledges in the admin or through the API.")))
    for row in rows:
        table.rows.append([nation_cell(r.scope, row.donor, r.as_of)]
                          + fulfilment_cells(row.fulfilment, quantities=False))
    return table


def month_rows(r: Reader) -> list:
    return pledge_selectors.deliveries_per_month(actor=r.scope, until=r.as_of)


def deliveries_table(rows: list, as_of: dt.date | None = None) -> Table:
    """Counts and EUR only: a month's deliveries are of different items, and rounds and tanks never add up."""
    table = Table(key="deliveries", title=_("Deliveries per month"),
                  caption=_("Across all items in EUR; quantities per item are on each item's page."),
                  columns=[Column("month", _("Month")), Column("count", _("Deliveries"), "int"),
                           Column("value", _("Delivered value (EUR)"), "eur")],
                  empty=past(_("No delivery delivered by %(day)s."), as_of) or _("No delivered deliveries yet."))
    for m in rows:
        table.rows.append([m.month.strftime("%Y-%m"), m.deliveries, m.value_eur])
    return table


def training_table(r: Reader) -> Table:
    table = Table(key="training", title=_("Training: committed vs completed"),
                  columns=[Column("donor", _("Donor")), Column("programme", _("Programme")),
                           Column("committed", _("Trainees committed"), "int"),
                           Column("completed", _("Trainees completed"), "int"),
                           Column("share", _("Completed share"), "pct")],
                  empty=(past(_("No training commitments recorded by %(day)s."), r.as_of)
                         or _("No training commitments recorded yet.")))
    if r.as_of is not None:
        table.caption = _("As recorded on %(day)s: each commitment's figures from its history.") % {
            "day": r.as_of.isoformat()}
    for row in pledge_selectors.training_summary(actor=r.scope, nations=r.nations, as_of=r.as_of):
        p = row.progress
        table.rows.append([nation_cell(r.scope, row.donor, r.as_of), p.programme, p.committed, p.completed,
                           p.completed_share])
    return table


def overdue_table(r: Reader, limit: int | None = TOP, page: tuple[list, int] | None = None) -> Table:
    rows, total = page or pledge_selectors.overdue_pledges_page(actor=r.scope, on=r.as_of, limit=limit)
    table = Table(key="overdue", title=_("Overdue pledges"),
                  columns=[Column("donor", _("Donor")), Column("item", _("Item")),
                           Column("recipient", _("Recipient")), Column("due", _("Due on"), "date"),
                           Column("days", _("Days overdue"), "int"),
                           Column("outstanding", _("Outstanding quantity"), "int"), Column("unit", _("Unit"))],
                  empty=past(_("No pledge was overdue on %(day)s."), r.as_of) or _("No pledge is overdue."))
    table.total = total
    for o in rows:
        table.rows.append([nation_cell(r.scope, o.pledge.donor, r.as_of), item_cell(o.pledge.item, r.as_of),
                           o.pledge.recipient.display_name, o.pledge.due_on, o.days_overdue, o.outstanding,
                           unit_label(o.pledge.item.unit)])
    return table


def alerts_table(r: Reader, limit: int | None = TOP, alerts: list | None = None, total: int | None = None) -> Table:
    if alerts is None:
        alerts, total = stock_selectors.alerts_page(actor=r.scope, open_at=r.as_of, limit=limit)
    table = Table(key="alerts", title=past(_("Alerts open on %(day)s"), r.as_of) or _("Open alerts"),
                  columns=[Column("opened", _("Opened"), "date"), Column("kind", _("Kind")),
                           Column("nation", _("Nation")), Column("message", _("Message"))],
                  empty=past(_("No alert was open on %(day)s."), r.as_of) or _("No open alerts."))
    table.total = total
    for a in alerts:
        table.rows.append([a.opened_at, a.get_kind_display(), nation_cell(r.scope, a.nation, r.as_of),
                           alert_text(a)])
    return table


def exports(r: Reader) -> Builders:
    """Every table in full, for ``?export=``."""
    return {
        "coverage": lambda: coverage_table(r), "shortfalls": lambda: largest_table(r, None),
        "alliance": lambda: alliance_table(r, None), "fulfilment": lambda: fulfilment_table(r, donor_rows(r)),
        "deliveries": lambda: deliveries_table(month_rows(r), r.as_of), "training": lambda: training_table(r),
        "overdue": lambda: overdue_table(r, None), "alerts": lambda: alerts_table(r, None),
        "shortfall-categories": lambda: category_table(
            r.scope, stock_selectors.shortfall_by_category(
                actor=r.scope, rollup=stock_selectors.alliance_rollup(actor=r.scope, **r.read)), r.as_of),
    }


def charts_of(donors: list, months: list) -> dict:
    top_donors = sorted(donors, key=lambda row: -row.fulfilment.pledged_value_eur)[:12]
    value_of = {m.month: m.value_eur for m in months}
    filled = month_starts(min(value_of), max(value_of)) if value_of else []  # an empty month is a 0 bar, not skipped
    return {
        "deliveries_chart": chart(
            "bar", [m.strftime("%Y-%m") for m in filled],
            [{"label": str(_("Delivered value (EUR)")), "data": [float(value_of.get(m, 0)) for m in filled]}],
            yTitle=str(_("EUR")),
        ),
        "fulfilment_chart": chart(
            "bar", [row.donor.code for row in top_donors],
            [{"label": str(_("Pledged (EUR)")),
              "data": [float(row.fulfilment.pledged_value_eur) for row in top_donors]},
             {"label": str(_("Delivered (EUR)")),
              "data": [float(row.fulfilment.delivered_value_eur) for row in top_donors]}],
            indexAxis="y", yTitle=str(_("EUR")), allLabels=True,
        ),
    }


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    form, as_of = read_as_of(request)
    scope = scope_for(request.user)
    snapshot = None
    if "snapshot" in request.GET:  # a frozen briefing snapshot: its stock figures, the rest as of its date
        # read with the nations and their last reports as of its date (one query)
        snapshot, nations = snapshot_with_nations(actor=scope, snapshot_id=request.GET["snapshot"])
        if snapshot is None:
            raise Http404(_("Unknown snapshot."))
        as_of = snapshot.as_of if snapshot.as_of < timezone.localdate() else None
    else:
        nations = nations_with_last_report(actor=scope, as_of=as_of)
    r = Reader(scope=scope, as_of=as_of, nations=nations, snapshot_id=getattr(snapshot, "pk", None))
    exported = export_or_none(request, exports(r))
    if exported is not None:
        return exported
    donors, months = donor_rows(r), month_rows(r)
    rollup = stock_selectors.alliance_rollup(actor=r.scope, **r.read)
    overdue = pledge_selectors.overdue_pledges_page(
        actor=r.scope, on=r.as_of, limit=TOP,
        total=fulfilment_across_items(d.fulfilment for d in donors).overdue)
    figures = read_figures(r.scope, r.as_of, alerts_limit=TOP, donors=donors, rollup=rollup, overdue=overdue,
                           nations=r.nations, **r.read)
    tables = {"categories": category_table(r.scope, figures.categories, r.as_of), "coverage": coverage_table(r),
              "shortfalls": largest_table(r), "alliance": alliance_table(r, rows=rollup),
              "fulfilment": fulfilment_table(r, donors), "deliveries": deliveries_table(months, as_of),
              "training": training_table(r), "overdue": overdue_table(r, page=overdue),
              "alerts": alerts_table(r, alerts=figures.alerts, total=figures.alerts_total)}
    return page(request, "dashboard/overview.html", {
        "form": form, "as_of": as_of, "scope": r.scope, "snapshot": snapshot, "tables": tables,
        "headlines": headlines(r.scope, figures, as_of, page_url=request.path), "charts": charts_of(donors, months),
        **freshness(r),
    })


def freshness(r: Reader) -> dict:
    """The banner above the figures. Today: when the engine last computed and whether that is stale. On a
    past date: the latest stock report on or before it, stale when older than the reporting limit then."""
    if r.as_of is not None:  # the latest report among the nations the reader may see (their last reports)
        latest = max((n.last_report for n in r.nations.values() if n.last_report is not None), default=None)
        return {"latest_report": latest, "stale": reports_stale_on(last_report=latest, on=r.as_of),
                "days_before": None if latest is None else (r.as_of - latest).days}
    if r.snapshot_id is not None:  # a snapshot of today's figures: the banner is about today's stored rows
        last = stock_selectors.shortfalls_last_computed()
        return {"last_computed": last, "stale": stock_selectors.shortfalls_are_stale(last_computed=last)}
    read = r.summary if r.scope.is_cell else r.stored
    return {"last_computed": read.last_computed, "stale": read.stale}
