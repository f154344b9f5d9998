"""Joint procurement (``/procurement/``): framework agreements and their use, per-item demand vs contracted vs
industrial capacity, and the timeline of scheduled deliveries. Every figure comes from
stockpiles.procurement_selectors (built on stockpiles.procurement); figures that would reveal one nation's
orders are hidden there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from stockpiles import procurement_selectors, shortfalls
from stockpiles.models import FrameworkAgreement, agreement_validity
from web.dashboard.common import (
    CHART_SERIES,
    PAGE_SIZE,
    Builders,
    chart,
    export_or_none,
    figure_cell,
    hidden_badge,
    item_cell,
    nation_cell,
    page,
    past,
    read_as_of,
    unit_label,
)
from web.dashboard.tables import Badge, Column, Link, Table


@dataclass(frozen=True)
class Reader:
    scope: Scope
    as_of: dt.date | None

    @property
    def on(self) -> dt.date:
        return self.as_of or timezone.localdate()


def validity_note(valid_from: dt.date, valid_to: dt.date | None, on: dt.date) -> str:
    """"Expired" or "Not yet in force" when an agreement was not in force on ``on`` (today, or the page's
    as-of date); "" when it was. Said in the note column, which a page shows only when a row has a note. The
    words are ``FrameworkAgreement.Validity``'s, the same in the admin, its exports and the API."""
    validity = agreement_validity(valid_from, valid_to, on)
    return "" if validity == FrameworkAgreement.Validity.IN_FORCE else str(validity.label)


def agreement_note(row, on: dt.date):
    """The note cell of an agreement: whether it is in force, and why figures are hidden from this reader."""
    parts = [part for part in (validity_note(row.agreement.valid_from, row.agreement.valid_to, on),
                               row.note if row.suppressed else "") if part]
    return Badge("; ".join(parts), "badge-muted") if parts else ""


def agreements_table(r: Reader, rows: list) -> Table:
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
        empty=(past(_("No framework agreement you lead or take part in was valid on %(day)s."), r.as_of)
               or _("No framework agreement you lead or take part in. The cell records agreements in the admin "
                    "or through the API.")),
    )
    for row in rows:
        a = row.agreement
        table.rows.append([
            a.name, item_cell(a.item, r.as_of), nation_cell(r.scope, a.lead_nation, r.as_of),
            a.manufacturer.name if a.manufacturer else "", a.valid_from, a.valid_to, len(row.participants),
            row.ceiling, row.planned, *((hidden_badge(row.note),) * 3 if row.suppressed
                                        else (row.ordered, row.ordered_share, row.remaining)),
            a.unit_price_eur, agreement_note(row, r.as_of or timezone.localdate()),
        ])
    return table


def participants_table(r: Reader, rows: list) -> Table:
    table = Table(
        key="participants", title=_("Participants: planned vs ordered"),
        caption=_("A nation can join an agreement after it started: “joined on” is when it did."),
        columns=[Column("agreement", _("Agreement")), Column("nation", _("Nation")),
                 Column("joined_on", _("Joined on"), "date"), Column("planned", _("Planned"), "int"),
                 Column("ordered", _("Ordered"), "int"), Column("share", _("Ordered share of planned"), "pct")],
        empty=past(_("No participant had joined by %(day)s."), r.as_of) or _("No participants recorded yet."),
    )
    for row in rows:
        for p in row.participants:
            table.rows.append([row.agreement.name, nation_cell(r.scope, p.participant.nation, r.as_of),
                               p.participant.joined_on, p.planned, p.ordered, p.ordered_share])
    return table


