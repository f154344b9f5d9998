"""Pledge endpoints: pledges, deliveries (with bulk), training commitments (own nation writes),
requirements (read) and fulfilment summaries (read, over what the caller may see)."""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from coordination.access import CHANGE
from coordination.api.attribution import stamp_history
from coordination.api.base import (
    ApiView,
    ApiViewSet,
    ReadOnlyApiViewSet,
    RecordWriteMixin,
    refuse_foreign_nation_in,
    writer_nation,
)
from coordination.api.bulk import parse_rows, write_all_or_nothing
from coordination.api.filters import IsoDateFilter, parse_id
from coordination.api.pagination import KeysetPagination
from coordination.api.schema import BULK_ERRORS, ERRORS, IDEMPOTENCY_KEY, write_schema
from coordination.api.serializers import NATION_CODE_RE, item_resolve
from coordination.models import Category, Item, Nation
from pledges import selectors
from pledges.api.serializers import (
    DeliveryBulkResultSerializer,
    DeliveryInSerializer,
    DeliverySerializer,
    DeliveryUpdateSerializer,
    PledgeInSerializer,
    PledgeSerializer,
    PledgeUpdateSerializer,
    RequirementSerializer,
    RequirementWriteSerializer,
    TrainingCommitmentInSerializer,
    TrainingCommitmentSerializer,
    TrainingCommitmentUpdateSerializer,
)
from pledges.filtersets import DeliveryFilterSet, PledgeFilterSet
from pledges.models import Delivery, Pledge, Requirement, TrainingCommitment
from pledges.services import (
    deliveries_bulk_create,
    delivery_create,
    delivery_update,
    pledge_create,
    pledge_update,
    training_commitment_save,
)

WRITE_ERRORS = dict(ERRORS)


class PledgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Pledges you may see: your own, ``alliance`` pledges of other allies, ``public`` ones.
    ``restricted`` pledges are visible to their donor and the cell only. You write your own nation's."""

    model = Pledge
    serializer_class = PledgeSerializer
    select_related = ("donor", "recipient")
    filterset_class = PledgeFilterSet
    ordering_fields = ["announced_on", "due_on", "quantity", "value_eur", "id"]
    ordering = ["-announced_on", "-id"]
    pagination_class = KeysetPagination  # grows to millions of rows: no count, no deep OFFSET

    @extend_schema(request=PledgeInSerializer, parameters=[IDEMPOTENCY_KEY], responses={201: PledgeSerializer,
                   **WRITE_ERRORS})
    def create(self, request):
        def do():
            data = PledgeInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            v["donor"] = writer_nation(self, v.pop("donor", None), field="donor")
            v["item"] = item_resolve(v["item"])
            since = self.started()
            pledge = pledge_create(actor=self.scope, user=self.service_user, **v)
            self.stamp(Pledge, [pledge], since)
            return Response(PledgeSerializer(pledge).data, status=status.HTTP_201_CREATED)
        return self.write(request, do)

    def _update(self, request, pk, partial: bool):
        def do():
            self.get_object()  # 404 when not visible
            refuse_foreign_nation_in(self, request.data, "donor")
            data = PledgeUpdateSerializer(data=request.data, partial=partial)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            if "item" in v:
                v["item"] = item_resolve(v["item"])
            since = self.started()
            pledge = pledge_update(actor=self.scope, pledge_id=int(pk), user=self.service_user, **v)
            self.stamp(Pledge, [pledge], since)
            pledge = self.get_queryset().get(pk=pledge.pk)
            return Response(PledgeSerializer(pledge).data)
        return self.write(request, do)

    @extend_schema(request=PledgeUpdateSerializer, responses={200: PledgeSerializer, **WRITE_ERRORS})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(request=PledgeUpdateSerializer, responses={200: PledgeSerializer, **WRITE_ERRORS},
                   description="Change some fields. A reduction is kept in the pledge's history; the quantity "
                               "cannot drop below what is already in non-cancelled deliveries.")
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)


