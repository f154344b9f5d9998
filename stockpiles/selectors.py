"""Reads for stock levels and shortfalls. Every function runs a fixed number of queries.

Per-nation figures go through ``restrict(actor, "view")`` (own nation, or everything for
the cell). Alliance aggregates (``alliance_rollup``) are open to every authenticated nation: they
never show one nation's figures. The numbers come from ``stockpiles.shortfalls`` only.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Abs, Cast
from django.utils import timezone

from coordination import disclosure
from coordination.access import VIEW, Scope, can_see_nation_detail, scope_for
from coordination.dates import end_of_day
from coordination.models import Category, Item, Nation
from coordination.names import CategoryLabel, ItemLabel, localized, sort_key
from pledges.selectors import unseen_owed_by_pair, unseen_owed_pledges
from stockpiles import shortfalls
from stockpiles.engine import inflows_by_pair, latest_report_subquery, shortfalls_compute
from stockpiles.models import Alert, Shortfall, ShortfallMark, ShortfallRun, ShortfallVersion, SnapshotRow, StockReport
from stockpiles.procurement import NationShortfalls

Pair = tuple[int, int]

_RESULT_FIELDS = (
    "as_of", "status", "on_hand", "guideline", "owed", "available", "shortfall", "coverage", "rate",
    "months_to_recover", "not_recovering", "contracted_inflow", "recovers_on",
)


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


def _today() -> dt.date:
    return timezone.localdate()


def _is_past(as_of: dt.date | None) -> bool:
    return as_of is not None and as_of < _today()


def result_of(row: Shortfall | dict) -> shortfalls.ShortfallResult:
    """A stored Shortfall row (model or ``values()`` dict) as the engine's result dataclass."""
    get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
    return shortfalls.ShortfallResult(**{name: get(name) for name in _RESULT_FIELDS})


def _results(*, scope: Scope | None, as_of: dt.date | None, item_ids: Iterable[int] | None = None,
             nation_ids: Iterable[int] | None = None, snapshot_id: int | None = None
             ) -> dict[Pair, shortfalls.ShortfallResult]:
    """Stored results: today's Shortfall rows, for a past date the versions of the history valid then
    (``ShortfallVersion``, docs/history.md), or a frozen snapshot's rows (``snapshot_id``; ``as_of`` is then
    the snapshot's date). ``scope`` None: no access filter (for aggregates only). One query either way."""
    item_ids = None if item_ids is None else set(item_ids)
    nation_ids = None if nation_ids is None else set(nation_ids)
    if snapshot_id is not None or _is_past(as_of):
        if snapshot_id is not None:
            qs = SnapshotRow.objects.all() if scope is None else SnapshotRow.objects.restrict(scope, VIEW)
            qs = qs.filter(snapshot_id=snapshot_id).order_by()
        else:
            qs = versions_valid_on(as_of, scope=scope)
        if item_ids is not None:
            qs = qs.filter(item_id__in=item_ids)
        if nation_ids is not None:
            qs = qs.filter(nation_id__in=nation_ids)
        return {
            (n, i): shortfalls.result_from_figures(figures, as_of or _today())
            for n, i, *figures in qs.values_list("nation_id", "item_id", *shortfalls.VERSION_FIGURES)
        }
    qs = Shortfall.objects.all() if scope is None else Shortfall.objects.restrict(scope, VIEW)
    if item_ids is not None:
        qs = qs.filter(item_id__in=item_ids)
    if nation_ids is not None:
        qs = qs.filter(nation_id__in=nation_ids)
    return {
        (row["nation_id"], row["item_id"]): result_of(row)
        for row in qs.order_by().values("nation_id", "item_id", *_RESULT_FIELDS)
    }


def versions_valid_on(day: dt.date, *, scope: Scope | None) -> QuerySet[ShortfallVersion]:
    """The history's versions valid on ``day`` (one per pair that had a row then), restricted to ``scope``
    (None: every pair, for aggregates only)."""
    qs = ShortfallVersion.objects.all() if scope is None else ShortfallVersion.objects.restrict(scope, VIEW)
    return qs.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day)).order_by()


def _last_full_run() -> Subquery:
    """When the last full recompute ended (it rewrites only the rows that changed): an uncorrelated subquery."""
    return Subquery(ShortfallRun.objects.order_by().values("finished_at")[:1])


def _marks_pending_too_long(now: dt.datetime | None = None) -> QuerySet[ShortfallMark]:
    """The marks of writes whose recompute has waited longer than ``settings.SHORTFALL_PENDING_STALE_AFTER``."""
    return ShortfallMark.objects.filter(marked_at__lt=(now or timezone.now()) - settings.SHORTFALL_PENDING_STALE_AFTER)


class Freshness:
    """``stale`` for a read that brought ``last_computed`` and ``pending_too_long`` (``StoredFigures``,
    ``StoredSummary``, ``ReaderFigures``)."""

    last_computed: dt.datetime | None
    pending_too_long: bool

    @property
    def stale(self) -> bool:
        """Today's figures are stale (``shortfalls_are_stale``'s rule, on what this read brought)."""
        if self.last_computed is None:
            return True
        return shortfalls_are_stale(last_computed=self.last_computed, pending_too_long=self.pending_too_long)


@dataclass(frozen=True)
class StoredItem:
    """An item as the stored figures' read brings it (joined): what the pages' tables name and value."""

    name: str
    unit: str
    category_id: int
    category_name: str
    unit_value_eur: Decimal | None
    name_fr: str = ""
    category_name_fr: str = ""


_ITEM_FIELDS = ("item__name", "item__unit", "item__category_id", "item__category__name", "item__unit_value_eur",
                "item__name_fr", "item__category__name_fr")  # a StoredItem's, in its order, joined to a pair's row


def nation_shortfall_totals(*, as_of: dt.date | None = None, item_ids: Iterable[int] | None = None
                            ) -> tuple[dict[int, NationShortfalls], dict[int, StoredItem]]:
    """Per item, its nations' stored shortfalls summed by the database (``procurement.NationShortfalls``: Σ
    shortfall, nations with one): today's rows, or the history's versions valid on a past ``as_of``; and the
    items (every item, or those of ``item_ids``) with their names, as ``stored_items`` reads them. Every
    nation's, unrestricted: the cell's demand (a nation's needs each position, ``coordination.disclosure``).
    One statement: the sums over the rows alone and the items' names apart (``UNION ALL``, as
    ``reader_figures``); a thousand rows where ``stored_figures`` brings every pair."""
    qs = _stored_rows(as_of=as_of, snapshot_id=None)
    items = Item.objects.order_by()
    if item_ids is not None:
        qs, items = qs.filter(item_id__in=set(item_ids)), items.filter(pk__in=set(item_ids))
    columns = [f.removeprefix("item__") for f in _ITEM_FIELDS]
    text = {name: Cast(Value(None), output_field=CharField()) for name in columns}
    text.update(category_id=Cast(Value(None), output_field=IntegerField()),
                unit_value_eur=Cast(Value(None), output_field=Item._meta.get_field("unit_value_eur")))
    sums = qs.values(g_item=F("item_id")).annotate(
        g_total=Sum("shortfall"), g_short=Count("pk", filter=Q(shortfall__gt=0)),
        **{f"g_{name}": text[name] for name in columns})
    names = items.values(g_item=F("pk"), g_total=Value(None, output_field=BigIntegerField()),
                         g_short=Value(None, output_field=BigIntegerField()),
                         **{f"g_{name}": F(name) for name in columns})
    totals: dict[int, NationShortfalls] = {}
    found: dict[int, StoredItem] = {}
    for item_id, total, short, *names_of in sums.union(names, all=True).values_list(
            "g_item", "g_total", "g_short", *(f"g_{name}" for name in columns)):
        if short is None:  # the items' branch
            found[item_id] = StoredItem(*names_of)
        else:
            totals[item_id] = NationShortfalls(int(total or 0), short)
    return totals, found


def stored_items(item_ids: Iterable[int]) -> dict[int, StoredItem]:
    """The items of ``item_ids`` by id, read as ``stored_figures`` joins them (``StoredItem``): for the items a
    page shows without a stored row. One query (none without ids)."""
    ids = set(item_ids)
    if not ids:
        return {}
    columns = [f.removeprefix("item__") for f in _ITEM_FIELDS]
    return {pk: StoredItem(*row)
            for pk, *row in Item.objects.filter(pk__in=ids).order_by().values_list("pk", *columns)}


@dataclass(frozen=True)
class StoredFigures(Freshness):
    """Every pair's figures on one date, read once per request: today's Shortfall rows, the history's versions
    valid on a past date (docs/history.md), or a frozen snapshot's rows; with their items (name, unit,
    category, unit value) joined, and for today when the engine last wrote and whether a recompute is
    pending too long (``shortfalls_are_stale``). Unrestricted: the alliance aggregates read every pair
    (through ``coordination.disclosure``); a reader's own rows come out through ``visible`` (the access rule
    of ``coordination.access``). One query (``stored_figures``)."""

    as_of: dt.date | None
    snapshot_id: int | None
    results: dict[Pair, shortfalls.ShortfallResult]
    items: dict[int, StoredItem]
    last_computed: dt.datetime | None = None
    pending_too_long: bool = False

    def visible(self, scope: Scope) -> dict[Pair, shortfalls.ShortfallResult]:
        """The pairs ``scope`` may see (own nation, or every pair for the cell)."""
        if scope.is_nobody:
            return {}
        return {pair: r for pair, r in self.results.items() if can_see_nation_detail(scope, pair[0])}