def demand_table(rows: list, limit: int | None = None) -> Table:
    """Largest demand not yet under contract first (as this reader sees it: a hidden figure sorts last); the page
    shows the first ``limit`` rows (at alliance scale a row per item: a thousand), the export every one."""
    table = Table(
        key="demand", title=_("Demand vs contracted vs industrial capacity, per item"),
        caption=_("Demand: the nations' shortfalls (no netting between nations) plus the recipient's uncovered "
                  "requirement. Contracted: ordered and not yet received. Months of capacity: to make the "
                  "demand not yet under contract at today's capacity. Outside the cell, a figure that "
                  "would reveal one nation's says why it is hidden; the others are rounded (see docs)."),
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
    rows = sorted(rows, key=lambda d: (d.gap is None, -(d.gap or 0)))  # stable: then by category and name
    table.total = len(rows)
    for d in rows[:limit] if limit else rows:
        months = d.months_of_capacity
        if months is None and d.gap and not d.suppressed and not d.capacity_suppressed:
            months = Badge(_("no capacity"), "badge-bad")
        table.rows.append([
            Link(d.item_label, reverse("dashboard:item", args=[d.item_id])), unit_label(d.unit),
            figure_cell(d, "nation_shortfall"), figure_cell(d, "nations_short"), d.recipient_uncovered,
            *(figure_cell(d, name) for name in ("demand", "contracted", "gap", "contracted_share",
                                                "capacity_per_month")),
            hidden_badge(d.note("months_of_capacity")) if "months_of_capacity" in d.reasons else months,
            hidden_badge(d.note()) if d.reasons else "",
        ])
    return table


def timeline_rows(r: Reader) -> list:
    """Schedule lines not received by the date; on a past date, of the orders placed by then. One query."""
    return [
        d for d in procurement_selectors.scheduled_deliveries(actor=r.scope, since=None,
                                                               include_received=r.as_of is not None)
        if shortfalls.ScheduledInflow(due_on=d.due_on, quantity=d.quantity, received_on=d.received_on).counts(r.on)
        and (r.as_of is None or d.ordered_on <= r.as_of)
    ]


def timeline_table(r: Reader, rows: list) -> Table:
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
    for d in rows:
        table.rows.append([
            d.due_on.strftime("%Y-%m"), d.due_on, d.item_label, d.nation_code, d.order_reference or f"#{d.order_id}",
            d.agreement_name or _("national contract"), d.quantity,
            Badge(_("late"), "badge-bad") if d.due_on < r.on else "",
        ])
    return table


def drop_empty_column(table: Table, key: str) -> None:
    index = next((i for i, c in enumerate(table.columns) if c.key == key), None)
    if index is not None and not any(row[index] for row in table.rows):
        del table.columns[index]
        for row in table.rows:
            del row[index]


def exports(r: Reader) -> Builders:
    return {
        "agreements": lambda: agreements_table(r, procurement_selectors.agreement_list(actor=r.scope, as_of=r.as_of)),
        "participants": lambda: participants_table(r, procurement_selectors.agreement_list(actor=r.scope,
                                                                                           as_of=r.as_of)),
        "demand": lambda: demand_table(procurement_selectors.procurement_overview(actor=r.scope, as_of=r.as_of)),
        "timeline": lambda: timeline_table(r, timeline_rows(r)),
    }


def demand_charts(rows: list) -> list[dict]:
    """One chart per item (rounds and missiles do not share an axis), for the items with the largest demand."""
    charted = sorted((d for d in rows if not d.suppressed), key=lambda d: -(d.demand or 0))[:CHART_SERIES]
    return [{
        "name": f"demand-chart-{d.item_id}", "title": d.item_label,
        "chart": chart("bar", [str(_("Demand")), str(_("Contracted")), str(_("Not contracted")),
                               str(_("Capacity / month"))],
                       [{"label": d.item_label, "data": [d.demand, d.contracted, d.gap, d.capacity_per_month],
                         "colours": [1, 0, 4, 2]}], indexAxis="y", yTitle=unit_label(d.unit), legend=False),
    } for d in charted]


def timeline_charts(rows: list, demand: list) -> list[dict]:
    """Scheduled deliveries per month: one chart per item as well (each in its own unit)."""
    months = sorted({d.due_on.replace(day=1) for d in rows})
    by_item: dict[int, dict] = {}
    for d in rows:
        entry = by_item.setdefault(d.item_id, {"name": d.item_label, "months": {}})
        key = d.due_on.replace(day=1)
        entry["months"][key] = entry["months"].get(key, 0) + d.quantity
    units = {d.item_id: d.unit for d in demand}  # every item with an order is in the demand rows
    largest = sorted(by_item, key=lambda i: -sum(by_item[i]["months"].values()))[:CHART_SERIES]
    return [{
        "name": f"timeline-chart-{item_id}", "title": by_item[item_id]["name"],
        "chart": chart("bar", [m.strftime("%Y-%m") for m in months],
                       [{"label": by_item[item_id]["name"], "data": [by_item[item_id]["months"].get(m) for m in months],
                         "colour": index}],
                       yTitle=unit_label(units.get(item_id, "")), legend=False),
    } for index, item_id in enumerate(largest)]


@require_GET
@login_required
def procurement(request: HttpRequest) -> HttpResponse:
    form, as_of = read_as_of(request)
    r = Reader(scope=scope_for(request.user), as_of=as_of)
    exported = export_or_none(request, exports(r))
    if exported is not None:
        return exported
    orders = procurement_selectors.order_facts(as_of=as_of)  # read once: call-offs and contracted quantities
    agreements = procurement_selectors.agreement_list(actor=r.scope, as_of=as_of, order_rows=orders)
    demand = procurement_selectors.procurement_overview(actor=r.scope, as_of=as_of, order_rows=orders)
    timeline = timeline_rows(r)
    tables = {"agreements": agreements_table(r, agreements), "participants": participants_table(r, agreements),
              "demand": demand_table(demand, PAGE_SIZE), "timeline": timeline_table(r, timeline)}
    for key in ("agreements", "demand"):
        drop_empty_column(tables[key], "note")  # only shown when something is hidden from this viewer
    return page(request, "dashboard/procurement.html", {
        "form": form, "as_of": as_of, "scope": r.scope, "tables": tables, "demand_charts": demand_charts(demand),
        "timeline_charts": timeline_charts(timeline, demand),
    })
