"""Webhooks: a nation's system registers an endpoint; events about that nation's own data are POSTed to it.

Each delivery is a JSON body signed with HMAC-SHA256 over ``<timestamp>.<body>`` with the webhook's
secret (headers ``X-Aid-Timestamp`` and ``X-Aid-Signature: sha256=<hex>``; docs/notifications.md).
A delivery row is created once per (webhook, event key), so a retried task never queues an event
twice; sending is retried with exponential backoff by Celery, and a webhook is disabled after
``WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in a row. Only the nation's own data goes out:
its alerts, its shortfall rows, deliveries against pledges it made.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coordination.models import Nation
from notifications.models import Event, ShortfallSnapshot, Webhook, WebhookDelivery
from pledges.api.serializers import DeliverySerializer
from pledges.models import Delivery
from stockpiles.api.serializers import AlertSerializer, ShortfallSerializer
from stockpiles.models import Alert, Shortfall

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Aid-Signature"
TIMESTAMP_HEADER = "X-Aid-Timestamp"
EVENTS: tuple[str, ...] = tuple(Event.values)
# Fields of a shortfall row that do not make it "changed": its id, when and for which day it was computed.
UNCOMPARED = ("id", "computed_at", "as_of")


class WebhookDeliveryFailed(Exception):
    """The endpoint answered with an error or could not be reached; Celery retries with backoff."""


# --- Registration --------------------------------------------------------------------------------

def webhook_register(*, nation: Nation, url: str, events: Iterable[str], token=None) -> tuple[Webhook, str]:
    """Register an endpoint for ``nation``. Returns (webhook, secret); the secret is shown only now."""
    events = list(dict.fromkeys(events))
    errors: dict[str, list[str]] = {}
    if not events:
        errors["events"] = ["Choose at least one event."]
    elif unknown := [e for e in events if e not in EVENTS]:
        errors["events"] = [f"Unknown event: {', '.join(map(str, unknown))}. Events: {', '.join(EVENTS)}."]
    limit = settings.WEBHOOKS_PER_NATION
    if Webhook.objects.filter(nation=nation).count() >= limit:
        errors["url"] = [f"A nation may register at most {limit} webhooks; delete one first."]
    if errors:
        raise ValidationError(errors)
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook = Webhook.objects.create(nation=nation, url=url, events=events, secret=secret,
                                     created_by_token=token)
    return webhook, secret


# --- Signing ------------------------------------------------------------------------------------

def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + hex HMAC-SHA256 of ``<timestamp>.<body>`` with the webhook's secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


def _envelope(*, event: str, event_key: str, nation: Nation, data: dict) -> dict:
    created = timezone.now().isoformat().replace("+00:00", "Z")
    return json.loads(json.dumps({"id": event_key, "event": event, "nation": nation.code, "created_at": created,
                                  "data": data}, cls=DjangoJSONEncoder))


# --- Queuing events ----------------------------------------------------------------------------

def _subscribed(nation_ids: Iterable[int], event: str) -> dict[int, list[Webhook]]:
    """Active webhooks of these nations that asked for ``event`` (events are filtered here: any database)."""
    found: dict[int, list[Webhook]] = defaultdict(list)
    for webhook in Webhook.objects.filter(is_active=True, nation_id__in=set(nation_ids)).select_related("nation"):
        if event in webhook.events:
            found[webhook.nation_id].append(webhook)
    return found


def has_subscribers(nation_ids: Iterable[int], event: str) -> bool:
    return any(event in events for events in Webhook.objects.filter(
        is_active=True, nation_id__in=set(nation_ids)).values_list("events", flat=True))


def _queue(entries: Sequence[tuple[Webhook, str, str, dict]]) -> list[int]:
    """Create the delivery rows (webhook, event, event key, payload), once each. Returns the pending ids."""
    if not entries:
        return []
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=w, event=event, event_key=key, payload=payload) for w, event, key, payload in entries],
        ignore_conflicts=True, batch_size=500)
    keys = {key for _, _, key, _ in entries}
    return list(WebhookDelivery.objects.filter(webhook_id__in={w.pk for w, *_ in entries}, event_key__in=keys,
                                               status=WebhookDelivery.Status.PENDING, attempts=0)
                .order_by("pk").values_list("pk", flat=True))


def alert_events_queue(*, opened: Sequence[int] = (), closed: Sequence[int] = ()) -> list[int]:
    """``alert.opened`` / ``alert.closed`` for the webhooks of each alert's own nation."""
    entries = []
    for ids, event in ((opened, Event.ALERT_OPENED), (closed, Event.ALERT_CLOSED)):
        if not ids:
            continue
        alerts = list(Alert.objects.select_related("nation").filter(pk__in=ids).order_by("pk"))
        hooks = _subscribed((a.nation_id for a in alerts), event)
        for alert in alerts:
            for webhook in hooks.get(alert.nation_id, ()):
                key = f"{event}:{alert.pk}"
                entries.append((webhook, event, key, _envelope(event=event, event_key=key, nation=alert.nation,
                                                               data={"alert": AlertSerializer(alert).data})))
    return _queue(entries)


