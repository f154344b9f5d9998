"""Errors are JSON with field-level messages; bad input is a 4xx, never a 500."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from coordination.access import CHANGE
from coordination.api.filters import parse_id
from coordination.integrity import integrity_message
from coordination.security import log_refused
from coordination.services import BulkValidationError, messages_of
from coordination.text import grouped

logger = logging.getLogger(__name__)


def too_big_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _("The request body is larger than the %(limit)s bytes a request may carry; send fewer rows per "
             "request.") % {"limit": grouped(limit)}


def bulk_errors_body(row_errors: dict[int, dict[str, list[str]]]) -> dict:
    return {"detail": f"{len(row_errors)} row(s) have errors; nothing was written.",
            "errors": {str(index): errors for index, errors in sorted(row_errors.items())}}


def _log_refusal(exc, context) -> None:
    """Refused access in the JSON security log: 403s, and 404s on objects that exist but are not the
    client's (another nation's). A 404 for an id that exists nowhere is not a refusal."""
    request, view = context.get("request"), context.get("view")
    if request is None:
        return
    if isinstance(exc, PermissionDenied | drf.PermissionDenied):
        log_refused(request, reason=str(exc) or "permission denied", status=403)
    elif isinstance(exc, drf.NotAuthenticated):
        log_refused(request, reason="no credentials", status=401)
    elif isinstance(exc, BulkValidationError | DjangoValidationError):
        _log_foreign_target_writes(request, view, exc)
    elif isinstance(exc, Http404 | drf.NotFound) and view is not None:
        model = getattr(view, "model", None)
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        object_id = parse_id(str((getattr(view, "kwargs", None) or {}).get(lookup, "")))
        if model is not None and object_id is not None and model._base_manager.filter(pk=object_id).exists():
            log_refused(request, reason="another nation's object", status=404,
                        model=model._meta.label_lower, object_id=object_id)


def _log_foreign_target_writes(request, view, exc) -> None:
    """A write (single or bulk) naming a target that exists but is another nation's (a delivery's
    ``pledge``): a refused write. The service answers it as a row error on that field (400), like an
    unknown id; only the log tells them apart. The view names its targets: ``write_targets =
    {"pledge": Pledge}``."""
    targets = getattr(view, "write_targets", None) or {}
    rows = exc.row_errors if isinstance(exc, BulkValidationError) else {0: messages_of(exc)}
    data = request.data if isinstance(request.data, list) else [request.data]
    for field, model in targets.items():
        ids = set()
        for index, errors in rows.items():
            if field in errors and 0 <= int(index) < len(data) and isinstance(data[int(index)], dict):
                value = data[int(index)].get(field)
                if isinstance(value, int) and 0 < value < 2**63:
                    ids.add(value)
        if not ids:
            continue
        existing = set(model.objects.filter(pk__in=ids).values_list("pk", flat=True))
        writable = set(model.objects.restrict(request.user, CHANGE).filter(pk__in=ids).values_list("pk", flat=True))
        foreign = sorted(existing - writable)
        if foreign:
            log_refused(request, reason=f"write against another nation's {model._meta.model_name}", status=400,
                        model=model._meta.label_lower, object_ids=foreign)


def exception_handler(exc, context):
    """The error as JSON (``_handle``), its texts made encodable: a message that echoes the input (DRF's
    '"\\ud800" is not a valid choice.') must not turn a 400 into a 500 in the renderer."""
    response = _handle(exc, context)
    if response is not None:
        response.data = encodable(response.data)
    return response


def encodable(value):
    """``value`` with every text encodable as UTF-8: an unpaired surrogate is written as its escape (\\ud800)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encodable(v) for v in value]
    return value


def _handle(exc, context):
    request = context.get("request")
    try:
        _log_refusal(exc, context)
    except Exception:  # the log must never turn a refusal into a 500
        logger.exception("Could not write the security log line")
    if request is not None:
        # Errors are always JSON, also for ?format=csv.
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type
    if isinstance(exc, RequestDataTooBig):
        return Response({"detail": too_big_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, SuspiciousOperation):  # e.g. too many fields: the request is refused, not the server broken
        return Response({"detail": "The request was refused as malformed."}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, BulkValidationError):
        return Response(bulk_errors_body(exc.row_errors), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        return Response(messages_of(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, PermissionDenied):
        return Response({"detail": str(exc) or "You may not do this."}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, IntegrityError):
        # A concurrent write won a race the service had already checked for.
        logger.info("API write refused by the database: %s", exc)
        return Response({"detail": integrity_message(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DataError | OverflowError):
        logger.info("API input out of range: %s", exc)
        return Response({"detail": "A value is out of range."}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
