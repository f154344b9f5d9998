"""Fill an empty database with synthetic data at alliance scale (see coordination/scale.py)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from loaders.scale import ScaleSizes, scale_data_generate


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic inputs (nations, items, weekly stock reports, guidelines, rates, "
        "pledges, deliveries) for benchmarks. COPY on PostgreSQL. Marks and computes nothing."
    )

    def add_arguments(self, parser):
        defaults = ScaleSizes()
        parser.add_argument("--nations", type=int, default=defaults.nations, help="including the recipient (UKR)")
        parser.add_argument("--items", type=int, default=defaults.items)
        parser.add_argument("--reports", type=int, default=defaults.reports, help="stock reports in total")
        parser.add_argument("--pledges", type=int, default=defaults.pledges)
        parser.add_argument("--deliveries", type=int, default=defaults.deliveries)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="date the data is generated around (YYYY-MM-DD; default: today)")
        parser.add_argument("--clear", action="store_true",
                            help="first empty EVERY domain table (nations, catalogue, pledges, stocks, history)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        sizes = ScaleSizes(nations=options["nations"], items=options["items"], reports=options["reports"],
                           pledges=options["pledges"], deliveries=options["deliveries"])
        try:
            result = scale_data_generate(sizes=sizes, seed=options["seed"], today=options["today"],
                                         clear=options["clear"], progress=not options["no_progress"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        for label, count in result.counts.items():
            self.stdout.write(f"{label:32} {count:>12,}")
        self.stdout.write(self.style.SUCCESS(f"Generated with {result.method} in {result.seconds:.1f} s. "
                                             "Run recompute_shortfalls (or the full recompute task) next."))
