from django.apps import AppConfig


class StockpilesConfig(AppConfig):
    name = "stockpiles"
    verbose_name = "Stockpiles and shortfalls"

    def ready(self) -> None:
        from pledges import hooks  # noqa: PLC0415  (app registry is ready only here)
        from stockpiles.engine.marks import shortfall_mark_pairs  # noqa: PLC0415  (models load after apps)

        hooks.connect_shortfall_inputs_changed(shortfall_mark_pairs)
        from stockpiles.sourcing_selectors import sourcing_what_if  # noqa: PLC0415  (models load after apps)

        hooks.connect_pledge_what_if(sourcing_what_if)  # the pledge form's "Preview effect" (pledges.admin)
        # Register the tasks in this process: the engine looks the drain task up by name (no import cycle),
        # and Celery's autodiscovery only runs in a worker; without this a web process's first write failed.
        from stockpiles import tasks  # noqa: F401, PLC0415
