"""Build or repair the history of the figures (``ShortfallVersion``) from the inputs, from a date on."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from stockpiles import engine


class Command(BaseCommand):
    help = (
        "Re-derive the stored history of the shortfall figures from the inputs, from --since (default: the "
        "earliest input date) to today: the backfill for existing data, or a repair after corrections. "
        "Versions before --since are kept. Frozen snapshots are never touched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="A date YYYY-MM-DD (default: the earliest date of any input).")

    def handle(self, *args, since=None, verbosity=1, **options):
        day = None
        if since:
            try:
                day = dt.date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--since: {since!r} is not a date YYYY-MM-DD.") from exc
            if day > timezone.localdate():
                raise CommandError("--since: the date is in the future.")
        with tqdm(desc="Replaying dates", unit="date", file=self.stderr._out, disable=verbosity == 0) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            written = engine.shortfall_history_rebuild_locked(since=day, progress=progress)
        self.stdout.write(f"History rebuilt: {written} versions written or changed.")
