"""Admin for pledges (with their deliveries inline), deliveries, training commitments and requirements.

Every write calls ``pledges.services``; see ``coordination.admin_base`` for how a refusal becomes a
form error. Pledges and deliveries are not deleted: cancel them (status) so the history stays whole.

The pledge form has a second submit button, "Preview effect" (``_whatif``): the form is validated as for
a save, nothing is saved, and the form comes back with the what-if of the draft above it (the donor's
shortfall, coverage and months to recover, the recipient's gap, before and after:
``stockpiles.sourcing_selectors.sourcing_what_if``, the same read as the API's what-if, reached through
``pledges.hooks.pledge_what_if`` as pledges never imports stockpiles). Works without JS.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied

from coordination.access import CHANGE
from coordination.admin_base import AidModelAdmin, LongTableAdminMixin, ServiceInline, ServiceInlineFormSet
from coordination.services import record_save, require_nation_access
from pledges import hooks, services
from pledges.models import AidFlow, Delivery, Pledge, Requirement, TrainingCommitment
from pledges.resources import (
    AidFlowResource,
    DeliveryResource,
    PledgeResource,
    RequirementResource,
    TrainingCommitmentResource,
)

#: the pledge form's "Preview effect" button: validate, save nothing, show the what-if above the form
WHAT_IF = "_whatif"


def _values(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


class DeliveryInline(ServiceInline, admin.TabularInline):
    model = Delivery
    fields = ("quantity", "status", "shipped_on", "delivered_on", "reference")
    extra = 1
    show_change_link = True

    def row_save(self, *, request, parent, form):
        values = {name: form.cleaned_data.get(name) for name in services.DELIVERY_FIELDS if name in form.cleaned_data}
        if form.instance._state.adding:
            return services.delivery_create(actor=request.user, pledge_id=parent.pk, user=request.user, **values)
        return services.delivery_update(actor=request.user, delivery_id=form.instance.pk, user=request.user, **values)


@admin.register(Pledge)
class PledgeAdmin(LongTableAdminMixin, AidModelAdmin):
    resource_classes = [PledgeResource]
    has_service = True
    allow_delete = False  # cancel a pledge (status) instead; deliveries protect it anyway
    own_nation_field = "donor"
    nation_fields = ("donor",)
    list_display = (
        "record_id", "donor", "recipient", "item", "quantity", "delivered_quantity", "progress", "status", "source",
        "releasability", "announced_on", "due_on",
    )
    list_display_links = ("record_id", "item")
    list_filter = ("status", "source", "releasability", "announced_on", "donor", "recipient")
    search_fields = ("item__name", "item__name_fr", "donor__code",
                     "donor__name", "donor__name_fr", "recipient__code", "reference")
    list_select_related = ("donor", "recipient", "item")
    autocomplete_fields = ("donor", "recipient", "item")
    readonly_fields = ("allocated_quantity", "shipped_quantity", "delivered_quantity", "progress", "created_at",
                       "updated_at")
    date_hierarchy = "announced_on"
    inlines = [DeliveryInline]
    fieldsets = (
        (None, {"fields": ("donor", "recipient", "item", "quantity", "value_eur", "source", "status",
                           "releasability")}),
        ("Dates and reference", {"fields": ("announced_on", "due_on", "reference", "notes")}),
        ("Delivery progress (derived from the deliveries)", {"fields": (
            "allocated_quantity", "shipped_quantity", "delivered_quantity", "progress", "created_at", "updated_at",
        )}),
    )

    change_form_template = "admin/pledges/pledge/change_form.html"

    @admin.display(description="progress")
    def progress(self, obj):
        return Pledge.Progress(obj.progress).label

    # --- What-if: "Preview effect" ----------------------------------------------------------------

    @staticmethod
    def wants_what_if(request) -> bool:
        return request.method == "POST" and WHAT_IF in request.POST

    def get_form(self, request, obj=None, change=False, **kwargs):
        """For "Preview effect": a form that validates as for a save (the service's dry run included) and
        then reports itself not valid, so that the admin saves nothing and shows the form again; the
        what-if of the valid draft goes into the page (``render_change_form``)."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if not self.wants_what_if(request):
            return form
        model_admin, saved_id = self, obj.pk if obj is not None else None

        class PreviewForm(form):
            def is_valid(self) -> bool:
                if super().is_valid():
                    model_admin.what_if_of(request, self, saved_id)
                return False  # never saved: the form comes back with the effect above it

        return PreviewForm

    def what_if_of(self, request, form, saved_id: int | None) -> None:
        """The what-if of the form's valid draft, for the page; a refusal becomes a form error."""
        data = form.cleaned_data
        try:
            result = hooks.pledge_what_if(
                actor=request.user, donor=data["donor"], item=data["item"], quantity=data["quantity"],
                source=data["source"], due_on=data.get("due_on"), recipient=data["recipient"], replaces=saved_id,
                cancelled=data["status"] == Pledge.Status.CANCELLED)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
            return
        request.__dict__["_aid_pledge_what_if"] = result

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        may_save = self.has_add_permission(request) if add else self.has_change_permission(request, obj)
        may_save = may_save and hooks.pledge_what_if_available()
        context.update(what_if=request.__dict__.get("_aid_pledge_what_if"), what_if_button=WHAT_IF,
                       show_what_if=may_save)
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def service_save(self, *, request, obj, change):
        values = _values(obj, services.PLEDGE_FIELDS)
        if change:
            return services.pledge_update(actor=request.user, pledge_id=obj.pk, user=request.user, **values)
        return services.pledge_create(actor=request.user, user=request.user, **values)

    def save_formset(self, request, form, formset, change):
        if isinstance(formset, ServiceInlineFormSet):
            formset.model_admin.save_rows(request=request, formset=formset)
        else:  # pragma: no cover - every inline here writes through a service
            super().save_formset(request, form, formset, change)


@admin.register(Delivery)
class DeliveryAdmin(LongTableAdminMixin, AidModelAdmin):
    resource_classes = [DeliveryResource]
    has_service = True
    allow_delete = False  # set the status to cancelled instead
    own_nation_field = "pledge__donor"
    list_display = ("record_id", "pledge", "donor", "item", "quantity", "status", "shipped_on", "delivered_on")
    list_filter = ("status", "shipped_on", "delivered_on", "pledge__donor")
    search_fields = ("pledge__item__name", "pledge__item__name_fr", "pledge__donor__code", "reference", "=pledge__id")
    list_select_related = ("pledge__donor", "pledge__recipient", "pledge__item")
    autocomplete_fields = ("pledge",)
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="donor", ordering="pledge__donor__code")
    def donor(self, obj):
        return obj.pledge.donor.code

    @admin.display(description="item", ordering="pledge__item__name")
    def item(self, obj):
        return obj.pledge.item.display_name

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "pledge"] if obj is not None else fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        scope = self.scope(request)
        if db_field.name == "pledge" and not scope.is_cell:
            kwargs["queryset"] = Pledge.objects.restrict(scope, CHANGE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def service_save(self, *, request, obj, change):
        values = _values(obj, services.DELIVERY_FIELDS)
        if change:
            return services.delivery_update(actor=request.user, delivery_id=obj.pk, user=request.user, **values)
        return services.delivery_create(actor=request.user, pledge_id=obj.pledge_id, user=request.user, **values)


@admin.register(TrainingCommitment)
class TrainingCommitmentAdmin(AidModelAdmin):
    resource_classes = [TrainingCommitmentResource]
    has_service = True
    own_nation_field = "donor"
    nation_fields = ("donor",)
    list_display = ("programme", "donor", "recipient", "trainees_committed", "trainees_completed", "status",
                    "start_on", "end_on")
    list_filter = ("status", "donor", "recipient")
    search_fields = ("programme", "donor__code", "donor__name", "donor__name_fr", "reference")
    list_select_related = ("donor", "recipient")
    autocomplete_fields = ("donor", "recipient")
    readonly_fields = ("updated_at",)

    def service_save(self, *, request, obj, change):
        return services.training_commitment_save(actor=request.user, commitment=obj, user=request.user)

    def delete_model(self, request, obj):
        require_nation_access(request.user, obj.donor_id, what="another nation's training commitments")
        super().delete_model(request, obj)


@admin.register(Requirement)
class RequirementAdmin(AidModelAdmin):
    """The recipient's stated needs: every nation reads them; the recipient (for itself) and the cell write."""

    resource_classes = [RequirementResource]
    has_service = True
    nation_fields = ("recipient",)
    list_display = ("item", "recipient", "quantity", "period_from", "period_to", "priority")
    list_filter = ("priority", "recipient", "item__category")
    search_fields = ("item__name", "item__name_fr", "recipient__code", "notes")
    list_select_related = ("item", "recipient")
    autocomplete_fields = ("recipient", "item")

    def nation_may_add(self, scope) -> bool:
        return scope.nation_role == "recipient"

    def service_save(self, *, request, obj, change):
        # No requirement service exists: the same rule as the import (pledges.resources), one place.
        return RequirementResource(user=request.user).service_save(instance=obj, is_create=not change,
                                                                   actor=request.user)

    def delete_model(self, request, obj):
        if not self.has_delete_permission(request, obj):
            raise PermissionDenied
        super().delete_model(request, obj)


@admin.register(AidFlow)
class AidFlowAdmin(AidModelAdmin):
    """Monthly aid per donor from the Kiel tracker (public data): everyone reads, the cell writes."""

    resource_classes = [AidFlowResource]
    has_service = True
    nation_write = False
    list_display = ("nation", "month", "allocated_eur", "military_eur", "committed_eur", "to_be_allocated_eur")
    list_filter = ("month", "nation")
    search_fields = ("nation__code", "nation__name", "nation__name_fr", "source")
    list_select_related = ("nation",)
    autocomplete_fields = ("nation",)
    date_hierarchy = "month"

    def service_save(self, *, request, obj, change):
        return record_save(actor=request.user, obj=obj, user=request.user, what="tracker aid flows")
