"""The sourcing planner page (/sourcing/): who can give how much of an item, when, without going below
guideline; the proposed split of the need; and the what-if of a draft pledge (also an htmx panel on the
item page). Thin: every figure comes from stockpiles.sourcing_selectors (the engine's figures, arranged
by stockpiles.sourcing). Rules: docs/sourcing.md."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import VIEW, Scope, scope_for
from coordination.models import Item, Nation
from coordination.names import name_fields, name_of, sort_key
from pledges.models import Pledge
from stockpiles import shortfalls
from stockpiles import sourcing_selectors as selectors
from web.dashboard.common import (
    CHART_SERIES,
    Builders,
    chart,
    export_or_none,
    hidden_badge,
    nation_cell,
    page,
    read_as_of,
)
from web.dashboard.tables import Badge, Column, Table
from web.templatetags.aid_format import format_int

REASONS = {shortfalls.NO_REPORT: _("No stock report"), shortfalls.NO_GUIDELINE: _("No guideline")}


# --- Forms ---------------------------------------------------------------------------------------------

class SourcingForm(forms.Form):
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity to source"), required=False, min_value=1, max_value=2**63 - 1,
                                  help_text=_("Leave empty for the recipients' uncovered requirement."))

    def __init__(self, *args, items: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items


class WhatIfForm(forms.Form):
    donor = forms.TypedChoiceField(label=_("Donor"), coerce=int)
    item = forms.TypedChoiceField(label=_("Item"), coerce=int)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=2**63 - 1)
    source = forms.ChoiceField(label=_("Source"), choices=Pledge.Source.choices, initial=Pledge.Source.NATIONAL_STOCK)
    due_on = forms.DateField(label=_("Due on"), required=False,
                             widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    recipient = forms.TypedChoiceField(label=_("Recipient"), coerce=int, required=False)

    def __init__(self, *args, donors: list[tuple[int, str]], items: list[tuple[int, str]],
                 recipients: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].choices = donors
        self.fields["item"].choices = items
        self.fields["recipient"].choices = [("", _("(automatic)"))] + recipients


def _donor_choices(scope: Scope, nations: Mapping[int, Nation]) -> list[tuple[int, str]]:
    """The cell tries any donor; a nation its own pledges only."""
    return [(n.pk, f"{n.code} – {n.display_name}") for n in sorted(nations.values(), key=lambda n: n.code)
            if n.role != Nation.Role.RECIPIENT and (scope.is_cell or n.pk == scope.nation_id)]


def _recipient_choices(nations: Mapping[int, Nation]) -> list[tuple[int, str]]:
    return [(n.pk, f"{n.code} – {n.display_name}") for n in sorted(nations.values(), key=lambda n: n.code)
            if n.role == Nation.Role.RECIPIENT]


def _item_choices() -> list[tuple[int, str]]:
    rows = Item.objects.order_by().values("pk", *name_fields())
    return sorted(((row["pk"], name_of(row)) for row in rows), key=lambda choice: sort_key(choice[1]))


def _catalogue() -> dict[int, Item]:
    """Every item with its category, by the name in the reader's language (the choices, and the item
    planned: one read)."""
    items = sorted(Item.objects.select_related("category"), key=lambda item: sort_key(item.display_name))
    return {item.pk: item for item in items}


def _what_if_form(scope: Scope, nations, items, data=None, *, item: Item | None = None, quantity=None):
    initial = {"item": item.pk if item else None, "quantity": quantity, "source": Pledge.Source.NATIONAL_STOCK}
    if not scope.is_cell:
        initial["donor"] = scope.nation_id
    return WhatIfForm(data, donors=_donor_choices(scope, nations), items=items,
                      recipients=_recipient_choices(nations), initial=initial, auto_id="what-if-%s")


# --- Tables --------------------------------------------------------------------------------------------

def _headroom_table(plan: selectors.SourcingPlan, scope: Scope) -> Table:
    need = format_int(plan.need)
    table = Table(
        key="headroom", title=_("Headroom per ally: what each can give without going below its guideline"),
        caption=_("Headroom = available − guideline (0 when below), available = on hand − owed; later months add "
                  "the nation's own production and its contracted deliveries (the shortfall engine's projection). "
                  "Earliest date: the first month its headroom reaches the quantity."),
        columns=[Column("nation", _("Nation")), Column("now", _("Headroom now"), "int"),
                 Column("m3", _("In 3 months"), "int"), Column("m6", _("In 6 months"), "int"),
                 Column("horizon", _("In %(n)s months") % {"n": plan.horizon}, "int"),
                 Column("earliest", _("Earliest date for %(q)s") % {"q": need}),
                 Column("available", _("Available"), "int"), Column("guideline", _("Guideline"), "int"),
                 Column("rate", _("Production per month"), "int"),
                 Column("contracted", _("Contracted inflow"), "int"), Column("status", _("Status"), "badge")],
        empty=(_("Your nation has no stock report or no guideline for this item: its headroom is unknown.")
               if not scope.is_cell else _("No ally has both a stock report and a guideline for this item.")),
    )
    for row in plan.rows:
        h, r = row.headroom, row.result
        at = h.by_month
        earliest = h.earliest_on.isoformat() if plan.need > 0 and h.earliest_on else None
        if plan.need > 0 and earliest is None:
            earliest = Badge(_("never at current rates"), "badge-bad")
        table.rows.append([
            nation_cell(scope, row.nation), h.now, at[min(3, len(at) - 1)], at[min(6, len(at) - 1)], at[-1],
            earliest, r.available, r.guideline, r.rate, r.contracted_inflow,
            Badge(_("below guideline"), "badge-bad") if r.status == shortfalls.BELOW_GUIDELINE
            else Badge(_("at or above guideline"), "badge-ok"),
        ])
    return table


def _months_table(plan: selectors.SourcingPlan, scope: Scope) -> Table:
    table = Table(
        key="by_month", title=_("Headroom month by month"),
        caption=_("What each ally could have given in total by that date and still be at or above its guideline "
                  "at every month."),
        columns=[Column("nation", _("Nation"))] + [Column(f"m{m}", on.strftime("%Y-%m"), "int")
                                                    for m, on in enumerate(plan.months)],
        empty=_("No headroom to show."),
    )
    for row in plan.rows:
        table.rows.append([nation_cell(scope, row.nation), *row.headroom.by_month])
    if plan.rows and (plan.totals_by_month is not None or any(plan.totals_notes)):
        totals = plan.totals_by_month or [None] * len(plan.months)
        notes = plan.totals_notes or [""] * len(plan.months)
        # a hidden month says why (coordination.disclosure), never a blank
        table.rows.append([_("All allies (total)"), *(hidden_badge(note) if value is None else value
                                                      for value, note in zip(totals, notes, strict=True))])
    return table


def _split_table(plan: selectors.SourcingPlan, scope: Scope) -> Table:
    table = Table(
        key="split", title=_("Proposed split of the need"),
        caption=_("Month by month, each ally gives what its headroom has grown to; the largest offer first. No "
                  "ally goes below its guideline at any month, and the need is covered as early as the allies' "
                  "headroom allows."),
        columns=[Column("nation", _("Nation")), Column("from", _("From"), "date"), Column("month", _("Month"), "int"),
                 Column("quantity", _("Quantity"), "int"), Column("headroom", _("Its headroom then"), "int"),
                 Column("why", _("Why"))],
        empty=(_("Nothing to split: the need is 0.") if plan.need == 0 and plan.split is not None
               else _("The split is hidden: it rests on too few other nations to show without revealing one "
                      "nation's figures.") if plan.split_suppressed
               else _("Your nation is not asked for anything in this split.") if not scope.is_cell
               else _("No ally has headroom within the horizon.")),
    )
    for pl in plan.lines:
        table.rows.append([nation_cell(scope, pl.nation), pl.line.on, pl.line.month, pl.line.quantity,
                           pl.line.headroom, pl.explanation])
    return table


def _unknown_table(plan: selectors.SourcingPlan, scope: Scope) -> Table:
    table = Table(
        key="unknown", title=_("Unknown headroom: no stock report or no guideline"),
        caption=_("Listed apart, never counted as zero: report stock and set a guideline to include them."),
        columns=[Column("nation", _("Nation")), Column("reason", _("Why unknown"), "badge"),
                 Column("on_hand", _("On hand"), "int"), Column("guideline", _("Guideline"), "int")],
        empty=_("Every ally has reported and has a guideline.") if scope.is_cell else _("Nothing unknown."),
    )
    for row in plan.unknown:
        table.rows.append([nation_cell(scope, row.nation),
                           Badge(REASONS.get(row.result.status, row.result.status), "badge-muted"),
                           row.result.on_hand, row.result.guideline])
    return table


def _headroom_chart(plan: selectors.SourcingPlan) -> dict:
    labels = [on.strftime("%Y-%m") for on in plan.months]
    shown = sorted(plan.rows, key=lambda r: -(r.headroom.at_horizon or 0))[:CHART_SERIES]
    datasets = [{"label": r.nation.code, "data": list(r.headroom.by_month), "colour": i} for i, r in enumerate(shown)]
    if plan.totals_by_month is not None:
        datasets.append({"label": str(_("All allies (total)")), "data": plan.totals_by_month,
                         "colour": len(shown)})
    if plan.need and (plan.totals_by_month is not None or plan.rows):
        datasets.append({"label": str(_("Need %(value)s") % {"value": format_int(plan.need)}),
                         "data": [plan.need] * len(labels), "dashed": True})
    return chart("line", labels if datasets else [], datasets, yTitle=plan.item.get_unit_display())


# --- Views ---------------------------------------------------------------------------------------------

@require_GET
@login_required
def sourcing_page(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if scope.is_nobody:
        raise PermissionDenied
    catalogue = _catalogue()
    items = [(pk, item.display_name) for pk, item in catalogue.items()]
    asof_form, as_of = read_as_of(request)
    form = SourcingForm(request.GET if "item" in request.GET else None, items=items)
    nations = Nation.objects.in_bulk()
    context: dict = {"form": form, "asof_form": asof_form, "as_of": as_of, "scope": scope, "plan": None}
    if form.is_bound and form.is_valid():
        item = catalogue[form.cleaned_data["item"]]
        plan = selectors.sourcing_plan(actor=scope, item=item, quantity=form.cleaned_data["quantity"],
                                       as_of=as_of, nations=nations)
        builders: Builders = {"headroom": lambda: _headroom_table(plan, scope),
                              "by_month": lambda: _months_table(plan, scope),
                              "split": lambda: _split_table(plan, scope),
                              "unknown": lambda: _unknown_table(plan, scope)}
        exported = export_or_none(request, builders)
        if exported is not None:
            return exported
        # The what-if is about the planned item: one option, not the whole catalogue twice on the page.
        context.update(plan=plan, item=item, tables={key: build() for key, build in builders.items()},
                       chart=_headroom_chart(plan),
                       what_if_form=_what_if_form(scope, nations, [(item.pk, item.display_name)], item=item,
                                                  quantity=plan.need or None))
    else:
        context["what_if_form"] = _what_if_form(scope, nations, items)
    chosen = str(form["item"].value() or "")
    context["item_options"] = [(pk, name, str(pk) == chosen) for pk, name in items]
    return page(request, "dashboard/sourcing.html", context)


def _what_if_result(scope: Scope, form: WhatIfForm, nations: Mapping[int, Nation]):
    """The what-if of a valid form, or None with the form's errors set."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    donor = nations.get(data["donor"])
    item = Item.objects.filter(pk=data["item"]).first()
    if donor is None or item is None:  # pragma: no cover - the choices hold only existing rows
        return None
    recipient = nations.get(data["recipient"]) if data.get("recipient") else None
    return selectors.sourcing_what_if(actor=scope, donor=donor, item=item, quantity=data["quantity"],
                                      source=data["source"], due_on=data.get("due_on"), recipient=recipient,
                                      nations=nations)


