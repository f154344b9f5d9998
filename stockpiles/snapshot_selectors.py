"""Reads for frozen briefing snapshots: the list, one snapshot's figures, and the comparison of two
snapshots (or a snapshot with today): what changed, by nation and item, and why. Fixed query counts.

A nation reads the snapshots' names and dates, and its own rows only; other nations' figures in a snapshot
reach it only as aggregates through ``coordination.disclosure`` (the overview opened on a snapshot).
The cell reads everything. Rules: docs/history.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connections
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from coordination.access import VIEW, Scope, scope_for
from coordination.models import Item, Nation
from pledges.models import Pledge
from stockpiles import shortfalls
from stockpiles.models import CurrentStock, Shortfall, ShortfallVersion, Snapshot, SnapshotRow, StockReport

Pair = tuple[int, int]
FIGURES = shortfalls.VERSION_FIGURES


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


@dataclass(frozen=True)
class FrozenSources:
    """What ``pairs_frozen`` reads, as querysets of tuples: the one rule for what a snapshot freezes and for
    "today" in a comparison (``snapshot_compare`` joins them in the database). ``figures``: (nation_id,
    item_id, *FIGURES); ``reported``: (nation_id, item_id, the date of the stock report in use);
    ``pledged``: (donor_id, item_id, Σ quantity of the non-cancelled national-stock pledges announced by
    then). A pair without a report has no ``reported`` row; without a pledge, no ``pledged`` row (0)."""

    figures: QuerySet
    reported: QuerySet
    pledged: QuerySet


def frozen_sources(*, as_of: dt.date | None = None, scope: Scope | None = None) -> FrozenSources:
    """The querysets of ``pairs_frozen`` (not evaluated). Today: the stored rows and the current stock; a past
    date: the history's versions valid then and the latest report on or before it."""
    today = timezone.localdate()
    day = today if as_of is None or as_of >= today else as_of

    def restricted(model):
        return model.objects.all() if scope is None else model.objects.restrict(scope, VIEW)

    if day == today:
        figures = restricted(Shortfall).order_by().values_list("nation_id", "item_id", *FIGURES)
        reported = restricted(CurrentStock).order_by().values_list("nation_id", "item_id", "as_of")
    else:
        figures = (restricted(ShortfallVersion).filter(valid_from__lte=day).exclude(valid_to__lte=day)
                   .order_by().values_list("nation_id", "item_id", *FIGURES))
        reported = (restricted(StockReport).filter(as_of__lte=day).order_by().values("nation_id", "item_id")
                    .annotate(d=Max("as_of")).values_list("nation_id", "item_id", "d"))
    pledges = (Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=day)
               .exclude(status=Pledge.Status.CANCELLED).order_by())
    if scope is not None and not scope.is_cell:
        pledges = pledges.filter(donor_id=scope.nation_id)
    pledged = pledges.values("donor_id", "item_id").annotate(q=Sum("quantity")).values_list("donor_id", "item_id", "q")
    return FrozenSources(figures=figures, reported=reported, pledged=pledged)


def pairs_frozen(*, as_of: dt.date | None = None, scope: Scope | None = None) -> dict[Pair, shortfalls.FrozenPair]:
    """Every pair's figures as of a date (today: the stored rows; a past date: the history) with what they
    came from: the date of the stock report in use and the quantity pledged from national stock. What a
    snapshot freezes (``frozen_sources``). ``scope`` None: every pair (the snapshot service). Three queries."""
    sources = frozen_sources(as_of=as_of, scope=scope)
    reported = {(n, i): d for n, i, d in sources.reported}
    pledged = {(n, i): q for n, i, q in sources.pledged}
    return {
        (n, i): shortfalls.FrozenPair(figures=tuple(values), reported_on=reported.get((n, i)),
                                      pledged=int(pledged.get((n, i)) or 0))
        for n, i, *values in sources.figures
    }


def snapshot_list(*, actor) -> QuerySet[Snapshot]:
    """Every snapshot, newest first, for any signed-in reader (names and dates only). One query."""
    return Snapshot.objects.restrict(_scope(actor), VIEW).select_related("created_by").order_by("-taken_at", "-pk")


def snapshot_get(*, actor, snapshot_id) -> Snapshot | None:
    """One snapshot, or None (unknown, or not a whole number). One query."""
    try:
        pk = int(snapshot_id)
    except (TypeError, ValueError):
        return None
    return snapshot_list(actor=actor).filter(pk=pk).first()


