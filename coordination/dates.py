"""The dates every date field accepts: one window, one message, used by every model.

A date outside ``settings.DATE_WINDOW_START`` .. today + ``settings.DATE_WINDOW_YEARS_AHEAD`` years is a
typing error (0001-01-01, 9999-12-31) that no record means, and that the shortfall projection cannot
compute with (months after year 9999 do not exist). The validators sit on the model fields, so
``full_clean`` (every service, the admin, CSV import, the commands) and the API's serializers refuse such
a date with a message that names the window. A stock report is never dated in the future.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_window(*, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day a date field accepts."""
    today = today or timezone.localdate()
    return settings.DATE_WINDOW_START, _add_years(today, settings.DATE_WINDOW_YEARS_AHEAD)


def date_problem(value, *, not_after_today: bool = False, today: dt.date | None = None) -> str | None:
    """Why ``value`` is refused (a message naming the window), or None. Non-dates are left to the field."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return None
    today = today or timezone.localdate()
    first, last = date_window(today=today)
    if not_after_today:
        last = min(last, today)
    if first <= value <= last:
        return None
    if not_after_today and value > today:
        return _("This cannot be dated in the future: give a date from %(first)s to %(last)s (today).") % {
            "first": first.isoformat(), "last": last.isoformat()}
    return _("Give a date from %(first)s to %(last)s.") % {"first": first.isoformat(), "last": last.isoformat()}


def validate_date_window(value) -> None:
    """Field validator: the date is within the window."""
    problem = date_problem(value)
    if problem:
        raise ValidationError(problem, code="date_window")


def validate_past_date_window(value) -> None:
    """Field validator: the date is within the window and not after today (a stock report)."""
    problem = date_problem(value, not_after_today=True)
    if problem:
        raise ValidationError(problem, code="date_window")


# A nation's accession date is history (NATO's founders joined in 1949): its window starts earlier.
HISTORIC_START = dt.date(1900, 1, 1)


def validate_historic_date_window(value) -> None:
    """Field validator for a historical date (a nation's accession): from 1900-01-01 to the window's end."""
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return
    last = date_window()[1]
    if not HISTORIC_START <= value <= last:
        raise ValidationError(_("Give a date from %(first)s to %(last)s.") % {
            "first": HISTORIC_START.isoformat(), "last": last.isoformat()}, code="date_window")


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in the current time zone: a record made on ``day`` is before it
    (``made_at < end_of_day(day)``), so "as of ``day``" takes in the whole day."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
