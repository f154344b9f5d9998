from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # The hooks live below (stockpiles, pledges); the receivers here only enqueue work after the commit.
        from notifications import receivers, tasks  # noqa: F401, PLC0415  (models load after apps)
        from pledges import hooks as pledge_hooks  # noqa: PLC0415
        from stockpiles import hooks as stock_hooks  # noqa: PLC0415

        stock_hooks.connect_alerts_changed(receivers.on_alerts_changed)
        stock_hooks.connect_shortfalls_stored(receivers.on_shortfalls_stored)
        pledge_hooks.connect_deliveries_recorded(receivers.on_deliveries_recorded)
