"""The French catalogue covers every translatable string of the project (views, forms, models, templates).

``makemessages`` runs on a copy of the sources into a temporary catalogue seeded with the committed one;
any string it adds (new, untranslated) or marks fuzzy (changed since it was translated) fails the test.
To fix: ``manage.py makemessages -l fr --ignore=.venv --ignore=bench --ignore=tests``, translate,
``manage.py compilemessages``. Needs GNU gettext (xgettext, msgmerge).
"""

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("config", "coordination", "pledges", "stockpiles", "notifications", "web", "loaders", "templates")

pytestmark = pytest.mark.skipif(not (shutil.which("xgettext") and shutil.which("msgmerge")),
                                reason="needs GNU gettext (xgettext, msgmerge)")


def entries(po_text: str):
    """(flags, msgid, msgstrs) per entry of a .po file (the header excluded, obsolete entries skipped)."""
    for block in re.split(r"\n\s*\n", po_text):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields: dict[str, str] = {}
        key = None
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            yield flags, fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")]


def test_every_string_has_a_french_translation(tmp_path, settings, monkeypatch):
    for name in SOURCES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "locale", tmp_path / "locale")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["fr"], verbosity=0)
    po = (tmp_path / "locale" / "fr" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    found = list(entries(po))
    assert len(found) > 300  # the catalogue was read
    untranslated = [msgid for flags, msgid, strs in found if "fuzzy" in flags or not all(strs)]
    assert not untranslated, f"{len(untranslated)} strings without a French translation: {untranslated[:10]}"
