"""Checks the applicable scenarios of a conformance run one by one.

usage: python conformance_check.py OUT_DIR BASELINE.yaml SCENARIO...

`conformance server --requirements R --expected-failures B` already fails on unexpected
failures of the scenarios R scores. This script adds what it does not: each scenario named
here (scored or not, e.g. the pending `http-header-validation`) must have run, have at least
one passing check, and have no FAILURE or WARNING check other than a `<scenario>:<check-id>`
entry of the baseline. It prints one PASS/FAIL line per scenario and exits 1 if any failed.
Only the standard library is used (the baseline is read as a list of `- entry` lines).
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys


def baseline_entries(path: str) -> set[str]:
    entries = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*-\s*([A-Za-z0-9_.:/-]+)", line)
            if m:
                entries.add(m.group(1))
    return entries


def results(out_dir: str) -> dict[str, list[dict]]:
    """scenario -> checks of its newest run in out_dir."""
    newest: dict[str, tuple[str, str]] = {}
    for path in glob.glob(os.path.join(out_dir, "server-*", "checks.json")):
        name = os.path.basename(os.path.dirname(path))
        m = re.match(r"^server-(.+)-(\d{4}-\d{2}-\d{2}T[\d-]+Z)$", name)
        if not m:
            continue
        scenario, stamp = m.group(1), m.group(2)
        if scenario not in newest or stamp > newest[scenario][0]:
            newest[scenario] = (stamp, path)
    out = {}
    for scenario, (_, path) in newest.items():
        with open(path, encoding="utf-8") as f:
            out[scenario] = json.load(f)
    return out


def main() -> int:
    out_dir, baseline_path, scenarios = sys.argv[1], sys.argv[2], sys.argv[3:]
    allowed = baseline_entries(baseline_path)
    runs = results(out_dir)
    failed = 0
    for scenario in scenarios:
        checks = runs.get(scenario)
        if checks is None:
            print(f"  FAIL {scenario}: did not run (no {out_dir}/server-{scenario}-*/checks.json)")
            failed += 1
            continue
        passed = [c for c in checks if c.get("status") == "SUCCESS"]
        bad = [c for c in checks if c.get("status") in ("FAILURE", "WARNING")]
        unexpected = [c for c in bad if f"{scenario}:{c.get('id')}" not in allowed]
        excused = len(bad) - len(unexpected)
        if not passed or unexpected:
            failed += 1
            print(f"  FAIL {scenario}: {len(passed)} passed, {len(unexpected)} unexpected failure(s)")
            for c in unexpected:
                msg = c.get("errorMessage") or (c.get("details") or {}).get("message") or c.get("description", "")
                print(f"       {c.get('status')} {c.get('id')}: {str(msg)[:400]}")
        else:
            note = f", {excused} baselined" if excused else ""
            print(f"  PASS {scenario}: {len(passed)} passed{note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