def stored_figures(*, as_of: dt.date | None = None, snapshot_id: int | None = None,
                   item_ids: Iterable[int] | None = None, nation_ids: Iterable[int] | None = None) -> StoredFigures:
    """Every pair's stored figures for today, a past ``as_of`` or a frozen snapshot (see ``StoredFigures``),
    for aggregates and, through ``StoredFigures.visible``, a reader's own rows; only those of ``item_ids`` or
    ``nation_ids`` when given (then without the staleness answers). One query."""
    item_fields = dict.fromkeys(_ITEM_FIELDS)
    items: dict[int, StoredItem] = {}

    def item_of(item_id: int, row) -> None:
        if item_id not in items:
            items[item_id] = StoredItem(*row)

    results: dict[Pair, shortfalls.ShortfallResult] = {}
    last = None
    pending = False
    if snapshot_id is not None or _is_past(as_of):
        if snapshot_id is not None:
            qs = SnapshotRow.objects.filter(snapshot_id=snapshot_id).order_by()
        else:
            qs = versions_valid_on(as_of, scope=None)
        if item_ids is not None:
            qs = qs.filter(item_id__in=set(item_ids))
        if nation_ids is not None:
            qs = qs.filter(nation_id__in=set(nation_ids))
        n_fig = len(shortfalls.VERSION_FIGURES)
        for n, i, *rest in qs.values_list("nation_id", "item_id", *shortfalls.VERSION_FIGURES, *item_fields):
            results[(n, i)] = shortfalls.result_from_figures(rest[:n_fig], as_of or _today())
            item_of(i, rest[n_fig:])
    else:
        now = timezone.now()
        qs = Shortfall.objects.order_by()
        if item_ids is not None:
            qs = qs.filter(item_id__in=set(item_ids))
        if nation_ids is not None:
            qs = qs.filter(nation_id__in=set(nation_ids))
        whole = item_ids is None and nation_ids is None
        if whole:  # the staleness banner's second question, answered in the same statement (evaluated once)
            qs = qs.annotate(_pending=Exists(_marks_pending_too_long(now)))
        extra = ("_pending",) if whole else ()
        # when the engine last wrote a row, and the end of the last full recompute (which rewrites only the rows
        # that changed; ``shortfalls_last_computed``): uncorrelated subqueries, evaluated once and returned on
        # the first row only (a timestamp on each of 48 k rows cost more to read than everything else)
        first = Q(pk=Subquery(qs.order_by("pk").values("pk")[:1]))
        moments = {
            "_last": Subquery(qs.order_by("-computed_at").values("computed_at")[:1]),
            "_run": _last_full_run(),
        }
        qs = qs.annotate(**{name: Case(When(first, then=moment), default=None, output_field=DateTimeField())
                            for name, moment in moments.items()})
        for row in qs.values("nation_id", "item_id", *_RESULT_FIELDS, *moments, *item_fields, *extra):
            results[(row["nation_id"], row["item_id"])] = result_of(row)
            item_of(row["item_id"], [row[f] for f in _ITEM_FIELDS])
            for moment in (row["_last"], row["_run"]):
                if moment is not None and (last is None or moment > last):
                    last = moment
            pending = pending or bool(row.get("_pending"))
    return StoredFigures(as_of=as_of if _is_past(as_of) or snapshot_id is not None else None,
                         snapshot_id=snapshot_id, results=results, items=items, last_computed=last,
                         pending_too_long=pending)


def _stored_rows(*, as_of: dt.date | None, snapshot_id: int | None) -> QuerySet:
    """Every pair's stored row for the date, unrestricted (aggregates only): a frozen snapshot's rows, the
    history's versions valid on a past date, or today's Shortfall rows."""
    if snapshot_id is not None:
        return SnapshotRow.objects.filter(snapshot_id=snapshot_id).order_by()
    if _is_past(as_of):
        return versions_valid_on(as_of, scope=None)
    return Shortfall.objects.order_by()


@dataclass(frozen=True)
class ReaderFigures(Freshness):
    """What a nation's overview and briefing need of one date's stored figures (today's rows, a past date's
    versions, a snapshot's rows), read by ``reader_figures`` for that nation: per item the few aggregates over
    its nations that the roll-up is disclosed on (``stats``: ``disclosure.RollupStats`` for this reader and the
    count per status), and the reader's own pairs in full (``results``). Takes the place of ``StoredFigures``
    where a nation's pages read only the roll-up and their own rows (``visible``, ``items``, ``stale``);
    ``alliance_rollup(stored=...)`` reads it."""

    nation_id: int
    as_of: dt.date | None
    snapshot_id: int | None
    results: dict[Pair, shortfalls.ShortfallResult]
    items: dict[int, StoredItem]
    stats: dict[int, tuple[disclosure.RollupStats, dict[str, int]]]
    last_computed: dt.datetime | None = None
    pending_too_long: bool = False

    def visible(self, scope: Scope) -> dict[Pair, shortfalls.ShortfallResult]:
        """The reader's own pairs (the only scope this read serves)."""
        if scope.is_cell or scope.nation_id != self.nation_id:
            raise ValueError("ReaderFigures serves the nation it was read for only")
        return dict(self.results)


def reader_figures(*, actor, as_of: dt.date | None = None, snapshot_id: int | None = None) -> ReaderFigures:
    """``ReaderFigures`` of a nation (``actor``) for today, a past ``as_of`` or a frozen snapshot. Two queries,
    as ``stored_figures`` and the roll-up's pledges: what the pledges it may not see take out of each other
    donor's owed (``unseen_owed_by_pair``, rule c), then one statement: per item and status the aggregates of
    ``disclosure.RollupStats`` (Count/Sum/Max/Min with a filter: the reader's own apart from the others') over
    the rows of the pairs without such pledges, and by UNION ALL in full the rows of the pairs with them
    (``Exists`` over the same pledges: a few thousand) and of the reader, with the items' names; for today,
    when the engine last wrote and whether a recompute is pending too long. The pairs with such pledges are
    computed without them (``shortfalls.without_owed``, as ``nation_positions`` does) and added to their
    item's aggregates: the roll-up is the one the per-pair path gives (tests/stockpiles/test_reader_figures.py)."""
    scope = _scope(actor)
    if scope.is_cell or scope.nation_id is None:
        raise ValueError("reader_figures reads for one nation")
    me = scope.nation_id
    today = snapshot_id is None and not _is_past(as_of)
    day = None if today else as_of  # the date ``nation_positions`` reads the pledges on (``StoredFigures.as_of``)
    unseen = unseen_owed_by_pair(actor=scope, as_of=day)
    hidden_in = Exists(unseen_owed_pledges(actor=scope, as_of=day).filter(
        donor_id=OuterRef("nation_id"), item_id=OuterRef("item_id")))
    qs = _stored_rows(as_of=as_of, snapshot_id=snapshot_id)

    def null(field):
        return Cast(Value(None), output_field=field)

    no_fresh = {"last": null(DateTimeField()), "run": null(DateTimeField()), "pending": Value(0)}
    item_names = {"name": F("item__name"), "unit": F("item__unit"), "unit_value_eur": F("item__unit_value_eur"),
                  "name_fr": F("item__name_fr"), "category_name": F("item__category__name"),
                  "category_name_fr": F("item__category__name_fr"), "category_id": F("item__category_id")}
    surplus = F("available") - F("guideline")
    limit = F("guideline") + Case(When(owed__gt=0, then=F("owed")), default=Value(0))  # NationPosition.limit
    mine, others = Q(nation_id=me), ~Q(nation_id=me)
    short = others & ~Q(shortfall=0)  # the other nations contributing to the shortfall figure
    compared = Q(status__in=shortfalls.COUNTED)
    positive = compared & Q(available__gt=F("guideline"))  # a compared nation's surplus above 0
    big = BigIntegerField()
    stats = {
        "n": Count("pk"), "total": Sum("shortfall"), "below": Count("pk", filter=Q(shortfall__gt=0)),
        "net": Sum(surplus, filter=compared),
        "s_k": Count("pk", filter=short), "s_total": Sum(Abs("shortfall"), filter=short),
        "s_largest": Max(Abs("shortfall"), filter=short), "s_own": Sum(Abs("shortfall"), filter=mine),
        "s_unknown": Count("pk", filter=short & Q(guideline__isnull=True)),
        "s_cap_sum": Sum(limit, filter=short, output_field=big),
        "s_cap_min": Min(limit, filter=short, output_field=big),
        "s_cap_max": Max(limit, filter=short, output_field=big),
        "u_k": Count("pk", filter=positive & others), "u_total": Sum(surplus, filter=positive & others),
        "u_largest": Max(surplus, filter=positive & others), "u_own": Sum(surplus, filter=positive & mine),
        "not_short": Count("pk", filter=compared & others & Q(shortfall=0)),
    }
    row_figures = {f"f_{name}": F(name) for name in _ROW_FIGURES}
    row_figures.update({"f_as_of": F("as_of") if today else null(DateField()),
                        "f_recovers_on": F("recovers_on") if today else null(DateField())})
    no_stats = {name: null(big) for name in stats}
    no_figures = {name: null(_ROW_FIGURE_TYPES.get(name, big)) for name in row_figures}
    # the branches' columns in the same order (a UNION matches them by position)
    columns = ("kind", "g_item", "g_nation", "g_status", *item_names, *stats, *no_fresh, "f_shortfall",
               "f_hidden", *row_figures)
    no_names = {"name": null(CharField()), "unit": null(CharField()),
                "unit_value_eur": null(Item._meta.get_field("unit_value_eur")),
                "name_fr": null(CharField()), "category_name": null(CharField()),
                "category_name_fr": null(CharField()), "category_id": null(IntegerField())}
    # the sums over the rows alone, the items' names apart (``kind`` "n", every item: a thousand rows; the columns
    # are matched by position, the names prefixed as a model's fields cannot be annotated over): joined to
    # the rows before summing, PostgreSQL's estimate of the anti-join (one row) made it loop over the items for
    # each of ~46 k rows (2.1 s as of a date at full size)
    branch_stats = qs.filter(~hidden_in).values(
        kind=Value("s"), g_item=F("item_id"), g_nation=null(IntegerField()), g_status=F("status"),
    ).annotate(**no_names, **stats, **no_fresh, f_shortfall=null(big), f_hidden=Value(0), **no_figures)
    branch_names = Item.objects.order_by().values(
        kind=Value("n"), g_item=F("pk"), g_nation=null(IntegerField()), g_status=null(CharField()),
        **{f"n_{k}": F(v.name.removeprefix("item__")) for k, v in item_names.items()}, **no_stats, **no_fresh,
        f_shortfall=null(big), f_hidden=Value(0), **no_figures)
    # the reader's rows, and apart the rows of the pairs with pledges hidden from it (a semi-join; an OR of the
    # two, or a marker computed per row, made PostgreSQL expect a costly plan and compile it: JIT, ~0.7 s)
    branch_own, branch_hidden = (rows.values(
        kind=Value("p"), g_item=F("item_id"), g_nation=F("nation_id"), g_status=F("status"), **item_names,
        **no_stats, **no_fresh, f_shortfall=F("shortfall"), f_hidden=Value(flag), **row_figures)
        for rows, flag in ((qs.filter(mine), 0), (qs.filter(hidden_in), 1)))
    parts = [branch_own, branch_hidden, branch_names]
    if today:  # when the engine last wrote a row, the last full recompute, a recompute pending too long: on one row
        # (uncorrelated subqueries, evaluated once; ``stored_figures``' answers), not a timestamp on each row
        fresh = {"last": Subquery(qs.order_by("-computed_at").values("computed_at")[:1]),
                 "run": _last_full_run(),
                 "pending": Case(When(Exists(_marks_pending_too_long()), then=Value(1)),
                     default=Value(0))}
        parts.append(qs.filter(pk=Subquery(qs.order_by("pk").values("pk")[:1])).values(
            kind=Value("f"), g_item=F("item_id"), g_nation=null(IntegerField()), g_status=F("status"),
            **item_names, **no_stats, **fresh, f_shortfall=null(big), f_hidden=Value(0), **no_figures))
    groups: dict[int, list[dict]] = defaultdict(list)
    results: dict[Pair, shortfalls.ShortfallResult] = {}
    seen: set[int] = set()  # the items with rows (their names come on the "n" rows)
    names: dict[int, dict] = {}
    last = None
    pending_long = False
    for values in _fetched(branch_stats.union(*parts, all=True).values_list(*columns)):
        row = dict(zip(columns, values, strict=True))
        if row["kind"] == "n":
            names[row["g_item"]] = row
            continue
        if row["kind"] == "f":
            for moment in (row["last"], row["run"]):
                if moment is not None and (last is None or moment > last):
                    last = moment
            pending_long = bool(row["pending"])
            continue
        item_id = row["g_item"]
        seen.add(item_id)
        if row["kind"] == "p":
            figures = {name: row[f"f_{name}"] for name in _ROW_FIGURES}
            figures.update(status=row["g_status"], shortfall=row["f_shortfall"])
            pair = (row["g_nation"], item_id)
            result = (result_of({**figures, "as_of": row["f_as_of"], "recovers_on": row["f_recovers_on"]}) if today
                      else shortfalls.result_from_figures(tuple(figures[f] for f in shortfalls.VERSION_FIGURES),
                                                          as_of or _today()))
            if pair[0] == me:
                results[pair] = result
            if row["f_hidden"]:  # not in the sums: the pair as this reader computes it, added to its item's
                position = _position(shortfalls.without_owed(result, unseen.get(pair, 0)))
                groups[item_id].append(_group_of(position, mine=pair[0] == me))
        else:
            groups[item_id].append(row)
    items = {}  # what ``stored_items`` gives, read in the same statement (a query more would pass ten on a page)
    for item_id in seen:
        n = names[item_id]
        items[item_id] = StoredItem(name=n["name"], unit=n["unit"], category_id=n["category_id"],
                                    category_name=n["category_name"], unit_value_eur=n["unit_value_eur"],
                                    name_fr=n["name_fr"] or "", category_name_fr=n["category_name_fr"] or "")
    return ReaderFigures(
        nation_id=me, as_of=None if today else as_of, snapshot_id=snapshot_id, results=results, items=items,
        stats={i: _rollup_stats(g) for i, g in groups.items()}, last_computed=last, pending_too_long=pending_long)


