"""Who wrote it: history rows written through the API name the token (or user) that wrote them.

Services take ``user=`` (a Django user, recorded as ``history_user``). A token is not a user, so for
token clients the history row's ``history_change_reason`` names the token and its nation, and the
request is hidden from django-simple-history's middleware context for the duration of the write
(otherwise it would try to store the token client as the history user).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from coordination.api.authentication import ApiClient


def service_user(user):
    """The user to pass to a service's ``user=``: a real Django user, or None for a token."""
    return user if isinstance(user, get_user_model()) else None


def change_reason(user) -> str:
    if isinstance(user, ApiClient):
        return f"API token #{user.token.pk} {user.token.name!r} ({user.nation.code})"[:100]
    return "API"


@contextmanager
def attributed_write(user) -> Iterator[None]:
    context = HistoricalRecords.context
    missing = object()
    saved = getattr(context, "request", missing)
    if isinstance(user, ApiClient) and saved is not missing:
        context.request = None
    try:
        yield
    finally:
        if saved is not missing:
            context.request = saved


def stamp_history(model: type[models.Model], pks: Iterable[int], *, user, since) -> None:
    """Name the writer on the history rows just written for ``pks`` (chunked UPDATEs)."""
    history = getattr(model, "history", None)
    if history is None:
        return
    reason = change_reason(user)
    pks = list(pks)
    for start in range(0, len(pks), 2000):
        history.filter(id__in=pks[start:start + 2000], history_date__gte=since).update(
            history_change_reason=reason
        )


def now():
    return timezone.now()
