"""Tables more than one page shows: shortfalls, fulfilment, pledges, recipient gaps. Declared once;
each takes rows from the selectors and returns a ``Table`` (HTML and CSV/XLSX alike)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.access import Scope
from coordination.models import Item, Nation
from pledges import fulfilment
from pledges.models import Pledge
from stockpiles import selectors as stock_selectors
from stockpiles import shortfalls
from stockpiles.models import Shortfall
from web.dashboard.common import item_cell, months_cell, nation_cell, past, status_badge, unit_label
from web.dashboard.tables import Badge, Column, Table

ShortfallRow = tuple[Nation, Item, shortfalls.ShortfallResult]


def shortfall_rows(scope: Scope, *, as_of: dt.date | None, nation=None, item=None, below_only: bool = False,
                   limit: int | None = None, snapshot_id: int | None = None) -> list[ShortfallRow]:
    """Stored rows for today, the stored history for a past date, or a frozen snapshot's rows; worst first.
    One query today; three otherwise."""
    if as_of is None and snapshot_id is None:
        qs = stock_selectors.shortfall_list(actor=scope, nation=nation, item=item)
        if below_only:
            qs = qs.filter(status=Shortfall.Status.BELOW_GUIDELINE)
        if limit is not None:
            qs = qs[:limit]
        return [(row.nation, row.item, stock_selectors.result_of(row)) for row in qs]
    rows = [
        (row.nation, row.item, row.result)
        for row in stock_selectors.shortfalls_as_of(actor=scope, as_of=as_of or timezone.localdate(), nation=nation,
                                                    item=item, snapshot_id=snapshot_id)
        if not below_only or row.result.status == shortfalls.BELOW_GUIDELINE
    ]
    return rows[:limit] if limit is not None else rows


def shortfall_columns(*, with_nation: bool = True, with_item: bool = True) -> list[Column]:
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


def no_figures_text(scope: Scope):
    """An empty shortfall table, said for this reader: a nation sees only its own rows, so "no rows" is about
    it, while the alliance figures on the same page count the others."""
    if scope.is_cell:
        return _("No figures yet: no nation has reported stock of an item a guideline applies to.")
    return _("No figures for your nation here: it has no stock report for an item a guideline applies to. "
             "Other nations' rows are not shown to you; the alliance figures on this page count them.")


def shortfall_table(key: str, title, scope: Scope, rows: list[ShortfallRow], *, as_of, with_nation=True,
                    with_item=True, empty=None) -> Table:
    table = Table(key=key, title=title, columns=shortfall_columns(with_nation=with_nation, with_item=with_item),
                  caption=_("Owed: pledged from national stock, not yet shipped. Available = on hand − owed; "
                            "shortfall = guideline − available; months to recover at the current production rate plus "
                            "the contracted deliveries still to come."),
                  empty=empty or past(_("No figures on %(day)s: no stock report or guideline was recorded "
                                        "by then."), as_of)
                  or no_figures_text(scope))
    for nation, item, r in rows:
        cells = []
        if with_nation:
            cells.append(nation_cell(scope, nation, as_of))
        if with_item:
            cells.append(item_cell(item, as_of))
        cells += [r.shortfall, r.coverage, months_cell(r), r.on_hand, r.owed, r.available, r.guideline, r.rate,
                  status_badge(r.status)]
        if with_item:
            cells.append(item.category.display_name)
        table.rows.append(cells)
    return table


def fulfilment_columns(first: Column, *, quantities: bool = True) -> list[Column]:
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


def fulfilment_cells(f: fulfilment.Fulfilment, *, quantities: bool = True) -> list:
    cells = [f.pledges]
    if quantities:
        cells += [f.pledged, f.delivered, f.delivered_share]
    return cells + [f.pledged_value_eur, f.delivered_value_eur, f.delivered_value_share, f.overdue]


def pledge_facts(pledge: Pledge, delivered: int | None = None) -> fulfilment.PledgeFacts:
    return fulfilment.PledgeFacts(
        pledge_id=pledge.pk, donor_id=pledge.donor_id, recipient_id=pledge.recipient_id, item_id=pledge.item_id,
        quantity=pledge.quantity, delivered=pledge.delivered_quantity if delivered is None else delivered,
        value_eur=pledge.value_eur,
        unit_value_eur=pledge.item.unit_value_eur, due_on=pledge.due_on,
        cancelled=pledge.status == Pledge.Status.CANCELLED,
    )


def progress_of(quantity: int, delivered: int) -> str:
    """``Pledge.progress`` for a delivered quantity other than today's (a past date's)."""
    if delivered <= 0:
        return Pledge.Progress.NONE
    return Pledge.Progress.COMPLETE if delivered >= quantity else Pledge.Progress.PARTIAL


def pledge_table(pledges, *, scope: Scope, on: dt.date, key: str, title, with_donor: bool = True,
                 delivered: Mapping[int, int] | None = None, empty=None) -> Table:
    """``delivered``: the quantity delivered per pledge on a past ``on`` (``delivered_by_pledge_as_of``);
    None: today's. Overdue and progress are judged with it, on ``on``."""
    columns = []
    if with_donor:
        columns.append(Column("donor", _("Donor"), sort="donor"))
    columns += [
        Column("recipient", _("Recipient"), sort="recipient"),
        Column("item", _("Item"), sort="item"),
        Column("quantity", _("Quantity"), "int", sort="quantity"),
        Column("delivered", _("Delivered"), "int", sort="delivered"),
        Column("unit", _("Unit")),
        Column("value", _("Value (EUR)"), "eur", sort="value"),
        Column("announced", _("Announced"), "date", sort="announced"),
        Column("due", _("Due"), "date", sort="due"),
        Column("status", _("Status"), sort="status"),
        Column("progress", _("Delivery progress")),
        Column("overdue", _("Overdue"), "badge"),
    ]
    table = Table(key=key, title=title, columns=columns,
                  empty=empty or _("No pledges match. Clear some filters, or record pledges in the admin or the API."))
    link_on = on if delivered is not None else None
    for p in pledges:
        done = p.delivered_quantity if delivered is None else delivered.get(p.pk, 0)
        overdue = fulfilment.is_overdue(pledge_facts(p, done), on=on)
        cells = [nation_cell(scope, p.donor, link_on)] if with_donor else []
        cells += [
            p.recipient.display_name, item_cell(p.item, link_on), p.quantity, done, unit_label(p.item.unit),
            p.value_eur,
            p.announced_on,
            p.due_on, p.get_status_display(), Pledge.Progress(progress_of(p.quantity, done)).label,
            Badge(_("overdue"), "badge-bad") if overdue else "",
        ]
        table.rows.append(cells)
    return table


def gap_table(gaps, *, as_of: dt.date | None, title, key: str = "gaps") -> Table:
    table = Table(key=key, title=title,
                  columns=[Column("recipient", _("Recipient")), Column("item", _("Item")),
                           Column("required", _("Required"), "int"), Column("pledged", _("Pledged"), "int"),
                           Column("delivered", _("Delivered"), "int"),
                           Column("uncovered", _("Uncovered (required − pledged)"), "int"),
                           Column("undelivered", _("Undelivered (pledged − delivered)"), "int"),
                           Column("covered", _("Covered share"), "pct")],
                  empty=(past(_("No requirement had started by %(day)s."), as_of)
                         or _("No requirements recorded. The recipient's needs are entered in the admin.")))
    for g in gaps:
        table.rows.append([g.recipient.display_name, item_cell(g.item, as_of), g.gap.required, g.gap.pledged,
                           g.gap.delivered, g.gap.uncovered, g.gap.undelivered, g.gap.covered_share])
    return table
