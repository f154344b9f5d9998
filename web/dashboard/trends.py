"""The shortfall trend of the overview, nation and item pages (``/trends/``): the last 24 months from the
stored history, solid, and the projected path ahead (production and contracted deliveries), dashed, with a
marker at the date the page shows (today, an as-of date or a snapshot's date).

Loaded by htmx after the page (like the item page's sourcing panel): the page's own query count does not
change, and the panel has its own fixed count (pinned in tests/dashboard/test_trends.py). The figures come
from ``stockpiles.selectors.shortfall_trend``, the implementation behind the API's series endpoint, with its
access rule: a nation reads its own rows only (no other nation's figures over time).

- overview (no parameter): the alliance's shortfall by category, in EUR (each item's shortfall times its
  reference unit value: units are never summed across items);
- ``?nation=<code>``: that nation's shortfall per item as a share of the item's guideline (items in different
  units on one axis), the items with the largest shortfall;
- ``?item=<id>``: the item across nations, in the item's unit; the cell also sees the total of all nations.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coordination.access import VIEW, Scope, can_see_nation_detail, scope_for
from coordination.api.filters import parse_id
from coordination.models import Item
from coordination.security import log_refused
from coordination.selectors import nation_get
from stockpiles import selectors as stock_selectors
from web.dashboard.common import CHART_SERIES, chart, read_as_of, unit_label
from web.templatetags.aid_format import format_int

MONTHS = 24  # the past shown
AHEAD = 12  # the projection shown


def _labels(trend: stock_selectors.ShortfallTrend) -> list[str]:
    return [d.isoformat() for d in trend.past_dates] + [d.isoformat() for d in trend.ahead_dates[1:]]


def _datasets(label: str, colour: int, past: list, projected: list, *, notes_past=None, notes_ahead=None) -> list[dict]:
    """A line's two datasets on the shared axis: the past (solid, up to the date) and the projection (dashed,
    from the date on; it starts at the date's point so the two join). Only the past is in the legend."""
    n_past = len(past)
    out = [{"label": label, "data": past + [None] * max(0, len(projected) - 1), "colour": colour}]
    if notes_past is not None:
        out[0]["notes"] = notes_past + [""] * max(0, len(projected) - 1)
    if projected:
        out.append({"label": _("%(line)s, projected") % {"line": label},
                    "data": [None] * (n_past - 1) + projected, "colour": colour, "dashed": True, "legend": False})
        if notes_ahead is not None:
            out[-1]["notes"] = [""] * (n_past - 1) + notes_ahead
    return out


def _marker(trend: stock_selectors.ShortfallTrend, as_of: dt.date | None) -> dict:
    text = _("As of %(day)s") % {"day": trend.as_of.isoformat()} if as_of else _("Today")
    return {"index": len(trend.past_dates) - 1, "label": text}


def overview_chart(trend: stock_selectors.ShortfallTrend, as_of: dt.date | None) -> dict:
    datasets: list[dict] = []
    for k, line in enumerate(trend.lines[:CHART_SERIES]):
        datasets += _datasets(line.label, k, line.past, line.projected)
    return chart("line", _labels(trend), datasets, yTitle=_("Shortfall (EUR)"), xTitle=_("Month"),
                 marker=_marker(trend, as_of))


def _share(value: int | None, guideline: int | None) -> float | None:
    return None if value is None or not guideline else round(100 * value / guideline, 1)


def nation_chart(trend: stock_selectors.ShortfallTrend, as_of: dt.date | None) -> dict:
    """Each item's shortfall as a share of its guideline (one axis for items counted in different units); the
    tooltip gives the quantity in the item's unit."""
    shares = []
    for line in trend.lines:
        past = [_share(v, g) for v, g in zip(line.past, line.past_guideline, strict=True)]
        guideline = line.past_guideline[-1]
        projected = [_share(v, guideline) for v in line.projected] if guideline else []
        peak = max([v for v in past if v is not None] + projected, default=0)
        shares.append((peak, line, past, projected))
    shares.sort(key=lambda s: (-s[0], s[1].label))  # the largest shares of guideline
    datasets: list[dict] = []
    for k, (_peak, line, past, projected) in enumerate(shares[:CHART_SERIES]):
        unit = unit_label(line.unit)
        datasets += _datasets(
            f"{line.label} ({unit})", k, past, projected,
            notes_past=[_quantity(v, unit) for v in line.past],
            notes_ahead=[_quantity(v, unit) for v in line.projected])
    return chart("line", _labels(trend), datasets, yTitle=_("Shortfall, share of the item's guideline (%)"),
                 xTitle=_("Month"), marker=_marker(trend, as_of))


