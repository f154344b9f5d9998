"""Nothing loads from a CDN: templates and the dashboard's own static files only reference this site."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
OWN_FILES = [*sorted((ROOT / "templates").rglob("*.html")), *sorted((ROOT / "static" / "dashboard").iterdir())]


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_external_urls(path):
    text = path.read_text(encoding="utf-8")
    external = [u for u in re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"'<>]*", text)
                if "www.w3.org/2000/svg" not in u]
    assert external == []


def test_no_inline_scripts_or_handlers():
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path  # json_script renders in views only
        assert not re.search(r"\son[a-z]+=", text), path
        assert "style=" not in text, path


def test_vendored_files_are_there():
    for name in ("vendor/chartjs/chart.umd.min.js", "vendor/chartjs/chart.umd.min.js.map",
                 "vendor/chartjs/LICENSE.md", "django_htmx/htmx-2.min.js", "dashboard/dashboard.js"):
        assert finders.find(name), name
