from django.apps import AppConfig


class WebConfig(AppConfig):
    """The browser door: dashboard pages, audit, account and two-factor pages, template tags."""

    name = "web"
    verbose_name = "Dashboard"
