"""FilterSets for the joint-procurement lists of the API (agreements, orders, schedule lines)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from coordination.api.filters import IdFilter, IsoDateFilter, NationCodeFilter, StrictBooleanFilter
from coordination.models import Category, Nation
from stockpiles.models import FrameworkAgreement, Order, OrderScheduleLine


@extend_schema_field({"type": "string", "pattern": "^(" + "|".join(Order.Status.values) + ")$",
                      "description": "placed, confirmed, completed or cancelled (repeatable)."})
class OrderStatusFilter(django_filters.MultipleChoiceFilter):
    """Order status (repeatable), inlined in the schema: a named enum would collide with the other
    "status" enums."""


class AgreementFilterSet(django_filters.FilterSet):
    lead_nation = NationCodeFilter(field_name="lead_nation__code", to_field_name="code", queryset=Nation.objects.all(),
                                   label=_("Lead nation"))
    participant = NationCodeFilter(field_name="participants__nation__code", to_field_name="code",
                                   queryset=Nation.objects.all(), label=_("Participant"), distinct=True)
    item = IdFilter(field_name="item_id", label=_("Item"))
    category = django_filters.ModelMultipleChoiceFilter(field_name="item__category", queryset=Category.objects.all(),
                                                        label=_("Category"))
    in_force_on = IsoDateFilter(method="filter_in_force", label=_("In force on"))

    class Meta:
        model = FrameworkAgreement
        fields = ["lead_nation", "participant", "item", "category"]

    def filter_in_force(self, queryset, name, value):
        return queryset.filter(Q(valid_from__lte=value) & (Q(valid_to__isnull=True) | Q(valid_to__gte=value)))


class OrderFilterSet(django_filters.FilterSet):
    nation = NationCodeFilter(field_name="nation__code", to_field_name="code", queryset=Nation.objects.all(),
                              label=_("Nation"))
    item = IdFilter(field_name="item_id", label=_("Item"))
    agreement = IdFilter(field_name="agreement_id", label=_("Framework agreement"))
    national_contract = StrictBooleanFilter(field_name="agreement", lookup_expr="isnull",
                                                     label=_("National contracts only"))
    status = OrderStatusFilter(choices=Order.Status.choices, label=_("Status"))
    ordered_after = IsoDateFilter(field_name="ordered_on", lookup_expr="gte")
    ordered_before = IsoDateFilter(field_name="ordered_on", lookup_expr="lte")

    class Meta:
        model = Order
        fields = ["nation", "item", "agreement", "status"]


class ScheduleLineFilterSet(django_filters.FilterSet):
    nation = NationCodeFilter(field_name="order__nation__code", to_field_name="code", queryset=Nation.objects.all(),
                              label=_("Nation"))
    item = IdFilter(field_name="order__item_id", label=_("Item"))
    order = IdFilter(field_name="order_id", label=_("Order"))
    agreement = IdFilter(field_name="order__agreement_id", label=_("Framework agreement"))
    due_after = IsoDateFilter(field_name="due_on", lookup_expr="gte")
    due_before = IsoDateFilter(field_name="due_on", lookup_expr="lte")
    received = StrictBooleanFilter(field_name="received_on", lookup_expr="isnull", exclude=True,
                                            label=_("Received"))

    class Meta:
        model = OrderScheduleLine
        fields = ["nation", "item", "order", "agreement"]
