from django.apps import AppConfig


class LoadersConfig(AppConfig):
    """The data loaders: demo scenario, scale generator, Kiel tracker import and their commands."""

    name = "loaders"
    verbose_name = "Data loaders"
