"""The Kiel Ukraine Support Tracker inside the product (``/tracker/``): each donor's totals (allocated,
military, financial, humanitarian; commitments and what is still to be allocated) and the heavy weapons
by type, with the source and release named. Public data, the same for every reader; the figures are
the imported rows added up exactly (``pledges.selectors.tracker_summary``), equal to the source files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import scope_for
from pledges import selectors as pledge_selectors
from web.dashboard.common import Builders, export_or_none, page
from web.dashboard.tables import Column, Table

NOT_LOADED = _("No Kiel tracker figures loaded yet: an administrator loads the tracker's release (see the README, "
               "Loading data).")


def donors_table(s: pledge_selectors.TrackerSummary) -> Table:
    table = Table(key="tracker-donors", title=_("Aid to Ukraine per donor (Kiel tracker)"),
                  caption=_("Allocated = financial + humanitarian + military aid delivered or earmarked; "
                            "committed = promised aid of all types; still to allocate = committed − allocated. "
                            "Negative months in the source are corrections."),
                  columns=[Column("donor", _("Donor")), Column("code", _("Code")),
                           Column("allocated", _("Allocated (EUR)"), "eur"),
                           Column("military", _("Military (EUR)"), "eur"),
                           Column("financial", _("Financial (EUR)"), "eur"),
                           Column("humanitarian", _("Humanitarian (EUR)"), "eur"),
                           Column("committed", _("Committed (EUR)"), "eur"),
                           Column("to_allocate", _("Still to allocate (EUR)"), "eur")],
                  empty=NOT_LOADED)
    for d in [*s.donors, s.total] if s.donors else []:
        table.rows.append([d.nation.display_name if d.nation else _("All donors"), d.nation.code if d.nation else "",
                           d.allocated_eur, d.military_eur, d.financial_eur, d.humanitarian_eur, d.committed_eur,
                           d.to_be_allocated_eur])
    return table


def weapons_table(s: pledge_selectors.TrackerSummary) -> Table:
    table = Table(key="tracker-weapons", title=_("Heavy weapons by type (Kiel tracker)"),
                  caption=_("Systems given to Ukraine per tracker category, counted within the type as the tracker "
                            "does, with their value in EUR. Types are added up in EUR only, never in units."),
                  columns=[Column("type", _("Type")), Column("number", _("Systems"), "int"),
                           Column("value", _("Value (EUR)"), "eur"), Column("donors", _("Donors"), "int")],
                  empty=NOT_LOADED)
    for w in s.weapons:
        table.rows.append([w.category, w.number, w.value_eur, w.donors])
    if s.weapons:
        table.rows.append([_("All types"), None, s.weapons_total.value_eur, s.weapons_total.donors])
    return table


def systems_table(s: pledge_selectors.TrackerSummary) -> Table:
    table = Table(key="tracker-systems", title=_("Heavy weapons per system (Kiel tracker)"),
                  columns=[Column("type", _("Type")), Column("system", _("System")),
                           Column("number", _("Systems"), "int"), Column("value", _("Value (EUR)"), "eur"),
                           Column("donors", _("Donors"), "int")],
                  empty=NOT_LOADED)
    for w in s.systems:
        table.rows.append([w.category, w.system, w.number, w.value_eur, w.donors])
    return table


def exports(summary) -> Builders:
    return {"tracker-donors": lambda: donors_table(summary()), "tracker-weapons": lambda: weapons_table(summary()),
            "tracker-systems": lambda: systems_table(summary())}


@require_GET
@login_required
def tracker_page(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    exported = export_or_none(request, exports(lambda: pledge_selectors.tracker_summary(actor=scope)))
    if exported is not None:
        return exported
    s = pledge_selectors.tracker_summary(actor=scope)
    return page(request, "dashboard/tracker.html", {
        "scope": scope, "summary": s,
        "tables": {"donors": donors_table(s), "weapons": weapons_table(s), "systems": systems_table(s)},
    })
