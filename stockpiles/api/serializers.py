"""Stock serializers. Input serializers only type-check; stockpiles.services validates and writes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import ISO_8601, api_settings

from coordination.api.serializers import BIGINT_MAX, OWN_NATION_HELP, ItemRef, ItemRefField, NationCodeField
from stockpiles.models import (
    Alert,
    CurrentStock,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionRate,
    Shortfall,
    Snapshot,
    StockpileGuideline,
    StockReport,
)


class StockReportSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)
    item_nsn = serializers.CharField(source="item.nsn", read_only=True)

    class Meta:
        model = StockReport
        fields = ["id", "nation", "item", "item_nsn", "quantity", "as_of", "created_at"]
        read_only_fields = fields


class StockReportInSerializer(serializers.Serializer):
    """One stock report. ``nation`` is taken from your token; only the cell names it."""

    nation = serializers.RegexField(r"^\s*[A-Za-z]{2,3}\s*$", required=False, max_length=5,
                                    error_messages={"invalid": "Give a nation code such as POL."},
                                   help_text="Cell only: the reporting nation's code. " + OWN_NATION_HELP)
    item = ItemRefField()
    quantity = serializers.IntegerField(max_value=BIGINT_MAX, min_value=-BIGINT_MAX,
                                        help_text="Quantity on hand (0 or more).")
    as_of = serializers.DateField(help_text="The date the quantity was counted (not in the future).")

    def fast_row(self) -> Callable[[object], dict | None]:
        """For ``coordination.api.bulk.parse_rows``: a row's ``run_validation`` result when the row is the
        common well-formed one (only these fields; the nation absent or 2-3 letters; the item an id; the
        quantity a JSON integer in range; the date a string ``DateField`` reads with ``date.fromisoformat``),
        found without the per-field machinery; None for anything else, which then goes through the
        serializer (its errors, its messages). Tested equal to ``run_validation`` on every row it takes."""
        fields = self.fields
        if [f.lower() for f in getattr(fields["as_of"], "input_formats", None) or api_settings.DATE_INPUT_FORMATS][
                :1] != [ISO_8601]:
            return lambda row: None  # the date is read another way first: no shortcut
        keys = frozenset(fields)
        days: dict[str, dt.date] = {}  # a batch holds few distinct dates: each read once
        refs: dict[int, ItemRef] = {}

        def fast(row) -> dict | None:
            if not keys.issuperset(row):
                return None
            item, quantity, as_of = row.get("item"), row.get("quantity"), row.get("as_of")
            if type(item) is not int or not 1 <= item <= BIGINT_MAX:
                return None
            if type(quantity) is not int or not -BIGINT_MAX <= quantity <= BIGINT_MAX or type(as_of) is not str:
                return None
            day = days.get(as_of)
            if day is None:
                try:
                    day = days[as_of] = dt.date.fromisoformat(as_of)
                except ValueError:
                    return None
            ref = refs.get(item)
            if ref is None:
                ref = refs[item] = ItemRef(id=item)
            valid = {"item": ref, "quantity": quantity, "as_of": day}
            if "nation" in row:
                nation = row["nation"]
                if type(nation) is not str or not NATION_LETTERS.fullmatch(nation):
                    return None
                valid = {"nation": nation, **valid}
            return valid

        return fast


NATION_LETTERS = re.compile(r"[A-Za-z]{2,3}")  # StockReportInSerializer.nation, with no space to trim


def stock_report_payload(reports) -> list[dict]:
    """``StockReportSerializer(reports, many=True).data`` for a bulk answer of up to 10,000 rows, without a
    serializer per row (that was a quarter of the request). The same fields and formats, tested equal."""
    as_of, created_at = serializers.DateField(), serializers.DateTimeField()
    days: dict = {}
    times: dict = {}  # a batch shares one creation time: formatted once

    def once(memo: dict, field, value):
        if value not in memo:
            memo[value] = field.to_representation(value)
        return memo[value]

    codes: dict[int, str] = {}  # and each nation's code and item's NSN read once
    nsns: dict[int, str | None] = {}
    out = []
    for r in reports:
        nation_id, item_id = r.nation_id, r.item_id  # descriptors: read once
        if nation_id not in codes:
            codes[nation_id] = r.nation.code
        if item_id not in nsns:
            nsns[item_id] = r.item.nsn
        out.append({"id": r.id, "nation": codes[nation_id], "item": item_id, "item_nsn": nsns[item_id],
                    "quantity": r.quantity, "as_of": once(days, as_of, r.as_of),
                    "created_at": once(times, created_at, r.created_at)})
    return out


class StockReportBulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    results = StockReportSerializer(many=True)


class CurrentStockSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)

    class Meta:
        model = CurrentStock
        fields = ["id", "nation", "item", "quantity", "as_of", "report"]
        read_only_fields = fields


class GuidelineSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True, allow_null=True, default=None)

    class Meta:
        model = StockpileGuideline
        fields = ["id", "item", "nation", "minimum_quantity", "effective_from", "effective_to"]
        read_only_fields = fields


class ProductionRateSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)

    class Meta:
        model = ProductionRate
        fields = ["id", "nation", "item", "units_per_month", "effective_from", "reference"]
        read_only_fields = fields


class ShortfallSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)

    class Meta:
        model = Shortfall
        fields = ["id", "nation", "item", "as_of", "on_hand", "guideline", "owed", "available", "shortfall",
                  "coverage", "rate", "contracted_inflow", "months_to_recover", "recovers_on", "not_recovering",
                  "status", "computed_at", "failed", "failure"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "kind", "nation", "item", "pledge", "message", "opened_at", "closed_at"]
        read_only_fields = fields


class GuidelineWriteSerializer(serializers.ModelSerializer):
    item = ItemRefField()
    nation = NationCodeField(required=False, allow_null=True,
                             help_text="A nation-specific target; empty for the alliance-wide default.")

    class Meta:
        model = StockpileGuideline
        fields = ["item", "nation", "minimum_quantity", "effective_from", "effective_to"]
        extra_kwargs = {"minimum_quantity": {"min_value": 0}}
        validators: list = []


class ProductionRateWriteSerializer(serializers.ModelSerializer):
    item = ItemRefField()
    nation = NationCodeField(required=False, help_text="Cell only: the producing nation. " + OWN_NATION_HELP)

    class Meta:
        model = ProductionRate
        fields = ["nation", "item", "units_per_month", "effective_from", "reference"]
        extra_kwargs = {"units_per_month": {"min_value": 0}}
        validators: list = []


# --- Joint procurement ------------------------------------------------------------------------------
# Read serializers take the utilisation figures from the view (a selector, computed once per page), so
# a list never queries per row. Input serializers only type-check; stockpiles.procurement_services
# validates and writes.

INT_MAX = BIGINT_MAX


class OrderStatusField(serializers.ChoiceField):
    """Order status: placed, confirmed (by the manufacturer), completed or cancelled (``OrderStatusEnum``
    in the schema, named in settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"])."""

    def __init__(self, **kwargs):
        super().__init__(choices=Order.Status.choices, **kwargs)


class ParticipantSerializer(serializers.Serializer):
    """A participating nation: planned quantity, the day it joined, and (where you may see it) what it
    has called off."""

    id = serializers.IntegerField(read_only=True)
    nation = serializers.CharField(read_only=True, help_text="Nation code.")
    planned_quantity = serializers.IntegerField(read_only=True)
    joined_on = serializers.DateField(read_only=True)
    ordered = serializers.IntegerField(read_only=True, allow_null=True,
                                       help_text="Called off so far (non-cancelled); null when it is another "
                                                 "nation's figure you may not see.")
    ordered_share = serializers.FloatField(read_only=True, allow_null=True, help_text="Ordered ÷ planned.")


class UtilisationSerializer(serializers.Serializer):
    ceiling = serializers.IntegerField()
    planned = serializers.IntegerField(help_text="Σ of the participants' planned quantities.")
    ordered = serializers.IntegerField(allow_null=True,
                                       help_text="Σ called off (non-cancelled); null when suppressed.")
    remaining = serializers.IntegerField(allow_null=True, help_text="Ceiling − ordered (not below 0).")
    ordered_share = serializers.FloatField(allow_null=True, help_text="Ordered ÷ ceiling.")
    suppressed = serializers.BooleanField(
        help_text="The total is hidden from you (docs/disclosure.md); ordered, remaining and share are null.")
    suppressed_reason = serializers.CharField(allow_null=True, help_text='Why, e.g. "fewer than 3 nations".')


class AgreementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    lead_nation = serializers.CharField(source="lead_nation.code", read_only=True)
    item = serializers.IntegerField(source="item_id", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    item_name_fr = serializers.CharField(source="item.name_fr", read_only=True)
    manufacturer = serializers.CharField(source="manufacturer.name", read_only=True, allow_null=True, default=None)
    ceiling_quantity = serializers.IntegerField(read_only=True)
    unit_price_eur = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, allow_null=True)
    valid_from = serializers.DateField(read_only=True)
    valid_to = serializers.DateField(read_only=True, allow_null=True)
    validity = serializers.SerializerMethodField(
        help_text="Today: in_force, expired (valid_to has passed) or not_yet_in_force (valid_from is ahead).")
    reference = serializers.CharField(read_only=True)
    participants = serializers.SerializerMethodField()
    utilisation = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=FrameworkAgreement.Validity.values))
    def get_validity(self, obj) -> str:
        return obj.validity(timezone.localdate()).value

    def _row(self, obj):
        """The selector's row for this agreement (``stockpiles.procurement_selectors.agreement_list``),
        handed over by the view in the context: no query per agreement."""
        return self.context.get("agreement_rows", {}).get(obj.pk)

    @extend_schema_field(ParticipantSerializer(many=True))
    def get_participants(self, obj) -> list[dict]:
        row = self._row(obj)
        if row is None:
            return []
        return [{"id": p.participant.pk, "nation": p.participant.nation.code, "planned_quantity": p.planned,
                 "joined_on": p.participant.joined_on, "ordered": p.ordered,
                 "ordered_share": p.ordered_share} for p in row.participants]

    @extend_schema_field(UtilisationSerializer(allow_null=True))
    def get_utilisation(self, obj) -> dict | None:
        row = self._row(obj)
        if row is None:
            return None
        return {"ceiling": row.ceiling, "planned": row.planned, "ordered": row.ordered, "remaining": row.remaining,
                "ordered_share": row.ordered_share, "suppressed": row.suppressed,
                "suppressed_reason": row.note or None}


