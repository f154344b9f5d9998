"""Import/export of stock levels, guidelines and production rates (through the services), and exports
of the computed tables."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from import_export import resources

from coordination.api.writes import record_save
from coordination.resources import AidResource, _normalise, item_field, nation_field
from coordination.services import BulkValidationError, require_nation_access
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


class StockReportResource(AidResource):
    """Append-only: a row already on file (same nation, item and day) is skipped when unchanged and
    refused when its quantity differs. New rows are written at the end with one
    ``stock_reports_bulk_create`` per nation (a fixed number of queries, whatever the file's size);
    the service's errors come back on the file's row numbers."""

    nation = nation_field("nation")
    item = item_field()

    class Meta(AidResource.Meta):
        model = StockReport
        fields = ("nation", "item", "as_of", "quantity")
        import_id_fields = ("nation", "item", "as_of")

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._pending: list[tuple[int, dict, StockReport]] = []
        self._keys: dict[tuple, int] = {}

    def save_instance(self, instance, is_create, row, **kwargs):
        if not is_create:
            raise ValidationError({"quantity": [
                "Stock reports are append-only: this nation already reported this item for this day."
            ]})
        actor = self.actor_of(kwargs)
        try:
            require_nation_access(actor, instance.nation_id, what=f"{instance.nation.code}'s stock reports")
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from exc
        number = kwargs.get("row_number")
        key = (instance.nation_id, instance.item_id, instance.as_of)
        if key in self._keys:
            raise ValidationError({"as_of": [
                f"Same nation, item and day as row {self._keys[key]} of this file: one report per item and day."
            ]})
        self._keys[key] = number
        self._pending.append((number, dict(row), instance))

    def after_import(self, dataset, result, **kwargs):
        actor = self.actor_of(kwargs)
        by_nation: dict[int, list[tuple[int, dict, StockReport]]] = {}
        for entry in self._pending:
            by_nation.setdefault(entry[2].nation_id, []).append(entry)
        for entries in by_nation.values():
            nation = entries[0][2].nation
            rows = [{"item": r.item, "quantity": r.quantity, "as_of": r.as_of} for _, _, r in entries]
            try:
                with transaction.atomic():
                    saved = services.stock_reports_bulk_create(actor=actor, nation=nation, rows=rows, user=actor)
            except BulkValidationError as exc:
                for index, errors in sorted(exc.row_errors.items()):
                    number, row, _ = entries[index]
                    result.append_invalid_row(number, row, _normalise(ValidationError(errors)))
                continue
            except (ValidationError, PermissionDenied) as exc:
                for number, row, _ in entries:
                    result.append_invalid_row(number, row, ValidationError(str(exc)))
                continue
            for (_, _, instance), report in zip(entries, saved, strict=True):
                instance.pk = report.pk
        result.invalid_rows.sort(key=lambda invalid: invalid.number)
        self._pending.clear()
        self._keys.clear()
        super().after_import(dataset, result, **kwargs)


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
