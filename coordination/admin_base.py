"""Shared admin machinery: access from the scope, writes through the services, import/export + history.

Django model permissions are not used: a national officer has ``is_staff`` and a Membership, nothing
else. What an admin user may see and do is decided by ``coordination.access.scope_for``:
- the cell sees and writes everything (computed tables stay read-only for everyone);
- a national officer sees the rows ``Model.objects.restrict(user, "view")`` returns, narrowed to their
  own nation's records where the model has an owner (``own_nation_field``), writes only what
  ``restrict(user, "change")`` allows, and picks only their own nation in nation fields.

Every write calls ``service_save`` (the admin subclass calls ``pledges.services`` /
``stockpiles.services``). The service runs once as a dry run inside a savepoint while the form is
validated, so a broken rule is a form error; then for real in ``save_model``. Should the real call
still refuse (a concurrent write in between), the whole request is rolled back and the refusal shown
as a message: never a 500, never half a write.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, connection, models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from import_export.admin import ExportMixin, ImportExportModelAdmin
from import_export.formats import base_formats
from simple_history.admin import SimpleHistoryAdmin

from coordination.access import CHANGE, VIEW, Scope, scope_for
from coordination.integrity import integrity_message
from coordination.models import Item, Nation

FILE_FORMATS = [base_formats.CSV, base_formats.XLSX]


def item_label(item: Item, *, term: str = "") -> str:
    """An item as a picker shows it: name, unit and NSN ("AIM-120 AMRAAM (missiles) — NSN 1410-01-555-0120"),
    and, when the search term is found only in the NSN, a word saying so (a search for "155" finds AMRAAM
    by its NSN; the label makes that visible)."""
    text = f"{item.display_name} ({item.get_unit_display()})"
    if item.nsn:
        text += " — " + _("NSN %(nsn)s") % {"nsn": item.nsn_display}
    term = term.strip().lower()
    digits = term.replace("-", "")
    named = term in item.name.lower() or term in item.name_fr.lower()
    if term and not named and digits and digits in item.nsn:
        text += " · " + _("found by its NSN")
    return text


class LabelledAutocompleteJsonView(AutocompleteJsonView):
    """The admin's autocomplete: a model admin may label its records (``autocomplete_label(obj, term=)``);
    the others by ``__str__``, which reads as people say a record."""

    def serialize_result(self, obj, to_field_name):
        label = getattr(self.model_admin, "autocomplete_label", None)
        text = label(obj, term=self.term) if label is not None else str(obj)
        return {"id": str(getattr(obj, to_field_name)), "text": text}


class _DryRun(Exception):
    """Raised inside a savepoint to roll back a validation run of a service."""


class AdminServiceRefused(Exception):
    """A service refused the real write after the form had validated (e.g. a concurrent change)."""


def add_service_errors(form: forms.BaseForm, error: ValidationError | PermissionDenied) -> None:
    """Attach a service's refusal to a form: field errors on their fields, the rest as non-field errors."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You may not make this change.")
        return
    if hasattr(error, "error_dict"):
        for field, errs in error.error_dict.items():
            messages_ = ValidationError(errs).messages
            target = field if field in form.fields else None
            if target is None and field not in ("__all__", "non_field_errors"):
                messages_ = [f"{field}: {m}" for m in messages_]
            form.add_error(target, messages_)
    else:
        form.add_error(None, error.messages)


def refusal_text(error: ValidationError | PermissionDenied) -> str:
    if isinstance(error, PermissionDenied):
        return str(error) or "You may not make this change."
    if hasattr(error, "error_dict"):
        return "; ".join(f"{k}: {' '.join(ValidationError(v).messages)}" for k, v in error.error_dict.items())
    return " ".join(error.messages)


def dry_run(call) -> None:
    """Run ``call`` in a savepoint and roll it back; ValidationError/PermissionDenied propagate."""
    try:
        with transaction.atomic():
            call()
            raise _DryRun
    except _DryRun:
        pass


