"""Reads for frozen briefing snapshots: the list, one snapshot's figures, and the comparison of two
snapshots (or a snapshot with today): what changed, by nation and item, and why. Fixed query counts.

A nation reads the snapshots' names and dates, and its own rows only; other nations' figures in a snapshot
reach it only as aggregates through ``coordination.disclosure`` (the overview opened on a snapshot).
The cell reads everything. Rules: docs/history.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def pairs_frozen(*, as_of: dt.date | None = None, scope: Scope | None = None) -> dict[Pair, shortfalls.FrozenPair]:
    """Every pair's figures as of a date (today: the stored rows; a past date: the history) with what they
    came from: the date of the stock report in use and the quantity pledged from national stock. What a
    snapshot freezes, and "today" in a comparison. ``scope`` None: every pair (the snapshot service).
    Three queries."""
    today = timezone.localdate()
    day = today if as_of is None or as_of >= today else as_of

    def restricted(model):
        return model.objects.all() if scope is None else model.objects.restrict(scope, VIEW)

    if day == today:
        figures = restricted(Shortfall).order_by().values_list("nation_id", "item_id", *FIGURES)
        reported = dict(((n, i), d) for n, i, d in
                        restricted(CurrentStock).order_by().values_list("nation_id", "item_id", "as_of"))
    else:
        figures = (restricted(ShortfallVersion).filter(valid_from__lte=day).exclude(valid_to__lte=day)
                   .order_by().values_list("nation_id", "item_id", *FIGURES))
        latest = (restricted(StockReport).filter(as_of__lte=day).order_by().values("nation_id", "item_id")
                  .annotate(d=Max("as_of")))
        reported = {(row["nation_id"], row["item_id"]): row["d"] for row in latest}
    pledges = (Pledge.objects.filter(source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=day)
               .exclude(status=Pledge.Status.CANCELLED).order_by())
    if scope is not None and not scope.is_cell:
        pledges = pledges.filter(donor_id=scope.nation_id)
    pledged = {(row["donor_id"], row["item_id"]): row["q"]
               for row in pledges.values("donor_id", "item_id").annotate(q=Sum("quantity"))}
    return {
        (n, i): shortfalls.FrozenPair(figures=tuple(values), reported_on=reported.get((n, i)),
                                      pledged=int(pledged.get((n, i)) or 0))
        for n, i, *values in figures
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
    changes: list[PairChange]

    @property
    def b_as_of(self) -> dt.date:
        return self.b.as_of if self.b is not None else timezone.localdate()


def snapshot_compare(*, actor, a: Snapshot, b: Snapshot | None) -> Comparison:
    """The pairs whose figures differ between snapshot ``a`` and snapshot ``b`` (None: today), the reader's
    own (a nation) or all (the cell), largest change of shortfall first, each with why
    (``shortfalls.change_reasons``). Four queries (five against today): both sides, nations, items."""
    scope = _scope(actor)
    before = snapshot_pairs(actor=scope, snapshot=a)
    after = snapshot_pairs(actor=scope, snapshot=b) if b is not None else pairs_frozen(scope=scope)
    changed = [pair for pair in before.keys() | after.keys() if before.get(pair) != after.get(pair)]
    nations = Nation.objects.in_bulk({n for n, _ in changed}) if changed else {}
    items = Item.objects.in_bulk({i for _, i in changed}) if changed else {}

    def result(frozen: shortfalls.FrozenPair | None, on: dt.date):
        return None if frozen is None else shortfalls.result_from_figures(frozen.figures, on)

    b_day = b.as_of if b is not None else timezone.localdate()
    changes = [
        PairChange(nation=nations[n], item=items[i], before=result(before.get((n, i)), a.as_of),
                   after=result(after.get((n, i)), b_day),
                   reasons=shortfalls.change_reasons(before.get((n, i)), after.get((n, i))))
        for n, i in changed
    ]
    changes.sort(key=lambda c: (-abs(c.shortfall_delta), c.nation.code, c.item.name))
    return Comparison(a=a, b=b, changes=changes)
