"""The hand-written gate results the report tests render must be outputs the gate could produce.

A ✅ non-inferiority row whose CI reaches past the margin would teach readers (and the golden
reports) a rule the gate does not apply: the gate passes only a bound strictly beyond the margin.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import REPO

FIXTURES = sorted((REPO / "tests" / "fixtures" / "results").glob("*/gate.json"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.parent.name)
def test_decided_rows_follow_the_gate_rule(path: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    details = data.get("details", data)
    checked = 0
    for row in details.get("metrics", []):
        found = re.search(r"max_regression ([0-9.]+)(%?)", row.get("rule") or "")
        if not found or found.group(2) or row.get("ci_low") is None or row.get("confidence") is None:
            continue
        margin = float(found.group(1))
        sign = 1 if row["higher_is_better"] else -1
        worst, best = sorted((sign * row["ci_low"], sign * row["ci_high"]))
        expected = "pass" if worst > -margin else "fail" if best <= -margin else "inconclusive"
        if row["outcome"] != "fail" or expected == "fail":  # another clause (min) may fail a row
            assert row["outcome"] == expected, (path, row["metric"], row.get("slice"))
        checked += 1
    assert checked
