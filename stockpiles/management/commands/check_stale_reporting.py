"""Raise (and close) stale-reporting alerts now: what Celery beat runs every STALE_REPORTING_CHECK_MINUTES."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from stockpiles import engine


class Command(BaseCommand):
    help = (
        "Raise a stale-reporting alert for each nation whose latest stock report is older than "
        "REPORTING_STALE_AFTER_DAYS (or which has none while an item is expected), and close those fresh "
        "again; the people and webhooks concerned are notified. Celery beat runs this periodically; use it "
        "where no beat runs (the embedded default) or to check at once."
    )

    def handle(self, *args, **options):
        raised, closed = engine.stale_reporting_sync()
        self.stdout.write(f"Stale reporting (older than {settings.REPORTING_STALE_AFTER_DAYS} days): "
                          f"{raised} alert(s) raised, {closed} closed.")
