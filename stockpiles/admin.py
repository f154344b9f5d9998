"""Admin for stock reports, guidelines and production rates (writes through ``stockpiles.services``)
and the computed tables (read-only, export only)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from coordination.admin_base import AidModelAdmin, ComputedModelAdmin
from coordination.services import record_save
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
from stockpiles.resources import (
    AlertResource,
    CurrentStockResource,
    ProductionRateResource,
    ShortfallMarkResource,
    ShortfallResource,
    StockpileGuidelineResource,
    StockReportResource,
)


@admin.register(StockReport)
class StockReportAdmin(AidModelAdmin):
    """Append-only: a report is added (``stock_report_create``), never edited or deleted; a correction
    is a new report."""

    resource_classes = [StockReportResource]
    has_service = True
    allow_delete = False
    own_nation_field = "nation"
    nation_fields = ("nation",)
    list_display = ("nation", "item", "quantity", "as_of", "reported_by", "created_at")
    list_filter = ("as_of", "nation", "item__category")
    search_fields = ("nation__code", "nation__name", "item__name")
    list_select_related = ("nation", "item", "reported_by")
    autocomplete_fields = ("nation", "item")
    fields = ("nation", "item", "quantity", "as_of", "reported_by", "created_at")
    readonly_fields = ("reported_by", "created_at")
    date_hierarchy = "as_of"

    def has_change_permission(self, request, obj=None) -> bool:
        # The change page shows a report read-only; only the import may match existing rows (and skip them).
        return obj is None and super().has_change_permission(request, obj)

    def service_save(self, *, request, obj, change):
        if change:
            raise PermissionDenied("Stock reports are append-only: add a new report instead.")
        return services.stock_report_create(
            actor=request.user, nation=obj.nation, item=obj.item, quantity=obj.quantity, as_of=obj.as_of,
            user=request.user,
        )


@admin.register(StockpileGuideline)
class StockpileGuidelineAdmin(AidModelAdmin):
    resource_classes = [StockpileGuidelineResource]
    has_service = True
    nation_write = False  # guidelines are the cell's; nations read the alliance-wide and their own
    list_display = ("item", "nation", "minimum_quantity", "effective_from", "effective_to")
    list_filter = ("item__category", "nation", "effective_from")
    search_fields = ("item__name", "nation__code", "nation__name")
    list_select_related = ("item", "nation")
    autocomplete_fields = ("item", "nation")

    def service_save(self, *, request, obj, change):
        return record_save(actor=request.user, obj=obj, user=request.user, what="stockpile guidelines",
                           after=lambda g: services.guideline_saved(guideline=g))

    def after_delete(self, *, request, obj):
        services.guideline_saved(guideline=obj)


@admin.register(ProductionRate)
class ProductionRateAdmin(AidModelAdmin):
    resource_classes = [ProductionRateResource]
    has_service = True
    own_nation_field = "nation"
    nation_fields = ("nation",)
    list_display = ("nation", "item", "units_per_month", "effective_from", "reference")
    list_filter = ("nation", "item__category", "effective_from")
    search_fields = ("nation__code", "nation__name", "item__name", "reference")
    list_select_related = ("nation", "item")
    autocomplete_fields = ("nation", "item")

    def service_save(self, *, request, obj, change):
        return record_save(actor=request.user, obj=obj, user=request.user, owner_field="nation",
                           what="another nation's production rates",
                           after=lambda r: services.production_rate_saved(rate=r))

    def after_delete(self, *, request, obj):
        services.production_rate_saved(rate=obj)


# --- Computed tables: read-only, export only --------------------------------------------------------

@admin.register(CurrentStock)
class CurrentStockAdmin(ComputedModelAdmin):
    resource_classes = [CurrentStockResource]
    own_nation_field = "nation"
    list_display = ("nation", "item", "quantity", "as_of")
    list_filter = ("nation", "item__category")
    search_fields = ("nation__code", "item__name")
    list_select_related = ("nation", "item")


@admin.register(Shortfall)
class ShortfallAdmin(ComputedModelAdmin):
    resource_classes = [ShortfallResource]
    own_nation_field = "nation"
    list_display = ("nation", "item", "status", "on_hand", "guideline", "owed", "available", "shortfall",
                    "coverage_percent", "months_to_recover", "computed_at")
    list_filter = ("status", "not_recovering", "nation", "item__category")
    search_fields = ("nation__code", "item__name")
    list_select_related = ("nation", "item")

    @admin.display(description="coverage", ordering="coverage")
    def coverage_percent(self, obj):
        return "—" if obj.coverage is None else f"{obj.coverage:.0%}"


@admin.register(ShortfallMark)
class ShortfallMarkAdmin(ComputedModelAdmin):
    resource_classes = [ShortfallMarkResource]
    cell_only = True
    list_display = ("nation", "item", "marked_at")
    list_select_related = ("nation", "item")
    search_fields = ("nation__code", "item__name")


@admin.register(Alert)
class AlertAdmin(ComputedModelAdmin):
    resource_classes = [AlertResource]
    own_nation_field = "nation"
    list_display = ("message", "kind", "nation", "item", "opened_at", "closed_at")
    list_filter = ("kind", "closed_at", "nation")
    search_fields = ("message", "key", "nation__code", "item__name")
    list_select_related = ("nation", "item")
