"""Stock endpoints: stock reports (own nation, read/write, bulk), current stock, guidelines,
production rates, shortfalls, alerts (read), and the alliance roll-up (an aggregate for everyone)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from coordination.api.attribution import change_reason
from coordination.api.base import ApiView, ApiViewSet, ReadOnlyApiViewSet, RecordWriteMixin
from coordination.api.bulk import parse_rows, write_all_or_nothing
from coordination.api.schema import BULK_ERRORS, ERRORS, IDEMPOTENCY_KEY, write_schema
from coordination.api.serializers import item_lookup, item_resolve, items_resolve
from coordination.models import Nation
from stockpiles import selectors
from stockpiles.api.serializers import (
    AlertSerializer,
    CurrentStockSerializer,
    GuidelineSerializer,
    GuidelineWriteSerializer,
    ProductionRateSerializer,
    ProductionRateWriteSerializer,
    ShortfallSerializer,
    StockReportBulkResultSerializer,
    StockReportInSerializer,
    StockReportSerializer,
)
from stockpiles.filtersets import (
    AlertFilterSet,
    CurrentStockFilterSet,
    GuidelineFilterSet,
    ProductionRateFilterSet,
    ShortfallFilterSet,
    StockReportFilterSet,
)
from stockpiles.models import Alert, CurrentStock, ProductionRate, Shortfall, StockpileGuideline, StockReport
from stockpiles.services import (
    guideline_saved,
    production_rate_saved,
    stock_report_create,
    stock_reports_bulk_create,
)


class StockReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Stock on hand, per nation, item and day (append-only). A national token reads and writes its own nation's."""

    model = StockReport
    serializer_class = StockReportSerializer
    select_related = ("nation", "item")
    filterset_class = StockReportFilterSet
    ordering_fields = ["as_of", "quantity", "created_at", "id"]
    ordering = ["-as_of", "-id"]

    def _nation(self, code: str | None) -> Nation:
        """The reporting nation: the token's own; the cell names it in the body."""
        scope = self.scope
        if not scope.is_cell:
            return Nation(pk=scope.nation_id, code=scope.nation_code, role=scope.nation_role)
        if not code:
            raise serializers.ValidationError({"nation": ["The cell must name the reporting nation (its code)."]})
        nation = Nation.objects.filter(code=code.strip().upper()).first()
        if nation is None:
            raise serializers.ValidationError({"nation": [f"Unknown nation code {code}."]})
        return nation

    @extend_schema(request=StockReportInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: StockReportSerializer, **ERRORS})
    def create(self, request):
        def do():
            data = StockReportInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            nation = self._nation(v.get("nation"))
            item = item_resolve(v["item"])
            since = self.started()
            report = stock_report_create(actor=self.scope, nation=nation, item=item, quantity=v["quantity"],
                                         as_of=v["as_of"], user=self.service_user)
            self.stamp(StockReport, [report], since)
            return Response(StockReportSerializer(report).data, status=status.HTTP_201_CREATED)
        return self.write(request, do)

    @extend_schema(
        request=StockReportInSerializer(many=True), parameters=[IDEMPOTENCY_KEY],
        responses={201: StockReportBulkResultSerializer, 400: BULK_ERRORS,
                   **{k: v for k, v in ERRORS.items() if k != 400}},
        description="Up to 10,000 stock reports in one request, all or nothing. Errors come back per row "
                    "index: `{\"errors\": {\"3\": {\"as_of\": [\"...\"]}}}`.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        def do():
            rows, row_errors = parse_rows(request.data, StockReportInSerializer())
            valid = [r for r in rows if r is not None]
            codes = {(r.get("nation") or "").strip().upper() for r in valid}
            if self.scope.is_cell and len(codes) > 1:
                raise serializers.ValidationError({"nation": ["One nation per bulk request."]})
            nation = self._nation(next(iter(codes), None))
            by_id, by_nsn = items_resolve(r["item"] for r in valid)
            service_rows: list[dict | None] = []
            for index, row in enumerate(rows):
                item = None if row is None else item_lookup(row["item"], by_id, by_nsn)
                if row is not None and item is None:
                    row_errors[index] = {"item": [f"Unknown item ({row['item']})."]}
                service_rows.append(None if item is None else
                                    {"item": item, "quantity": row["quantity"], "as_of": row["as_of"]})
            reports = write_all_or_nothing(service_rows, row_errors, lambda valid_rows: stock_reports_bulk_create(
                actor=self.scope, nation=nation, rows=valid_rows, user=self.service_user,
                change_reason=change_reason(request.user)))  # on the history rows as written: no second UPDATE
            return Response({"count": len(reports), "results": StockReportSerializer(reports, many=True).data},
                            status=status.HTTP_201_CREATED)
        return self.write(request, do)


class CurrentStockViewSet(ReadOnlyApiViewSet):
    """The latest stock report per nation and item (own nation; the cell sees all)."""

    model = CurrentStock
    serializer_class = CurrentStockSerializer
    select_related = ("nation",)
    filterset_class = CurrentStockFilterSet
    ordering_fields = ["as_of", "quantity", "id"]
    ordering = ["nation__code", "item_id"]


@write_schema(GuidelineWriteSerializer, GuidelineSerializer)
class GuidelineViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """Stockpile guidelines: the alliance-wide defaults and your own nation's targets. The cell writes."""

    write_serializer_class = GuidelineWriteSerializer
    write_what = "stockpile guidelines"

    def after_save(self, obj) -> None:
        guideline_saved(guideline=obj)

    model = StockpileGuideline
    serializer_class = GuidelineSerializer
    select_related = ("nation",)
    filterset_class = GuidelineFilterSet
    ordering_fields = ["effective_from", "minimum_quantity", "id"]
    ordering = ["item_id", "-effective_from"]


@write_schema(ProductionRateWriteSerializer, ProductionRateSerializer)
class ProductionRateViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """Production rates (units per month, effective-dated) of your own nation; you write your own."""

    write_serializer_class = ProductionRateWriteSerializer
    owner_field = "nation"
    write_what = "another nation's production rates"

    def after_save(self, obj) -> None:
        production_rate_saved(rate=obj)

    model = ProductionRate
    serializer_class = ProductionRateSerializer
    select_related = ("nation",)
    filterset_class = ProductionRateFilterSet
    ordering_fields = ["effective_from", "units_per_month", "id"]
    ordering = ["item_id", "-effective_from"]


class ShortfallViewSet(ReadOnlyApiViewSet):
    """Your own nation's shortfalls per item, worst first (the cell sees every nation).

    Other nations' figures are never shown; see ``/api/v1/shortfalls/alliance/`` for the aggregate.
    """

    model = Shortfall
    queryset = Shortfall.objects.none()  # for schema introspection; get_queryset is the real one
    serializer_class = ShortfallSerializer
    filterset_class = ShortfallFilterSet
    ordering_fields = ["shortfall", "coverage", "months_to_recover", "computed_at", "id"]

    def get_queryset(self):
        return selectors.shortfall_list(user_or_scope=self.scope)


class AlliancePositionView(ApiView):
    """The alliance position per item: gross total shortfall, net position, how many nations are below.

    An aggregate: no single nation's figures. Readable by every authenticated client.
    """

    @extend_schema(
        parameters=[OpenApiParameter("item", int, many=True, required=False, description="Item id(s)")],
        responses={200: inline_serializer("AlliancePosition", {
            "last_computed": serializers.DateTimeField(allow_null=True),
            "results": inline_serializer("AllianceItemPosition", {
                "item": serializers.IntegerField(),
                "item_name": serializers.CharField(),
                "unit": serializers.CharField(),
                "category": serializers.CharField(),
                "total_shortfall": serializers.IntegerField(allow_null=True),
                "net_position": serializers.IntegerField(allow_null=True),
                "nations_below": serializers.IntegerField(allow_null=True),
                "nations_counted": serializers.IntegerField(),
                "suppressed": serializers.BooleanField(
                    help_text="Too few other nations in this aggregate for you to see it; totals are null."),
            }, many=True),
        }), **{k: v for k, v in ERRORS.items() if k in (400, 401, 403)}},
    )
    def get(self, request):
        raw = request.query_params.getlist("item")
        if any(not v.isdigit() for v in raw):
            raise serializers.ValidationError({"item": ["Give item ids (whole numbers)."]})
        rows = selectors.alliance_rollup(user_or_scope=request.user, item_ids=[int(v) for v in raw] or None)
        return Response({
            "last_computed": selectors.shortfalls_last_computed(),
            "results": [{
                "item": r.item_id, "item_name": r.item_name, "unit": r.unit, "category": r.category_name,
                "total_shortfall": r.total_shortfall, "net_position": r.net_position,
                "nations_below": r.nations_below, "nations_counted": r.nations_counted,
                "suppressed": r.suppressed,
            } for r in rows],
        })


class AlertViewSet(ReadOnlyApiViewSet):
    """Alerts for your own nation (below guideline, pledge overdue); ``?open=true`` for open ones."""

    model = Alert
    queryset = Alert.objects.none()  # for schema introspection; get_queryset is the real one
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["opened_at", "closed_at", "id"]

    def get_queryset(self):
        return selectors.alert_list(user_or_scope=self.scope, open_only=False)