def _fetched(rows: QuerySet) -> Iterable[tuple]:
    """A ``values_list`` query's rows; on PostgreSQL straight from the cursor, without Django's per-column
    converters: psycopg already gives these columns' Python types, except that a sum of whole numbers comes as a
    ``Decimal`` where Django gives an ``int``, so a caller converts its sums (``reader_figures``' do, with
    ``int``). The converters (an ``int()`` per whole-number column and row) cost about as much as the database
    on a nation's overview at full size (7.7 k rows of 45 columns)."""
    if connection.vendor != "postgresql":
        return rows
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:
        return []
    return _sql_rows(sql, params)


def _sql_rows(sql: str, params) -> list[tuple]:
    """The rows of one statement this module wrote itself (or took from the ORM), as the cursor gives them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _group_of(p: NationPosition, *, mine: bool) -> dict:
    """One nation's position as the aggregates ``reader_figures`` sums per item and status (the same filters)."""
    compared = p.status in shortfalls.COUNTED
    short = not mine and p.shortfall != 0
    positive = compared and p.surplus is not None and p.surplus > 0
    cap = p.limit if short else None
    return {
        "g_status": p.status, "n": 1, "total": p.shortfall, "below": int(p.shortfall > 0),
        "net": p.surplus if compared else None,
        "s_k": int(short), "s_total": abs(p.shortfall) if short else None,
        "s_largest": abs(p.shortfall) if short else None, "s_own": abs(p.shortfall) if mine else None,
        "s_unknown": int(short and p.limit is None), "s_cap_sum": cap, "s_cap_min": cap, "s_cap_max": cap,
        "u_k": int(positive and not mine), "u_total": p.surplus if positive and not mine else None,
        "u_largest": p.surplus if positive and not mine else None, "u_own": p.surplus if positive and mine else None,
        "not_short": int(compared and not mine and p.shortfall == 0),
    }


def _rollup_stats(groups: list[dict]) -> tuple[disclosure.RollupStats, dict[str, int]]:
    """One item's ``disclosure.RollupStats`` and count per status from its rows' aggregates (per status, and
    per pair for the pairs with pledges hidden from the reader): counts and sums add up, extremes compare."""

    def whole(name: str) -> int:
        return sum(int(g[name] or 0) for g in groups)

    def extreme(name: str, pick):
        found = [int(g[name]) for g in groups if g[name] is not None]
        return pick(found) if found else None

    s_k, u_k = whole("s_k"), whole("u_k")
    caps_known = whole("s_unknown") == 0
    shortfall = disclosure.Contributors(
        k=s_k, total=whole("s_total"), largest=extreme("s_largest", max) or 0, own=whole("s_own"),
        caps_known=caps_known, cap_sum=whole("s_cap_sum") if caps_known else 0,
        cap_min=extreme("s_cap_min", min) if caps_known else None,
        cap_max=extreme("s_cap_max", max) if caps_known else None)
    # a surplus has no known ceiling (``NationPosition.surplus_limit`` is None): caps known only with k = 0
    surplus = disclosure.Contributors(k=u_k, total=whole("u_total"), largest=extreme("u_largest", max) or 0,
                                      own=whole("u_own"), caps_known=u_k == 0)
    statuses: dict[str, int] = {}
    for g in groups:
        statuses[g["g_status"]] = statuses.get(g["g_status"], 0) + int(g["n"])
    stats = disclosure.RollupStats(
        total=whole("total"), below=whole("below"),
        counted=sum(n for status, n in statuses.items() if status in shortfalls.COUNTED),
        net=whole("net"), surpluses=whole("u_total") + whole("u_own"), shortfall=shortfall, surplus=surplus,
        others_not_short=whole("not_short") > 0)
    return stats, statuses


_EXPECTED = Q(guideline__gt=0)  # a nation is expected to report an item a guideline above 0 applies to
_SUMMARY_NAMES = ("name", "unit", "unit_value_eur", "name_fr", "category_name", "category_name_fr")


@dataclass(frozen=True)
class StoredSummary(Freshness):
    """The stored figures of one date (today's rows, a past date's versions, a snapshot's rows) summed by the
    database, for the pages over the whole alliance read by the cell: per item and status (the roll-up, by
    ``shortfalls.rollup_of_totals``), per nation, category and status (the heat map, by
    ``shortfalls.coverage_of_totals``), the items expected and reported per nation (reporting), and today's
    freshness answers; a few thousand rows whatever the alliance's size, where ``StoredFigures`` brings every
    pair. Exact and unrestricted: the cell's (a nation's aggregates need each nation's figure to be disclosed,
    ``coordination.disclosure``: ``StoredFigures``). One query (``stored_summary``)."""

    as_of: dt.date | None
    snapshot_id: int | None
    by_item: dict[int, list[shortfalls.StatusTotals]]
    items: dict[int, StoredItem]
    by_nation_category: dict[Pair, list[shortfalls.StatusTotals]]
    category_names: dict[int, tuple[str, str]]
    reporting: dict[int, dict]  # nation id -> {"expected": n, "reported": n}
    largest: list = field(default_factory=list)  # ((nation, item), StoredItem, result): ``stored_summary(largest=)``
    last_computed: dt.datetime | None = None
    pending_too_long: bool = False


