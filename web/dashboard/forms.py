"""Dashboard forms: the as-of date picker. (The pledge filters are pledges.filtersets.PledgeFilterSet.)"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("Numbers as of"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for the latest stored figures; pick a past date for a briefing snapshot."),
    )

    def clean_as_of(self) -> dt.date | None:
        value = self.cleaned_data.get("as_of")
        today = timezone.localdate()
        if value is not None and value > today:
            raise forms.ValidationError(_("Pick today or a past date."))
        if value is not None and value < dt.date(1949, 4, 4):
            raise forms.ValidationError(_("Pick a date after 1949-04-04."))
        return None if value == today else value

    def as_of_date(self) -> dt.date | None:
        """The past date asked for, or None for today's stored figures (also when the input is invalid)."""
        return self.cleaned_data.get("as_of") if self.is_valid() else None
