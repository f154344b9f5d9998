"""Admin for the core: nations, the catalogue, users and their memberships.

Reference data (nations, categories, items) is read by every admin user and written by the cell.
Users and memberships are the cell's business only. See ``coordination.admin_base`` for the rules.
"""

from __future__ import annotations

import re

from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db.models import Case, Q, Value, When

from coordination.access import scope_for
from coordination.admin_base import AidModelAdmin, LabelledAutocompleteJsonView, ScopedAdminMixin, item_label
from coordination.models import Category, Item, Membership, Nation
from coordination.resources import CategoryResource, ItemResource, MembershipResource, NationResource
from coordination.services import record_save

admin.site.site_header = "Aid Coordination Cell"
admin.site.site_title = "Aid Coordination Cell admin"
admin.site.index_title = "Records"
# Autocompletes label items with name, unit and NSN (and other records by their readable __str__).
admin.site.autocomplete_view = lambda request: LabelledAutocompleteJsonView.as_view(admin_site=admin.site)(request)

NSN_TYPED = re.compile(r"^\d{4}-?\d{2}-?\d{3}-?\d{4}$")


class ReferenceDataAdmin(AidModelAdmin):
    """Everyone with an admin account reads; only the cell writes (``record_save``, as the API does)."""

    nation_write = False
    has_service = True

    def service_save(self, *, request, obj, change):
        return record_save(actor=request.user, obj=obj, user=request.user,
                           what=str(obj._meta.verbose_name_plural))


@admin.register(Nation)
class NationAdmin(ReferenceDataAdmin):
    resource_classes = [NationResource]
    list_display = ("code", "name", "name_fr", "role", "joined_on")
    list_filter = ("role",)
    search_fields = ("code", "name", "name_fr")
    ordering = ("name",)


@admin.register(Category)
class CategoryAdmin(ReferenceDataAdmin):
    resource_classes = [CategoryResource]
    list_display = ("name", "name_fr")
    search_fields = ("name", "name_fr")


@admin.register(Item)
class ItemAdmin(ReferenceDataAdmin):
    resource_classes = [ItemResource]
    list_display = ("name", "name_fr", "category", "unit", "nsn_formatted", "unit_value_eur")
    list_filter = ("category", "unit")
    search_fields = ("name", "name_fr", "nsn", "category__name", "category__name_fr")
    list_select_related = ("category",)
    autocomplete_fields = ("category",)

    def autocomplete_label(self, obj, *, term: str = "") -> str:
        return item_label(obj, term=term)

    def get_search_results(self, request, queryset, search_term):
        """Name matches first, then the rest (an NSN or category match): a search for "155" lists the
        155 mm items before an AMRAAM whose NSN happens to hold 155. An NSN typed as people write it
        (1320-01-234-5678) finds the stored 13 digits."""
        term = search_term.strip()
        if NSN_TYPED.match(term):
            return queryset.filter(nsn=term.replace("-", "")), False
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if term:
            queryset = queryset.annotate(
                name_match=Case(When(Q(name__icontains=term) | Q(name_fr__icontains=term), then=Value(0)),
                                default=Value(1))
            ).order_by("name_match", "name")
        return queryset, may_have_duplicates

    @admin.display(description="NSN", ordering="nsn")
    def nsn_formatted(self, obj):
        return obj.nsn_display or "—"



class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    autocomplete_fields = ("nation",)
    extra = 1
    max_num = 1

    def _cell(self, request) -> bool:
        return ScopedAdminMixin.scope(request).is_cell

    def has_view_permission(self, request, obj=None) -> bool:
        return self._cell(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return self._cell(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._cell(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(AidModelAdmin):
    resource_classes = [MembershipResource]
    cell_only = True
    nation_write = False
    list_display = ("user", "is_cell", "nation", "language")
    list_filter = ("is_cell", "nation")
    search_fields = ("user__username", "user__email", "nation__code", "nation__name", "nation__name_fr")
    list_select_related = ("user", "nation")
    autocomplete_fields = ("user", "nation")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    """Accounts, with where each user belongs (the cell or one nation) inline. The cell only."""

    cell_only = True
    nation_write = False
    form = UserChangeForm
    inlines = [MembershipInline]
    list_display = ("username", "email", "is_staff", "is_active", "membership_display", "last_login")
    list_select_related = ("membership__nation",)
    list_filter = ("is_staff", "is_active", "membership__is_cell", "membership__nation")

    @admin.display(description="belongs to")
    def membership_display(self, obj):
        membership = getattr(obj, "membership", None)
        if membership is None:
            return "—"
        return "the cell" if membership.is_cell else str(membership.nation)

    def revert_disabled(self, request, obj=None) -> bool:  # no history admin here
        return True

    def get_readonly_fields(self, request, obj=None):
        """Cell staff manage accounts, but only a superuser grants superuser status or model permissions."""
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "groups", "user_permissions"]
        return fields


import coordination.api.admin  # noqa: E402,F401  (API token admin lives with the API)

# --- Login lockouts (django-axes): visible to the cell, which may lift one by deleting it ---------

def _lockout_admin(base):
    class CellLockoutAdmin(base):
        """Coordinators see failed-login records and lockouts without Django model permissions."""

        def _is_cell(self, request) -> bool:
            return scope_for(request.user).is_cell

        def has_module_permission(self, request) -> bool:
            return self._is_cell(request)

        def has_view_permission(self, request, obj=None) -> bool:
            return self._is_cell(request)

        def has_delete_permission(self, request, obj=None) -> bool:
            return self._is_cell(request)

    CellLockoutAdmin.__name__ = f"Cell{base.__name__}"
    return CellLockoutAdmin


def _register_lockout_admins() -> None:
    for model, base in ((AccessAttempt, axes_admin.AccessAttemptAdmin), (AccessLog, axes_admin.AccessLogAdmin),
                        (AccessFailureLog, axes_admin.AccessFailureLogAdmin)):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
        admin.site.register(model, _lockout_admin(base))


_register_lockout_admins()
