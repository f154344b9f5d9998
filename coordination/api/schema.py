"""Shared OpenAPI pieces: the error bodies every endpoint may answer with, and the Idempotency-Key header."""

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from coordination.dates import date_window

FIELD_ERRORS = inline_serializer("FieldErrors", {
    "field_name": serializers.ListField(child=serializers.CharField(), required=False,
                                        help_text="Messages for one field (one key per field with errors)."),
    "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
})
DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField(required=False)})
BULK_ERRORS = OpenApiResponse(
    response=inline_serializer("BulkErrors", {
        "detail": serializers.CharField(required=False),
        "errors": serializers.DictField(required=False,
            child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
            help_text="Row index (from 0) → {field: [messages]}. Nothing was written.",
        ),
    }),
    description="Some rows are invalid (or the body is not a list of 1 to 10,000 rows); nothing was written.",
)
ERRORS = {
    400: OpenApiResponse(FIELD_ERRORS, description="Invalid input: messages per field. Nothing was written."),
    401: OpenApiResponse(DETAIL, description="No, or an invalid, expired or revoked, token."),
    403: OpenApiResponse(DETAIL, description="You may not change this record (another nation's)."),
    404: OpenApiResponse(DETAIL, description="No such record, or not visible to you."),
    409: OpenApiResponse(DETAIL, description="A request with the same Idempotency-Key is still in progress, "
                                             "or a concurrent write conflicted."),
    422: OpenApiResponse(DETAIL, description="This Idempotency-Key was used with a different body."),
    429: OpenApiResponse(DETAIL, description="Too many requests from this client; retry after the given time."),
}
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
    description="Any unique string (e.g. a UUID) per logical request. Retrying with the same key and body "
                "replays the first response instead of writing again.",
)


def write_schema(write, read):
    """Schema for a viewset's POST (create) and PATCH (partial_update)."""
    return extend_schema_view(
        create=extend_schema(request=write, parameters=[IDEMPOTENCY_KEY], responses={201: read, **ERRORS}),
        partial_update=extend_schema(request=write, responses={200: read, **ERRORS}),
    )


GENERIC_ERRORS = {
    "400": "Invalid input or query parameters: messages per field. Nothing was written.",
    "401": "No, or an invalid, expired or revoked, token.",
    "403": "Not allowed: another nation's record, or a write only the cell may make.",
    "404": "No such record, or not visible to you.",
    "429": "Too many requests from this client; retry after the number of seconds in Retry-After.",
}
WRITE_ONLY_ERRORS = {
    "409": "A request with the same Idempotency-Key is still in progress, or a concurrent write conflicted.",
    "415": "The body must be JSON (Content-Type: application/json).",
    "422": "This Idempotency-Key was already used with a different request body.",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: every /api/v1/ operation documents the error answers it can give."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", {
        "type": "object",
        "description": "An error. `detail` for request-level errors; one key per field (a list of messages) "
                       "for invalid input; `errors` (row index → field messages) for a bulk request.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": True,
    })
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = dict(GENERIC_ERRORS)
            if method in ("post", "put", "patch"):
                codes.update(WRITE_ONLY_ERRORS)
            responses = operation.setdefault("responses", {})
            for code, description in codes.items():
                responses.setdefault(code, {"content": {"application/json": {"schema": ref}},
                                            "description": description})
    return result


# --- The schema states what the server enforces (schemathesis checks both ways: tests/api/test_schemathesis.py) --

