"""Email about alerts: who gets which (preferences + the access rule), one log row per (alert, event,
recipient), and the sending itself (immediate or daily digest), in the recipient's language.

Nothing here runs in a request: ``notifications.tasks`` calls it after the commit of the write that
raised or closed the alerts. A retry never sends twice: a row is claimed (``pending`` → ``sending``)
by one UPDATE before the message goes out, and the unique constraint keeps a second row from existing.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from coordination.access import Scope, scope_for
from notifications.models import EmailDelivery, Kind, NotificationPreference
from notifications.preferences import prefs_of, unsubscribe_token
from stockpiles.alert_text import alert_text
from stockpiles.models import Alert

logger = logging.getLogger(__name__)

OPENED, CLOSED = EmailDelivery.Event.OPENED, EmailDelivery.Event.CLOSED

# (alert kind, event) -> what a person subscribes to. A stale-reporting or engine-failure alert closing sends nothing.
EVENT_KINDS = {
    ("below_guideline", OPENED): Kind.BELOW_GUIDELINE,
    ("below_guideline", CLOSED): Kind.BACK_ABOVE,
    ("pledge_overdue", OPENED): Kind.PLEDGE_OVERDUE,
    ("stale_reporting", OPENED): Kind.STALE_REPORTING,
    ("engine_failure", OPENED): Kind.ENGINE_FAILURE,
}


class EmailSendFailed(Exception):
    """The mail server refused or could not be reached; Celery retries."""


def event_kind(alert: Alert, event: str) -> str | None:
    return EVENT_KINDS.get((alert.kind, event))


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _recipients():
    """Active users with an address and a place (the cell, a nation, or superuser), preferences loaded."""
    return (get_user_model().objects.filter(is_active=True).exclude(email="")
            .filter(Q(is_superuser=True) | Q(membership__isnull=False))
            .select_related("notification_preference")
            .prefetch_related("notification_preference__nations", "notification_preference__categories")
            .order_by("pk"))


def _preference_row(user) -> NotificationPreference | None:
    try:
        return user.notification_preference
    except NotificationPreference.DoesNotExist:
        return None


def _visible(scope: Scope, alert_ids: Sequence[int], cache: dict[Scope, set[int]]) -> set[int]:
    """The alerts among ``alert_ids`` the scope may read (coordination.access): one query per distinct scope."""
    if scope not in cache:
        cache[scope] = set(Alert.objects.restrict(scope).filter(pk__in=alert_ids).values_list("pk", flat=True))
    return cache[scope]


def email_deliveries_create(*, opened: Sequence[int] = (), closed: Sequence[int] = ()) -> list[int]:
    """Log one row per (alert event, recipient who wants it and may see it). Returns the ids to send now.

    Safe to run twice: existing rows are kept (unique constraint), and only ``pending`` rows are returned.
    """
    events = [(pk, OPENED) for pk in opened] + [(pk, CLOSED) for pk in closed]
    alerts = Alert.objects.select_related("item").in_bulk([pk for pk, _ in events])
    wanted = [(alerts[pk], event, kind) for pk, event in events
              if pk in alerts and (kind := event_kind(alerts[pk], event)) is not None]
    if not wanted:
        return []
    ids = sorted({a.pk for a, _, _ in wanted})
    visible_cache: dict[Scope, set[int]] = {}
    rows = []
    for user in _recipients():
        scope = scope_for(user)
        if scope.is_nobody:
            continue
        prefs = prefs_of(_preference_row(user), scope=scope)
        visible = _visible(scope, ids, visible_cache)
        for alert, event, kind in wanted:
            category = alert.item.category_id if alert.item_id else None
            if alert.pk in visible and prefs.wants(kind=kind, nation_id=alert.nation_id, category_id=category):
                status = (EmailDelivery.Status.DIGEST if prefs.mode == NotificationPreference.Mode.DIGEST
                          else EmailDelivery.Status.PENDING)
                rows.append(EmailDelivery(alert=alert, event=event, user=user, status=status))
    EmailDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return list(EmailDelivery.objects.filter(alert_id__in=ids, status=EmailDelivery.Status.PENDING)
                .order_by("pk").values_list("pk", flat=True))


def _still_wanted(delivery: EmailDelivery) -> bool:
    """At send time: the recipient still may see the alert and still wants this kind (they may have changed)."""
    user = delivery.user
    if not (user.is_active and user.email):
        return False
    scope = scope_for(user)
    if not Alert.objects.restrict(scope).filter(pk=delivery.alert_id).exists():
        return False
    row = NotificationPreference.objects.filter(user=user).prefetch_related("nations", "categories").first()
    alert = delivery.alert
    kind = event_kind(alert, delivery.event)
    category = alert.item.category_id if alert.item_id else None
    return kind is not None and prefs_of(row, scope=scope).wants(kind=kind, nation_id=alert.nation_id,
                                                               category_id=category)


def _language(user) -> str:
    row = NotificationPreference.objects.filter(user=user).values_list("language", flat=True).first()
    if row:
        return row
    membership = getattr(user, "membership", None)
    return (membership.language if membership is not None else "") or settings.LANGUAGE_CODE


def _entry(alert: Alert, event: str) -> dict:
    """One alert event as the templates show it; the link goes to the page concerned, which the recipient may
    see: the reporting page for stale reporting (an officer's shows their own nation), else the nation's page."""
    kind = event_kind(alert, event)
    if alert.kind == Alert.Kind.STALE_REPORTING:
        link = site_url(reverse("dashboard:reporting"))
    else:
        link = site_url(reverse("dashboard:nation", args=[alert.nation.code]))
    return {"alert": alert, "event": event, "kind": kind, "kind_label": Kind(kind).label if kind else alert.kind,
            "link": link,
            # a callable: the template calls it while the recipient's language is active (``_message``)
            "details": lambda: alert_text(alert)}


def _message(*, user, template: str, context: dict) -> EmailMultiAlternatives:
    unsubscribe = site_url(reverse("notifications-unsubscribe", args=[unsubscribe_token(user=user)]))
    context = {**context, "user": user, "unsubscribe_url": unsubscribe,
               "settings_url": site_url(reverse("account-notifications"))}
    with translation.override(_language(user)):
        subject = " ".join(render_to_string(f"notifications/email/{template}_subject.txt", context).split())
        text = render_to_string(f"notifications/email/{template}.txt", context)
        html = render_to_string(f"notifications/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject[:200], body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                 "Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(html, "text/html")
    return message


def email_send(*, delivery_id: int, final: bool) -> str:
    """Send one immediate email. Returns its new status. Raises EmailSendFailed when a retry should follow."""
    claimed = EmailDelivery.objects.filter(pk=delivery_id, status=EmailDelivery.Status.PENDING).update(
        status=EmailDelivery.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:  # sent, being sent, or skipped already: a retry or a duplicate message
        return "claimed elsewhere"
    delivery = EmailDelivery.objects.select_related("alert__nation", "alert__item", "user__membership").get(
        pk=delivery_id)
    if not _still_wanted(delivery):
        EmailDelivery.objects.filter(pk=delivery_id).update(status=EmailDelivery.Status.SKIPPED)
        return EmailDelivery.Status.SKIPPED
    try:
        message = _message(user=delivery.user, template="alert",
                           context={"entry": _entry(delivery.alert, delivery.event)})
        message.send()
    except Exception as exc:  # the mail server's failure is logged on the row, never raised into a write
        status = EmailDelivery.Status.FAILED if final else EmailDelivery.Status.PENDING
        EmailDelivery.objects.filter(pk=delivery_id).update(status=status, last_error=repr(exc)[:500])
        if final:
            logger.warning("Alert email %s failed for good: %r", delivery_id, exc)
            return status
        raise EmailSendFailed(repr(exc)) from exc
    EmailDelivery.objects.filter(pk=delivery_id).update(status=EmailDelivery.Status.SENT, sent_at=timezone.now(),
                                                        last_error="")
    return EmailDelivery.Status.SENT


def digests_send() -> int:
    """One email per user with alert events waiting for the digest. Returns the number of emails sent."""
    waiting = defaultdict(list)
    for pk, user_id in (EmailDelivery.objects.filter(status=EmailDelivery.Status.DIGEST)
                        .order_by("pk").values_list("pk", "user_id")):
        waiting[user_id].append(pk)
    sent = 0
    for user_id, ids in waiting.items():
        with transaction.atomic():
            claimed = list(EmailDelivery.objects.select_for_update(skip_locked=True)
                           .filter(pk__in=ids, status=EmailDelivery.Status.DIGEST).values_list("pk", flat=True))
            EmailDelivery.objects.filter(pk__in=claimed).update(status=EmailDelivery.Status.SENDING,
                                                                attempts=F("attempts") + 1)
        if claimed:
            sent += _digest_send(user_id=user_id, ids=claimed)
    return sent


def _digest_send(*, user_id: int, ids: list[int]) -> int:
    deliveries = list(EmailDelivery.objects.select_related("alert__nation", "alert__item", "user__membership")
                      .filter(pk__in=ids).order_by("alert__nation__code", "alert__opened_at", "pk"))
    keep = [d for d in deliveries if _still_wanted(d)]
    EmailDelivery.objects.filter(pk__in=[d.pk for d in deliveries if d not in keep]).update(
        status=EmailDelivery.Status.SKIPPED)
    if not keep:
        return 0
    user = keep[0].user
    try:
        _message(user=user, template="digest",
                 context={"entries": [_entry(d.alert, d.event) for d in keep],
                          "count": len(keep)}).send()
    except Exception as exc:  # back in the queue for the next digest
        EmailDelivery.objects.filter(pk__in=[d.pk for d in keep]).update(
            status=EmailDelivery.Status.DIGEST, last_error=repr(exc)[:500])
        logger.warning("Digest for user %s failed; kept for the next run: %r", user_id, exc)
        return 0
    EmailDelivery.objects.filter(pk__in=[d.pk for d in keep]).update(
        status=EmailDelivery.Status.SENT, sent_at=timezone.now(), last_error="")
    return 1