def copy_saved(target: models.Model, saved: models.Model) -> models.Model:
    """Give the admin's instance what the service wrote (pk, derived and automatic fields)."""
    if target is saved:
        return target
    for field in target._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db
    return target


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose validation ends with a dry run of the admin's service."""

    model_admin: ScopedAdminMixin | None = None
    admin_request: HttpRequest | None = None

    def validate_unique(self):
        """Uniqueness and constraints: the service checks them with its own, clearer messages
        (e.g. "POL already reported this item for 2024-01-01" rather than a constraint name)."""
        if self.model_admin is not None and self.model_admin.has_service:
            return
        super().validate_unique()

    def _post_clean(self):
        if self.model_admin is None or not self.model_admin.has_service:
            return super()._post_clean()
        instance = self.instance
        # Field validation here; constraints are left to the service's dry run below (clearer messages).
        instance.full_clean = functools.partial(type(instance).full_clean, instance, validate_constraints=False)
        try:
            super()._post_clean()
        finally:
            del instance.full_clean
        if self.errors or self.admin_request is None:
            return
        instance = copy.copy(self.instance)
        change = not self.instance._state.adding
        try:
            dry_run(lambda: self.model_admin.service_save(request=self.admin_request, obj=instance, change=change))
        except (ValidationError, PermissionDenied) as exc:
            add_service_errors(self, exc)
        except IntegrityError as exc:  # a constraint the service did not pre-check
            self.add_error(None, integrity_message(exc))


