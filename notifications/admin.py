"""Admin for the notification models, under the same access rule as the other admins
(coordination/admin_base.py): the cell sees every row; a nation's officer sees only its own nation's.

- Preferences: read-only here (each person sets their own at *Account › Notifications*, where the
  service checks them); an officer sees those of their own nation's people.
- Webhooks: registered by a nation's token through the API (the secret is shown once, there); here
  they are read and may be deleted by the cell or the owning nation's officer. The secret is never shown.
- Webhook deliveries and sent emails: read-only logs. An officer sees the deliveries to their nation's
  webhooks and the emails sent to their nation's people (which only ever concern their own nation).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from coordination.access import CHANGE
from coordination.admin_base import ScopedAdminMixin
from notifications.models import EmailDelivery, NotificationPreference, Webhook, WebhookDelivery


class ReadOnlyScopedAdmin(ScopedAdminMixin, admin.ModelAdmin):
    """Scoped, nothing added or changed, no export (a generic export would carry every column)."""

    read_only = True
    allow_delete = False
    list_per_page = 100
    form = forms.ModelForm
    shown_fields: tuple[str, ...] = ()

    def get_fields(self, request, obj=None):
        return list(self.shown_fields)

    def get_readonly_fields(self, request, obj=None):
        return list(self.shown_fields)


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(ReadOnlyScopedAdmin):
    own_nation_field = "user__membership__nation"
    shown_fields = ("user", "enabled", "mode", "kinds", "nations", "categories", "language", "updated_at")
    list_display = ("user", "enabled", "mode", "language", "updated_at")
    list_filter = ("enabled", "mode", "language")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)


@admin.register(Webhook)
class WebhookAdmin(ReadOnlyScopedAdmin):
    """The secret is not among the fields, the list or the search: it never leaves the API's 201."""

    own_nation_field = "nation"
    shown_fields = ("nation", "url", "events", "is_active", "consecutive_failures", "disabled_at",
                    "disabled_reason", "created_by_token", "created_at")
    list_display = ("nation", "url", "is_active", "consecutive_failures", "disabled_at", "created_at")
    list_filter = ("is_active", "nation")
    search_fields = ("url", "nation__code")
    list_select_related = ("nation",)

    def has_delete_permission(self, request, obj=None) -> bool:
        """Deleting stops the deliveries (as ``DELETE /api/v1/webhooks/<id>/``): the cell, or the owner's officer."""
        if not self.has_module_permission(request):
            return False
        return obj is None or self._allowed(request, obj, CHANGE)

    def get_deleted_objects(self, objs, request):
        """Its delivery log goes with it (as through the API), though the log itself is read-only here."""
        deleted, counts, _perms_needed, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, set(), protected


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyScopedAdmin):
    own_nation_field = "webhook__nation"
    shown_fields = ("webhook", "event", "event_key", "status", "attempts", "last_status_code", "last_error",
                    "created_at", "last_attempt_at", "delivered_at", "payload")
    list_display = ("pk", "webhook", "event", "status", "attempts", "last_status_code", "created_at",
                    "last_attempt_at")
    list_filter = ("status", "event")
    search_fields = ("event_key", "webhook__url", "webhook__nation__code")
    list_select_related = ("webhook__nation",)


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(ReadOnlyScopedAdmin):
    own_nation_field = "user__membership__nation"
    shown_fields = ("alert", "event", "user", "status", "attempts", "last_error", "created_at", "sent_at")
    list_display = ("pk", "user", "alert", "event", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "event")
    search_fields = ("user__username", "user__email", "alert__message")
    list_select_related = ("user", "alert")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = self.scope(request)
        if not scope.is_cell:  # belt and braces: an officer's people only ever get their own nation's alerts
            qs = qs.filter(alert__nation_id=scope.nation_id)
        return qs
