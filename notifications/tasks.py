"""Celery tasks: thin; each calls notifications.emails or notifications.webhooks.

The fan-out tasks (``alerts_notify``, ``deliveries_notify``, ``shortfalls_notify``) write the log
rows and queue one sending task per row after their own commit. Sending tasks retry with exponential
backoff and jitter (``retry_countdown``); the last attempt marks the row failed instead of raising.
"""

from __future__ import annotations

import logging
import random

from celery import shared_task
from django.conf import settings
from django.db import transaction

from notifications import emails, webhooks

logger = logging.getLogger(__name__)

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True, "serializer": "json"}


def publish(task, *args_list) -> None:
    """Queue ``task`` once per argument, after the current transaction commits. A broker outage is logged,
    never raised into the caller."""
    def send() -> None:
        for args in args_list:
            try:
                task.delay(*args)
            except Exception:
                logger.exception("Could not queue %s%r.", task.name, args)
    if args_list:
        transaction.on_commit(send, robust=True)


def retry_countdown(retries: int, *, rng: random.Random | None = None) -> int:
    """Seconds to wait before retry number ``retries + 1`` ("equal jitter" exponential backoff):
    ceiling = min(NOTIFY_RETRY_BACKOFF_MAX_SECONDS, NOTIFY_RETRY_BACKOFF_SECONDS × 2**retries); the wait is
    half the ceiling plus a random 0 … half of it. It never falls below half the ceiling, so it grows
    retry after retry (unlike full jitter, which may retry at once), and the jitter spreads retries of
    many deliveries failing together."""
    ceiling = min(settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS, settings.NOTIFY_RETRY_BACKOFF_SECONDS * 2 ** retries)
    half = ceiling // 2
    return ceiling - half + (rng or _random).randint(0, half)


_random = random.SystemRandom()


def _attempt(task, send, retryable: type[Exception]):
    """Run ``send(final=...)`` under the retry policy. In a worker, a failed attempt is retried by Celery
    after ``retry_countdown`` seconds (``task.retry``: a new message with that countdown; the worker is free
    meanwhile) until ``task.max_retries``; the last attempt marks the row failed instead of raising.
    An in-process (eager) task cannot wait for a later message, so it makes its attempts at once."""
    if not task.request.is_eager:
        try:
            return send(final=task.request.retries >= task.max_retries)
        except retryable as exc:
            raise task.retry(exc=exc, countdown=retry_countdown(task.request.retries)) from exc
    for attempt in range(task.max_retries + 1):
        try:
            return send(final=attempt >= task.max_retries)
        except retryable:
            continue
    return None


@shared_task(**TASK_OPTIONS)
def alerts_notify(opened: list[int], closed: list[int]) -> None:
    """Alerts were raised or closed: email rows for the people concerned, webhook rows for the nation's systems."""
    with transaction.atomic():
        publish(send_alert_email, *[(pk,) for pk in emails.email_deliveries_create(opened=opened, closed=closed)])
        publish(deliver_webhook, *[(pk,) for pk in webhooks.alert_events_queue(opened=opened, closed=closed)])


@shared_task(**TASK_OPTIONS)
def deliveries_notify(delivery_ids: list[int]) -> None:
    with transaction.atomic():
        publish(deliver_webhook, *[(pk,) for pk in webhooks.delivery_events_queue(delivery_ids=delivery_ids)])


@shared_task(**TASK_OPTIONS)
def shortfalls_notify(nation_ids: list[int]) -> None:
    with transaction.atomic():
        publish(deliver_webhook, *[(pk,) for pk in webhooks.shortfall_events_queue(nation_ids=nation_ids)])


@shared_task(bind=True, **TASK_OPTIONS, max_retries=settings.NOTIFY_EMAIL_MAX_RETRIES)
def send_alert_email(self, delivery_id: int) -> str:
    return _attempt(self, lambda final: emails.email_send(delivery_id=delivery_id, final=final),
                    emails.EmailSendFailed)


@shared_task(bind=True, **TASK_OPTIONS, max_retries=settings.WEBHOOK_MAX_RETRIES)
def deliver_webhook(self, delivery_id: int) -> str:
    return _attempt(self, lambda final: webhooks.webhook_deliver(delivery_id=delivery_id, final=final),
                    webhooks.WebhookDeliveryFailed)


@shared_task(**TASK_OPTIONS)
def send_daily_digests() -> int:
    """Celery beat, once a day: one email per person who chose the digest and has alert events waiting."""
    return emails.digests_send()