class ScopedAdminMixin:
    """``get_queryset`` and ``has_*_permission`` from the scope; writes through ``service_save``."""

    #: national officers see only rows whose ``<own_nation_field>_id`` is their nation (None: the read rule alone)
    own_nation_field: str | None = None
    #: foreign keys to Nation that a national officer may only set to their own nation
    nation_fields: tuple[str, ...] = ()
    #: national officers may write this model at all (row-level rule: ``restrict(user, "change")``)
    nation_write: bool = True
    #: computed tables: nobody adds, changes or deletes
    read_only: bool = False
    #: hidden from national officers altogether
    cell_only: bool = False
    #: deletion allowed (for records with a lifecycle, cancel instead of delete)
    allow_delete: bool = True
    #: service_save is implemented (else the plain ModelAdmin save: cell-only admins such as memberships)
    has_service: bool = False

    form = ServiceModelForm

    # --- scope ----------------------------------------------------------------------------------

    @staticmethod
    def scope(request: HttpRequest) -> Scope:
        return scope_for(request.user)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = self.scope(request)
        if scope.is_cell:
            return qs
        if scope.is_nobody or self.cell_only:
            return qs.none()
        if hasattr(qs, "restrict"):
            qs = qs.restrict(scope, VIEW)
        if self.own_nation_field:
            qs = qs.filter(**{f"{self.own_nation_field}_id": scope.nation_id})
        return qs

    def _allowed(self, request: HttpRequest, obj: models.Model, action: str) -> bool:
        """Is ``obj`` in the user's admin queryset (view) or restricted write queryset (change)?"""
        scope = self.scope(request)
        if scope.is_cell:
            return True
        if obj is None or obj.pk is None:
            return True
        cache = request.__dict__.setdefault("_aid_admin_access", {})
        key = (obj._meta.label, obj.pk, action)
        if key not in cache:
            qs = self.get_queryset(request).filter(pk=obj.pk)
            if action == CHANGE and hasattr(qs, "restrict"):
                qs = qs.restrict(scope, CHANGE)
            cache[key] = qs.exists()
        return cache[key]

    def nation_may_add(self, scope: Scope) -> bool:
        return True

    # --- permissions (no Django model permissions needed) ----------------------------------------

    def has_module_permission(self, request) -> bool:
        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        scope = self.scope(request)
        if scope.is_nobody:
            return False
        return scope.is_cell or not self.cell_only

    def has_view_permission(self, request, obj=None) -> bool:
        if not self.has_module_permission(request):
            return False
        return obj is None or self._allowed(request, obj, VIEW)

    def has_add_permission(self, request, *args) -> bool:
        if self.read_only or not self.has_module_permission(request):
            return False
        scope = self.scope(request)
        return scope.is_cell or (self.nation_write and self.nation_may_add(scope))

    def has_change_permission(self, request, obj=None) -> bool:
        if self.read_only or not self.has_module_permission(request):
            return False
        scope = self.scope(request)
        if scope.is_cell:
            return True
        if not self.nation_write:
            return False
        return obj is None or self._allowed(request, obj, CHANGE)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.allow_delete and self.has_change_permission(request, obj)

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) or self.has_change_permission(request)

    def has_export_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.display(description="ID", ordering="pk")
    def record_id(self, obj) -> str:
        """An id column: the number people quote, never grouped ("1234", not "1,234")."""
        return str(obj.pk)

    # --- forms -------------------------------------------------------------------------------------

    def get_autocomplete_fields(self, request):
        fields = list(super().get_autocomplete_fields(request))
        if not self.scope(request).is_cell:
            fields = [f for f in fields if f not in self.nation_fields]
        return fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = self.scope(request)
        if not scope.is_cell and db_field.name in self.nation_fields:
            kwargs["queryset"] = Nation.objects.filter(pk=scope.nation_id)
            kwargs["initial"] = scope.nation_id
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.related_model is Item:
            field.label_from_instance = item_label  # the chosen item reads as in its autocomplete
        return field

    def get_search_results(self, request, queryset, search_term):
        """An autocomplete lists records by their readable names: join what ``__str__`` reads, as the
        change list does (``list_select_related``), so the list costs one query, not one per row."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete" and isinstance(self.list_select_related,
                                                                                 list | tuple):
            queryset = queryset.select_related(*self.list_select_related)
        return queryset, may_have_duplicates

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if issubclass(form, ServiceModelForm):
            form = type(form.__name__, (form,), {"model_admin": self, "admin_request": request})
        return form

    # --- writes ----------------------------------------------------------------------------------

    def service_save(self, *, request, obj, change: bool) -> models.Model:
        """Write ``obj`` through the service; return the saved instance. Subclasses override."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if not self.has_service:
            obj._history_user = request.user
            return super().save_model(request, obj, form, change)
        try:
            saved = self.service_save(request=request, obj=obj, change=change)
        except (ValidationError, PermissionDenied) as exc:
            raise AdminServiceRefused(refusal_text(exc)) from exc
        except IntegrityError as exc:
            raise AdminServiceRefused(integrity_message(exc)) from exc
        copy_saved(obj, saved)

    def after_delete(self, *, request, obj) -> None:
        """Hook: e.g. mark shortfalls dirty after a guideline was deleted."""

    def delete_model(self, request, obj):
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        obj._history_user = request.user
        super().delete_model(request, obj)
        self.after_delete(request=request, obj=obj)

    def delete_queryset(self, request, queryset):
        """The "delete selected" action: one by one (history, access, hooks), all or nothing."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except AdminServiceRefused as exc:  # the atomic block around the view has rolled back
            messages.error(request, f"Nothing was saved: {exc}")
            return HttpResponseRedirect(request.get_full_path())

    # --- import/export -----------------------------------------------------------------------------

    def process_result(self, result, request):
        """The confirmed import: when rows were refused after all (e.g. a concurrent write since the
        preview), the import's transaction was rolled back; say so instead of "Import finished"."""
        if result.has_errors() or result.has_validation_errors():
            refused = sorted({row.number for row in result.invalid_rows} | {n for n, _ in result.row_errors()})
            messages.error(request, f"Nothing was imported: rows {', '.join(map(str, refused)) or '?'} were refused "
                                    "since the preview. Upload the file again to see why.")
            opts = self.model._meta
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist",
                                                current_app=self.admin_site.name))
        return super().process_result(result, request)

    def get_resource_kwargs(self, request, *args, **kwargs):
        kwargs = super().get_resource_kwargs(request, *args, **kwargs)
        kwargs["user"] = request.user
        return kwargs

    # --- history ---------------------------------------------------------------------------------

    def revert_disabled(self, request, obj=None) -> bool:
        """Reverting would write past the services; correct a record by editing it instead."""
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Reverting from history is disabled; edit the record instead.")
        return super().history_form_view(request, object_id, version_id, extra_context)


