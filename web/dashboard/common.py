"""What every dashboard page shares: the as-of date, exports, chart data, rendering, and the cells that
name nations and items (linked when the reader may open them). Presentational only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.access import Scope, can_see_nation_detail
from coordination.models import Item, Nation
from stockpiles import shortfalls
from stockpiles.models import Shortfall
from web.dashboard.exports import FORMATS, export_response
from web.dashboard.forms import AsOfForm
from web.dashboard.tables import Badge, Link, Table

TOP = 15  # rows of "largest" lists shown on a page (exports have them all)
PAGE_SIZE = 50
CHART_SERIES = 6  # lines per chart, beyond that the legend is unreadable

Builders = dict[str, Callable[[], Table]]


def read_as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date | None]:
    """The *Numbers as of* form and the past date it asks for (None: today's stored figures)."""
    form = AsOfForm(request.GET if "as_of" in request.GET else None)
    return form, (form.as_of_date() if form.is_bound else None)


def export_or_none(request: HttpRequest, builders: Builders) -> HttpResponse | None:
    """Answer ``?export=csv|xlsx&table=<key>`` with the file; None for a normal page view."""
    fmt = request.GET.get("export")
    if fmt is None:
        return None
    key = request.GET.get("table", "")
    if fmt not in FORMATS or key not in builders:
        raise Http404(_("Unknown export."))
    _form, as_of = read_as_of(request)
    return export_response(table=builders[key](), fmt=fmt, as_of=as_of)


def chart(kind: str, labels: list, datasets: list[dict], **options) -> dict:
    """Chart data for static/dashboard/charts.js (read from a json_script tag: no inline scripts)."""
    return {"type": kind, "labels": labels, "datasets": datasets, "options": options}


def page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    context.setdefault("today", timezone.localdate())
    return render(request, template, context, status=status)


def past(text, as_of: dt.date | None) -> str:
    """``text`` (with ``%(day)s``) for a past date, "" for today: ``past(_("No pledges announced by %(day)s."),
    as_of) or _("No pledges recorded yet.")``. An empty state on a past date says what was true then."""
    return str(text) % {"day": as_of.isoformat()} if as_of is not None else ""


def with_as_of(url: str, as_of: dt.date | None) -> str:
    return url + (f"?as_of={as_of.isoformat()}" if as_of else "")


def nation_cell(scope: Scope, nation: Nation, as_of: dt.date | None = None):
    """A nation's name, linked to its page when the reader may open it (coordination.access)."""
    if not can_see_nation_detail(scope, nation.pk):
        return nation.display_name
    return Link(nation.display_name, with_as_of(reverse("dashboard:nation", args=[nation.code]), as_of))


def item_cell(item: Item, as_of: dt.date | None = None) -> Link:
    return Link(item.display_name, with_as_of(reverse("dashboard:item", args=[item.pk]), as_of))


def unit_label(unit: str) -> str:
    return str(Item.Unit(unit).label) if unit in Item.Unit.values else unit


def months_cell(result: shortfalls.ShortfallResult):
    if result.not_recovering:
        return Badge(_("not recovering"), "badge-bad")
    return result.months_to_recover


def status_badge(status: str) -> Badge:
    css = {
        Shortfall.Status.BELOW_GUIDELINE: "badge-bad",
        Shortfall.Status.OK: "badge-ok",
    }.get(status, "badge-muted")
    return Badge(str(Shortfall.Status(status).label) if status in Shortfall.Status.values else status, css)


def hidden_badge(note: str = "") -> Badge:
    """A figure ``coordination.disclosure`` hides from this reader: says why ("fewer than 3 nations")."""
    return Badge(note or _("hidden"), "badge-muted")


def figure_cell(row, name: str):
    """Figure ``name`` of a selector row that carries ``reasons``/``note`` (roll-up, demand): its value,
    or a badge saying why it is hidden: never a blank or a zero."""
    value = getattr(row, name)
    note = row.note(name) or (row.note("total_shortfall") if value is None else "")  # counts go with the total
    return hidden_badge(note) if note else value
