"""Load the demo scenario (source facts plus illustrative data). Thin: the scenario is loaders.demo."""

import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from coordination.history import command_attribution
from coordination.services import BulkValidationError
from loaders import demo


class Command(BaseCommand):
    help = (
        "Load the demo scenario: 32 allies, Ukraine, EU institutions, catalogue, guidelines, production "
        "rates (US 155 mm 14,000 -> 80,000 rounds/month), stock history, pledges, deliveries, training. "
        "Idempotent: re-running only adds what is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="Do nothing when the database already has nations.")
        parser.add_argument("--logins", action="store_true", default=None,
                            help="Create demo logins (default: only when DEBUG is on; with DEBUG off, none "
                                 "unless --logins).")
        parser.add_argument("--no-logins", action="store_false", dest="logins")

    def handle(self, *args, if_empty=False, logins=None, **options):
        options["explicit_no_logins"] = logins is False
        if if_empty and demo.demo_is_loaded():
            self.stdout.write("Nations already exist; demo data not loaded (--if-empty).")
            return
        logins = settings.DEBUG if logins is None else logins
        started = time.monotonic()
        # In-process (eager) recompute tasks would log one line each; the command recomputes once itself.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        try:
            with command_attribution("load_demo"):
                result = demo.demo_load(logins=logins, log=lambda line: self.stdout.write(f"  {line}"))
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
