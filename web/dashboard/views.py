"""The coordinators' dashboard: thin views over the selectors.

Every number comes from ``stockpiles.selectors`` / ``pledges.selectors`` (built on the only
implementations of the formulas); these views arrange them into tables and chart data. Each table
renders as HTML and exports to CSV/XLSX with the same filters (``?export=csv&table=<key>``).
Every page runs a fixed number of SQL queries whatever the data size.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import VIEW, Scope, scope_for
from coordination.models import Item, Nation
from coordination.security import log_refused
from pledges import fulfilment
from pledges import selectors as pledge_selectors
from pledges.filtersets import PledgeFilterSet
from pledges.models import Pledge, TrainingCommitment
from stockpiles import procurement_selectors, shortfalls
from stockpiles import selectors as stock_selectors
from stockpiles.models import Shortfall
from web.dashboard.exports import FORMATS, export_response
from web.dashboard.forms import AsOfForm
from web.dashboard.tables import Badge, Column, Link, Table
from web.templatetags.aid_format import format_int

TOP = 15  # rows of "largest" lists shown on a page (exports have them all)
PAGE_SIZE = 50
CHART_SERIES = 6  # lines per chart, beyond that the legend is unreadable

Builders = dict[str, Callable[[], Table]]


# --- Helpers -----------------------------------------------------------------------------------------

def _can_see_nation(scope: Scope, nation_id: int) -> bool:
    return scope.is_cell or scope.nation_id == nation_id


def _nation_cell(scope: Scope, nation: Nation, as_of: dt.date | None = None):
    """A nation's name, linked to its page when the user may open it."""
    if not _can_see_nation(scope, nation.pk):
        return nation.name
    url = reverse("dashboard:nation", args=[nation.code])
    return Link(nation.name, url + (f"?as_of={as_of.isoformat()}" if as_of else ""))


def _item_cell(item: Item, as_of: dt.date | None = None) -> Link:
    url = reverse("dashboard:item", args=[item.pk])
    return Link(item.name, url + (f"?as_of={as_of.isoformat()}" if as_of else ""))


def _months_cell(result: shortfalls.ShortfallResult):
    if result.not_recovering:
        return Badge(_("not recovering"), "badge-bad")
    return result.months_to_recover


def _status_badge(status: str) -> Badge:
    css = {
        Shortfall.Status.BELOW_GUIDELINE: "badge-bad",
        Shortfall.Status.OK: "badge-ok",
    }.get(status, "badge-muted")
    return Badge(str(Shortfall.Status(status).label) if status in Shortfall.Status.values else status, css)


def _pledge_facts(pledge: Pledge) -> fulfilment.PledgeFacts:
    return fulfilment.PledgeFacts(
        pledge_id=pledge.pk, donor_id=pledge.donor_id, recipient_id=pledge.recipient_id, item_id=pledge.item_id,
        quantity=pledge.quantity, delivered=pledge.delivered_quantity, value_eur=pledge.value_eur,
        unit_value_eur=pledge.item.unit_value_eur, due_on=pledge.due_on,
        cancelled=pledge.status == Pledge.Status.CANCELLED,
    )


def _as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date | None]:
    form = AsOfForm(request.GET if "as_of" in request.GET else None)
    return form, (form.as_of_date() if form.is_bound else None)


def _export_or_none(request: HttpRequest, builders: Builders) -> HttpResponse | None:
    """Answer ``?export=csv|xlsx&table=<key>`` with the file; None for a normal page view."""
    fmt = request.GET.get("export")
    if fmt is None:
        return None
    key = request.GET.get("table", "")
    if fmt not in FORMATS or key not in builders:
        raise Http404(_("Unknown export."))
    return export_response(table=builders[key](), fmt=fmt)


def _chart(kind: str, labels: list, datasets: list[dict], **options) -> dict:
    """Chart data for static/dashboard/charts.js (read from a json_script tag: no inline scripts)."""
    return {"type": kind, "labels": labels, "datasets": datasets, "options": options}


def _shortfall_columns(*, with_nation: bool = True, with_item: bool = True) -> list[Column]:
    """The key numbers first (shortfall, coverage, months), then the inputs they come from."""
    columns = []
    if with_nation:
        columns.append(Column("nation", _("Nation")))
    if with_item:
        columns.append(Column("item", _("Item")))
    columns += [
        Column("shortfall", _("Shortfall"), "int"),
        Column("coverage", _("Coverage"), "pct"),
        Column("months", _("Months to recover"), "months"),
        Column("on_hand", _("On hand"), "int"),
        Column("owed", _("Owed"), "int"),
        Column("available", _("Available"), "int"),
        Column("guideline", _("Guideline"), "int"),
        Column("rate", _("Production per month"), "int"),
        Column("status", _("Status"), "badge"),
    ]
    if with_item:
        columns.append(Column("category", _("Category")))
    return columns