def stored_summary(*, as_of: dt.date | None = None, snapshot_id: int | None = None, largest: int = 0
                   ) -> StoredSummary:
    """``StoredSummary`` for today, a past ``as_of`` or a frozen snapshot, in one statement: two groupings of the
    same rows (per item and status, with the item's names; per nation, category and status, with the
    category's names and the reporting counts) and, with ``largest``, the ``largest`` rows below guideline
    (``StoredSummary.largest``), joined by UNION ALL; and for today when the engine last wrote and whether a
    recompute is pending too long. Sums, counts and minima only: the rules are applied by ``shortfalls`` on
    the totals."""
    today = snapshot_id is None and not _is_past(as_of)
    qs = _stored_rows(as_of=as_of, snapshot_id=snapshot_id)

    def null(field):
        return Cast(Value(None), output_field=field)

    if today:
        now = timezone.now()
        freshness = {
            "last": Max("computed_at"),
            "run": Max(_last_full_run()),
            "pending": Max(Case(When(Exists(_marks_pending_too_long(now)), then=Value(1)), default=Value(0))),
        }
    else:
        freshness = {"last": null(DateTimeField()), "run": null(DateTimeField()), "pending": Value(0)}
    sums = {"n": Count("pk"), "total": Sum("shortfall"), "surplus": Sum(F("available") - F("guideline")),
            "low": Min("coverage"), "expected": Count("pk", filter=_EXPECTED),
            "reported": Count("pk", filter=_EXPECTED & Q(on_hand__isnull=False)), **freshness}
    # the freshness answers once (per nation and category: a few hundred rows), not on every item's row too
    item_sums = {**sums, "last": null(DateTimeField()), "run": null(DateTimeField()), "pending": Value(0)}
    # a row's own figures (the largest rows' branch; NULL in the sums' branches)
    row_figures = {f"f_{name}": F(name) for name in _ROW_FIGURES}
    row_figures.update({"f_as_of": F("as_of") if today else null(DateField()),
                        "f_recovers_on": F("recovers_on") if today else null(DateField())})
    no_figures = {name: null(_ROW_FIGURE_TYPES.get(name, BigIntegerField())) for name in row_figures}
    item_names = {"name": F("item__name"), "unit": F("item__unit"), "unit_value_eur": F("item__unit_value_eur"),
                  "name_fr": F("item__name_fr"), "category_name": F("item__category__name"),
                  "category_name_fr": F("item__category__name_fr")}
    # grouped by ids only (narrow keys: the database sums in memory); the names ride along as Max()
    by_item = qs.values(
        kind=Value("i"), g_item=F("item_id"), g_nation=null(IntegerField()), g_status=F("status"),
    ).annotate(g_category=Max("item__category_id"), **{k: Max(v) for k, v in item_names.items()}, **item_sums,
               **no_figures)
    by_nation_category = qs.values(
        kind=Value("n"), g_item=null(IntegerField()), g_nation=F("nation_id"), g_status=F("status"),
        g_category=F("item__category_id"),
    ).annotate(
        name=null(CharField()), unit=null(CharField()),
        unit_value_eur=null(DecimalField(max_digits=14, decimal_places=2)), name_fr=null(CharField()),
        category_name=Max("item__category__name"), category_name_fr=Max("item__category__name_fr"), **sums,
        **no_figures)
    parts = [by_item, by_nation_category]
    if largest:  # the worst rows below guideline, picked by the database (ordered again below: by nation code)
        worst = (qs.filter(status=shortfalls.BELOW_GUIDELINE).order_by("-shortfall", "nation__code", "item__name")
                 .values("pk")[:largest])
        parts.append(qs.filter(pk__in=Subquery(worst)).values(
            kind=Value("r"), g_item=F("item_id"), g_nation=F("nation_id"), g_status=F("status"),
            g_category=F("item__category_id"), **item_names, n=Value(1), total=F("shortfall"),
            surplus=F("available") - F("guideline"), low=F("coverage"), expected=Value(0), reported=Value(0),
            last=null(DateTimeField()), run=null(DateTimeField()), pending=Value(0), **row_figures))
    columns = ("kind", "g_item", "g_nation", "g_status", "g_category", *_SUMMARY_NAMES, *sums, *row_figures)
    if connection.vendor == "postgresql" and GROUPING_SETS:
        statement = _summary_grouping_sets(qs, today=today, columns=columns, rest=parts[2:])
    else:
        statement = parts[0].union(*parts[1:], all=True).values_list(*columns)
    items_of: dict[int, list[shortfalls.StatusTotals]] = defaultdict(list)
    cells: dict[Pair, list[shortfalls.StatusTotals]] = defaultdict(list)
    items: dict[int, StoredItem] = {}
    categories: dict[int, tuple[str, str]] = {}
    reporting: dict[int, dict] = {}
    rows_below: list[tuple[Pair, StoredItem, shortfalls.ShortfallResult]] = []
    last = None
    pending = False
    for values in statement:
        row = dict(zip(columns, values, strict=True))
        kind = row["kind"]
        for moment in (row["last"], row["run"]):
            if moment is not None and (last is None or moment > last):
                last = moment
        pending = pending or bool(row["pending"])
        if kind in ("i", "r"):
            item = StoredItem(
                name=row["name"], unit=row["unit"], category_id=row["g_category"], category_name=row["category_name"],
                unit_value_eur=row["unit_value_eur"], name_fr=row["name_fr"] or "",
                category_name_fr=row["category_name_fr"] or "")
            items.setdefault(row["g_item"], item)
        if kind == "r":
            figures = {name: row[f"f_{name}"] for name in _ROW_FIGURES}
            figures.update(status=row["g_status"], shortfall=row["total"])
            result = (result_of({**figures, "as_of": row["f_as_of"], "recovers_on": row["f_recovers_on"]}) if today
                      else shortfalls.result_from_figures(tuple(figures[f] for f in shortfalls.VERSION_FIGURES),
                                                          as_of or _today()))
            rows_below.append(((row["g_nation"], row["g_item"]), item, result))
            continue
        totals = shortfalls.StatusTotals(status=row["g_status"], count=row["n"], shortfall=int(row["total"] or 0),
                                         surplus=int(row["surplus"] or 0), min_coverage=row["low"])
        if kind == "i":
            items_of[row["g_item"]].append(totals)
        else:
            cells[(row["g_nation"], row["g_category"])].append(totals)
            categories[row["g_category"]] = (row["category_name"], row["category_name_fr"] or "")
            counts = reporting.setdefault(row["g_nation"], {"expected": 0, "reported": 0})
            counts["expected"] += row["expected"]
            counts["reported"] += row["reported"]
    return StoredSummary(as_of=None if today else as_of, snapshot_id=snapshot_id, by_item=dict(items_of),
                         items=items, by_nation_category=dict(cells), category_names=categories,
                         reporting={n: c for n, c in reporting.items() if c["expected"]},
                         largest=rows_below, last_computed=last, pending_too_long=pending)


GROUPING_SETS = True  # PostgreSQL sums both groupings in one scan (tests turn it off to compare the two paths)


def _summary_grouping_sets(qs: QuerySet, *, today: bool, columns: Sequence[str], rest: Sequence[QuerySet]):
    """``stored_summary``'s sums on PostgreSQL: one scan of the rows grouped by ``GROUPING SETS`` (per item and
    status; per nation, category and status, which bring the freshness answers too: two hash tables, no sort, the
    item's category taken with its names), the names joined to the few thousand sums afterwards, then the
    largest rows' branch (``rest``, as the ORM writes it) by ``UNION ALL``. The ORM's own path (two groupings
    of the same rows, SQLite's) reads the rows twice and carries the names through both sums: ~2x the time at
    full size. Same columns, same rows."""
    null = Cast(Value(None), output_field=DateTimeField())
    source = qs.values(
        s_item=F("item_id"), s_nation=F("nation_id"), s_status=F("status"), s_category=F("item__category_id"),
        s_shortfall=F("shortfall"), s_surplus=F("available") - F("guideline"), s_coverage=F("coverage"),
        s_expected=Case(When(_EXPECTED, then=Value(1)), default=Value(0)),
        s_reported=Case(When(_EXPECTED & Q(on_hand__isnull=False), then=Value(1)), default=Value(0)),
        s_last=F("computed_at") if today else null, s_run=_last_full_run() if today else null,
        s_pending=(Case(When(Exists(_marks_pending_too_long()), then=Value(1)), default=Value(0)) if today
                   else Value(0)))
    source_sql, params = source.query.sql_with_params()
    item, category = Item._meta.db_table, Category._meta.db_table
    figures = ", ".join(f"NULL AS {name}" for name in columns[columns.index("pending") + 1:])
    sql = f"""
        SELECT g.kind, g.g_item, g.g_nation, g.g_status, COALESCE(g.g_category, i.category_id), i.name, i.unit,
               i.unit_value_eur, i.name_fr, c.name, c.name_fr, g.n, g.total, g.surplus, g.low, g.expected,
               g.reported, g.last, g.run, g.pending, {figures}
        FROM (SELECT CASE WHEN GROUPING(s.s_item) = 0 THEN 'i' ELSE 'n' END AS kind,
                     s.s_item AS g_item, s.s_nation AS g_nation, s.s_status AS g_status, s.s_category AS g_category,
                     COUNT(*) AS n, SUM(s.s_shortfall) AS total, SUM(s.s_surplus) AS surplus, MIN(s.s_coverage) AS low,
                     SUM(s.s_expected) AS expected, SUM(s.s_reported) AS reported,
                     CASE WHEN GROUPING(s.s_item) = 1 THEN MAX(s.s_last) END AS last,
                     CASE WHEN GROUPING(s.s_item) = 1 THEN MAX(s.s_run) END AS run,
                     CASE WHEN GROUPING(s.s_item) = 1 THEN MAX(s.s_pending) ELSE 0 END AS pending
              FROM ({source_sql}) s
              GROUP BY GROUPING SETS ((s.s_item, s.s_status), (s.s_nation, s.s_category, s.s_status))
              ) g
        LEFT JOIN {item} i ON g.kind = 'i' AND i.id = g.g_item
        LEFT JOIN {category} c ON c.id = COALESCE(g.g_category, i.category_id)"""  # noqa: S608 - table names and the ORM's SQL only
    for branch in rest:
        branch_sql, branch_params = branch.values_list(*columns).query.sql_with_params()
        sql += f" UNION ALL ({branch_sql})"
        params += branch_params
    return _sql_rows(sql, params)


# a stored row's figures besides status and shortfall, and their types where not a whole number
_ROW_FIGURES = ("on_hand", "guideline", "owed", "available", "coverage", "rate", "months_to_recover",
                "not_recovering", "contracted_inflow")
_ROW_FIGURE_TYPES = {"f_coverage": FloatField(), "f_months_to_recover": IntegerField(),
                     "f_not_recovering": BooleanField(), "f_as_of": DateField(), "f_recovers_on": DateField()}


def largest_of_summary(summary: StoredSummary, nations: Mapping[int, Nation]) -> list[PastShortfall]:
    """``StoredSummary.largest`` worst first, as ``stored_shortfall_rows`` orders them (shortfall, nation code,
    item name). No query."""
    rows = sorted(summary.largest, key=lambda row: (-row[2].shortfall, nations[row[0][0]].code, row[1].name))
    return [PastShortfall(nation=nations[n], item=_item_of(i, item), result=r) for (n, i), item, r in rows]


