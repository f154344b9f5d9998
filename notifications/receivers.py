"""Receivers of the hooks below (stockpiles.hooks, pledges.hooks), connected in NotificationsConfig.ready().

They run inside the engine's or the service's transaction and only queue a task for after the commit:
nothing is sent in the request, and a broken mail server, webhook endpoint or broker never fails a write.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging

from django.db import transaction

from notifications import tasks, webhooks

logger = logging.getLogger(__name__)

_muted = contextvars.ContextVar("notifications_muted", default=False)


@contextlib.contextmanager
def muted():
    """Announce nothing for what happens inside (loading the demo: its alerts are the scenario, not news)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def on_alerts_changed(*, opened: list[int], closed: list[int]) -> None:
    if _muted.get():
        return
    tasks.publish(tasks.alerts_notify, (list(opened), list(closed)))


def on_deliveries_recorded(*, delivery_ids: list[int]) -> None:
    if _muted.get():
        return
    tasks.publish(tasks.deliveries_notify, (list(delivery_ids),))


def on_shortfalls_stored(*, pairs) -> None:
    """Only nations with a webhook for ``shortfalls.changed`` get a task (checked after the commit)."""
    if _muted.get():
        return
    nation_ids = sorted({n for n, _ in pairs})

    def queue() -> None:
        try:
            if webhooks.has_subscribers(nation_ids, webhooks.Event.SHORTFALLS_CHANGED):
                tasks.shortfalls_notify.delay(nation_ids)
        except Exception:
            logger.exception("Could not queue the shortfalls.changed webhooks for nations %s.", nation_ids)

    transaction.on_commit(queue, robust=True)