def _shortfall_rows(scope: Scope, *, as_of: dt.date | None, nation=None, item=None, below_only: bool = False,
                    limit: int | None = None) -> list[tuple[Nation, Item, shortfalls.ShortfallResult]]:
    """Stored rows for today, or computed from the history for a past date; worst first. One query today."""
    if as_of is None:
        qs = stock_selectors.shortfall_list(user_or_scope=scope, nation=nation, item=item)
        if below_only:
            qs = qs.filter(status=Shortfall.Status.BELOW_GUIDELINE)
        if limit is not None:
            qs = qs[:limit]
        return [(row.nation, row.item, stock_selectors.result_of(row)) for row in qs]
    rows = [
        (row.nation, row.item, row.result)
        for row in stock_selectors.shortfalls_as_of(user_or_scope=scope, as_of=as_of, nation=nation, item=item)
        if not below_only or row.result.status == shortfalls.BELOW_GUIDELINE
    ]
    return rows[:limit] if limit is not None else rows


def _shortfall_table(key: str, title, scope: Scope, rows, *, as_of, with_nation=True, with_item=True,
                     empty=None) -> Table:
    table = Table(key=key, title=title, columns=_shortfall_columns(with_nation=with_nation, with_item=with_item),
                  caption=_("Owed: pledged from national stock, not yet shipped. Available = on hand − owed; "
                            "shortfall = guideline − available; months to recover at the current production rate plus "
                            "the contracted deliveries still to come."),
                  empty=empty or _("No shortfall rows yet. Record stock reports and guidelines, then "
                                       "run the shortfall recompute (manage.py recompute_shortfalls)."))
    for nation, item, r in rows:
        cells = []
        if with_nation:
            cells.append(_nation_cell(scope, nation, as_of))
        if with_item:
            cells.append(_item_cell(item, as_of))
        cells += [r.shortfall, r.coverage, _months_cell(r), r.on_hand, r.owed, r.available, r.guideline, r.rate,
                  _status_badge(r.status)]
        if with_item:
            cells.append(item.category.name)
        table.rows.append(cells)
    return table


def _fulfilment_columns(first: Column, *, quantities: bool = True) -> list[Column]:
    """``quantities`` only where the rows are about one item: rounds and vehicles do not add up."""
    columns = [first, Column("pledges", _("Pledges"), "int")]
    if quantities:
        columns += [
            Column("pledged", _("Pledged (quantity)"), "int"),
            Column("delivered", _("Delivered (quantity)"), "int"),
            Column("share", _("Delivered share (quantity)"), "pct"),
        ]
    return columns + [
        Column("pledged_eur", _("Pledged (EUR)"), "eur"),
        Column("delivered_eur", _("Delivered (EUR)"), "eur"),
        Column("share_eur", _("Delivered share (EUR)"), "pct"),
        Column("overdue", _("Overdue pledges"), "int"),
    ]


def _fulfilment_cells(f: fulfilment.Fulfilment, *, quantities: bool = True) -> list:
    cells = [f.pledges]
    if quantities:
        cells += [f.pledged, f.delivered, f.delivered_share]
    return cells + [f.pledged_value_eur, f.delivered_value_eur, f.delivered_value_share, f.overdue]


def _page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context.setdefault("today", timezone.localdate())
    return render(request, template, context)


# --- Overview ------------------------------------------------------------------------------------------

