"""Reads for pledges, deliveries, requirements and training. Each runs a bounded number of queries (stated on each).

Records a user reads go through ``restrict(actor, "view")``; the numbers come from
``pledges.fulfilment`` only. ``recipient_gaps`` is an alliance aggregate over every pledge.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import reduce

from django.db.models import BooleanField, Case, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact
from django.utils import timezone

from coordination import disclosure
from coordination.access import VIEW, Scope, scope_for
from coordination.dates import end_of_day
from coordination.models import Item, Nation
from coordination.names import sort_key
from pledges import aggregates, fulfilment
from pledges.models import AidFlow, Delivery, Pledge, Releasability, Requirement, TrainingCommitment

_FACT_FIELDS = (
    "pk", "donor_id", "recipient_id", "item_id", "quantity", "delivered_quantity", "value_eur",
    "item__unit_value_eur", "due_on", "status",
)


def _scope(actor) -> Scope:
    return actor if isinstance(actor, Scope) else scope_for(actor)


def _today() -> dt.date:
    return timezone.localdate()


def _pk(obj) -> int | None:
    return getattr(obj, "pk", obj)


def _nations(given: Mapping[int, Nation] | None, ids) -> Mapping[int, Nation]:
    """The nations by id: the caller's (read once per request), else one query for ``ids``."""
    return given if given is not None else Nation.objects.in_bulk(ids)


def _shipped(qs):
    """Deliveries that count as shipped, with the day they count from: ``shipped_on``, or ``delivered_on``
    when no ship date was given (the one statement of that rule)."""
    return qs.filter(status__in=Delivery.SHIPPED).annotate(shipped_day=Coalesce("shipped_on", "delivered_on"))


def shipped_by_pledge_as_of(*, pledge_ids: Sequence[int] | None, as_of: dt.date, deliveries=None) -> dict[int, int]:
    """Quantity shipped per pledge on a past date: non-cancelled deliveries shipped on or before it.
    ``pledge_ids`` None: every pledge (of ``deliveries`` when given, a Delivery queryset that narrows them).

    A delivery counts as shipped on ``shipped_on`` (or ``delivered_on`` when no ship date was given).
    """
    if pledge_ids is not None and not pledge_ids:
        return {}
    qs = Delivery.objects.all() if deliveries is None else deliveries
    if pledge_ids is not None:
        qs = qs.filter(pledge_id__in=pledge_ids)
    rows = _shipped(qs).filter(shipped_day__lte=as_of).order_by().values("pledge_id").annotate(total=Sum("quantity"))
    return {r["pledge_id"]: r["total"] for r in rows}


def shipped_between(*, after: dt.date, until: dt.date, deliveries=None):
    """Deliveries that count as shipped on a day in (after, until], as ``(pledge_id, day, quantity)`` in
    day order, streamed (the history rebuild walks them date by date)."""
    qs = Delivery.objects.all() if deliveries is None else deliveries
    return (_shipped(qs).filter(shipped_day__gt=after, shipped_day__lte=until).order_by("shipped_day", "pk")
            .values_list("pledge_id", "shipped_day", "quantity").iterator(chunk_size=20_000))


def delivered_by_pledge_as_of(*, pledge_ids: Sequence[int], as_of: dt.date) -> dict[int, int]:
    """Quantity delivered per pledge on a past date: delivered/confirmed deliveries with ``delivered_on <= as_of``."""
    if not pledge_ids:
        return {}
    rows = (
        Delivery.objects.filter(pledge_id__in=pledge_ids, status__in=Delivery.DELIVERED, delivered_on__lte=as_of)
        .values("pledge_id")
        .annotate(total=Sum("quantity"))
    )
    return {r["pledge_id"]: r["total"] for r in rows}


def _delivered_then(as_of: dt.date):
    """Per pledge (a correlated sum): its delivered quantity on a past date (``delivered_by_pledge_as_of``'s rule)."""
    return (Delivery.objects.filter(pledge_id=OuterRef("pk"), status__in=Delivery.DELIVERED, delivered_on__lte=as_of)
            .order_by().values("pledge_id").annotate(total=Sum("quantity")).values("total"))


def _delivered_since(as_of: dt.date):
    """Per pledge: the deliveries in its stored ``delivered_quantity`` that ``_delivered_then`` leaves out (delivered
    after ``as_of``, or with no date). A pledge without any has the same delivered quantity then as today."""
    return Delivery.objects.filter(pledge_id=OuterRef("pk"), status__in=Delivery.DELIVERED).exclude(
        delivered_on__lte=as_of)


def _delivered_then_split(as_of: dt.date) -> tuple[Exists, Coalesce]:
    """(condition, expression): the pledges whose delivered quantity on ``as_of`` differs from their stored one
    (a delivery since), and for those the correlated sum as of then. The others' figure then is the stored one,
    so the sum is evaluated only where it is needed."""
    return Exists(_delivered_since(as_of)), Coalesce(Subquery(_delivered_then(as_of)), Value(0))


