"""Shared write helpers: validation, access checks and bulk-error reporting for every service."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from coordination.access import CHANGE, Scope, as_scope, require_cell, require_nation_access, scope_for  # noqa: F401  (re-exported: services' callers)


class BulkValidationError(ValidationError):
    """All-or-nothing bulk write refused: ``row_errors`` maps a row index to ``{field: [messages]}``."""

    def __init__(self, row_errors: dict[int, dict[str, list[str]]]):
        self.row_errors = row_errors
        super().__init__(f"{len(row_errors)} row(s) have errors; nothing was written.")


NUL_MESSAGE = _("NUL characters are not allowed.")
SURROGATE_MESSAGE = _("The text is not valid Unicode (it holds an unpaired surrogate).")
INVALID_MESSAGE = _("Enter a valid value.")
PLAIN_TYPES = (str, int, float, Decimal, dt.date, dt.time, dt.timedelta)


CONTROL_MESSAGE = _("Control characters (such as terminal escape codes) are not allowed.")
# C0 controls, DEL and C1 controls; multi-line text (TextField) may hold tab, line feed and carriage return.
LINE_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(value: str, *, multiline: bool = False):
    """Why this text is refused, or None: NUL (no PostgreSQL column holds it), unpaired surrogates (no
    driver encodes them), control characters (ANSI escapes that rewrite a terminal or a log line; in a
    one-line field also tab and line breaks)."""
    if "\x00" in value:
        return NUL_MESSAGE
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE_MESSAGE
    if (TEXT_CONTROL_RE if multiline else LINE_CONTROL_RE).search(value):
        return CONTROL_MESSAGE
    return None


def clean_values(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict[str, list[str]]:
    """Convert each non-relation field's value to its Python type, as ``full_clean`` would, but refuse
    with a message what ``full_clean`` lets through or crashes on: text with NUL or unpaired surrogates
    (PostgreSQL refuses NUL, every driver refuses surrogates), values of a type no field takes (a list,
    a float infinity, an int for a date), booleans and fractions for integers. Returns ``{field: [messages]}``
    for the refused fields and leaves the converted values on the instance for the others.
    """
    exclude = set(exclude)
    errors: dict[str, list[str]] = {}
    for field in instance._meta.concrete_fields:
        if field.name in exclude or field.is_relation or field.primary_key:
            continue
        value = getattr(instance, field.attname)
        if value is None:
            continue
        problem = None
        is_integer = isinstance(field, models.IntegerField)
        if isinstance(value, str):
            problem = text_problem(value, multiline=isinstance(field, models.TextField | models.JSONField))
        elif isinstance(value, bool):
            problem = None if isinstance(field, models.BooleanField) else INVALID_MESSAGE
        elif not isinstance(value, PLAIN_TYPES) and not isinstance(field, models.JSONField):
            problem = INVALID_MESSAGE
        elif is_integer and isinstance(value, float) and not value.is_integer():  # fractions, inf, nan
            problem = INVALID_MESSAGE
        elif is_integer and isinstance(value, Decimal) and not (value.is_finite()
                                                                and value == value.to_integral_value()):
            problem = INVALID_MESSAGE
        if problem is None:
            try:
                value = field.to_python(value)
            except ValidationError as exc:
                errors[field.name] = [str(m) for m in exc.messages]
                continue
            except (TypeError, ValueError, OverflowError, ArithmeticError):
                problem = INVALID_MESSAGE
        if problem is not None:
            errors[field.name] = [str(problem)]
            continue
        setattr(instance, field.attname, value)
    return errors


def validate_instance(instance: models.Model, *, exclude: Iterable[str] = ()) -> None:
    """Model field validation plus constraints, as a ValidationError with field messages.

    Values are first checked and converted by ``clean_values`` (one rule for every service: NUL,
    unpaired surrogates, wrong types); fields refused there are left out of ``full_clean``.
    """
    exclude = list(exclude)
    errors = clean_values(instance, exclude=exclude)
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_constraints=True)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def messages_of(error: ValidationError) -> dict[str, list[str]]:
    """A ValidationError as ``{field: [messages]}`` (``non_field_errors`` for the rest)."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [str(m) for m in ValidationError(errs).messages]
            for field, errs in error.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in error.messages]}


def check_writable(model: type[models.Model], actor, pk) -> models.Model:
    """Re-fetch an object through the restricted queryset for writing, locked (inside a transaction)."""
    obj = model.objects.restrict(actor, CHANGE).select_for_update().filter(pk=pk).first()
    if obj is None:
        raise PermissionDenied("You may not change this record, or it does not exist.")
    return obj


def record_save(*, actor, obj: models.Model, user=None, owner_field: str | None = None,
                after: Callable[[models.Model], None] | None = None, what: str = "these records") -> models.Model:
    """Create or change a record of a model without a dedicated service (catalogue, guidelines,
    requirements, production rates, tracker flows), for the admin, the API and imports alike.

    The cell always; a nation only for records it owns (``owner_field``) and that the model's access rule
    lets it change (checked on the locked row for a change, on the new row for a create). Model
    validation with constraints, history user, then ``after`` (the recompute hook).
    """
    scope = as_scope(actor)
    if owner_field is None:
        require_cell(scope, what=what)
    else:
        require_nation_access(scope, getattr(obj, f"{owner_field}_id"), what=what)
    manager = type(obj).objects
    if hasattr(manager, "restrict"):
        writable = manager.restrict(scope, CHANGE)
    elif owner_field is None:  # a cell-only model without a restricted manager (memberships): cell checked above
        writable = manager.all()
    else:
        raise ImproperlyConfigured(f"{type(obj).__name__} needs a restricted manager for nation writes.")
    with transaction.atomic():
        adding = obj._state.adding
        if not adding and not writable.select_for_update().filter(pk=obj.pk).exists():
            raise PermissionDenied(f"You may not change {what}.")
        validate_instance(obj)
        obj._history_user = user if getattr(user, "pk", None) else None
        obj.save()
        if adding and owner_field is not None and not writable.filter(pk=obj.pk).exists():
            # A nation creates only what the access rule lets it change afterwards (the model's
            # ``access_q``: e.g. only the recipient states requirements); the save is rolled back.
            raise PermissionDenied(f"You may not create {what}.")
        if after is not None:
            after(obj)
    return obj