class AgreementWriteSerializer(serializers.Serializer):
    """A framework agreement (the cell)."""

    name = serializers.CharField(max_length=200)
    lead_nation = NationCodeField()
    item = ItemRefField()
    manufacturer = serializers.PrimaryKeyRelatedField(queryset=Manufacturer.objects.all(), required=False,
                                                      allow_null=True, help_text="Manufacturer id.")
    ceiling_quantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    unit_price_eur = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                              allow_null=True)
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(required=False, allow_null=True)
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class ParticipantInSerializer(serializers.Serializer):
    """A nation joins an agreement (the cell records it)."""

    nation = NationCodeField()
    planned_quantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    joined_on = serializers.DateField()


class ScheduleLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderScheduleLine
        fields = ["id", "due_on", "quantity", "received_on"]
        read_only_fields = fields


class ScheduleLineInSerializer(serializers.Serializer):
    due_on = serializers.DateField()
    quantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    received_on = serializers.DateField(required=False, allow_null=True)


class OrderSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)
    schedule = ScheduleLineSerializer(many=True, read_only=True)
    status = OrderStatusField(read_only=True)
    scheduled_quantity = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = ["id", "nation", "item", "agreement", "manufacturer", "quantity", "unit_price_eur", "ordered_on",
                  "status", "reference", "notes", "schedule", "scheduled_quantity", "created_at", "updated_at"]
        read_only_fields = fields

    def get_scheduled_quantity(self, obj) -> int:
        """Σ of the schedule lines (from the prefetched lines: no query)."""
        return sum(line.quantity for line in obj.schedule.all())