def pledge_totals_then(qs, *, as_of: dt.date, key: str | None, values: bool = True
                       ) -> list[tuple[object, fulfilment.PledgeTotals]]:
    """``aggregates.pledge_totals_by`` on a past date: the pledges of ``qs`` with their deliveries as of then
    (``_delivered_then_split``). One query (more when delivered values need rounding)."""
    return aggregates.pledge_totals_by(qs, on=as_of, key=key, values=values, delivered=_delivered_then_split(as_of))


def _facts(rows: list[dict], *, delivered: dict[int, int] | None = None) -> list[fulfilment.PledgeFacts]:
    return [
        fulfilment.PledgeFacts(
            pledge_id=r["pk"], donor_id=r["donor_id"], recipient_id=r["recipient_id"], item_id=r["item_id"],
            quantity=r["quantity"],
            delivered=r["delivered_quantity"] if delivered is None else delivered.get(r["pk"], 0),
            value_eur=r["value_eur"], unit_value_eur=r["item__unit_value_eur"], due_on=r["due_on"],
            cancelled=r["status"] == Pledge.Status.CANCELLED,
        )
        for r in rows
    ]


def pledge_facts(*, actor, as_of: dt.date | None = None, donor=None, item=None, recipient=None
                 ) -> list[fulfilment.PledgeFacts]:
    """The pledges the user may see, as ``fulfilment.PledgeFacts``. One query (for a past date with their
    deliveries as of then in the same statement)."""
    return _pledge_facts(scope=_scope(actor), as_of=as_of, donor=donor, item=item, recipient=recipient)


def _pledges(*, scope: Scope | None, as_of: dt.date | None = None, donor=None, item=None, recipient=None):
    """The pledges ``_pledge_facts`` reads, and whether ``as_of`` is a past date."""
    qs = Pledge.objects.restrict(scope, VIEW) if scope is not None else Pledge.objects.all()
    if donor is not None:
        qs = qs.filter(donor_id=_pk(donor))
    if item is not None:
        qs = qs.filter(item_id=_pk(item))
    if recipient is not None:
        qs = qs.filter(recipient_id=_pk(recipient))
    past = as_of is not None and as_of < _today()
    if past:
        qs = qs.filter(announced_on__lte=as_of)
    return qs, past


def _pledge_facts(*, scope: Scope | None, as_of: dt.date | None = None, donor=None, item=None, recipient=None,
                  within=None) -> list[fulfilment.PledgeFacts]:
    """``scope`` None reads every pledge: for alliance aggregates only. ``within``: a condition on the pledges
    read (e.g. those of a (recipient, item) with a requirement).

    For a past ``as_of``: pledges announced by then, delivered quantities as of then (quantity and
    status are today's: a later reduction or cancellation is not undone).
    """
    qs, past = _pledges(scope=scope, as_of=as_of, donor=donor, item=item, recipient=recipient)
    if within is not None:
        qs = qs.filter(within)
    if not past:
        return _facts(list(qs.order_by().values(*_FACT_FIELDS)))
    # delivered as of then, summed per pledge in the same statement
    rows = list(qs.order_by().annotate(_then=Coalesce(Subquery(_delivered_then(as_of)), Value(0)))
                .values(*_FACT_FIELDS, "_then"))
    return _facts(rows, delivered={r["pk"]: r["_then"] for r in rows})


# --- Fulfilment -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DonorFulfilment:
    donor: Nation
    fulfilment: fulfilment.Fulfilment


@dataclass(frozen=True)
class ItemFulfilment:
    item: Item
    fulfilment: fulfilment.Fulfilment


def _fulfilment_by(*, actor, key: str, as_of: dt.date | None, donor=None, item=None,
                   facts: list[fulfilment.PledgeFacts] | None = None) -> dict[int, fulfilment.Fulfilment]:
    """``fulfilment.fulfilment_of_totals`` per ``key`` on the pledges the user may see: summed by the
    database (``aggregates.pledge_totals_by``, one or two queries; for a past date ``pledge_totals_then``, one to
    three), or on the caller's ``facts`` (``pledge_facts`` for the same reader, filters and date; no query;
    ``fulfilment.fulfilment_by``: the same rules)."""
    on = as_of or _today()
    if facts is not None:
        return fulfilment.fulfilment_by(facts, lambda p: getattr(p, key), on=on)
    qs, past = _pledges(scope=_scope(actor), as_of=as_of, donor=donor, item=item)
    groups: dict[int, list[fulfilment.PledgeTotals]] = {}
    for k, totals in (pledge_totals_then(qs, as_of=on, key=key) if past
                      else aggregates.pledge_totals_by(qs, on=on, key=key)):
        groups.setdefault(k, []).append(totals)
    return {k: fulfilment.fulfilment_of_totals(totals) for k, totals in groups.items()}