def delivery_events_queue(*, delivery_ids: Sequence[int]) -> list[int]:
    """``delivery.recorded`` for the webhooks of the donor of each delivery's pledge."""
    event = Event.DELIVERY_RECORDED
    deliveries = list(Delivery.objects.select_related("pledge__donor").filter(pk__in=delivery_ids).order_by("pk"))
    hooks = _subscribed((d.pledge.donor_id for d in deliveries), event)
    entries = []
    for delivery in deliveries:
        donor = delivery.pledge.donor
        for webhook in hooks.get(donor.pk, ()):
            key = f"{event}:{delivery.pk}:{delivery.updated_at.isoformat()}"
            entries.append((webhook, event, key, _envelope(event=event, event_key=key, nation=donor,
                                                           data={"delivery": DeliverySerializer(delivery).data})))
    return _queue(entries)


def _fingerprint(row: dict) -> str:
    compared = {k: v for k, v in row.items() if k not in UNCOMPARED}
    return hashlib.sha256(json.dumps(compared, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def shortfall_events_queue(*, nation_ids: Iterable[int]) -> list[int]:
    """``shortfalls.changed`` per subscribed nation: the rows that differ from the last ones announced
    (``ShortfallSnapshot``), and the items whose row is gone. Nothing changed: nothing sent."""
    event = Event.SHORTFALLS_CHANGED
    hooks = _subscribed(nation_ids, event)
    pending: list[int] = []
    for nation_id in sorted(hooks):
        with transaction.atomic():
            nation = Nation.objects.select_for_update().get(pk=nation_id)  # one announcer per nation at a time
            rows = ShortfallSerializer(Shortfall.objects.filter(nation_id=nation_id).select_related("nation")
                                       .order_by("item_id"), many=True).data
            known = dict(ShortfallSnapshot.objects.filter(nation_id=nation_id).values_list("item_id", "fingerprint"))
            prints = {row["item"]: _fingerprint(row) for row in rows}
            changed = [row for row in rows if known.get(row["item"]) != prints[row["item"]]]
            removed = sorted(set(known) - set(prints))
            if not changed and not removed:
                continue
            ShortfallSnapshot.objects.bulk_create(
                [ShortfallSnapshot(nation_id=nation_id, item_id=row["item"], fingerprint=prints[row["item"]])
                 for row in changed],
                update_conflicts=True, unique_fields=["nation", "item"], update_fields=["fingerprint"], batch_size=1000)
            ShortfallSnapshot.objects.filter(nation_id=nation_id, item_id__in=removed).delete()
            key = f"{event}:{uuid.uuid4().hex}"
            payload = _envelope(event=event, event_key=key, nation=nation,
                                data={"rows": changed, "removed_items": removed})
            pending += _queue([(webhook, event, key, payload) for webhook in hooks[nation_id]])
    return pending


# --- Sending -----------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed delivery (a signed POST is never replayed to another address)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _post(webhook: Webhook, delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the signed payload. Returns (status code or None, error text; empty when it succeeded)."""
    body = body_of(delivery.payload)
    timestamp = str(int(time.time()))
    request = urllib.request.Request(webhook.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "AidCoordinationCell-Webhooks/1",
        "X-Aid-Event": delivery.event,
        "X-Aid-Delivery": str(delivery.pk),
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret=webhook.secret, timestamp=timestamp, body=body),
    })
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except Exception as exc:  # refused, timed out, bad host, TLS: all a failed attempt
        return None, repr(exc)


def webhook_deliver(*, delivery_id: int, final: bool) -> str:
    """One attempt at one delivery. Returns the status; raises WebhookDeliveryFailed when Celery should retry."""
    delivery = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return "nothing to do"
    webhook = delivery.webhook
    if not webhook.is_active:
        WebhookDelivery.objects.filter(pk=delivery_id).update(status=WebhookDelivery.Status.FAILED,
                                                              last_error="The webhook is disabled.")
        return WebhookDelivery.Status.FAILED
    code, error = _post(webhook, delivery)
    now = timezone.now()
    if not error:
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            status=WebhookDelivery.Status.SUCCEEDED, attempts=F("attempts") + 1, last_status_code=code,
            last_error="", last_attempt_at=now, delivered_at=now)
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=0)
        return WebhookDelivery.Status.SUCCEEDED
    disabled = _count_failure(webhook, error=error, now=now)
    give_up = final or disabled
    WebhookDelivery.objects.filter(pk=delivery_id).update(
        status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
        attempts=F("attempts") + 1, last_status_code=code, last_error=error[:500], last_attempt_at=now)
    if give_up:
        return WebhookDelivery.Status.FAILED
    raise WebhookDeliveryFailed(error)


def _count_failure(webhook: Webhook, *, error: str, now) -> bool:
    """One more failed attempt in a row; disable the webhook at the limit. True when it is (now) disabled."""
    limit = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    with transaction.atomic():
        Webhook.objects.filter(pk=webhook.pk).update(consecutive_failures=F("consecutive_failures") + 1)
        failures, active = Webhook.objects.filter(pk=webhook.pk).values_list("consecutive_failures", "is_active").get()
        if active and failures >= limit:
            Webhook.objects.filter(pk=webhook.pk).update(
                is_active=False, disabled_at=now,
                disabled_reason=f"Disabled after {failures} failed attempts in a row; last: {error}"[:300])
            logger.warning("Webhook %s disabled after %s failed attempts in a row.", webhook.pk, failures)
            return True
    return not active