class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Deliveries against the pledges you may see; you record them against your own nation's pledges."""

    model = Delivery
    serializer_class = DeliverySerializer
    write_targets = {"pledge": Pledge}  # a refused write against another nation's pledge is logged
    select_related = ("pledge",)
    filterset_class = DeliveryFilterSet
    ordering_fields = ["shipped_on", "delivered_on", "quantity", "id"]
    ordering = ["-id"]
    pagination_class = KeysetPagination  # grows to millions of rows: no count, no deep OFFSET

    def stamp_totals(self, deliveries, since) -> None:
        """The pledges' delivery totals changed with the deliveries: name the writer on those history rows too."""

        stamp_history(Pledge, sorted({d.pledge_id for d in deliveries}), user=self.request.user, since=since)

    @extend_schema(request=DeliveryInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: DeliverySerializer, **WRITE_ERRORS})
    def create(self, request):
        def do():
            data = DeliveryInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            pledge_id = v.pop("pledge")
            since = self.started()
            delivery = delivery_create(actor=self.scope, pledge_id=pledge_id, user=self.service_user, **v)
            self.stamp(Delivery, [delivery], since)
            self.stamp_totals([delivery], since)
            return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)
        return self.write(request, do)

    @extend_schema(
        request=DeliveryInSerializer(many=True), parameters=[IDEMPOTENCY_KEY],
        responses={201: DeliveryBulkResultSerializer, 400: BULK_ERRORS,
                   **{k: v for k, v in WRITE_ERRORS.items() if k != 400}},
        description="Up to 10,000 deliveries in one request, all or nothing; errors per row index. "
                    "A delivery above what is left on its pledge (counting earlier rows) is refused.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        def do():
            rows, row_errors = parse_rows(request.data, DeliveryInSerializer())
            service_rows = [None if r is None else {"pledge_id": r.pop("pledge"), **r} for r in rows]
            since = self.started()
            created = write_all_or_nothing(service_rows, row_errors, lambda valid_rows: deliveries_bulk_create(
                actor=self.scope, rows=valid_rows, user=self.service_user))
            self.stamp(Delivery, created, since)
            self.stamp_totals(created, since)
            return Response({"count": len(created), "results": DeliverySerializer(created, many=True).data},
                            status=status.HTTP_201_CREATED)
        return self.write(request, do)

    def _update(self, request, pk, partial: bool):
        def do():
            self.get_object()
            data = DeliveryUpdateSerializer(data=request.data, partial=partial)
            data.is_valid(raise_exception=True)
            since = self.started()
            delivery = delivery_update(actor=self.scope, delivery_id=int(pk), user=self.service_user,
                                       **data.validated_data)
            self.stamp(Delivery, [delivery], since)
            self.stamp_totals([delivery], since)
            return Response(DeliverySerializer(delivery).data)
        return self.write(request, do)

    @extend_schema(request=DeliveryUpdateSerializer, responses={200: DeliverySerializer, **WRITE_ERRORS})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(request=DeliveryUpdateSerializer, responses={200: DeliverySerializer, **WRITE_ERRORS},
                   description="E.g. mark a delivery delivered: `{\"status\": \"delivered\", "
                               "\"delivered_on\": \"2024-05-02\"}`.")
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)


class TrainingCommitmentFilterSet(django_filters.FilterSet):
    donor = django_filters.CharFilter(field_name="donor__code")
    recipient = django_filters.CharFilter(field_name="recipient__code")
    status = django_filters.MultipleChoiceFilter(choices=TrainingCommitment.Status.choices)
    programme = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = TrainingCommitment
        fields = ["donor", "recipient", "status", "programme"]


class TrainingCommitmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Your own nation's training commitments (trainees committed and completed)."""

    model = TrainingCommitment
    serializer_class = TrainingCommitmentSerializer
    select_related = ("donor", "recipient")
    filterset_class = TrainingCommitmentFilterSet
    ordering_fields = ["programme", "start_on", "end_on", "id"]
    ordering = ["programme", "id"]

    @extend_schema(request=TrainingCommitmentInSerializer, parameters=[IDEMPOTENCY_KEY],
                   responses={201: TrainingCommitmentSerializer, **WRITE_ERRORS})
    def create(self, request):
        def do():
            data = TrainingCommitmentInSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = dict(data.validated_data)
            v["donor"] = writer_nation(self, v.pop("donor", None), field="donor")
            since = self.started()
            commitment = training_commitment_save(actor=self.scope, commitment=TrainingCommitment(**v),
                                                  user=self.service_user)
            self.stamp(TrainingCommitment, [commitment], since)
            return Response(TrainingCommitmentSerializer(commitment).data, status=status.HTTP_201_CREATED)
        return self.write(request, do)

    def _update(self, request, pk, partial: bool):
        def do():
            self.get_object()
            commitment = TrainingCommitment.objects.restrict(self.scope, CHANGE).filter(pk=pk).first()
            if commitment is None:
                raise PermissionDenied("You may not change this training commitment.")
            refuse_foreign_nation_in(self, request.data, "donor")
            data = TrainingCommitmentUpdateSerializer(data=request.data, partial=partial)
            data.is_valid(raise_exception=True)
            for name, value in data.validated_data.items():
                setattr(commitment, name, value)
            since = self.started()
            commitment = training_commitment_save(actor=self.scope, commitment=commitment, user=self.service_user)
            self.stamp(TrainingCommitment, [commitment], since)
            return Response(TrainingCommitmentSerializer(self.get_queryset().get(pk=commitment.pk)).data)
        return self.write(request, do)

    @extend_schema(request=TrainingCommitmentUpdateSerializer,
                   responses={200: TrainingCommitmentSerializer, **WRITE_ERRORS})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(request=TrainingCommitmentUpdateSerializer,
                   responses={200: TrainingCommitmentSerializer, **WRITE_ERRORS},
                   description="E.g. report progress: `{\"trainees_completed\": 120}`.")
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)


class RequirementFilterSet(django_filters.FilterSet):
    recipient = django_filters.CharFilter(field_name="recipient__code")
    item = django_filters.ModelMultipleChoiceFilter(queryset=Item.objects.all())
    category = django_filters.ModelMultipleChoiceFilter(field_name="item__category", queryset=Category.objects.all())
    priority = django_filters.MultipleChoiceFilter(choices=Requirement.Priority.choices)
    period_after = IsoDateFilter(field_name="period_to", lookup_expr="gte")
    period_before = IsoDateFilter(field_name="period_from", lookup_expr="lte")

    class Meta:
        model = Requirement
        fields = ["recipient", "item", "category", "priority"]


@write_schema(RequirementWriteSerializer, RequirementSerializer)
class RequirementViewSet(RecordWriteMixin, ReadOnlyApiViewSet):
    """The recipient's stated requirements, read by every nation. The recipient's own clients write its
    requirements (the ``recipient`` field is taken from the token); the cell writes any, naming the
    recipient. Other nations are refused (403), as in the admin and the import."""

    write_serializer_class = RequirementWriteSerializer
    write_what = Requirement.WRITE_WHAT
    owner_field = "recipient"

    model = Requirement
    serializer_class = RequirementSerializer
    select_related = ("recipient",)
    filterset_class = RequirementFilterSet
    ordering_fields = ["priority", "period_from", "quantity", "id"]
    ordering = ["priority", "period_from", "id"]


FULFILMENT_FIELDS = {
    "pledges": serializers.IntegerField(),
    "pledged": serializers.IntegerField(),
    "delivered": serializers.IntegerField(),
    "undelivered": serializers.IntegerField(),
    "delivered_share": serializers.FloatField(allow_null=True),
    "pledged_value_eur": serializers.DecimalField(max_digits=20, decimal_places=2),
    "delivered_value_eur": serializers.DecimalField(max_digits=20, decimal_places=2),
    "delivered_value_share": serializers.FloatField(allow_null=True),
    "unvalued": serializers.IntegerField(),
    "overdue": serializers.IntegerField(),
    "overdue_quantity": serializers.IntegerField(),
}


