"""Filters shared by every app's FilterSets (API and dashboard): nations and categories by code or id."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from coordination.models import Category, Nation


@extend_schema_field(OpenApiTypes.STR)
class NationCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Nations by code (``?nation=POL&nation=USA``)."""


def nation_filter(field_name: str = "nation__code", label=None):
    return NationCodeFilter(
        field_name=field_name, to_field_name="code", queryset=Nation.objects.all(), label=label or _("Nation")
    )


def category_filter(field_name: str = "item__category"):
    return django_filters.ModelMultipleChoiceFilter(
        field_name=field_name, queryset=Category.objects.all(), label=_("Category")
    )
