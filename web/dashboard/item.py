"""An item's page (``/items/<id>/``): every nation's stock against guideline and recovery, the recipient's
requirement, who pledged it, the stock history and the projection with contracted deliveries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from coordination.models import Item, Nation
from coordination.selectors import item_get, nations_by_id
from pledges import selectors as pledge_selectors
from stockpiles import procurement_selectors, shortfalls
from stockpiles import selectors as stock_selectors
from web.dashboard.common import CHART_SERIES, Builders, chart, export_or_none, nation_cell, page, past, read_as_of
from web.dashboard.shared_tables import (
    ShortfallRow,
    fulfilment_cells,
    fulfilment_columns,
    gap_table,
    shortfall_table,
)
from web.dashboard.tables import Column, Table
from web.templatetags.aid_format import format_int

PROJECTION_MONTHS = 24


@dataclass(frozen=True)
class Reader:
    scope: Scope
    as_of: dt.date | None
    item: Item
    nations: dict[int, Nation]

    @cached_property
    def stored(self) -> stock_selectors.StoredFigures:
        """Every nation's figures for the item on the page's date, read once (rows, roll-up, projection)."""
        return stock_selectors.stored_figures(as_of=self.as_of, item_ids=[self.item.pk])

    @cached_property
    def facts(self) -> list:
        """The item's pledges the reader may see (as of a past date: delivered as of then), read once for the
        recipient's gap and the donors' fulfilment."""
        return pledge_selectors.pledge_facts(actor=self.scope, as_of=self.as_of, item=self.item)

    def rows(self) -> list[ShortfallRow]:
        return [(row.nation, row.item, row.result) for row in stock_selectors.stored_shortfall_rows(
            actor=self.scope, stored=self.stored, nations=self.nations, item=self.item.pk)]


def nations_table(r: Reader, rows: list[ShortfallRow]) -> Table:
    table = shortfall_table("nations", _("Nations: stock vs guideline and recovery"), r.scope, rows, as_of=r.as_of,
                            with_item=False)
    table.columns.insert(-1, Column("contracted", _("Contracted inflow"), "int"))
    table.columns.append(Column("recovered_by", _("Back above guideline by"), "date"))
    for cells, (_n, _i, res) in zip(table.rows, rows, strict=True):
        cells.insert(-1, res.contracted_inflow)
        # The engine's date: production and contracted inflows (stockpiles.shortfalls).
        cells.append(res.recovers_on if res.status == shortfalls.BELOW_GUIDELINE else None)
    return table


def gaps_table(r: Reader) -> Table:
    rows = pledge_selectors.recipient_gaps(actor=r.scope, item=r.item, as_of=r.as_of, nations=r.nations,
                                           facts=r.facts, items={r.item.pk: r.item})
    return gap_table(rows, as_of=r.as_of, title=_("Recipient requirement vs pledged vs delivered"))


def donors_table(r: Reader) -> Table:
    table = Table(key="donors", title=_("Who pledged this item"),
                  columns=fulfilment_columns(Column("donor", _("Donor"))),
                  empty=past(_("No pledges of this item announced by %(day)s."), r.as_of)
                  or _("No pledges of this item yet."))
    for row in pledge_selectors.fulfilment_by_donor(actor=r.scope, as_of=r.as_of, item=r.item,
                                                    nations=r.nations, facts=r.facts):
        table.rows.append([nation_cell(r.scope, row.donor, r.as_of)] + fulfilment_cells(row.fulfilment))
    return table


def exports(r: Reader) -> Builders:
    return {"nations": lambda: nations_table(r, r.rows()),
            "gaps": lambda: gaps_table(r), "donors": lambda: donors_table(r)}


def guideline_sets(lines: list[tuple[str, int, int]], length: int) -> list[dict]:
    """One dashed line per distinct guideline value, told apart: a value one nation charted has, in that
    nation's colour and named for it ("USA guideline 1,200,000"); a value several share, grey and naming
    them ("Guideline 60,000: DEU, FRA"). ``lines``: (nation code, guideline, colour) per charted nation."""
    by_value: dict[int, list[tuple[str, int]]] = {}
    for code, value, tone in lines:
        by_value.setdefault(value, []).append((code, tone))
    sets = []
    for value, holders in sorted(by_value.items()):
        if len(holders) == 1:
            code, tone = holders[0]
            label = _("%(code)s guideline %(value)s") % {"code": code, "value": format_int(value)}
            sets.append({"label": label, "data": [value] * length, "dashed": True, "colour": tone})
        else:
            label = _("Guideline %(value)s: %(codes)s") % {
                "value": format_int(value), "codes": ", ".join(sorted(code for code, _t in holders))}
            sets.append({"label": label, "data": [value] * length, "dashed": True})
    return sets


def value_scale(datasets: list[dict]) -> dict:
    """A logarithmic value axis when one nation's figures would flatten the others' (largest over smallest
    positive value above 50), so that every line stays readable; the axis says so in its title."""
    values = [v for d in datasets for v in d["data"] if isinstance(v, (int, float)) and v > 0]
    return {"yLog": True} if values and max(values) / min(values) > 50 else {}


def history_chart(r: Reader, rows: list[ShortfallRow], colour: dict[int, int]) -> dict:
    """Stock reports over the last three years for the nations with the largest shortfalls."""
    charted = [(n, res) for n, _i, res in rows if res.available is not None][:CHART_SERIES]
    history = stock_selectors.stock_history(actor=r.scope, item=r.item, nations=[n for n, _ in charted],
                                            since=(r.as_of or timezone.localdate()) - dt.timedelta(days=3 * 366))
    if r.as_of is not None:
        history = [stock_selectors.StockSeries(s.nation_id, s.nation_code, [p for p in s.points if p[0] <= r.as_of])
                   for s in history]
    dates = sorted({d for s in history for d, _q in s.points})
    datasets = []
    for s in history:
        values = dict(s.points)
        datasets.append({"label": s.nation_code, "data": [values.get(d) for d in dates],
                         "colour": colour.get(s.nation_id, 0)})
    codes = {s.nation_id: s.nation_code for s in history}
    datasets += guideline_sets([(codes.get(n.pk, n.code), res.guideline, colour.get(n.pk, 0))
                                for n, res in charted if res.guideline is not None], len(dates))
    return chart("line", [d.isoformat() for d in dates], datasets, yTitle=r.item.get_unit_display(),
                 **value_scale(datasets))


def projection_chart(r: Reader, colour: dict[int, int]) -> dict:
    """Available stock month by month with the nation's production and the contracted inflows of its orders'
    schedules (the engine's projection), for the nations below guideline the reader may see; inflows as bars."""
    projected = [p for p in procurement_selectors.item_projection_stored(actor=r.scope, item=r.item, stored=r.stored,
                                                                         nations=r.nations, months=PROJECTION_MONTHS)
                 if p.result.status == shortfalls.BELOW_GUIDELINE and p.points][:CHART_SERIES]
    datasets = []
    for index, p in enumerate(projected):
        tone = colour.get(p.nation_id, len(colour) + index)
        datasets.append({"label": p.nation_code, "data": [pt.available for pt in p.points], "colour": tone})
        if any(pt.contracted for pt in p.points):
            datasets.append({
                "label": _("%(code)s: contracted inflows (cumulative)") % {"code": p.nation_code},
                "data": [pt.contracted for pt in p.points], "colour": tone, "type": "bar",
            })
    datasets += guideline_sets([(p.nation_code, p.result.guideline, colour.get(p.nation_id, len(colour) + index))
                                for index, p in enumerate(projected) if p.result.guideline is not None],
                               PROJECTION_MONTHS + 1)
    labels = ([pt.on.strftime("%Y-%m") for pt in projected[0].points] if projected
              else [_("month %(n)s") % {"n": m} for m in range(PROJECTION_MONTHS + 1)])
    return chart("line", labels if datasets else [], datasets, yTitle=r.item.get_unit_display(),
                 **value_scale(datasets))


@require_GET
@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scope = scope_for(request.user)
    item = item_get(actor=scope, pk=pk)
    if item is None:
        raise Http404(_("No such item."))
    form, as_of = read_as_of(request)
    r = Reader(scope=scope, as_of=as_of, item=item, nations=nations_by_id())
    exported = export_or_none(request, exports(r))
    if exported is not None:
        return exported
    rows = r.rows()
    tables = {"nations": nations_table(r, rows), "gaps": gaps_table(r), "donors": donors_table(r)}
    rollup = next(iter(stock_selectors.alliance_rollup(actor=scope, item_ids=[item.pk], stored=r.stored)), None)
    charted = [n for n, _i, res in rows if res.available is not None][:CHART_SERIES]
    colour = {n.pk: index for index, n in enumerate(charted)}
    return page(request, "dashboard/item.html", {
        "item": item, "form": form, "as_of": as_of, "scope": scope, "tables": tables, "rollup": rollup,
        "rollup_notes": {name: rollup.note(name) for name in rollup.reasons} if rollup else {},
        "charts": {"history_chart": history_chart(r, rows, colour), "projection_chart": projection_chart(r, colour)},
        "pledges_url": reverse("dashboard:pledges") + f"?item={item.pk}",
    })
