"""The recipient's page (``/recipient/``, in the nav): what it needs against what is pledged and delivered,
by category (EUR) and by item (units of that item), the training given to it, and its deliveries month
by month. Every user opens it: the records are those the reader may see (``restrict``), and training,
which belongs to its donors, reaches a nation as totals through ``coordination.disclosure``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from coordination.models import Nation
from coordination.names import sort_key
from coordination.selectors import nations_by_id
from pledges import fulfilment
from pledges import selectors as pledge_selectors
from web.dashboard.common import (
    Builders,
    chart,
    export_or_none,
    hidden_badge,
    item_cell,
    nation_cell,
    page,
    read_as_of,
    unit_label,
)
from web.dashboard.tables import Column, Table


@dataclass(frozen=True)
class Reader:
    scope: Scope
    as_of: dt.date | None
    recipient: Nation
    nations: dict[int, Nation] | None = None  # every nation by id, read once


def gap_rows(r: Reader) -> list[pledge_selectors.RecipientGap]:
    rows = pledge_selectors.recipient_gaps(actor=r.scope, recipient=r.recipient, as_of=r.as_of, nations=r.nations)
    rows.sort(key=lambda g: (sort_key(g.item.category.display_name), sort_key(g.item.display_name)))
    return rows


def category_table(gaps: list[pledge_selectors.RecipientGap]) -> Table:
    """Per category in EUR: quantities of different items never add up, their values do."""
    table = Table(key="categories", title=_("Requirements by category (EUR)"),
                  caption=_("Each item's quantities × its unit value, added up per category. Items without a "
                            "unit value are counted but left out of the EUR figures."),
                  columns=[Column("category", _("Category")), Column("items", _("Items required"), "int"),
                           Column("required", _("Required (EUR)"), "eur"),
                           Column("pledged", _("Pledged (EUR)"), "eur"),
                           Column("delivered", _("Delivered (EUR)"), "eur"),
                           Column("uncovered", _("Uncovered (EUR)"), "eur"),
                           Column("covered", _("Covered share"), "pct"),
                           Column("unvalued", _("Items without a unit value"), "int")],
                  empty=_("No requirements recorded. The recipient's needs are entered in the admin."))
    by_category: dict[str, list] = {}
    for g in gaps:
        by_category.setdefault(g.item.category.display_name, []).append((g.gap, g.item.unit_value_eur))
    for name, parts in by_category.items():
        v = fulfilment.gap_value(parts)
        table.rows.append([name, v.items, v.required_eur, v.pledged_eur, v.delivered_eur, v.uncovered_eur,
                           v.covered_share, v.unvalued])
    return table


def item_table(r: Reader, gaps: list[pledge_selectors.RecipientGap]) -> Table:
    table = Table(key="items", title=_("Required vs pledged vs delivered, per item"),
                  caption=_("Quantities in each item's own unit. Uncovered = required − pledged; "
                            "undelivered = pledged − delivered."),
                  columns=[Column("category", _("Category")), Column("item", _("Item")), Column("unit", _("Unit")),
                           Column("required", _("Required"), "int"), Column("pledged", _("Pledged"), "int"),
                           Column("delivered", _("Delivered"), "int"),
                           Column("uncovered", _("Uncovered (required − pledged)"), "int"),
                           Column("undelivered", _("Undelivered (pledged − delivered)"), "int"),
                           Column("covered", _("Covered share"), "pct")],
                  empty=_("No requirements recorded. The recipient's needs are entered in the admin."))
    for g in gaps:
        table.rows.append([g.item.category.display_name, item_cell(g.item, r.as_of), unit_label(g.item.unit),
                           g.gap.required,
                           g.gap.pledged, g.gap.delivered, g.gap.uncovered, g.gap.undelivered, g.gap.covered_share])
    return table


def figure(f):
    return hidden_badge(f.note) if f.suppressed else f.value


def training_table(r: Reader) -> Table:
    rows = pledge_selectors.training_for_recipient(actor=r.scope, recipient=r.recipient, nations=r.nations)
    columns = [Column("programme", _("Programme"))]
    if r.scope.is_cell:
        columns.append(Column("donor", _("Donor")))
    columns += [Column("committed", _("Trainees committed"), "int"),
                Column("completed", _("Trainees completed"), "int"),
                Column("share", _("Completed share"), "pct")]
    if not r.scope.is_cell:
        columns += [Column("own_committed", _("Of which your nation: committed"), "int"),
                    Column("own_completed", _("Of which your nation: completed"), "int")]
    table = Table(key="training", title=_("Training for the recipient"), columns=columns,
                  caption="" if r.scope.is_cell else _("All donors together per programme; a total that would "
                                                       "reveal one nation's commitment says why it is hidden."),
                  empty=_("No training commitments recorded yet."))
    for t in rows:
        cells = [t.programme]
        if r.scope.is_cell:
            cells.append(nation_cell(r.scope, t.donor))
        cells += [figure(t.committed), figure(t.completed), t.completed_share]
        if not r.scope.is_cell:
            cells += [t.own_committed, t.own_completed]
        table.rows.append(cells)
    return table


def month_rows(r: Reader) -> list[pledge_selectors.MonthDeliveries]:
    return pledge_selectors.deliveries_per_month(actor=r.scope, recipient=r.recipient,
                                                 until=r.as_of or timezone.localdate(), every_month=True)


def deliveries_table(rows: list[pledge_selectors.MonthDeliveries]) -> Table:
    """Counts and EUR: one month's deliveries are of different items, whose quantities never add up."""
    table = Table(key="deliveries", title=_("Deliveries to the recipient per month"),
                  caption=_("Every month from the first delivery, those without one included. Across items in "
                            "EUR; quantities per item are in the table above and on each item's page."),
                  columns=[Column("month", _("Month")), Column("count", _("Deliveries"), "int"),
                           Column("value", _("Delivered value (EUR)"), "eur")],
                  empty=_("No delivered deliveries yet."))
    for m in reversed(rows):  # newest first
        table.rows.append([m.month.strftime("%Y-%m"), m.deliveries, m.value_eur])
    return table


