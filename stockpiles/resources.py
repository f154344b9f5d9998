"""Import/export of stock levels, guidelines and production rates (through the services), and exports
of the computed tables."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from import_export import fields

from coordination.resources import (
    AidResource,
    BulkCreateResource,
    SafeExportResource,
    fk_field,
    item_field,
    nation_field,
)
from coordination.services import record_save, require_nation_access
from stockpiles import procurement_services, services
from stockpiles.models import (
    AgreementParticipant,
    Alert,
    CurrentStock,
    FrameworkAgreement,
    Manufacturer,
    Order,
    OrderScheduleLine,
    ProductionLine,
    ProductionRate,
    Shortfall,
    ShortfallMark,
    ShortfallVersion,
    Snapshot,
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
    """A nation's own rate (``line`` empty) or a production line's capacity (``line`` = the line's id)."""

    nation = nation_field("nation")
    item = item_field()
    line = fk_field(ProductionLine, "line")

    class Meta(AidResource.Meta):
        model = ProductionRate
        fields = ("id", "nation", "item", "line", "units_per_month", "effective_from", "reference")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.production_rate_save(actor=actor, rate=instance, user=actor)


# --- Joint procurement ----------------------------------------------------------------------------

class ManufacturerResource(AidResource):
    nation = nation_field("nation")

    class Meta(AidResource.Meta):
        model = Manufacturer
        fields = ("id", "name", "nation", "reference")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.manufacturer_save(actor=actor, manufacturer=instance, user=actor)


class ProductionLineResource(AidResource):
    manufacturer = fk_field(Manufacturer, "manufacturer", "name")
    item = item_field()

    class Meta(AidResource.Meta):
        model = ProductionLine
        fields = ("id", "manufacturer", "item", "name", "location", "reference")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.production_line_save(actor=actor, line=instance, user=actor)


class FrameworkAgreementResource(AidResource):
    lead_nation = nation_field("lead_nation")
    item = item_field()
    manufacturer = fk_field(Manufacturer, "manufacturer", "name")
    # Export only: whether it is in force on the day of the export (the admin list's and the dashboard's word).
    validity = fields.Field(column_name="validity", readonly=True)

    class Meta(AidResource.Meta):
        model = FrameworkAgreement
        fields = ("id", "name", "lead_nation", "item", "manufacturer", "ceiling_quantity", "unit_price_eur",
                  "valid_from", "valid_to", "validity", "reference", "notes")
        import_id_fields = ("id",)

    def dehydrate_validity(self, agreement: FrameworkAgreement) -> str:
        return str(agreement.validity(timezone.localdate()).label)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.agreement_save(actor=actor, agreement=instance, user=actor)


class AgreementParticipantResource(AidResource):
    agreement = fk_field(FrameworkAgreement, "agreement", "name")
    nation = nation_field("nation")

    class Meta(AidResource.Meta):
        model = AgreementParticipant
        fields = ("id", "agreement", "nation", "planned_quantity", "joined_on")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.participant_save(actor=actor, participant=instance, user=actor)


class OrderResource(AidResource):
    nation = nation_field("nation")
    item = item_field()
    agreement = fk_field(FrameworkAgreement, "agreement", "name")
    manufacturer = fk_field(Manufacturer, "manufacturer", "name")

    class Meta(AidResource.Meta):
        model = Order
        fields = ("id", "nation", "item", "agreement", "manufacturer", "quantity", "unit_price_eur", "ordered_on",
                  "status", "reference", "notes")
        import_id_fields = ("id",)

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.order_save(actor=actor, order=instance, user=actor)


class OrderScheduleLineResource(AidResource):
    """Schedule lines by order id (the order's nation and reference are exported for reading)."""

    order = fk_field(Order, "order")

    class Meta(AidResource.Meta):
        model = OrderScheduleLine
        fields = ("id", "order", "order__nation__code", "order__reference", "due_on", "quantity", "received_on")
        export_order = fields
        import_id_fields = ("id",)

    def get_import_fields(self):
        return [f for f in super().get_import_fields() if not f.column_name.startswith("order__")]

    def service_save(self, *, instance, is_create, actor):
        return procurement_services.schedule_save(actor=actor, line=instance, user=actor)


class _ExportOnly(SafeExportResource):
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
                  "coverage", "rate", "months_to_recover", "not_recovering", "contracted_inflow", "recovers_on",
                  "computed_at")


class ShortfallMarkResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = ShortfallMark
        fields = ("nation", "item", "marked_at")


class ShortfallVersionResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = ShortfallVersion
        fields = ("nation", "item", "valid_from", "valid_to", "status", "on_hand", "guideline", "owed", "available",
                  "shortfall", "coverage", "rate", "months_to_recover", "not_recovering", "contracted_inflow",
                  "recorded_at")
        export_order = fields


class SnapshotResource(_ExportOnly):
    class Meta:
        model = Snapshot
        fields = ("id", "name", "as_of", "taken_at", "note")
        export_order = fields


class AlertResource(_ExportOnly):
    nation = nation_field("nation")
    item = item_field()

    class Meta:
        model = Alert
        fields = ("id", "kind", "nation", "item", "pledge", "key", "message", "opened_at", "closed_at")
