"""``Idempotency-Key`` on POST: a retried request never writes twice.

1. The key is claimed by inserting an in-progress IdempotencyRecord in its own committed transaction;
   the unique (client, key) constraint makes exactly one concurrent request the owner.
2. The owner does the work and stores its (2xx) response in the same transaction as the write, so
   the write and the stored response commit together or not at all.
3. Another request with the key: same body → the stored response is replayed (header
   ``Idempotent-Replayed: true``); different body → 422; the owner still working → 409.
   A request that failed (4xx, 5xx) releases the key: nothing was written, retrying is safe.
4. A request that died (process killed, machine lost) leaves its claim in progress while its write was
   rolled back. On PostgreSQL the owner holds a session advisory lock on the key from before its claim
   until it has answered; the lock ends with the owner's connection, so a retry that gets the lock and
   finds the claim in progress knows the owner is gone and takes the claim over at once. (This needs
   session-level connections: not a transaction-pooling proxy in front of PostgreSQL.) On SQLite (the
   embedded default: one process) a claim is taken over once it is older than ``ABANDONED_AFTER``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from coordination.api.authentication import client_id
from coordination.models import IdempotencyRecord

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_RE = re.compile(r"[!-~]([ -~]{0,253}[!-~])?")  # the schema states the same pattern
# Without PostgreSQL's liveness lock: an in-progress claim older than this belongs to a request that died.
ABANDONED_AFTER = dt.timedelta(minutes=10)
LOCK_NAMESPACE = 0x1DE4  # pg_advisory_lock(int, int): a key space apart from the engine's one-bigint lock


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


class _OwnerLock:
    """PostgreSQL: a session advisory lock on (client, key) while a request owns the key; elsewhere a no-op
    that reports "not known" (``held`` is None). Re-entry on the same connection counts as taken."""

    def __init__(self, client: str, key: str):
        self.name = f"{client}|{key}"  # the client id has no "|": unambiguous
        self.held: bool | None = None

    def __enter__(self) -> _OwnerLock:
        if connection.vendor != "postgresql":
            return self
        mine = connection.__dict__.setdefault("_aid_idempotency_locks", set())
        if self.name in mine:
            self.held = False
            return self
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [LOCK_NAMESPACE, self.name])
            self.held = bool(cursor.fetchone()[0])
        if self.held:
            mine.add(self.name)
        return self

    def __exit__(self, *exc) -> None:
        if not self.held:
            return
        connection.__dict__.get("_aid_idempotency_locks", set()).discard(self.name)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [LOCK_NAMESPACE, self.name])
        except Exception:  # noqa: BLE001  a broken connection is closed, and the lock ends with it
            connection.close()


def _abandoned(existing: IdempotencyRecord | None, lock: _OwnerLock) -> bool:
    if existing is None or existing.state != IdempotencyRecord.State.IN_PROGRESS:
        return False
    if lock.held is not None:  # PostgreSQL: we hold the owner's lock, so no owner is alive
        return lock.held
    return existing.created_at < timezone.now() - ABANDONED_AFTER


def idempotent(request, handler: Callable[[], Response]) -> Response:
    raw = request.headers.get(HEADER)
    if raw is None:
        return handler()
    key = raw
    if not KEY_RE.fullmatch(key):
        return Response({HEADER: [f"Give a key of 1 to {MAX_KEY_LENGTH} visible ASCII characters (spaces only "
                                  "inside), e.g. a UUID."]}, status=status.HTTP_400_BAD_REQUEST)
    client = client_id(request.user)
    digest = body_hash(request)
    with _OwnerLock(client, key) as lock:
        if lock.held is False:  # a live request owns the key: answer from its record
            return _answer_existing(IdempotencyRecord.objects.filter(client=client, key=key).first(), digest)
        return _own(request, handler, client=client, key=key, digest=digest, lock=lock)


def _own(request, handler, *, client: str, key: str, digest: str, lock: _OwnerLock) -> Response:
    record = _claim(client=client, key=key, request=request, digest=digest)
    if record is None:
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
        if _abandoned(existing, lock):
            IdempotencyRecord.objects.filter(pk=existing.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
            record = _claim(client=client, key=key, request=request, digest=digest)
            existing = None if record else IdempotencyRecord.objects.filter(client=client, key=key).first()
        if record is None:
            return _answer_existing(existing, digest)

    response = None
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
        if response is not None and _committed(record):
            # The write and its answer committed; what failed ran after the commit (on-commit work).
            # The write stands, so the client gets its answer, and a retry gets the stored one.
            logger.exception("Work after the commit of an idempotent request failed; the write stands.")
            return response
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk).delete()  # refused: nothing written, the key is free again
    return response


def _committed(record: IdempotencyRecord) -> bool:
    """The record's DONE state is committed (outside any transaction, so no rollback can undo it)."""
    try:
        return not transaction.get_connection().in_atomic_block and IdempotencyRecord.objects.filter(
            pk=record.pk, state=IdempotencyRecord.State.DONE).exists()
    except Exception:  # noqa: BLE001  the database is gone: nothing can be said to have committed
        return False


def _answer_existing(existing: IdempotencyRecord | None, digest: str) -> Response:
    if existing is None:
        return Response({"detail": "A request with this Idempotency-Key is starting or has just finished; retry."},
                        status=status.HTTP_409_CONFLICT)
    if existing.body_hash != digest:
        return Response({"detail": "This Idempotency-Key was already used with a different request body."},
                        status=status.HTTP_422_UNPROCESSABLE_ENTITY)
    if existing.state != IdempotencyRecord.State.DONE:
        return Response({"detail": "A request with this Idempotency-Key is still in progress; retry later."},
                        status=status.HTTP_409_CONFLICT)
    return Response(existing.response_body, status=existing.status_code, headers={"Idempotent-Replayed": "true"})
