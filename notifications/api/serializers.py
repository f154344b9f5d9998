"""Webhook and preference serializers. Input serializers type-check; notifications' services validate and write."""

from __future__ import annotations

from django.core.validators import URLValidator
from rest_framework import serializers

from coordination.api.serializers import NationCodeField
from coordination.models import Category
from notifications.models import Event, Kind, NotificationPreference, Webhook, WebhookDelivery

http_url = URLValidator(schemes=["http", "https"], message="Enter an http:// or https:// URL.")


class WebhookSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices))

    class Meta:
        model = Webhook
        fields = ["id", "nation", "url", "events", "is_active", "consecutive_failures", "disabled_at",
                  "disabled_reason", "created_at"]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text=(
        "Signs every delivery (X-Aid-Signature). Shown only in this answer: store it now."))

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookInSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, validators=[http_url],
                                help_text="Where deliveries are POSTed: an http:// or https:// URL.")
    events = serializers.ListField(child=serializers.ChoiceField(choices=Event.choices), min_length=1,
                                   max_length=len(Event.choices), help_text="The events to receive.")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "event_key", "status", "attempts", "last_status_code", "last_error", "created_at",
                  "last_attempt_at", "delivered_at", "payload"]
        read_only_fields = fields


class PreferenceSerializer(serializers.Serializer):
    """Your email notifications. ``nations``/``categories`` empty: all you may see (an officer: own nation)."""

    enabled = serializers.BooleanField()
    mode = serializers.ChoiceField(choices=NotificationPreference.Mode.choices)
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=Kind.choices), max_length=len(Kind.choices))
    nations = serializers.ListField(child=NationCodeField(), required=False, max_length=500)
    categories = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), many=True, required=False)
    language = serializers.ChoiceField(choices=[("", "the dashboard language"), ("en", "English"),
                                                ("fr", "French")], required=False, allow_blank=True)
    email = serializers.EmailField(read_only=True, help_text="Where the emails go (your account's address).")
