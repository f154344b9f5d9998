"""One FilterSet per list: the same class filters the dashboard tables and the API lists."""

import django_filters
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coordination.api.filters import IdFilter, IsoDateFilter, NationCodeFilter, StrictBooleanFilter
from coordination.models import Category, Item, Nation
from pledges.models import Delivery, Pledge


class PledgeFilterSet(django_filters.FilterSet):
    donor = NationCodeFilter(field_name="donor__code", to_field_name="code", queryset=Nation.objects.all(),
                             label=_("Donor"))
    recipient = NationCodeFilter(field_name="recipient__code", to_field_name="code", queryset=Nation.objects.all(),
                                 label=_("Recipient"))
    item = django_filters.ModelMultipleChoiceFilter(queryset=Item.objects.all(), label=_("Item"))
    category = django_filters.ModelMultipleChoiceFilter(
        field_name="item__category", queryset=Category.objects.all(), label=_("Category")
    )
    status = django_filters.MultipleChoiceFilter(choices=Pledge.Status.choices, label=_("Status"))
    source = django_filters.MultipleChoiceFilter(choices=Pledge.Source.choices, label=_("Source"))
    releasability = django_filters.MultipleChoiceFilter(
        choices=Pledge._meta.get_field("releasability").choices, label=_("Releasability")
    )
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue only"))
    announced_after = IsoDateFilter(field_name="announced_on", lookup_expr="gte")
    announced_before = IsoDateFilter(field_name="announced_on", lookup_expr="lte")

    class Meta:
        model = Pledge
        fields = ["donor", "recipient", "item", "category", "status", "source", "releasability", "overdue"]

    def filter_overdue(self, queryset, name, value):
        """Overdue: due date passed, not fully delivered, not cancelled (as in docs/shortfalls.md)."""
        overdue = (
            # The SQL form of pledges.fulfilment.is_overdue (kept in step by tests/pledges/test_overdue_filter.py).
            Q(due_on__lt=timezone.localdate())
            & Q(delivered_quantity__lt=F("quantity"))
            & ~Q(status=Pledge.Status.CANCELLED)
        )
        if value is None:
            return queryset
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class DeliveryFilterSet(django_filters.FilterSet):
    pledge = IdFilter(field_name="pledge_id")
    donor = django_filters.CharFilter(field_name="pledge__donor__code")
    item = IdFilter(field_name="pledge__item_id")
    status = django_filters.MultipleChoiceFilter(choices=Delivery.Status.choices)
    delivered_after = IsoDateFilter(field_name="delivered_on", lookup_expr="gte")
    delivered_before = IsoDateFilter(field_name="delivered_on", lookup_expr="lte")

    class Meta:
        model = Delivery
        fields = ["pledge", "donor", "item", "status"]
