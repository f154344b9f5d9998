"""Marks and drain: a write marks (nation, item) pairs dirty; on commit one drain task is requested.

Many writes in a burst coalesce into few drains (``DrainFlag``); the marks table is the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence

from celery import current_app as app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coordination.models import Nation
from stockpiles.models import CurrentStock, Shortfall, ShortfallMark

Pair = tuple[int, int]  # (nation_id, item_id)

logger = logging.getLogger(__name__)

DRAIN_TASK = "stockpiles.tasks.recompute_marked_shortfalls"



def shortfall_mark_pairs(*, pairs: Iterable[Pair], history_from: Mapping[Pair, dt.date] | None = None) -> int:
    """Mark (nation, item) pairs for recompute; when the transaction commits, request one drain.

    A mark that already exists is re-set (new ``marked_at``), so a drain that read it before this
    write will not delete it and the change is picked up by the next batch. However many pairs, a
    task is only published when none is already pending (see ``shortfall_request_drain``).

    ``history_from``: pairs whose input is dated before today (a backdated stock report): the drain
    re-derives their history from that date on (the earliest date wins while the mark waits; docs/history.md).
    One more query per distinct date.
    """
    unique = sorted(set(pairs))
    if not unique:
        return 0
    now = timezone.now()
    ShortfallMark.objects.bulk_create(
        [ShortfallMark(nation_id=n, item_id=i, marked_at=now) for n, i in unique],
        update_conflicts=True,
        unique_fields=["nation", "item"],
        update_fields=["marked_at"],
        batch_size=1000,
    )
    today = timezone.localdate()
    by_day: dict[dt.date, set[Pair]] = {}
    for pair, day in (history_from or {}).items():
        if day < today:
            by_day.setdefault(day, set()).add(pair)
    for day, group in sorted(by_day.items()):
        for n in {n for n, _ in group}:
            ShortfallMark.objects.filter(nation_id=n, item_id__in={i for m, i in group if m == n}).filter(
                Q(history_from__isnull=True) | Q(history_from__gt=day)).update(history_from=day)
    # robust: whatever goes wrong after the commit is logged and never reaches the request that wrote.
    transaction.on_commit(shortfall_request_drain, robust=True)
    return len(unique)


def shortfall_mark_item(*, item_id: int, history_from: dt.date | None = None) -> int:
    """An alliance-wide guideline change touches every nation holding, owing or producing the item, and
    every ally (the guideline applies to it: a ``no_report`` row appears or goes)."""
    nations = set(CurrentStock.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    nations |= set(Shortfall.objects.filter(item_id=item_id).values_list("nation_id", flat=True))
    nations |= set(Nation.objects.filter(role=Nation.Role.ALLY).values_list("pk", flat=True))
    pairs = [(n, item_id) for n in nations]
    return shortfall_mark_pairs(pairs=pairs, history_from=None if history_from is None else dict.fromkeys(pairs,
                                                                                                       history_from))


def shortfall_request_drain(*, force: bool = False) -> bool:
    """Publish one ``recompute_marked_shortfalls`` task unless one is already pending. True if published.

    Coalescing: a short-lived "drain pending" key (``drainflag``) is set when a task is published
    and cleared by the task when it starts, before it reads the marks. A write that commits while a
    task is pending needs no new task (that task will read its marks); a write that commits after
    the task started publishes exactly one more. So a burst of any number of writes costs at most
    one task per drain that actually runs, plus one. The key expires on its own, so a publication
    lost to a broker outage is retried by a later write; the periodic full recompute and the
    worker start-up check repair anything left meanwhile.
    """
    # Looked up by name in the Celery registry: the tasks module imports this one (no import cycle).
    recompute_marked_shortfalls = app.tasks[DRAIN_TASK]
    if not drainflag.try_set() and not force:  # force (worker start): publish, and still set the flag
        return False
    try:
        recompute_marked_shortfalls.delay()
    except Exception:
        # In-process (eager): the drain itself failed; its transaction rolled back, so the marks stay and
        # the next write's drain (or ``recompute_shortfalls``) retries them; the dashboard flags the
        # figures as stale meanwhile (``selectors.shortfalls_are_stale``). With a broker: publishing failed.
        # Either way the write that asked has committed and must not fail: log, never raise.
        drainflag.clear()
        if recompute_marked_shortfalls.app.conf.task_always_eager:
            logger.exception("The in-process shortfall recompute failed; its marks stay for the next drain.")
        else:
            logger.exception("Could not publish the shortfall recompute; marks stay until the next drain.")
        return False
    return True


class DrainFlag:
    """The "a drain task is pending" key used to coalesce drain requests.

    With a Redis broker: a Redis key set with NX and a TTL (shared by every web and worker process).
    With in-process (eager) tasks: a flag in this process. With another broker: no coalescing
    (every committed write transaction publishes one task, still never one per row).
    """

    prefix = "aid:stockpiles:shortfall-drain-pending"

    def __init__(self) -> None:
        self._local = False
        self._clients: dict[str, object] = {}

    @staticmethod
    def ttl() -> int:
        return int(getattr(settings, "SHORTFALL_DRAIN_PENDING_TTL", 300))

    def _redis(self):
        if app.conf.task_always_eager:
            return None
        url = app.conf.broker_url or ""
        if not url.startswith(("redis://", "rediss://")):
            return None
        client = self._clients.get(url)
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
            self._clients[url] = client
        return client

    @property
    def key(self) -> str:
        """One key per database and queue: deployments (or test runs) sharing a Redis never mix."""
        name = transaction.get_connection().settings_dict.get("NAME") or ""
        return f"{self.prefix}:{name}:{app.conf.task_default_queue}"

    def _mode(self) -> str:
        if app.conf.task_always_eager:
            return "local"
        return "redis" if self._redis() is not None else "none"

    def try_set(self) -> bool:
        """Set the flag if it is not set. True when this call set it (so the caller publishes)."""
        mode = self._mode()
        if mode == "local":
            if self._local:
                return False
            self._local = True
            return True
        if mode == "redis":
            try:
                return bool(self._redis().set(self.key, "1", nx=True, ex=self.ttl()))
            except Exception:  # Redis unreachable: publish anyway (the publish will tell)
                logger.warning("Drain flag unavailable; publishing without coalescing.", exc_info=True)
                return True
        return True

    def clear(self) -> None:
        mode = self._mode()
        if mode == "local":
            self._local = False
        elif mode == "redis":
            try:
                self._redis().delete(self.key)
            except Exception:
                logger.warning("Could not clear the drain flag; it expires by itself.", exc_info=True)

    def is_set(self) -> bool:
        mode = self._mode()
        if mode == "local":
            return self._local
        if mode == "redis":
            return bool(self._redis().exists(self.key))
        return False


drainflag = DrainFlag()


def _read_marks(*, limit: int | None) -> list[tuple[int, int, int, dt.datetime, dt.date | None]]:
    """(pk, nation_id, item_id, marked_at, history_from) of the oldest marks."""
    qs = ShortfallMark.objects.order_by("pk").values_list("pk", "nation_id", "item_id", "marked_at", "history_from")
    return list(qs if limit is None else qs[:limit])


def _delete_marks(marks: Sequence[tuple]) -> int:
    """Delete, in one statement, exactly the marks read whose ``marked_at`` is unchanged."""
    if not marks:
        return 0
    connection = transaction.get_connection()
    table = connection.ops.quote_name(ShortfallMark._meta.db_table)
    total = 0
    # One statement per 5,000 marks (a drain batch is at most that), within the parameter limits.
    for start in range(0, len(marks), 5000):
        chunk = marks[start:start + 5000]
        values = ", ".join(["(%s, %s)"] * len(chunk))
        params: list = []
        for pk, _, _, marked_at, *_rest in chunk:
            params += [pk, connection.ops.adapt_datetimefield_value(marked_at)]
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE (id, marked_at) IN (VALUES {values})", params)
            total += cursor.rowcount
    return total


def shortfall_marks_pending() -> int:
    return ShortfallMark.objects.count()
