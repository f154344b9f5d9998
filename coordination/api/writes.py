"""Writes for models that have no dedicated service yet (catalogue, guidelines, requirements, rates).

The same steps as the admin's ``plain_save`` / ``service_save`` for these models: the access rule,
model validation with constraints, save with the history user, then the recompute hook. Once
``stockpiles.services`` grows ``guideline_save`` / ``production_rate_save``, call those instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from coordination.access import CHANGE
from coordination.services import as_scope, require_cell, require_nation_access, validate_instance


def record_save(*, actor, obj: models.Model, user=None, owner_field: str | None = None,
                after: Callable[[models.Model], None] | None = None, what: str = "these records") -> models.Model:
    """Create or change ``obj``: the cell always; a nation only for records it owns (``owner_field``)."""
    scope = as_scope(actor)
    if owner_field is None:
        require_cell(scope, what=what)
    else:
        require_nation_access(scope, getattr(obj, f"{owner_field}_id"), what=what)
    with transaction.atomic():
        if obj.pk and not type(obj).objects.restrict(scope, CHANGE).select_for_update().filter(pk=obj.pk).exists():
            raise PermissionDenied(f"You may not change {what}.")
        validate_instance(obj)
        obj._history_user = user if getattr(user, "pk", None) else None
        obj.save()
        if after is not None:
            after(obj)
    return obj