# --- Long tables: changelists over millions of rows ------------------------------------------------------

class EstimatedCountPaginator(Paginator):
    """A changelist paginator that never counts millions of rows: it counts exactly up to ``exact_up_to``
    (a ``count(*)`` over a ``LIMIT``: an index range at most), and beyond that takes PostgreSQL's estimate of
    the filtered query's rows (``EXPLAIN``, the planner's statistics). The page count is then approximate:
    a page past the real end is empty, one near the estimated end may be missing. Other databases (SQLite:
    small deployments) count exactly."""

    exact_up_to = 10_000

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if not hasattr(qs, "query") or connection.vendor != "postgresql":
            return super().count
        capped = qs.order_by()[:self.exact_up_to + 1].count()
        if capped <= self.exact_up_to:
            return capped
        self.estimated = True
        return max(capped, estimated_rows(qs))


def estimated_rows(qs) -> int:
    """The planner's estimate of the rows ``qs`` returns (PostgreSQL ``EXPLAIN``: no rows read)."""
    plan = json.loads(qs.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class LongTableAdminMixin:
    """A changelist over a table that grows to millions of rows: an estimated count
    (``EstimatedCountPaginator``), no second count of the whole table (``show_full_result_count``), newest
    entered first on the primary key (an index scan however deep the page; other columns are not
    sortable: each would sort the whole table), and a search that looks the term up in the small tables
    first (``indexed_search``) instead of ``icontains`` over every row."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    ordering = ("-pk",)
    sortable_by = ()

    def indexed_search(self, term: str) -> models.Q | None:
        """The rows the search term names, as a filter on indexed columns; None: the default search."""
        return None

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term:
            condition = self.indexed_search(term)
            if condition is not None:
                return queryset.filter(condition), False
        return super().get_search_results(request, queryset, search_term)


MATCHES_SHOWN = 200  # nations or items a search term may name at most (a prefix of one letter names many)


def catalogue_matches(term: str) -> tuple[list[int], list[int]]:
    """The nations and items a search term names: a nation by its code (exact) or the start of its name, an
    item by its NSN (13 digits, with or without dashes) or the start of its name (English or French name).
    Two small queries (catalogue tables: hundreds of rows)."""
    nations = list(Nation.objects.filter(models.Q(code__iexact=term) | models.Q(name__istartswith=term)
                                         | models.Q(name_fr__istartswith=term))
                   .values_list("pk", flat=True)[:MATCHES_SHOWN])
    digits = term.replace("-", "").replace(" ", "")
    item_q = models.Q(name__istartswith=term) | models.Q(name_fr__istartswith=term)
    if digits.isdigit() and len(digits) == 13:
        item_q |= models.Q(nsn=digits)
    items = list(Item.objects.filter(item_q).values_list("pk", flat=True)[:MATCHES_SHOWN])
    return nations, items
#: above this many rows, the import preview shows a summary and the errors, not every row
PREVIEW_ROW_LIMIT = 200
#: at most this many refused rows are listed (their count is always given)
PREVIEW_ERROR_LIMIT = 200


def import_summary(result) -> dict:
    """What a long file's preview shows instead of every row: counts per outcome and the first errors."""
    invalid = result.invalid_rows
    return {
        "rows": len(result.rows),  # every row of the file has a row result, refused ones too
        "new": result.totals.get("new", 0), "update": result.totals.get("update", 0),
        "skip": result.totals.get("skip", 0), "invalid": len(invalid),
        "errors": [(row.number, [(field, [str(m) for m in messages])
                                 for field, messages in row.field_specific_errors.items()]
                    + ([("", [str(m) for m in row.non_field_specific_errors])]
                       if row.non_field_specific_errors else []))
                   for row in invalid[:PREVIEW_ERROR_LIMIT]],
        "errors_not_listed": max(len(invalid) - PREVIEW_ERROR_LIMIT, 0),
        "first_rows": result.valid_rows()[:20] if not invalid else [],
    }


class AidModelAdmin(ScopedAdminMixin, ImportExportModelAdmin, SimpleHistoryAdmin):
    """Every editable model: scoped access, service writes, CSV/XLSX import and export, history."""

    formats = FILE_FORMATS
    list_per_page = 100
    import_template_name = "admin/aid_import.html"

    def import_action(self, request, *args, **kwargs):
        """The import page says how items are named (NSN, name or id), and a long file's preview is a
        summary and its errors: a 10,000-row file is not a 10,000-row page."""
        response = super().import_action(request, *args, **kwargs)
        context = getattr(response, "context_data", None)
        if context is None:
            return response
        from coordination.resources import ItemWidget  # resources import this module (a cycle otherwise)

        context["item_columns"] = sorted({
            field.column_name for resource_class in self.get_import_resource_classes(request)
            for field in resource_class().get_import_fields() if isinstance(field.widget, ItemWidget)
        })
        result = context.get("result")
        if result is not None and len(result.rows) > PREVIEW_ROW_LIMIT:
            context["import_summary"] = import_summary(result)
        return response


class ComputedModelAdmin(ScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    """Computed tables (shortfalls, current stock, marks, alerts): read-only, export allowed."""

    formats = FILE_FORMATS
    read_only = True
    allow_delete = False
    list_per_page = 100
    form = forms.ModelForm

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class ServiceInlineFormSet(BaseInlineFormSet):
    """An inline formset whose validation dry-runs the parent's and the rows' services in one savepoint.

    The inline admin sets ``model_admin`` (the inline), ``parent_admin`` and ``admin_request``.
    """

    model_admin: Any = None
    parent_admin: Any = None
    admin_request: HttpRequest | None = None

    def clean(self):
        super().clean()
        if self.model_admin is None or any(form.errors for form in self.forms):
            return
        request = self.admin_request
        parent = copy.copy(self.instance)
        change = not self.instance._state.adding
        failed: list[tuple[forms.BaseForm, Exception]] = []

        def run():
            try:
                saved = self.parent_admin.service_save(request=request, obj=parent, change=change)
            except (ValidationError, PermissionDenied, ObjectDoesNotExist):
                return  # the parent form reports its own errors (or is incomplete)
            for form in self.forms:
                if not self.model_admin.form_is_write(form):
                    continue
                try:
                    with transaction.atomic():
                        self.model_admin.row_save(request=request, parent=saved, form=form)
                except (ValidationError, PermissionDenied) as exc:
                    failed.append((form, exc))
                except IntegrityError as exc:
                    failed.append((form, ValidationError(integrity_message(exc))))

        dry_run(run)
        for form, exc in failed:
            add_service_errors(form, exc)


class ServiceInline:
    """An inline whose rows are written through a service (``row_save``) instead of ``formset.save()``."""

    formset = ServiceInlineFormSet
    can_delete = False

    def parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None) -> bool:
        return self.parent_admin().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.parent_admin().has_change_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        return type(formset.__name__, (formset,), {
            "model_admin": self,
            "parent_admin": self.parent_admin(),
            "admin_request": request,
        })

    @staticmethod
    def form_is_write(form) -> bool:
        if not form.has_changed():
            return False
        return not (form.cleaned_data.get("DELETE"))

    def row_save(self, *, request, parent, form) -> models.Model:
        raise NotImplementedError

    def save_rows(self, *, request, formset) -> None:
        """Called by the parent admin's ``save_formset``: write each changed row through the service."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for form in formset.forms:
            if not self.form_is_write(form):
                continue
            is_new = form.instance._state.adding
            try:
                saved = self.row_save(request=request, parent=formset.instance, form=form)
            except (ValidationError, PermissionDenied) as exc:
                raise AdminServiceRefused(refusal_text(exc)) from exc
            except IntegrityError as exc:
                raise AdminServiceRefused(integrity_message(exc)) from exc
            copy_saved(form.instance, saved)
            if is_new:
                formset.new_objects.append(form.instance)
            else:
                formset.changed_objects.append((form.instance, form.changed_data))
