"""Alerts: raised when a condition starts, never twice while it holds, closed when it clears.

Two conditions, each identified by a key (one open alert per key, enforced by a partial unique
constraint on ``Alert.key``):

- ``below:<nation_id>:<item_id>``: the pair's shortfall status is ``below_guideline``.
- ``overdue:<pledge_id>``: ``pledges.fulfilment.is_overdue`` holds for the pledge (alert on the donor).

Called by the shortfall engine inside its transaction (the store step for marked pairs, and the
full recompute for everything), so alerts move with the rows they describe. A fixed number of
queries per call whatever the number of pairs or pledges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from django.db.models import Q
from django.utils import timezone

from coordination.models import Item, Nation
from pledges import fulfilment
from pledges.models import Pledge
from stockpiles import shortfalls
from stockpiles.models import Alert

Pair = tuple[int, int]

BELOW_PREFIX = "below:"
OVERDUE_PREFIX = "overdue:"


def below_key(nation_id: int, item_id: int) -> str:
    return f"{BELOW_PREFIX}{nation_id}:{item_id}"


def overdue_key(pledge_id: int) -> str:
    return f"{OVERDUE_PREFIX}{pledge_id}"


def _close(keys: Collection[str], *, now: dt.datetime) -> int:
    if not keys:
        return 0
    return Alert.objects.filter(closed_at__isnull=True, key__in=keys).update(closed_at=now)


def alerts_sync_below_guideline(*, results: Mapping[Pair, shortfalls.ShortfallResult],
                                pairs: Collection[Pair] | None = None) -> tuple[int, int]:
    """Raise and close below-guideline alerts for ``pairs`` (``None``: every pair, i.e. a full recompute).

    ``results`` holds the new result of every pair that still has a row; a pair in ``pairs`` without
    a result has lost its row, so its alert closes. Returns (raised, closed).
    """
    now = timezone.now()
    considered = set(results) if pairs is None else set(pairs)
    below = {p for p in considered if p in results and results[p].status == shortfalls.BELOW_GUIDELINE}
    open_qs = Alert.objects.filter(closed_at__isnull=True, kind=Alert.Kind.BELOW_GUIDELINE)
    if pairs is not None:
        open_qs = open_qs.filter(key__in=[below_key(n, i) for n, i in considered])
    open_keys = set(open_qs.values_list("key", flat=True))
    wanted = {below_key(n, i): (n, i) for n, i in below}
    closed = _close(open_keys - wanted.keys(), now=now)
    new = {k: pair for k, pair in wanted.items() if k not in open_keys}
    if not new:
        return 0, closed
    nations = Nation.objects.in_bulk({n for n, _ in new.values()})
    items = Item.objects.in_bulk({i for _, i in new.values()})
    alerts = []
    for key, (n, i) in sorted(new.items()):
        r = results[(n, i)]
        item = items[i]
        alerts.append(Alert(
            kind=Alert.Kind.BELOW_GUIDELINE, nation_id=n, item_id=i, key=key, opened_at=now,
            message=(
                f"{nations[n].code} {item.name}: {r.available:,} {item.unit} available against a guideline of "
                f"{r.guideline:,}, short by {r.shortfall:,}."
            )[:500],
        ))
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)  # a concurrent raise of the same key is a no-op
    return len(alerts), closed


def alerts_sync_overdue(*, on: dt.date | None = None, pairs: Collection[Pair] | None = None) -> tuple[int, int]:
    """Raise and close overdue-pledge alerts, for the pledges of ``pairs`` (donor, item) or every pledge.

    Returns (raised, closed). Three or four queries.
    """
    on = on or timezone.localdate()
    now = timezone.now()
    scope = Q()
    if pairs is not None:
        if not pairs:
            return 0, 0
        scope = Q(donor_id__in={n for n, _ in pairs}, item_id__in={i for _, i in pairs})
    candidates = (
        Pledge.objects.filter(scope, due_on__lt=on)  # narrows the read; fulfilment.is_overdue decides
        .exclude(status=Pledge.Status.CANCELLED)
        .select_related("donor", "item")
        .order_by("pk")
    )
    overdue: dict[str, Pledge] = {}
    for p in candidates:
        if pairs is not None and (p.donor_id, p.item_id) not in pairs:
            continue
        facts = fulfilment.PledgeFacts(
            pledge_id=p.pk, donor_id=p.donor_id, recipient_id=p.recipient_id, item_id=p.item_id,
            quantity=p.quantity, delivered=p.delivered_quantity, due_on=p.due_on, cancelled=False,
        )
        if fulfilment.is_overdue(facts, on=on):
            overdue[overdue_key(p.pk)] = p
    open_qs = Alert.objects.filter(closed_at__isnull=True, kind=Alert.Kind.PLEDGE_OVERDUE)
    if pairs is not None:
        open_qs = open_qs.filter(pledge__donor_id__in={n for n, _ in pairs}, pledge__item_id__in={i for _, i in pairs})
    open_rows = [
        (key, pledge_id, donor_id, item_id)
        for key, pledge_id, donor_id, item_id in open_qs.values_list("key", "pledge_id", "pledge__donor_id",
                                                                     "pledge__item_id")
        if pairs is None or (donor_id, item_id) in pairs
    ]
    open_keys = {row[0] for row in open_rows}
    closed = _close(open_keys - overdue.keys(), now=now)
    alerts = [
        Alert(
            kind=Alert.Kind.PLEDGE_OVERDUE, nation_id=p.donor_id, item_id=p.item_id, pledge_id=p.pk, key=key,
            opened_at=now,
            message=(
                f"{p.donor.code} pledge #{p.pk} of {p.quantity:,} {p.item.unit} of {p.item.name} was due on "
                f"{p.due_on.isoformat()}; {p.quantity - min(p.delivered_quantity, p.quantity):,} not delivered."
            )[:500],
        )
        for key, p in sorted(overdue.items())
        if key not in open_keys
    ]
    if alerts:
        Alert.objects.bulk_create(alerts, ignore_conflicts=True)
    return len(alerts), closed
