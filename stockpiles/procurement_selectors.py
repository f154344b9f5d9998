"""Reads for joint procurement. Every function runs a fixed number of queries (pinned in the tests).

Records go through ``restrict(actor, "view")``: an agreement and its participants are read by
its lead nation, its participants and the cell; an order and its schedule by the ordering nation and
the cell. Figures that add up several nations' own records (demand, contracted quantities, national
production, call-offs under an agreement) are disclosed through ``coordination.disclosure`` like every other
aggregate (no rule of their own here). The numbers come from ``stockpiles.procurement`` and
``stockpiles.shortfalls`` only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from coordination import disclosure
from coordination.access import VIEW, Scope, scope_for
from coordination.models import Nation
from coordination.names import CategoryLabel, ItemLabel, sort_key
from pledges import fulfilment
from pledges.selectors import reader_pledges, recipient_gap_figures
from stockpiles import procurement, shortfalls
from stockpiles.engine import compute_isolated, latest_report_subquery, shortfall_inputs
from stockpiles.models import (
    AgreementParticipant,
    CurrentStock,
    FrameworkAgreement,
    Order,
    OrderScheduleLine,
    ProductionRate,
)
from stockpiles.selectors import (
    NationPosition,
    StoredFigures,
    nation_shortfall_totals,
    reader_positions,
    stored_figures,
    stored_items,
)

logger = logging.getLogger(__name__)


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


def _pk(obj) -> int | None:
    return getattr(obj, "pk", obj)


def _today() -> dt.date:
    return timezone.localdate()


# --- Agreements ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParticipantRow:
    participant: AgreementParticipant
    planned: int
    ordered: int | None  # None: another participant's call-offs, not shown to this viewer
    ordered_share: float | None  # ordered / planned


@dataclass(frozen=True)
class AgreementRow:
    agreement: FrameworkAgreement
    participants: list[ParticipantRow]
    ceiling: int
    planned: int
    ordered: int | None  # Σ non-cancelled call-offs; None when suppressed for this viewer
    ordered_share: float | None  # ordered / ceiling
    remaining: int | None
    reason: str | None = None  # why the totals are hidden from this viewer (``coordination.disclosure``)

    @property
    def suppressed(self) -> bool:
        return self.reason is not None

    @property
    def note(self) -> str:
        return disclosure.reason_text(self.reason) if self.reason else ""


def agreement_list(*, actor, item=None, as_of: dt.date | None = None,
                   order_rows: list[procurement.OrderFacts] | None = None) -> list[AgreementRow]:
    """Agreements the actor may see, with participants and utilisation (ordered vs ceiling, per
    participant and in total). Three queries (agreements, participants, call-off totals); two with
    ``order_rows`` (``order_facts``: every order with its date, read once for the page).

    For a past ``as_of``: the agreements valid then (from ``valid_from`` to ``valid_to``), the participants
    that had joined by then, and the call-offs placed by then.

    The cell and the lead nation see every participant's call-offs. Another participant sees its own,
    and the total only as ``coordination.disclosure`` allows (the call-offs of each nation as contributions).
    """
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    qs = FrameworkAgreement.objects.restrict(scope, VIEW).select_related("lead_nation", "item", "manufacturer")
    if item is not None:
        qs = qs.filter(item_id=_pk(item))
    if as_of is not None:
        qs = qs.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=as_of), valid_from__lte=as_of)
    agreements = list(qs.order_by("item__name", "name"))
    if not agreements:
        return []
    ids = [a.pk for a in agreements]
    participants: dict[int, list[AgreementParticipant]] = defaultdict(list)
    joined = AgreementParticipant.objects.filter(agreement_id__in=ids)
    placed = Order.objects.filter(agreement_id__in=ids)
    if as_of is not None:
        joined, placed = joined.filter(joined_on__lte=as_of), placed.filter(ordered_on__lte=as_of)
    for p in joined.select_related("nation").order_by("joined_on", "nation__code"):
        participants[p.agreement_id].append(p)
    orders: dict[int, list[procurement.OrderFacts]] = defaultdict(list)
    if order_rows is not None:  # the same call-off totals from the orders read once
        totals: dict[tuple[int, int, int], int] = defaultdict(int)
        for o in order_rows:
            if (o.agreement_id in ids and not o.cancelled
                    and (as_of is None or (o.ordered_on is not None and o.ordered_on <= as_of))):
                totals[(o.agreement_id, o.nation_id, o.item_id)] += o.quantity
        placed_totals = [(a, n, i, t) for (a, n, i), t in totals.items()]
    else:
        placed_totals = (placed.exclude(status=Order.Status.CANCELLED).order_by()
                         .values_list("agreement_id", "nation_id", "item_id").annotate(total=Sum("quantity")))
    for agreement_id, nation_id, item_id, total in placed_totals:
        orders[agreement_id].append(procurement.OrderFacts(order_id=0, nation_id=nation_id, item_id=item_id,
                                                           quantity=total, agreement_id=agreement_id))
    rows = []
    for a in agreements:
        members = participants.get(a.pk, [])
        use = procurement.agreement_utilisation(
            ceiling=a.ceiling_quantity,
            participants=[procurement.Participation(p.nation_id, p.planned_quantity) for p in members],
            orders=orders.get(a.pk, []),
        )
        sees_all = scope.is_cell or a.lead_nation_id == scope.nation_id
        reader = disclosure.Reader(nation_id=scope.nation_id, is_cell=sees_all)
        by_orderer: dict[int, int] = defaultdict(int)
        for o in orders.get(a.pk, []):
            by_orderer[o.nation_id] += o.quantity
        total = disclosure.disclose(use.ordered, by_orderer, reader)
        hidden = total.suppressed
        by_nation = {u.nation_id: u for u in use.participants}
        prow = []
        for p in members:
            u = by_nation[p.nation_id]
            visible = sees_all or p.nation_id == scope.nation_id
            prow.append(ParticipantRow(participant=p, planned=u.planned, ordered=u.ordered if visible else None,
                                       ordered_share=u.ordered_share if visible else None))
        rows.append(AgreementRow(
            agreement=a, participants=prow, ceiling=use.ceiling, planned=use.planned,
            ordered=total.value, ordered_share=None if hidden else use.ordered_share,
            remaining=None if hidden else use.remaining, reason=total.reason,
        ))
    return rows


# --- Orders and schedules --------------------------------------------------------------------------

def order_list(*, actor, nation=None, item=None, agreement=None, status: str | None = None) -> QuerySet[Order]:
    """Orders the actor may see (own nation's, or all for the cell), newest first, with their schedule.

    Two queries when evaluated (orders with nation, item, agreement, manufacturer; schedule lines).
    """
    qs = (Order.objects.restrict(_scope(actor), VIEW)
          .select_related("nation", "item", "agreement", "manufacturer").prefetch_related("schedule"))
    if nation is not None:
        qs = qs.filter(nation_id=_pk(nation))
    if item is not None:
        qs = qs.filter(item_id=_pk(item))
    if agreement is not None:
        qs = qs.filter(agreement_id=_pk(agreement))
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-ordered_on", "-pk")


@dataclass(frozen=True)
class ScheduledDelivery(ItemLabel):
    """A delivery schedule line with its order's figures; ``item_label``: the item's name in the reader's
    language (``coordination.names``)."""

    line_id: int
    due_on: dt.date
    quantity: int
    received_on: dt.date | None
    order_id: int
    order_reference: str
    order_status: str
    nation_id: int
    nation_code: str
    item_id: int
    item_name: str
    agreement_id: int | None
    agreement_name: str | None
    item_name_fr: str = ""
    ordered_on: dt.date | None = None  # the order's date (a past date's timeline: the orders placed by then)


def scheduled_deliveries(*, actor, item=None, nation=None, since: dt.date | None = None,
                         until: dt.date | None = None, include_received: bool = False) -> list[ScheduledDelivery]:
    """Delivery schedule lines of the orders the actor may see (not of cancelled orders), by due date:
    the timeline. Received lines only with ``include_received``. One query."""
    qs = (OrderScheduleLine.objects.restrict(_scope(actor), VIEW)
          .exclude(order__status=Order.Status.CANCELLED))
    if item is not None:
        qs = qs.filter(order__item_id=_pk(item))
    if nation is not None:
        qs = qs.filter(order__nation_id=_pk(nation))
    if since is not None:
        qs = qs.filter(due_on__gte=since)
    if until is not None:
        qs = qs.filter(due_on__lte=until)
    if not include_received:
        qs = qs.filter(received_on__isnull=True)
    rows = qs.order_by("due_on", "order__nation__code", "pk").values_list(
        "pk", "due_on", "quantity", "received_on", "order_id", "order__reference", "order__status",
        "order__nation_id", "order__nation__code", "order__item_id", "order__item__name", "order__agreement_id",
        "order__agreement__name", "order__item__name_fr", "order__ordered_on",
    )
    return [ScheduledDelivery(*row) for row in rows]


# --- Aggregated demand vs contracted vs capacity -----------------------------------------------------

@dataclass(frozen=True)
class ItemDemandRow(ItemLabel, CategoryLabel):
    """Per item: demand (nation shortfalls + the recipient's uncovered need) vs contracted vs capacity.

    A figure is None when ``coordination.disclosure.demand_figures`` hides it from this viewer;
    ``reasons`` names why (field name → reason code). ``item_label``/``category_label``: its names in the
    reader's language (``coordination.names``).
    """

    item_id: int
    item_name: str
    unit: str
    category_name: str
    nation_shortfall: int | None
    nations_short: int | None
    recipient_uncovered: int
    demand: int | None
    contracted: int | None
    gap: int | None
    contracted_share: float | None
    capacity_per_month: int | None
    months_of_capacity: int | None
    reasons: dict[str, str] = field(default_factory=dict)
    item_name_fr: str = ""
    category_name_fr: str = ""

    @property
    def suppressed(self) -> bool:
        return "nation_shortfall" in self.reasons or "contracted" in self.reasons

    @property
    def capacity_suppressed(self) -> bool:
        return "capacity_per_month" in self.reasons

    def note(self, name: str | None = None) -> str:
        """Why figure ``name`` (default: the first hidden one) is hidden, in the reader's language."""
        reason = self.reasons.get(name) if name else next(iter(self.reasons.values()), None)
        return disclosure.reason_text(reason) if reason else ""


def _capacity_rates(*, as_of: dt.date, item_ids=None) -> dict[int, list[procurement.CapacityRate]]:
    """The production rates (a nation's own and its lines') in force by ``as_of``, per item. One query."""
    qs = ProductionRate.objects.filter(effective_from__lte=as_of).order_by()
    if item_ids is not None:
        qs = qs.filter(item_id__in=set(item_ids))
    rates: dict[int, list[procurement.CapacityRate]] = defaultdict(list)
    for item_id, nation_id, line_id, units, start in qs.values_list(
        "item_id", "nation_id", "line_id", "units_per_month", "effective_from"
    ):
        rates[item_id].append(procurement.CapacityRate(nation_id, units, start, line_id))
    return rates


def capacity_in_force(*, as_of: dt.date | None = None, item_ids=None) -> dict[int, dict[int, int]]:
    """Industrial capacity per item and nation at a date (``procurement.capacity_by_nation``). One query."""
    on = as_of or _today()
    return {item_id: procurement.capacity_by_nation(series, on)
            for item_id, series in _capacity_rates(as_of=on, item_ids=item_ids).items()}


def _order_facts(*, as_of: dt.date, item_ids=None, placed_by: bool = True) -> list[procurement.OrderFacts]:
    """Every order placed by ``as_of`` (``placed_by`` False: every order, each with its ``ordered_on``) with
    what was received by then (for aggregates). One query."""
    qs = Order.objects.filter(ordered_on__lte=as_of) if placed_by else Order.objects.all()
    qs = qs.order_by()
    if item_ids is not None:
        qs = qs.filter(item_id__in=set(item_ids))
    rows = qs.values_list("pk", "nation_id", "item_id", "quantity", "status", "agreement_id", "ordered_on").annotate(
        received=Sum("schedule__quantity", filter=Q(schedule__received_on__lte=as_of))
    )
    return [
        procurement.OrderFacts(order_id=pk, nation_id=n, item_id=i, quantity=q, received=received or 0,
                               cancelled=status == Order.Status.CANCELLED, agreement_id=a, ordered_on=on)
        for pk, n, i, q, status, a, on, received in rows
    ]


def order_facts(*, as_of: dt.date | None = None) -> list[procurement.OrderFacts]:
    """Every order (for aggregates: the call-offs under agreements, the contracted quantities) with its date
    and what was received by ``as_of`` (today by default), read once for a page that shows both. One query."""
    return _order_facts(as_of=as_of or _today(), placed_by=False)


def procurement_overview(*, actor, as_of: dt.date | None = None, item=None,
                         order_rows: list[procurement.OrderFacts] | None = None) -> list[ItemDemandRow]:
    """Per item with any demand, contract or capacity: aggregated demand vs under contract vs capacity.

    Demand = Σ nation shortfalls (stored rows today, computed for a past date) + the recipient's
    uncovered requirement (``pledges.selectors.recipient_gaps``, the recipient-gap formula, as this
    viewer may see it). A fixed number of queries (pinned in the tests); one less with ``order_rows``
    (``order_facts`` for the same date, read once for the page; ``item`` None).
    """

    scope = _scope(actor)
    if scope.is_nobody:
        return []
    reader = disclosure.reader_of(scope)
    on = as_of or _today()
    item_ids = None if item is None else [_pk(item)]
    past = as_of is not None and as_of < _today()
    if scope.is_cell:  # every nation's shortfalls, summed per item by the database (no pair read)
        facts, positions = None, {}
        totals, known = nation_shortfall_totals(as_of=as_of if past else None, item_ids=item_ids)  # every item
    else:  # each position, for the disclosure rules: the pledges it may see (the gap) and the other donors' it
        # may not (rule c), one statement; every pair's stored figures with the items' names
        stored = stored_figures(as_of=as_of if past else None, item_ids=item_ids)
        pledges = reader_pledges(actor=scope, as_of=as_of if past else None, item=item)
        facts, positions = pledges.facts, reader_positions(stored.results, pledges.unseen)
        totals, known = {}, stored.items
    gaps: dict[int, list] = defaultdict(list)
    for gap in recipient_gap_figures(actor=scope, item=item, as_of=as_of if past else None, facts=facts):
        gaps[gap.item_id].append(gap)
    orders: dict[int, list[procurement.OrderFacts]] = defaultdict(list)
    if order_rows is None:
        order_rows = _order_facts(as_of=on, item_ids=item_ids)
    for o in order_rows:
        if o.ordered_on is None or o.ordered_on <= on:  # the caller's ``order_facts``: every order, dated
            orders[o.item_id].append(o)
    rates = _capacity_rates(as_of=on, item_ids=item_ids)

    wanted = set(positions) | set(totals) | set(gaps) | set(orders) | set(rates)
    # the items not read with the stored figures (the cell's: all): one query (none when there is none)
    items = {**known, **stored_items(wanted - set(known))}
    rows = []
    for item_id in wanted:
        it = items[item_id]
        d, f = demand_row(item_id=item_id, positions=positions.get(item_id, {}), totals=totals.get(item_id),
                          gaps=gaps.get(item_id, []), orders=orders.get(item_id, []), rates=rates.get(item_id, []),
                          on=on, reader=reader)
        if not f.listed:  # decided on the figures as this reader sees them (coordination.disclosure)
            continue
        rows.append(ItemDemandRow(
            item_id=item_id, item_name=it.name, unit=it.unit, category_name=it.category_name,
            item_name_fr=it.name_fr, category_name_fr=it.category_name_fr,
            nation_shortfall=f.nation_shortfall.value, nations_short=f.nations_short.value,
            recipient_uncovered=d.recipient_uncovered, demand=f.demand.value, contracted=f.contracted.value,
            gap=f.gap.value, contracted_share=f.contracted_share.value,
            capacity_per_month=f.capacity_per_month.value, months_of_capacity=f.months_of_capacity.value,
            reasons={key: fig.reason for key, fig in vars(f).items() if fig.reason},
        ))
    rows.sort(key=lambda r: (sort_key(r.category_label), sort_key(r.item_label)))
    return rows


def demand_row(*, item_id: int, positions: Mapping[int, NationPosition], gaps: Iterable[fulfilment.Gap],
               orders: Iterable[procurement.OrderFacts], rates: Iterable[procurement.CapacityRate], on: dt.date,
               reader: disclosure.Reader, totals: procurement.NationShortfalls | None = None
               ) -> tuple[procurement.ItemDemand, disclosure.DemandFigures]:
    """One item's demand row, exact (``procurement.aggregate_demand``) and as ``reader`` may see it
    (``disclosure.demand_figures``), from each nation's position as that reader computes it
    (``nation_positions``), the recipient gaps over the pledges it may see, the orders placed by ``on``
    (``OrderFacts``, every nation's) and the production rates in force (``_capacity_rates``, the item's).
    Pure: ``procurement_overview`` reads, this computes (the property test in
    tests/coordination/test_disclosure.py calls it).

    Contracted per nation: the outstanding quantity of its orders. Capacity per nation:
    ``procurement.capacity_by_nation``; a nation's own rate (no line for the item) is its national
    capacity, a figure of that nation; line capacity is not passed as a nation's figure.

    ``totals``: the nations' shortfalls already summed (``nation_shortfall_totals``), for the cell only: the
    disclosure rules of a nation's reader need each position."""
    if totals is not None and not reader.is_cell:
        raise ValueError("a nation's demand row is disclosed from each nation's position, not from totals")
    rates = list(rates)
    orders = list(orders)
    cap_by_nation = procurement.capacity_by_nation(rates, on)
    with_lines = {r.nation_id for r in rates if r.line_id is not None}
    demand = procurement.aggregate_demand(
        item_id=item_id, shortfalls=positions.values() if totals is None else totals, gaps=gaps,
        contracted=procurement.contracted_outstanding(orders), capacity_per_month=sum(cap_by_nation.values()),
    )
    contracted_by: dict[int, int] = defaultdict(int)
    for o in orders:
        contracted_by[o.nation_id] += o.outstanding
    figures = disclosure.demand_figures(
        shortfall={n: p.shortfall for n, p in positions.items()}, contracted=contracted_by,
        national_capacity={n: c for n, c in cap_by_nation.items() if n not in with_lines},
        recipient_uncovered=demand.recipient_uncovered, demand=demand, reader=reader,
        limits={n: p.limit for n, p in positions.items()},
    )
    return demand, figures


# --- Projection per nation for one item --------------------------------------------------------------

@dataclass(frozen=True)
class NationProjection:
    nation_id: int
    nation_code: str
    result: shortfalls.ShortfallResult
    points: list[shortfalls.ProjectionPoint] = field(default_factory=list)
    months_without_contracts: int | None = None  # ceil(shortfall / rate): the same function, no inflows
    recovers_on_without_contracts: dt.date | None = None


def item_projection(*, actor, item, as_of: dt.date | None = None, months: int = 24) -> list[NationProjection]:
    """Per nation the actor may see: available stock month by month for one item, with the contracted
    inflows of its orders' schedules and its own production (``shortfalls.recovery_projection``), and
    the recovery with and without the contracts. The engine's input queries plus one for nations."""

    scope = _scope(actor)
    if scope.is_nobody:
        return []
    on = as_of or _today()
    item_id = _pk(item)
    inputs = shortfall_inputs(pairs=None, as_of=on, item_id=item_id)
    computed, _failed = compute_isolated(  # a pair the engine cannot compute is left out (logged)
        {(n, i): inp for (n, i), inp in inputs.items() if i == item_id and (scope.is_cell or n == scope.nation_id)})
    # A nation that has not reported the item has nothing to project (its no_report row says so elsewhere).
    results = {n: r for (n, _i), r in computed.items() if r.status != shortfalls.NO_REPORT}
    nations = Nation.objects.in_bulk(results.keys())
    rows = [_projection(n, nations[n].code, r, on=on, months=months) for n, r in results.items()]
    rows.sort(key=lambda p: (-p.result.shortfall, p.nation_code))
    return rows


def _projection(nation_id: int, code: str, r: shortfalls.ShortfallResult, *, on: dt.date, months: int
                ) -> NationProjection:
    """One nation's projection row: month by month with its contracts, and when it would recover without them."""
    without = shortfalls.months_to_recover(r.shortfall, r.rate) if r.status == shortfalls.BELOW_GUIDELINE else None
    return NationProjection(
        nation_id=nation_id, nation_code=code, result=r, points=shortfalls.recovery_projection(r, months=months),
        months_without_contracts=without,
        recovers_on_without_contracts=shortfalls.add_months(on, without) if without else None,
    )


def order_ids_placed_by(*, actor, on: dt.date) -> set[int]:
    """Ids of the orders the actor may see that were placed on or before ``on``. One query."""
    return set(order_list(actor=actor).filter(ordered_on__lte=on).values_list("pk", flat=True))


def item_projection_stored(*, actor, item, stored: StoredFigures, nations, months: int = 24
                           ) -> list[NationProjection]:
    """``item_projection`` from figures already read for the page (``stored_figures`` of the same date, with
    ``nations`` by id): each nation's stored result for the item, with the contracted inflows of its orders'
    schedules counted by the engine's rule (``shortfalls.inflows_by_month``: placed by the date, not
    cancelled, not received before the stock report in use). One query: the schedule lines the reader may
    see, each with its pair's stock report date then."""
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    item_id = _pk(item)
    results = {n: r for (n, i), r in stored.visible(scope).items()
               if i == item_id and r.status != shortfalls.NO_REPORT}
    if not results:
        return []
    on = stored.as_of or _today()
    if on >= _today():
        report_day = Subquery(CurrentStock.objects.filter(nation_id=OuterRef("order__nation_id"), item_id=item_id)
                              .order_by("-as_of").values("as_of")[:1])
    else:
        report_day = latest_report_subquery(on, nation=OuterRef("order__nation_id"), item=item_id)
    lines = (OrderScheduleLine.objects.restrict(scope, VIEW)
             .filter(order__item_id=item_id, order__ordered_on__lte=on, order__nation_id__in=results.keys())
             .exclude(order__status=Order.Status.CANCELLED).order_by()
             .annotate(_reported_on=report_day))
    inflows: dict[int, list[shortfalls.ScheduledInflow]] = defaultdict(list)
    reported_on: dict[int, dt.date | None] = {}
    for n, due, q, received, reported in lines.values_list("order__nation_id", "due_on", "quantity", "received_on",
                                                           "_reported_on"):
        inflows[n].append(shortfalls.ScheduledInflow(due, q, received_on=received))
        reported_on[n] = reported
    rows = []
    for n, r in results.items():
        try:
            by_month = shortfalls.inflows_by_month(inflows.get(n, ()), on, reported_on.get(n))
        except (ValueError, OverflowError):  # a schedule line no month reaches (year 9999): as the engine, skip it
            logger.warning("Projection: nation %s, item %s has a schedule line beyond the calendar", n, item_id)
            continue
        r = replace(r, as_of=on, inflow_by_month=tuple(sorted(by_month.items())))
        rows.append(_projection(n, nations[n].code, r, on=on, months=months))
    rows.sort(key=lambda p: (-p.result.shortfall, p.nation_code))
    return rows
