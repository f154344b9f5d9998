"""The printable briefing: ``/briefing/`` (print-ready HTML) and ``/briefing.pdf`` (WeasyPrint, offline).

What it holds: the headline figures, the alliance shortfall by category, overdue pledges, nations not
reporting and open alerts, with the classification banner on every printed page (CSS ``@page`` margin
boxes). For the cell (every nation, exact figures) or a nation's own view (an officer's own; the cell may
ask for one with ``?nation=POL``: the figures that nation would see, through ``coordination.disclosure``).
For today, ``?as_of=``, or a frozen briefing snapshot (``?snapshot=<id>``: the shortfall figures are the
snapshot's frozen rows, which late reports never change; pledges and reporting as of its date); in
``?lang=`` or the reader's language.

The PDF is made on this machine: the fonts are vendored under static/vendor/fonts/ and the URL fetcher
given to WeasyPrint reads only the project's static files, refusing anything else (no network).
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coordination.access import Scope, scope_for
from coordination.models import Nation
from coordination.security import log_refused
from coordination.selectors import nation_get
from stockpiles import selectors as stock_selectors
from stockpiles.alert_text import alert_text
from stockpiles.models import Snapshot
from stockpiles.reporting import nations_with_last_report
from stockpiles.snapshot_selectors import snapshot_get
from web.dashboard.common import read_as_of, unit_label
from web.dashboard.headline import Figures, category_table, headlines, read_figures
from web.dashboard.tables import Badge, Column, Table

log = logging.getLogger(__name__)

STYLESHEET = "dashboard/briefing.css"
FONTS = {"regular": "vendor/fonts/dejavu/DejaVuSans.ttf", "bold": "vendor/fonts/dejavu/DejaVuSans-Bold.ttf"}


@dataclass(frozen=True)
class Briefing:
    scope: Scope
    view_of: Nation | None  # the nation whose view this is (None: the cell's)
    as_of: dt.date | None
    language: str
    snapshot: Snapshot | None = None
    nations: dict | None = None  # every nation by id with its last report (``nations_with_last_report``), read once


def read_briefing(request: HttpRequest) -> Briefing:
    """The briefing's reader, date and language from the request; Http404 / ValueError on bad input."""
    scope = scope_for(request.user)
    if scope.is_nobody:
        raise Http404(_("No briefing for this account."))
    view_of = None
    code = request.GET.get("nation", "").strip()
    if code:
        nation = nation_get(actor=scope, code=code)
        if nation is None or not (scope.is_cell or nation.pk == scope.nation_id):
            log_refused(request, reason="another nation's briefing", status=404, target_nation=code.upper()[:8])
            raise Http404(_("No such nation."))
        if scope.is_cell:  # the cell prepares a nation's own view: what that nation's users would see
            scope = Scope(nation_id=nation.pk, nation_code=nation.code, nation_role=nation.role)
    snapshot = None
    form, as_of = read_as_of(request)
    if "snapshot" in request.GET:
        snapshot = snapshot_get(actor=scope, snapshot_id=request.GET["snapshot"])
        if snapshot is None:
            raise ValueError(gettext("No such briefing snapshot."))
        as_of = snapshot.as_of if snapshot.as_of < timezone.localdate() else None
    elif form.is_bound and not form.is_valid():
        raise ValueError(" ".join(str(e) for e in form.errors.get("as_of", [])) or gettext("Enter a valid date."))
    language = request.GET.get("lang") or translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        raise ValueError(gettext("Unknown language %(lang)s: use one of %(choices)s.") % {
            "lang": language[:10], "choices": ", ".join(dict(settings.LANGUAGES))})
    nations = nations_with_last_report(actor=scope, as_of=as_of)
    if not scope.is_cell:
        view_of = nations[scope.nation_id]
    return Briefing(scope=scope, view_of=view_of, as_of=as_of, language=language, snapshot=snapshot, nations=nations)


def overdue_table(b: Briefing, figures: Figures) -> Table:
    table = Table(key="overdue", title=_("Overdue pledges"),
                  columns=[Column("donor", _("Donor")), Column("item", _("Item")), Column("due", _("Due on"), "date"),
                           Column("days", _("Days overdue"), "int"),
                           Column("outstanding", _("Outstanding quantity"), "int"), Column("unit", _("Unit"))],
                  empty=_("No pledge is overdue."))
    table.total = figures.overdue_total
    for o in figures.overdue_rows:
        table.rows.append([o.pledge.donor.display_name, o.pledge.item.display_name,
                           o.pledge.due_on, o.days_overdue, o.outstanding,
                           unit_label(o.pledge.item.unit)])
    return table


