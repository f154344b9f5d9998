"""Catalogue endpoints (nations, categories, items) and who-am-I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.access import scope_for
from coordination.api.authentication import ApiClient
from coordination.api.base import ReadOnlyApiViewSet
from coordination.api.serializers import CategorySerializer, ItemSerializer, NationSerializer
from coordination.models import Category, Item, Nation


class NationViewSet(ReadOnlyApiViewSet):
    """Nations, referred to by their ISO 3166-1 alpha-3 code (``EU`` for EU institutions)."""

    model = Nation
    serializer_class = NationSerializer
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z]{2,3}"
    filterset_fields = {"role": ["exact"]}
    ordering_fields = ["code", "name", "joined_on"]
    ordering = ["code"]

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()


class CategoryViewSet(ReadOnlyApiViewSet):
    model = Category
    serializer_class = CategorySerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]


class ItemViewSet(ReadOnlyApiViewSet):
    """The item catalogue. Filter by ``category`` (id), ``nsn`` (13 digits) or ``unit``."""

    model = Item
    serializer_class = ItemSerializer
    select_related = ("category",)
    filterset_fields = {"category": ["exact"], "nsn": ["exact"], "unit": ["exact"], "name": ["icontains"]}
    ordering_fields = ["name", "id", "nsn"]
    ordering = ["name"]


class WhoAmIView(APIView):
    """Who the API thinks you are: the nation your token is bound to (or the cell)."""

    @extend_schema(responses=inline_serializer("WhoAmI", {
        "client": serializers.CharField(),
        "nation": serializers.CharField(allow_null=True),
        "is_cell": serializers.BooleanField(),
        "token_expires_at": serializers.DateTimeField(allow_null=True),
    }))
    def get(self, request):
        scope = scope_for(request.user)
        token = request.user.token if isinstance(request.user, ApiClient) else None
        return Response({
            "client": str(request.user),
            "nation": scope.nation_code,
            "is_cell": scope.is_cell,
            "token_expires_at": token.expires_at if token else None,
        })
