"""``Idempotency-Key`` on POST: a retried request never writes twice.

1. The key is claimed by inserting an in-progress IdempotencyRecord in its own committed transaction;
   the unique (client, key) constraint makes exactly one concurrent request the owner.
2. The owner does the work and stores its (2xx) response in the same transaction as the write, so
   the write and the stored response commit together or not at all.
3. Another request with the key: same body → the stored response is replayed (header
   ``Idempotent-Replayed: true``); different body → 422; the owner still working → 409.
   A request that failed (4xx, 5xx) releases the key: nothing was written, retrying is safe.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from coordination.api.authentication import client_id
from coordination.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
# An in-progress claim older than this belongs to a request that died; it may be taken over.
ABANDONED_AFTER = dt.timedelta(minutes=10)


def body_hash(request) -> str:
    payload = {"method": request.method, "path": request.path, "body": request.data}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()


def _claim(*, client: str, key: str, request, digest: str) -> IdempotencyRecord | None:
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                client=client, key=key, method=request.method, path=request.path[:500], body_hash=digest,
            )
    except IntegrityError:
        return None


def idempotent(request, handler: Callable[[], Response]) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        return handler()
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        return Response({HEADER: [f"Give a key of 1 to {MAX_KEY_LENGTH} characters."]},
                        status=status.HTTP_400_BAD_REQUEST)
    client = client_id(request.user)
    digest = body_hash(request)

    record = _claim(client=client, key=key, request=request, digest=digest)
    if record is None:
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if (existing is not None and existing.state == IdempotencyRecord.State.IN_PROGRESS
                and existing.created_at < timezone.now() - ABANDONED_AFTER):
            IdempotencyRecord.objects.filter(pk=existing.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
            record = _claim(client=client, key=key, request=request, digest=digest)
            existing = None if record else IdempotencyRecord.objects.filter(client=client, key=key).first()
        if record is None:
            return _answer_existing(existing, digest)

    try:
        with transaction.atomic():
            response = handler()
            if 200 <= response.status_code < 300:
                record.state = IdempotencyRecord.State.DONE
                record.status_code = response.status_code
                record.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
                record.save(update_fields=["state", "status_code", "response_body"])
                return response
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).delete()  # refused: nothing written, the key is free again
    return response


def _answer_existing(existing: IdempotencyRecord | None, digest: str) -> Response:
    if existing is None:
        return Response({"detail": "A request with this Idempotency-Key has just finished; retry."},
                        status=status.HTTP_409_CONFLICT)
    if existing.body_hash != digest:
        return Response({"detail": "This Idempotency-Key was already used with a different request body."},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if existing.state != IdempotencyRecord.State.DONE:
        return Response({"detail": "A request with this Idempotency-Key is still in progress; retry later."},
                        status=status.HTTP_409_CONFLICT)
    return Response(existing.response_body, status=existing.status_code, headers={"Idempotent-Replayed": "true"})
