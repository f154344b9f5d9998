"""Filters shared by every list (API and dashboard): ordering with a stable tie-breaker, and typed
filters that refuse what they cannot parse with a message (never a 500, never silently ignored).

- ``IdFilter``: an id, ASCII digits only, 1 to 2**63-1 (``'¹'.isdigit()`` is true in Python; it is no id).
- ``IsoDateFilter``: a date as ``YYYY-MM-DD`` (ASCII digits), nothing else.
- ``StrictBooleanFilter``: ``true`` or ``false``; anything else is a 400, not "no filter".
- ``NationCodeFilter``: nation codes (``?nation=POL&nation=USA``), case-insensitive, 2 or 3 letters.
"""

from __future__ import annotations

import datetime as dt
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.filters import OrderingFilter

BIGINT = 2**63 - 1
ASCII_ID_RE = re.compile(r"[0-9]{1,19}")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NATION_CODE_PATTERN = "^[A-Za-z]{2,3}$"
NATION_CODE_RE = re.compile(r"[A-Za-z]{2,3}")


def parse_id(value) -> int | None:
    """An id from text: ASCII digits, 1 to 2**63-1; None for anything else."""
    if not isinstance(value, str) or not ASCII_ID_RE.fullmatch(value.strip()):
        return None
    number = int(value.strip())
    return number if 1 <= number <= BIGINT else None


class StableOrderingFilter(OrderingFilter):
    """``?ordering=`` with the primary key as the last tie-breaker."""

    def filter_queryset(self, request, queryset, view):
        queryset = super().filter_queryset(request, queryset, view)
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        if not any(o.lstrip("-") in ("pk", "id") for o in ordering if isinstance(o, str)):
            queryset = queryset.order_by(*ordering, "pk")
        return queryset


class IdField(forms.Field):
    default_error_messages = {"invalid": _("Give an id: a whole number from 1 to 9223372036854775807.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        number = parse_id(str(value))
        if number is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IsoDateField(forms.Field):
    default_error_messages = {"invalid": _("Give a date as YYYY-MM-DD.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.date):
            return value
        value = str(value).strip()
        if not ISO_DATE_RE.fullmatch(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class RawNullBooleanSelect(forms.NullBooleanSelect):
    """Renders as the yes/no/unknown select, but hands the field the raw text (Django's widget turns
    anything it does not know into "unknown", i.e. silently no filter)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.Field):
    """``true``/``false`` (any case); the dashboard's empty choice ("unknown", "") is no filter."""

    widget = RawNullBooleanSelect
    default_error_messages = {"invalid": _("Give true or false.")}
    TRUE, FALSE, NONE = {"true"}, {"false"}, {"", "unknown"}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        if text in self.NONE:
            return None
        raise ValidationError(self.error_messages["invalid"], code="invalid")


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT})
class IdFilter(django_filters.Filter):
    field_class = IdField


@extend_schema_field({"type": "string", "format": "date"})
class IsoDateFilter(django_filters.Filter):
    field_class = IsoDateField


@extend_schema_field({"type": "boolean"})
class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class NationCodeField(django_filters.fields.ModelMultipleChoiceField):
    def clean(self, value):
        if value:
            value = [v.strip().upper() if isinstance(v, str) else v for v in value]
            bad = [v for v in value if not (isinstance(v, str) and NATION_CODE_RE.fullmatch(v))]
            if bad:
                raise ValidationError(_("Give nation codes of 2 or 3 letters, such as POL."), code="invalid")
        return super().clean(value)


@extend_schema_field({"type": "string", "pattern": NATION_CODE_PATTERN})
class NationCodeFilter(django_filters.ModelMultipleChoiceFilter):
    """Nations by code (``?nation=POL&nation=USA``)."""

    field_class = NationCodeField
