"""Admin for stock reports, guidelines and production rates (writes through ``stockpiles.services``)
and the computed tables (read-only, export only)."""

from __future__ import annotations

import copy

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.access import CHANGE
from coordination.admin_base import (
    AidModelAdmin,
    ComputedModelAdmin,
    LongTableAdminMixin,
    ServiceInline,
    ServiceInlineFormSet,
    catalogue_matches,
)
from coordination.services import record_save
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
    SnapshotRow,
    StockpileGuideline,
    StockReport,
)
from stockpiles.resources import (
    AgreementParticipantResource,
    AlertResource,
    CurrentStockResource,
    FrameworkAgreementResource,
    ManufacturerResource,
    OrderResource,
    OrderScheduleLineResource,
    ProductionLineResource,
    ProductionRateResource,
    ShortfallMarkResource,
    ShortfallResource,
    ShortfallVersionResource,
    SnapshotResource,
    StockpileGuidelineResource,
    StockReportResource,
)


@admin.register(StockReport)
class StockReportAdmin(LongTableAdminMixin, AidModelAdmin):
    """Append-only: a report is added (``stock_report_create``), never edited or deleted; a correction
    is a new report. Millions of rows: an estimated count, newest entered first, search by nation code or
    name start, item NSN or name start (``LongTableAdminMixin``); no date hierarchy (its first query reads
    the date range of the whole table)."""

    resource_classes = [StockReportResource]
    has_service = True
    allow_delete = False
    own_nation_field = "nation"
    nation_fields = ("nation",)
    list_display = ("nation", "item", "quantity", "as_of", "reported_by", "created_at")
    list_filter = ("as_of", "nation", "item__category")
    search_fields = ("nation__code", "nation__name",
                     "nation__name_fr", "item__name", "item__name_fr")  # the help text; indexed_search does it
    search_help_text = _("A nation's code or the start of its name, an item's NSN or the start of its name.")
    list_select_related = ("nation", "item", "reported_by")
    autocomplete_fields = ("nation", "item")
    fields = ("nation", "item", "quantity", "as_of", "reported_by", "created_at")
    readonly_fields = ("reported_by", "created_at")

    def indexed_search(self, term: str):
        nations, items = catalogue_matches(term)
        # (nation, item, as_of) unique and (item, as_of): both columns lead an index
        return Q(nation_id__in=nations) | Q(item_id__in=items)

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
    search_fields = ("item__name", "item__name_fr", "nation__code", "nation__name", "nation__name_fr")
    list_select_related = ("item", "nation")
    autocomplete_fields = ("item", "nation")

    def service_save(self, *, request, obj, change):
        return record_save(actor=request.user, obj=obj, user=request.user, what="stockpile guidelines",
                           after=lambda g: services.guideline_saved(guideline=g))

    def after_delete(self, *, request, obj):
        services.guideline_saved(guideline=obj)


@admin.register(ProductionRate)
class ProductionRateAdmin(AidModelAdmin):
    """A nation's own production (no line) or a production line's capacity (with a line: the cell's)."""

    resource_classes = [ProductionRateResource]
    has_service = True
    own_nation_field = "nation"
    nation_fields = ("nation",)
    list_display = ("nation", "item", "line", "units_per_month", "effective_from", "reference")
    list_filter = ("nation", "item__category", "effective_from", ("line", admin.EmptyFieldListFilter))
    search_fields = ("nation__code", "nation__name", "nation__name_fr",
                     "item__name", "item__name_fr", "reference", "line__name",
                     "line__manufacturer__name")
    list_select_related = ("nation", "item", "line")
    autocomplete_fields = ("nation", "item", "line")

    def service_save(self, *, request, obj, change):
        return procurement_services.production_rate_save(actor=request.user, rate=obj, user=request.user)

    def after_delete(self, *, request, obj):
        services.production_rate_saved(rate=obj)


# --- Joint procurement ------------------------------------------------------------------------------

class _ServiceInlinesMixin:
    def save_formset(self, request, form, formset, change):
        if isinstance(formset, ServiceInlineFormSet):
            formset.model_admin.save_rows(request=request, formset=formset)
        else:  # pragma: no cover - every inline here writes through a service
            super().save_formset(request, form, formset, change)


class LineRateInline(ServiceInline, admin.TabularInline):
    """The line's capacity over time (ProductionRate rows with this line)."""

    model = ProductionRate
    fk_name = "line"
    fields = ("units_per_month", "effective_from", "reference")
    extra = 1
    verbose_name = "capacity from a date"
    verbose_name_plural = "capacity (units per month, effective-dated)"

    def row_save(self, *, request, parent, form):
        rate = copy.copy(form.instance)  # the validation dry run must not leave a pk on the form's instance
        rate.line_id = parent.pk
        rate.nation_id = parent.manufacturer.nation_id
        rate.item_id = parent.item_id
        return procurement_services.production_line_rate_save(actor=request.user, rate=rate, user=request.user)