def fulfilment_by_donor(*, actor, as_of: dt.date | None = None, item=None,
                        nations: Mapping[int, Nation] | None = None,
                        facts: list[fulfilment.PledgeFacts] | None = None) -> list[DonorFulfilment]:
    """Pledged, delivered, shares by quantity and EUR value, overdue count: per donor, by donor name.

    Over the pledges the user may see, summed by the database. Two queries (three for a past date, or
    when some pledge's delivered value needs rounding); one less when the caller passes ``nations``
    (every nation by id, read once per request), and for a past date none but that with ``facts``
    (``pledge_facts`` for the same reader, item and date).
    """
    groups = _fulfilment_by(actor=actor, key="donor_id", as_of=as_of, item=item, facts=facts)
    nations = _nations(nations, groups.keys())
    rows = [DonorFulfilment(donor=nations[k], fulfilment=f) for k, f in groups.items()]
    rows.sort(key=lambda r: sort_key(r.donor.display_name))
    return rows


def fulfilment_by_item(*, actor, as_of: dt.date | None = None, donor=None) -> list[ItemFulfilment]:
    """The same per item (optionally for one donor), by category and item name. Two queries (three as above)."""
    groups = _fulfilment_by(actor=actor, key="item_id", as_of=as_of, donor=donor)
    items = Item.objects.select_related("category").in_bulk(groups.keys())
    rows = [ItemFulfilment(item=items[k], fulfilment=f) for k, f in groups.items()]
    rows.sort(key=lambda r: (sort_key(r.item.category.display_name), sort_key(r.item.display_name)))
    return rows


@dataclass(frozen=True)
class OverduePledge:
    pledge: Pledge
    days_overdue: int
    outstanding: int  # pledged but not yet delivered


def overdue_pledges(*, actor, on: dt.date | None = None, donor=None) -> list[OverduePledge]:
    """Pledges past their due date and not fully delivered (not cancelled), most overdue first. Two queries."""
    return overdue_pledges_page(actor=actor, on=on, donor=donor)[0]


def overdue_pledges_page(*, actor, on: dt.date | None = None, donor=None, limit: int | None = None,
                         total: int | None = None) -> tuple[list[OverduePledge], int]:
    """The first ``limit`` overdue pledges (all when None), most overdue first, and how many there are.

    How many: ``fulfilment.fulfilment_of_totals`` on the pledges summed by the database per class
    (``aggregates.pledge_totals_by``). The rows: the candidates in order of due date, read with their
    donor, recipient and item until ``limit`` pass ``fulfilment.is_overdue`` (the narrowing is the
    rule, so one read of ``limit`` rows in practice). Two queries.

    For a past ``on``: judged on that date, over the pledges announced by then with their deliveries as of
    then (``_delivered_then_split``: the count by ``pledge_totals_then``, the candidates with the same figure); a
    pledge not yet due then is not overdue. Two queries too.

    A caller that has read it for the same reader, donor and date passes ``total`` (the overdue count of
    ``fulfilment_by_donor``'s rows together): one query less.
    """
    on = on or _today()
    past = on < _today()
    qs, _ = _pledges(scope=_scope(actor), as_of=on if past else None, donor=donor)
    if total is None:
        totals = (pledge_totals_then(qs, as_of=on, key=None, values=False) if past
                  else aggregates.pledge_totals_by(qs, on=on, key=None, values=False))
        total = fulfilment.fulfilment_of_totals(t for _, t in totals).overdue
    done = F("delivered_quantity")
    if past:  # the stored figure, unless a delivery came since (then its sum as of then)
        changed, then = _delivered_then_split(on)
        done = Case(When(changed, then=then), default=done)
    candidates = (  # narrows the read; ``fulfilment.is_overdue`` decides
        qs.annotate(_done=done).filter(due_on__lt=on, _done__lt=F("quantity"))
        .exclude(status=Pledge.Status.CANCELLED)
        .select_related("donor", "recipient", "item").order_by("due_on", "pk")  # most overdue first
    )
    rows: list[OverduePledge] = []
    chunk, start = max(limit or 0, 100), 0
    while limit is None or len(rows) < limit:
        page = list(candidates[start:start + chunk]) if limit is not None else list(candidates)
        for pledge in page:
            facts = fulfilment.PledgeFacts(
                pledge_id=pledge.pk, donor_id=pledge.donor_id, recipient_id=pledge.recipient_id,
                item_id=pledge.item_id, quantity=pledge.quantity, delivered=pledge._done,
                due_on=pledge.due_on, cancelled=pledge.status == Pledge.Status.CANCELLED,
            )
            if fulfilment.is_overdue(facts, on=on) and (limit is None or len(rows) < limit):
                outstanding = pledge.quantity - min(pledge._done, pledge.quantity)
                rows.append(OverduePledge(pledge=pledge, days_overdue=fulfilment.days_overdue(facts, on=on),
                                          outstanding=outstanding))
        if limit is None or len(page) < chunk:
            break
        start += chunk
    return rows, total


# --- Recipient gaps -------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecipientGap:
    recipient: Nation
    item: Item
    gap: fulfilment.Gap


