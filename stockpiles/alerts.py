"""Alerts: raised when a condition starts, never twice while it holds, closed when it clears.

Three conditions, each identified by a key (one open alert per key, enforced by a partial unique
constraint on ``Alert.key``):

- ``below:<nation_id>:<item_id>``: the pair's shortfall status is ``below_guideline``.
- ``overdue:<pledge_id>``: ``pledges.fulfilment.is_overdue`` holds for the pledge (alert on the donor).
- ``engine:<nation_id>:<item_id>``: the engine could not compute the pair (a bad input row); its previous
  row is kept, marked failed. While it fails, the pair's below-guideline alert is left as it was.
- ``stale:<nation_id>``: the nation's stock reporting is stale (``stockpiles.reporting.is_stale``: its
  latest report is older than ``REPORTING_STALE_AFTER_DAYS``, or it has none while an item is expected).
  One alert per nation, not per item: the nation reports, and one fresh report of any item closes it.
  Raised (and closed) for every nation by its own periodic task (``stockpiles.tasks.sync_stale_reporting``,
  Celery beat, hourly), since it starts by days passing; closed by the engine for the nations of the
  pairs a write touched (a stock report marks its pair) as soon as their reporting is fresh again. A write
  never raises it: a new report can only make a nation's latest report newer (a nation whose very first
  report is already old is caught by the next periodic run).

Called by the shortfall engine inside its transaction (the store step for marked pairs, and the
full recompute for everything), so alerts move with the rows they describe. A fixed number of
queries per call whatever the number of pairs or pledges.

Every raise and close leaves a history row (bulk, one INSERT per batch) named
``coordination.history.ENGINE_REASON``: the audit trail shows what the background task wrote.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from django.conf import settings
from django.db.models import Count, Max, Q
from django.utils import timezone

from coordination.history import ENGINE_REASON
from coordination.models import Item, Nation
from pledges import fulfilment
from pledges.models import Pledge
from stockpiles import hooks, reporting, shortfalls
from stockpiles.models import Alert, CurrentStock, Shortfall

Pair = tuple[int, int]

BELOW_PREFIX = "below:"
OVERDUE_PREFIX = "overdue:"
ENGINE_PREFIX = "engine:"
STALE_PREFIX = "stale:"


def below_key(nation_id: int, item_id: int) -> str:
    return f"{BELOW_PREFIX}{nation_id}:{item_id}"


def engine_key(nation_id: int, item_id: int) -> str:
    return f"{ENGINE_PREFIX}{nation_id}:{item_id}"


def overdue_key(pledge_id: int) -> str:
    return f"{OVERDUE_PREFIX}{pledge_id}"


def stale_key(nation_id: int) -> str:
    return f"{STALE_PREFIX}{nation_id}"


def _close(keys: Collection[str], *, now: dt.datetime) -> int:
    if not keys:
        return 0
    ids = list(Alert.objects.filter(closed_at__isnull=True, key__in=keys).values_list("pk", flat=True))
    if not ids:
        return 0
    closed = Alert.objects.filter(pk__in=ids, closed_at__isnull=True).update(closed_at=now)
    rows = list(Alert.objects.filter(pk__in=ids, closed_at=now))
    _history(rows, update=True, now=now)
    hooks.alerts_changed(closed=[a.pk for a in rows])  # notifications, after the commit
    return closed


def _raise(alerts: list[Alert], *, now: dt.datetime) -> None:
    Alert.objects.bulk_create(alerts, ignore_conflicts=True)  # a concurrent raise of the same key is a no-op
    # The rows this call created (a concurrent raise of a key has its own opened_at): their history.
    rows = list(Alert.objects.filter(key__in=[a.key for a in alerts], opened_at=now, closed_at__isnull=True))
    _history(rows, update=False, now=now)
    hooks.alerts_changed(opened=[a.pk for a in rows])  # notifications, after the commit


def _history(rows, *, update: bool, now: dt.datetime) -> None:
    rows = list(rows)
    for row in rows:  # the engine wrote it, not whoever's request ran the in-process task (an API token is no User)
        row._history_user = None
    Alert.history.bulk_history_create(rows, update=update, default_change_reason=ENGINE_REASON,
                                      default_date=now, batch_size=1000)


def alerts_sync(*, results: Mapping[Pair, shortfalls.ShortfallResult],
                pairs: Collection[Pair] | None = None,
                failures: Mapping[Pair, str] | None = None) -> tuple[int, int]:
    """Every condition for ``pairs`` (``None``: everything), as the engine calls it: the open alerts
    of every kind are read in one query, and only changes are written. ``failures``: the pairs the engine
    could not compute, with the reason. Returns (raised, closed)."""
    failures = failures or {}
    by_prefix: dict[str, set[str]] = {ENGINE_PREFIX: set(), BELOW_PREFIX: set(), OVERDUE_PREFIX: set(),
                                      STALE_PREFIX: set()}
    for key in _open_keys(pairs=pairs):  # one pass over the open keys (a full recompute: ~70 k)
        group = by_prefix.get(key[:key.find(":") + 1])
        if group is not None:
            group.add(key)
    raised_engine, closed_engine = alerts_sync_engine_failures(
        failures=failures, pairs=set(results) | set(failures) if pairs is None else pairs,
        open_keys=by_prefix[ENGINE_PREFIX])
    # A failed pair's below-guideline alert stays as it was (its figures are the previous ones).
    below_pairs = None if pairs is None else set(pairs) - failures.keys()
    raised_below, closed_below = alerts_sync_below_guideline(
        results=results, pairs=below_pairs, skip=failures.keys(),
        open_keys=by_prefix[BELOW_PREFIX])
    raised_overdue, closed_overdue = alerts_sync_overdue(pairs=pairs, open_keys=by_prefix[OVERDUE_PREFIX])
    _, closed_stale = alerts_sync_stale_reporting(
        nation_ids=None if pairs is None else {n for n, _ in pairs}, raise_new=False,
        open_keys=by_prefix[STALE_PREFIX])
    return raised_below + raised_overdue + raised_engine, closed_below + closed_overdue + closed_engine + closed_stale


def _pair_of(key: str) -> Pair:
    """(nation_id, item_id) of a ``below:`` or ``engine:`` key."""
    n, i = key.split(":")[1:3]
    return int(n), int(i)


def alerts_sync_engine_failures(*, failures: Mapping[Pair, str], pairs: Collection[Pair],
                                open_keys: set[str]) -> tuple[int, int]:
    """Raise an engine-failure alert for each failed pair (once while it fails), close the open ones of
    ``pairs`` that computed this time. ``open_keys``: the open engine keys of the pairs considered
    (the full recompute: every open one). Returns (raised, closed)."""
    def message(n: int, i: int, nations, items) -> str:
        return (f"{nations[n].code} {items[i].name}: the shortfall engine could not compute this pair "
                f"({failures[(n, i)]}); its previous figures are kept and marked as failed. "
                f"Correct the input row (a date out of range?).")

    wanted = {engine_key(n, i): (n, i) for n, i in failures}
    return _sync_pair_alerts(kind=Alert.Kind.ENGINE_FAILURE, wanted=wanted, open_keys=open_keys, message=message,
                             params=lambda n, i: {"error": str(failures[(n, i)])[:200]})


def _sync_pair_alerts(*, kind: str, wanted: Mapping[str, Pair], open_keys: set[str], message,
                      params=None) -> tuple[int, int]:
    """The one raise-and-close step of the per-pair alert kinds: close the open keys no longer wanted, raise
    one alert per wanted key not yet open (``message(nation_id, item_id, nations, items)``; the nations and
    items named are read in two queries). Returns (raised, closed)."""
    now = timezone.now()
    closed = _close(open_keys - wanted.keys(), now=now)
    new = {k: pair for k, pair in wanted.items() if k not in open_keys}
    if not new:
        return 0, closed
    nations = Nation.objects.in_bulk({n for n, _ in new.values()})
    items = Item.objects.in_bulk({i for _, i in new.values()})
    alerts = [
        Alert(kind=kind, nation_id=n, item_id=i, key=key, opened_at=now, message=message(n, i, nations, items)[:500],
              params=params(n, i) if params else {})
        for key, (n, i) in sorted(new.items())
    ]
    _raise(alerts, now=now)
    return len(alerts), closed


def _pair_open_qs(kind: str, key_of, pairs: Collection[Pair] | None):
    """Open alerts of a per-pair kind (below guideline, engine failure), for ``pairs`` or all."""
    qs = Alert.objects.filter(closed_at__isnull=True, kind=kind)
    if pairs is not None:
        qs = qs.filter(key__in=[key_of(n, i) for n, i in pairs])
    return qs


def _below_open_qs(pairs: Collection[Pair] | None):
    return _pair_open_qs(Alert.Kind.BELOW_GUIDELINE, below_key, pairs)


def _engine_open_qs(pairs: Collection[Pair] | None):
    return _pair_open_qs(Alert.Kind.ENGINE_FAILURE, engine_key, pairs)


def _overdue_open_qs(pairs: Collection[Pair] | None):
    qs = Alert.objects.filter(closed_at__isnull=True, kind=Alert.Kind.PLEDGE_OVERDUE)
    if pairs is not None:
        qs = qs.filter(pledge__donor_id__in={n for n, _ in pairs}, pledge__item_id__in={i for _, i in pairs})
    return qs


def _overdue_open_keys(rows, pairs: Collection[Pair] | None) -> set[str]:
    """Keys of open overdue alerts from (key, donor_id, item_id) rows, keeping only pledges of ``pairs``."""
    return {key for key, donor_id, item_id in rows if pairs is None or (donor_id, item_id) in pairs}


def _stale_open_qs(nation_ids: Collection[int] | None):
    qs = Alert.objects.filter(closed_at__isnull=True, kind=Alert.Kind.STALE_REPORTING)
    if nation_ids is not None:
        qs = qs.filter(key__in=[stale_key(n) for n in nation_ids])
    return qs


def _open_keys(*, pairs: Collection[Pair] | None) -> set[str]:
    """Open alert keys of every kind for ``pairs`` (``None``: all; stale reporting: the pairs' nations). One query."""
    below = _below_open_qs(pairs).order_by().values_list("key", "pledge__donor_id", "pledge__item_id")
    engine = _engine_open_qs(pairs).order_by().values_list("key", "pledge__donor_id", "pledge__item_id")
    overdue = _overdue_open_qs(pairs).order_by().values_list("key", "pledge__donor_id", "pledge__item_id")
    stale = _stale_open_qs(None if pairs is None else {n for n, _ in pairs}).order_by().values_list(
        "key", "pledge__donor_id", "pledge__item_id")
    keys = set()
    for key, donor_id, item_id in below.union(engine, overdue, stale, all=True):
        if not key.startswith(OVERDUE_PREFIX) or pairs is None or (donor_id, item_id) in pairs:
            keys.add(key)
    return keys


def alerts_sync_below_guideline(*, results: Mapping[Pair, shortfalls.ShortfallResult],
                                pairs: Collection[Pair] | None = None,
                                open_keys: set[str] | None = None,
                                skip: Collection[Pair] = ()) -> tuple[int, int]:
    """Raise and close below-guideline alerts for ``pairs`` (``None``: every pair, i.e. a full recompute).

    ``results`` holds the new result of every pair that still has a row; a pair in ``pairs`` without
    a result has lost its row, so its alert closes. ``open_keys``: the open below-guideline keys of
    ``pairs`` when the caller has read them already. ``skip``: pairs whose alert is left as it is (the
    engine failed on them). Returns (raised, closed).
    """
    considered = set(results) if pairs is None else set(pairs)
    below = {p for p in considered if p in results and results[p].status == shortfalls.BELOW_GUIDELINE}
    if open_keys is None:
        open_keys = set(_below_open_qs(None if pairs is None else considered).values_list("key", flat=True))
    if skip:
        open_keys = {k for k in open_keys if _pair_of(k) not in skip}

    def message(n: int, i: int, nations, items) -> str:
        r = results[(n, i)]
        return (f"{nations[n].code} {items[i].name}: {r.available:,} {items[i].unit} available against a guideline "
                f"of {r.guideline:,}, short by {r.shortfall:,}.")

    def params(n: int, i: int) -> dict:
        r = results[(n, i)]
        return {"available": r.available, "guideline": r.guideline, "shortfall": r.shortfall}

    wanted = {below_key(n, i): (n, i) for n, i in below}
    return _sync_pair_alerts(kind=Alert.Kind.BELOW_GUIDELINE, wanted=wanted, open_keys=open_keys, message=message,
                             params=params)


def alerts_sync_overdue(*, on: dt.date | None = None, pairs: Collection[Pair] | None = None,
                        open_keys: set[str] | None = None) -> tuple[int, int]:
    """Raise and close overdue-pledge alerts, for the pledges of ``pairs`` (donor, item) or every pledge.

    ``open_keys``: the open overdue keys of ``pairs`` when the caller has read them already.

    Returns (raised, closed). Two queries when nothing changes; one more to close, two more to raise.
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
        .order_by("pk")
        .values_list("pk", "donor_id", "recipient_id", "item_id", "quantity", "delivered_quantity", "due_on")
    )
    overdue: dict[str, int] = {}  # alert key -> pledge id
    for pk, donor_id, _recipient_id, item_id, quantity, delivered, due_on in candidates:
        if pairs is not None and (donor_id, item_id) not in pairs:
            continue
        if fulfilment.is_overdue_on_values(due_on=due_on, quantity=quantity, delivered=delivered, cancelled=False,
                                           on=on):
            overdue[overdue_key(pk)] = pk
    if open_keys is None:
        rows = _overdue_open_qs(pairs).values_list("key", "pledge__donor_id", "pledge__item_id")
        open_keys = _overdue_open_keys(rows, pairs)
    closed = _close(open_keys - overdue.keys(), now=now)
    new = sorted(overdue.keys() - open_keys)
    if not new:
        return 0, closed
    # Only the pledges that get a new alert are loaded in full (for the message).
    pledges = Pledge.objects.select_related("donor", "item").in_bulk([overdue[k] for k in new])
    alerts = []
    for key in new:
        p = pledges[overdue[key]]
        alerts.append(Alert(
            kind=Alert.Kind.PLEDGE_OVERDUE, nation_id=p.donor_id, item_id=p.item_id, pledge_id=p.pk, key=key,
            opened_at=now,
            message=(
                f"{p.donor.code} pledge #{p.pk} of {p.quantity:,} {p.item.unit} of {p.item.name} was due on "
                f"{p.due_on.isoformat()}; {p.quantity - min(p.delivered_quantity, p.quantity):,} not delivered."
            )[:500],
            params={"pledge": p.pk, "quantity": p.quantity, "due_on": p.due_on.isoformat(),
                    "outstanding": p.quantity - min(p.delivered_quantity, p.quantity)},
        ))
    _raise(alerts, now=now)
    return len(alerts), closed


def alerts_sync_stale_reporting(*, nation_ids: Collection[int] | None = None, today: dt.date | None = None,
                                open_keys: set[str] | None = None, raise_new: bool = True) -> tuple[int, int]:
    """Raise a ``stale_reporting`` alert for each nation (of ``nation_ids``; ``None``: every nation) whose
    reporting is stale (``reporting.is_stale``), once while it stays stale; close the open ones of nations
    whose reporting is fresh again. ``raise_new=False`` (the engine after a write): close only.
    ``open_keys``: the open stale keys of those nations when the caller has read them already.
    Returns (raised, closed). Three queries when nothing changes (two with ``open_keys``; none when
    closing only and nothing is open); one more to close, two more to raise."""
    today = today or timezone.localdate()
    if nation_ids is not None and not nation_ids:
        return 0, 0
    if open_keys is None:
        open_keys = set(_stale_open_qs(nation_ids).values_list("key", flat=True))
    if not raise_new:
        if not open_keys:
            return 0, 0
        nation_ids = {int(k.removeprefix(STALE_PREFIX)) for k in open_keys}  # only these can close
    expected_rows = Shortfall.objects.filter(guideline__gt=0)
    last_rows = CurrentStock.objects.all()
    if nation_ids is not None:
        expected_rows = expected_rows.filter(nation_id__in=nation_ids)
        last_rows = last_rows.filter(nation_id__in=nation_ids)
    expected = dict(expected_rows.order_by().values("nation_id").annotate(n=Count("pk"))
                    .values_list("nation_id", "n"))
    last = dict(last_rows.order_by().values("nation_id").annotate(last=Max("as_of")).values_list("nation_id", "last"))
    stale = {n for n in set(expected) | set(last)
             if reporting.is_stale(last_report=last.get(n), expected=expected.get(n, 0), today=today)}
    now = timezone.now()
    wanted = {stale_key(n): n for n in stale}
    closed = _close(open_keys - wanted.keys(), now=now)
    new = sorted(wanted.keys() - open_keys)
    if not new or not raise_new:
        return 0, closed
    nations = Nation.objects.in_bulk([wanted[k] for k in new])
    days = settings.REPORTING_STALE_AFTER_DAYS
    alerts = []
    for key in new:
        n = wanted[key]
        if last.get(n) is None:
            message = (f"{nations[n].code}: no stock report yet, while {expected.get(n, 0):,} items are expected; "
                       f"report at least every {days} days.")
            params = {"last_report": None, "expected": expected.get(n, 0), "every": days}
        else:
            message = (f"{nations[n].code}: the latest stock report is of {last[n].isoformat()}, "
                       f"{(today - last[n]).days:,} days ago; report at least every {days} days.")
            params = {"last_report": last[n].isoformat(), "days_ago": (today - last[n]).days, "every": days}
        alerts.append(Alert(kind=Alert.Kind.STALE_REPORTING, nation_id=n, key=key, opened_at=now,
                            message=message[:500], params=params))
    _raise(alerts, now=now)
    return len(alerts), closed
