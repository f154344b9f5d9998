"""Recompute shortfalls now, or show them as they stood on a past date (computed from the history)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from coordination.access import CELL
from coordination.models import Item, Nation
from stockpiles import engine, selectors, shortfalls

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Recompute and store today's shortfalls (all pairs, or one nation and/or item), with a progress bar "
        "and a summary. With --as-of a past date, compute from the history and print the table without storing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--nation", help="ISO 3166-1 alpha-3 code of one nation, e.g. POL.")
        parser.add_argument("--item", help="Id of one catalogue item.")
        parser.add_argument("--as-of", dest="as_of", help="A date YYYY-MM-DD (default: today).")

    def handle(self, *args, nation=None, item=None, as_of=None, verbosity=1, **options):
        nation_obj = self._nation(nation)
        item_obj = self._item(item)
        today = timezone.localdate()
        day = self._date(as_of, today)
        nation_id = nation_obj.pk if nation_obj else None
        item_id = item_obj.pk if item_obj else None
        if day < today:
            results = {
                pair: r for pair, r in engine.shortfalls_compute(pairs=None, as_of=day).items()
                if (nation_id is None or pair[0] == nation_id) and (item_id is None or pair[1] == item_id)
            }
            self._table(results)
            self._summary(results, f"as of {day.isoformat()} (computed from the history, not stored)")
            return
        pairs = engine.shortfall_pairs(nation_id=nation_id, item_id=item_id)
        with tqdm(total=len(pairs), desc="Recomputing shortfalls", unit="pair", file=self.stderr._out,
                  disable=verbosity == 0) as bar:
            for start in range(0, len(pairs), BATCH):
                chunk = pairs[start:start + BATCH]
                engine.shortfalls_recompute(pairs=chunk)
                bar.update(len(chunk))
        if nation_id is None and item_id is None:
            engine.shortfall_alerts_sync_overdue()
        stored = {
            (row.nation_id, row.item_id): selectors.result_of(row)
            for row in selectors.shortfall_list(actor=CELL, nation=nation_id, item=item_id)
        }
        self._summary(stored, f"stored as of {today.isoformat()}")

    # --- arguments ---------------------------------------------------------------------------------

    def _nation(self, code):
        if code is None:
            return None
        nation = Nation.objects.filter(code=code.strip().upper()).first()
        if nation is None:
            raise CommandError(f"Unknown nation {code!r}: give an ISO 3166-1 alpha-3 code that exists, e.g. POL.")
        return nation

    def _item(self, value):
        if value is None:
            return None
        try:
            pk = int(value)
        except (TypeError, ValueError):
            raise CommandError(f"--item takes an item id (a whole number), not {value!r}.") from None
        item = Item.objects.filter(pk=pk).first()
        if item is None:
            raise CommandError(f"No item with id {pk}.")
        return item

    def _date(self, value, today: dt.date) -> dt.date:
        if value is None:
            return today
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            raise CommandError(f"--as-of takes a date as YYYY-MM-DD, not {value!r}.") from None
        if day > today:
            raise CommandError(f"--as-of cannot be in the future (today is {today.isoformat()}).")
        return day

    # --- output ------------------------------------------------------------------------------------

    def _summary(self, results, label: str) -> None:
        values = list(results.values())
        below = sum(r.status == shortfalls.BELOW_GUIDELINE for r in values)
        not_recovering = sum(r.not_recovering for r in values)
        total = sum(r.shortfall for r in values)
        self.stdout.write(self.style.SUCCESS(
            f"Shortfalls {label}: {len(values)} pairs, {below} below guideline, {not_recovering} not recovering, "
            f"total shortfall {total:,} (summed over items of different units)."
        ))

    def _table(self, results) -> None:
        nations = Nation.objects.in_bulk({n for n, _ in results})
        items = Item.objects.in_bulk({i for _, i in results})
        rows = sorted(results.items(), key=lambda kv: (-kv[1].shortfall, nations[kv[0][0]].code, items[kv[0][1]].name))
        header = f"{'nation':<6} {'item':<32} {'on hand':>12} {'guideline':>12} {'owed':>10} {'available':>12} " \
                 f"{'shortfall':>12} {'coverage':>8} {'months':>6}  status"
        self.stdout.write(header)
        for (n, i), r in rows:
            def num(v):
                return "—" if v is None else f"{v:,}"

            coverage = "—" if r.coverage is None else f"{r.coverage:.0%}"
            months = "—" if r.months_to_recover is None else str(r.months_to_recover)
            if r.not_recovering:
                months = "never"
            self.stdout.write(
                f"{nations[n].code:<6} {items[i].name[:32]:<32} {num(r.on_hand):>12} {num(r.guideline):>12} "
                f"{num(r.owed):>10} {num(r.available):>12} {num(r.shortfall):>12} {coverage:>8} {months:>6}  {r.status}"
            )