def recipient_gaps(*, actor, recipient=None, item=None, as_of: dt.date | None = None,
                   nations: Mapping[int, Nation] | None = None, facts: list[fulfilment.PledgeFacts] | None = None,
                   items: Mapping[int, Item] | None = None) -> list[RecipientGap]:
    """Per (recipient, item) with a requirement: required, pledged, delivered, uncovered, undelivered.

    Over the non-cancelled pledges the viewer may see: every pledge for the cell; for a nation,
    restricted pledges of other donors are left out, so a total never reveals one of them.
    For a past ``as_of``: requirements starting by then, pledges announced by then, deliveries by
    then. Four queries (five for a past date; three with ``nations``); largest uncovered first. A caller that
    has read them for the same reader, filters and date passes ``facts`` (``pledge_facts``: the pledges the
    reader may see) and ``items`` (by id, with their categories): one query (the requirements).
    """
    gaps = recipient_gap_figures(actor=actor, recipient=recipient, item=item, as_of=as_of, facts=facts)
    if not gaps:
        return []
    nations = _nations(nations, {g.recipient_id for g in gaps})
    if items is None:
        items = Item.objects.select_related("category").in_bulk({g.item_id for g in gaps})
    rows = [RecipientGap(recipient=nations[g.recipient_id], item=items[g.item_id], gap=g) for g in gaps]
    rows.sort(key=lambda r: (-r.gap.uncovered, r.recipient.code, sort_key(r.item.display_name)))
    return rows


def recipient_gap_figures(*, actor, recipient=None, item=None, as_of: dt.date | None = None,
                          facts: list[fulfilment.PledgeFacts] | None = None) -> list[fulfilment.Gap]:
    """The figures of ``recipient_gaps`` without the names (``fulfilment.Gap``: recipient and item by id), for
    aggregates that name nothing. Two queries (requirements, pledges); one with the caller's ``facts``."""
    requirements = Requirement.objects.all()
    if recipient is not None:
        requirements = requirements.filter(recipient_id=_pk(recipient))
    if item is not None:
        requirements = requirements.filter(item_id=_pk(item))
    if as_of is not None and as_of < _today():
        requirements = requirements.filter(period_from__lte=as_of)
    needs = [
        fulfilment.RequirementFacts(recipient_id=r, item_id=i, quantity=q)
        for r, i, q in requirements.order_by().values_list("recipient_id", "item_id", "quantity")
    ]
    if not needs:
        return []
    scope = _scope(actor)
    if facts is None:  # only the pledges of a (recipient, item) with a requirement count (a semi-join)
        required = Exists(requirements.filter(recipient_id=OuterRef("recipient_id"), item_id=OuterRef("item_id")))
        facts = _pledge_facts(scope=None if scope.is_cell else scope, as_of=as_of, recipient=recipient, item=item,
                              within=required)
    return fulfilment.recipient_gaps(needs, facts)


# --- Training ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainingRow:
    donor: Nation
    progress: fulfilment.TrainingProgress


def training_at(*, actor, as_of: dt.date, donor=None) -> list:
    """The training commitments the user may see as they were recorded at the end of ``as_of``: for each, its
    last history row on or before that day (``simple_history``), left out when it did not exist yet or had
    been deleted. The rows carry the model's fields (programme, trainees, dates, status, ``recipient``).
    By programme. One query.

    A commitment's figures (committed, completed, status) change as the training goes: its history is
    the only record of what they were on a past date.
    """
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    history = TrainingCommitment.history.model
    cutoff = end_of_day(as_of)
    latest = (history.objects.filter(id=OuterRef("id"), history_date__lt=cutoff)
              .order_by("-history_date", "-history_id").values("history_id")[:1])
    qs = history.objects.filter(history_date__lt=cutoff, history_id=Subquery(latest)).exclude(history_type="-")
    if not scope.is_cell:
        qs = qs.filter(TrainingCommitment.access_q(scope, VIEW))
    if donor is not None:
        qs = qs.filter(donor_id=_pk(donor))
    return list(qs.select_related("recipient").order_by("programme", "id"))


def training_summary(*, actor, nations: Mapping[int, Nation] | None = None, as_of: dt.date | None = None
                     ) -> list[TrainingRow]:
    """Trainees committed vs completed per donor and programme (the user's own nation, or all for the cell).

    For a past ``as_of``: the commitments as recorded then (``training_at``). Two queries (one with ``nations``).
    """
    if as_of is not None and as_of < _today():
        values = [(t.donor_id, t.programme, t.trainees_committed, t.trainees_completed, t.status)
                  for t in training_at(actor=actor, as_of=as_of)]
    else:
        values = (TrainingCommitment.objects.restrict(_scope(actor), VIEW).order_by()
                  .values_list("donor_id", "programme", "trainees_committed", "trainees_completed", "status"))
    facts = [
        fulfilment.TrainingFacts(donor_id=d, programme=p, committed=c, completed=done,
                                 cancelled=s == TrainingCommitment.Status.CANCELLED)
        for d, p, c, done, s in values
    ]
    progress = fulfilment.training_progress(facts)
    nations = _nations(nations, {p.donor_id for p in progress})
    rows = [TrainingRow(donor=nations[p.donor_id], progress=p) for p in progress]
    rows.sort(key=lambda r: (sort_key(r.donor.display_name), r.progress.programme))
    return rows


# --- Deliveries over time -------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthDeliveries:
    month: dt.date  # the first day of the month
    deliveries: int
    quantity: int
    value_eur: Decimal  # delivered value (value × delivered / quantity), unvalued pledges left out


