"""Nations and items (``/directory/?q=``): every nation and catalogue item, searchable by name, code,
category or NATO stock number, each linked to its page when the reader may open it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from coordination.selectors import item_search, nation_search
from web.dashboard.common import PAGE_SIZE, export_or_none, item_cell, nation_cell, page, unit_label
from web.dashboard.tables import Badge, Column, Table

ROLE_CSS = {"recipient": "badge-info", "partner": "badge-muted", "ally": ""}


def nations_table(scope: Scope, q: str) -> Table:
    table = Table(key="nations", title=_("Nations"),
                  columns=[Column("nation", _("Nation")), Column("code", _("Code")),
                           Column("role", _("Role"), "badge")],
                  empty=_("No nation matches “%(q)s”.") % {"q": q} if q else _("No nations recorded yet."))
    for nation in nation_search(actor=scope, q=q):
        table.rows.append([nation_cell(scope, nation), nation.code,
                           Badge(str(nation.get_role_display()), ROLE_CSS.get(nation.role, ""))])
    return table


def items_table(scope: Scope, q: str, limit: int | None = PAGE_SIZE) -> Table:
    items, total = item_search(actor=scope, q=q, limit=limit)
    table = Table(key="items", title=_("Items"),
                  columns=[Column("item", _("Item")), Column("category", _("Category")), Column("unit", _("Unit")),
                           Column("nsn", _("NATO Stock Number"))],
                  empty=_("No item matches “%(q)s”.") % {"q": q} if q else _("No items in the catalogue yet."))
    table.total = total if limit and total > len(items) else None
    for item in items:
        table.rows.append([item_cell(item), item.category.display_name, unit_label(item.unit), item.nsn or "—"])
    return table


@require_GET
@login_required
def directory(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    q = request.GET.get("q", "").strip()[:100]
    exported = export_or_none(request, {"nations": lambda: nations_table(scope, q),
                                        "items": lambda: items_table(scope, q, limit=None)})
    if exported is not None:
        return exported
    return page(request, "dashboard/directory.html",
                {"q": q, "nations": nations_table(scope, q), "items": items_table(scope, q)})