@require_GET
@login_required
def what_if(request: HttpRequest) -> HttpResponse:
    """The what-if of a draft pledge (GET: it writes nothing). An htmx request gets the result panel; a
    plain one the form and the result on a page of its own."""
    scope = scope_for(request.user)
    if scope.is_nobody:
        raise PermissionDenied
    nations = Nation.objects.in_bulk()
    items = _item_choices()
    form = _what_if_form(scope, nations, items, request.GET)
    result = _what_if_result(scope, form, nations)
    context = {"what_if_form": form, "result": result, "scope": scope, "today": timezone.localdate()}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "dashboard/_what_if_result.html", context)
    else:
        response = page(request, "dashboard/what_if.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@login_required
def item_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The item page's sourcing panel (loaded with htmx): headroom and the split summary, and the what-if form."""
    scope = scope_for(request.user)
    item = get_object_or_404(Item.objects.restrict(scope, VIEW), pk=pk)
    nations = Nation.objects.in_bulk()
    plan = selectors.sourcing_plan(actor=scope, item=item, nations=nations)
    items = [(item.pk, item.display_name)]
    return render(request, "dashboard/_sourcing_panel.html", {
        "item": item, "plan": plan, "scope": scope, "today": timezone.localdate(),
        "headroom": _headroom_table(plan, scope),
        "what_if_form": _what_if_form(scope, nations, items, item=item, quantity=plan.need or None),
        "page_url": reverse("dashboard:sourcing") + f"?item={item.pk}",
    })
