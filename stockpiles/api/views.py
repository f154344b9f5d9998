"""Stock endpoints: stock reports (own nation, read/write, bulk), current stock, guidelines,
production rates, shortfalls, alerts (read), and the alliance roll-up (an aggregate for everyone)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from coordination import disclosure
from coordination.access import VIEW, require_cell, scope_for
from coordination.api.attribution import change_reason
from coordination.api.base import (
    ApiView,
    ApiViewSet,
    ReadOnlyApiViewSet,
    RecordWriteMixin,
    foreign_nation_message,
    refuse_foreign_nation,
    refuse_foreign_nation_in,
    writer_nation,
)
from coordination.api.bulk import collector_paused, parse_rows, write_all_or_nothing
from coordination.api.filters import parse_id
from coordination.api.pagination import ApiPagination, KeysetPagination
from coordination.api.schema import BULK_ERRORS, ERRORS, IDEMPOTENCY_KEY, write_schema
from coordination.api.serializers import item_lookup, item_resolve, items_resolve
from coordination.models import Nation
from coordination.services import messages_of
from stockpiles import procurement_selectors, procurement_services, selectors, services, shortfalls, snapshot_selectors
from stockpiles.api.filtersets import AgreementFilterSet, OrderFilterSet, ScheduleLineFilterSet
from stockpiles.api.serializers import (
    AgreementSerializer,
    AgreementWriteSerializer,
    AlertSerializer,
    CurrentStockSerializer,
    GuidelineSerializer,
    GuidelineWriteSerializer,
    OrderInSerializer,
    OrderSerializer,
    OrderUpdateSerializer,
    ParticipantInSerializer,
    ProductionRateSerializer,
    ProductionRateWriteSerializer,
    ScheduleLineDetailSerializer,
    ScheduleLineUpdateSerializer,
    ShortfallSerializer,
    SnapshotSerializer,
    SnapshotWriteSerializer,
    StockReportBulkResultSerializer,
    StockReportInSerializer,
    StockReportSerializer,
    stock_report_payload,
)
from stockpiles.api.sourcing import date_not_future
from stockpiles.filtersets import (
    AlertFilterSet,
    CurrentStockFilterSet,
    GuidelineFilterSet,
    ProductionRateFilterSet,
    ShortfallFilterSet,
    StockReportFilterSet,
)
from stockpiles.models import (
    AgreementParticipant,
    Alert,
    CurrentStock,
    FrameworkAgreement,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    Snapshot,
    StockpileGuideline,
    StockReport,
)
from stockpiles.reporting import reporting_by_nation
from stockpiles.services import guideline_saved, production_rate_saved, stock_report_create, stock_reports_bulk_create

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}  # a record id, as the server parses it


class StockReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Stock on hand, per nation, item and day (append-only). A national token reads and writes its own nation's."""

    model = StockReport
    serializer_class = StockReportSerializer
    select_related = ("nation", "item")
    filterset_class = StockReportFilterSet
    ordering_fields = ["as_of", "quantity", "created_at", "id"]
    ordering = ["-as_of", "-id"]
    pagination_class = KeysetPagination  # grows to millions of rows: no count, no deep OFFSET

    def _nation(self, code: str | None) -> Nation:
        """The reporting nation: the token's own; the cell names it in the body."""
        scope = self.scope
        if not scope.is_cell:
            refuse_foreign_nation(scope, code, "nation")
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
            with collector_paused():
                return write()

        def write():
            serializer = StockReportInSerializer()
            rows, row_errors = parse_rows(request.data, serializer, fast=serializer.fast_row())
            scope = self.scope
            if not scope.is_cell:  # a row naming another nation is that row's error, never re-assigned
                for index, row in enumerate(rows):
                    if row is not None and row.get("nation", scope.nation_code).strip().upper() != scope.nation_code:
                        row_errors[index] = {"nation": [foreign_nation_message(scope, "nation")]}
                        rows[index] = None
            valid = [r for r in rows if r is not None]
            codes = {(r.get("nation") or "").strip().upper() for r in valid}
            if scope.is_cell and len(codes) > 1:
                raise serializers.ValidationError({"nation": ["One nation per bulk request."]})
            nation = self._nation(next(iter(codes), None) if scope.is_cell else None)
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
            return Response({"count": len(reports), "results": stock_report_payload(reports)},
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
        return selectors.shortfall_list(actor=self.scope)


class AlliancePositionView(ApiView):
    """The alliance position per item: gross total shortfall, net position, how many nations are below.

    An aggregate: no single nation's figures. Readable by every authenticated client. For a nation's
    client each figure goes through ``coordination.disclosure`` (docs/disclosure.md): a hidden figure is
    null and ``suppressed`` names why; shown figures are rounded. The cell sees exact figures.
    """

    @extend_schema(
        parameters=[OpenApiParameter("item", {"type": "array", "items": {"type": "integer", "minimum": 1,
                                                                            "maximum": 2**63 - 1}},
                                    style="form", explode=True, required=False, description="Item id(s)")],
        responses={200: inline_serializer("AlliancePosition", {
            "last_computed": serializers.DateTimeField(allow_null=True),
            "results": inline_serializer("AllianceItemPosition", {
                "item": serializers.IntegerField(),
                "item_name": serializers.CharField(),
                "item_name_fr": serializers.CharField(help_text="The French name; empty when none is recorded."),
                "unit": serializers.CharField(),
                "category": serializers.CharField(),
                "total_shortfall": serializers.IntegerField(allow_null=True),
                "net_position": serializers.IntegerField(allow_null=True),
                "nations_below": serializers.IntegerField(allow_null=True),
                "nations_counted": serializers.IntegerField(allow_null=True),
                "nations_not_reporting": serializers.IntegerField(
                    allow_null=True, help_text="Nations expected to report this item that have not (no_report rows)."),
                "suppressed": serializers.DictField(
                    child=inline_serializer("SuppressedFigure", {
                        "code": serializers.ChoiceField(choices=disclosure.REASONS),
                        "reason": serializers.CharField(help_text='In your language, e.g. "fewer than 3 nations".'),
                    }),
                    help_text="Per hidden figure (null above), keyed by its name: why it is hidden "
                              "(docs/disclosure.md). {} when every figure is shown."),
            }, many=True),
        }), **{k: v for k, v in ERRORS.items() if k in (400, 401, 403)}},
    )
    def get(self, request):
        item_ids = [parse_id(v) for v in request.query_params.getlist("item")]
        if None in item_ids:
            raise serializers.ValidationError({"item": ["Give item ids (whole numbers from 1)."]})
        rows = selectors.alliance_rollup(actor=request.user, item_ids=item_ids or None)
        return Response({
            "last_computed": selectors.shortfalls_last_computed(),
            "results": [{
                "item": r.item_id, "item_name": r.item_name, "item_name_fr": r.item_name_fr, "unit": r.unit,
                "category": r.category_name,
                "total_shortfall": r.total_shortfall, "net_position": r.net_position,
                "nations_below": r.nations_below, "nations_counted": r.nations_counted,
                "nations_not_reporting": r.nations_not_reporting,
                "suppressed": {name: {"code": code, "reason": r.note(name)} for name, code in r.reasons.items()},
            } for r in rows],
        })


class ReportingView(ApiView):
    """Who reports: per nation, the last stock report, the items it is expected to report (a guideline above 0
    applies to it) and how many of them it has reported; ``stale`` when the last report is older than
    ``REPORTING_STALE_AFTER_DAYS`` (or it never reported while expected). A national client sees its own
    nation's row; the cell sees every nation."""

    @extend_schema(
        responses={200: inline_serializer("Reporting", {
            "stale_after_days": serializers.IntegerField(),
            "results": inline_serializer("NationReporting", {
                "nation": serializers.CharField(),
                "last_report": serializers.DateField(allow_null=True),
                "days_since_report": serializers.IntegerField(allow_null=True),
                "items_expected": serializers.IntegerField(),
                "items_reported": serializers.IntegerField(),
                "items_not_reported": serializers.IntegerField(),
                "stale": serializers.BooleanField(),
            }, many=True),
        }), **{k: v for k, v in ERRORS.items() if k in (401, 403)}},
    )
    def get(self, request):
        return Response({
            "stale_after_days": settings.REPORTING_STALE_AFTER_DAYS,
            "results": [{
                "nation": r.nation_code, "last_report": r.last_report, "days_since_report": r.days_since_report,
                "items_expected": r.items_expected, "items_reported": r.items_reported,
                "items_not_reported": r.items_missing, "stale": r.stale,
            } for r in reporting_by_nation(actor=request.user)],
        })


class AlertViewSet(ReadOnlyApiViewSet):
    """Alerts for your own nation (below guideline, pledge overdue); ``?open=true`` for open ones."""

    model = Alert
    queryset = Alert.objects.none()  # for schema introspection; get_queryset is the real one
    serializer_class = AlertSerializer
    filterset_class = AlertFilterSet
    ordering_fields = ["opened_at", "closed_at", "id"]

    def get_queryset(self):
        return selectors.alert_list(actor=self.scope, open_only=False)



# --- Joint procurement ------------------------------------------------------------------------------

def _agreement_ref(scope, value: int | None):
    """A framework agreement the caller may see (a participant, the lead nation, the cell), or a 400."""
    if value is None:
        return None
    agreement = FrameworkAgreement.objects.restrict(scope, VIEW).filter(pk=value).first()
    if agreement is None:
        raise serializers.ValidationError({"agreement": [f"Unknown framework agreement ({value})."]})
    return agreement


class AgreementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Framework agreements you lead or take part in (the cell sees all), with their participants and
    utilisation: ordered vs ceiling in total and ordered vs planned per participant. Another participant's
    call-offs are not shown to you (null), and the total only when enough nations have called off
    (the small-group rule). The cell writes agreements and records who joins."""

    model = FrameworkAgreement
    serializer_class = AgreementSerializer
    select_related = ("lead_nation", "item", "manufacturer")
    filterset_class = AgreementFilterSet
    ordering_fields = ["name", "valid_from", "valid_to", "ceiling_quantity", "id"]
    ordering = ["item__name", "name"]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "swagger_fake_view", False) or not self.request.user.is_authenticated:
            return context
        # Utilisation of every agreement the caller may see, in the selector's fixed set of queries.
        context["agreement_rows"] = {r.agreement.pk: r for r in
                                     procurement_selectors.agreement_list(actor=self.scope)}
        return context

    def _answer(self, agreement, status_code: int = 200) -> Response:
        agreement = self.get_queryset().get(pk=agreement.pk)
        return Response(self.get_serializer(agreement).data, status=status_code)

    @extend_schema(request=AgreementWriteSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: AgreementSerializer, **ERRORS})
    def create(self, request):
        def do():
            require_cell(self.scope, what="framework agreements")
            data = AgreementWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            v["item"] = item_resolve(v["item"])
            since = self.started()
            agreement = procurement_services.agreement_create(actor=self.scope, user=self.service_user, **v)
            self.stamp(FrameworkAgreement, [agreement], since)
            return self._answer(agreement, status.HTTP_201_CREATED)
        return self.write(request, do)

    @extend_schema(request=AgreementWriteSerializer, responses={200: AgreementSerializer, **ERRORS},
                   description="Change some fields (the cell). The ceiling cannot drop below what is already "
                               "called off.")
    def partial_update(self, request, pk=None):
        def do():
            self.get_object()  # 404 when not visible
            require_cell(self.scope, what="framework agreements")
            data = AgreementWriteSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            if "item" in v:
                v["item"] = item_resolve(v["item"])
            since = self.started()
            agreement = procurement_services.agreement_update(actor=self.scope, agreement_id=int(pk),
                                                              user=self.service_user, **v)
            self.stamp(FrameworkAgreement, [agreement], since)
            return self._answer(agreement)
        return self.write(request, do)

    @extend_schema(request=ParticipantInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: AgreementSerializer, **ERRORS},
                   description="Record that a nation joins the agreement (the cell), with its planned quantity "
                               "and the day it joined. Answers with the whole agreement.")
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        def do():
            agreement = self.get_object()
            require_cell(self.scope, what="framework agreement participants")
            data = ParticipantInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            since = self.started()
            participant = procurement_services.participant_join(actor=self.scope, agreement_id=agreement.pk,
                                                                user=self.service_user, **data.validated_data)
            self.stamp(AgreementParticipant, [participant], since)
            return self._answer(agreement, status.HTTP_201_CREATED)
        return self.write(request, do)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Your own nation's orders (call-offs under a framework agreement, or national contracts) with their
    delivery schedules; the cell sees all. Another nation's order is a 404. The schedule is written with
    the order in one request, all or nothing; the scheduled lines are the contracted inflows of your
    stock projection."""

    model = Order
    serializer_class = OrderSerializer
    filterset_class = OrderFilterSet
    ordering_fields = ["ordered_on", "quantity", "created_at", "id"]
    ordering = ["-ordered_on", "-id"]

    def get_queryset(self):
        return procurement_selectors.order_list(actor=self.scope)

    def _answer(self, order, status_code: int = 200) -> Response:
        return Response(OrderSerializer(self.get_queryset().get(pk=order.pk)).data, status=status_code)

    def _values(self, validated: dict) -> dict:
        v = dict(validated)
        if "item" in v:
            v["item"] = item_resolve(v["item"])
        if "agreement" in v:
            v["agreement"] = _agreement_ref(self.scope, v["agreement"])
        return v

    @extend_schema(request=OrderInSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: OrderSerializer, **ERRORS})
    def create(self, request):
        def do():
            data = OrderInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = self._values(data.validated_data)
            v["nation"] = writer_nation(self, v.pop("nation", None))
            schedule = [dict(row) for row in v.pop("schedule", [])]
            since = self.started()
            order = procurement_services.order_create(actor=self.scope, schedule=schedule, user=self.service_user,
                                                      **v)
            self.stamp(Order, [order], since)
            self.stamp(OrderScheduleLine, list(order.schedule.all()), since)
            return self._answer(order, status.HTTP_201_CREATED)
        return self.write(request, do)

    @extend_schema(request=OrderUpdateSerializer, responses={200: OrderSerializer, **ERRORS},
                   description="Change some fields. With `schedule`, the whole delivery schedule is replaced in "
                               "the same transaction: all or nothing.")
    def partial_update(self, request, pk=None):
        def do():
            order = self.get_object()  # 404 when not visible
            refuse_foreign_nation_in(self, request.data, "nation")
            data = OrderUpdateSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            v = self._values(data.validated_data)
            schedule = v.pop("schedule", None)
            since = self.started()
            user = self.service_user
            if schedule is not None:
                for line in list(order.schedule.all()):
                    procurement_services.schedule_line_delete(actor=self.scope, line_id=line.pk, user=user)
            order = procurement_services.order_update(actor=self.scope, order_id=order.pk, user=user, **v)
            if schedule is not None:
                _schedule_replace(self.scope, order, schedule, user)
            self.stamp(Order, [order], since)
            return self._answer(order)
        return self.write(request, do)