@admin.register(Manufacturer)
class ManufacturerAdmin(AidModelAdmin):
    resource_classes = [ManufacturerResource]
    has_service = True
    nation_write = False  # industrial reference data: the cell's
    list_display = ("name", "nation", "reference")
    list_filter = ("nation",)
    search_fields = ("name", "nation__code", "nation__name", "nation__name_fr", "reference")
    list_select_related = ("nation",)
    autocomplete_fields = ("nation",)

    def service_save(self, *, request, obj, change):
        return procurement_services.manufacturer_save(actor=request.user, manufacturer=obj, user=request.user)


@admin.register(ProductionLine)
class ProductionLineAdmin(_ServiceInlinesMixin, AidModelAdmin):
    resource_classes = [ProductionLineResource]
    has_service = True
    nation_write = False
    list_display = ("name", "manufacturer", "item", "location")
    list_filter = ("manufacturer__nation", "item__category", "item")
    search_fields = ("name", "location", "manufacturer__name", "item__name", "item__name_fr", "reference")
    list_select_related = ("manufacturer", "item")
    autocomplete_fields = ("manufacturer", "item")
    inlines = [LineRateInline]

    def service_save(self, *, request, obj, change):
        return procurement_services.production_line_save(actor=request.user, line=obj, user=request.user)


class ParticipantInline(ServiceInline, admin.TabularInline):
    model = AgreementParticipant
    fields = ("nation", "planned_quantity", "joined_on")
    autocomplete_fields = ("nation",)
    extra = 1

    def row_save(self, *, request, parent, form):
        participant = copy.copy(form.instance)  # see LineRateInline.row_save
        participant.agreement_id = parent.pk
        return procurement_services.participant_save(actor=request.user, participant=participant, user=request.user)


class AgreementValidityFilter(admin.SimpleListFilter):
    """In force, expired or not yet in force today."""

    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request, model_admin):
        return FrameworkAgreement.Validity.choices

    def queryset(self, request, queryset):
        if self.value() not in FrameworkAgreement.Validity.values:
            return queryset
        return queryset.filter(FrameworkAgreement.validity_q(self.value(), timezone.localdate()))


@admin.register(FrameworkAgreement)
class FrameworkAgreementAdmin(_ServiceInlinesMixin, AidModelAdmin):
    """Read by the lead nation, the participants and the cell; written by the cell."""

    resource_classes = [FrameworkAgreementResource]
    has_service = True
    nation_write = False
    allow_delete = False  # orders protect it; end its validity instead
    list_display = ("name", "lead_nation", "item", "manufacturer", "ceiling_quantity", "unit_price_eur",
                    "valid_from", "valid_to", "validity")
    list_filter = (AgreementValidityFilter, "lead_nation", "item", "valid_from")
    search_fields = ("name", "reference", "lead_nation__code", "item__name", "item__name_fr", "manufacturer__name")
    list_select_related = ("lead_nation", "item", "manufacturer")
    autocomplete_fields = ("lead_nation", "item", "manufacturer")
    inlines = [ParticipantInline]

    @admin.display(description=_("validity"))
    def validity(self, obj) -> str:
        """Whether it is in force today: the dashboard's and the export's word."""
        return str(obj.validity(timezone.localdate()).label)

    def service_save(self, *, request, obj, change):
        return procurement_services.agreement_save(actor=request.user, agreement=obj, user=request.user)


@admin.register(AgreementParticipant)
class AgreementParticipantAdmin(AidModelAdmin):
    resource_classes = [AgreementParticipantResource]
    has_service = True
    nation_write = False
    allow_delete = False
    list_display = ("agreement", "nation", "planned_quantity", "joined_on")
    list_filter = ("agreement", "nation", "joined_on")
    search_fields = ("agreement__name", "nation__code", "nation__name", "nation__name_fr")
    list_select_related = ("agreement", "nation")
    autocomplete_fields = ("agreement", "nation")

    def service_save(self, *, request, obj, change):
        return procurement_services.participant_save(actor=request.user, participant=obj, user=request.user)


class ScheduleInline(ServiceInline, admin.TabularInline):
    model = OrderScheduleLine
    fields = ("due_on", "quantity", "received_on")
    extra = 1

    def row_save(self, *, request, parent, form):
        values = {name: form.cleaned_data.get(name) for name in procurement_services.SCHEDULE_FIELDS}
        if form.instance._state.adding:
            return procurement_services.schedule_line_create(actor=request.user, order_id=parent.pk,
                                                             user=request.user, **values)
        return procurement_services.schedule_line_update(actor=request.user, line_id=form.instance.pk,
                                                         user=request.user, **values)


