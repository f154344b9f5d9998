"""Load the demo scenario (source facts plus illustrative data). Thin: the scenario is loaders.demo."""

import argparse
import datetime as dt
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coordination.history import command_attribution
from coordination.services import BulkValidationError
from loaders import demo


def _iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"“{text}” is not a date: give it as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = (
        "Load the demo scenario: 32 allies, Ukraine, EU institutions, catalogue, guidelines, production "
        "rates (US 155 mm 14,000 -> 80,000 rounds/month), stock history, pledges, deliveries, training. "
        "Illustrative dates are placed relative to today (--today to choose the day); source facts keep theirs. "
        "Idempotent: re-running only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already has nations.")
        parser.add_argument("--logins", action="store_true", default=None,
                            help="Create demo logins (default: only when DEBUG is on; with DEBUG off, none "
                                 "unless --logins).")
        parser.add_argument("--no-logins", action="store_false", dest="logins")
        parser.add_argument("--today", type=_iso_day, default=None, metavar="YYYY-MM-DD",
                            help="The day the scenario is built around (default: today; not after today, from "
                                 f"{demo.EARLIEST_TODAY.isoformat()}): tests use it to get the same dates every run.")

    def handle(self, *args, if_empty=False, logins=None, today=None, **options):
        options["explicit_no_logins"] = logins is False
        if if_empty and demo.demo_is_loaded():
            self.stdout.write("Nations already exist; demo data not loaded (--if-empty).")
            return
        if isinstance(today, str):  # call_command(..., today="YYYY-MM-DD") skips the parser's type
            try:
                today = _iso_day(today)
            except argparse.ArgumentTypeError as exc:
                raise CommandError(str(exc)) from None
        problem = demo.today_problem(today) if today is not None else None
        if problem:
            raise CommandError(problem)
        logins = settings.DEBUG if logins is None else logins
        started = time.monotonic()
        # In-process (eager) recompute tasks would log one line each; the command recomputes once itself.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        try:
            with command_attribution("load_demo"):
                result = demo.demo_load(today=today, logins=logins, log=lambda line: self.stdout.write(f"  {line}"))
        except BulkValidationError as exc:
            raise CommandError(f"Demo data refused: {exc.row_errors}") from exc
        except ValidationError as exc:
            raise CommandError(f"Demo data refused: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"Demo scenario loaded in {time.monotonic() - started:.1f} s."))
        for what, count in sorted(result.created.items()):
            self.stdout.write(f"  {what}: {count}")
        if not result.created or all(v == 0 for k, v in result.created.items() if k != "shortfall rows computed"):
            self.stdout.write("  Nothing new: the scenario was already complete.")
        if result.logins:
            self.stdout.write(
                f"Demo logins (password '{demo.DEMO_PASSWORD}' unless changed): {', '.join(result.logins)}"
            )
        elif options.get("explicit_no_logins"):
            self.stdout.write("No demo logins created (--no-logins).")
        else:
            self.stdout.write("No demo logins created: DEBUG is off. Add --logins to create them (coordinator "
                              "and officer-usa/-pol/-deu/-ukr), or create accounts with createsuperuser.")
