"""Errors are JSON with field-level messages; bad input is a 4xx, never a 500."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coordination.services import BulkValidationError, messages_of

logger = logging.getLogger(__name__)


def bulk_errors_body(row_errors: dict[int, dict[str, list[str]]]) -> dict:
    return {"detail": f"{len(row_errors)} row(s) have errors; nothing was written.",
            "errors": {str(index): errors for index, errors in sorted(row_errors.items())}}


def exception_handler(exc, context):
    request = context.get("request")
    if request is not None:
        # Errors are always JSON, also for ?format=csv.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, BulkValidationError):
        return Response(bulk_errors_body(exc.row_errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(messages_of(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, IntegrityError):
        # A concurrent write won a race the service had already checked for.
        logger.info("API write refused by the database: %s", exc)
        return Response({"detail": "The database refused this write (it conflicts with another record); "
                                   "nothing was written."}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DataError | OverflowError):
        logger.info("API input out of range: %s", exc)
        return Response({"detail": "A value is out of range."}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