def snapshot_pairs(*, actor, snapshot: Snapshot) -> dict[Pair, shortfalls.FrozenPair]:
    """A snapshot's frozen rows the reader may see (own nation, or all for the cell). One query."""
    qs = SnapshotRow.objects.restrict(_scope(actor), VIEW).filter(snapshot=snapshot).order_by()
    return {
        (n, i): shortfalls.FrozenPair(figures=tuple(values[:-2]), reported_on=values[-2], pledged=values[-1])
        for n, i, *values in qs.values_list("nation_id", "item_id", *FIGURES, "reported_on", "pledged")
    }


@dataclass(frozen=True)
class PairChange:
    nation: Nation
    item: Item
    before: shortfalls.ShortfallResult | None
    after: shortfalls.ShortfallResult | None
    reasons: tuple[str, ...]

    @property
    def shortfall_delta(self) -> int:
        return (self.after.shortfall if self.after else 0) - (self.before.shortfall if self.before else 0)

    @property
    def available_delta(self) -> int | None:
        a = self.before.available if self.before else None
        b = self.after.available if self.after else None
        return None if a is None or b is None else b - a


@dataclass(frozen=True)
class Comparison:
    a: Snapshot
    b: Snapshot | None  # None: today's figures
    changes: list[PairChange]  # the largest ``limit`` changes (all without a limit)
    total: int = 0  # how many pairs changed

    @property
    def b_as_of(self) -> dt.date:
        return self.b.as_of if self.b is not None else timezone.localdate()


# What ``shortfalls.FrozenPair`` compares, in its order: SnapshotRow's columns.
FROZEN_COLUMNS = (*FIGURES, "reported_on", "pledged")
PAIR_COLUMNS = ("nation_id", "item_id")


def _compiled(qs: QuerySet) -> tuple[str, list]:
    sql, params = qs.query.get_compiler(using=qs.db).as_sql()
    return sql, list(params)


def _side(name: str, *, scope: Scope, snapshot: Snapshot | None) -> list[tuple[str, str, list]]:
    """One side of a comparison as common table expressions (header, body, params), the last one ``name``
    with the columns nation_id, item_id, *FROZEN_COLUMNS: a snapshot's rows, or today's figures joined with
    what they came from as ``pairs_frozen`` reads them (``frozen_sources``: the same querysets)."""
    columns = ", ".join((*PAIR_COLUMNS, *FROZEN_COLUMNS))
    if snapshot is not None:
        rows = (SnapshotRow.objects.restrict(scope, VIEW).filter(snapshot=snapshot).order_by()
                .values_list(*PAIR_COLUMNS, *FROZEN_COLUMNS))
        return [(f"{name}({columns})", *_compiled(rows))]
    sources = frozen_sources(scope=scope)
    on = "{t}.nation_id = f.nation_id AND {t}.item_id = f.item_id"
    body = (f"SELECT f.nation_id, f.item_id, {', '.join(f'f.{c}' for c in FIGURES)}, r.reported_on, "
            f"CAST(COALESCE(p.pledged, 0) AS BIGINT) FROM {name}_f f "
            f"LEFT JOIN {name}_r r ON {on.format(t='r')} LEFT JOIN {name}_p p ON {on.format(t='p')}")
    return [
        (f"{name}_f(nation_id, item_id, {', '.join(FIGURES)})", *_compiled(sources.figures)),
        (f"{name}_r(nation_id, item_id, reported_on)", *_compiled(sources.reported)),
        (f"{name}_p(nation_id, item_id, pledged)", *_compiled(sources.pledged)),
        (f"{name}({columns})", body, []),
    ]


