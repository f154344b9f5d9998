"""Briefing snapshots (``/snapshots/``): the list, the cell's form to freeze one, and the comparison of two
snapshots or of a snapshot with today (``/snapshots/compare/?a=<id>&b=<id|today>``, CSV/XLSX export).
A snapshot opens on the overview (``/?snapshot=<id>``). Rules: docs/history.md."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from coordination.access import scope_for
from stockpiles import shortfalls, snapshot_selectors
from stockpiles.services import snapshot_create
from web.dashboard.common import item_cell, nation_cell, page, status_badge
from web.dashboard.exports import FORMATS, export_response
from web.dashboard.tables import Badge, Column, Link, Table

REASON_LABELS = {
    shortfalls.REPORT: _("new stock report"),
    shortfalls.PLEDGE: _("pledge"),
    shortfalls.DELIVERY: _("delivery"),
    shortfalls.GUIDELINE: _("guideline"),
    shortfalls.PRODUCTION: _("production rate"),
    shortfalls.CONTRACT: _("contracted deliveries"),
    shortfalls.NEW_PAIR: _("new row"),
    shortfalls.PAIR_GONE: _("row removed"),
    shortfalls.DATE_MOVED: _("the date moved on"),
}


# The comparison page shows this many changed pairs, the largest first; the export has them all.
COMPARE_PAGE = 100


class SnapshotForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": _("Weekly briefing 2024-W18")}))
    as_of = forms.DateField(label=_("Figures as of"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                            help_text=_("Empty: today's figures. A past date: the figures as they stood then."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


def snapshots_table(scope) -> Table:
    table = Table(key="snapshots", title=_("Briefing snapshots"),
                  caption=_("Frozen figures: late reports and corrections never change a snapshot."),
                  columns=[Column("name", _("Name")), Column("as_of", _("Figures as of"), "date"),
                           Column("taken", _("Taken at"), "date"), Column("by", _("Taken by")),
                           Column("open", _("Open")), Column("compare", _("Compare with today"))],
                  empty=_("No snapshot yet."))
    for s in snapshot_selectors.snapshot_list(actor=scope):
        table.rows.append([
            s.name, s.as_of, s.taken_at, getattr(s.created_by, "username", ""),
            Link(str(_("Open")), f"{reverse('dashboard:overview')}?snapshot={s.pk}"),
            Link(str(_("Compare")), f"{reverse('dashboard:snapshot-compare')}?a={s.pk}&b=today"),
        ])
    return table


@require_http_methods(["GET", "POST"])
@login_required
def snapshot_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    form = SnapshotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not scope.is_cell:
            raise PermissionDenied(_("Only the coordination cell takes briefing snapshots."))
        if form.is_valid():
            try:
                snapshot = snapshot_create(actor=scope, user=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect(f"{reverse('dashboard:snapshot-compare')}?a={snapshot.pk}&b=today")
    return page(request, "dashboard/snapshots.html", {
        "scope": scope, "form": form if scope.is_cell else None, "table": snapshots_table(scope),
    }, status=400 if form.errors else 200)


def _side(snapshots: list, value: str | None, *, today_allowed: bool):
    """The snapshot ``value`` names among the reader's ``snapshots`` (``snapshot_selectors.snapshot_list``, read
    once for the page's choices too); None for today where allowed; 404 for anything else."""
    if today_allowed and value in (None, "", "today"):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise Http404(_("Unknown snapshot.")) from None
    snapshot = next((s for s in snapshots if s.pk == pk), None)
    if snapshot is None:
        raise Http404(_("Unknown snapshot."))
    return snapshot


def changes_table(comparison: snapshot_selectors.Comparison, scope) -> Table:
    b_label = comparison.b.name if comparison.b else str(_("today"))
    table = Table(
        key="changes",
        title=_("What changed: %(a)s → %(b)s") % {"a": comparison.a.name, "b": b_label},
        caption=_("Pairs whose figures differ, largest change of shortfall first, with the inputs that moved."),
        columns=[Column("nation", _("Nation")), Column("item", _("Item")),
                 Column("before", _("Shortfall before"), "int"), Column("after", _("Shortfall after"), "int"),
                 Column("delta", _("Change"), "int"),
                 Column("available_before", _("Available before"), "int"),
                 Column("available_after", _("Available after"), "int"),
                 Column("status", _("Status now"), "badge"), Column("why", _("Why"))],
        empty=_("Nothing changed between the two."),
    )
    table.total = comparison.total if comparison.total > len(comparison.changes) else None
    # An export holds every changed pair (tens of thousands at full size) over ~50 nations, ~1,000 items, a few
    # statuses and reason sets: each cell is built once per value, not once per row (a URL reversed per row
    # took most of the export's time).
    nations, items, badges, whys = {}, {}, {}, {}
    for c in comparison.changes:
        if c.nation.pk not in nations:
            nations[c.nation.pk] = nation_cell(scope, c.nation)
        if c.item.pk not in items:
            items[c.item.pk] = item_cell(c.item)
        status = c.after.status if c.after else None
        if status not in badges:
            badges[status] = status_badge(status) if c.after else Badge(_("no row"), "badge-muted")
        if c.reasons not in whys:
            whys[c.reasons] = ", ".join(str(REASON_LABELS[r]) for r in c.reasons)
        table.rows.append([
            nations[c.nation.pk], items[c.item.pk],
            c.before.shortfall if c.before else None, c.after.shortfall if c.after else None, c.shortfall_delta,
            c.before.available if c.before else None, c.after.available if c.after else None,
            badges[status], whys[c.reasons],
        ])
    return table


@require_http_methods(["GET"])
@login_required
def snapshot_compare(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    snapshots = list(snapshot_selectors.snapshot_list(actor=scope))
    a = _side(snapshots, request.GET.get("a"), today_allowed=False)
    b = _side(snapshots, request.GET.get("b"), today_allowed=True)
    fmt = request.GET.get("export")
    if fmt is not None and (fmt not in FORMATS or request.GET.get("table", "changes") != "changes"):
        raise Http404(_("Unknown export."))
    # The page shows the largest changes; the export has every changed pair.
    comparison = snapshot_selectors.snapshot_compare(actor=scope, a=a, b=b,
                                                     limit=None if fmt is not None else COMPARE_PAGE)
    table = changes_table(comparison, scope)
    if fmt is not None:
        return export_response(table=table, fmt=fmt, as_of=comparison.b_as_of)
    return page(request, "dashboard/snapshot_compare.html", {
        "scope": scope, "comparison": comparison, "table": table, "today": timezone.localdate(),
        "snapshots": snapshots,
    })