@admin.register(Order)
class OrderAdmin(_ServiceInlinesMixin, AidModelAdmin):
    """A nation's orders (its own officers and the cell), with the delivery schedule inline."""

    resource_classes = [OrderResource]
    has_service = True
    allow_delete = False  # cancel (status) instead: the history and the agreement's figures stay whole
    own_nation_field = "nation"
    nation_fields = ("nation",)
    list_display = ("record_id", "nation", "item", "agreement", "quantity", "status", "ordered_on", "reference")
    list_display_links = ("record_id", "item")
    list_filter = ("status", "nation", "agreement", "ordered_on")
    search_fields = ("reference", "nation__code", "item__name",
                     "item__name_fr", "agreement__name", "manufacturer__name")
    list_select_related = ("nation", "item", "agreement")
    autocomplete_fields = ("nation", "item", "agreement", "manufacturer")
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "ordered_on"
    inlines = [ScheduleInline]

    def service_save(self, *, request, obj, change):
        return procurement_services.order_save(actor=request.user, order=obj, user=request.user)


@admin.register(OrderScheduleLine)
class OrderScheduleLineAdmin(AidModelAdmin):
    resource_classes = [OrderScheduleLineResource]
    has_service = True
    own_nation_field = "order__nation"
    list_display = ("order", "nation", "item", "due_on", "quantity", "received_on")
    list_filter = ("received_on", "due_on", "order__nation")
    search_fields = ("order__reference", "order__nation__code",
                     "order__item__name", "order__item__name_fr", "=order__id")
    list_select_related = ("order__nation", "order__item")
    autocomplete_fields = ("order",)
    date_hierarchy = "due_on"

    @admin.display(description="nation", ordering="order__nation__code")
    def nation(self, obj):
        return obj.order.nation.code

    @admin.display(description="item", ordering="order__item__name")
    def item(self, obj):
        return obj.order.item.display_name

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = self.scope(request)
        if db_field.name == "order" and not scope.is_cell:
            kwargs["queryset"] = Order.objects.restrict(scope, CHANGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_save(self, *, request, obj, change):
        return procurement_services.schedule_save(actor=request.user, line=obj, user=request.user)

    def delete_model(self, request, obj):
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        procurement_services.schedule_line_delete(actor=request.user, line_id=obj.pk, user=request.user)


# --- Computed tables: read-only, export only --------------------------------------------------------

@admin.register(CurrentStock)
class CurrentStockAdmin(ComputedModelAdmin):
    resource_classes = [CurrentStockResource]
    own_nation_field = "nation"
    list_display = ("nation", "item", "quantity", "as_of")
    list_filter = ("nation", "item__category")
    search_fields = ("nation__code", "item__name", "item__name_fr")
    list_select_related = ("nation", "item")


@admin.register(Shortfall)
class ShortfallAdmin(ComputedModelAdmin):
    resource_classes = [ShortfallResource]
    own_nation_field = "nation"
    list_display = ("nation", "item", "status", "on_hand", "guideline", "owed", "available", "shortfall",
                    "coverage_percent", "months_to_recover", "contracted_inflow", "recovers_on", "computed_at")
    list_filter = ("status", "not_recovering", "nation", "item__category")
    search_fields = ("nation__code", "item__name", "item__name_fr")
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
    search_fields = ("nation__code", "item__name", "item__name_fr")


@admin.register(Alert)
class AlertAdmin(ComputedModelAdmin):
    resource_classes = [AlertResource]
    own_nation_field = "nation"
    list_display = ("message", "kind", "nation", "item", "opened_at", "closed_at")
    list_filter = ("kind", "closed_at", "nation")
    search_fields = ("message", "key", "nation__code", "item__name", "item__name_fr")
    list_select_related = ("nation", "item")


@admin.register(ShortfallVersion)
class ShortfallVersionAdmin(ComputedModelAdmin):
    """The history of the figures (docs/history.md): written only by the engine."""

    resource_classes = [ShortfallVersionResource]
    own_nation_field = "nation"
    list_display = ("nation", "item", "valid_from", "valid_to", "status", "on_hand", "owed", "available",
                    "shortfall", "recorded_at")
    list_filter = ("status", "nation", "item__category")
    search_fields = ("nation__code", "item__name", "item__name_fr")
    list_select_related = ("nation", "item")
    date_hierarchy = "valid_from"


class SnapshotRowInline(admin.TabularInline):
    model = SnapshotRow
    extra = 0
    can_delete = False
    fields = ("nation", "item", "status", "on_hand", "owed", "available", "shortfall", "reported_on", "pledged")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # an officer sees their own nation's frozen rows only (the access rule)
        return super().get_queryset(request).restrict(request.user, "view").select_related("nation", "item")


@admin.register(Snapshot)
class SnapshotAdmin(ComputedModelAdmin):
    """Briefing snapshots: frozen copies, never edited. The cell takes them on the dashboard's Snapshots page
    or through the API (``stockpiles.services.snapshot_create``)."""

    resource_classes = [SnapshotResource]
    list_display = ("name", "as_of", "taken_at", "created_by")
    search_fields = ("name", "note")
    list_select_related = ("created_by",)
    inlines = [SnapshotRowInline]
