"""The engine lock: one PostgreSQL advisory lock serialises the writers of the Shortfall table."""

from __future__ import annotations

from django.db import transaction

# One PostgreSQL advisory lock serialises the writers of the Shortfall table (drains and full
# recomputes). It is transaction-scoped, so a killed worker's lock dies with its connection.
ENGINE_LOCK_KEY = 0x5AF0_0001


def _engine_lock(*, asynchronous_commit: bool = False) -> None:
    """Take the engine lock for the current transaction (PostgreSQL); SQLite serialises writers itself.

    ``asynchronous_commit`` (drains only), in the same statement: ``SET LOCAL synchronous_commit TO
    OFF``, so this transaction's COMMIT returns without waiting for the WAL flush. Safe for a drain
    and only for it: everything it writes is derived (Shortfall rows, alerts) and it deletes the
    marks it handled in the same transaction. A crash that loses this commit (at most about
    3 x ``wal_writer_delay`` of commits) loses the marks' deletion with it, so the marks are still
    there and the next drain recomputes the same pairs: nothing lost, nothing half-applied (an
    asynchronous commit is still atomic). User writes keep synchronous commits.
    """
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if asynchronous_commit:
                cursor.execute("SELECT pg_advisory_xact_lock(%s), set_config('synchronous_commit', 'off', true)",
                               [ENGINE_LOCK_KEY])
            else:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ENGINE_LOCK_KEY])
