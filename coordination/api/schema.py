"""Shared OpenAPI pieces: the error bodies every endpoint may answer with, and the Idempotency-Key header."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

FIELD_ERRORS = inline_serializer("FieldErrors", {
    "field_name": serializers.ListField(child=serializers.CharField(), required=False,
                                        help_text="Messages for one field (one key per field with errors)."),
    "non_field_errors": serializers.ListField(child=serializers.CharField(), required=False),
})
DETAIL = inline_serializer("ErrorDetail", {"detail": serializers.CharField()})
BULK_ERRORS = OpenApiResponse(
    response=inline_serializer("BulkErrors", {
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
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
