"""The retry policy of the sending tasks: exponential backoff with "equal jitter", the countdown a worker uses.

In-process (eager) tasks make their attempts at once (tests/notifications/test_email.py, test_webhooks.py);
tests/worker/test_notifications_worker.py sees the waits with a real worker.
"""

from __future__ import annotations

import random

import pytest
from celery.exceptions import Retry

from notifications import tasks, webhooks
from notifications.models import Webhook, WebhookDelivery
from tests.notifications.servers import free_port


class Fixed(random.Random):
    """randint returns its lower or its upper bound."""

    def __init__(self, upper: bool):
        super().__init__(0)
        self.upper = upper

    def randint(self, a, b):
        return b if self.upper else a


def test_countdown_grows_within_documented_bounds(settings):
    settings.NOTIFY_RETRY_BACKOFF_SECONDS, settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS = 30, 1800
    lows = [tasks.retry_countdown(n, rng=Fixed(False)) for n in range(8)]
    highs = [tasks.retry_countdown(n, rng=Fixed(True)) for n in range(8)]
    assert lows == [15, 30, 60, 120, 240, 480, 900, 900]  # half the ceiling, then the cap's half
    assert highs == [30, 60, 120, 240, 480, 960, 1800, 1800]  # the ceiling: 30 × 2**n, capped
    for n in range(5):  # below the cap: the next wait is never shorter than the longest previous one
        assert lows[n + 1] >= highs[n]
    assert lows == sorted(lows)
    seen = {tasks.retry_countdown(3) for _ in range(200)}
    assert min(seen) >= 120 and max(seen) <= 240 and len(seen) > 10  # jittered


@pytest.mark.django_db
def test_a_worker_retry_uses_the_countdown(nations, monkeypatch, settings):
    """A worker on a failed attempt: ``task.retry`` with ``retry_countdown(retries)``; the row stays pending."""
    settings.NOTIFY_RETRY_BACKOFF_SECONDS, settings.NOTIFY_RETRY_BACKOFF_MAX_SECONDS = 30, 1800
    webhook, _secret = webhooks.webhook_register(nation=nations["POL"], url=f"http://127.0.0.1:{free_port()}/",
                                                 events=["alert.opened"])
    delivery = WebhookDelivery.objects.create(webhook=webhook, event="alert.opened", event_key="k", payload={})
    asked = []

    def retry(*, exc, countdown):
        asked.append((type(exc), countdown))
        return Retry("retry", exc=exc, when=countdown)

    monkeypatch.setattr(tasks.deliver_webhook, "retry", retry)
    task = tasks.deliver_webhook
    task.push_request(retries=2, is_eager=False)
    try:
        with pytest.raises(Retry):
            task.run(delivery.pk)
    finally:
        task.pop_request()
    ((kind, countdown),) = asked
    assert kind is webhooks.WebhookDeliveryFailed and 60 <= countdown <= 120
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "Connection refused" in delivery.last_error or "ConnectionRefused" in delivery.last_error
    # The last attempt (retries == max_retries) marks it failed instead of asking for another retry.
    task.push_request(retries=task.max_retries, is_eager=False)
    try:
        assert task.run(delivery.pk) == "failed"
    finally:
        task.pop_request()
    assert len(asked) == 1 and WebhookDelivery.objects.get().status == "failed"
    assert Webhook.objects.get().consecutive_failures == 2
