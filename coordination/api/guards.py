"""Input the database cannot take, refused as a 400 before any query: integers beyond 64 bits in
query parameters or path ids, and NUL characters (PostgreSQL text cannot hold them)."""

from __future__ import annotations

import re

from rest_framework.exceptions import NotFound, ValidationError

INT_RE = re.compile(r"^[+-]?\d+$")
BIGINT = 2**63 - 1


def _too_big(value: str) -> bool:
    return bool(INT_RE.match(value.strip())) and abs(int(value)) > BIGINT


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def check_request(request, kwargs: dict) -> None:
    errors: dict[str, list[str]] = {}
    for name, values in request.query_params.lists():
        for value in values:
            if "\x00" in value or "\x00" in name:
                errors[name] = ["NUL characters are not allowed."]
            elif _too_big(value):
                errors[name] = ["The number is out of range."]
    if errors:
        raise ValidationError(errors)
    for value in kwargs.values():
        if isinstance(value, str) and ("\x00" in value or _too_big(value)):
            raise NotFound()
    if request.method in ("POST", "PUT", "PATCH") and _has_nul(request.data):
        raise ValidationError({"non_field_errors": ["NUL characters are not allowed."]})


class GuardMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_request(request, kwargs)
