"""Admin for the notification models: the cell sees every row, an officer only their own nation's;
logs are read-only; a webhook's secret is never shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from notifications import webhooks
from notifications.models import EmailDelivery, NotificationPreference, Webhook, WebhookDelivery
from stockpiles.models import Alert
from tests.conftest import make_user

MODELS = (NotificationPreference, Webhook, WebhookDelivery, EmailDelivery)


def url(model, view, *args):
    return reverse(f"admin:notifications_{model._meta.model_name}_{view}", args=args)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(nations, item):
    """For POL and USA each: an officer with a preference, a webhook with a delivery, an alert emailed."""
    out = {}
    for code in ("POL", "USA"):
        nation = nations[code]
        officer = make_user(f"{code.lower()}-officer", nation=nation)
        pref = NotificationPreference.objects.create(user=officer, mode="digest", kinds=["below_guideline"])
        hook, secret = webhooks.webhook_register(nation=nation, url=f"https://{code.lower()}.example.org/hook",
                                                 events=["alert.opened"])
        delivery = WebhookDelivery.objects.create(webhook=hook, event="alert.opened", event_key=f"k-{code}",
                                                  payload={"nation": code}, status="failed", attempts=3,
                                                  last_error="HTTP 500")
        alert = Alert.objects.create(kind="below_guideline", nation=nation, item=item, key=f"below:{code}",
                                     message=f"{code} below guideline", opened_at=timezone.now())
        email = EmailDelivery.objects.create(alert=alert, event="opened", user=officer, status="sent")
        out[code] = {"officer": officer, "pref": pref, "hook": hook, "secret": secret, "delivery": delivery,
                     "email": email}
    return out


def listed(response) -> set[int]:
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.django_db
def test_the_cell_sees_every_row_and_the_pages_open(rows, coordinator):
    client = logged_in(coordinator)
    keys = {NotificationPreference: "pref", Webhook: "hook", WebhookDelivery: "delivery", EmailDelivery: "email"}
    for model, key in keys.items():
        assert listed(client.get(url(model, "changelist"))) == {rows[c][key].pk for c in ("POL", "USA")}
        assert client.get(url(model, "changelist"), {"q": "pol"}).status_code == 200
        assert client.get(url(model, "change", rows["POL"][key].pk)).status_code == 200
        assert client.get(url(model, "add")).status_code == 403  # preferences: each person's page; webhooks: the API


@pytest.mark.django_db
def test_an_officer_sees_only_their_own_nations_rows(rows):
    client = logged_in(rows["POL"]["officer"])
    keys = {NotificationPreference: "pref", Webhook: "hook", WebhookDelivery: "delivery", EmailDelivery: "email"}
    for model, key in keys.items():
        assert listed(client.get(url(model, "changelist"))) == {rows["POL"][key].pk}, model
        assert client.get(url(model, "change", rows["POL"][key].pk)).status_code == 200
        other = client.get(url(model, "change", rows["USA"][key].pk))
        assert other.status_code == 302  # "does not exist", back to the index
    # USA's webhook cannot be deleted by POL; its own can.
    assert client.post(url(Webhook, "delete", rows["USA"]["hook"].pk), {"post": "yes"}).status_code == 302
    assert Webhook.objects.filter(pk=rows["USA"]["hook"].pk).exists()
    assert client.post(url(Webhook, "delete", rows["POL"]["hook"].pk), {"post": "yes"}).status_code == 302
    assert not Webhook.objects.filter(pk=rows["POL"]["hook"].pk).exists()


@pytest.mark.django_db
def test_logs_and_preferences_are_read_only(rows, coordinator):
    client = logged_in(coordinator)
    delivery = rows["POL"]["delivery"]
    assert client.post(url(WebhookDelivery, "change", delivery.pk), {"status": "succeeded"}).status_code == 403
    assert client.get(url(WebhookDelivery, "delete", delivery.pk)).status_code == 403
    email = rows["POL"]["email"]
    assert client.post(url(EmailDelivery, "change", email.pk), {"status": "pending"}).status_code == 403
    pref = rows["POL"]["pref"]
    assert client.post(url(NotificationPreference, "change", pref.pk), {"mode": "immediate"}).status_code == 403
    delivery.refresh_from_db()
    email.refresh_from_db()
    pref.refresh_from_db()
    assert (delivery.status, email.status, pref.mode) == ("failed", "sent", "digest")


@pytest.mark.django_db
def test_the_webhook_secret_is_never_shown(rows, coordinator):
    client = logged_in(coordinator)
    hook, secret = rows["POL"]["hook"], rows["POL"]["secret"]
    pages = [client.get(url(Webhook, "changelist")), client.get(url(Webhook, "change", hook.pk)),
             client.get(url(WebhookDelivery, "change", rows["POL"]["delivery"].pk)),
             client.get(url(Webhook, "delete", hook.pk)), client.get(url(Webhook, "history", hook.pk))]
    for page in pages:
        assert page.status_code == 200
        assert secret.encode() not in page.content and b"whsec_" not in page.content
    assert listed(client.get(url(Webhook, "changelist"), {"q": secret})) == set()  # not searchable by it either
