"""Notifications with a real Celery worker: email through a real SMTP server, webhooks to a real HTTP receiver.

The worker process reads its settings from the environment (EMAIL_URL pointing at the test's SMTP server,
short backoff); the test process serves the API and the servers (see conftest.py in this folder).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import pytest

from notifications.models import EmailDelivery, Webhook, WebhookDelivery
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
    receiver.statuses = [500]  # the first attempt fails: the worker retries with backoff
    report(pol, item, 4000)
    (email,) = wait_for(lambda: smtp.to(POL_OFFICER), timeout=20, what="the officer's email", worker=worker)
    assert "Below guideline" in email["Subject"]
    received = receiver.wait_for(2, timeout=20)
    assert len(received) == 2, worker.log()
    bodies = [signed(hook["secret"], r) for r in received]
    assert bodies[0]["id"] == bodies[1]["id"] and bodies[1]["event"] == "alert.opened"
    delivery = wait_for(lambda: WebhookDelivery.objects.filter(status="succeeded").first(), timeout=10,
                        what="the delivery log", worker=worker)
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
    report(token_client(nations["USA"]), item, 100)
    wait_for(lambda: EmailDelivery.objects.filter(user__email=USA_OFFICER, status="sent").exists(), timeout=20,
             what="the USA officer's email", worker=worker)
    time.sleep(1)
    assert len(smtp.to(POL_OFFICER)) == 1  # never a second one
    assert len(receiver.received) == 2  # USA's alert never goes to POL's endpoint


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
