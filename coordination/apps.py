from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = "Coordination cell"

    def ready(self) -> None:
        from coordination import security  # noqa: F401  (connects the failed-login receiver)
