from django.apps import AppConfig


class StockpilesConfig(AppConfig):
    name = "stockpiles"
    verbose_name = "Stockpiles and shortfalls"

    def ready(self) -> None:
        from pledges import hooks  # noqa: PLC0415  (app registry is ready only here)
        from stockpiles.engine.marks import shortfall_mark_pairs  # noqa: PLC0415  (models load after apps)

        hooks.connect_shortfall_inputs_changed(shortfall_mark_pairs)
        # Register the engine's Celery tasks in every process (web included), not only in a worker that
        # autodiscovers them: a write's on-commit drain looks its task up by name.
        from stockpiles import tasks  # noqa: F401, PLC0415
