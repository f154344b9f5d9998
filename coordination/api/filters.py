"""Ordering with a stable tie-breaker, so pages never overlap or skip rows."""

from rest_framework.filters import OrderingFilter


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with the primary key as the last tie-breaker."""

    def filter_queryset(self, request, queryset, view):
        queryset = super().filter_queryset(request, queryset, view)
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        if not any(o.lstrip("-") in ("pk", "id") for o in ordering if isinstance(o, str)):
            queryset = queryset.order_by(*ordering, "pk")
        return queryset
