"""What the shortfall engine announces to the apps above it (no upward import).

The engine calls these inside its transaction; a receiver that wants to act after the commit
registers its own ``transaction.on_commit``. Receivers are optional (notifications connects them in
its ``AppConfig.ready()``); with none connected a call does nothing. A receiver must never raise:
the engine's write would roll back with it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

Pair = tuple[int, int]  # (nation_id, item_id)
Receiver = Callable[..., object]

_alert_receivers: list[Receiver] = []
_shortfall_receivers: list[Receiver] = []


def connect_alerts_changed(receiver: Receiver) -> None:
    """Register ``receiver(*, opened, closed)`` (lists of Alert ids). Idempotent."""
    if receiver not in _alert_receivers:
        _alert_receivers.append(receiver)


def alerts_changed(*, opened: Collection[int] = (), closed: Collection[int] = ()) -> None:
    """Alerts were raised (``opened``) or closed (``closed``) in the current transaction."""
    if not (opened or closed):
        return
    for receiver in _alert_receivers:
        receiver(opened=list(opened), closed=list(closed))


def connect_shortfalls_stored(receiver: Receiver) -> None:
    """Register ``receiver(*, pairs)``; called with the (nation, item) pairs the engine just stored. Idempotent."""
    if receiver not in _shortfall_receivers:
        _shortfall_receivers.append(receiver)


def shortfalls_stored(*, pairs: Iterable[Pair]) -> None:
    """The engine (re)wrote the Shortfall rows of these pairs in the current transaction."""
    if not _shortfall_receivers:
        return
    pairs = list(pairs)
    if not pairs:
        return
    for receiver in _shortfall_receivers:
        receiver(pairs=pairs)