def _fulfilment(f) -> dict:
    return {
        "pledges": f.pledges, "pledged": f.pledged, "delivered": f.delivered, "undelivered": f.undelivered,
        "delivered_share": f.delivered_share, "pledged_value_eur": f"{f.pledged_value_eur:.2f}",
        "delivered_value_eur": f"{f.delivered_value_eur:.2f}", "delivered_value_share": _float(f.delivered_value_share),
        "unvalued": f.unvalued, "overdue": f.overdue, "overdue_quantity": f.overdue_quantity,
    }


def _float(value):
    return None if value is None else float(value)


class FulfilmentByDonorView(ApiView):
    """Pledge fulfilment per donor (by quantity and EUR value), over the pledges you may see."""

    @extend_schema(
        parameters=[OpenApiParameter("item", {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}, required=False)],
        responses={200: inline_serializer("DonorFulfilment", {"donor": serializers.CharField(), **FULFILMENT_FIELDS},
                                          many=True)},
    )
    def get(self, request):
        raw = request.query_params.get("item")
        item = None if raw is None else parse_id(raw)
        if raw is not None and item is None:
            raise serializers.ValidationError({"item": ["Give an item id (a whole number from 1)."]})
        rows = selectors.fulfilment_by_donor(actor=request.user, item=item)
        return Response([{"donor": r.donor.code, **_fulfilment(r.fulfilment)} for r in rows])


class FulfilmentByItemView(ApiView):
    """Pledge fulfilment per item, over the pledges you may see."""

    @extend_schema(
        parameters=[OpenApiParameter("donor", {"type": "string", "pattern": "^[A-Za-z]{2,3}$"}, required=False,
                                    description="Donor nation code")],
        responses={200: inline_serializer("ItemFulfilment", {"item": serializers.IntegerField(),
                                                             "item_name": serializers.CharField(),
                                                             "item_name_fr": serializers.CharField(),
                                                             **FULFILMENT_FIELDS}, many=True)},
    )
    def get(self, request):
        donor = None
        code = request.query_params.get("donor")
        if code is not None:
            if not NATION_CODE_RE.fullmatch(code.strip()):
                raise serializers.ValidationError({"donor": ["Give a nation code such as POL."]})
            donor = Nation.objects.filter(code=code.strip().upper()).first()
            if donor is None:
                raise serializers.ValidationError({"donor": [f"Unknown nation code {code}."]})
        rows = selectors.fulfilment_by_item(actor=request.user, donor=donor)
        return Response([{"item": r.item.pk, "item_name": r.item.name, "item_name_fr": r.item.name_fr,
                          **_fulfilment(r.fulfilment)} for r in rows])


class RecipientGapView(ApiView):
    """Per recipient and item: required, pledged, delivered, uncovered (required − pledged) and
    undelivered (pledged − delivered). An aggregate over all donors."""

    @extend_schema(responses={200: inline_serializer("RecipientGap", {
        "recipient": serializers.CharField(), "item": serializers.IntegerField(), "item_name": serializers.CharField(),
        "item_name_fr": serializers.CharField(), "required": serializers.IntegerField(),
        "pledged": serializers.IntegerField(),
        "delivered": serializers.IntegerField(), "uncovered": serializers.IntegerField(),
        "undelivered": serializers.IntegerField(),
    }, many=True)})
    def get(self, request):
        return Response([{
            "recipient": r.recipient.code, "item": r.item.pk, "item_name": r.item.name, "item_name_fr": r.item.name_fr,
            "required": r.gap.required, "pledged": r.gap.pledged, "delivered": r.gap.delivered,
            "uncovered": r.gap.uncovered, "undelivered": r.gap.undelivered,
        } for r in selectors.recipient_gaps(actor=request.user)])


