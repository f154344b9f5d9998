"""Parsing a bulk body: a JSON list of up to 10,000 rows, type-checked with one serializer instance (and,
for the common well-formed row, a serializer's own shortcut that gives the same result)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction
from rest_framework import serializers

from coordination.services import BulkValidationError

MAX_BULK_ROWS = 10_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a bulk body is parsed, checked and written.

    A 10,000-row request makes a few hundred thousand objects that live until it ends; while they pile
    up the collector runs hundreds of times and, once or twice, over the whole process (0.05 s quiet to
    0.9 s under load, measured: up to a fifth of the request). They are freed by reference counting when
    the request is done; any cycle among them waits for the collector's next run once it resumes (when
    the block ends, also on an error). It is process-wide: a block started while it was already off
    leaves it off; with threads, one block's end turns it back on for all (harmless: it only runs)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


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


def parse_rows(data, serializer: serializers.Serializer, fast: Callable[[dict], dict | None] | None = None,
               ) -> tuple[list[dict | None], dict[int, dict]]:
    """Type-check every row. Returns ``(rows, row_errors)``; a row with errors is ``None``.

    A body that is not a list, is empty or has too many rows is refused as a whole.

    ``fast(row)``: the serializer's validated data for a row it can vouch for without running the
    serializer (plain types, already in their final form), else None, and the row goes through
    ``serializer.run_validation``: every error, and its message, still comes from the serializer.
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
        if fast is not None and (valid := fast(row)) is not None:
            rows.append(valid)
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