@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form, as_of = _as_of(request)
    nations_by_id = Nation.objects.in_bulk()  # every nation by id, read once for the tables that name them

    def heatmap() -> Table:
        matrix = stock_selectors.shortfall_matrix(user_or_scope=scope, as_of=as_of, nations=nations_by_id)
        table = Table(
            key="coverage", title=_("Coverage by nation and category"),
            caption=_("Lowest coverage (available ÷ guideline) among each nation's items in the category."),
            columns=[Column("nation", _("Nation"))]
            + [Column(f"c{c.pk}", c.name, "coverage") for c in matrix.categories],
            empty=_("No stored shortfalls yet: run the shortfall recompute to fill the heat map."),
        )
        for nation in matrix.nations:
            table.rows.append([_nation_cell(scope, nation, as_of)]
                              + [matrix.cell(nation.pk, c.pk) for c in matrix.categories])
        return table

    def largest(limit: int | None = TOP) -> Table:
        rows = _shortfall_rows(scope, as_of=as_of, below_only=True, limit=limit)
        return _shortfall_table("shortfalls", _("Largest shortfalls"), scope, rows, as_of=as_of,
                                empty=_("No nation is below guideline for any item."))

    def rollup(limit: int | None = PAGE_SIZE) -> Table:
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
            empty=_("No stored shortfalls yet."),
        )
        rows = stock_selectors.alliance_rollup(user_or_scope=scope, as_of=as_of)
        rows.sort(key=lambda r: -(r.total_shortfall or 0))  # stable: ties stay by category and name
        table.total = len(rows)
        for row in rows[:limit] if limit else rows:
            table.rows.append([
                Link(row.item_name, reverse("dashboard:item", args=[row.item_id])), row.category_name,
                str(Item.Unit(row.unit).label) if row.unit in Item.Unit.values else row.unit,
                row.total_shortfall, row.net_position, row.nations_below, row.nations_counted,
                row.nations_not_reporting,
            ])
        return table

    donor_rows: list = []

    def donors() -> Table:
        donor_rows[:] = pledge_selectors.fulfilment_by_donor(user_or_scope=scope, as_of=as_of, nations=nations_by_id)
        table = Table(key="fulfilment", title=_("Pledge fulfilment by donor"),
                      caption=_("In EUR across all items; quantities per item are on each nation's and item's page."),
                      columns=_fulfilment_columns(Column("donor", _("Donor")), quantities=False),
                      empty=_("No pledges recorded yet. Add pledges in the admin or through the API."))
        for row in donor_rows:
            table.rows.append([_nation_cell(scope, row.donor, as_of)]
                              + _fulfilment_cells(row.fulfilment, quantities=False))
        return table

    month_rows: list = []

    def deliveries() -> Table:
        rows = pledge_selectors.deliveries_per_month(user_or_scope=scope)
        if as_of is not None:
            rows = [r for r in rows if r.month <= as_of]
        month_rows[:] = rows
        table = Table(key="deliveries", title=_("Deliveries per month"),
                      columns=[Column("month", _("Month")), Column("count", _("Deliveries"), "int"),
                               Column("quantity", _("Quantity"), "int"),
                               Column("value", _("Delivered value (EUR)"), "eur")],
                      empty=_("No delivered deliveries yet."))
        for r in rows:
            table.rows.append([r.month.strftime("%Y-%m"), r.deliveries, r.quantity, r.value_eur])
        return table

    def training() -> Table:
        table = Table(key="training", title=_("Training: committed vs completed"),
                      columns=[Column("donor", _("Donor")), Column("programme", _("Programme")),
                               Column("committed", _("Trainees committed"), "int"),
                               Column("completed", _("Trainees completed"), "int"),
                               Column("share", _("Completed share"), "pct")],
                      empty=_("No training commitments recorded yet."))
        for row in pledge_selectors.training_summary(user_or_scope=scope, nations=nations_by_id):
            p = row.progress
            table.rows.append([_nation_cell(scope, row.donor), p.programme, p.committed, p.completed,
                               p.completed_share])
        return table

    def overdue(limit: int | None = TOP) -> Table:
        rows, total = pledge_selectors.overdue_pledges_page(user_or_scope=scope, on=as_of, limit=limit)
        table = Table(key="overdue", title=_("Overdue pledges"),
                      columns=[Column("donor", _("Donor")), Column("item", _("Item")),
                               Column("recipient", _("Recipient")), Column("due", _("Due on"), "date"),
                               Column("days", _("Days overdue"), "int"),
                               Column("outstanding", _("Outstanding quantity"), "int")],
                      empty=_("No pledge is overdue."))
        table.total = total
        for r in rows:
            table.rows.append([_nation_cell(scope, r.pledge.donor), _item_cell(r.pledge.item),
                               r.pledge.recipient.name, r.pledge.due_on, r.days_overdue, r.outstanding])
        return table

    def alerts(limit: int | None = TOP) -> Table:
        qs = stock_selectors.alert_list(user_or_scope=scope)
        table = Table(key="alerts", title=_("Open alerts"),
                      columns=[Column("opened", _("Opened"), "date"), Column("kind", _("Kind")),
                               Column("nation", _("Nation")), Column("message", _("Message"))],
                      empty=_("No open alerts."))
        for a in (qs[:limit] if limit else qs):
            table.rows.append([a.opened_at, a.get_kind_display(), _nation_cell(scope, a.nation), a.message])
        return table

    builders: Builders = {
        "coverage": heatmap, "shortfalls": lambda: largest(None), "alliance": lambda: rollup(None),
        "fulfilment": donors, "deliveries": deliveries, "training": training, "overdue": lambda: overdue(None),
        "alerts": lambda: alerts(None),
    }
    exported = _export_or_none(request, builders)
    if exported is not None:
        return exported

    last = stock_selectors.shortfalls_last_computed()
    tables = {"coverage": heatmap(), "shortfalls": largest(), "alliance": rollup(), "fulfilment": donors(),
              "deliveries": deliveries(), "training": training(), "overdue": overdue(), "alerts": alerts()}
    top_donors = sorted(donor_rows, key=lambda r: -r.fulfilment.pledged_value_eur)[:12]
    charts = {
        "deliveries_chart": _chart(
            "bar", [r.month.strftime("%Y-%m") for r in month_rows],
            [{"label": str(_("Delivered value (EUR)")), "data": [float(r.value_eur) for r in month_rows]}],
            yTitle=str(_("EUR")),
        ),
        "fulfilment_chart": _chart(
            "bar", [r.donor.code for r in top_donors],
            [{"label": str(_("Pledged (EUR)")), "data": [float(r.fulfilment.pledged_value_eur) for r in top_donors]},
             {"label": str(_("Delivered (EUR)")),
              "data": [float(r.fulfilment.delivered_value_eur) for r in top_donors]}],
            indexAxis="y", yTitle=str(_("EUR")),
        ),
    }
    return _page(request, "dashboard/overview.html", {
        "form": form, "as_of": as_of, "scope": scope, "tables": tables, "charts": charts,
        "last_computed": last, "stale": stock_selectors.shortfalls_are_stale(last_computed=last),
    })


