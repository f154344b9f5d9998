"""Shared OpenAPI pieces: the error bodies every endpoint may answer with, and the Idempotency-Key header."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

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
    from drf_spectacular.utils import extend_schema, extend_schema_view

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
