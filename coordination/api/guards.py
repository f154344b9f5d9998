"""Input the API refuses as a 400 before any query, whatever the endpoint:

- query parameters (names and values) with control characters (C0, DEL, C1: NUL, ANSI escape codes ...);
- empty query parameters (``?format=``, ``?nation=``, ``?page_size=``): leave a parameter out instead
  (except ``ordering`` and text filters, where empty means "no filter");
- an unknown ``format``;
- integers beyond 64 bits in query parameters or path ids (ASCII digits: ``'¹'.isdigit()`` is true);
- JSON bodies nested deeper than ``MAX_BODY_DEPTH`` (no body of this API nests more than 3 levels).

Text in bodies is checked per field where every door passes: ``coordination.services.clean_values``
(NUL, which no PostgreSQL text holds, control characters, unpaired surrogates).
"""

from __future__ import annotations

import re

import django_filters
from django_filters.rest_framework import FilterSet
from rest_framework.exceptions import NotFound, ParseError, ValidationError

INT_RE = re.compile(r"[+-]?[0-9]+")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
BIGINT = 2**63 - 1
MAX_BODY_DEPTH = 32
FORMATS = ("json", "csv", "api")
CONTROL_MESSAGE = "Control characters are not allowed."


def _too_big(value: str) -> bool:
    value = value.strip()
    return bool(INT_RE.fullmatch(value)) and abs(int(value)) > BIGINT


def check_body(data, *, max_depth: int = MAX_BODY_DEPTH) -> None:
    """A parsed body is not nested too deep. Called by the parser (coordination.api.base.SafeJSONParser).

    Text is checked per field where it is used (NUL, control characters, surrogates: the services'
    ``clean_values``; nation codes and item references by their fields), so an unknown field, which is
    ignored, never refuses a request. Only the containers are visited (strings and numbers are not walked: a tenth
    of the time of a walk over every value on a 10,000-row bulk body)."""
    stack = [(data, 1)] if isinstance(data, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise ParseError(f"JSON parse error - the body is nested more than {max_depth} levels deep.")
        for sub in item.values() if isinstance(item, dict) else item:
            if isinstance(sub, dict | list):
                stack.append((sub, depth + 1))


def free_text_parameters(view) -> set[str]:
    """Parameters for which an empty value means "no filter": ``ordering`` and the text filters."""
    names = {"ordering"}
    filterset = getattr(view, "filterset_class", None)
    if filterset is None and getattr(view, "filterset_fields", None) and getattr(view, "model", None):
        filterset = type(view).__dict__.get("_aid_filterset") or FilterSet.__class__(
            "AutoFilterSet", (FilterSet,), {"Meta": type("Meta", (), {"model": view.model,
                                                                    "fields": view.filterset_fields})})
        type(view)._aid_filterset = filterset
    if filterset is not None:
        names |= {name for name, f in filterset.base_filters.items() if isinstance(f, django_filters.CharFilter)}
    return names


def query_errors(params, free_text: set[str] = frozenset()) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, values in params.lists():
        label = CONTROL_RE.sub("?", name)
        if CONTROL_RE.search(name):
            errors[label] = [CONTROL_MESSAGE]
            continue
        for value in values:
            if CONTROL_RE.search(value):
                errors[name] = [CONTROL_MESSAGE]
            elif not value.strip():
                if name not in free_text:
                    errors[name] = ["Give a value, or leave the parameter out."]
            elif name == "format" and value not in FORMATS:
                errors[name] = [f"Give one of: {', '.join(FORMATS)}."]
            elif _too_big(value):
                errors[name] = ["The number is out of range."]
    return errors


def check_request(request, kwargs: dict, view=None) -> None:
    errors = query_errors(request.query_params, free_text_parameters(view))
    if errors:
        raise ValidationError(errors)
    for value in kwargs.values():
        if isinstance(value, str) and (CONTROL_RE.search(value) or _too_big(value)):
            raise NotFound()


class GuardMixin:
    def initial(self, request, *args, **kwargs):
        check_request(request, kwargs, self)  # first: an unknown ?format= is a 400 here, not content negotiation's 404
        super().initial(request, *args, **kwargs)