# --- Nation ----------------------------------------------------------------------------------------------

@require_GET
@login_required
def nation_detail(request: HttpRequest, code: str) -> HttpResponse:
    scope = scope_for(request.user)
    nation = get_object_or_404(Nation.objects.restrict(scope, VIEW), code=code.upper())
    if not _can_see_nation(scope, nation.pk):
        # Another nation's detail: only the cell and that nation's own users may read it.
        log_refused(request, reason="another nation's dashboard page", status=404, target_nation=nation.code)
        raise Http404(_("No such nation page."))
    form, as_of = _as_of(request)

    stock_rows: list = []

    def stock(limit: int | None = PAGE_SIZE) -> Table:
        """Worst first; the page shows ``limit`` rows, the export all of them."""
        if as_of is None:  # stored rows: the database cuts, and counts only when there may be more
            rows = _shortfall_rows(scope, as_of=None, nation=nation, limit=limit)
            more = limit is not None and len(rows) == limit
            total = stock_selectors.shortfall_list(user_or_scope=scope, nation=nation).count() if more else None
        else:  # computed from the history: all of them anyway
            rows = _shortfall_rows(scope, as_of=as_of, nation=nation)
            total, rows = len(rows), rows[:limit] if limit else rows
        stock_rows[:] = rows
        table = _shortfall_table("stock", _("Stock vs guideline per item"), scope, rows, as_of=as_of,
                                 with_nation=False)
        table.total = total
        return table

    def by_item() -> Table:
        table = Table(key="pledged", title=_("Pledges given, per item"),
                      columns=_fulfilment_columns(Column("item", _("Item"))),
                      empty=_("This nation has not pledged anything yet."))
        for row in pledge_selectors.fulfilment_by_item(user_or_scope=scope, as_of=as_of, donor=nation):
            table.rows.append([_item_cell(row.item, as_of)] + _fulfilment_cells(row.fulfilment))
        return table

    receives = nation.role == Nation.Role.RECIPIENT

    def pledges(limit: int | None = TOP * 2) -> Table:
        """The pledges it gave (for a recipient: the pledges it receives), newest first."""
        on = as_of or timezone.localdate()
        qs = Pledge.objects.restrict(scope, VIEW).select_related("donor", "recipient", "item")
        qs = qs.filter(recipient=nation) if receives else qs.filter(donor=nation)
        qs = qs.order_by("-announced_on", "-pk")
        if as_of is not None:
            qs = qs.filter(announced_on__lte=as_of)
        return _pledge_table(qs[:limit] if limit else qs, scope=scope, on=on, key="pledges",
                             title=_("Pledges received") if receives else _("Its pledges"), with_donor=receives)

    def training() -> Table:
        table = Table(key="training", title=_("Its training commitments"),
                      columns=[Column("programme", _("Programme")), Column("recipient", _("Recipient")),
                               Column("committed", _("Trainees committed"), "int"),
                               Column("completed", _("Trainees completed"), "int"),
                               Column("start", _("Start"), "date"), Column("end", _("End"), "date"),
                               Column("status", _("Status"))],
                      empty=_("No training commitments recorded for this nation."))
        qs = (TrainingCommitment.objects.restrict(scope, VIEW).filter(donor=nation).select_related("recipient")
              .order_by("programme", "pk"))
        for t in qs:
            table.rows.append([t.programme, t.recipient.name, t.trainees_committed, t.trainees_completed,
                               t.start_on, t.end_on, t.get_status_display()])
        return table

    def gaps() -> Table:
        rows = pledge_selectors.recipient_gaps(user_or_scope=scope, recipient=nation, as_of=as_of)
        table = _gap_table(rows, as_of=as_of, title=_("Requirements: required vs pledged vs delivered"))
        return table

    builders: Builders = {"stock": lambda: stock(None), "pledged": by_item, "pledges": lambda: pledges(None),
                          "training": training}
    if nation.role == Nation.Role.RECIPIENT:
        builders["gaps"] = gaps
    exported = _export_or_none(request, builders)
    if exported is not None:
        return exported

    tables = {key: (pledges() if key == "pledges" else stock() if key == "stock" else build())
              for key, build in builders.items()}
    charted = [(item, r) for _n, item, r in stock_rows if r.coverage is not None][:20]
    charts = {
        "coverage_chart": _chart(
            "bar", [item.name for item, _r in charted],
            [{"label": str(_("Coverage (available ÷ guideline)")),
              "data": [round(r.coverage * 100, 1) for _i, r in charted]}],
            indexAxis="y", yTitle="%",
        ),
    }
    return _page(request, "dashboard/nation.html", {
        "nation": nation, "form": form, "as_of": as_of, "scope": scope, "tables": tables, "charts": charts,
        "pledges_url": reverse("dashboard:pledges") + f"?{'recipient' if receives else 'donor'}={nation.code}",
    })


