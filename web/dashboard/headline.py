"""The headline row (overview, briefing): alliance shortfall in EUR, share of pledged value delivered,
overdue pledges, nations not reporting, open alerts; each names where its detail is. Also the
shortfall-by-category table they share. Figures come from the selectors; nothing is computed here
beyond putting them side by side."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from coordination.access import Scope
from pledges import fulfilment
from pledges import selectors as pledge_selectors
from stockpiles import selectors as stock_selectors
from stockpiles.reporting import reporting_by_nation
from web.dashboard.common import unit_label, with_as_of
from web.dashboard.tables import Badge, Column, Link, Table
from web.templatetags.aid_format import format_eur, format_int, format_pct


@dataclass(frozen=True)
class Headline:
    key: str
    label: Any
    value: str  # formatted for the reader's language
    detail: str
    url: str
    bad: bool = False  # draws the eye (something is late, short or missing)


@dataclass(frozen=True)
class Figures:
    """Everything the headline row and the briefing show, read once."""

    categories: list[stock_selectors.CategoryShortfall]
    overall: fulfilment.Fulfilment
    overdue_rows: list[pledge_selectors.OverduePledge]
    overdue_total: int
    reporting: list
    alerts: list
    alerts_total: int

    @property
    def shortfall_eur(self) -> Decimal:
        return sum((c.value_eur for c in self.categories), Decimal(0))

    @property
    def hidden_items(self) -> int:
        return sum(c.hidden for c in self.categories)

    @property
    def not_reporting(self) -> list:
        return [r for r in self.reporting if r.stale]


def read_figures(scope: Scope, as_of: dt.date | None, *, overdue_limit: int | None = 15,
                 alerts_limit: int | None = 15, donors: list | None = None, rollup: list | None = None,
                 overdue: tuple[list, int] | None = None, stored: stock_selectors.StoredFigures | None = None,
                 nations: dict | None = None, summary: stock_selectors.StoredSummary | None = None) -> Figures:
    """The figures; a page that has already read the donors' fulfilment, the roll-up, the overdue page, the
    stored figures (``stock_selectors.stored_figures``) or the nations with their last reports
    (``nations_with_last_report``) for the same reader and date passes them in (read once per request); the
    cell's page passes the database's sums (``stock_selectors.stored_summary``) instead of the stored figures."""
    if donors is None:
        donors = pledge_selectors.fulfilment_by_donor(actor=scope, as_of=as_of, nations=nations)
    overall = fulfilment.fulfilment_across_items(d.fulfilment for d in donors)
    if overdue is None:
        overdue = pledge_selectors.overdue_pledges_page(actor=scope, on=as_of, limit=overdue_limit,
                                                        total=overall.overdue)
    # as of D: the alerts open then
    alerts, alerts_total = stock_selectors.alerts_page(actor=scope, open_at=as_of, limit=alerts_limit)
    if rollup is None and (stored is not None or summary is not None):
        rollup = stock_selectors.alliance_rollup(actor=scope, stored=stored, summary=summary)
    return Figures(
        categories=stock_selectors.shortfall_by_category(actor=scope, as_of=as_of, rollup=rollup),
        overall=overall, overdue_rows=overdue[0], overdue_total=overdue[1],
        reporting=reporting_by_nation(actor=scope, as_of=as_of, stored=stored, nations=nations, summary=summary),
        alerts=alerts, alerts_total=alerts_total,
    )


def headlines(scope: Scope, figures: Figures, as_of: dt.date | None, *, page_url: str = "") -> list[Headline]:
    """The five headline figures; ``page_url`` is the overview's address (details are its tables)."""
    base = with_as_of(page_url or reverse("dashboard:overview"), as_of)
    cats = [c for c in figures.categories if c.items]
    largest = max((c for c in cats if c.largest is not None), key=lambda c: c.value_eur, default=None)
    detail = ngettext("%(n)d category short", "%(n)d categories short", len(cats)) % {"n": len(cats)}
    if largest is not None:
        item = largest.largest
        detail += " · " + str(_("largest: %(item)s, %(units)s %(unit)s")) % {
            "item": item.item_label, "units": format_int(item.total_shortfall), "unit": unit_label(item.unit)}
    if figures.hidden_items:
        detail += " · " + ngettext("%(n)d item hidden from you is not in it",
                                   "%(n)d items hidden from you are not in it", figures.hidden_items) % {
            "n": figures.hidden_items}
    overall = figures.overall
    if scope.is_cell:
        missing = len(figures.not_reporting)
        reporting = Headline("reporting", _("Nations not reporting"), format_int(missing),
                             str(_("stale or never reported, of %(n)s expected to report"))
                             % {"n": format_int(len(figures.reporting))},
                             reverse("dashboard:reporting"), bad=missing > 0)
    else:  # another nation's reporting is its own business: an officer sees its own state
        own = figures.reporting[0] if figures.reporting else None
        stale = own is not None and own.stale
        if own is None or (not own.items_expected and own.last_report is None):
            reporting = Headline("reporting", _("Your reporting"), "—", str(_("no stock report expected from you")),
                                 reverse("dashboard:reporting"))
        else:
            reporting = Headline("reporting", _("Your reporting"), str(_("stale") if stale else _("current")),
                                 str(_("last stock report: %(day)s")) % {
                                     "day": own.last_report.isoformat() if own.last_report else "—"},
                                 reverse("dashboard:reporting"), bad=stale)
    return [
        Headline("shortfall", _("Alliance shortfall"), format_eur(figures.shortfall_eur), detail,
                 base + "#table-shortfall-categories", bad=figures.shortfall_eur > 0),
        Headline("delivered", _("Pledged value delivered"), format_pct(overall.delivered_value_share),
                 str(_("%(done)s of %(pledged)s")) % {"done": format_eur(overall.delivered_value_eur),
                                                      "pledged": format_eur(overall.pledged_value_eur)},
                 base + "#table-fulfilment"),
        Headline("overdue", _("Overdue pledges"), format_int(figures.overdue_total),
                 ngettext("%(n)d pledge visible to you", "%(n)d pledges visible to you", overall.pledges)
                 % {"n": overall.pledges}, base + "#table-overdue", bad=figures.overdue_total > 0),
        reporting,
        Headline("alerts", _("Open alerts"), format_int(figures.alerts_total),
                 str(_("below guideline, overdue, engine failures")), base + "#table-alerts",
                 bad=figures.alerts_total > 0),
    ]