def exports(r: Reader) -> Builders:
    return {"categories": lambda: category_table(gap_rows(r)), "items": lambda: item_table(r, gap_rows(r)),
            "training": lambda: training_table(r), "deliveries": lambda: deliveries_table(month_rows(r))}


def recipient_of(code: str | None, nations: dict[int, Nation]) -> Nation:
    """The recipient ``code`` names (the first recipient by code without one), from every nation by id (reference
    data: every reader reads it, ``coordination.selectors.nations_by_id``)."""
    by_code = sorted(nations.values(), key=lambda n: n.code)
    if code:
        nation = next((n for n in by_code if n.code == code.upper()), None)
    else:
        nation = next((n for n in by_code if n.role == Nation.Role.RECIPIENT), None)
    if nation is None or nation.role != Nation.Role.RECIPIENT:
        raise Http404(_("No such recipient."))
    return nation


@require_GET
@login_required
def recipient_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    scope = scope_for(request.user)
    form, as_of = read_as_of(request)
    nations = nations_by_id()
    r = Reader(scope=scope, as_of=as_of, recipient=recipient_of(code, nations), nations=nations)
    exported = export_or_none(request, exports(r))
    if exported is not None:
        return exported
    gaps, months = gap_rows(r), month_rows(r)
    tables = {"categories": category_table(gaps), "items": item_table(r, gaps), "training": training_table(r),
              "deliveries": deliveries_table(months)}
    return page(request, "dashboard/recipient.html", {
        "recipient": r.recipient, "form": form, "as_of": as_of, "scope": scope, "tables": tables,
        "charts": {"deliveries_chart": chart(
            "bar", [m.month.strftime("%Y-%m") for m in months],
            [{"label": str(_("Delivered value (EUR)")), "data": [float(m.value_eur) for m in months]}],
            yTitle=str(_("EUR")))},
    })
