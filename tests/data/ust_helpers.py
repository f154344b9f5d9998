"""Helpers for the tracker import tests."""

import csv
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from coordination.models import Category, Item, Nation
from pledges.models import AidFlow, Pledge

DATA = Path(settings.BASE_DIR) / "data" / "ukraine-support-tracker"


def csv_rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def run_import(directory=DATA) -> str:
    out = StringIO()
    call_command("import_ust", str(directory), stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Nation, Category, Item, Pledge, AidFlow)}
