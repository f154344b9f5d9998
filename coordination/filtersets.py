"""Filters shared by every app's FilterSets (API and dashboard): nations and categories by code or id."""

import django_filters
from django.utils.translation import gettext_lazy as _

from coordination.api.filters import NationCodeFilter
from coordination.models import Category, Nation

__all__ = ["NationCodeFilter", "category_filter", "nation_filter"]


def nation_filter(field_name: str = "nation__code", label=None):
    return NationCodeFilter(
        field_name=field_name, to_field_name="code", queryset=Nation.objects.all(), label=label or _("Nation")
    )


def category_filter(field_name: str = "item__category"):
    return django_filters.ModelMultipleChoiceFilter(
        field_name=field_name, queryset=Category.objects.all(), label=_("Category")
    )