def largest_stored_rows(*, actor, nations: Mapping[int, Nation], as_of: dt.date | None = None,
                        snapshot_id: int | None = None, limit: int | None = None) -> list[PastShortfall]:
    """The reader's stored rows below guideline on the date (own nation, or all for the cell), worst first (by
    shortfall, nation code, item name), the first ``limit``: ``stored_shortfall_rows(below_only=True)`` ordered
    and cut by the database. One query (names of nations from ``nations``, every nation by id)."""
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    qs = _stored_rows(as_of=as_of, snapshot_id=snapshot_id)
    if not scope.is_cell:
        qs = qs.filter(nation_id=scope.nation_id)
    qs = qs.filter(status=shortfalls.BELOW_GUIDELINE).order_by("-shortfall", "nation__code", "item__name")
    today = snapshot_id is None and not _is_past(as_of)
    figures = _RESULT_FIELDS if today else shortfalls.VERSION_FIGURES
    rows = qs.values_list("nation_id", "item_id", *figures, *_ITEM_FIELDS)
    out = []
    for n, i, *rest in (rows if limit is None else rows[:limit]):
        values, item = rest[:len(figures)], StoredItem(*rest[len(figures):])
        result = (result_of(dict(zip(figures, values, strict=True))) if today
                  else shortfalls.result_from_figures(tuple(values), as_of or _today()))
        out.append(PastShortfall(nation=nations[n], item=_item_of(i, item), result=result))
    return out


def stored_shortfall_rows(*, actor, stored: StoredFigures, nations: Mapping[int, Nation], nation: int | None = None,
                          item: int | None = None, below_only: bool = False, limit: int | None = None
                          ) -> list[PastShortfall]:
    """The reader's rows of ``stored`` (own nation, or all for the cell), worst first (by shortfall, nation
    code, item name), optionally one nation's or one item's, only those below guideline, the first ``limit``.
    No query: names from ``nations`` (every nation by id) and the items joined to the read."""
    rows = []
    for (n, i), r in stored.visible(_scope(actor)).items():
        if (nation is not None and n != nation) or (item is not None and i != item):
            continue
        if below_only and r.status != shortfalls.BELOW_GUIDELINE:
            continue
        rows.append(((-r.shortfall, nations[n].code, stored.items[i].name), n, i, r))
    rows.sort(key=lambda row: row[0])
    if limit is not None:
        rows = rows[:limit]
    return [PastShortfall(nation=nations[n], item=_item_of(i, stored.items[i]), result=r) for _k, n, i, r in rows]


def _item_of(item_id: int, item: StoredItem) -> Item:
    """An Item (with its category) from the joined columns, for the tables that name and link it."""
    return Item(pk=item_id, name=item.name, name_fr=item.name_fr, unit=item.unit, unit_value_eur=item.unit_value_eur,
                category=Category(pk=item.category_id, name=item.category_name, name_fr=item.category_name_fr))


# --- Per-nation shortfalls ----------------------------------------------------------------------

def shortfall_list(*, actor, nation: Nation | int | None = None, item: Item | int | None = None
                   ) -> QuerySet[Shortfall]:
    """Stored shortfall rows the user may see (own nation, or all for the cell), worst first. One query."""
    qs = Shortfall.objects.restrict(_scope(actor), VIEW).select_related("nation", "item", "item__category")
    if nation is not None:
        qs = qs.filter(nation_id=getattr(nation, "pk", nation))
    if item is not None:
        qs = qs.filter(item_id=getattr(item, "pk", item))
    return qs.order_by("-shortfall", "nation__code", "item__name")


def shortfalls_last_computed() -> dt.datetime | None:
    """When the engine last computed the figures (None: never): the later of the newest row's ``computed_at``
    and the end of the last full recompute (which rewrites only the rows that changed). One query."""
    found = Shortfall.objects.aggregate(last=Max("computed_at"), run=Max(_last_full_run()))
    times = [t for t in (found["last"], found["run"]) if t is not None]
    return max(times) if times else None


def shortfalls_are_stale(*, last_computed: dt.datetime | None = None, now: dt.datetime | None = None,
                         pending_too_long: bool | None = None) -> bool:
    """True when the stored figures are older than ``settings.SHORTFALL_STALE_AFTER`` (or missing), or when
    a write's recompute has waited longer than ``settings.SHORTFALL_PENDING_STALE_AFTER`` (a drain that
    failed or was lost leaves its marks: the rows of those pairs are out of date). At most two queries;
    none when the caller has both answers (``pending_too_long``: ``StoredFigures``)."""
    now = now or timezone.now()
    last = last_computed if last_computed is not None else shortfalls_last_computed()
    if last is None or now - last > settings.SHORTFALL_STALE_AFTER:
        return True
    if pending_too_long is not None:
        return pending_too_long
    return _marks_pending_too_long(now).exists()


@dataclass(frozen=True)
class PastShortfall:
    """A shortfall as it stood on a date (read from the history): the engine's result plus names."""

    nation: Nation
    item: Item
    result: shortfalls.ShortfallResult


def shortfalls_as_of(*, actor, as_of: dt.date, nation: Nation | int | None = None,
                     item: Item | int | None = None, snapshot_id: int | None = None) -> list[PastShortfall]:
    """The shortfalls as they stood on a date, read from the history (today: the stored rows), worst first.

    Three queries: the versions, their nations, their items.
    """
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    nation_ids = None if nation is None else [getattr(nation, "pk", nation)]
    item_ids = None if item is None else [getattr(item, "pk", item)]
    results = _results(scope=scope, as_of=as_of, item_ids=item_ids, nation_ids=nation_ids, snapshot_id=snapshot_id)
    nations = Nation.objects.in_bulk({n for n, _ in results})
    items = Item.objects.select_related("category").in_bulk({i for _, i in results})
    rows = [PastShortfall(nation=nations[n], item=items[i], result=r) for (n, i), r in results.items()]
    rows.sort(key=lambda row: (-row.result.shortfall, row.nation.code, row.item.name))
    return rows


# --- Alliance aggregates --------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemRollupRow(ItemLabel, CategoryLabel):
    """The alliance position for one item, as this reader may see it (``coordination.disclosure``).

    A figure is None when suppressed for this reader; ``reasons`` names why (field name → reason code,
    ``disclosure.reason_text`` for the words). The cell always sees every figure, exact.
    ``item_label``/``category_label``: its names in the reader's language (``coordination.names``).
    """

    item_id: int
    item_name: str
    unit: str
    category_name: str
    total_shortfall: int | None
    net_position: int | None
    nations_below: int | None
    nations_counted: int | None
    statuses: dict[str, int] = field(default_factory=dict)
    nations_not_reporting: int | None = 0  # expected to report the item and have not (no_report rows)
    reasons: dict[str, str] = field(default_factory=dict)
    unit_value_eur: Decimal | None = None  # the item's reference value (for the EUR figures per category)
    item_name_fr: str = ""
    category_name_fr: str = ""

    @property
    def suppressed(self) -> bool:
        """The row's total is hidden from this reader."""
        return "total_shortfall" in self.reasons

    def note(self, name: str) -> str:
        """Why figure ``name`` is hidden, in the reader's language ('' when shown)."""
        reason = self.reasons.get(name)
        return disclosure.reason_text(reason) if reason else ""


@dataclass(frozen=True)
class NationPosition:
    """One nation's compared figures for an item: what the roll-up adds up."""

    status: str
    shortfall: int
    surplus: int | None  # available - guideline; None when either is missing
    limit: int | None = None  # the largest shortfall a nation knows this one could have (guideline + owed)
    surplus_limit: int | None = None  # the same for a surplus (None: no known ceiling, as in the product)


def _position(r: shortfalls.ShortfallResult) -> NationPosition:
    surplus = None if r.available is None or r.guideline is None else r.available - r.guideline
    limit = None if r.guideline is None else r.guideline + max(0, r.owed or 0)
    return NationPosition(r.status, r.shortfall, surplus, limit=limit)


def nation_positions(*, as_of: dt.date | None = None, item_ids: Iterable[int] | None = None, actor=None,
                     snapshot_id: int | None = None, stored: StoredFigures | None = None
                     ) -> dict[int, dict[int, NationPosition]]:
    """Per item, per nation: status, shortfall, surplus and the largest shortfall a reader knows it could
    have (guideline + owed) — stored rows today, the history's versions for a past ``as_of``, a frozen
    snapshot's rows for ``snapshot_id``. For aggregates only: never shown per nation.

    ``actor``: the reader (rule c of ``coordination.disclosure``): every other donor's pledges this
    reader may not see are left out of that donor's owed, available, shortfall and surplus
    (``pledges.selectors.unseen_owed_by_pair``), so they neither enter nor move anything it sees.
    None (or the cell): every pledge counts. One query today (two with a nation's ``actor``); none but the
    nation's with ``stored`` (``stored_figures`` for the same date, read once per request).
    """
    if isinstance(stored, ReaderFigures):  # a nation's own pairs and aggregates: not every pair
        raise TypeError("nation_positions reads every pair: pass StoredFigures")
    unseen = {} if actor is None else unseen_owed_by_pair(actor=_scope(actor), as_of=as_of, item_ids=item_ids)
    if stored is not None:
        wanted = None if item_ids is None else set(item_ids)
        results = {p: r for p, r in stored.results.items() if wanted is None or p[1] in wanted}
    elif snapshot_id is not None or _is_past(as_of):
        results = _results(scope=None, as_of=as_of, item_ids=item_ids, snapshot_id=snapshot_id)
    else:
        qs = Shortfall.objects.all()
        if item_ids is not None:
            qs = qs.filter(item_id__in=set(item_ids))
        results = {
            (row["nation_id"], row["item_id"]): result_of(row)
            for row in qs.order_by().values("nation_id", "item_id", *_RESULT_FIELDS)
        }
    return reader_positions(results, unseen)


def reader_positions(results: Mapping[Pair, shortfalls.ShortfallResult], unseen: Mapping[Pair, int]
                     ) -> dict[int, dict[int, NationPosition]]:
    """Per item, per nation: the engine's ``results`` as one reader computes them, without the owed
    quantities ``unseen`` (``pledges.selectors.unseen_owed_by_pair``: the pledges it may not see, rule c
    of ``coordination.disclosure``). Pure: ``nation_positions`` reads, this computes (the property test in
    tests/coordination/test_disclosure.py calls it)."""
    by_item: dict[int, dict[int, NationPosition]] = defaultdict(dict)
    for (nation_id, item_id), r in results.items():
        by_item[item_id][nation_id] = _position(shortfalls.without_owed(r, unseen.get((nation_id, item_id), 0)))
    return by_item


