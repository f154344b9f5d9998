"""Parsing a bulk body: a JSON list of up to 10,000 rows, type-checked with one serializer instance."""

from __future__ import annotations

from django.db import transaction
from rest_framework import serializers

from coordination.services import BulkValidationError

MAX_BULK_ROWS = 10_000


def error_lists(detail) -> dict[str, list[str]]:
    """A DRF error detail as ``{field: [messages]}``."""
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for field, messages in detail.items():
            if isinstance(messages, dict):  # nested: flatten as field.sub
                for sub, sub_messages in error_lists(messages).items():
                    out[f"{field}.{sub}"] = sub_messages
            elif isinstance(messages, list):
                out[field] = [str(m) for m in messages]
            else:
                out[field] = [str(messages)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def parse_rows(data, serializer: serializers.Serializer) -> tuple[list[dict | None], dict[int, dict]]:
    """Type-check every row. Returns ``(rows, row_errors)``; a row with errors is ``None``.

    A body that is not a list, is empty or has too many rows is refused as a whole.
    """
    if not isinstance(data, list):
        raise serializers.ValidationError({"non_field_errors": ["Send a JSON list of rows."]})
    if not data:
        raise serializers.ValidationError({"non_field_errors": ["Send at least one row."]})
    if len(data) > MAX_BULK_ROWS:
        raise serializers.ValidationError(
            {"non_field_errors": [f"At most {MAX_BULK_ROWS} rows per request; got {len(data)}."]}
        )
    rows: list[dict | None] = []
    row_errors: dict[int, dict] = {}
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            row_errors[index] = {"non_field_errors": ["Each row must be a JSON object."]}
            rows.append(None)
            continue
        try:
            rows.append(serializer.run_validation(row))
        except serializers.ValidationError as exc:
            row_errors[index] = error_lists(exc.detail)
            rows.append(None)
    return rows, row_errors


def raise_if(row_errors: dict[int, dict]) -> None:
    if row_errors:
        raise BulkValidationError(row_errors)


def write_all_or_nothing(rows: list[dict | None], row_errors: dict[int, dict], write) -> list:
    """Call ``write(valid_rows)`` and report every row's errors at once: the type errors found while
    parsing and the service's domain errors (its row indexes mapped back to the request's).

    With any error the write is rolled back (the service's all-or-nothing, plus ours).
    """
    index_of = [index for index, row in enumerate(rows) if row is not None and index not in row_errors]
    valid = [rows[index] for index in index_of]
    with transaction.atomic():
        created: list = []
        if valid:
            try:
                created = write(valid)
            except BulkValidationError as exc:
                for index, errors in exc.row_errors.items():
                    row_errors[index_of[index]] = errors
        if row_errors:
            raise BulkValidationError(dict(sorted(row_errors.items())))
    return created
