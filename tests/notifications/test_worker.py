"""Notifications with a real Celery worker: email through a real SMTP server, webhooks to a real HTTP receiver.

The issue's "done when", end to end: a nation's token reports stock through the API, the engine opens a
below-guideline alert in the worker, the officer gets exactly one email through a real SMTP server and the
nation's webhook a signed POST within seconds; a 500 is retried after the backoff; repeated failures disable it.

The worker process reads its settings from the environment (EMAIL_URL pointing at the test's SMTP server,
short backoff); the test process serves the API and the servers (the worker fixtures: tests/worker/conftest.py).
Needs PostgreSQL and Redis (skipped without them; AID_REQUIRE_SERVICES=1 fails instead).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from notifications.models import EmailDelivery, Webhook, WebhookDelivery
from stockpiles import tasks as stock_tasks
from stockpiles.models import Alert
from tests.notifications.scenario import POL_OFFICER, USA_OFFICER, guideline, people, report, token_client
from tests.notifications.servers import HttpReceiver, SmtpServer
from tests.worker.conftest import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def servers(monkeypatch):
    smtp, receiver = SmtpServer().start(), HttpReceiver().start()
    monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{smtp.port}")
    monkeypatch.setenv("NOTIFY_RETRY_BACKOFF_SECONDS", "1")
    monkeypatch.setenv("NOTIFY_RETRY_BACKOFF_MAX_SECONDS", "2")
    monkeypatch.setenv("WEBHOOK_DISABLE_AFTER_FAILURES", "3")
    yield smtp, receiver
    smtp.stop()
    receiver.stop()


def signed(secret: str, received) -> dict:
    timestamp = received.headers["X-Aid-Timestamp"]
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest("sha256=" + mac, received.headers["X-Aid-Signature"])
    return json.loads(received.body)


def test_alert_reaches_the_officer_once_and_the_webhook_signed(worker_factory, servers, nations, item):
    smtp, receiver = servers
    people(nations)
    guideline(item)
    pol = token_client(nations["POL"])
    hook = pol.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["alert.opened"]}, format="json").json()
    worker = worker_factory()
    receiver.statuses = [500]  # the first attempt fails: the worker retries after the backoff
    started = time.monotonic()
    report(pol, item, 4000)  # 201 at once: the engine, the emails and the webhook are the worker's
    (email,) = wait_for(lambda: smtp.to(POL_OFFICER), timeout=20, what="the officer's email", worker=worker)
    assert "Below guideline" in email["Subject"] and "POL" in email["Subject"]
    received = receiver.wait_for(2, timeout=20)
    assert len(received) == 2, worker.log()
    assert received[0].at - started < 10  # the first signed POST within seconds of the write
    # The retry waited retry_countdown(0): min(cap 2, base 1 × 2**0) = 1 s, half of it fixed (0.5 s at least).
    assert received[1].at - received[0].at >= 0.5
    bodies = [signed(hook["secret"], r) for r in received]
    assert bodies[0]["id"] == bodies[1]["id"] and bodies[1]["event"] == "alert.opened"
    assert received[0].headers["X-Aid-Delivery"] == received[1].headers["X-Aid-Delivery"]
    assert received[0].headers["X-Aid-Timestamp"] <= received[1].headers["X-Aid-Timestamp"]  # signed afresh
    assert bodies[1]["data"]["alert"]["kind"] == "below_guideline" and bodies[1]["nation"] == "POL"
    delivery = wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").first(), timeout=10,
                        what="the delivery log", worker=worker)
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
    report(token_client(nations["USA"]), item, 100)
    wait_for(lambda: EmailDelivery.objects.filter(user__email=USA_OFFICER, status="sent").exists(), timeout=20,
             what="the USA officer's email", worker=worker)
    time.sleep(1)
    assert len(smtp.to(POL_OFFICER)) == 1  # never a second one, and none about USA's alert
    assert EmailDelivery.objects.filter(user__email=POL_OFFICER).count() == 1
    assert len(receiver.received) == 2  # USA's alert never goes to POL's endpoint

    # Both reports are of 2024-01-01: the periodic check (Celery beat) finds POL's and USA's reporting stale.
    stock_tasks.sync_stale_reporting.delay()
    wait_for(lambda: len(smtp.to(POL_OFFICER)) == 2, timeout=20, what="the stale-reporting email", worker=worker)
    assert "Stale reporting" in smtp.to(POL_OFFICER)[1]["Subject"]
    assert Alert.objects.filter(kind="stale_reporting", closed_at__isnull=True).count() == 2
    stock_tasks.sync_stale_reporting.delay()  # still stale: nothing new
    wait_for(lambda: len(smtp.to(USA_OFFICER)) == 2, timeout=20, what="USA's stale-reporting email", worker=worker)
    time.sleep(2)  # the second check has run by now (one solo worker, a few milliseconds of work)
    assert len(smtp.to(POL_OFFICER)) == 2 and all("POL" in m["Subject"] for m in smtp.to(POL_OFFICER))


def test_webhook_is_disabled_after_repeated_failures(worker_factory, servers, nations, item):
    smtp, receiver = servers
    guideline(item)
    pol = token_client(nations["POL"])
    pol.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["alert.opened"]}, format="json")
    receiver.default = 500
    worker = worker_factory()
    report(pol, item, 4000)
    webhook = wait_for(lambda: Webhook.objects.filter(is_active=False).first(), timeout=30,
                       what="the webhook to be disabled", worker=worker)
    assert webhook.consecutive_failures == 3 and len(receiver.received) == 3
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