def deliveries_per_month(*, actor, item=None, donor=None, recipient=None, since: dt.date | None = None,
                         until: dt.date | None = None, every_month: bool = False) -> list[MonthDeliveries]:
    """Delivered (delivered or confirmed) deliveries per month of ``delivered_on``, oldest first; ``until``:
    only those delivered on or before that day (a past date's month stops at that day).

    Summed by the database per month (``aggregates.delivery_totals_by_month``); each delivery's value
    is its share of the pledge's value (``fulfilment.delivered_value``). One query (two when some
    delivery's value needs rounding). ``every_month``: months without a delivery are there too (zero), from
    the first delivery's month to ``until``'s (or the last delivery's), none skipped.
    """
    qs = Delivery.objects.restrict(_scope(actor), VIEW).filter(
        status__in=Delivery.DELIVERED, delivered_on__isnull=False
    )
    if item is not None:
        qs = qs.filter(pledge__item_id=_pk(item))
    if donor is not None:
        qs = qs.filter(pledge__donor_id=_pk(donor))
    if recipient is not None:
        qs = qs.filter(pledge__recipient_id=_pk(recipient))
    if since is not None:
        qs = qs.filter(delivered_on__gte=since)
    if until is not None:
        qs = qs.filter(delivered_on__lte=until)
    months: dict[dt.date, list] = {}
    for month, totals in aggregates.delivery_totals_by_month(qs):
        bucket = months.setdefault(month, [0, 0, fulfilment.ZERO])
        bucket[0] += totals.count
        bucket[1] += totals.quantity
        bucket[2] += fulfilment.delivery_value_of_totals(totals)
    if every_month and months:
        for m in fulfilment.month_starts(min(months), until or max(months)):
            months.setdefault(m, [0, 0, fulfilment.ZERO])
    return [MonthDeliveries(month=m, deliveries=n, quantity=q, value_eur=v) for m, (n, q, v) in sorted(months.items())]


# --- Training for a recipient ----------------------------------------------------------------------

@dataclass(frozen=True)
class RecipientTraining:
    """One programme for a recipient: per donor for the cell (``donor`` set), else every donor together as
    the reader may see it (``coordination.disclosure``: committed and completed are shown or hidden as one)."""

    programme: str
    donor: Nation | None
    committed: disclosure.Figure
    completed: disclosure.Figure
    own_committed: int = 0  # the reader's own nation's part (it knows it)
    own_completed: int = 0

    @property
    def completed_share(self) -> float | None:
        if self.committed.value is None or self.completed.value is None:
            return None
        return fulfilment.share(min(self.completed.value, self.committed.value), self.committed.value)


def training_for_recipient(*, actor, recipient, nations: Mapping[int, Nation] | None = None
                           ) -> list[RecipientTraining]:
    """Trainees committed vs completed for ``recipient``, by programme. Training commitments belong to their
    donors (``coordination.access``): the cell sees each donor's; a nation sees each programme's total
    over every donor through ``coordination.disclosure`` (checked together: completed is shown only with
    committed) plus its own part. One query (two for the cell: the donors, unless the caller passes ``nations``,
    every nation by id)."""
    scope = _scope(actor)
    if scope.is_nobody:
        return []
    facts = [
        fulfilment.TrainingFacts(donor_id=d, programme=p, committed=c, completed=done,
                                 cancelled=s == TrainingCommitment.Status.CANCELLED)
        for d, p, c, done, s in TrainingCommitment.objects.filter(recipient_id=_pk(recipient))
        .order_by().values_list("donor_id", "programme", "trainees_committed", "trainees_completed", "status")
    ]
    progress = fulfilment.training_progress(facts)
    if scope.is_cell:
        nations = _nations(nations, {p.donor_id for p in progress})
        rows = [RecipientTraining(programme=p.programme, donor=nations[p.donor_id],
                                  committed=disclosure.Figure(p.committed), completed=disclosure.Figure(p.completed))
                for p in progress]
        rows.sort(key=lambda r: (r.programme, sort_key(r.donor.display_name)))
        return rows
    reader = disclosure.reader_of(scope)
    by_programme: dict[str, list[fulfilment.TrainingProgress]] = {}
    for p in progress:
        by_programme.setdefault(p.programme, []).append(p)
    rows = []
    for programme, parts in sorted(by_programme.items()):
        committed = {p.donor_id: p.committed for p in parts}
        total = disclosure.disclose(sum(committed.values()), committed, reader)
        done = {p.donor_id: p.completed for p in parts}  # a figure of its own, shown only with the committed
        completed = (disclosure.hidden(disclosure.RELATED) if total.suppressed
                     else disclosure.disclose(sum(done.values()), done, reader))
        own = [p for p in parts if p.donor_id == scope.nation_id]
        rows.append(RecipientTraining(programme=programme, donor=None, committed=total, completed=completed,
                                      own_committed=sum(p.committed for p in own),
                                      own_completed=sum(p.completed for p in own)))
    return rows


