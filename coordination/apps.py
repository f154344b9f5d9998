from django.apps import AppConfig

from coordination import security  # noqa: F401  (importing it connects the failed-login receiver)


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = "Coordination cell"

    def ready(self) -> None:
        from coordination import history  # noqa: PLC0415  (it imports models: not before the app registry is ready)

        history.connect()  # a login (a save of last_login only) leaves no history row on the user