def rollup_disclosed(*, positions: Mapping[int, NationPosition], reader: disclosure.Reader,
                     restricted: bool = False) -> tuple[disclosure.RollupFigures, dict[str, int]]:
    """One item's roll-up from its nations' positions, through ``disclosure.rollup_figures``, and the
    count per status (empty when the total is hidden)."""
    counted = {n for n, p in positions.items() if p.status in shortfalls.COUNTED}
    figures = disclosure.rollup_figures(
        shortfall={n: p.shortfall for n, p in positions.items()},
        surplus={n: p.surplus or 0 for n, p in positions.items() if n in counted},
        counted=counted, reader=reader, restricted=restricted,
        limits={n: p.limit for n, p in positions.items()},
        surplus_limits={n: p.surplus_limit for n, p in positions.items()},
    )
    statuses: dict[str, int] = {}
    if not figures.total_shortfall.suppressed:
        for p in positions.values():
            statuses[p.status] = statuses.get(p.status, 0) + 1
    return figures, statuses


def alliance_rollup(*, actor, as_of: dt.date | None = None, item_ids: Iterable[int] | None = None,
                    snapshot_id: int | None = None, stored: StoredFigures | ReaderFigures | None = None,
                    summary: StoredSummary | None = None) -> list[ItemRollupRow]:
    """Per item: gross total shortfall (no netting between nations), net position, nations below.

    The figures follow ``shortfalls.rollup_of_totals`` (gross total over every row; net and counts over
    compared rows) and are disclosed through ``coordination.disclosure.rollup_figures``: outside the
    cell, checked for enough other nations, dominance, restricted pledges (``pledges.selectors.
    unseen_owed_by_pair``: left out of the figures this reader sees) and rounded. Three queries for a
    nation (positions with their items; the pledges it may not see), one for the cell; with ``stored``
    (``stored_figures`` for the same date, read once per request) one for a nation, none for the cell.
    Without ``stored``, ``summary`` or ``item_ids`` it reads the sums itself (``stored_summary`` for the cell,
    ``reader_figures`` for a nation: one query, two): a few thousand rows instead of every pair.
    ``summary`` (``stored_summary`` for the same date), for the cell only: the same rows from the database's
    sums per item and status (``shortfalls.rollup_of_totals``), no query. ``stored`` may be the nation's
    ``ReaderFigures`` (``reader_figures`` for the same date and that nation): the same rows from its per-item
    statistics (``disclosure.rollup_figures_of``) and, for the items rule (c) touches, its pairs; no query.
    """
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    if stored is None and summary is None and item_ids is None:  # the whole roll-up: from the database's sums
        if scope.is_cell:
            summary = stored_summary(as_of=as_of, snapshot_id=snapshot_id)
        elif scope.nation_id is not None:
            stored = reader_figures(actor=scope, as_of=as_of, snapshot_id=snapshot_id)
    if summary is not None and scope.is_cell and item_ids is None:
        return _sorted_rollup(_rollup_row(i, summary.items[i], shortfalls.rollup_of_totals(totals))
                              for i, totals in summary.by_item.items())
    reader = disclosure.reader_of(scope)
    if isinstance(stored, ReaderFigures):
        if scope.is_cell or scope.nation_id != stored.nation_id or item_ids is not None:
            raise ValueError("ReaderFigures serves the whole roll-up of the nation it was read for only")
        return _sorted_rollup(_rollup_of_reader(stored, reader))
    if stored is None:
        stored = stored_figures(as_of=as_of, snapshot_id=snapshot_id, item_ids=item_ids)
    by_item = nation_positions(as_of=stored.as_of, item_ids=item_ids, actor=scope, stored=stored)
    return _sorted_rollup(_disclosed_row(item_id, stored.items[item_id], *rollup_disclosed(positions=positions,
                                                                                           reader=reader))
                          for item_id, positions in by_item.items())


def _rollup_of_reader(read: ReaderFigures, reader: disclosure.Reader) -> Iterable[ItemRollupRow]:
    """The roll-up rows from a nation's ``ReaderFigures``: each item's statistics through
    ``disclosure.rollup_figures_of``, the count per status with the total only (as ``rollup_disclosed``)."""
    for item_id, (stats, statuses) in read.stats.items():
        figures = disclosure.rollup_figures_of(stats, reader)
        yield _disclosed_row(item_id, read.items[item_id], figures,
                             {} if figures.total_shortfall.suppressed else statuses)


def _disclosed_row(item_id: int, item: StoredItem, figures: disclosure.RollupFigures, statuses: dict[str, int]
                   ) -> ItemRollupRow:
    """One item's roll-up row as a nation sees it."""
    return ItemRollupRow(
        item_id=item_id, item_name=item.name, unit=item.unit, category_name=item.category_name,
        item_name_fr=item.name_fr, category_name_fr=item.category_name_fr,
        total_shortfall=figures.total_shortfall.value, net_position=figures.net_position.value,
        nations_below=figures.nations_below.value, nations_counted=figures.nations_counted.value,
        statuses=statuses, reasons={key: f.reason for key, f in vars(figures).items() if f.reason},
        # a count of other nations' reporting status: shown with the total only, like the other counts
        nations_not_reporting=statuses.get(shortfalls.NO_REPORT, 0) if statuses else None,
        unit_value_eur=item.unit_value_eur,
    )


def _sorted_rollup(rows: Iterable[ItemRollupRow]) -> list[ItemRollupRow]:
    """By category, then item, by the names the reader reads."""
    return sorted(rows, key=lambda row: (sort_key(row.category_label), sort_key(row.item_label)))


def _rollup_row(item_id: int, item: StoredItem, r: shortfalls.ItemRollup) -> ItemRollupRow:
    """The cell's roll-up row (exact: nothing is disclosed to a nation from it)."""
    return ItemRollupRow(
        item_id=item_id, item_name=item.name, unit=item.unit, category_name=item.category_name,
        item_name_fr=item.name_fr, category_name_fr=item.category_name_fr, total_shortfall=r.total_shortfall,
        net_position=r.net_position, nations_below=r.nations_below, nations_counted=r.nations_counted,
        statuses=dict(r.statuses), nations_not_reporting=r.nations_not_reporting, unit_value_eur=item.unit_value_eur)


@dataclass(frozen=True)
class CategoryShortfall(CategoryLabel):
    """One category's alliance shortfall as the reader may see it. Units never add up across items: the
    category's figure is in EUR (each item's roll-up total × its unit value); the largest item is named
    with its shortfall in its own unit. ``category_label``: its name in the reader's language."""

    category_name: str
    items: list[ItemRollupRow]  # the items short (total shown and > 0), largest EUR first
    value_eur: Decimal  # Σ over the items shown of total shortfall × unit value
    hidden: int  # items whose total is hidden from this reader (left out of ``value_eur``)
    unvalued: int  # items short with no unit value (left out of ``value_eur``)
    unit_values: dict[int, Decimal | None] = field(default_factory=dict)
    category_name_fr: str = ""

    @property
    def largest(self) -> ItemRollupRow | None:
        return self.items[0] if self.items else None

    def item_value_eur(self, row: ItemRollupRow) -> Decimal | None:
        unit_value = self.unit_values.get(row.item_id)
        return None if unit_value is None or row.total_shortfall is None else unit_value * row.total_shortfall


def shortfall_by_category(*, actor, as_of: dt.date | None = None, rollup: list[ItemRollupRow] | None = None
                          ) -> list[CategoryShortfall]:
    """The alliance roll-up (``alliance_rollup``: disclosed per item; the caller's ``rollup`` when it has read
    it for the same actor and date) summed per category in EUR, through ``disclosure.total_of_shown`` (a
    hidden item never enters a total). Categories by EUR, largest first. The roll-up's queries; none with
    ``rollup`` (its rows carry the items' unit values)."""
    rows = alliance_rollup(actor=actor, as_of=as_of) if rollup is None else rollup
    unit_values = {r.item_id: r.unit_value_eur for r in rows}
    by_category: dict[str, list[ItemRollupRow]] = defaultdict(list)
    for row in rows:
        by_category[row.category_name].append(row)
    out = []
    for name, items in by_category.items():
        total = disclosure.total_of_shown(
            (disclosure.Figure(r.total_shortfall, r.reasons.get("total_shortfall")), unit_values.get(r.item_id))
            for r in items)
        short = [r for r in items if not r.suppressed and (r.total_shortfall or 0) > 0]
        unvalued = sum(1 for r in short if unit_values.get(r.item_id) is None)
        short.sort(key=lambda r: (-(unit_values.get(r.item_id) or 0) * r.total_shortfall, -r.total_shortfall,
                                  sort_key(r.item_label)))
        out.append(CategoryShortfall(category_name=name, items=short, value_eur=Decimal(total.value),
                                     hidden=total.hidden, unvalued=unvalued, unit_values=unit_values,
                                     category_name_fr=items[0].category_name_fr))
    out.sort(key=lambda c: (-c.value_eur, -len(c.items), sort_key(c.category_label)))
    return out


def _stored_totals(qs: QuerySet[Shortfall], *group_by: str, **extra) -> list[tuple[dict, shortfalls.StatusTotals]]:
    """Stored rows summed by the database per ``group_by`` + status: counts, sums and a minimum only
    (no rule: ``shortfalls.rollup_of_totals`` / ``coverage_of_totals`` apply those). One query."""
    rows = (
        qs.order_by().annotate(**extra).values(*group_by, *extra, "status")
        .annotate(n=Count("pk"), total=Sum("shortfall"), surplus=Sum(F("available") - F("guideline")),
                  low=Min("coverage"))
    )
    return [
        (row, shortfalls.StatusTotals(status=row["status"], count=row["n"], shortfall=int(row["total"] or 0),
                                      surplus=int(row["surplus"] or 0), min_coverage=row["low"]))
        for row in rows
    ]


@dataclass(frozen=True)
class ShortfallMatrix:
    """Nation × category heat map. ``cells[(nation_id, category_id)]`` is a ``shortfalls.CoverageCell``."""

    nations: list[Nation]
    categories: list[Category]
    cells: dict[Pair, shortfalls.CoverageCell]

    def cell(self, nation_id: int, category_id: int) -> shortfalls.CoverageCell | None:
        return self.cells.get((nation_id, category_id))


