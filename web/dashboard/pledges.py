"""The pledge table (``/pledges/``): PledgeFilterSet (shared with the API), sorting, pagination, htmx updates."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import scope_for
from coordination.names import name_expression, sort_key
from pledges import selectors as pledge_selectors
from pledges.filtersets import PledgeFilterSet
from web.dashboard.common import PAGE_SIZE, export_or_none, page, past, read_as_of
from web.dashboard.shared_tables import pledge_table

SORTS = {
    "donor": ("donor__name",), "recipient": ("recipient__name",), "item": ("item__name",),
    "quantity": ("quantity",), "delivered": ("delivered_quantity",), "value": ("value_eur",),
    "announced": ("announced_on",), "due": ("due_on",), "status": ("status",),
}
FILTER_FIELDS = ("donor", "recipient", "category", "item", "status", "source")


def ordering_of(sort: str) -> tuple[str, tuple[str, ...]]:
    """The sort asked for (``""`` when unknown) and the ORDER BY it means (pk last: a stable order)."""
    field = SORTS.get(sort.lstrip("-"))
    if field is None:
        return "", ("-announced_on", "-pk")
    return sort, tuple(("-" + f if sort.startswith("-") else f) for f in field) + ("pk",)


def _shown_name_order(order: str):
    """A sort by a nation's or item's name sorts by the name the reader sees (``coordination.names``)."""
    field = order.lstrip("-")
    if not field.endswith("__name"):
        return order
    expression = name_expression(field.removesuffix("name"))
    return expression.desc() if order.startswith("-") else expression.asc()


def sort_headers(table, sort: str) -> list[dict]:
    headers = []
    for column in table.columns:
        aria = "ascending" if sort == column.sort else "descending" if sort == f"-{column.sort}" else "none"
        headers.append({"column": column, "aria": aria,
                        "next": f"-{column.sort}" if aria == "ascending" else column.sort})
    return headers


def filter_fields(filterset: PledgeFilterSet, request: HttpRequest, names) -> list[dict]:
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
        if hasattr(field, "queryset"):  # nations, items, categories: by the name the reader sees
            options.sort(key=lambda option: sort_key(str(option[1])))
        fields.append({"name": name, "label": field.label, "options": options})
    return fields


@require_GET
@login_required
def pledge_list(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    asof_form, as_of = read_as_of(request)
    data = request.GET.copy()
    if as_of is not None:
        # On a past date: announced by then, delivered and overdue as of then (the filter's own "overdue" is
        # today's: the selector applies the rule on that date instead).
        overdue = {"true": True, "false": False}.get(data.pop("overdue", [""])[-1])
        base = pledge_selectors.pledge_list_as_of(actor=scope, as_of=as_of, overdue=overdue)
    else:
        base = pledge_selectors.pledge_list(actor=scope)
    filterset = PledgeFilterSet(data or None, queryset=base, request=request)
    sort, ordering = ordering_of(request.GET.get("sort", ""))
    if as_of is not None and sort.lstrip("-") == "delivered":
        ordering = tuple(o.replace("delivered_quantity", "delivered_then") for o in ordering)
    qs = filterset.qs.order_by(*(_shown_name_order(o) for o in ordering))
    on = as_of or timezone.localdate()
    empty = past(_("No pledges announced by %(day)s match."), as_of) or None

    def table_of(pledges):
        pledges = list(pledges)
        delivered = {p.pk: p.delivered_then for p in pledges} if as_of is not None else None
        return pledge_table(pledges, scope=scope, on=on, key="pledges", title=_("Pledges"), delivered=delivered,
                            empty=empty)

    exported = export_or_none(request, {"pledges": lambda: table_of(qs)})
    if exported is not None:
        return exported

    paged = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    table = table_of(paged.object_list)
    context = {"filterset": filterset, "table": table, "page": paged, "sort": sort, "scope": scope,
               "today": timezone.localdate(), "headers": sort_headers(table, sort), "as_of": as_of,
               "asof_form": asof_form}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "dashboard/_pledge_results.html", context)
    else:
        context["filters"] = filter_fields(filterset, request, FILTER_FIELDS)
        context["overdue_only"] = request.GET.get("overdue") == "true"
        response = page(request, "dashboard/pledges.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
