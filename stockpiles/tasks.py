"""Celery tasks: thin; they take no arguments (the marks are the queue) and call the engine.

Both are safe to run twice or concurrently (upserts under one transaction-scoped PostgreSQL
advisory lock), and safe to kill: a batch is one transaction, so a killed worker leaves the
marks it was working on, and no lock. ``acks_late`` + ``reject_on_worker_lost`` put the message
back; the start-up hook below also drains whatever a dead worker left behind.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_ready

from stockpiles.engine import marks, run

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "serializer": "json",
}


@shared_task(**TASK_OPTIONS, soft_time_limit=9 * 60, time_limit=10 * 60)
def recompute_marked_shortfalls() -> int:
    """Drain the pairs marked dirty by writes, batch by batch, until none are left."""
    marks.drainflag.clear()  # before reading marks: a write committing from now on requests a new task
    try:
        return run.shortfalls_drain()
    except SoftTimeLimitExceeded:
        # The batch in progress rolled back; its marks are intact. Let a fresh task carry on.
        logger.warning("Shortfall drain hit its soft time limit; requesting another drain.")
        marks.shortfall_request_drain()
        return 0


@shared_task(**TASK_OPTIONS, soft_time_limit=25 * 60, time_limit=30 * 60)
def recompute_all_shortfalls() -> int:
    """The periodic full recompute (Celery beat): repairs anything the incremental path missed,
    removes rows of pairs without inputs, and syncs every alert (pledges that became overdue)."""
    count = run.shortfalls_recompute(pairs=None)
    if marks.shortfall_marks_pending():
        marks.shortfall_request_drain()
    return count


@shared_task(**TASK_OPTIONS, soft_time_limit=9 * 60, time_limit=10 * 60)
def sync_stale_reporting() -> int:
    """Celery beat (``STALE_REPORTING_CHECK_MINUTES``): raise a stale-reporting alert for each nation whose
    latest stock report has grown older than ``REPORTING_STALE_AFTER_DAYS``, close those fresh again.
    Returns the number raised."""
    raised, _closed = run.stale_reporting_sync()
    return raised


@worker_ready.connect
def drain_leftovers_on_start(sender=None, **kwargs) -> None:
    """When a worker starts, drain what a killed worker may have left (marks without a pending task)."""
    try:
        if marks.shortfall_marks_pending():
            marks.shortfall_request_drain(force=True)
    except Exception:  # never keep a worker from starting
        logger.exception("Could not check for leftover shortfall marks at worker start.")