def shortfall_matrix(*, actor, as_of: dt.date | None = None,
                     nations: Mapping[int, Nation] | None = None, snapshot_id: int | None = None,
                     stored: StoredFigures | None = None, summary: StoredSummary | None = None) -> ShortfallMatrix:
    """Coverage per nation and category: the cell sees every nation, a nation only its own row.

    Built with ``shortfalls.coverage_of_totals``. Three queries for today's figures (stored rows
    summed per nation, category and status; nations unless given as ``nations``, every nation by id;
    categories). For today's figures the cells do
    not name their worst item (the database returns the lowest coverage, not its item). With ``stored``
    (``stored_figures`` for the same date, read once per request) and ``nations``: no query, the reader's
    rows of it summed by ``shortfalls.status_totals``. With ``summary`` (``stored_summary``, the cell's), no query:
    its sums per nation, category and status.
    """
    scope = _scope(actor)
    grouped: dict[Pair, list[shortfalls.StatusTotals]] = defaultdict(list)
    category_names: dict[int, tuple[str, str]] = {}
    if scope.is_nobody:
        pass
    elif summary is not None and scope.is_cell:
        grouped.update(summary.by_nation_category)
        category_names = {c: summary.category_names[c] for _n, c in grouped}
    elif stored is not None:
        members: dict[Pair, list[shortfalls.ShortfallResult]] = defaultdict(list)
        for (n, i), r in stored.visible(scope).items():
            item = stored.items[i]
            category_names[item.category_id] = (item.category_name, item.category_name_fr)
            members[(n, item.category_id)].append(r)
        for key, results in members.items():
            grouped[key] = shortfalls.status_totals(results)
    elif snapshot_id is not None or _is_past(as_of):
        results = _results(scope=scope, as_of=as_of, snapshot_id=snapshot_id)
        category_of = dict(Item.objects.filter(pk__in={i for _, i in results}).values_list("pk", "category_id"))
        members: dict[Pair, list[tuple[int, shortfalls.ShortfallResult]]] = defaultdict(list)
        for (n, i), r in results.items():
            members[(n, category_of[i])].append((i, r))
        for key, pairs in members.items():
            grouped[key] = shortfalls.status_totals([r for _, r in pairs], [i for i, _ in pairs])
    else:
        for row, t in _stored_totals(Shortfall.objects.restrict(scope, VIEW), "nation_id", "item__category_id"):
            grouped[(row["nation_id"], row["item__category_id"])].append(t)
    cells = {key: shortfalls.coverage_of_totals(totals) for key, totals in grouped.items()}
    # by the name the row shows in the reader's language, not by code (Germany between Czechia and Denmark
    # read as a bug; in French, Allemagne comes first)
    if nations is None:
        shown = list(Nation.objects.filter(pk__in={n for n, _ in grouped}))
    else:
        shown = [nations[n] for n in {n for n, _ in grouped}]
    shown.sort(key=lambda nation: sort_key(nation.display_name))
    if stored is not None or (summary is not None and scope.is_cell):
        categories = [Category(pk=pk, name=name, name_fr=name_fr) for pk, (name, name_fr) in category_names.items()]
    else:
        categories = list(Category.objects.filter(pk__in={c for _, c in grouped}))
    categories.sort(key=lambda category: (sort_key(category.display_name), category.pk))
    return ShortfallMatrix(nations=shown, categories=categories, cells=cells)


# --- Time series and projections ------------------------------------------------------------------

@dataclass(frozen=True)
class StockSeries:
    nation_id: int
    nation_code: str
    points: list[tuple[dt.date, int]]


def stock_history(*, actor, item: Item | int, nations: Sequence[Nation | int] | None = None,
                  since: dt.date | None = None) -> list[StockSeries]:
    """Stock reports of one item over time, one series per nation the user may see. One query."""
    qs = StockReport.objects.restrict(_scope(actor), VIEW).filter(item_id=getattr(item, "pk", item))
    if nations is not None:
        qs = qs.filter(nation_id__in=[getattr(n, "pk", n) for n in nations])
    if since is not None:
        qs = qs.filter(as_of__gte=since)
    series: dict[int, StockSeries] = {}
    for nation_id, code, as_of, quantity in qs.order_by("nation__code", "as_of").values_list(
        "nation_id", "nation__code", "as_of", "quantity"
    ):
        if nation_id not in series:
            series[nation_id] = StockSeries(nation_id=nation_id, nation_code=code, points=[])
        series[nation_id].points.append((as_of, quantity))
    return list(series.values())


def recovery_projection(*, actor, nation: Nation | int, item: Item | int, months: int = 24
                        ) -> list[shortfalls.ProjectionPoint]:
    """Available stock month by month at the current production rate plus the contracted inflows of
    the nation's order schedules (``shortfalls.recovery_projection``; it crosses the guideline at the
    stored ``months_to_recover``). The engine's input queries for the one pair.

    Empty when the user may not see the pair or there is nothing to project.
    """

    scope = _scope(actor)
    pair = (getattr(nation, "pk", nation), getattr(item, "pk", item))
    if scope.is_nobody or (not scope.is_cell and pair[0] != scope.nation_id):
        return []
    result = shortfalls_compute(pairs=[pair]).get(pair)  # None: no inputs, or the engine cannot compute it
    if result is None:
        return []
    return shortfalls.recovery_projection(result, months=months)


@dataclass(frozen=True)
class ShortfallSeries:
    """Shortfall over time: ``past`` from the stored history (one point a month, ending at the date), ``projected``
    from that date's figures ahead (production and contracted deliveries). ``own_only``: a nation reading an
    item or category across nations gets its own rows only (no other nation's figures over time)."""

    past: list[tuple[dt.date, int]]
    projected: list[tuple[dt.date, int]]
    own_only: bool = False


def shortfall_series(*, actor, item: int | None = None, nation: int | None = None, category: int | None = None,
                     months: int = 24, ahead: int = 24, as_of: dt.date | None = None) -> ShortfallSeries:
    """Σ shortfall over the last ``months`` months up to ``as_of`` (today by default) of the pairs selected (an
    item, a nation, a category, or any combination; none: the alliance), and the projected path ahead from
    that date: ``shortfall_trend`` with no grouping (a day without any stored figures counts 0)."""
    trend = shortfall_trend(actor=actor, item=item, nation=nation, category=category, months=months,
                            ahead=ahead, as_of=as_of)
    line = trend.lines[0] if trend.lines else None
    past = [(day, (line.past[k] if line else None) or 0) for k, day in enumerate(trend.past_dates)]
    projected = list(zip(trend.ahead_dates, line.projected, strict=True)) if line and line.projected else []
    return ShortfallSeries(past=past, projected=projected, own_only=trend.own_only)


# A trend's lines: grouped by (the id, the label, the unit when the line is one item's).
TREND_GROUPS = {  # key, English name, unit, French name (the line's label: ``coordination.names.localized``)
    "category": ("item__category_id", "item__category__name", None, "item__category__name_fr"),
    "item": ("item_id", "item__name", "item__unit", "item__name_fr"),
    "nation": ("nation_id", "nation__name", None, "nation__name_fr"),
}


@dataclass(frozen=True)
class TrendLine:
    key: int | None  # the category, item or nation id; None: the whole selection
    label: str
    unit: str  # the item's unit when the line is one item's (grouped by item), else ""
    past: list[int | None]  # one per ``ShortfallTrend.past_dates``; None: no figures stored for that day
    past_guideline: list[int | None]  # Σ guideline of the same rows (a share of guideline)
    projected: list[int]  # one per ``ShortfallTrend.ahead_dates`` (month 0 = the date); [] without a row then

    @property
    def peak(self) -> int:
        return max([v for v in self.past if v is not None] + self.projected, default=0)


@dataclass(frozen=True)
class ShortfallTrend:
    """Shortfall over time per line (``shortfall_trend``): the past month by month ending at ``as_of``, and the
    projected path from ``as_of`` on. ``eur``: the figures are valued in EUR (items without a reference
    value are left out: ``unvalued_items`` of them had a shortfall at the date)."""

    as_of: dt.date
    past_dates: list[dt.date]
    ahead_dates: list[dt.date]
    lines: list[TrendLine]
    own_only: bool = False
    eur: bool = False
    unvalued_items: int = 0

    @property
    def empty(self) -> bool:
        return not any(v is not None for line in self.lines for v in line.past)


