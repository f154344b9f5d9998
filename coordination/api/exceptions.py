"""Errors are JSON with field-level messages; bad input is a 4xx, never a 500."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coordination.services import BulkValidationError, messages_of

logger = logging.getLogger(__name__)


def bulk_errors_body(row_errors: dict[int, dict[str, list[str]]]) -> dict:
    return {"detail": f"{len(row_errors)} row(s) have errors; nothing was written.",
            "errors": {str(index): errors for index, errors in sorted(row_errors.items())}}


def exception_handler(exc, context):
    if isinstance(exc, BulkValidationError):
        return Response(bulk_errors_body(exc.row_errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(messages_of(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, IntegrityError | DataError):
        # A concurrent write won a race the service had already checked for, or a value out of range.
        logger.info("API write refused by the database: %s", exc)
        return Response({"detail": "The database refused this write (a conflicting or out-of-range value); "
                                   "nothing was written."}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
