"""History helpers outside a request: a command names itself on the rows it writes, and a login leaves
no history row on the user.

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

COMMAND_PREFIX = "command: "
REASON_MAX = 100  # simple-history's history_change_reason column
_LOGIN_ONLY = "_aid_skip_login_history"


def historied_models() -> list:
    return [m for m in apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)]


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
        named = Q(history_change_reason__startswith=COMMAND_PREFIX) | Q(history_change_reason__startswith="API token")
        for model in historied_models():
            manager = getattr(model, model._meta.simple_history_manager_attribute)
            rows = manager.filter(history_date__gte=since, history_user__isnull=True)
            rows.filter(no_reason).update(history_change_reason=reason)
            rows.exclude(no_reason).exclude(named).update(history_change_reason=Left(
                Concat(Value(f"{reason}; "), F("history_change_reason"), output_field=CharField()), REASON_MAX))


def _skip_login_only(sender, instance, update_fields=None, **kwargs):
    if update_fields and set(update_fields) <= {"last_login"} and not hasattr(instance, "skip_history_when_saving"):
        instance.skip_history_when_saving = True
        setattr(instance, _LOGIN_ONLY, True)


def _restore(sender, instance, **kwargs):
    if instance.__dict__.pop(_LOGIN_ONLY, False):
        del instance.skip_history_when_saving


def connect() -> None:
    user = get_user_model()
    pre_save.connect(_skip_login_only, sender=user, dispatch_uid="aid-user-login-no-history")
    post_save.connect(_restore, sender=user, dispatch_uid="aid-user-login-no-history-restore")