# --- The Kiel Ukraine Support Tracker -------------------------------------------------------------

TRACKER_WEAPONS_PREFIX = "UST weapons.csv: "  # the reference of every pledge the tracker import makes


@dataclass(frozen=True)
class TrackerDonor:
    """One donor's tracker totals over every month (EUR, to the cent)."""

    nation: Nation | None  # None: every donor together
    allocated_eur: Decimal  # the tracker's "total": financial + humanitarian + military allocations
    military_eur: Decimal
    financial_eur: Decimal
    humanitarian_eur: Decimal
    committed_eur: Decimal
    to_be_allocated_eur: Decimal
    months: int
    first_month: dt.date | None
    last_month: dt.date | None


@dataclass(frozen=True)
class TrackerWeapons:
    """Heavy weapons of one type (the tracker's category: Howitzers, Tanks, ...) or of one system."""

    category: str
    system: str  # "" for a whole category
    number: int
    value_eur: Decimal
    donors: int


@dataclass(frozen=True)
class TrackerSummary:
    sources: list[str]  # as stored on the rows: the tracker and its release
    donors: list[TrackerDonor]  # largest allocated first
    total: TrackerDonor
    weapons: list[TrackerWeapons]  # per category, largest EUR first
    weapons_total: TrackerWeapons  # every type together: EUR and donors only (systems of different types never add up)
    systems: list[TrackerWeapons]  # per system, by category then largest EUR


_FLOW_AMOUNTS = ("allocated_eur", "military_eur", "financial_eur", "humanitarian_eur", "committed_eur",
                 "to_be_allocated_eur")


def tracker_summary(*, actor) -> TrackerSummary:
    """The tracker's figures as imported (``loaders.ust``): donors' totals from the monthly aid flows, and
    the heavy weapons by type from the pledges it made. Public data (every reader sees the same). Amounts
    are added as Decimals in Python, never as floats, so totals equal the source files to the cent. Three
    queries (flows, nations, weapon pledges)."""
    scope = _scope(actor)
    zero = Decimal("0.00")
    sums: dict[int, list] = {}
    sources: set[str] = set()
    for nation_id, month, source, *amounts in (AidFlow.objects.restrict(scope, VIEW).order_by()
                                               .values_list("nation_id", "month", "source", *_FLOW_AMOUNTS)):
        row = sums.setdefault(nation_id, [[zero] * len(_FLOW_AMOUNTS), 0, month, month])
        row[0] = [a + Decimal(b) for a, b in zip(row[0], amounts, strict=True)]
        row[1] += 1
        row[2], row[3] = min(row[2], month), max(row[3], month)
        if source:
            sources.add(source)
    nations = Nation.objects.in_bulk(sums.keys()) if sums else {}
    donors = [TrackerDonor(nations[n], *amounts, months, first, last)
              for n, (amounts, months, first, last) in sums.items()]
    donors.sort(key=lambda d: (-d.allocated_eur, sort_key(d.nation.display_name)))
    overall = [sum((getattr(d, f) for d in donors), zero) for f in _FLOW_AMOUNTS]
    total = TrackerDonor(None, *overall, sum(d.months for d in donors),
                         min((d.first_month for d in donors), default=None),
                         max((d.last_month for d in donors), default=None))

    by_category: dict[str, list] = {}
    by_system: dict[tuple[str, str], list] = {}
    for reference, donor_id, quantity, value in (
        Pledge.objects.restrict(scope, VIEW).filter(reference__startswith=TRACKER_WEAPONS_PREFIX)
        .exclude(status=Pledge.Status.CANCELLED).order_by()
        .values_list("reference", "donor_id", "quantity", "value_eur")
    ):
        parts = reference[len(TRACKER_WEAPONS_PREFIX):].split(" / ", 2)
        if len(parts) != 3:
            continue
        _donor, category, system = parts
        for key, bucket in ((category, by_category), ((category, system), by_system)):
            row = bucket.setdefault(key, [0, zero, set()])
            row[0] += quantity
            row[1] += value or zero
            row[2].add(donor_id)
    weapons = [TrackerWeapons(c, "", n, v, len(d)) for c, (n, v, d) in by_category.items()]
    weapons.sort(key=lambda w: (-w.value_eur, w.category))
    systems = [TrackerWeapons(c, s_, n, v, len(d)) for (c, s_), (n, v, d) in by_system.items()]
    systems.sort(key=lambda w: (w.category, -w.value_eur, w.system))
    all_donors = set().union(*(d for _n, _v, d in by_category.values())) if by_category else set()
    weapons_total = TrackerWeapons("", "", 0, sum((w.value_eur for w in weapons), zero), len(all_donors))
    return TrackerSummary(sources=sorted(sources), donors=donors, total=total, weapons=weapons,
                          weapons_total=weapons_total, systems=systems)


# --- Lists for pages ---------------------------------------------------------------------------------

