"""Admin for API tokens (lives with the API; imported by coordination/admin.py).

Only the cell sees and manages tokens. A token is created here (or with ``manage.py issue_token``);
its key is shown once, in the confirmation message, and only its hash is stored. Tokens are never
edited: they are revoked (action) and replaced.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from coordination.access import scope_for
from coordination.api.tokens import token_issue, token_revoke, token_status
from coordination.models import ApiToken


class ApiTokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["nation", "name", "expires_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    form = ApiTokenForm
    list_display = ["name", "nation", "prefix", "status", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["nation", "revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "nation__code", "nation__name", "nation__name_fr"]
    list_select_related = ["nation"]
    readonly_fields = ["prefix", "created_by", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def _is_cell(self, request) -> bool:
        return scope_for(request.user).is_cell

    def has_module_permission(self, request):
        return self._is_cell(request)

    def has_view_permission(self, request, obj=None):
        return self._is_cell(request)

    def has_add_permission(self, request):
        return self._is_cell(request)

    def has_change_permission(self, request, obj=None):
        return False  # revoke and issue a new one instead

    def has_delete_permission(self, request, obj=None):
        return False  # kept for the audit trail

    def get_fields(self, request, obj=None):
        return ["nation", "name", "expires_at"] if obj is None else [
            "nation", "name", "prefix", "created_by", "created_at", "expires_at", "last_used_at", "revoked_at"]

    @admin.display(description="status")
    def status(self, obj: ApiToken) -> str:
        return token_status(obj)

    def save_model(self, request, obj, form, change):
        if change:  # pragma: no cover - change is not permitted
            return
        token, key = token_issue(nation=form.cleaned_data["nation"], name=form.cleaned_data["name"],
                                 expires_at=form.cleaned_data.get("expires_at"), created_by=request.user)
        obj.pk = token.pk
        obj.prefix = token.prefix
        messages.warning(request, format_html(
            "Token for {} created. Copy the key now; it will not be shown again: <code>{}</code>",
            token.nation.code, key,
        ))

    def response_add(self, request, obj, post_url_continue=None):
        # No "saved successfully" link to a change form: go back to the list, the key is in the message.
        return HttpResponseRedirect(reverse("admin:coordination_apitoken_changelist"))

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        if not self._is_cell(request):
            return
        for token in queryset:
            token_revoke(token_id=token.pk, user=request.user)
        messages.success(request, f"Revoked {queryset.count()} token(s).")