def _schedule_replace(scope, order, rows, user) -> None:
    """Write the new schedule lines; every line's errors at once (``schedule[i]``), then nothing is kept."""
    errors: dict[str, list[str]] = {}
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():
                procurement_services.schedule_line_create(actor=scope, order_id=order.pk, user=user, **row)
        except DjangoValidationError as exc:
            errors[f"schedule[{index}]"] = [f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                            for k, v in messages_of(exc).items()]
    if errors:
        raise DjangoValidationError(errors)


class ScheduleLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Delivery schedule lines of your own nation's orders (the cell sees all), by due date: the timeline of
    contracted inflows. ``PATCH`` one to record its arrival (``received_on``)."""

    model = OrderScheduleLine
    serializer_class = ScheduleLineDetailSerializer
    select_related = ("order", "order__nation")
    filterset_class = ScheduleLineFilterSet
    ordering_fields = ["due_on", "quantity", "received_on", "id"]
    ordering = ["due_on", "id"]

    @extend_schema(request=ScheduleLineUpdateSerializer, responses={200: ScheduleLineDetailSerializer, **ERRORS})
    def partial_update(self, request, pk=None):
        def do():
            self.get_object()
            data = ScheduleLineUpdateSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            since = self.started()
            line = procurement_services.schedule_line_update(actor=self.scope, line_id=int(pk),
                                                             user=self.service_user, **data.validated_data)
            self.stamp(OrderScheduleLine, [line], since)
            return Response(ScheduleLineDetailSerializer(self.get_queryset().get(pk=line.pk)).data)
        return self.write(request, do)


FIGURE_FIELDS = {name: serializers.IntegerField(allow_null=True) for name in (
    "on_hand", "guideline", "owed", "available", "shortfall", "rate", "months_to_recover", "contracted_inflow")}
SnapshotFigures = inline_serializer("SnapshotFigures", {
    **FIGURE_FIELDS, "status": serializers.CharField(), "coverage": serializers.FloatField(allow_null=True),
    "not_recovering": serializers.BooleanField()})


def _figures(result) -> dict | None:
    if result is None:
        return None
    return {name: getattr(result, name) for name in (*FIGURE_FIELDS, "status", "coverage", "not_recovering")}


class SnapshotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Frozen briefing snapshots (docs/history.md): every client reads their names and dates; the cell takes
    them. A snapshot's rows (``rows``) and a comparison (``compare``) show a nation's client its own
    nation's pairs only; the cell sees every pair."""

    model = Snapshot
    serializer_class = SnapshotSerializer
    select_related = ("created_by",)
    ordering = ["-taken_at", "-pk"]

    @extend_schema(request=SnapshotWriteSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: SnapshotSerializer, **ERRORS})
    def create(self, request):
        def do():
            require_cell(self.scope, what="briefing snapshots")
            data = SnapshotWriteSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                snapshot = services.snapshot_create(actor=self.scope, user=self.service_user, **data.validated_data)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(messages_of(exc)) from exc
            return Response(SnapshotSerializer(self.get_queryset().get(pk=snapshot.pk)).data,
                            status=status.HTTP_201_CREATED)
        return self.write(request, do)

    @extend_schema(responses={200: inline_serializer("SnapshotRows", {
        "snapshot": SnapshotSerializer(), "results": inline_serializer("SnapshotRow", {
            "nation": serializers.CharField(), "item": serializers.IntegerField(),
            "reported_on": serializers.DateField(allow_null=True), "figures": SnapshotFigures}, many=True)}),
        **{k: v for k, v in ERRORS.items() if k in (401, 403, 404)}})
    @action(detail=True, methods=["get"])
    def rows(self, request, pk=None):
        snapshot = self.get_object()
        rows = selectors.shortfalls_as_of(actor=self.scope, as_of=snapshot.as_of, snapshot_id=snapshot.pk)
        frozen = snapshot_selectors.snapshot_pairs(actor=self.scope, snapshot=snapshot)
        return Response({"snapshot": SnapshotSerializer(snapshot).data, "results": [{
            "nation": r.nation.code, "item": r.item.pk,
            "reported_on": frozen[(r.nation.pk, r.item.pk)].reported_on, "figures": _figures(r.result),
        } for r in rows]})

    @extend_schema(
        parameters=[OpenApiParameter("a", ID_SCHEMA, required=True, description="Snapshot id (before)"),
                    OpenApiParameter("b", {"type": "string", "pattern": "^(today|[1-9][0-9]{0,17})$"}, required=False,
                                     description="Snapshot id (after), or 'today' (default)"),
                    OpenApiParameter("page", {"type": "integer", "minimum": 1}, required=False,
                                     description="Page of changes, from 1 (default 1)"),
                    OpenApiParameter("page_size", {"type": "integer", "minimum": 1,
                                                   "maximum": ApiPagination.max_page_size}, required=False,
                                     description=f"Changes per page (default {ApiPagination.page_size})")],
        responses={200: inline_serializer("SnapshotComparison", {
            "a": SnapshotSerializer(), "b": SnapshotSerializer(allow_null=True),
            "count": serializers.IntegerField(help_text="How many pairs changed (every page)"),
            "next": serializers.URLField(allow_null=True), "previous": serializers.URLField(allow_null=True),
            "results": inline_serializer("SnapshotChange", {
                "nation": serializers.CharField(), "item": serializers.IntegerField(),
                "item_name": serializers.CharField(), "item_name_fr": serializers.CharField(),
                "shortfall_delta": serializers.IntegerField(),
                "reasons": serializers.ListField(child=serializers.ChoiceField(choices=shortfalls.CHANGE_REASONS)),
                "before": SnapshotFigures, "after": SnapshotFigures}, many=True)}),
            **{k: v for k, v in ERRORS.items() if k in (400, 401, 403, 404)}})
    @action(detail=False, methods=["get"])
    def compare(self, request):
        def side(name: str, value):
            if name == "b" and value in (None, "", "today"):
                return None
            if parse_id(value or "") is None:
                hint = "Give a snapshot id or 'today'." if name == "b" else "Give a snapshot id."
                raise serializers.ValidationError({name: [hint]})
            found = snapshot_selectors.snapshot_get(actor=self.scope, snapshot_id=value)
            if found is None:
                raise serializers.ValidationError({name: [f"No snapshot {value}."]})
            return found

        a = side("a", request.query_params.get("a"))
        b = side("b", request.query_params.get("b"))
        # paged like every list (a full comparison at alliance scale is tens of thousands of changes)
        paging = ApiPagination()

        def fetch(offset, limit):
            found = snapshot_selectors.snapshot_compare(actor=self.scope, a=a, b=b, limit=limit, offset=offset)
            return found.changes, found.total

        changes = paging.paginate_counted(request, fetch)
        return Response({
            "a": SnapshotSerializer(a).data, "b": SnapshotSerializer(b).data if b else None,
            **paging.get_paginated_response([{
                "nation": c.nation.code, "item": c.item.pk, "item_name": c.item.name, "item_name_fr": c.item.name_fr,
                "shortfall_delta": c.shortfall_delta, "reasons": list(c.reasons),
                "before": _figures(c.before), "after": _figures(c.after),
            } for c in changes]).data,
        })