class TrainingSummaryView(ApiView):
    """Trainees committed and completed per donor and programme, over the commitments you may see."""

    @extend_schema(responses={200: inline_serializer("TrainingSummary", {
        "donor": serializers.CharField(), "programme": serializers.CharField(),
        "commitments": serializers.IntegerField(), "committed": serializers.IntegerField(),
        "completed": serializers.IntegerField(), "outstanding": serializers.IntegerField(),
        "completed_share": serializers.FloatField(allow_null=True),
    }, many=True)})
    def get(self, request):
        return Response([{
            "donor": r.donor.code, "programme": r.progress.programme, "commitments": r.progress.commitments,
            "committed": r.progress.committed, "completed": r.progress.completed,
            "outstanding": r.progress.outstanding, "completed_share": _float(r.progress.completed_share),
        } for r in selectors.training_summary(actor=request.user)])


_TRACKER_AMOUNTS = ("allocated_eur", "military_eur", "financial_eur", "humanitarian_eur", "committed_eur",
                    "to_be_allocated_eur")


def _tracker_donor(d: selectors.TrackerDonor) -> dict:
    return {"donor": d.nation.code if d.nation else None, "name": d.nation.name if d.nation else None,
            "name_fr": d.nation.name_fr if d.nation else None,
            **{f: f"{getattr(d, f):.2f}" for f in _TRACKER_AMOUNTS}, "months": d.months,
            "first_month": d.first_month, "last_month": d.last_month}


def _tracker_weapons(w: selectors.TrackerWeapons) -> dict:
    return {"category": w.category or None, "system": w.system or None, "number": w.number,
            "value_eur": f"{w.value_eur:.2f}", "donors": w.donors}


_TRACKER_DONOR = {"donor": serializers.CharField(allow_null=True), "name": serializers.CharField(allow_null=True),
                  "name_fr": serializers.CharField(allow_null=True, allow_blank=True),
                  **{f: serializers.DecimalField(max_digits=22, decimal_places=2) for f in _TRACKER_AMOUNTS},
                  "months": serializers.IntegerField(), "first_month": serializers.DateField(allow_null=True),
                  "last_month": serializers.DateField(allow_null=True)}
_TRACKER_WEAPONS = {"category": serializers.CharField(allow_null=True),
                    "system": serializers.CharField(allow_null=True), "number": serializers.IntegerField(),
                    "value_eur": serializers.DecimalField(max_digits=22, decimal_places=2),
                    "donors": serializers.IntegerField()}


class TrackerView(ApiView):
    """The Kiel Ukraine Support Tracker as imported: each donor's totals over every month (allocated =
    the tracker's total, military, financial, humanitarian, committed, still to allocate; EUR as decimal
    strings, to the cent) and the heavy weapons by type and by system, with the source and release (the
    total over every type is in EUR only: its ``number`` is 0, systems of different types never add up).
    Public data: the same for every client."""

    @extend_schema(responses={200: inline_serializer("TrackerSummary", {
        "sources": serializers.ListField(child=serializers.CharField()),
        "donors": inline_serializer("TrackerDonor", _TRACKER_DONOR, many=True),
        "total": inline_serializer("TrackerTotal", _TRACKER_DONOR),
        "heavy_weapons": inline_serializer("TrackerWeapons", _TRACKER_WEAPONS, many=True),
        "heavy_weapons_total": inline_serializer("TrackerWeaponsTotal", _TRACKER_WEAPONS),
        "heavy_weapons_by_system": inline_serializer("TrackerSystem", _TRACKER_WEAPONS, many=True),
    })})
    def get(self, request):
        s = selectors.tracker_summary(actor=request.user)
        return Response({
            "sources": s.sources, "donors": [_tracker_donor(d) for d in s.donors], "total": _tracker_donor(s.total),
            "heavy_weapons": [_tracker_weapons(w) for w in s.weapons],
            "heavy_weapons_total": _tracker_weapons(s.weapons_total),
            "heavy_weapons_by_system": [_tracker_weapons(w) for w in s.systems],
        })
