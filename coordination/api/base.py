"""The base viewset every API resource uses (NetBox style).

- ``get_queryset`` goes through ``Model.objects.restrict(user, "view")`` and applies the
  ``select_related``/``prefetch_related`` the serializer needs, so a list costs a fixed number of queries.
- Another nation's object is a 404 (it is not in the restricted queryset).
- Writes: the serializer type-checks, the service validates and writes, under ``write()`` which names
  the writer in history and honours ``Idempotency-Key``.
- Ordering always ends with the primary key (filters.StableOrderingFilter), so pagination is stable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db import models
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from coordination.access import VIEW, Scope, scope_for
from coordination.api.attribution import attributed_write, now, service_user, stamp_history
from coordination.api.idempotency import idempotent


class ApiViewSet(viewsets.GenericViewSet):
    model: type[models.Model]
    select_related: Iterable[str] = ()
    prefetch_related: Iterable[str] = ()
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        qs = self.model.objects.restrict(self.request.user, VIEW)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)

    def write(self, request, do: Callable[[], Response]) -> Response:
        """Run a write: idempotency, history attribution."""
        def run() -> Response:
            with attributed_write(request.user):
                return do()
        return idempotent(request, run) if request.method == "POST" else run()

    def stamp(self, model: type[models.Model], objs, since) -> None:
        stamp_history(model, [o.pk for o in objs], user=self.request.user, since=since)

    @property
    def service_user(self):
        return service_user(self.request.user)

    started = staticmethod(now)


class ReadOnlyApiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


def own_nation(user, scope: Scope):
    """The caller's own Nation row (no query for a token client)."""
    from coordination.api.authentication import ApiClient
    from coordination.models import Nation

    if isinstance(user, ApiClient):
        return user.nation
    return Nation.objects.get(pk=scope.nation_id)
