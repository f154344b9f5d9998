#!/usr/bin/env bash
# Check the locked dependencies (requirements.lock) for known vulnerabilities with pip-audit.
#
# Fails (exit 1) when any locked package has a known vulnerability. pip-audit needs an advisory
# service on the network (PyPI's JSON API, or OSV with AUDIT_SERVICE=osv). Where neither answers,
# pip-audit reports every package as "could not be audited" and finds nothing: this script then says
# so plainly, as a warning (exit 0), or as a failure (exit 2) with AID_REQUIRE_DEP_AUDIT=1 (set it
# where the network allows, so that a silent no-op can never pass for a clean audit).
set -euo pipefail
cd "$(dirname "$0")/.."
# AUDIT_REPORT=<file>: read a pip-audit JSON report instead of running pip-audit (the tests use it).
if [ -n "${AUDIT_REPORT:-}" ]; then
  report=$AUDIT_REPORT
else
  venv=.venv-audit
  test -x "$venv/bin/pip-audit" || { python3 -m venv "$venv" && "$venv/bin/python" -m pip install --quiet pip-audit; }
  report=$(mktemp)
  trap 'rm -f "$report"' EXIT
  "$venv/bin/pip-audit" -r requirements.lock --no-deps --disable-pip --progress-spinner off \
    -s "${AUDIT_SERVICE:-pypi}" -f json -o "$report" 2>/dev/null || true
fi

python3 - "$report" <<'EOF'
import json
import os
import sys

try:
    with open(sys.argv[1]) as fh:
        deps = json.load(fh)["dependencies"]
except (OSError, ValueError, KeyError) as exc:
    print(f"dependency audit: pip-audit gave no report ({exc}); the advisory service did not answer")
    sys.exit(2 if os.environ.get("AID_REQUIRE_DEP_AUDIT") == "1" else 0)
audited = [d for d in deps if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
        print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixes})")
print(f"dependency audit: {len(audited)} of {len(deps)} locked packages checked, {len(vulnerable)} vulnerable")
if vulnerable:
    sys.exit(1)
if len(audited) < len(deps):
    print(f"WARNING: {len(deps) - len(audited)} packages could not be checked (no advisory data reachable from "
          "this machine): this is not a clean audit")
    sys.exit(2 if os.environ.get("AID_REQUIRE_DEP_AUDIT") == "1" else 0)
EOF