def _pledge_table(pledges, *, scope: Scope, on: dt.date, key: str, title, with_donor: bool = True,
                  sort: str = "") -> Table:
    columns = []
    if with_donor:
        columns.append(Column("donor", _("Donor"), sort="donor"))
    columns += [
        Column("recipient", _("Recipient"), sort="recipient"),
        Column("item", _("Item"), sort="item"),
        Column("quantity", _("Quantity"), "int", sort="quantity"),
        Column("delivered", _("Delivered"), "int", sort="delivered"),
        Column("value", _("Value (EUR)"), "eur", sort="value"),
        Column("announced", _("Announced"), "date", sort="announced"),
        Column("due", _("Due"), "date", sort="due"),
        Column("status", _("Status"), sort="status"),
        Column("progress", _("Delivery progress")),
        Column("overdue", _("Overdue"), "badge"),
    ]
    table = Table(key=key, title=title, columns=columns,
                  empty=_("No pledges match. Clear some filters, or record pledges in the admin or the API."))
    for p in pledges:
        overdue = fulfilment.is_overdue(_pledge_facts(p), on=on)
        cells = [_nation_cell(scope, p.donor)] if with_donor else []
        cells += [
            p.recipient.name, _item_cell(p.item), p.quantity, p.delivered_quantity, p.value_eur, p.announced_on,
            p.due_on, p.get_status_display(), Pledge.Progress(p.progress).label,
            Badge(_("overdue"), "badge-bad") if overdue else "",
        ]
        table.rows.append(cells)
    return table


def _gap_table(gaps, *, as_of: dt.date | None, title, key: str = "gaps") -> Table:
    table = Table(key=key, title=title,
                  columns=[Column("recipient", _("Recipient")), Column("item", _("Item")),
                           Column("required", _("Required"), "int"), Column("pledged", _("Pledged"), "int"),
                           Column("delivered", _("Delivered"), "int"),
                           Column("uncovered", _("Uncovered (required − pledged)"), "int"),
                           Column("undelivered", _("Undelivered (pledged − delivered)"), "int"),
                           Column("covered", _("Covered share"), "pct")],
                  empty=_("No requirements recorded. The recipient's needs are entered in the admin."))
    for g in gaps:
        table.rows.append([g.recipient.name, _item_cell(g.item, as_of), g.gap.required, g.gap.pledged,
                           g.gap.delivered, g.gap.uncovered, g.gap.undelivered, g.gap.covered_share])
    return table


# --- Item ------------------------------------------------------------------------------------------------

