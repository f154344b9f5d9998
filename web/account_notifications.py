"""Account › Notifications (the logged-in person's email preferences) and the unsubscribe link from an email."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from coordination.access import scope_for
from coordination.models import Category, Nation
from notifications import preferences
from notifications.models import Kind, NotificationPreference


class PreferenceForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send me email notifications"), required=False)
    mode = forms.ChoiceField(label=_("When"), choices=NotificationPreference.Mode.choices,
                             widget=forms.RadioSelect)
    kinds = forms.MultipleChoiceField(label=_("About"), choices=Kind.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    nations = forms.ModelMultipleChoiceField(label=_("Nations"), queryset=Nation.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple,
                                             help_text=_("None chosen: every nation."))
    categories = forms.ModelMultipleChoiceField(label=_("Categories"), queryset=Category.objects.all(),
                                                required=False, widget=forms.CheckboxSelectMultiple,
                                                help_text=_("None chosen: every category."))
    language = forms.ChoiceField(label=_("Email language"), required=False,
                                 choices=[("", _("My dashboard language")), ("en", "English"), ("fr", "Français")])

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        if scope.is_cell:
            self.fields["nations"].queryset = Nation.objects.order_by("code")
        else:  # an officer hears of their own nation only: nothing to choose
            del self.fields["nations"]


def _initial(prefs: preferences.Prefs) -> dict:
    return {"enabled": prefs.enabled, "mode": prefs.mode, "kinds": sorted(prefs.kinds),
            "nations": sorted(prefs.nation_ids), "categories": sorted(prefs.category_ids),
            "language": prefs.language}


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_notifications_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    scope = scope_for(user)
    saved = False
    if request.method == "POST":
        form = PreferenceForm(request.POST, scope=scope)
        if form.is_valid():
            data = form.cleaned_data
            try:
                preferences.preference_save(
                    user=user, enabled=data["enabled"], mode=data["mode"], kinds=data["kinds"],
                    nations=data.get("nations") or [], categories=data["categories"], language=data["language"])
                saved = True
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
    if request.method == "GET" or saved:
        form = PreferenceForm(initial=_initial(preferences.preference_get(user=user)), scope=scope)
    context = {"form": form, "saved": saved, "is_cell": scope.is_cell, "nation_code": scope.nation_code,
               "has_email": bool(user.email), "email": user.email}
    return render(request, "registration/notifications.html", context, status=400 if form.errors else 200)


@never_cache
@csrf_exempt  # the signed token in the URL is the credential; mail clients' one-click POST has no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with one button (link scanners never unsubscribe anyone). POST: email off."""
    user = preferences.unsubscribe_user(token=token)
    if user is None:
        return render(request, "registration/unsubscribe.html", {"invalid": True}, status=400)
    done = False
    if request.method == "POST":
        preferences.preference_unsubscribe(user=user)
        done = True
    return render(request, "registration/unsubscribe.html", {"done": done, "username": user.get_username()})
