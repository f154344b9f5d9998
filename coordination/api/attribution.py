"""Who wrote it: history rows written through the API name the token (or user) that wrote them.

Services take ``user=`` (a Django user, recorded as ``history_user``). A token is not a user, so for
token clients the history row's ``history_change_reason`` names the token and its nation, and the
request is hidden from django-simple-history's middleware context for the duration of the write
(otherwise it would try to store the token client as the history user).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone

from coordination.api.authentication import ApiClient
from coordination.history import background_attribution


def service_user(user):
    """The user to pass to a service's ``user=``: a real Django user, or None for a token."""
    return user if isinstance(user, get_user_model()) else None


def change_reason(user) -> str:
    if isinstance(user, ApiClient):
        return f"API token #{user.token.pk} {user.token.name!r} ({user.nation.code})"[:100]
    return "API"


@contextmanager
def attributed_write(user) -> Iterator[None]:
    """A token client is no Django user (``history_user`` refuses it): its writes run without
    simple-history's request context, as background work does, and ``stamp_history`` names the token."""
    with background_attribution() if isinstance(user, ApiClient) else nullcontext():
        yield


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
