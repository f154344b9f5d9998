"""Reads for the sourcing planner: who can give how much of an item, when, without going below guideline,
and what a draft pledge would do before it is saved. Rules: docs/sourcing.md.

The figures are the engine's (``stockpiles.engine.shortfall_inputs`` + ``stockpiles.shortfalls``),
arranged by the pure planner ``stockpiles.sourcing``. A fixed number of queries per call (pinned in
tests/stockpiles/test_sourcing_selectors.py).

Access: the cell sees every ally. A nation sees its own headroom; other nations' figures never; the
month-by-month total of headroom as ``coordination.disclosure.series_figures`` allows; and a split
computed from its own headroom and those shown totals (the others taken together), shown only when
month 0's total is (``plan_from_results``): its own lines and the split's totals, never another
nation's line. A nation runs the what-if of its own pledges only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from coordination import disclosure
from coordination.access import VIEW, Scope, scope_for
from coordination.models import Item, Nation
from pledges import fulfilment
from pledges import selectors as pledge_selectors
from pledges.models import Pledge, Requirement
from stockpiles import shortfalls, sourcing
from stockpiles.engine import shortfall_inputs


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


def _pk(obj) -> int:
    return getattr(obj, "pk", obj)


def horizon_months() -> int:
    return max(1, int(settings.SOURCING_HORIZON_MONTHS))


def _num(value: int) -> str:
    return formats.number_format(value, decimal_pos=0, use_l10n=True, force_grouping=True)


# --- Headroom and the proposed split -------------------------------------------------------------------

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AllyHeadroom:
    nation: Nation
    headroom: sourcing.Headroom

    @property
    def result(self) -> shortfalls.ShortfallResult:
        return self.headroom.result


@dataclass(frozen=True)
class PlanLine:
    nation: Nation
    line: sourcing.SplitLine
    explanation: str


@dataclass(frozen=True)
class SourcingPlan:
    item: Item
    as_of: dt.date
    horizon: int
    months: list[dt.date]  # the date of months 0..horizon
    need: int
    need_source: str  # "quantity" (asked) or "requirement" (the recipients' uncovered need the viewer sees)
    rows: list[AllyHeadroom]  # allies with known headroom the viewer may see, most headroom now first
    unknown: list[AllyHeadroom]  # no report or no guideline: listed apart, never as 0
    split: sourcing.Split | None  # None: hidden from this viewer
    lines: list[PlanLine] = field(default_factory=list)  # the split's lines this viewer may see
    totals_by_month: list[int | None] | None = None  # Σ headroom of every ally per month (None: hidden)
    totals_notes: list[str] = field(default_factory=list)  # per month: why that total is hidden ('' shown)
    totals_reasons: list[str | None] = field(default_factory=list)  # per month: the reason code (None: shown)
    others_hidden: bool = False  # a nation: other nations' rows are not shown
    split_suppressed: bool = False  # a nation: the split rests on too few other nations to show


def _nation_label(nation: Nation) -> str:
    return nation.code


def explain(line: sourcing.SplitLine, nation: Nation) -> str:
    """One line of the split in words: "FRA: 40,000 now, from headroom 40,000"."""
    values = {"code": _nation_label(nation), "quantity": _num(line.quantity), "headroom": _num(line.headroom),
              "on": line.on.isoformat(), "month": line.month, "production": _num(line.production),
              "contracted": _num(line.contracted), "earlier": _num(line.given_before)}
    if line.reason == sourcing.NOW:
        text = _("%(code)s: %(quantity)s now, from headroom %(headroom)s") % values
    elif line.reason == sourcing.PRODUCTION:
        text = _("%(code)s: %(quantity)s from %(on)s (month %(month)s), when its own production "
                 "(%(production)s by then) raises its headroom to %(headroom)s") % values
    elif line.reason == sourcing.CONTRACTED:
        text = _("%(code)s: %(quantity)s from %(on)s (month %(month)s), when contracted deliveries "
                 "(%(contracted)s by then) raise its headroom to %(headroom)s") % values
    else:
        text = _("%(code)s: %(quantity)s from %(on)s (month %(month)s), when its own production "
                 "(%(production)s) and contracted deliveries (%(contracted)s) raise its headroom to "
                 "%(headroom)s") % values
    if line.given_before:
        text += " " + _("(%(earlier)s of it in earlier lines)") % values
    return text


def _results(*, item_id: int, nation_ids, as_of: dt.date, allies=None, owed=None
             ) -> dict[int, tuple[shortfalls.ShortfallResult, bool]]:
    """The engine's result per given nation for the item, and whether the pair has inputs of its own (a report,
    a rate, a national-stock pledge, a schedule line). A pair the engine cannot compute is left out (logged by
    ``compute_isolated``), as in every other read. ``owed``: the pledges owed, when read (``shortfall_inputs``)."""
    inputs = shortfall_inputs(pairs=[(n, item_id) for n in nation_ids], as_of=as_of, allies=allies, owed=owed)
    results: dict[int, tuple[shortfalls.ShortfallResult, bool]] = {}
    for (n, _i), inp in inputs.items():
        try:
            result = shortfalls.compute_shortfall(inp)
        except Exception:  # one bad input row never stops the planner: that ally is left out, logged
            logger.exception("Sourcing: could not compute nation %s, item %s", n, item_id)
            continue
        results[n] = (result, bool(inp.stock or inp.rates or inp.pledges or inp.inflows))
    return results


def _candidates(nations: Mapping[int, Nation]) -> list[Nation]:
    """Who may give: every nation but the recipients."""
    return sorted((n for n in nations.values() if n.role != Nation.Role.RECIPIENT), key=lambda n: n.code)


def uncovered_need(*, actor, item: Item | int, as_of: dt.date | None = None,
                   nations: Mapping[int, Nation] | None = None,
                   facts: list[fulfilment.PledgeFacts] | None = None) -> int:
    """The recipients' uncovered requirement of the item (required − pledged), over the pledges the viewer
    may see (``pledges.selectors.recipient_gaps``; ``facts``: those pledges of the item, when read)."""
    gaps = pledge_selectors.recipient_gap_figures(actor=actor, item=item, as_of=as_of, facts=facts)
    return sum(g.uncovered for g in gaps)


def sourcing_plan(*, actor, item: Item, quantity: int | None = None, as_of: dt.date | None = None,
                  nations: Mapping[int, Nation] | None = None) -> SourcingPlan:
    """Headroom of every ally for ``item`` now and over the horizon, the earliest date each could give
    ``quantity`` (default: the recipients' uncovered need), and the proposed split.

    Queries: nations (unless given); the item's pledges in one statement (``pledges.selectors.reader_pledges``:
    those the engine counts as owed, with their shipments as of a past date; those the reader may see, for the
    recipients' gap; for a nation, the other donors' pledges it may not see, rule c); the engine's other inputs
    for the item (current stock or the report history, guidelines, rates, schedule lines); without ``quantity``
    the recipients' requirements.
    """
    scope = _scope(actor)
    on = as_of or timezone.localdate()
    horizon = horizon_months()
    months = [shortfalls.add_months(on, m) for m in range(horizon + 1)]
    if scope.is_nobody:
        return SourcingPlan(item=item, as_of=on, horizon=horizon, months=months, need=0, need_source="quantity",
                            rows=[], unknown=[], split=None, others_hidden=True, split_suppressed=True)
    nations = nations if nations is not None else Nation.objects.in_bulk()
    # the item's pledges, read once: owed (the engine), seen (the gap), unseen (rule c: left out below)
    pledges = pledge_selectors.reader_pledges(actor=scope, as_of=as_of, item=item, owed=True)
    if quantity is None:
        need = uncovered_need(actor=scope, item=item, as_of=as_of, nations=nations, facts=pledges.facts)
        need_source = "requirement"
    else:
        need, need_source = quantity, "quantity"
    candidates = _candidates(nations)
    computed = _results(item_id=item.pk, nation_ids=[n.pk for n in candidates], as_of=on,
                        allies=[n.pk for n in candidates if n.role == Nation.Role.ALLY], owed=pledges.owed)
    unseen = pledges.unseen  # empty for the cell
    return plan_from_results(item=item, as_of=on, need=need, need_source=need_source, nations=nations,
                             computed=computed, unseen=unseen, reader=disclosure.reader_of(scope), horizon=horizon)


OTHERS = 0  # the other nations taken together in a nation's split (no nation has id 0)


def _others_headroom(by_month: Sequence[int], *, as_of: dt.date) -> sourcing.Headroom:
    """The other nations together as one ally whose headroom by month is ``by_month``."""
    result = shortfalls.ShortfallResult(as_of=as_of, status=shortfalls.OK, on_hand=None, guideline=None, owed=0,
                                        available=None, shortfall=0, coverage=None, rate=None,
                                        months_to_recover=None, not_recovering=False)
    return sourcing.Headroom(nation_id=OTHERS, result=result, known=True, now=by_month[0], by_month=tuple(by_month))


def plan_from_results(*, item: Item, as_of: dt.date, need: int, need_source: str, nations: Mapping[int, Nation],
                      computed: Mapping[int, tuple[shortfalls.ShortfallResult, bool]],
                      unseen: Mapping[tuple[int, int], int],
                      reader: disclosure.Reader, horizon: int | None = None) -> SourcingPlan:
    """The plan as ``reader`` sees it, from the engine's result per candidate nation (and whether the pair has
    inputs of its own) and the owed quantities it may not see (``unseen``, per (nation, item)). Pure: no query
    (``sourcing_plan`` reads; the property test in tests/coordination/test_disclosure.py calls this).

    The cell sees every nation and the split. A nation sees its own headroom, the month-by-month total
    through ``disclosure.series_figures``, and a split computed **from those shown figures** (its own
    headroom and the others' together, ``disclosure.others_from_shown``), never from the others' exact
    figures: the covered quantity, the date and its own lines of a split over the exact figures would
    give back, with the quantity asked varied, the exact totals the series shows only rounded."""
    on = as_of
    horizon = horizon_months() if horizon is None else horizon
    months = [shortfalls.add_months(on, m) for m in range(horizon + 1)]
    computed = {n: (shortfalls.without_owed(r, unseen.get((n, item.pk), 0)), own) for n, (r, own) in computed.items()}
    known: list[AllyHeadroom] = []
    unknown: list[AllyHeadroom] = []
    for nation in _candidates(nations):
        if nation.pk not in computed:
            continue
        result, own = computed[nation.pk]
        if not own and nation.role != Nation.Role.ALLY:
            continue  # a partner with nothing of its own for the item is not a candidate
        h = sourcing.headroom(nation.pk, result, horizon=horizon, quantity=need if need > 0 else None)
        (known if h.known else unknown).append(AllyHeadroom(nation=nation, headroom=h))
    known.sort(key=lambda r: (-(r.headroom.now or 0), -(r.headroom.at_horizon or 0), r.nation.code))
    by_id = {r.nation.pk: r.nation for r in known}
    if reader.is_cell:
        split = sourcing.propose_split([r.headroom for r in known], need=need, horizon=horizon, as_of=on)
        totals = [sum(r.headroom.by_month[m] for r in known) for m in range(horizon + 1)]
        lines = [PlanLine(nation=by_id[ln.nation_id], line=ln, explanation=explain(ln, by_id[ln.nation_id]))
                 for ln in split.lines]
        return SourcingPlan(item=item, as_of=on, horizon=horizon, months=months, need=need, need_source=need_source,
                            rows=known, unknown=unknown, split=split, lines=lines, totals_by_month=totals)
    own_id = reader.nation_id
    # The month totals are shown together: each month on its own contributors, and its change since every
    # earlier month shown too (coordination.disclosure.series_figures), so the slope never gives one
    # nation's production.
    by_nation = [(r.nation.pk, r.headroom.by_month) for r in known]
    series = disclosure.series_figures([{n: by_month[m] for n, by_month in by_nation} for m in range(horizon + 1)],
                                       reader)
    shown_totals = [f.value for f in series]
    mine = [r for r in known if r.nation.pk == own_id]
    own_by_month = list(mine[0].headroom.by_month) if mine else [0] * (horizon + 1)
    others = disclosure.others_from_shown(series, own_by_month)
    split, lines = None, []
    if others is not None:
        split = sourcing.propose_split([*(r.headroom for r in mine), _others_headroom(others, as_of=on)],
                                       need=need, horizon=horizon, as_of=on)
        lines = [PlanLine(nation=by_id[ln.nation_id], line=ln, explanation=explain(ln, by_id[ln.nation_id]))
                 for ln in split.lines if ln.nation_id == own_id]
    return SourcingPlan(
        item=item, as_of=on, horizon=horizon, months=months, need=need, need_source=need_source,
        rows=mine, unknown=[r for r in unknown if r.nation.pk == own_id],
        split=split, lines=lines,
        totals_by_month=None if all(t is None for t in shown_totals) else shown_totals,
        totals_notes=[f.note for f in series], totals_reasons=[f.reason for f in series],
        others_hidden=True, split_suppressed=split is None,
    )


# --- What-if of a draft pledge ---------------------------------------------------------------------------

@dataclass(frozen=True)
class GapChange:
    recipient: Nation
    before: fulfilment.Gap
    after: fulfilment.Gap


@dataclass(frozen=True)
class WhatIfView:
    donor: Nation
    item: Item
    recipient: Nation | None
    source: str
    due_on: dt.date | None
    what_if: sourcing.WhatIf
    gap: GapChange | None  # None: the recipient has no requirement of the item
    replaces: int | None = None  # the saved pledge the draft changes ("before": as saved)

    @property
    def counted_as_owed(self) -> bool:
        return self.what_if.draft.from_national_stock and not self.what_if.draft.cancelled


def default_recipient(*, item: Item | int, nations: Mapping[int, Nation]) -> Nation | None:
    """The recipient a draft pledge goes to when none is named: the one with a requirement of the item,
    else the only recipient nation. One query."""
    ids = set(Requirement.objects.filter(item_id=_pk(item)).order_by().values_list("recipient_id", flat=True))
    recipients = [n for n in nations.values() if n.role == Nation.Role.RECIPIENT]
    with_need = [n for n in recipients if n.pk in ids]
    pool = with_need or recipients
    return min(pool, key=lambda n: n.code) if len(pool) >= 1 else None


def _saved_pledge(scope: Scope, pledge_id: int) -> dict:
    """The saved pledge a draft changes, as the database has it; a nation only its own (else
    ``PermissionDenied``). One query."""
    row = (Pledge.objects.restrict(scope, VIEW).filter(pk=pledge_id)
           .values("pk", "donor_id", "recipient_id", "item_id", "quantity", "source", "status", "announced_on",
                   "shipped_quantity", "delivered_quantity").first())
    if row is None or (not scope.is_cell and row["donor_id"] != scope.nation_id):
        raise PermissionDenied(_("You may only try your own nation's pledges."))
    return row


def _owed(row: dict, on: dt.date) -> shortfalls.OwedPledge | None:
    """A saved pledge as the engine's inputs hold it (``stockpiles.engine``: national stock, not cancelled,
    announced by the date), else None."""
    if (row["source"] != Pledge.Source.NATIONAL_STOCK or row["status"] == Pledge.Status.CANCELLED
            or row["announced_on"] > on):
        return None
    return shortfalls.OwedPledge(row["quantity"], row["shipped_quantity"])


def _pledged(*, quantity: int, delivered: int, cancelled: bool) -> int:
    """What a pledge counts as pledged in a recipient gap (``fulfilment.effective_quantity``)."""
    return fulfilment.effective_quantity(fulfilment.PledgeFacts(
        pledge_id=0, donor_id=0, recipient_id=0, item_id=0, quantity=quantity, delivered=delivered,
        cancelled=cancelled))


def sourcing_what_if(*, actor, donor: Nation, item: Item, quantity: int, source: str,
                     due_on: dt.date | None = None, recipient: Nation | None = None,
                     nations: Mapping[int, Nation] | None = None, replaces: int | None = None,
                     cancelled: bool = False) -> WhatIfView:
    """The donor's shortfall, coverage and months to recover before and after a draft pledge, and the
    recipient's gap before and after. Writes nothing. A nation only for its own pledges (else
    ``PermissionDenied``).

    ``replaces``: the id of the saved pledge the draft changes (the admin's change form): "before" is
    with that pledge as saved, "after" with the draft in its place (its shipped and delivered quantities
    stay with it). ``cancelled``: the draft's status is cancelled (owed nothing; pledged what was
    delivered).

    The recipient's gap is over the pledges the reader may see (``pledges.selectors.recipient_gaps``:
    another donor's restricted pledge never enters a nation's figure, disclosure rule (c)).

    Queries: the engine's inputs for the one pair; the recipient gaps (requirements, pledges, items);
    plus nations and the default recipient when not given, and the saved pledge with ``replaces``."""
    scope = _scope(actor)
    if not scope.is_cell and donor.pk != scope.nation_id:
        raise PermissionDenied(_("You may only try your own nation's pledges."))
    if source not in Pledge.Source.values:
        raise ValueError(f"unknown pledge source {source!r}")
    saved = _saved_pledge(scope, replaces) if replaces is not None else None
    on = timezone.localdate()
    pair = (donor.pk, item.pk)
    inputs = shortfall_inputs(pairs=[pair], as_of=on)[pair]
    draft = sourcing.DraftPledge(quantity=quantity, from_national_stock=source == Pledge.Source.NATIONAL_STOCK,
                                 due_on=due_on, shipped=saved["shipped_quantity"] if saved else 0,
                                 cancelled=cancelled)
    same_pair = saved is not None and (saved["donor_id"], saved["item_id"]) == pair
    result = sourcing.what_if(inputs, draft, replaces=_owed(saved, on) if same_pair else None)
    if recipient is None:
        nations = nations if nations is not None else Nation.objects.in_bulk()
        recipient = default_recipient(item=item, nations=nations)
    gap = None
    if recipient is not None:
        rows = pledge_selectors.recipient_gaps(actor=scope, recipient=recipient, item=item,
                                               nations={recipient.pk: recipient})
        if rows:
            before = rows[0].gap
            delivered = saved["delivered_quantity"] if saved else 0
            pledged = before.pledged + _pledged(quantity=quantity, delivered=delivered, cancelled=cancelled)
            reached = before.delivered + min(delivered, quantity)
            if saved is not None and (saved["recipient_id"], saved["item_id"]) == (recipient.pk, item.pk):
                pledged -= _pledged(quantity=saved["quantity"], delivered=delivered,
                                    cancelled=saved["status"] == Pledge.Status.CANCELLED)
                reached -= min(delivered, saved["quantity"])
            after = fulfilment.Gap(recipient_id=before.recipient_id, item_id=before.item_id, required=before.required,
                                   pledged=pledged, delivered=reached)
            gap = GapChange(recipient=recipient, before=before, after=after)
    return WhatIfView(donor=donor, item=item, recipient=recipient, source=source, due_on=due_on, what_if=result,
                      gap=gap, replaces=replaces)
