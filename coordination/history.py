"""History helpers outside a request: a command names itself on the rows it writes, a login leaves no
history row on the user, a new password is named on the user's row, and a two-factor device's per-login
bookkeeping leaves no row.

A command has no user. ``command_attribution("load_demo")`` gives every history row written during the
block that names neither a user nor a reason the change reason ``"command: load_demo"`` (one UPDATE per
historied model at the end, the rows written since the block began — the same stamping the API does for
its bulk writes, and it covers simple-history's bulk helpers, which send no per-row signal). A row that
already carries a reason (a source fact, "Delivery totals") keeps it after the command's name
("command: load_demo; Delivery totals", cut at the column's 100 characters). The audit page shows the
command as the writer. Only rows without a user are touched: a user's write in the meantime keeps its
user; a token's or another command's row keeps its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Concat, Left
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.models import HistoricalRecords

COMMAND_PREFIX = "command: "
TASK_PREFIX = "task: "  # a background job's own writes (the shortfall engine's alerts)
ENGINE_REASON = f"{TASK_PREFIX}shortfall engine"
REASON_MAX = 100  # simple-history's history_change_reason column
PASSWORD_SET = "password set"  # the hash is not in the history; the row says a new one was set
RECOVERY_CODES_REGENERATED = "recovery codes regenerated"
RECOVERY_CODE_USED = "recovery code used"
_SKIPPED = "_aid_history_skipped"  # this save's row was skipped by a receiver below (undone after the save)
_REASONED = "_aid_history_reason_set"  # this save's change reason was set by a receiver below


def historied_models() -> list:
    return [m for m in apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)]


def save_with_reason(obj, reason: str | None, **save_kwargs) -> None:
    """``obj.save()`` whose history row carries ``reason`` (none: as a plain save); the reason does not
    stick to the instance for a later save."""
    if not reason:
        obj.save(**save_kwargs)
        return
    obj._change_reason = reason
    try:
        obj.save(**save_kwargs)
    finally:
        del obj._change_reason


def command_reason(name: str) -> str:
    return f"{COMMAND_PREFIX}{name}"[:REASON_MAX]


@contextmanager
def command_attribution(name: str) -> Iterator[None]:
    since = timezone.now()
    try:
        yield
    finally:
        reason = command_reason(name)
        no_reason = Q(history_change_reason__isnull=True) | Q(history_change_reason="")
        named = (Q(history_change_reason__startswith=COMMAND_PREFIX) | Q(history_change_reason__startswith="API token")
                 | Q(history_change_reason__startswith=TASK_PREFIX))
        for model in historied_models():
            manager = getattr(model, model._meta.simple_history_manager_attribute)
            rows = manager.filter(history_date__gte=since, history_user__isnull=True)
            rows.filter(no_reason).update(history_change_reason=reason)
            rows.exclude(no_reason).exclude(named).update(history_change_reason=Left(
                Concat(Value(f"{reason}; "), F("history_change_reason"), output_field=CharField()), REASON_MAX))


@contextmanager
def background_attribution() -> Iterator[None]:
    """Run a block as background work, never as the request's actor.

    Work that runs after a request commits (an in-process ``on_commit`` task on the embedded default)
    still runs inside that request, where django-simple-history's middleware context names the
    request's user: an API token client is no Django user (``history_user`` refuses it), and a
    coordinator did not write what the engine derived. Inside this block the context holds no request,
    so history rows carry no user and the task names itself with a change reason (``ENGINE_REASON``).
    A worker has no request: the block changes nothing there.
    """
    context = HistoricalRecords.context
    missing = object()
    saved = getattr(context, "request", missing)
    if saved is not missing:
        context.request = None
    try:
        yield
    finally:
        if saved is not missing:
            context.request = saved


def _skip(instance) -> None:
    instance.skip_history_when_saving = True
    setattr(instance, _SKIPPED, True)


def _user_pre_save(sender, instance, update_fields=None, **kwargs):
    """A login saves last_login only, a password upgraded to a newer hasher at login saves the hash only:
    neither is a change anybody made, so no row. ``set_password`` keeps the raw password in ``_password``
    until the save: then the row says "password set" (never the hash)."""
    if hasattr(instance, "skip_history_when_saving"):
        return
    password_set = getattr(instance, "_password", None) is not None
    if update_fields and set(update_fields) <= {"last_login", "password"} and not password_set:
        _skip(instance)
    elif password_set and not instance._state.adding and not getattr(instance, "_change_reason", None):
        instance._change_reason = PASSWORD_SET
        setattr(instance, _REASONED, True)


def _device_pre_save(sender, instance, update_fields=None, **kwargs):
    """A two-factor device is saved at every verification (last counter, drift, throttling, last use):
    those are not tracked, and a save that changes nothing tracked (and names no reason) leaves no row."""
    if instance._state.adding or hasattr(instance, "skip_history_when_saving") or getattr(
            instance, "_change_reason", None):
        return
    names = [f.attname for f in sender.history.model.tracked_fields if not f.primary_key]
    if update_fields is not None:
        names = [n for n in names if n in {sender._meta.get_field(f).attname for f in update_fields}]
    stored = sender.objects.filter(pk=instance.pk).values(*names).first() if names else {}
    if stored is not None and all(stored[n] == getattr(instance, n) for n in names):
        _skip(instance)


def _restore(sender, instance, **kwargs):
    if instance.__dict__.pop(_SKIPPED, False):
        del instance.skip_history_when_saving
    if instance.__dict__.pop(_REASONED, False):
        del instance._change_reason


def connect() -> None:
    user = get_user_model()
    pre_save.connect(_user_pre_save, sender=user, dispatch_uid="aid-user-history")
    post_save.connect(_restore, sender=user, dispatch_uid="aid-user-history-restore")
    for model in (TOTPDevice, StaticDevice):
        pre_save.connect(_device_pre_save, sender=model, dispatch_uid=f"aid-{model.__name__}-history")
        post_save.connect(_restore, sender=model, dispatch_uid=f"aid-{model.__name__}-history-restore")
