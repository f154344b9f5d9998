from django.apps import AppConfig

from pledges import hooks as pledge_hooks
from stockpiles import hooks as stock_hooks


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The hooks live below (stockpiles, pledges); the receivers here only enqueue work after the commit.
        # Imported here, not at the top: receivers and tasks import models (only once the registry is ready).
        from notifications import receivers, tasks  # noqa: F401  (tasks: registers the Celery tasks)

        stock_hooks.connect_alerts_changed(receivers.on_alerts_changed)
        stock_hooks.connect_shortfalls_stored(receivers.on_shortfalls_stored)
        pledge_hooks.connect_deliveries_recorded(receivers.on_deliveries_recorded)