def _changed_pairs(*, scope: Scope, a: Snapshot, b: Snapshot | None, limit: int | None, offset: int = 0
                   ) -> list[tuple]:
    """The pairs whose frozen figures differ between the two sides, or that are on one side only, joined in
    the database: (nation_id, item_id, on side a, *a's FROZEN_COLUMNS, on side b, *b's, how many pairs
    changed), largest change of shortfall first, then nation code, item name; ``limit`` of them from ``offset``. One
    query."""
    connection = connections[SnapshotRow.objects.db]
    qn = connection.ops.quote_name
    ctes = _side("a", scope=scope, snapshot=a) + _side("b", scope=scope, snapshot=b)
    differs = " OR ".join(f"a.{c} IS DISTINCT FROM b.{c}" for c in FROZEN_COLUMNS)
    a_cols = ", ".join(f"a.{c} AS a_{c}" for c in FROZEN_COLUMNS)
    b_cols = ", ".join(f"b.{c} AS b_{c}" for c in FROZEN_COLUMNS)
    changed = (
        "SELECT COALESCE(a.nation_id, b.nation_id) AS nation_id, COALESCE(a.item_id, b.item_id) AS item_id, "
        f"CASE WHEN a.nation_id IS NULL THEN 0 ELSE 1 END AS in_a, {a_cols}, "
        f"CASE WHEN b.nation_id IS NULL THEN 0 ELSE 1 END AS in_b, {b_cols} "
        "FROM a FULL OUTER JOIN b ON a.nation_id = b.nation_id AND a.item_id = b.item_id "
        f"WHERE a.nation_id IS NULL OR b.nation_id IS NULL OR {differs}"
    )
    ctes.append(("changed", changed, []))
    nation, item = Nation._meta, Item._meta
    selected = ", ".join(["c.nation_id", "c.item_id", "c.in_a", *(f"c.a_{c}" for c in FROZEN_COLUMNS),
                          "c.in_b", *(f"c.b_{c}" for c in FROZEN_COLUMNS)])
    sql = (
        "WITH " + ", ".join(f"{head} AS ({body})" for head, body, _ in ctes)
        + f" SELECT {selected}, COUNT(*) OVER () FROM changed c"
        f" JOIN {qn(nation.db_table)} n ON n.{qn(nation.pk.column)} = c.nation_id"
        f" JOIN {qn(item.db_table)} i ON i.{qn(item.pk.column)} = c.item_id"
        " ORDER BY ABS(COALESCE(c.b_shortfall, 0) - COALESCE(c.a_shortfall, 0)) DESC,"
        f" n.{qn(nation.get_field('code').column)}, i.{qn(item.get_field('name').column)}, c.nation_id, c.item_id"
    )
    params = [p for _, _, ps in ctes for p in ps]
    if limit is not None:
        sql += " LIMIT %s"
        params.append(limit)
    if offset:
        sql += " OFFSET %s" if limit is not None else (" LIMIT -1 OFFSET %s" if connection.vendor == "sqlite"
                                                          else " OFFSET %s")
        params.append(offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _frozen_converter(connection):
    """Turns one side's FROZEN_COLUMNS, as the database returns them, into a FrozenPair (the field's own
    converters: SQLite's dates and booleans)."""
    cols = [SnapshotRow._meta.get_field(name).get_col(SnapshotRow._meta.db_table) for name in FROZEN_COLUMNS]
    converters = [(col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)) for col in cols]

    def frozen(values) -> shortfalls.FrozenPair:
        out = []
        for value, (col, convs) in zip(values, converters, strict=True):
            for convert in convs:
                value = convert(value, col, connection)
            out.append(value)
        return shortfalls.FrozenPair(figures=tuple(out[:-2]), reported_on=out[-2], pledged=int(out[-1]))

    return frozen


def snapshot_compare(*, actor, a: Snapshot, b: Snapshot | None, limit: int | None = None, offset: int = 0
                     ) -> Comparison:
    """The pairs whose figures differ between snapshot ``a`` and snapshot ``b`` (None: today), the reader's
    own (a nation) or all (the cell), largest change of shortfall first (then nation code, item name), each
    with why (``shortfalls.change_reasons``): ``limit`` of them (None: all) from ``offset`` (a page), and how
    many changed (counted with the rows: 0 when ``offset`` is past the last).

    The database joins the two sides on (nation, item) and returns only the changed pairs and their count
    (``_changed_pairs``); the reasons are worked out for those rows only. Three queries at most, whatever the
    size: the changed pairs, then the nations and the items of the rows returned."""
    scope = _scope(actor)
    if scope.is_nobody:
        return Comparison(a=a, b=b, changes=[], total=0)
    rows = _changed_pairs(scope=scope, a=a, b=b, limit=limit, offset=offset)
    width = len(FROZEN_COLUMNS)
    nation_ids = {row[0] for row in rows}
    item_ids = {row[1] for row in rows}
    # Above a few hundred ids (an export of every change) the whole catalogue is one read (SQLite would split a
    # long IN list into several).
    nations = Nation.objects.in_bulk(nation_ids if len(nation_ids) <= 500 else None) if rows else {}
    items = Item.objects.in_bulk(item_ids if len(item_ids) <= 500 else None) if rows else {}
    frozen = _frozen_converter(connections[SnapshotRow.objects.db])
    b_day = b.as_of if b is not None else timezone.localdate()

    def result(pair: shortfalls.FrozenPair | None, on: dt.date):
        return None if pair is None else shortfalls.result_from_figures(pair.figures, on)

    changes = []
    for row in rows:
        before = frozen(row[3:3 + width]) if row[2] else None
        after = frozen(row[4 + width:4 + 2 * width]) if row[3 + width] else None
        changes.append(PairChange(nation=nations[row[0]], item=items[row[1]], before=result(before, a.as_of),
                                  after=result(after, b_day), reasons=shortfalls.change_reasons(before, after)))
    return Comparison(a=a, b=b, changes=changes, total=rows[0][-1] if rows else 0)
