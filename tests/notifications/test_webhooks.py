"""Webhooks, against a real HTTP receiver on localhost, on the embedded default (eager tasks)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest

from notifications.models import Webhook, WebhookDelivery
from pledges.services import pledge_create
from tests.notifications.scenario import guideline, report, token_client
from tests.notifications.servers import free_port

pytestmark = pytest.mark.django_db(transaction=True)

ALL_EVENTS = ["alert.opened", "alert.closed", "shortfalls.changed", "delivery.recorded"]


def verify(secret: str, received) -> dict:
    """What docs/notifications.md tells a receiver to do."""
    timestamp = received.headers["X-Aid-Timestamp"]
    expected = "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + received.body,
                                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, received.headers["X-Aid-Signature"])
    assert abs(time.time() - int(timestamp)) < 300
    return json.loads(received.body)


def register(client, url, events=ALL_EVENTS):
    response = client.post("/api/v1/webhooks/", {"url": url, "events": events}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def pol(nations):
    return token_client(nations["POL"])


@pytest.fixture
def usa(nations):
    return token_client(nations["USA"])


def test_registered_webhook_receives_a_signed_post_for_the_alert(pol, usa, receiver, item, nations):
    guideline(item)
    hook = register(pol, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["nation"] == "POL"
    assert "secret" not in pol.get(f"/api/v1/webhooks/{hook['id']}/").json()  # shown once
    started = time.monotonic()
    report(pol, item, 4000)
    events = {}
    for received in receiver.wait_for(2, timeout=5):
        body = verify(hook["secret"], received)
        assert received.headers["X-Aid-Event"] == body["event"]
        events[body["event"]] = body
    assert time.monotonic() - started < 5
    assert set(events) == {"alert.opened", "shortfalls.changed"}
    alert = events["alert.opened"]
    assert alert["nation"] == "POL" and alert["data"]["alert"]["kind"] == "below_guideline"
    assert alert["data"]["alert"]["item"] == item.pk
    (row,) = events["shortfalls.changed"]["data"]["rows"]
    assert (row["nation"], row["on_hand"], row["shortfall"], row["status"]) == ("POL", 4000, 6000, "below_guideline")
    # USA's report: nothing of it goes to POL's endpoint.
    report(usa, item, 100)
    report(pol, item, 4000, dt.date(2024, 1, 2))  # the same figures: no "changed" event
    time.sleep(0.3)
    assert len(receiver.received) == 2
    log = pol.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert sorted(d["event"] for d in log) == ["alert.opened", "shortfalls.changed"]
    assert all((d["status"], d["attempts"], d["last_status_code"]) == ("succeeded", 1, 200) for d in log)


def test_a_500_is_retried_and_the_log_says_so(pol, receiver, item):
    guideline(item)
    hook = register(pol, receiver.url, events=["alert.opened"])
    receiver.statuses = [500, 500]
    report(pol, item, 4000)
    received = receiver.wait_for(3, timeout=5)
    assert len(received) == 3
    assert len({r.headers["X-Aid-Delivery"] for r in received}) == 1  # the same delivery, retried
    for r in received:
        verify(hook["secret"], r)  # each attempt signed afresh
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 3, 200)
    assert Webhook.objects.get().consecutive_failures == 0


def test_disabled_after_repeated_failures(pol, receiver, item, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 4
    guideline(item)
    hook = register(pol, receiver.url, events=["alert.opened", "alert.closed"])
    receiver.default = 500
    report(pol, item, 4000)  # still a 201: the endpoint's failure never fails the write
    assert len(receiver.wait_for(4, timeout=5)) == 4
    detail = pol.get(f"/api/v1/webhooks/{hook['id']}/").json()
    assert detail["is_active"] is False and detail["consecutive_failures"] == 4
    assert "Disabled after 4 failed attempts" in detail["disabled_reason"]
    (log,) = pol.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()["results"]
    assert (log["status"], log["attempts"], log["last_status_code"]) == ("failed", 4, 500)
    assert "HTTP 500" in log["last_error"]
    report(pol, item, 12_000, dt.date(2024, 1, 2))  # the alert closes: a disabled webhook gets nothing
    time.sleep(0.3)
    assert len(receiver.received) == 4


def test_an_endpoint_that_is_down_never_fails_the_write(pol, item):
    guideline(item)
    register(pol, f"http://127.0.0.1:{free_port()}/nobody-home", events=["alert.opened"])
    report(pol, item, 4000)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "Connection refused" in delivery.last_error


def test_delivery_recorded_goes_to_the_donor_only(pol, usa, receiver, item, nations, cell_scope):
    hook = register(pol, receiver.url, events=["delivery.recorded"])
    usa_receiver_hook = register(usa, receiver.url + "/usa", events=["delivery.recorded"])
    pledge = pledge_create(actor=cell_scope, donor=nations["POL"], recipient=nations["UKR"], item=item,
                           quantity=1000, announced_on=dt.date(2024, 1, 1), due_on=dt.date(2030, 1, 1),
                           source="national_stock")
    response = pol.post("/api/v1/deliveries/", {"pledge": pledge.pk, "quantity": 200, "status": "in_transit",
                                               "shipped_on": "2024-02-01"}, format="json")
    assert response.status_code == 201, response.content
    (received,) = receiver.wait_for(1, timeout=5)
    assert received.path == "/hook"
    body = verify(hook["secret"], received)
    assert body["event"] == "delivery.recorded" and body["data"]["delivery"]["pledge"] == pledge.pk
    assert body["data"]["delivery"]["quantity"] == 200
    assert not WebhookDelivery.objects.filter(webhook_id=usa_receiver_hook["id"]).exists()


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "file:///etc/passwd", "javascript:alert(1)",
                                 "not a url", "http://", ""])
def test_only_http_and_https_urls(pol, url):
    response = pol.post("/api/v1/webhooks/", {"url": url, "events": ["alert.opened"]}, format="json")
    assert response.status_code == 400
    assert "url" in response.json()
    assert not Webhook.objects.exists()


def test_unknown_or_missing_events_are_a_400(pol):
    for events in ([], ["alert.everything"], "alert.opened"):
        response = pol.post("/api/v1/webhooks/", {"url": "https://example.org/h", "events": events}, format="json")
        assert response.status_code == 400 and "events" in response.json()


def test_another_nations_webhook_is_a_404_and_the_cell_registers_none(pol, usa, receiver, nations):
    from rest_framework.test import APIClient

    from tests.conftest import make_user

    hook = register(pol, receiver.url)
    assert usa.get(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert usa.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").status_code == 404
    assert usa.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 404
    assert usa.get("/api/v1/webhooks/").json()["results"] == []
    cell = APIClient()
    cell.force_login(make_user("coordinator", is_cell=True))
    assert cell.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["alert.opened"]},
                     format="json").status_code == 403
    assert [h["id"] for h in cell.get("/api/v1/webhooks/").json()["results"]] == [hook["id"]]
    assert pol.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert not Webhook.objects.exists()


def test_webhooks_per_nation_are_capped(pol, settings):
    settings.WEBHOOKS_PER_NATION = 2
    for _ in range(2):
        register(pol, "https://example.org/h")
    response = pol.post("/api/v1/webhooks/", {"url": "https://example.org/h", "events": ["alert.opened"]},
                        format="json")
    assert response.status_code == 400 and "url" in response.json()


def test_list_query_count_is_pinned(pol, django_assert_max_num_queries):
    for _ in range(5):
        register(pol, "https://example.org/h")
    with django_assert_max_num_queries(6):
        assert len(pol.get("/api/v1/webhooks/").json()["results"]) == 5
    hook = Webhook.objects.first()
    for k in range(5):
        WebhookDelivery.objects.create(webhook=hook, event="alert.opened", event_key=f"k{k}", payload={})
    with django_assert_max_num_queries(7):
        assert len(pol.get(f"/api/v1/webhooks/{hook.pk}/deliveries/").json()["results"]) == 5


def test_schema_documents_the_webhook_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"/api/v1/webhooks/", "/api/v1/webhooks/{id}/", "/api/v1/webhooks/{id}/deliveries/",
            "/api/v1/me/notifications/"} <= set(schema["paths"])
    created = schema["paths"]["/api/v1/webhooks/"]["post"]["responses"]["201"]
    assert "WebhookCreated" in json.dumps(created)