@require_GET
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    item = get_object_or_404(Item.objects.restrict(scope, VIEW).select_related("category"), pk=pk)
    form, as_of = _as_of(request)
    nations_by_id = Nation.objects.in_bulk()  # every nation by id, read once for the tables that name them
    shortfall_rows: list = []

    def nations() -> Table:
        shortfall_rows[:] = _shortfall_rows(scope, as_of=as_of, item=item)
        table = _shortfall_table("nations", _("Nations: stock vs guideline and recovery"), scope,
                                 shortfall_rows, as_of=as_of, with_item=False)
        table.columns.insert(-1, Column("contracted", _("Contracted inflow"), "int"))
        table.columns.append(Column("recovered_by", _("Back above guideline by"), "date"))
        for row, (_n, _i, r) in zip(table.rows, shortfall_rows, strict=True):
            row.insert(-1, r.contracted_inflow)
            # The engine's date: production and contracted inflows (stockpiles.shortfalls).
            row.append(r.recovers_on if r.status == shortfalls.BELOW_GUIDELINE else None)
        return table

    def gaps() -> Table:
        rows = pledge_selectors.recipient_gaps(user_or_scope=scope, item=item, as_of=as_of, nations=nations_by_id)
        return _gap_table(rows, as_of=as_of, title=_("Recipient requirement vs pledged vs delivered"))

    def donors() -> Table:
        table = Table(key="donors", title=_("Who pledged this item"),
                      columns=_fulfilment_columns(Column("donor", _("Donor"))),
                      empty=_("No pledges of this item yet."))
        for row in pledge_selectors.fulfilment_by_donor(user_or_scope=scope, as_of=as_of, item=item,
                                                        nations=nations_by_id):
            table.rows.append([_nation_cell(scope, row.donor, as_of)] + _fulfilment_cells(row.fulfilment))
        return table

    builders: Builders = {"nations": nations, "gaps": gaps, "donors": donors}
    exported = _export_or_none(request, builders)
    if exported is not None:
        return exported
    tables = {key: build() for key, build in builders.items()}
    rollup = next(iter(stock_selectors.alliance_rollup(user_or_scope=scope, as_of=as_of, item_ids=[item.pk])),
                  None)

    # Charts: the nations with the largest shortfalls (the table has them all).
    charted = [(n, r) for n, _i, r in shortfall_rows if r.available is not None][:CHART_SERIES]
    history = stock_selectors.stock_history(user_or_scope=scope, item=item, nations=[n for n, _ in charted],
                                            since=(as_of or timezone.localdate()) - dt.timedelta(days=3 * 366))
    if as_of is not None:
        history = [stock_selectors.StockSeries(s.nation_id, s.nation_code, [p for p in s.points if p[0] <= as_of])
                   for s in history]
    dates = sorted({d for s in history for d, _q in s.points})
    colour = {n.pk: index for index, (n, _r) in enumerate(charted)}
    datasets = []
    for s in history:
        values = dict(s.points)
        datasets.append({"label": s.nation_code, "data": [values.get(d) for d in dates],
                         "colour": colour.get(s.nation_id, 0)})
    for value in sorted({r.guideline for _n, r in charted if r.guideline is not None}):
        datasets.append({"label": _("Guideline %(value)s") % {"value": format_int(value)}, "data": [value] * len(dates),
                         "dashed": True})
    # The projection: available stock month by month with the nation's production and the contracted
    # inflows of its orders' schedules (stockpiles.procurement_selectors.item_projection, the engine's
    # projection), for the nations below guideline the user may see; the inflows as bars underneath.
    horizon = 24
    projected = [p for p in procurement_selectors.item_projection(user=scope, item=item, as_of=as_of, months=horizon)
                 if p.result.status == shortfalls.BELOW_GUIDELINE and p.points][:CHART_SERIES]
    projection_sets = []
    for index, p in enumerate(projected):
        tone = colour.get(p.nation_id, len(colour) + index)
        projection_sets.append({"label": p.nation_code, "data": [pt.available for pt in p.points], "colour": tone})
        if any(pt.contracted for pt in p.points):
            projection_sets.append({
                "label": _("%(code)s: contracted inflows (cumulative)") % {"code": p.nation_code},
                "data": [pt.contracted for pt in p.points], "colour": tone, "type": "bar",
            })
    for value in sorted({p.result.guideline for p in projected}):
        projection_sets.append({"label": _("Guideline %(value)s") % {"value": format_int(value)},
                                "data": [value] * (horizon + 1), "dashed": True})
    projection_labels = ([pt.on.strftime("%Y-%m") for pt in projected[0].points] if projected
                         else [_("month %(n)s") % {"n": m} for m in range(horizon + 1)])
    charts = {
        "history_chart": _chart("line", [d.isoformat() for d in dates], datasets, yTitle=item.get_unit_display()),
        "projection_chart": _chart("line", projection_labels if projection_sets else [], projection_sets,
                                   yTitle=item.get_unit_display()),
    }
    return _page(request, "dashboard/item.html", {
        "item": item, "form": form, "as_of": as_of, "scope": scope, "tables": tables, "charts": charts,
        "rollup": rollup, "pledges_url": reverse("dashboard:pledges") + f"?item={item.pk}",
    })


# --- Pledges -------------------------------------------------------------------------------------------

SORTS = {
    "donor": ("donor__name",), "recipient": ("recipient__name",), "item": ("item__name",),
    "quantity": ("quantity",), "delivered": ("delivered_quantity",), "value": ("value_eur",),
    "announced": ("announced_on",), "due": ("due_on",), "status": ("status",),
}


