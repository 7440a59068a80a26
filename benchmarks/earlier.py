"""shipml as it was at an earlier commit, for a benchmark's before/after in one run on one machine.

A before/after figure is only comparable when both sides run on the same machine at the same
moment (this VM's speed swings by a third from minute to minute), so ``--before REF`` exports
that commit's ``src/shipml`` and the benchmark runs it with ``PYTHONPATH`` pointing there: same
venv, same data, same dependencies; only shipml's own code differs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def export(ref: str, dest: Path) -> Path:
    """``src/shipml`` of git ``ref`` under ``dest`` (once); the directory to put on ``PYTHONPATH``."""
    src = dest / "src"
    if not (src / "shipml").is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", ref, "src/shipml"], cwd=REPO, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return src
