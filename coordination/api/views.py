"""Catalogue endpoints (nations, categories, items) and who-am-I."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.reverse import reverse

from coordination.access import scope_for
from coordination.api.authentication import ApiClient
from coordination.api.base import ApiView, ReadOnlyApiViewSet, RecordWriteMixin
from coordination.api.schema import write_schema
from coordination.api.serializers import (
    CategorySerializer,
    CategoryWriteSerializer,
    ItemSerializer,
    ItemWriteSerializer,
    NationSerializer,
    NationWriteSerializer,
)
from coordination.models import Category, Item, Nation


@write_schema(NationWriteSerializer, NationSerializer)
class NationViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """Nations, referred to by their ISO 3166-1 alpha-3 code (``EU`` for EU institutions). The cell writes."""

    write_serializer_class = NationWriteSerializer
    write_what = "nations"

    model = Nation
    serializer_class = NationSerializer
    lookup_field = "code"
    filterset_fields = {"role": ["exact"]}
    ordering_fields = ["code", "name", "name_fr", "joined_on"]
    ordering = ["code"]

    def get_object(self):
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()


@write_schema(CategoryWriteSerializer, CategorySerializer)
class CategoryViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """Item categories. The cell writes."""

    write_serializer_class = CategoryWriteSerializer
    write_what = "the catalogue"
    model = Category
    serializer_class = CategorySerializer
    ordering_fields = ["name", "id"]
    ordering = ["name"]


@write_schema(ItemWriteSerializer, ItemSerializer)
class ItemViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """The item catalogue. Filter by ``category`` (id), ``nsn`` (13 digits) or ``unit``. The cell writes."""

    write_serializer_class = ItemWriteSerializer
    write_what = "the catalogue"

    model = Item
    serializer_class = ItemSerializer
    select_related = ("category",)
    filterset_fields = {"category": ["exact"], "nsn": ["exact"], "unit": ["exact"], "name": ["icontains"],
                        "name_fr": ["icontains"]}
    ordering_fields = ["name", "name_fr", "id", "nsn"]
    ordering = ["name"]


class WhoAmIView(ApiView):
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


ROOT_LINKS = {
    "whoami": "coordination-api:whoami",
    "nations": "coordination-api:nation-list",
    "categories": "coordination-api:category-list",
    "items": "coordination-api:item-list",
    "pledges": "pledges-api:pledge-list",
    "deliveries": "pledges-api:delivery-list",
    "training-commitments": "pledges-api:trainingcommitment-list",
    "requirements": "pledges-api:requirement-list",
    "fulfilment-donors": "pledges-api:fulfilment-donors",
    "fulfilment-items": "pledges-api:fulfilment-items",
    "recipient-gaps": "pledges-api:recipient-gaps",
    "training-summary": "pledges-api:training-summary",
    "stock-reports": "stockpiles-api:stockreport-list",
    "current-stock": "stockpiles-api:currentstock-list",
    "guidelines": "stockpiles-api:guideline-list",
    "production-rates": "stockpiles-api:productionrate-list",
    "shortfalls": "stockpiles-api:shortfall-list",
    "shortfalls-alliance": "stockpiles-api:alliance-position",
    "alerts": "stockpiles-api:alert-list",
}


class ApiRootView(ApiView):
    """The API's entry point: a link to every resource. Docs: /api/docs/, schema: /api/schema/."""

    @extend_schema(responses=inline_serializer("ApiRoot", {name: serializers.URLField() for name in ROOT_LINKS}))
    def get(self, request):
        return Response({name: reverse(url_name, request=request) for name, url_name in ROOT_LINKS.items()})