def reporting_table(b: Briefing, figures: Figures) -> Table:
    title = _("Nations not reporting") if b.scope.is_cell else _("Your reporting")
    table = Table(key="reporting", title=title,
                  columns=[Column("nation", _("Nation")), Column("last_report", _("Last stock report"), "date"),
                           Column("days", _("Days since"), "int"), Column("missing", _("Not reported"), "int"),
                           Column("state", _("Reporting"), "badge")],
                  empty=_("Every nation expected to report has reported recently."))
    rows = figures.not_reporting if b.scope.is_cell else figures.reporting
    for r in rows:
        state = (Badge(gettext("Stale") if r.last_report else gettext("Never reported"), "badge-bad") if r.stale
                 else Badge(gettext("Current"), "badge-ok"))
        table.rows.append([r.nation_label, r.last_report, r.days_since_report, r.items_missing, state])
    return table


def alerts_table(b: Briefing, figures: Figures) -> Table:
    table = Table(key="alerts", title=_("Open alerts"),
                  columns=[Column("opened", _("Opened"), "date"), Column("kind", _("Kind")),
                           Column("nation", _("Nation")), Column("message", _("Message"))],
                  empty=_("No open alerts."))
    table.total = figures.alerts_total
    for a in figures.alerts:
        table.rows.append([a.opened_at, a.get_kind_display(), a.nation.display_name if a.nation else "", alert_text(a)])
    return table


def render_briefing(request: HttpRequest, b: Briefing, *, for_pdf: bool) -> str:
    with translation.override(b.language):
        day = {"as_of": b.snapshot.as_of, "snapshot_id": b.snapshot.pk} if b.snapshot else {"as_of": b.as_of}
        # the cell: the database's sums; a nation: its own pairs and the aggregates its roll-up is disclosed on
        read = {"summary": stock_selectors.stored_summary(**day)} if b.scope.is_cell else {
            "stored": stock_selectors.reader_figures(actor=b.scope, **day)}
        figures = read_figures(b.scope, b.as_of, overdue_limit=25, alerts_limit=25, nations=b.nations, **read)
        context = {
            "briefing": b, "scope": b.scope, "as_of": b.as_of, "figures": figures,
            "headlines": headlines(b.scope, figures, b.as_of),
            "tables": {"categories": category_table(b.scope, figures.categories, b.as_of),
                       "overdue": overdue_table(b, figures), "reporting": reporting_table(b, figures),
                       "alerts": alerts_table(b, figures)},
            "generated": timezone.now(), "for_pdf": for_pdf, "LANGUAGE_CODE": b.language,
            "CLASSIFICATION_BANNER": settings.CLASSIFICATION_BANNER,
            "stylesheet": Path(finders.find(STYLESHEET)).read_text(encoding="utf-8") if for_pdf else "",
            "fonts": {k: Path(finders.find(v)).as_uri() for k, v in FONTS.items()} if for_pdf else {},
            "pdf_query": request.GET.urlencode(),
        }
        return render_to_string("dashboard/briefing.html", context, request=request)


@require_GET
@login_required
def briefing_page(request: HttpRequest) -> HttpResponse:
    try:
        b = read_briefing(request)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return HttpResponse(render_briefing(request, b, for_pdf=False))


# --- PDF -------------------------------------------------------------------------------------------

def static_roots() -> list[Path]:
    roots = [Path(d) for d in getattr(settings, "STATICFILES_DIRS", [])]
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    return [r.resolve() for r in roots]


def local_fetch(url: str):
    """WeasyPrint's URL fetcher: a ``file:`` URL inside the project's static files, nothing else (no
    network, no other file on the machine). A refused URL is logged and left out of the document."""
    from weasyprint.urls import URLFetcherResponse  # noqa: PLC0415 - WeasyPrint loads system libraries: only for a PDF

    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = Path(unquote(parsed.path)).resolve()
        if any(path.is_relative_to(root) for root in static_roots()) and path.is_file():
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": mime})
    log.warning("briefing PDF: refused to fetch %s", url[:200])
    raise ValueError(f"The briefing fetches nothing outside the project's static files: {url[:200]}")


def briefing_pdf_bytes(html: str) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 - WeasyPrint loads system libraries (pango): only for a PDF
    from weasyprint.urls import URLFetcher  # noqa: PLC0415 - WeasyPrint again: only when a PDF is asked for

    class LocalOnly(URLFetcher):
        def fetch(self, url, headers=None):
            return local_fetch(url)

    return HTML(string=html, base_url=Path(static_roots()[0]).as_uri() + "/", url_fetcher=LocalOnly()).write_pdf()


@require_GET
@login_required
def briefing_pdf(request: HttpRequest) -> HttpResponse:
    try:
        b = read_briefing(request)
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    body = briefing_pdf_bytes(render_briefing(request, b, for_pdf=True))
    stamp = (b.as_of or timezone.localdate()).isoformat()
    who = b.view_of.code.lower() if b.view_of else "cell"
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="briefing-{who}-{stamp}-{b.language}.pdf"'
    return response