def _quantity(value: int | None, unit: str) -> str:
    return "" if value is None else f"{format_int(value)} {unit}"


def item_chart(trend: stock_selectors.ShortfallTrend, item: Item, scope: Scope, as_of: dt.date | None) -> dict:
    datasets: list[dict] = []
    for k, line in enumerate(trend.lines[:CHART_SERIES]):
        datasets += _datasets(line.label, k, line.past, line.projected)
    if scope.is_cell and len(trend.lines) > 1:  # the cell: every nation's total too (a nation never gets one)
        past = [None if all(line.past[m] is None for line in trend.lines)
                else sum(line.past[m] or 0 for line in trend.lines) for m in range(len(trend.past_dates))]
        ahead = [sum(line.projected[m] for line in trend.lines if line.projected)
                 for m in range(len(trend.ahead_dates))]
        datasets += _datasets(_("All nations"), CHART_SERIES, past, ahead if past[-1] is not None else [])
    return chart("line", _labels(trend), datasets,
                 yTitle=_("Shortfall (%(unit)s)") % {"unit": unit_label(item.unit)}, xTitle=_("Month"),
                 marker=_marker(trend, as_of))


@require_GET
@login_required
def trend_panel(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form, as_of = read_as_of(request)
    if form.is_bound and not form.is_valid():
        return HttpResponseBadRequest(" ".join(str(e) for e in form.errors.get("as_of", [])) or _("Bad date."))
    item_raw, code = request.GET.get("item"), request.GET.get("nation")
    context: dict = {"as_of": as_of, "scope": scope}
    if item_raw is not None:
        item_id = parse_id(item_raw)
        if item_id is None:
            return HttpResponseBadRequest(_("Give an item id (a whole number from 1)."))
        item = Item.objects.restrict(scope, VIEW).filter(pk=item_id).first()
        if item is None:
            raise Http404(_("No such item."))
        trend = stock_selectors.shortfall_trend(actor=scope, by="nation", item=item.pk, as_of=as_of,
                                                months=MONTHS, ahead=AHEAD)
        context.update(chart=item_chart(trend, item, scope, as_of), kind="item",
                       title=(_("Shortfall over time: %(item)s, by nation") if not trend.own_only
                              else _("Shortfall over time: %(item)s, your nation")) % {"item": item.display_name})
    elif code is not None:
        nation = nation_get(actor=scope, code=code)
        if nation is None or not can_see_nation_detail(scope, nation.pk):
            if nation is not None:
                log_refused(request, reason="another nation's trend", status=404, target_nation=nation.code)
            raise Http404(_("No such nation page."))
        trend = stock_selectors.shortfall_trend(actor=scope, by="item", nation=nation.pk, as_of=as_of,
                                                months=MONTHS, ahead=AHEAD)
        context.update(chart=nation_chart(trend, as_of), kind="nation",
                       title=_("Shortfall over time per item, the largest (share of guideline)"))
    else:
        trend = stock_selectors.shortfall_trend(actor=scope, by="category", as_of=as_of, months=MONTHS,
                                                ahead=AHEAD, eur=True)
        context.update(chart=overview_chart(trend, as_of), kind="overview",
                       title=(_("Alliance shortfall over time by category (EUR)") if not trend.own_only
                              else _("Your nation's shortfall over time by category (EUR)")))
    context.update(trend=trend, more_lines=max(0, len(trend.lines) - CHART_SERIES))
    return render(request, "dashboard/_trend.html", context)