def pledge_list(*, actor, donor=None, recipient=None, announced_by: dt.date | None = None):
    """Pledges the user may see (with donor, recipient, item), newest first; optionally those a nation gave
    or receives, and those announced by a date. One query when evaluated."""
    qs = Pledge.objects.restrict(_scope(actor), VIEW).select_related("donor", "recipient", "item",
                                                                             "item__category")
    if donor is not None:
        qs = qs.filter(donor_id=_pk(donor))
    if recipient is not None:
        qs = qs.filter(recipient_id=_pk(recipient))
    if announced_by is not None:
        qs = qs.filter(announced_on__lte=announced_by)
    return qs.order_by("-announced_on", "-pk")


def pledge_list_as_of(*, actor, as_of: dt.date, overdue: bool | None = None, donor=None, recipient=None):
    """``pledge_list`` on a past date: the pledges announced by then, each with ``delivered_then`` (its
    delivered quantity as of then, ``delivered_by_pledge_as_of``'s rule, a correlated sum in the same query);
    ``overdue`` keeps only those overdue then (or only those not: ``fulfilment.is_overdue`` on that date, in
    SQL). One query when evaluated."""
    qs = pledge_list(actor=actor, announced_by=as_of, donor=donor, recipient=recipient).annotate(
        delivered_then=Coalesce(Subquery(_delivered_then(as_of)), Value(0)))
    if overdue is not None:
        rule = (Q(due_on__lt=as_of) & Q(delivered_then__lt=F("quantity")) & ~Q(status=Pledge.Status.CANCELLED))
        qs = qs.filter(rule) if overdue else qs.exclude(rule)
    return qs


def training_list(*, actor, donor=None, as_of: dt.date | None = None):
    """Training commitments the user may see (with the recipient), by programme. One query when evaluated.
    For a past ``as_of``: as recorded then (``training_at``, a list)."""
    if as_of is not None and as_of < _today():
        return training_at(actor=actor, as_of=as_of, donor=donor)
    qs = TrainingCommitment.objects.restrict(_scope(actor), VIEW).select_related("recipient")
    if donor is not None:
        qs = qs.filter(donor_id=_pk(donor))
    return qs.order_by("programme", "pk")


def _unseen_q(scope: Scope, as_of: dt.date | None) -> Q | None:
    """The condition of ``unseen_owed_pledges`` (None for the cell)."""
    if scope.is_cell:
        return None
    on = as_of or _today()
    q = (Q(releasability=Releasability.RESTRICTED, source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=on)
         & ~Q(status=Pledge.Status.CANCELLED))
    if scope.nation_id is not None:
        q &= ~Q(donor_id=scope.nation_id)
    if on >= _today():
        q &= Q(shipped_quantity__lt=F("quantity"))
    return q


def unseen_owed_pledges(*, actor, as_of: dt.date | None = None):
    """Pledges inside other nations' figures (owed, available, shortfall) that this reader may not see:
    restricted, non-cancelled pledges of another donor's national stock announced by ``as_of`` (today:
    not yet fully shipped). None for the cell (it sees every record). A lazy queryset: no query until
    used, so a caller can use it as a subquery (``Exists``).

    Rule c of ``coordination.disclosure``: a restricted pledge never enters a figure another nation
    sees, on any date; ``unseen_owed_by_pair`` gives what to take out of each donor's owed.
    """
    q = _unseen_q(_scope(actor), as_of)
    return None if q is None else Pledge.objects.filter(q).order_by()


def owed_q(on: dt.date) -> Q:
    """The pledges the shortfall engine counts as owed on ``on`` (``stockpiles.engine.shortfall_inputs``):
    from national stock, announced by then, not cancelled."""
    return Q(source=Pledge.Source.NATIONAL_STOCK, announced_on__lte=on) & ~Q(status=Pledge.Status.CANCELLED)


def _shipped_then(as_of: dt.date):
    """Per pledge (a correlated sum): the quantity shipped on a past date (``shipped_by_pledge_as_of``'s rule)."""
    return (Delivery.objects.filter(pledge_id=OuterRef("pk"), status__in=Delivery.SHIPPED)
            .filter(Q(shipped_on__lte=as_of) | Q(shipped_on__isnull=True, delivered_on__lte=as_of))
            .order_by().values("pledge_id").annotate(total=Sum("quantity")).values("total"))


@dataclass(frozen=True)
class ReaderPledges:
    """A reader's pledges of one read (``reader_pledges``)."""

    facts: list[fulfilment.PledgeFacts]  # ``pledge_facts`` for the reader (every pledge for the cell)
    unseen: dict[tuple[int, int], int]  # ``unseen_owed_by_pair`` for the reader
    owed: dict[tuple[int, int], list[tuple[int, int]]]  # (quantity, shipped then) per (donor, item): ``owed_q``


