"""Import/export of stock levels, guidelines and production rates (through the services), and exports
of the computed tables."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from import_export import resources

from coordination.resources import AidResource, BulkCreateResource, item_field, nation_field
from coordination.services import record_save, require_nation_access
from stockpiles import services
from stockpiles.models import (
    Alert,
    CurrentStock,
    ProductionRate,
    Shortfall,
    ShortfallMark,
    StockpileGuideline,
    StockReport,
)


class StockReportResource(BulkCreateResource):
    """Append-only: a row already on file (same nation, item and day) is skipped when unchanged and
    refused when its quantity differs. New rows are written at the end with one
    ``stock_reports_bulk_create`` per nation."""

    nation = nation_field("nation")
    item = item_field()

    class Meta(AidResource.Meta):
        model = StockReport
        fields = ("nation", "item", "as_of", "quantity")
        import_id_fields = ("nation", "item", "as_of")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._keys: dict[tuple, int] = {}

    def service_save(self, *, instance, is_create, actor):
        raise ValidationError({"quantity": [
            "Stock reports are append-only: this nation already reported this item for this day."
        ]})

    def check_new(self, *, instance, actor, number):
        try:
            require_nation_access(actor, instance.nation_id, what=f"{instance.nation.code}'s stock reports")
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        key = (instance.nation_id, instance.item_id, instance.as_of)
        if key in self._keys:
            raise ValidationError({"as_of": [
                f"Same nation, item and day as row {self._keys[key]} of this file: one report per item and day."
            ]})
        self._keys[key] = number

    def group_pending(self, pending):
        by_nation: dict[int, list] = {}
        for entry in pending:
            by_nation.setdefault(entry[2].nation_id, []).append(entry)
        return list(by_nation.values())

    def bulk_service_create(self, *, actor, instances):
        rows = [{"item": r.item, "quantity": r.quantity, "as_of": r.as_of} for r in instances]
        return services.stock_reports_bulk_create(actor=actor, nation=instances[0].nation, rows=rows, user=actor)


class StockpileGuidelineResource(AidResource):
    item = item_field()
    nation = nation_field("nation")

    class Meta(AidResource.Meta):
        model = StockpileGuideline
        fields = ("id", "item", "nation", "minimum_quantity", "effective_from", "effective_to")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return record_save(actor=actor, obj=instance, user=actor, what="stockpile guidelines",
                           after=lambda g: services.guideline_saved(guideline=g))


class ProductionRateResource(AidResource):
    nation = nation_field("nation")
    item = item_field()

    class Meta(AidResource.Meta):
        model = ProductionRate
        fields = ("id", "nation", "item", "units_per_month", "effective_from", "reference")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return record_save(actor=actor, obj=instance, user=actor, owner_field="nation",
                           what="another nation's production rates",
                           after=lambda r: services.production_rate_saved(rate=r))


class _ExportOnly(resources.ModelResource):
    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def import_data(self, *args, **kwargs):
        raise PermissionDenied("Computed tables are written only by the shortfall engine.")


class CurrentStockResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = CurrentStock
        fields = ("nation", "item", "quantity", "as_of")


class ShortfallResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = Shortfall
        fields = ("nation", "item", "as_of", "status", "on_hand", "guideline", "owed", "available", "shortfall",
                  "coverage", "rate", "months_to_recover", "not_recovering", "computed_at")


class ShortfallMarkResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = ShortfallMark
        fields = ("nation", "item", "marked_at")


class AlertResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = Alert
        fields = ("id", "kind", "nation", "item", "pledge", "key", "message", "opened_at", "closed_at")
