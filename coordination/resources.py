"""Import/export resources (django-import-export) for the core, and the base every resource shares.

Imports write through the same services as the admin and the API (``service_save``), inside one
transaction that is rolled back when any row is invalid: all or nothing, with the errors per row in
the preview. Foreign keys travel as natural keys (nation code, item name) so files are readable.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from coordination.access import CHANGE
from coordination.admin_base import copy_saved, refusal_text
from coordination.integrity import integrity_message
from coordination.models import Category, Item, Membership, Nation
from coordination.services import BulkValidationError, record_save
from coordination.spreadsheet import spreadsheet_cell


class DateOnlyWidget(widgets.DateWidget):
    """Spreadsheets hand dates back as datetimes (midnight); a DateField wants the date."""

    def clean(self, value, row=None, **kwargs):
        value = super().clean(value, row=row, **kwargs)
        return value.date() if isinstance(value, dt.datetime) else value


class KnownForeignKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key by natural key; an unknown value is a validation error on its column, not a crash."""

    def __init__(self, model, field: str = "pk", *, column: str, **kwargs):
        super().__init__(model, field=field, **kwargs)
        self.column = column
        self._seen: dict = {}  # one lookup per distinct value and import (fields are copied per resource)

    def clean(self, value, row=None, **kwargs):
        key = str(value).strip() if value is not None else None
        if key in self._seen:
            return self._seen[key]
        try:
            found = super().clean(value, row=row, **kwargs)
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise ValidationError({self.column: [
                f"No {self.model._meta.verbose_name} with {self.field} “{value}”."
            ]}) from exc
        self._seen[key] = found
        return found


NSN_TEXT = re.compile(r"^(\d{13}|\d{4}-\d{2}-\d{3}-\d{4})$")


def item_find(value) -> Item | None:
    """An item as spreadsheets name it: its NSN (13 digits or 4-2-3-4), its name (English, or French when
    only one item has it), or its id; one rule for
    every import (the API takes an id or an NSN)."""
    if isinstance(value, float) and value.is_integer():  # a spreadsheet's number cell: 1410015550120.0
        value = int(value)
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if NSN_TEXT.match(text):
        found = Item.objects.filter(nsn=text.replace("-", "")).first()
        if found is not None:
            return found
    found = Item.objects.filter(name=text).first() or Item.objects.filter(name__iexact=text).first()
    if found is None:  # a French spreadsheet: the French name, when it names exactly one item
        french = list(Item.objects.filter(name_fr__iexact=text).exclude(name_fr="")[:2])
        found = french[0] if len(french) == 1 else None
    if found is None and text.isdigit() and len(text) < 19:
        found = Item.objects.filter(pk=int(text)).first()
    return found


class ItemWidget(widgets.ForeignKeyWidget):
    """An item column: NSN, name or id (``item_find``); exported as the item's name."""

    def __init__(self, *, column: str, **kwargs):
        super().__init__(Item, field="name", **kwargs)
        self.column = column
        self._seen: dict = {}

    def clean(self, value, row=None, **kwargs):
        key = str(value).strip() if value is not None else ""
        if key not in self._seen:
            if not key:
                return None
            found = item_find(value)
            if found is None:
                raise ValidationError({self.column: [
                    _("No item with the NSN, name or id “%(value)s”.") % {"value": key}
                ]})
            self._seen[key] = found
        return self._seen[key]


def fk_field(model, attribute: str, lookup: str = "pk") -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute,
                        widget=KnownForeignKeyWidget(model, field=lookup, column=attribute))


def nation_field(attribute: str) -> fields.Field:
    return fk_field(Nation, attribute, "code")


def item_field(attribute: str = "item") -> fields.Field:
    return fields.Field(attribute=attribute, column_name=attribute, widget=ItemWidget(column=attribute))


def _normalise(error: ValidationError) -> ValidationError:
    """Services say ``non_field_errors``; the import preview lists ``__all__`` as row-level errors."""
    if hasattr(error, "error_dict"):
        return ValidationError({
            (NON_FIELD_ERRORS if key == "non_field_errors" else key): value
            for key, value in error.error_dict.items()
        })
    return error


class SafeExportResource(resources.ModelResource):
    """Every admin export: a text cell a spreadsheet would run as a formula is neutralised
    (``coordination.spreadsheet.spreadsheet_cell``). Every resource the admin uses derives from this
    (tests/admin/test_export_formulas.py checks each registered admin)."""

    def export_field(self, field, instance, **kwargs):
        if isinstance(field.widget, widgets.NumberWidget):
            kwargs["force_native_type"] = True  # 1234, never the display's grouped "1,234"
        return spreadsheet_cell(super().export_field(field, instance, **kwargs))