class OrderUpdateSerializer(serializers.Serializer):
    item = ItemRefField(required=False)
    agreement = serializers.IntegerField(min_value=1, max_value=INT_MAX, required=False, allow_null=True,
                                         help_text="The framework agreement id for a call-off; null for a "
                                                   "national contract.")
    manufacturer = serializers.PrimaryKeyRelatedField(queryset=Manufacturer.objects.all(), required=False,
                                                      allow_null=True, help_text="Manufacturer id.")
    quantity = serializers.IntegerField(min_value=0, max_value=INT_MAX)
    unit_price_eur = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, required=False,
                                              allow_null=True)
    ordered_on = serializers.DateField()
    status = OrderStatusField(required=False)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    schedule = ScheduleLineInSerializer(many=True, required=False, max_length=1000,
                                        help_text="The delivery schedule. On PATCH it replaces the whole "
                                                  "schedule, in the same transaction.")


class OrderInSerializer(OrderUpdateSerializer):
    """A new order. The nation is your token's; only the cell names it."""

    nation = NationCodeField(required=False, help_text="Cell only: the ordering nation. " + OWN_NATION_HELP)
    item = ItemRefField()


class ScheduleLineDetailSerializer(serializers.ModelSerializer):
    """A delivery schedule line with its order's nation and item (the timeline of contracted inflows)."""

    nation = serializers.CharField(source="order.nation.code", read_only=True)
    item = serializers.IntegerField(source="order.item_id", read_only=True)
    agreement = serializers.IntegerField(source="order.agreement_id", read_only=True, allow_null=True)

    class Meta:
        model = OrderScheduleLine
        fields = ["id", "order", "nation", "item", "agreement", "due_on", "quantity", "received_on"]
        read_only_fields = fields


class ScheduleLineUpdateSerializer(ScheduleLineInSerializer):
    """Change one line, e.g. record its arrival: ``{"received_on": "2025-03-02"}``."""


class SnapshotSerializer(serializers.ModelSerializer):
    taken_by = serializers.SerializerMethodField()

    class Meta:
        model = Snapshot
        fields = ["id", "name", "as_of", "taken_at", "taken_by", "note"]
        read_only_fields = fields

    def get_taken_by(self, obj) -> str | None:  # created_by is select_related: no query
        return getattr(obj.created_by, "username", None)


class SnapshotWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    as_of = serializers.DateField(required=False, allow_null=True,
                                  help_text="Empty: today's figures; a past date: the figures as they stood then.")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
