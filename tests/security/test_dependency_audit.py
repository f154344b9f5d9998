"""scripts/dependency_audit.sh reads pip-audit's JSON report: a known vulnerability fails the run, a report
in which nothing could be checked is never taken for a clean audit. (pip-audit itself needs an advisory
service on the network; the report is given here, in pip-audit's JSON format.)"""

import json
import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dependency_audit.sh"
CLEAN = {"name": "django", "version": "5.2.9", "vulns": []}
SKIPPED = {"name": "celery", "skip_reason": "Dependency not found on PyPI and could not be audited: celery (5.6.0)"}
VULNERABLE = {"name": "django", "version": "5.2.0", "vulns": [
    {"id": "PYSEC-2025-37", "fix_versions": ["5.2.1"], "aliases": ["CVE-2025-32873"], "description": "…"}]}


def run(tmp_path, deps, **env):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": deps, "fixes": []}))
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "AUDIT_REPORT": str(report), **env})
    return result.returncode, result.stdout


def test_a_known_vulnerability_fails_the_run(tmp_path):
    code, out = run(tmp_path, [CLEAN, VULNERABLE])
    assert code == 1
    assert "VULNERABLE django 5.2.0: PYSEC-2025-37 (fixed in: 5.2.1)" in out
    assert "2 of 2 locked packages checked, 1 vulnerable" in out


def test_all_checked_and_clean_passes(tmp_path):
    assert run(tmp_path, [CLEAN]) == (0, "dependency audit: 1 of 1 locked packages checked, 0 vulnerable\n")


@pytest.mark.parametrize("strict, expected", [("0", 0), ("1", 2)])
def test_unchecked_packages_are_a_warning_or_with_the_strict_flag_a_failure(tmp_path, strict, expected):
    code, out = run(tmp_path, [CLEAN, SKIPPED], AID_REQUIRE_DEP_AUDIT=strict)
    assert code == expected
    assert "1 packages could not be checked" in out and "not a clean audit" in out


def test_no_report_at_all_is_not_a_pass_with_the_strict_flag(tmp_path):
    env = {**os.environ, "AUDIT_REPORT": str(tmp_path / "missing.json"), "AID_REQUIRE_DEP_AUDIT": "1"}
    result = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2 and "gave no report" in result.stdout
