"""Page-number pagination with a client-chosen page size (bounded); keyset (cursor) pagination for the
lists that grow to millions of rows (``KeysetPagination``: stock reports, deliveries, pledges).

``page`` is a whole number from 1 and ``page_size`` one from 1 to ``max_page_size`` (ASCII digits);
anything else is a 400 naming the parameter, not a silent default. A page beyond the last is a 404.
"""

import base64
import binascii
import datetime as dt
import json
from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.db.models import Q
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from coordination.api.filters import parse_id


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()

    def _number(self, request, name: str, maximum: int | None = None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        number = parse_id(raw)
        if number is None or (maximum is not None and number > maximum):
            bound = f"1 to {maximum}" if maximum else "1 or more"
            raise ValidationError({name: [f"Give a whole number, {bound}."]})
        return number

    def paginate_queryset(self, queryset, request, view=None):
        self._number(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        return self._number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def paginate_counted(self, request, fetch) -> list:
        """A page of a list its caller reads itself in one query that counts as it reads (``fetch(offset,
        limit) -> (rows, how many in all)``; the count may be 0 past the last page): the same parameters,
        errors (400, a 404 past the last page) and ``get_paginated_response`` as a queryset's page."""
        number = self._number(request, self.page_query_param) or 1
        size = self.get_page_size(request)
        rows, total = fetch((number - 1) * size, size)
        paginator = self.django_paginator_class([], size)
        paginator.count = total  # known from the read: no COUNT query
        try:
            self.page = paginator.page(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        self.page.object_list = rows
        self.request = request
        return rows

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            if parameter["name"] == self.page_query_param:
                schema.update({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
            elif parameter["name"] == self.page_size_query_param:
                schema.update({"type": "integer", "minimum": 1, "maximum": self.max_page_size})
        return parameters


# --- Keyset (cursor) pagination, for the lists that grow to millions of rows --------------------------

class KeysetPagination(ApiPagination):
    """Cursor pagination on the list's ordering (``?ordering=``, always ending with the primary key):
    ``next`` carries the last row's sort key, and the next page is read with ``WHERE (key) after it`` on the
    index, so page 5,000 costs what page 1 does and no ``count(*)`` runs. The response is
    ``{"next", "previous", "results"}``: no ``count`` (use the filters to narrow; a count over millions of
    rows is the slow part).

    The old ``?page=N`` is still answered for N up to ``max_page`` (an OFFSET that small is cheap); beyond
    that it is a 400 telling the client to follow ``next``. An ordering on a field that may be empty (a
    date not yet known) has no strict order for a key: its cursor carries an offset instead (documented).
    """

    cursor_query_param = "cursor"
    max_page = 50

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size_now = self.get_page_size(request)
        page = self._number(request, self.page_query_param)
        cursor = request.query_params.get(self.cursor_query_param)
        if page is not None and page > self.max_page:
            raise ValidationError({self.page_query_param: [
                f"Page numbers above {self.max_page} are no longer served: this list uses cursor pagination. "
                f"Start without 'page' and follow the 'next' link of each response."]})
        self.keys = _ordering_keys(queryset)
        offset = 0
        if cursor is not None:
            state = _decode_cursor(cursor, self.keys)
            if "o" in state:
                offset = state["o"]
            else:
                queryset = queryset.filter(_after(self.keys, state["k"]))
        elif page is not None:
            offset = (page - 1) * self.page_size_now
        rows = list(queryset[offset:offset + self.page_size_now + 1])
        self.has_next = len(rows) > self.page_size_now
        rows = rows[:self.page_size_now]
        self.next_state = None
        if self.has_next:
            self.next_state = ({"o": offset + self.page_size_now} if self.keys is None
                               else {"k": _key_of(rows[-1], self.keys)})
        return rows

    def get_next_link(self):
        if self.next_state is None:
            return None
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, _encode_cursor(self.next_state))

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": None, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object", "required": ["results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri",
                         "description": "The next page (a cursor URL); null on the last page."},
                "previous": {"type": "string", "nullable": True, "description": "Always null: follow next."},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["maximum"] = self.max_page
                parameter["deprecated"] = True
                parameter["description"] = (f"Deprecated: pages 1 to {self.max_page} only; beyond that a 400. "
                                            "Follow the 'next' link instead.")
        parameters.append({
            "name": self.cursor_query_param, "required": False, "in": "query",
            "description": "The position to continue from: take it from the 'next' link, never build it.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 2000, "pattern": "^[A-Za-z0-9_-]+$"},
        })
        return parameters


def _field_of(model, path: str):
    field = None
    for part in path.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        model = field.related_model or model
    return field


def _ordering_keys(queryset) -> list[tuple[str, bool, object]] | None:
    """(path, descending, field) per ordering term; None when a term is not a plain non-empty field
    (then the cursor is an offset)."""
    keys = []
    for term in list(queryset.query.order_by) or list(queryset.model._meta.ordering):
        if not isinstance(term, str):
            return None
        path = term.lstrip("-")
        try:
            field = _field_of(queryset.model, path)
        except FieldDoesNotExist:  # an annotation: no key
            return None
        if field.null or field.is_relation:
            return None
        keys.append((path, term.startswith("-"), field))
    return keys or None


def _key_of(obj, keys) -> list:
    """The row's sort key, JSON-ready (dates and times in ISO 8601 with every digit, decimals as text)."""
    values = []
    for path, _desc, _field in keys:
        value = obj
        for part in path.split("__"):
            value = value.pk if part == "pk" else getattr(value, part)
        if isinstance(value, (dt.date, dt.datetime)):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        values.append(value)
    return values


def _after(keys, values):
    """Rows after ``values`` in the order ``keys``: (a > x) or (a = x and b > y) or ..."""
    condition = Q(pk__in=[])
    equal = Q()
    for (path, desc, _field), value in zip(keys, values, strict=True):
        condition |= equal & Q(**{f"{path}__{'lt' if desc else 'gt'}": value})
        equal &= Q(**{path: value})
    return condition


def _encode_cursor(state: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(raw: str, keys) -> dict:
    invalid = ValidationError({"cursor": ["Invalid cursor: take it from a 'next' link, unchanged."]})
    if len(raw) > 2000 or not raw.replace("-", "").replace("_", "").isalnum() or not raw.isascii():
        raise invalid
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid from None
    if not isinstance(state, dict):
        raise invalid
    if "o" in state:
        if not isinstance(state["o"], int) or state["o"] < 0 or state["o"] > 2**62:
            raise invalid
        return state
    values = state.get("k")
    if keys is None or not isinstance(values, list) or len(values) != len(keys):
        raise invalid  # a cursor of another ordering
    try:
        state["k"] = [field.to_python(value) for (_p, _d, field), value in zip(keys, values, strict=True)]
    except (DjangoValidationError, TypeError, ValueError):
        raise invalid from None
    return state