class ShortfallSeriesView(ApiView):
    """Shortfall over time (docs/history.md): Σ shortfall per month over the last ``months`` months up to
    ``as_of`` (default today), read from the stored history, and the projected path ahead from that date's
    figures (production and contracted deliveries), as separate lists. Select by ``item``, ``nation``
    (code), ``category``, or none (the alliance). A nation's client gets its own rows only (``own_only``
    true when the selection spans other nations), and 403 for another nation's series (never that nation's
    figures, nor zeros in their place); the cell sees every pair."""

    @extend_schema(
        parameters=[OpenApiParameter("item", ID_SCHEMA, required=False),
                    OpenApiParameter("category", ID_SCHEMA, required=False),
                    OpenApiParameter("nation", {"type": "string", "pattern": "^[A-Za-z]{2,3}$"}, required=False,
                                     description="ISO 3166-1 alpha-3 code"),
                    OpenApiParameter("months", {"type": "integer", "minimum": 1, "maximum": 120}, required=False,
                                     description="1 to 120 (default 24)"),
                    OpenApiParameter("as_of", {"type": "string", "format": "date"}, required=False,
                                     description="The series ends on this past date and the projection starts "
                                                 "from it (default: today)")],
        responses={200: inline_serializer("ShortfallSeries", {
            "own_only": serializers.BooleanField(),
            "past": inline_serializer("SeriesPoint", {"date": serializers.DateField(),
                                                      "shortfall": serializers.IntegerField()}, many=True),
            "projected": inline_serializer("ProjectedPoint", {"date": serializers.DateField(),
                                                              "shortfall": serializers.IntegerField()}, many=True),
        }), **{k: v for k, v in ERRORS.items() if k in (400, 401, 403)}},
    )
    def get(self, request):
        errors: dict[str, list[str]] = {}
        ids = {}
        for name in ("item", "category"):
            value = request.query_params.get(name)
            ids[name] = None if value in (None, "") else parse_id(value)
            if value not in (None, "") and ids[name] is None:
                errors[name] = ["Give an id (a whole number from 1)."]
        nation_id = None
        code = request.query_params.get("nation")
        if code:
            nation_id = Nation.objects.filter(code=code.upper()).values_list("pk", flat=True).first()
            if nation_id is None:
                errors["nation"] = [f"Unknown nation {code!r}."]
        months_raw = request.query_params.get("months", "24")
        months = int(months_raw) if months_raw.isdigit() else 0
        if not 1 <= months <= 120:
            errors["months"] = ["Give a whole number of months from 1 to 120."]
        as_of = None
        if request.query_params.get("as_of"):
            field = serializers.DateField(validators=[date_not_future])
            try:
                as_of = field.run_validation(request.query_params["as_of"])
            except serializers.ValidationError as exc:
                errors["as_of"] = list(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        scope = scope_for(request.user)
        if nation_id is not None and not scope.is_cell and nation_id != scope.nation_id:
            # another nation's series would be a sum over none of the reader's pairs: never a series of zeros
            raise PermissionDenied("A nation reads its own nation's series only.")
        series = selectors.shortfall_series(actor=request.user, item=ids["item"], category=ids["category"],
                                            nation=nation_id, months=months, ahead=months, as_of=as_of)
        return Response({
            "own_only": series.own_only,
            "past": [{"date": d, "shortfall": v} for d, v in series.past],
            "projected": [{"date": d, "shortfall": v} for d, v in series.projected],
        })