def reader_pledges(*, actor, as_of: dt.date | None = None, item=None, owed: bool = False) -> ReaderPledges:
    """In one statement: the pledges the reader may see as facts (what ``recipient_gap_figures`` reads for it:
    every pledge for the cell; for a past ``as_of`` those announced by then, with their deliveries as of then),
    what ``unseen_owed_by_pair`` gives for it on the same date, and with ``owed`` the pledges the engine counts
    as owed on that date (``owed_q``: every donor's, whoever reads) with their quantity shipped then. Each row
    carries which of the three it belongs to (the same conditions as the separate reads); the shipments as of a
    past date are summed only for the pledges that need them. Optionally of one ``item``. One query.
    """
    scope = _scope(actor)
    today = _today()
    past = as_of is not None and as_of < today
    on = as_of or today
    seen = Q() if scope.is_cell else Pledge.access_q(scope, VIEW)
    if past:
        seen &= Q(announced_on__lte=as_of)
    parts = {"_seen": seen, "_unseen": _unseen_q(scope, as_of), "_owed": owed_q(on) if owed else None}
    parts = {key: q for key, q in parts.items() if q is not None}
    qs = Pledge.objects.order_by()
    if item is not None:
        qs = qs.filter(item_id=_pk(item))
    if all(q for q in parts.values()):  # an empty Q (every pledge) reads every row
        qs = qs.filter(reduce(operator.or_, parts.values()))
    qs = qs.annotate(**{key: ExpressionWrapper(q, output_field=BooleanField()) if q else Value(True)
                        for key, q in parts.items()})
    fields = [*_FACT_FIELDS, "shipped_quantity", *parts]
    if past:
        then = _delivered_then(as_of)
        shipped_for = [q for key, q in parts.items() if key != "_seen"]
        shipped = Value(0)
        if set(parts) == {"_seen", "_unseen"}:
            # a pledge the reader may see is never one it may not (releasable_q): one correlated sum per row,
            # delivered then for the first, shipped then for the second (two sums per row cost PostgreSQL's
            # planner estimate enough to JIT-compile the statement at full size: ~1 s of compiling)
            unseen = Exact(OuterRef("_unseen"), True)
            either = (Delivery.objects.filter(pledge_id=OuterRef("pk"))
                      .filter((Q(unseen) & Q(status__in=Delivery.SHIPPED)
                               & (Q(shipped_on__lte=as_of) | Q(shipped_on__isnull=True, delivered_on__lte=as_of)))
                              | (~Q(unseen) & Q(status__in=Delivery.DELIVERED, delivered_on__lte=as_of)))
                      .order_by().values("pledge_id").annotate(total=Sum("quantity")).values("total"))
            then = shipped = either
        elif shipped_for:
            shipped = Case(When(reduce(operator.or_, shipped_for), then=Coalesce(Subquery(_shipped_then(as_of)),
                                                                                 Value(0))), default=Value(0))
        qs = qs.annotate(_then=Coalesce(Subquery(then), Value(0)))
        fields.append("_then")
        if shipped is not then:  # else ``_then`` holds the shipments of the rows that need them
            qs = qs.annotate(_shipped=shipped)
            fields.append("_shipped")
    rows = list(qs.values(*fields))
    seen_rows = [r for r in rows if r["_seen"]]
    facts = _facts(seen_rows, delivered={r["pk"]: r["_then"] for r in seen_rows} if past else None)
    unseen: dict[tuple[int, int], int] = {}
    owed_rows: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for r in rows:
        pair = (r["donor_id"], r["item_id"])
        shipped_then = r.get("_shipped", r.get("_then")) if past else r["shipped_quantity"]
        if r.get("_unseen"):
            unseen[pair] = unseen.get(pair, 0) + max(0, r["quantity"] - shipped_then)
        if r.get("_owed"):
            owed_rows.setdefault(pair, []).append((r["quantity"], shipped_then))
    if past:
        unseen = {pair: q for pair, q in unseen.items() if q}
    return ReaderPledges(facts=facts, unseen=unseen, owed=owed_rows)


def unseen_owed_by_pair(*, actor, as_of: dt.date | None = None, item_ids=None) -> dict[tuple[int, int], int]:
    """Per (donor, item): what the pledges of ``unseen_owed_pledges`` add to that donor's owed on
    ``as_of`` (pledged − shipped, shipped as of then; the engine's ``owed`` rule), so a reader's figures
    can be computed without them (rule c of ``coordination.disclosure``). Empty for the cell.
    One query (for a past date with each pledge's shipments as of then in the same statement); none for the cell.
    """
    qs = unseen_owed_pledges(actor=actor, as_of=as_of)
    if qs is None:
        return {}
    if item_ids is not None:
        qs = qs.filter(item_id__in=set(item_ids))
    out: dict[tuple[int, int], int] = {}
    if as_of is None or as_of >= _today():
        for donor_id, item_id, quantity, shipped in qs.values_list("donor_id", "item_id", "quantity",
                                                                   "shipped_quantity"):
            out[(donor_id, item_id)] = out.get((donor_id, item_id), 0) + max(0, quantity - shipped)
        return out
    # shipped as of then (``shipped_by_pledge_as_of``'s rule), summed per pledge in the same statement
    rows = qs.annotate(_shipped=Coalesce(Subquery(_shipped_then(as_of)), Value(0)))
    for donor_id, item_id, quantity, shipped_then in rows.values_list("donor_id", "item_id", "quantity", "_shipped"):
        out[(donor_id, item_id)] = out.get((donor_id, item_id), 0) + max(0, quantity - shipped_then)
    return {pair: q for pair, q in out.items() if q}