@require_GET
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    """The pledge table: PledgeFilterSet (shared with the API), sorting, pagination, htmx partial updates."""
    scope = scope_for(request.user)
    base = Pledge.objects.restrict(scope, VIEW).select_related("donor", "recipient", "item", "item__category")
    filterset = PledgeFilterSet(request.GET or None, queryset=base, request=request)
    sort = request.GET.get("sort", "")
    field = SORTS.get(sort.lstrip("-"))
    if field is None:
        sort, ordering = "", ("-announced_on", "-pk")
    else:
        ordering = tuple(("-" + f if sort.startswith("-") else f) for f in field) + ("pk",)
    qs = filterset.qs.order_by(*ordering)
    today = timezone.localdate()

    def export_all() -> Table:
        return _pledge_table(qs, scope=scope, on=today, key="pledges", title=_("Pledges"))

    exported = _export_or_none(request, {"pledges": export_all})
    if exported is not None:
        return exported

    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    table = _pledge_table(page.object_list, scope=scope, on=today, key="pledges", title=_("Pledges"))
    headers = []
    for column in table.columns:
        aria = "ascending" if sort == column.sort else "descending" if sort == f"-{column.sort}" else "none"
        headers.append({"column": column, "aria": aria,
                        "next": f"-{column.sort}" if aria == "ascending" else column.sort})
    context = {"filterset": filterset, "table": table, "page": page, "sort": sort, "scope": scope,
               "today": today, "headers": headers}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "dashboard/_pledge_results.html", context)
    else:
        context["filters"] = _filter_fields(filterset, request, FILTER_FIELDS)
        context["overdue_only"] = request.GET.get("overdue") == "true"
        response = _page(request, "dashboard/pledges.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


FILTER_FIELDS = ("donor", "recipient", "category", "item", "status", "source")


def _filter_fields(filterset: PledgeFilterSet, request: HttpRequest, names) -> list[dict]:
    """The filter selects, from the FilterSet's own fields and choices (one query per model choice field)."""
    fields = []
    for name in names:
        field = filterset.form.fields[name]
        chosen = set(request.GET.getlist(name))
        options = []
        for value, label in field.choices:
            value = str(getattr(value, "value", value))
            if value == "":
                continue
            options.append((value, label, value in chosen))
        fields.append({"name": name, "label": field.label, "options": options})
    return fields


# --- Joint procurement -------------------------------------------------------------------------------

def _drop_empty_column(table: Table, key: str) -> None:
    index = next((i for i, c in enumerate(table.columns) if c.key == key), None)
    if index is not None and not any(row[index] for row in table.rows):
        del table.columns[index]
        for row in table.rows:
            del row[index]


def _hidden_badge() -> Badge:
    return Badge(_("hidden"), "badge-muted")  # the captions explain the small-group rule


@require_GET
@login_required
def procurement(request: HttpRequest) -> HttpResponse:
    """Framework agreements and their utilisation, per-item demand vs contracted vs industrial capacity,
    and the timeline of scheduled deliveries. Every figure comes from stockpiles.procurement_selectors
    (built on stockpiles.procurement); figures that would reveal one nation's orders are hidden there."""
    scope = scope_for(request.user)
    form, as_of = _as_of(request)
    on = as_of or timezone.localdate()
    agreement_rows: list = []
    demand_rows: list = []
    timeline_rows: list = []

    def agreements() -> Table:
        agreement_rows[:] = procurement_selectors.agreement_list(user=scope)
        table = Table(
            key="agreements", title=_("Framework agreements: ordered vs ceiling"),
            caption=_("Ordered: call-offs not cancelled. Another participant's call-offs, and a total built from "
                      "too few nations, are hidden outside the cell and the lead nation."),
            columns=[Column("agreement", _("Agreement")), Column("item", _("Item")),
                     Column("lead", _("Lead nation")), Column("manufacturer", _("Manufacturer")),
                     Column("valid_from", _("Valid from"), "date"), Column("valid_to", _("Valid to"), "date"),
                     Column("participants", _("Participants"), "int"),
                     Column("ceiling", _("Ceiling"), "int"), Column("planned", _("Planned"), "int"),
                     Column("ordered", _("Ordered"), "int"), Column("share", _("Share of ceiling"), "pct"),
                     Column("remaining", _("Remaining"), "int"),
                     Column("price", _("Unit price (EUR)"), "eur"), Column("note", _("Note"), "badge")],
            empty=_("No framework agreement you lead or take part in. The cell records agreements in the admin "
                    "or through the API."),
        )
        for row in agreement_rows:
            a = row.agreement
            table.rows.append([
                a.name, _item_cell(a.item, as_of), _nation_cell(scope, a.lead_nation, as_of),
                a.manufacturer.name if a.manufacturer else "", a.valid_from, a.valid_to, len(row.participants),
                row.ceiling, row.planned, row.ordered, row.ordered_share, row.remaining, a.unit_price_eur,
                _hidden_badge() if row.suppressed else "",
            ])
        return table

    def participants() -> Table:
        if not agreement_rows:
            agreement_rows[:] = procurement_selectors.agreement_list(user=scope)
        table = Table(
            key="participants", title=_("Participants: planned vs ordered"),
            caption=_("A nation can join an agreement after it started: “joined on” is when it did."),
            columns=[Column("agreement", _("Agreement")), Column("nation", _("Nation")),
                     Column("joined_on", _("Joined on"), "date"), Column("planned", _("Planned"), "int"),
                     Column("ordered", _("Ordered"), "int"), Column("share", _("Ordered share of planned"), "pct")],
            empty=_("No participants recorded yet."),
        )
        for row in agreement_rows:
            for p in row.participants:
                table.rows.append([row.agreement.name, _nation_cell(scope, p.participant.nation, as_of),
                                   p.participant.joined_on, p.planned, p.ordered, p.ordered_share])
        return table

    def demand() -> Table:
        demand_rows[:] = procurement_selectors.procurement_overview(user=scope, as_of=as_of)
        table = Table(
            key="demand", title=_("Demand vs contracted vs industrial capacity, per item"),
            caption=_("Demand: the nations' shortfalls (no netting between nations) plus the recipient's uncovered "
                      "requirement. Contracted: ordered and not yet received. Months of capacity: to make the "
                      "demand not yet under contract at today's capacity. “Hidden”: a total built from too few "
                      "other nations, which would reveal one nation's figures."),
            columns=[Column("item", _("Item")), Column("unit", _("Unit")),
                     Column("nation_shortfall", _("Nations' shortfall"), "int"),
                     Column("nations_short", _("Nations short"), "int"),
                     Column("uncovered", _("Recipient uncovered"), "int"),
                     Column("demand", _("Demand"), "int"), Column("contracted", _("Contracted"), "int"),
                     Column("gap", _("Not contracted"), "int"),
                     Column("share", _("Contracted share"), "pct"),
                     Column("capacity", _("Capacity / month"), "int"),
                     Column("months", _("Months of capacity"), "months"), Column("note", _("Note"), "badge")],
            empty=_("No demand, contract or production capacity recorded for any item yet."),
        )
        for r in demand_rows:
            months = r.months_of_capacity
            if months is None and r.gap and not r.suppressed and not r.capacity_suppressed:
                months = Badge(_("no capacity"), "badge-bad")
            table.rows.append([
                Link(r.item_name, reverse("dashboard:item", args=[r.item_id])),
                str(Item.Unit(r.unit).label) if r.unit in Item.Unit.values else r.unit,
                r.nation_shortfall, r.nations_short, r.recipient_uncovered, r.demand, r.contracted, r.gap,
                r.contracted_share, r.capacity_per_month, months,
                _hidden_badge() if r.suppressed or r.capacity_suppressed else "",
            ])
        return table

    def timeline() -> Table:
        # On a past date: the orders placed by then (one more query), their lines not received by then.
        placed = None if as_of is None else set(
            procurement_selectors.order_list(user=scope).filter(ordered_on__lte=as_of).values_list("pk", flat=True))
        timeline_rows[:] = [
            d for d in procurement_selectors.scheduled_deliveries(user=scope, since=None,
                                                                   include_received=as_of is not None)
            if shortfalls.ScheduledInflow(due_on=d.due_on, quantity=d.quantity, received_on=d.received_on).counts(on)
            and (placed is None or d.order_id in placed)
        ]
        table = Table(
            key="timeline", title=_("Scheduled deliveries (contracted inflows)"),
            caption=_("Delivery schedule lines of the orders you may see, not yet received, by due date. A line "
                      "past its date and not received is still expected."),
            columns=[Column("month", _("Month")), Column("due_on", _("Due on"), "date"), Column("item", _("Item")),
                     Column("nation", _("Nation")), Column("order", _("Order")),
                     Column("agreement", _("Agreement")), Column("quantity", _("Quantity"), "int"),
                     Column("late", _("Late"), "badge")],
            empty=_("No scheduled deliveries: orders and their delivery schedules are entered by each nation "
                    "(admin or API)."),
        )
        for d in timeline_rows:
            table.rows.append([
                d.due_on.strftime("%Y-%m"), d.due_on, d.item_name, d.nation_code, d.order_reference or f"#{d.order_id}",
                d.agreement_name or _("national contract"), d.quantity,
                Badge(_("late"), "badge-bad") if d.due_on < on else "",
            ])
        return table

    builders: Builders = {"agreements": agreements, "participants": participants, "demand": demand,
                          "timeline": timeline}
    exported = _export_or_none(request, builders)
    if exported is not None:
        return exported
    tables = {"agreements": agreements(), "participants": participants(), "demand": demand(),
              "timeline": timeline()}
    for key in ("agreements", "demand"):
        _drop_empty_column(tables[key], "note")  # only shown when something is hidden from this viewer

    # One chart per item (rounds and missiles do not share an axis): demand, contracted, not yet under
    # contract, and a month of capacity, for the items with the largest demand.
    charted = sorted((r for r in demand_rows if not r.suppressed), key=lambda r: -(r.demand or 0))[:CHART_SERIES]
    demand_charts = []
    for r in charted:
        unit = str(Item.Unit(r.unit).label) if r.unit in Item.Unit.values else r.unit
        demand_charts.append({
            "name": f"demand-chart-{r.item_id}", "title": r.item_name,
            "chart": _chart("bar", [str(_("Demand")), str(_("Contracted")), str(_("Not contracted")),
                                    str(_("Capacity / month"))],
                            [{"label": r.item_name, "data": [r.demand, r.contracted, r.gap, r.capacity_per_month],
                              "colours": [1, 0, 4, 2]}], indexAxis="y", yTitle=unit, legend=False),
        })
    # Scheduled deliveries per month: one chart per item as well (each in its own unit).
    months = sorted({d.due_on.replace(day=1) for d in timeline_rows})
    by_item: dict[int, dict] = {}
    for d in timeline_rows:
        entry = by_item.setdefault(d.item_id, {"name": d.item_name, "months": {}})
        key = d.due_on.replace(day=1)
        entry["months"][key] = entry["months"].get(key, 0) + d.quantity
    units = {r.item_id: r.unit for r in demand_rows}  # every item with an order is in the demand rows
    largest = sorted(by_item, key=lambda i: -sum(by_item[i]["months"].values()))[:CHART_SERIES]
    timeline_charts = []
    for index, item_id in enumerate(largest):
        entry = by_item[item_id]
        unit = units.get(item_id, "")
        timeline_charts.append({
            "name": f"timeline-chart-{item_id}", "title": entry["name"],
            "chart": _chart("bar", [m.strftime("%Y-%m") for m in months],
                            [{"label": entry["name"], "data": [entry["months"].get(m) for m in months],
                              "colour": index}],
                            yTitle=str(Item.Unit(unit).label) if unit in Item.Unit.values else unit, legend=False),
        })
    return _page(request, "dashboard/procurement.html", {
        "form": form, "as_of": as_of, "scope": scope, "tables": tables, "demand_charts": demand_charts,
        "timeline_charts": timeline_charts,
    })
