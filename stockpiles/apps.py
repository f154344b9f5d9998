from django.apps import AppConfig


class StockpilesConfig(AppConfig):
    name = "stockpiles"
    verbose_name = "Stockpiles and shortfalls"
