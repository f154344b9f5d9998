from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = "Coordination cell"

    def ready(self) -> None:
        from coordination import history, security  # noqa: F401  (security connects the failed-login receiver)

        history.connect()  # a login (a save of last_login only) leaves no history row on the user