def category_table(scope: Scope, categories: list[stock_selectors.CategoryShortfall], as_of: dt.date | None) -> Table:
    """Per category: the items short, the shortfall in EUR, and the largest item in its own unit."""
    columns = [Column("category", _("Category")), Column("items", _("Items short"), "int"),
               Column("value", _("Shortfall (EUR)"), "eur"), Column("largest", _("Largest item")),
               Column("units", _("Its shortfall"), "int"), Column("unit", _("Unit"))]
    if not scope.is_cell:
        columns.append(Column("hidden", _("Items hidden from you"), "int"))
    table = Table(key="shortfall-categories", title=_("Alliance shortfall by category"),
                  caption=_("EUR: each item's alliance shortfall × its unit value, added up per category "
                            "(quantities of different items never are). Items without a unit value are "
                            "left out of the EUR figure."),
                  columns=columns, empty=_("No stored shortfalls yet."))
    for c in categories:
        if not c.items and not c.hidden:
            continue
        top = c.largest
        row = [c.category_label, len(c.items), c.value_eur,
               item_cell_of(top, as_of) if top else "", top.total_shortfall if top else None,
               unit_label(top.unit) if top else ""]
        if not scope.is_cell:
            row.append(Badge(format_int(c.hidden), "badge-muted") if c.hidden else 0)
        table.rows.append(row)
    return table


def item_cell_of(row: stock_selectors.ItemRollupRow, as_of: dt.date | None):
    return Link(row.item_label, with_as_of(reverse("dashboard:item", args=[row.item_id]), as_of))

