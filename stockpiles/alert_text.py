"""An alert said in the reader's language: its kind and the figures it was raised with (``Alert.params``),
worded with gettext and numbers grouped per the active language. The stored ``message`` is the English record
of the audit; an alert raised before ``params`` existed is shown by that message."""

from __future__ import annotations

from django.utils.translation import gettext as _

from coordination.models import Item
from coordination.text import grouped
from stockpiles.models import Alert


def _unit(item) -> str:
    return str(Item.Unit(item.unit).label) if item is not None and item.unit in Item.Unit.values else ""


def alert_text(alert: Alert) -> str:
    """The alert's message in the active language (the nation is named beside it by the page; the item in it)."""
    p = alert.params or {}
    if not p:
        return alert.message
    unit = _unit(alert.item) if alert.item_id else ""
    if alert.kind == Alert.Kind.BELOW_GUIDELINE:
        return _("%(item)s: %(available)s %(unit)s available against a guideline of %(guideline)s, short by "
                 "%(shortfall)s.") % {
            "item": alert.item.display_name, "available": grouped(p["available"]), "unit": unit,
            "guideline": grouped(p["guideline"]), "shortfall": grouped(p["shortfall"])}
    if alert.kind == Alert.Kind.PLEDGE_OVERDUE:
        return _("Pledge #%(pledge)s of %(quantity)s %(unit)s of %(item)s was due on %(due)s; %(outstanding)s not "
                 "delivered.") % {
            "pledge": p["pledge"], "quantity": grouped(p["quantity"]), "unit": unit, "item": alert.item.display_name,
            "due": p["due_on"], "outstanding": grouped(p["outstanding"])}
    if alert.kind == Alert.Kind.STALE_REPORTING:
        if p.get("last_report") is None:
            return _("No stock report yet, while %(expected)s items are expected; report at least every %(every)s "
                     "days.") % {"expected": grouped(p["expected"]), "every": p["every"]}
        return _("The latest stock report is of %(day)s, %(days)s days ago; report at least every %(every)s days.") % {
            "day": p["last_report"], "days": grouped(p["days_ago"]), "every": p["every"]}
    if alert.kind == Alert.Kind.ENGINE_FAILURE:
        return _("%(item)s: the shortfall engine could not compute this pair (%(error)s); its previous figures are "
                 "kept and marked as failed. Correct the input row (a date out of range?).") % {
            "item": alert.item.display_name, "error": p.get("error", "")}
    return alert.message
