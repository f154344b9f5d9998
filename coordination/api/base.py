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

from django.db import models, transaction
from django.http import Http404
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.access import VIEW, Scope, scope_for
from coordination.api.attribution import attributed_write, now, service_user, stamp_history
from coordination.api.authentication import ApiClient
from coordination.api.filters import parse_id
from coordination.api.guards import GuardMixin, check_body
from coordination.api.idempotency import idempotent
from coordination.api.serializers import item_resolve
from coordination.models import Nation
from coordination.services import record_save


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, plus: a body nested deeper than ``guards.MAX_BODY_DEPTH`` levels (or than
    Python's recursion limit) or holding NUL characters is a 400, checked once here without recursion,
    so nothing downstream (serializers, the idempotency hash, logs) walks a hostile structure."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - the body is nested too deeply.") from None
        check_body(data)
        return data


class ApiViewSet(GuardMixin, viewsets.GenericViewSet):
    model: type[models.Model]
    select_related: Iterable[str] = ()
    prefetch_related: Iterable[str] = ()
    lookup_value_regex = "[^/]+"  # anything: a malformed id is a JSON 404 from get_object, not an HTML one
    parser_classes = [SafeJSONParser]

    def get_queryset(self):
        qs = self.model.objects.restrict(self.request.user, VIEW)
        if self.select_related:
            qs = qs.select_related(*self.select_related)
        if self.prefetch_related:
            qs = qs.prefetch_related(*self.prefetch_related)
        return qs

    def get_object(self):
        value = str(self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, ""))
        if self.lookup_field == "pk" and parse_id(value) is None:
            raise Http404
        return super().get_object()

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)

    def write(self, request, do: Callable[[], Response]) -> Response:
        """Run a write in one transaction (the service's write and its history attribution together),
        with ``Idempotency-Key`` handling for POST."""
        def run() -> Response:
            with transaction.atomic(), attributed_write(request.user):
                return do()
        return idempotent(request, run) if request.method == "POST" else run()

    def stamp(self, model: type[models.Model], objs, since) -> None:
        stamp_history(model, [o.pk for o in objs], user=self.request.user, since=since)

    @property
    def service_user(self):
        return service_user(self.request.user)

    started = staticmethod(now)


class ApiView(GuardMixin, APIView):
    """A plain API view (summaries) with the same input guards."""

    parser_classes = [SafeJSONParser]


class ReadOnlyApiViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    pass


class RecordWriteMixin:
    """POST and PATCH for models written with ``coordination.services.record_save``.

    ``owner_field``: the nation field a national client may write its own records for (taken from
    the token; the cell names it); None: the cell only. ``after_save``: the recompute hook.
    """

    write_serializer_class = None
    owner_field: str | None = None
    write_what = "these records"

    def after_save(self, obj) -> None:
        return None

    def prepare(self, data: dict) -> dict:
        if "item" in data and not hasattr(data["item"], "pk"):
            data["item"] = item_resolve(data["item"])
        return data

    def _save(self, obj):
        since = self.started()
        obj = record_save(actor=self.scope, obj=obj, user=self.service_user, owner_field=self.owner_field,
                          after=self.after_save, what=self.write_what)
        self.stamp(type(obj), [obj], since)
        return obj

    def create(self, request, *args, **kwargs):
        def do():
            data = self.write_serializer_class(data=request.data)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            if self.owner_field:
                values[self.owner_field] = writer_nation(self, values.pop(self.owner_field, None),
                                                         field=self.owner_field)
            obj = self._save(self.model(**self.prepare(values)))
            return Response(self.get_serializer(obj).data, status=201)
        return self.write(request, do)

    def partial_update(self, request, *args, **kwargs):
        def do():
            obj = self.get_object()
            data = self.write_serializer_class(obj, data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            values = dict(data.validated_data)
            if self.owner_field and not self.scope.is_cell:
                refuse_foreign_nation(self.scope, values.pop(self.owner_field, None), self.owner_field)
            for name, value in self.prepare(values).items():
                setattr(obj, name, value)
            return Response(self.get_serializer(self._save(obj)).data)
        return self.write(request, do)


def foreign_nation_message(scope: Scope, field: str) -> str:
    return (f"You write for {scope.nation_code} only: leave {field} out or give {scope.nation_code}; "
            f"nothing was written.")


def refuse_foreign_nation(scope: Scope, named, field: str) -> None:
    """A national client (token or officer) that names a nation in a nation-bound field must name its
    own: another nation's code is a 400 on that field, never silently re-assigned (a client that sends
    the wrong nation has a bug or is probing). ``named``: a Nation, a code, or None (not given)."""
    if scope.is_cell or named is None:
        return
    code = getattr(named, "code", named)
    if not isinstance(code, str) or code.strip().upper() != scope.nation_code:
        raise serializers.ValidationError({field: [foreign_nation_message(scope, field)]})


def refuse_foreign_nation_in(view, data, field: str) -> None:
    """The same rule for a change (PATCH/PUT) whose serializer has no such field: a body that names
    another nation in ``field`` is refused rather than the field being ignored."""
    if isinstance(data, dict) and data.get(field) is not None:
        refuse_foreign_nation(view.scope, data[field], field)


def writer_nation(view, named, field: str = "nation"):
    """The nation a new record belongs to: the caller's own (naming another is refused); the cell names it."""
    scope = view.scope
    if scope.is_cell:
        if named is None:
            raise serializers.ValidationError({field: ["The cell must name the nation (its code)."]})
        return named
    refuse_foreign_nation(scope, named, field)
    return own_nation(view.request.user, scope)


def own_nation(user, scope: Scope):
    """The caller's own Nation row (no query for a token client)."""
    if isinstance(user, ApiClient):
        return user.nation
    return Nation.objects.get(pk=scope.nation_id)
