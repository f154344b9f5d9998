"""/api/v1/webhooks/ (a nation's systems) and /api/v1/me/notifications/ (a logged-in person)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from coordination.api.authentication import ApiClient
from coordination.api.base import ApiView, ApiViewSet, own_nation
from coordination.models import Nation
from notifications import preferences, webhooks
from notifications.api.serializers import (
    PreferenceSerializer,
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookInSerializer,
    WebhookSerializer,
)
from notifications.models import Webhook, WebhookDelivery


class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    """Your nation's webhooks: events about your own data POSTed to your system, signed (docs/notifications.md).

    Another nation's webhook is a 404. The cell lists and deletes any (it registers none: a webhook is a
    nation's system's). Deleting a webhook deletes its delivery log."""

    model = Webhook
    queryset = Webhook.objects.none()  # for schema introspection; get_queryset is the real one
    serializer_class = WebhookSerializer
    select_related = ("nation",)
    ordering_fields = ["id", "created_at"]
    filterset_fields: list[str] = []

    @extend_schema(request=WebhookInSerializer, responses={201: WebhookCreatedSerializer})
    def create(self, request):
        scope = self.scope
        if scope.is_cell:
            raise PermissionDenied("Webhooks belong to a nation's system: register them with its token.")
        data = WebhookInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token = request.user.token if isinstance(request.user, ApiClient) else None
        with transaction.atomic():
            nation = Nation.objects.select_for_update().get(pk=own_nation(request.user, scope).pk)  # the per-nation cap
            webhook, secret = webhooks.webhook_register(nation=nation, token=token, **data.validated_data)
        webhook.secret = secret
        return Response(WebhookCreatedSerializer(webhook).data, status=201)

    @extend_schema(responses={200: WebhookDeliverySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """This webhook's deliveries, newest first: status, attempts, last status code and error, the payload."""
        webhook = self.get_object()
        qs = WebhookDelivery.objects.restrict(self.scope).filter(webhook=webhook).order_by("-pk")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class MyNotificationsView(ApiView):
    """Your own email notifications (a logged-in person; API tokens have none)."""

    serializer_class = PreferenceSerializer

    def _user(self, request):
        if isinstance(request.user, ApiClient):
            raise PermissionDenied("Notification preferences belong to a person: log in (API tokens have none).")
        return request.user

    def _answer(self, user, prefs: preferences.Prefs) -> Response:
        codes = dict(Nation.objects.filter(pk__in=prefs.nation_ids).values_list("pk", "code"))
        return Response({
            "enabled": prefs.enabled, "mode": prefs.mode, "kinds": sorted(prefs.kinds),
            "nations": sorted(codes.values()), "categories": sorted(prefs.category_ids),
            "language": prefs.language, "email": user.email,
        })

    @extend_schema(responses={200: PreferenceSerializer})
    def get(self, request):
        user = self._user(request)
        return self._answer(user, preferences.preference_get(user=user))

    @extend_schema(request=PreferenceSerializer, responses={200: PreferenceSerializer})
    def put(self, request):
        user = self._user(request)
        data = PreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        prefs = preferences.preference_save(
            user=user, enabled=values["enabled"], mode=values["mode"], kinds=values["kinds"],
            nations=values.get("nations", []), categories=values.get("categories", []),
            language=values.get("language", ""))
        return self._answer(user, prefs)