def _valid_on(day: dt.date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def _dates_before(field: str, days: Sequence[dt.date]) -> Case:
    """How many of ``days`` (ascending) fall before the date in ``field``: for a version's ``valid_from`` the
    index of the first of them it is valid on, for its ``valid_to`` the first it is no longer valid on
    (``_valid_on``: from inclusive, to exclusive); ``len(days)`` when the field is NULL (still current) or after
    them all. Tested from the latest date down (the history's versions are mostly recent)."""
    n = len(days)
    return Case(When(**{f"{field}__isnull": True}, then=Value(n)),
                *(When(**{f"{field}__gt": days[k]}, then=Value(k + 1)) for k in range(n - 1, -1, -1)),
                default=Value(0), output_field=IntegerField())


def _whole(v) -> int | None:
    return None if v is None else int(round(v))


def _past_sums(qs: QuerySet[ShortfallVersion], *, by: str | None, eur: bool, past_dates: Sequence[dt.date]
               ) -> list[dict]:
    """The sums of ``shortfall_trend``'s past per line and ``span`` (start x (n + 1) + end, the indexes of
    ``_dates_before``; one number: the planner estimates the groups of one expression, of two by their product, and
    then sorts to disk at full size): ``s`` Σ shortfall (x the item's unit value in EUR; items without one left
    out), ``g`` Σ guideline, ``ns`` and ``ng`` how many of them are not NULL, with the line's ``key`` and labels.

    The versions are summed per item (and nation) first, on the versions table alone; the items, categories and
    nations are joined to those sums (a few thousand rows at full size), not to every version: the join and the
    EUR products per version cost more than the scan. One query."""
    n = len(past_dates)
    span = ExpressionWrapper(_dates_before("valid_from", past_dates) * (n + 1) + _dates_before("valid_to", past_dates),
                             output_field=IntegerField())
    by_item = eur or by in ("category", "item")  # the item's unit value, category or name
    mm = (n + 1) * (n + 1)
    if by_item:  # (item, span) as one number too: item x (n + 1)² + span
        span = ExpressionWrapper(F("item_id") * mm + span, output_field=BigIntegerField())
    inner = qs.values(*(["nation_id"] if by == "nation" else []), span=span).annotate(
        s=Sum("shortfall"), g=Sum("guideline"), ns=Count("shortfall"), ng=Count("guideline")).order_by()
    try:
        inner_sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a selection that cannot match (e.g. ``.none()``)
        return []
    q = connection.ops.quote_name
    item, category, nation = (q(m._meta.db_table) for m in (Item, Category, Nation))
    key, labels = {
        None: ("NULL", "NULL, NULL, NULL"),
        "category": (f"i.{q('category_id')}", f"MIN(c.{q('name')}), NULL, MIN(c.{q('name_fr')})"),
        "item": (f"i.{q('id')}", f"MIN(i.{q('name')}), MIN(i.{q('unit')}), MIN(i.{q('name_fr')})"),
        "nation": (f"v.{q('nation_id')}", f"MIN(n.{q('name')}), NULL, MIN(n.{q('name_fr')})"),
    }[by]
    value = f"v.{q('s')} * i.{q('unit_value_eur')}" if eur else f"v.{q('s')}"
    span_of = f"v.{q('span')} - v.{q('span')} / {mm} * {mm}" if by_item else f"v.{q('span')}"
    sql = (f"SELECT {key}, {span_of}, SUM({value}), SUM(v.{q('g')}), SUM(v.{q('ns')}), SUM(v.{q('ng')}), {labels} "
           f"FROM ({inner_sql}) v "
           + (f"INNER JOIN {item} i ON i.{q('id')} = v.{q('span')} / {mm} " if by_item else "")
           + (f"INNER JOIN {category} c ON c.{q('id')} = i.{q('category_id')} " if by == "category" else "")
           + (f"INNER JOIN {nation} n ON n.{q('id')} = v.{q('nation_id')} " if by == "nation" else "")
           + (f"WHERE i.{q('unit_value_eur')} IS NOT NULL " if eur else "")
           + (f"GROUP BY {key}, {span_of}" if by else f"GROUP BY {span_of}"))
    names = ("key", "span", "s", "g", "ns", "ng", "label", "unit", "label_fr")
    return [dict(zip(names, row, strict=True)) for row in _sql_rows(sql, params)]


def _trend_past(rows: Iterable[dict], n: int) -> dict[int | None, tuple[dict, list[int | None], list[int | None]]]:
    """Each line's past from the sums per (line ``key``, ``span``) of ``_past_sums`` (``s``, ``g``: Σ value
    and Σ guideline; ``ns``, ``ng``: how many of them are not NULL): on the k-th date, the versions with
    start <= k < end, i.e. those started by k minus those ended by k (a version ends after it starts). A date
    with no value counted is None, like a SQL sum over no row. Lines without any value are left out. Returns
    {key: (a row of the line, for its labels; past; past guideline)}."""
    acc: dict = {}
    for row in rows:
        key = row["key"]
        if key not in acc:
            acc[key] = (row, [0] * (n + 1), [0] * (n + 1), [0] * (n + 1), [0] * (n + 1))
        _row, s, g, ns, ng = acc[key]
        start, end = divmod(row["span"], n + 1)
        if start >= end:  # valid on none of the dates
            continue
        for deltas, v in ((s, row["s"]), (g, row["g"]), (ns, row["ns"]), (ng, row["ng"])):
            if v is not None:
                deltas[start] += v
                deltas[end] -= v
    out = {}
    for key, (row, s, g, ns, ng) in acc.items():
        past = [_whole(v) if c else None for v, c in zip(accumulate(s[:n]), accumulate(ns[:n]), strict=True)]
        if any(v is not None for v in past):
            past_guideline = [_whole(v) if c else None
                              for v, c in zip(accumulate(g[:n]), accumulate(ng[:n]), strict=True)]
            out[key] = (row, past, past_guideline)
    return out


def shortfall_trend(*, actor, by: str | None = None, item: int | None = None, nation: int | None = None,
                    category: int | None = None, as_of: dt.date | None = None, months: int = 24, ahead: int = 12,
                    eur: bool = False) -> ShortfallTrend:
    """Shortfall over time of the pairs selected (an item, a nation, a category, any combination; none: all),
    one line per ``by`` (``TREND_GROUPS``; None: one line): Σ shortfall on the same day of each of the last
    ``months`` months up to ``as_of`` (today by default), read from the stored history (``ShortfallVersion``),
    and the projected path ahead from the figures valid at ``as_of``: the engine's projection of each pair
    short then (production at its rate and its contracted deliveries, ``shortfalls.projected_shortfalls``).
    ``eur``: each pair's shortfall times its item's reference unit value (never a sum of different units).

    Through the access rule, like the API's series: the cell sees every pair, a nation its own rows only
    (``own_only`` when the selection spans other nations); no other nation's figure over time reaches a nation.

    Queries: one for the past (summed by the database per line and date), one for the pairs short at the date
    (with the date of their stock report in use when they have contracted inflows), and one for the schedule
    lines of those with contracted inflows, if any: three at most, at any size.
    """
    scope = _scope(actor)
    day = as_of or _today()
    past_dates = shortfalls.series_dates(day, months)
    ahead_dates = [shortfalls.add_months(day, m) for m in range(max(0, ahead) + 1)]
    own_only = not scope.is_cell and (nation is None or nation != scope.nation_id)
    if scope.is_nobody:
        return ShortfallTrend(as_of=day, past_dates=past_dates, ahead_dates=ahead_dates, lines=[],
                              own_only=own_only, eur=eur)
    qs = ShortfallVersion.objects.restrict(scope, VIEW).filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=past_dates[0])).order_by()
    if item is not None:
        qs = qs.filter(item_id=item)
    if nation is not None:
        qs = qs.filter(nation_id=nation)
    if category is not None:
        qs = qs.filter(item__category_id=category)
    unvalued: set[int] = set()
    key_field = TREND_GROUPS[by][0] if by else None

    # 1. The past. A version is valid on the past dates from the first one on or after its start up to (not
    # including) the first one on or after its end (``_valid_on``): the database sums the versions per item (and
    # nation) and (start index, end index), the line's value on the k-th date is Σ over those started by k − Σ over
    # those ended by k (``_trend_past``). One scan with two small expressions per row, whatever the number of dates.
    rows = _past_sums(qs, by=by, eur=eur, past_dates=past_dates)

    lines: dict = {}
    for key, (row, past, past_guideline) in _trend_past(rows, len(past_dates)).items():
        lines[key] = TrendLine(
            key=key, label=localized(str(row["label"]), row["label_fr"] or "") if by else "",
            unit=row["unit"] or "", past=past, past_guideline=past_guideline,
            projected=[0] * len(ahead_dates) if past[-1] is not None else [])

    # 2. Ahead: only a pair short at the date moves (available never falls in the projection).
    report_day = latest_report_subquery(day)
    short = (qs.filter(_valid_on(day), shortfall__gt=0)
             .annotate(reported_on=Case(When(contracted_inflow__gt=0, then=report_day), default=None,
                                        output_field=DateField()))
             .values_list(key_field or "pk", "nation_id", "item_id", "reported_on", "item__unit_value_eur",
                          "available", "guideline", "rate", "shortfall", "contracted_inflow"))
    short = list(short)
    contracted = {(n, i): reported for _k, n, i, reported, *_v, contracted in short if contracted > 0}
    inflows = inflows_by_pair(reported_on=contracted, as_of=day)
    # Σ of each pair's ``shortfalls.projected_shortfalls`` per line, without listing every pair's months
    ahead_sums = {key: shortfalls.ProjectedSum(len(ahead_dates) - 1) for key, line in lines.items() if line.projected}
    for key, n, i, _reported, unit_value, available, guideline, rate, shortfall, _contracted in short:
        if eur and unit_value is None:
            unvalued.add(i)
            continue
        total = ahead_sums.get(key if key_field else None)
        if total is not None:
            total.add(available=available, guideline=guideline, rate=rate, shortfall=shortfall,
                      inflow_by_month=inflows.get((n, i), ()), weight=unit_value if eur else 1)
    ordered = []
    for key, line in lines.items():
        if key in ahead_sums:
            totals = ahead_sums[key].totals()
            line = replace(line, projected=[int(round(v)) for v in totals] if eur else totals)
        ordered.append(line)
    ordered.sort(key=lambda line: (-line.peak, line.label))
    return ShortfallTrend(as_of=day, past_dates=past_dates, ahead_dates=ahead_dates, lines=ordered,
                          own_only=own_only, eur=eur, unvalued_items=len(unvalued))


# --- Alerts ---------------------------------------------------------------------------------------

def alert_list(*, actor, open_only: bool = True, kind: str | None = None, open_at: dt.date | None = None
               ) -> QuerySet[Alert]:
    """Alerts the user may see (own nation, or all for the cell), newest first. One query.

    ``open_at``: the alerts that were open at the end of that day (opened by then, not closed by then),
    instead of those open now.
    """
    qs = Alert.objects.restrict(_scope(actor), VIEW).select_related("nation", "item", "pledge")
    if open_at is not None:
        cutoff = end_of_day(open_at)
        qs = qs.filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff), opened_at__lt=cutoff)
    elif open_only:
        qs = qs.filter(closed_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-opened_at", "-pk")


def alerts_page(*, actor, open_at: dt.date | None = None, limit: int | None = None) -> tuple[list[Alert], int]:
    """The first ``limit`` alerts of ``alert_list`` (all when None), with their nation, item and pledge, and how
    many there are: one query (the count is a window over the same rows)."""
    qs = alert_list(actor=actor, open_at=open_at)
    if limit is None:
        rows = list(qs)
        return rows, len(rows)
    return page_with_count(qs, limit)


def page_with_count(qs: QuerySet, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows of ``qs`` and how many rows it has: one query. The count is a scalar subquery
    over the same filter without the joins (``select_related``) and the order, evaluated once: a window over the
    joined rows would join every one of them (56 k alerts: 170 ms against a few ms)."""
    total = Subquery(qs.order_by().annotate(_n=Func(F("pk"), function="COUNT")).values("_n"))
    rows = list(qs.annotate(_total=total)[:limit])
    if rows:
        return rows, rows[0]._total
    return rows, 0
