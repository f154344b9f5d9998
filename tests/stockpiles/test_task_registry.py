"""A fresh process (web or command) knows every task by name: the engine publishes its drain by name."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

NAMES = ["stockpiles.tasks.recompute_marked_shortfalls", "stockpiles.tasks.recompute_all_shortfalls",
         "notifications.tasks.alerts_notify", "notifications.tasks.deliver_webhook",
         "notifications.tasks.send_daily_digests"]


def test_tasks_are_registered_once_django_is_set_up():
    code = ("import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup(); "
            "from config.celery import app; import sys; "
            f"missing = [n for n in {NAMES!r} if n not in app.tasks]; print(missing); sys.exit(1 if missing else 0)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