BIGINT = 2**63 - 1
# Text without control characters (C0, DEL, C1): coordination.services.text_problem (bodies) and
# coordination.api.guards (query parameters). One-line fields refuse tab and line breaks too. Written with
# \xNN escapes only, which Python, ECMA and Rust regex engines (schemathesis validates with one) all read.
_LINE = r"[^\x00-\x1f\x7f-\x9f]"
_TEXT = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
# White space as Python's str.strip() sees it, spelled out (ECMA and Python disagree on \s).
_SPACE = r" \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_LINE_SOLID = rf"[^{_SPACE}\x00-\x1f\x7f-\x9f]"
_TEXT_SOLID = _LINE_SOLID
LINE_PATTERN = f"^{_LINE}*$"
TEXT_PATTERN = f"^{_TEXT}*$"
# Not blank: DRF trims surrounding white space before checking a required text is not empty.
LINE_PATTERN_NOT_BLANK = f"^{_LINE}*{_LINE_SOLID}{_LINE}*$"
TEXT_PATTERN_NOT_BLANK = f"^{_TEXT}*{_TEXT_SOLID}{_TEXT}*$"
MULTI_LINE_FIELDS = {"notes"}
# Idempotency-Key: 1 to 255 visible ASCII characters, spaces only inside (coordination.api.idempotency).
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_DECIMAL_RE = __import__("re").compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _text_rule(schema: dict, *, multiline: bool) -> None:
    if schema.get("type") != "string" or any(k in schema for k in ("enum", "format", "pattern", "$ref")):
        return
    if schema.get("minLength", 0) >= 1:
        schema["pattern"] = TEXT_PATTERN_NOT_BLANK if multiline else LINE_PATTERN_NOT_BLANK
    else:
        schema["pattern"] = TEXT_PATTERN if multiline else LINE_PATTERN


def _number_rule(schema: dict) -> None:
    if schema.get("type") == "integer":
        schema.setdefault("maximum", BIGINT)
        schema.setdefault("minimum", -BIGINT)
    elif schema.get("type") == "string" and schema.get("format") == "decimal":
        # Money: never negative in this API (min_value=0 on every decimal input); at least one digit.
        match = _DECIMAL_RE.match(schema.get("pattern", ""))
        if match:
            schema["pattern"] = f"^[0-9]{{1,{match[1]}}}(?:\\.[0-9]{{1,{match[2]}}})?$"


def date_years_pattern() -> str:
    """The years of the date window every date field accepts (coordination.dates), as a pattern. The last
    year is left out: the window ends on today's day of that year, which a pattern cannot state."""
    first, last = date_window()
    years = "|".join(str(year) for year in range(first.year, last.year))
    return rf"^({years})-"


def _date_rule(schema: dict) -> None:
    if schema.get("type") == "string" and schema.get("format") == "date" and "pattern" not in schema:
        schema["pattern"] = date_years_pattern()


def _walk_schema(schema, *, name: str | None = None) -> None:
    """Every (nested) schema of a request body: text and number rules."""
    if not isinstance(schema, dict):
        return
    _number_rule(schema)
    _text_rule(schema, multiline=name in MULTI_LINE_FIELDS)
    _date_rule(schema)
    for prop, sub in (schema.get("properties") or {}).items():
        _walk_schema(sub, name=prop)
    if isinstance(schema.get("items"), dict):
        _walk_schema(schema["items"], name=name)
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            _walk_schema(sub, name=name)


def _parameter_rule(parameter: dict) -> None:
    schema = parameter.setdefault("schema", {})
    if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
        schema.update({"type": "string", "minLength": 1, "maxLength": 255, "pattern": IDEMPOTENCY_KEY_PATTERN})
        return
    if parameter.get("in") == "path":
        # ids: ASCII digits 1..2**63-1 (anything else is a JSON 404); nation codes: letters.
        if schema.get("type") == "integer":
            schema.update({"minimum": 1, "maximum": BIGINT})
        return
    if parameter.get("in") != "query":
        return
    # Free text (ordering, text filters): no control characters; empty means "no filter". Typed parameters
    # given empty are refused (coordination.api.guards); their type, format, enum or pattern says so.
    target = schema["items"] if schema.get("type") == "array" and isinstance(schema.get("items"), dict) else schema
    _number_rule(target)
    if target.get("type") == "string" and not any(k in target for k in ("enum", "format", "pattern")):
        target["pattern"] = LINE_PATTERN


def align_with_server(result, generator, request, public):
    """Postprocessing hook: state in the schema the rules the server enforces (string rules, number bounds,
    the Idempotency-Key format), so that what the schema calls valid is accepted and what it calls invalid
    is refused. Page bounds come from coordination.api.pagination, nation codes from the filters' and
    fields' own schema."""
    schemas = result.get("components", {}).get("schemas", {})
    for name, schema in schemas.items():
        if name.endswith("Request"):
            _walk_schema(schema)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                _parameter_rule(parameter)
    return result
