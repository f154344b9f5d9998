"""Import the Kiel Ukraine Support Tracker extract. Thin: the importer is loaders.ust."""

import logging
import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from coordination.access import CELL
from loaders import ust


class Command(BaseCommand):
    help = (
        "Import the Ukraine Support Tracker CSVs from DIR (e.g. data/ukraine-support-tracker): weapons.csv "
        "-> items and public pledges per donor and system; data_explorer.csv -> monthly aid flows per donor. "
        "Idempotent; a bad file or row stops the import (file and line named) and nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="Folder holding weapons.csv and/or data_explorer.csv")

    def handle(self, *args, directory, **options):
        # In-process (eager) recompute tasks would log one line per pledge written.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        started = time.monotonic()
        try:
            result = ust.ust_import(directory=directory, actor=CELL, log=lambda line: self.stdout.write(f"  {line}"))
        except ust.TrackerFileError as exc:
            raise CommandError(str(exc)) from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError(f"Import refused, nothing was written: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Tracker import done in {time.monotonic() - started:.1f} s."))
        for what, count in sorted(result.counts.items()):
            self.stdout.write(f"  {what}: {count}")
        for what, total in result.totals.items():
            self.stdout.write(f"  total {what}: {total:,}")
