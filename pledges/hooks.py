"""What pledge writes announce to the apps above (no upward import).

A pledge or delivery write changes shortfall inputs (what a nation owes from its stock). The
stockpiles app connects its marking function here in ``StockpilesConfig.ready()``; pledges never
imports stockpiles. With no receiver connected the call fails loudly: a lost mark would leave
stale shortfalls without a trace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from django.core.exceptions import ImproperlyConfigured

Pair = tuple[int, int]  # (nation_id, item_id)
PairsReceiver = Callable[..., object]

_pairs_receivers: list[PairsReceiver] = []


def connect_shortfall_inputs_changed(receiver: PairsReceiver) -> None:
    """Register ``receiver(*, pairs, history_from)``; called once per write transaction's changed pairs. Idempotent."""
    if receiver not in _pairs_receivers:
        _pairs_receivers.append(receiver)


def shortfall_inputs_changed(*, pairs: Iterable[Pair], history_from: Mapping[Pair, dt.date] | None = None) -> None:
    """Announce that the shortfall inputs of these (nation, item) pairs changed (inside the write's transaction).

    ``history_from``: pairs whose new input is dated in the past (a pledge announced, a delivery shipped
    before today): their stored history is corrected from that date (docs/history.md)."""
    if not _pairs_receivers:
        raise ImproperlyConfigured("No receiver for shortfall_inputs_changed: is 'stockpiles' in INSTALLED_APPS?")
    pairs = list(pairs)
    for receiver in _pairs_receivers:
        receiver(pairs=pairs, history_from=history_from)


_delivery_receivers: list[Callable[..., object]] = []


def connect_deliveries_recorded(receiver: Callable[..., object]) -> None:
    """Register ``receiver(*, delivery_ids)`` (notifications: webhooks). Optional. Idempotent."""
    if receiver not in _delivery_receivers:
        _delivery_receivers.append(receiver)


def deliveries_recorded(*, delivery_ids: Iterable[int]) -> None:
    """Deliveries were recorded or changed in the current transaction. No receiver: nothing happens."""
    ids = list(delivery_ids)
    if not ids:
        return
    for receiver in _delivery_receivers:
        receiver(delivery_ids=ids)


_what_if_readers: list[Callable[..., object]] = []


def connect_pledge_what_if(reader: Callable[..., object]) -> None:
    """Register the what-if read of a draft pledge (stockpiles connects
    ``sourcing_selectors.sourcing_what_if``: the donor's shortfall and the recipient's gap, before and after).
    One reader: a second replaces the first."""
    _what_if_readers[:] = [reader]


def pledge_what_if_available() -> bool:
    return bool(_what_if_readers)


def pledge_what_if(**draft) -> object:
    """The what-if of a draft pledge (keyword arguments of ``sourcing_what_if``); writes nothing."""
    if not _what_if_readers:
        raise ImproperlyConfigured("No reader for pledge_what_if: is 'stockpiles' in INSTALLED_APPS?")
    return _what_if_readers[0](**draft)
