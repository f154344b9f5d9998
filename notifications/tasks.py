"""Celery tasks: thin; each calls notifications.emails or notifications.webhooks.

The fan-out tasks (``alerts_notify``, ``deliveries_notify``, ``shortfalls_notify``) write the log
rows and queue one sending task per row after their own commit. Sending tasks retry with exponential
backoff (``autoretry_for``); the last attempt marks the row failed instead of raising.
"""

from __future__ import annotations

import logging

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


def _attempt(task, send, retryable: type[Exception]):
    """Run ``send(final=...)`` under Celery's retry policy. A worker retries with backoff (``autoretry_for``);
    an in-process (eager) task cannot (the Retry would propagate), so it makes its attempts at once."""
    if not task.request.is_eager:
        return send(final=task.request.retries >= task.max_retries)
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


@shared_task(bind=True, **TASK_OPTIONS, autoretry_for=(emails.EmailSendFailed,),
             max_retries=settings.NOTIFY_EMAIL_MAX_RETRIES, retry_backoff=settings.NOTIFY_RETRY_BACKOFF_SECONDS,
             retry_backoff_max=settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS, retry_jitter=True)
def send_alert_email(self, delivery_id: int) -> str:
    return _attempt(self, lambda final: emails.email_send(delivery_id=delivery_id, final=final),
                    emails.EmailSendFailed)


@shared_task(bind=True, **TASK_OPTIONS, autoretry_for=(webhooks.WebhookDeliveryFailed,),
             max_retries=settings.WEBHOOK_MAX_RETRIES, retry_backoff=settings.NOTIFY_RETRY_BACKOFF_SECONDS,
             retry_backoff_max=settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS, retry_jitter=True)
def deliver_webhook(self, delivery_id: int) -> str:
    return _attempt(self, lambda final: webhooks.webhook_deliver(delivery_id=delivery_id, final=final),
                    webhooks.WebhookDeliveryFailed)


@shared_task(**TASK_OPTIONS)
def send_daily_digests() -> int:
    """Celery beat, once a day: one email per person who chose the digest and has alert events waiting."""
    return emails.digests_send()
