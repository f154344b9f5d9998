"""Who hears of what: people's notification preferences and email log; national systems' webhooks and their log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coordination.access import NationOwnedAccess, RestrictedQuerySet
from coordination.models import ApiToken, Category, Nation


class Kind(models.TextChoices):
    """What a person can subscribe to. An alert opening (or, for ``back_above``, closing) is one event."""

    BELOW_GUIDELINE = "below_guideline", _("Below guideline")
    BACK_ABOVE = "back_above", _("Back above guideline")
    PLEDGE_OVERDUE = "pledge_overdue", _("Pledge overdue")
    STALE_REPORTING = "stale_reporting", _("Stale reporting")
    ENGINE_FAILURE = "engine_failure", _("Engine failure")


class NotificationPreference(models.Model):
    """One user's choices. No row: the defaults (``notifications.preferences.DEFAULTS``)."""

    class Mode(models.TextChoices):
        IMMEDIATE = "immediate", _("Immediately, one email per alert")
        DIGEST = "digest", _("A daily digest")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="notification_preference")
    enabled = models.BooleanField(_("email notifications"), default=True)
    mode = models.CharField(_("when"), max_length=10, choices=Mode.choices, default=Mode.IMMEDIATE)
    kinds = models.JSONField(_("alert kinds"), default=list, blank=True)
    nations = models.ManyToManyField(Nation, blank=True, related_name="+", verbose_name=_("nations"),
                                     help_text=_("None chosen: every nation you may see."))
    categories = models.ManyToManyField(Category, blank=True, related_name="+", verbose_name=_("categories"),
                                        help_text=_("None chosen: every category."))
    language = models.CharField(_("email language"), max_length=5, choices=settings.LANGUAGES, blank=True,
                                default="", help_text=_("Empty: your dashboard language."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user} — {self.mode}"


class EmailDelivery(models.Model):
    """One email about one alert event to one person. The unique constraint makes a retry a no-op."""

    class Event(models.TextChoices):
        OPENED = "opened", _("opened")
        CLOSED = "closed", _("closed")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DIGEST = "digest", _("waiting for the digest")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    alert = models.ForeignKey("stockpiles.Alert", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=10, choices=Event.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sent email")
        verbose_name_plural = _("sent emails")
        constraints = [
            models.UniqueConstraint(fields=["alert", "event", "user"], name="email_delivery_once_per_recipient",
                violation_error_message=_("This email was already sent to this person.")),
        ]
        indexes = [models.Index(fields=["status", "user"])]

    def __str__(self) -> str:
        return f"alert {self.alert_id} {self.event} → user {self.user_id}: {self.status}"


class Event(models.TextChoices):
    """What a webhook can subscribe to."""

    SHORTFALLS_CHANGED = "shortfalls.changed", _("The nation's shortfall rows changed")
    ALERT_OPENED = "alert.opened", _("An alert on the nation opened")
    ALERT_CLOSED = "alert.closed", _("An alert on the nation closed")
    DELIVERY_RECORDED = "delivery.recorded", _("A delivery against the nation's pledges was recorded")


class Webhook(NationOwnedAccess, models.Model):
    """A national system's endpoint. The secret signs every delivery; it is shown once, at registration."""

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_by_token = models.ForeignKey(ApiToken, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["nation__code", "pk"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return f"{self.nation_id}: {self.url}"


class WebhookDelivery(NationOwnedAccess, models.Model):
    """One event to one webhook: its payload as sent, and how sending went. Unique per (webhook, event key)."""

    owner_field = "webhook__nation"

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    event_key = models.CharField(max_length=200)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    objects = RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event_key"], name="webhook_delivery_once_per_event",
                violation_error_message=_("This event was already sent to this webhook.")),
        ]

    def __str__(self) -> str:
        return f"{self.event} → webhook {self.webhook_id}: {self.status}"


class ShortfallSnapshot(models.Model):
    """The last shortfall row announced by webhook per (nation, item): ``shortfalls.changed`` sends only changes."""

    nation = models.ForeignKey(Nation, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey("coordination.Item", on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["nation", "item"], name="shortfall_snapshot_unique_pair",
        violation_error_message=_("There is already a snapshot for this nation and item."))]

    def __str__(self) -> str:
        return f"{self.nation_id}/{self.item_id}: {self.fingerprint[:12]}"
