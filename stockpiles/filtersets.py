"""FilterSets for stock lists (shared by the API; the dashboard may reuse them)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from coordination.api.filters import IdFilter, IsoDateFilter, StrictBooleanFilter
from coordination.filtersets import category_filter, nation_filter
from stockpiles.models import Alert, CurrentStock, ProductionRate, Shortfall, StockpileGuideline, StockReport


class StockReportFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = category_filter()
    as_of_after = IsoDateFilter(field_name="as_of", lookup_expr="gte", label=_("As of, from"))
    as_of_before = IsoDateFilter(field_name="as_of", lookup_expr="lte", label=_("As of, until"))

    class Meta:
        model = StockReport
        fields = ["nation", "item", "category"]


class CurrentStockFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = category_filter()

    class Meta:
        model = CurrentStock
        fields = ["nation", "item", "category"]


class GuidelineFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = category_filter()
    alliance_wide = StrictBooleanFilter(field_name="nation", lookup_expr="isnull",
                                                 label=_("Alliance-wide only"))

    class Meta:
        model = StockpileGuideline
        fields = ["nation", "item", "category"]


class ProductionRateFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = category_filter()
    effective_after = IsoDateFilter(field_name="effective_from", lookup_expr="gte")
    effective_before = IsoDateFilter(field_name="effective_from", lookup_expr="lte")

    class Meta:
        model = ProductionRate
        fields = ["nation", "item", "category"]


class ShortfallFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = category_filter()
    status = django_filters.MultipleChoiceFilter(choices=Shortfall.Status.choices, label=_("Status"))
    not_recovering = StrictBooleanFilter(label=_("Not recovering"))

    class Meta:
        model = Shortfall
        fields = ["nation", "item", "category", "status", "not_recovering"]


class AlertFilterSet(django_filters.FilterSet):
    nation = nation_filter()
    item = IdFilter(field_name="item_id", label=_("Item"))
    kind = django_filters.MultipleChoiceFilter(choices=Alert.Kind.choices, label=_("Kind"))
    open = StrictBooleanFilter(field_name="closed_at", lookup_expr="isnull", label=_("Open only"))

    class Meta:
        model = Alert
        fields = ["nation", "item", "kind", "open"]
