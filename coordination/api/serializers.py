"""Shared serializer pieces: nations by code, items by id or NSN, and the catalogue serializers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coordination.models import Category, Item, Nation

BIGINT_MAX = 2**63 - 1
NSN_RE = re.compile(r"^(\d{13}|\d{4}-\d{2}-\d{3}-\d{4})$")
ID_RE = re.compile(r"^\d{1,18}$")


@dataclass(frozen=True)
class ItemRef:
    """An item as a client named it: by id or by NSN (13 digits, or 4-2-3-4 with dashes)."""

    id: int | None = None
    nsn: str | None = None

    def __str__(self) -> str:
        return f"NSN {self.nsn}" if self.nsn else f"id {self.id}"


@extend_schema_field({
    "oneOf": [
        {"type": "integer", "minimum": 1, "description": "Item id"},
        {"type": "string", "pattern": r"^(\d{13}|\d{4}-\d{2}-\d{3}-\d{4})$",
         "description": "NATO Stock Number: 13 digits, or 4-2-3-4 (1320-01-234-5678)"},
    ],
    "description": "The item: its id, or its NATO Stock Number.",
})
class ItemRefField(serializers.Field):
    default_error_messages = {
        "invalid": "Give an item id (a whole number) or a NATO Stock Number "
                   "(13 digits, or 4-2-3-4 such as 1320-01-234-5678).",
    }

    def to_internal_value(self, data) -> ItemRef:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            if data < 1 or data > BIGINT_MAX:
                self.fail("invalid")
            return ItemRef(id=data)
        if isinstance(data, str):
            value = data.strip()
            if NSN_RE.match(value):
                return ItemRef(nsn=value.replace("-", ""))
            if ID_RE.match(value) and len(value) != 13:
                return ItemRef(id=int(value))
        self.fail("invalid")

    def to_representation(self, value):
        return value.pk if isinstance(value, Item) else value


def items_resolve(refs: Iterable[ItemRef]) -> tuple[dict[int, Item], dict[str, Item]]:
    """One query for many item references: ``(by_id, by_nsn)``."""
    refs = list(refs)
    ids = {r.id for r in refs if r.id is not None}
    nsns = {r.nsn for r in refs if r.nsn}
    if not ids and not nsns:
        return {}, {}
    by_id: dict[int, Item] = {}
    by_nsn: dict[str, Item] = {}
    for item in Item.objects.filter(Q(pk__in=ids) | Q(nsn__in=nsns)):
        by_id[item.pk] = item
        if item.nsn:
            by_nsn[item.nsn] = item
    return by_id, by_nsn


def item_lookup(ref: ItemRef, by_id: dict[int, Item], by_nsn: dict[str, Item]) -> Item | None:
    return by_nsn.get(ref.nsn) if ref.nsn else by_id.get(ref.id)


def item_resolve(ref: ItemRef) -> Item:
    item = item_lookup(ref, *items_resolve([ref]))
    if item is None:
        raise serializers.ValidationError({"item": [f"Unknown item ({ref})."]})
    return item


NATION_CODE_RE = re.compile(r"[A-Za-z]{2,3}")
OWN_NATION_HELP = "A national client leaves it out or gives its own code; another nation's is a 400."


@extend_schema_field({"type": "string", "pattern": "^[A-Za-z]{2,3}$", "description": "A nation code, such as POL."})
class NationCodeField(serializers.SlugRelatedField):
    """A nation by its code (``POL``)."""

    default_error_messages = {
        "does_not_exist": "Unknown nation code {value}.",
        "invalid": "Give a nation code such as POL.",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "code")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", Nation.objects.all())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not NATION_CODE_RE.fullmatch(data.strip()):
            self.fail("invalid")  # before any query: NUL or surrogates never reach the database
        return super().to_internal_value(data.strip().upper())


class NationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nation
        fields = ["code", "name", "name_fr", "role", "joined_on"]


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "name_fr"]


class ItemSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    category_name_fr = serializers.CharField(source="category.name_fr", read_only=True)
    nsn_display = serializers.CharField(read_only=True)

    class Meta:
        model = Item
        fields = ["id", "name", "name_fr", "category", "category_name", "category_name_fr", "unit", "nsn",
                  "nsn_display", "unit_value_eur"]


class NationWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nation
        fields = ["code", "name", "name_fr", "role", "joined_on"]
        validators: list = []  # uniqueness and constraints are checked by the model validation on save


class CategoryWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["name", "name_fr"]
        validators: list = []


class ItemWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["category", "name", "name_fr", "unit", "nsn", "unit_value_eur"]
        extra_kwargs = {"unit_value_eur": {"min_value": 0}, "name": {"validators": []}}
        validators: list = []
