"""Stock serializers. Input serializers only type-check; stockpiles.services validates and writes."""

from __future__ import annotations

from rest_framework import serializers

from coordination.api.serializers import BIGINT_MAX, ItemRefField, NationCodeField
from stockpiles.models import Alert, CurrentStock, ProductionRate, Shortfall, StockpileGuideline, StockReport


class StockReportSerializer(serializers.ModelSerializer):
    nation = serializers.CharField(source="nation.code", read_only=True)
    item_nsn = serializers.CharField(source="item.nsn", read_only=True)

    class Meta:
        model = StockReport
        fields = ["id", "nation", "item", "item_nsn", "quantity", "as_of", "created_at"]
        read_only_fields = fields


class StockReportInSerializer(serializers.Serializer):
    """One stock report. ``nation`` is taken from your token; only the cell names it."""

    nation = serializers.CharField(required=False, max_length=3,
                                   help_text="Cell only: the reporting nation's code. Ignored for national tokens.")
    item = ItemRefField()
    quantity = serializers.IntegerField(max_value=BIGINT_MAX, min_value=-BIGINT_MAX,
                                        help_text="Quantity on hand (0 or more).")
    as_of = serializers.DateField(help_text="The date the quantity was counted (not in the future).")


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
                  "coverage", "rate", "months_to_recover", "not_recovering", "status", "computed_at"]
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
    nation = NationCodeField(required=False, help_text="Cell only: the producing nation. Ignored for national tokens.")

    class Meta:
        model = ProductionRate
        fields = ["nation", "item", "units_per_month", "effective_from", "reference"]
        extra_kwargs = {"units_per_month": {"min_value": 0}}
        validators: list = []
