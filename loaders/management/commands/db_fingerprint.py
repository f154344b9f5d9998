"""Print row counts of every table and the shortfall totals as JSON: compare before and after a
backup/restore, a migration or a move between machines."""

import json

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db.models import Count, Sum

from stockpiles.models import Shortfall


class Command(BaseCommand):
    help = "Print row counts per model and the shortfall totals as JSON (for backup/restore checks)."

    def handle(self, *args, **options):
        counts = {
            model._meta.label: model._default_manager.using("default").count()
            for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy
        }

        totals = Shortfall.objects.aggregate(rows=Count("pk"), shortfall=Sum("shortfall"), owed=Sum("owed"),
                                             on_hand=Sum("on_hand"))
        by_status = dict(Shortfall.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))
        self.stdout.write(json.dumps({"counts": counts, "shortfalls": totals, "by_status": by_status},
                                     indent=1, sort_keys=True, default=str))
