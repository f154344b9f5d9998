"""Who reports: per nation, its last stock report, the items it is expected to report and those it has
reported, and whether its reporting is stale. A read with a fixed number of queries.

Expected items are the pairs with a stored Shortfall row whose guideline is above 0 (the engine gives an
ally a ``no_report`` row for every item an alliance-wide guideline applies to: ``shortfalls.gets_row``);
reported are those with a stock report. Stale: the latest report is older than
``settings.REPORTING_STALE_AFTER_DAYS`` (or there is none while something is expected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, Count, Max, OuterRef, Q, Subquery, When
from django.utils import timezone

from coordination.access import VIEW, Scope, scope_for
from coordination.models import Nation
from coordination.names import localized
from stockpiles.models import CurrentStock, Shortfall, Snapshot, StockReport
from stockpiles.selectors import StoredFigures, StoredSummary, shortfalls_as_of


@dataclass(frozen=True)
class NationReporting:
    nation_id: int
    nation_code: str
    nation_name: str
    last_report: dt.date | None
    items_expected: int
    items_reported: int  # of the expected items
    stale: bool
    on: dt.date | None = None  # the day the row describes (None: today)
    nation_name_fr: str = ""

    @property
    def nation_label(self) -> str:
        """The nation's name in the reader's language (``coordination.names``)."""
        return localized(self.nation_name, self.nation_name_fr)

    @property
    def items_missing(self) -> int:
        return self.items_expected - self.items_reported

    @property
    def days_since_report(self) -> int | None:
        return None if self.last_report is None else ((self.on or timezone.localdate()) - self.last_report).days


def stale_limit(*, today: dt.date) -> dt.date:
    """A latest report before this day is stale."""
    return today - dt.timedelta(days=settings.REPORTING_STALE_AFTER_DAYS)


def is_stale(*, last_report: dt.date | None, expected: int, today: dt.date) -> bool:
    """The one rule (the reporting view and the ``stale_reporting`` alert, stockpiles.alerts): the latest
    report is older than ``REPORTING_STALE_AFTER_DAYS``, or there is none while some item is expected."""
    return last_report < stale_limit(today=today) if last_report is not None else expected > 0


def last_report_by_nation(*, actor, as_of: dt.date) -> dict[int, dt.date]:
    """Per nation the user may see, the date of its latest stock report on or before ``as_of`` (nations
    without one left out). One query: one index probe per nation (``stockreport_nation_asof_idx``), never
    a scan of the report history."""
    scope = actor if isinstance(actor, Scope) else scope_for(actor)
    latest = (StockReport.objects.filter(nation_id=OuterRef("pk"), as_of__lte=as_of)
              .order_by("-as_of", "-id").values("as_of")[:1])
    if scope.is_nobody:
        return {}
    nations = Nation.objects.all() if scope.is_cell else Nation.objects.filter(pk=scope.nation_id)
    rows = nations.order_by().annotate(last=Subquery(latest)).values_list("pk", "last")
    return {pk: last for pk, last in rows if last is not None}


def nations_with_last_report(*, actor, as_of: dt.date | None = None) -> dict[int, Nation]:
    """Every nation by id (reference data: everyone reads it; read once per request for the tables that name
    nations), each with ``last_report``: the date of its latest stock report (on or before a past ``as_of``)
    when the reader may see it (its own, or every nation's for the cell; None otherwise or without one).
    One query: one index probe per nation, as ``last_report_by_nation``."""
    scope = actor if isinstance(actor, Scope) else scope_for(actor)
    if scope.is_nobody:
        nations = Nation.objects.in_bulk()
        for nation in nations.values():
            nation.last_report = None
        return nations
    if as_of is not None and as_of < timezone.localdate():
        latest = StockReport.objects.restrict(scope, VIEW).filter(nation_id=OuterRef("pk"), as_of__lte=as_of)
    else:
        latest = CurrentStock.objects.restrict(scope, VIEW).filter(nation_id=OuterRef("pk"))
    return Nation.objects.annotate(last_report=Subquery(latest.order_by("-as_of", "-id").values("as_of")[:1])
                                   ).in_bulk()


_SNAPSHOT_FIELDS = ("pk", "name", "as_of", "taken_at", "created_by_id", "note")


def snapshot_with_nations(*, actor, snapshot_id) -> tuple[Snapshot | None, dict[int, Nation]]:
    """A frozen snapshot (``snapshot_selectors.snapshot_get``: None when unknown or not a whole number, then
    no nations and no query) and ``nations_with_last_report`` as of its date (today's when it is of today),
    read together: one query, each nation row with the snapshot's fields (uncorrelated subqueries) and its
    last report on or before the snapshot's date (a past date's reports, or today's current stock, chosen in
    the statement). The snapshot is read on its own (one query more) only when no nation carries it."""
    try:
        pk = int(snapshot_id)
    except (TypeError, ValueError):
        return None, {}
    scope = actor if isinstance(actor, Scope) else scope_for(actor)
    if scope.is_nobody:
        return None, {}
    snapshot = Snapshot.objects.restrict(scope, VIEW).filter(pk=pk).order_by()
    fields = {f"_snapshot_{name}": Subquery(snapshot.values(name)[:1]) for name in _SNAPSHOT_FIELDS}
    past = (StockReport.objects.restrict(scope, VIEW)
            .filter(nation_id=OuterRef("pk"), as_of__lte=OuterRef("_snapshot_as_of")))
    today = CurrentStock.objects.restrict(scope, VIEW).filter(nation_id=OuterRef("pk"))
    nations = Nation.objects.annotate(**fields).annotate(last_report=Case(
        When(_snapshot_as_of__lt=timezone.localdate(),
             then=Subquery(past.order_by("-as_of", "-id").values("as_of")[:1])),
        default=Subquery(today.order_by("-as_of", "-id").values("as_of")[:1]))).in_bulk()
    first = next(iter(nations.values()), None)
    if first is None:  # no nation to carry the snapshot
        return Snapshot.objects.restrict(scope, VIEW).filter(pk=pk).first(), nations
    if first._snapshot_pk is None:
        return None, nations
    found = Snapshot(**{name: getattr(first, f"_snapshot_{name}") for name in _SNAPSHOT_FIELDS})
    found._state.adding, found._state.db = False, "default"
    return found, nations


def latest_report_on(*, actor, as_of: dt.date) -> dt.date | None:
    """The latest stock report on or before ``as_of`` among the nations the user may see. One query."""
    return max(last_report_by_nation(actor=actor, as_of=as_of).values(), default=None)


def reports_stale_on(*, last_report: dt.date | None, on: dt.date) -> bool:
    """The reporting was stale on ``on``: no report by then, or the latest older than
    ``settings.REPORTING_STALE_AFTER_DAYS``."""
    return last_report is None or last_report < stale_limit(today=on)


def _counts_as_of(scope: Scope, as_of: dt.date) -> dict[int, dict]:
    """Expected and reported items per nation on a past date: from the shortfall pairs as they stood
    then (the engine's inputs as of that date), by the same rule as the stored rows."""
    return _counts_of(((row.nation.pk, row.item.pk), row.result) for row in shortfalls_as_of(actor=scope, as_of=as_of))


def _counts_of(pairs) -> dict[int, dict]:
    """Expected (guideline above 0) and reported (with a stock report) items per nation of (pair, result)s."""
    counts: dict[int, dict] = {}
    for (nation_id, _item_id), result in pairs:
        if result.guideline is not None and result.guideline > 0:
            entry = counts.setdefault(nation_id, {"expected": 0, "reported": 0})
            entry["expected"] += 1
            entry["reported"] += result.on_hand is not None
    return counts


def reporting_by_nation(*, actor, today: dt.date | None = None, as_of: dt.date | None = None,
                        stored: StoredFigures | None = None, nations: Mapping[int, Nation] | None = None,
                        summary: StoredSummary | None = None) -> list[NationReporting]:
    """One row per nation the user may see (its own for an officer; every ally, and every nation with a
    report or an expectation, for the cell), stale ones first. Three queries; none when the caller passes
    what it has read once for the request for the same reader and date: ``stored`` (``stored_figures``) or
    for the cell ``summary`` (``stored_summary``: the items expected and reported per nation, summed by the database)
    and ``nations`` (``nations_with_last_report``).

    For a past ``as_of``: the latest report on or before it, days and staleness counted to it, and the
    items expected and reported then (``shortfalls_as_of``: the engine's inputs as of that date).
    """
    scope = actor if isinstance(actor, Scope) else scope_for(actor)
    if scope.is_nobody:
        return []
    today = as_of or today or timezone.localdate()
    expected_q = Q(guideline__gt=0)
    from_summary = summary is not None and scope.is_cell
    if (stored is not None or from_summary) and nations is not None:
        counts = summary.reporting if from_summary else _counts_of(stored.visible(scope).items())
        last = {pk: n.last_report for pk, n in nations.items() if n.last_report is not None}
        shown = [n for n in nations.values() if scope.is_cell or n.pk == scope.nation_id]
        if scope.is_cell:
            shown = [n for n in shown if n.role == Nation.Role.ALLY or n.pk in counts or n.pk in last]
        return _reporting_rows([(n.pk, n.code, n.name, n.name_fr) for n in shown], counts, last, today=today,
                               as_of=as_of)
    if as_of is not None:
        counts = _counts_as_of(scope, as_of)
        last = last_report_by_nation(actor=scope, as_of=as_of)
    else:
        counts = {
            row["nation_id"]: row
            for row in Shortfall.objects.restrict(scope, VIEW).order_by().values("nation_id").annotate(
                expected=Count("pk", filter=expected_q),
                reported=Count("pk", filter=expected_q & Q(on_hand__isnull=False)),
            )
        }
        last = dict(CurrentStock.objects.restrict(scope, VIEW).order_by().values("nation_id")
                    .annotate(last=Max("as_of")).values_list("nation_id", "last"))
    nations = Nation.objects.restrict(scope, VIEW).order_by("code")
    if scope.is_cell:
        nations = nations.filter(Q(role=Nation.Role.ALLY) | Q(pk__in=set(counts) | set(last)))
    else:
        nations = nations.filter(pk=scope.nation_id)
    return _reporting_rows(nations.values_list("pk", "code", "name", "name_fr"), counts, last, today=today, as_of=as_of)


def _reporting_rows(nations, counts: dict[int, dict], last: dict[int, dt.date], *, today: dt.date,
                    as_of: dt.date | None) -> list[NationReporting]:
    rows = []
    for nation_id, code, name, name_fr in nations:
        expected = counts.get(nation_id, {}).get("expected", 0)
        reported = counts.get(nation_id, {}).get("reported", 0)
        last_report = last.get(nation_id)
        stale = is_stale(last_report=last_report, expected=expected, today=today)
        rows.append(NationReporting(nation_id=nation_id, nation_code=code, nation_name=name, nation_name_fr=name_fr,
                                    last_report=last_report,
                                    items_expected=expected, items_reported=reported, stale=stale, on=as_of))
    rows.sort(key=lambda r: (not r.stale, -r.items_missing, r.nation_code))
    return rows