class AidResource(SafeExportResource):
    """Base resource: the importing user is the actor; writes go through ``service_save``; all or nothing."""

    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "DateField": DateOnlyWidget}

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    class Meta:
        skip_unchanged = True
        report_skipped = True
        # The services validate (model fields and constraints included) with their own clear messages.
        clean_model_instances = False

    def import_data(self, dataset, dry_run=False, raise_errors=False, use_transactions=None,
                    collect_failed_rows=False, rollback_on_validation_errors=False, **kwargs):
        # All or nothing, whatever the caller asked for.
        return super().import_data(
            dataset, dry_run=dry_run, raise_errors=raise_errors, use_transactions=True,
            collect_failed_rows=collect_failed_rows, rollback_on_validation_errors=True, **kwargs,
        )

    def get_queryset(self):
        """Existing rows are matched only among those the importer may change."""
        qs = super().get_queryset()
        if self.user is not None and hasattr(qs, "restrict"):
            qs = qs.restrict(self.user, CHANGE)
        return qs

    def actor_of(self, kwargs):
        return kwargs.get("user") or self.user

    def save_instance(self, instance, is_create, row, **kwargs):
        actor = self.actor_of(kwargs)
        if actor is None:
            raise ValidationError("An import needs a signed-in user.")
        if is_create and instance.pk is not None:
            raise ValidationError({"id": [
                "No record with this id that you may change; leave the id empty to add a new record."
            ]})
        self.before_save_instance(instance, row, **kwargs)
        try:
            with transaction.atomic():  # a refused row leaves the import's transaction usable
                saved = self.service_save(instance=instance, is_create=is_create, actor=actor)
        except IntegrityError as exc:
            raise ValidationError(integrity_message(exc)) from exc
        except PermissionDenied as exc:
            raise ValidationError(str(exc) or "You may not write this record.") from exc
        except ValidationError as exc:
            raise _normalise(exc) from exc
        copy_saved(instance, saved)
        self.after_save_instance(instance, row, **kwargs)

    def service_save(self, *, instance, is_create: bool, actor):
        """Default for reference data (no dedicated service): the cell only, validation, save with history
        user; the same ``record_save`` the API and the admin use."""

        return record_save(actor=actor, obj=instance, user=actor, what=str(instance._meta.verbose_name_plural))

    def delete_instance(self, instance, row, **kwargs):
        raise ValidationError("Deleting through an import is not supported.")


class BulkCreateResource(AidResource):
    """New rows are collected and written at the end of the import by a bulk service (a fixed number of
    queries, whatever the file's size); the service's per-row errors come back on the file's row numbers.
    Changes to existing rows still go through ``service_save`` row by row."""

    def __init__(self, user=None, **kwargs):
        super().__init__(user=user, **kwargs)
        self._pending: list[tuple[int, dict, object]] = []

    def check_new(self, *, instance, actor, number: int) -> None:
        """Per-row checks before a new row is queued (raise ValidationError)."""

    def group_pending(self, pending):
        """Batches for the bulk service (e.g. one per nation); default one batch."""
        return [pending] if pending else []

    def bulk_service_create(self, *, actor, instances) -> list:
        raise NotImplementedError

    def save_instance(self, instance, is_create, row, **kwargs):
        if not is_create:
            return super().save_instance(instance, is_create, row, **kwargs)
        if instance.pk is not None:
            raise ValidationError({"id": [
                "No record with this id that you may change; leave the id empty to add a new record."
            ]})
        number = kwargs.get("row_number")
        self.check_new(instance=instance, actor=self.actor_of(kwargs), number=number)
        self._pending.append((number, dict(row), instance))

    def after_import(self, dataset, result, **kwargs):
        actor = self.actor_of(kwargs)
        for entries in self.group_pending(self._pending):
            try:
                with transaction.atomic():
                    saved = self.bulk_service_create(actor=actor, instances=[e[2] for e in entries])
            except BulkValidationError as exc:
                for index, errors in sorted(exc.row_errors.items()):
                    number, row, _instance = entries[index]
                    result.append_invalid_row(number, row, _normalise(ValidationError(errors)))
                continue
            except (ValidationError, PermissionDenied) as exc:
                message = refusal_text(exc)
                for number, row, _instance in entries:
                    result.append_invalid_row(number, row, ValidationError(message))
                continue
            for (_number, _row, instance), created in zip(entries, saved, strict=True):
                instance.pk = created.pk
        result.invalid_rows.sort(key=lambda invalid: invalid.number)
        self._pending.clear()
        super().after_import(dataset, result, **kwargs)


class NationResource(AidResource):
    class Meta(AidResource.Meta):
        model = Nation
        fields = ("code", "name", "name_fr", "role", "joined_on")
        import_id_fields = ("code",)


class CategoryResource(AidResource):
    class Meta(AidResource.Meta):
        model = Category
        fields = ("name", "name_fr")
        import_id_fields = ("name",)


class ItemResource(AidResource):
    category = fk_field(Category, "category", "name")

    class Meta(AidResource.Meta):
        model = Item
        fields = ("name", "name_fr", "category", "unit", "nsn", "unit_value_eur")
        import_id_fields = ("name",)


class MembershipResource(AidResource):
    user = fk_field(get_user_model(), "user", "username")
    nation = nation_field("nation")

    class Meta(AidResource.Meta):
        model = Membership
        fields = ("user", "nation", "is_cell", "language")
        import_id_fields = ("user",)
