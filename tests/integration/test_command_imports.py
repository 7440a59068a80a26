"""Each command imports only what it needs: ``--help`` of any command pays for no heavy library.

Measured by importing in a fresh interpreter exactly as ``shipml <command> --help`` does and
listing ``sys.modules`` afterwards (not by timing, which a loaded machine makes noisy).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shipml.commands import COMMANDS

# Libraries that cost a second or more to import, or pull in a large stack.
HEAVY = (
    "mlflow",
    "great_expectations",
    "evidently",
    "sklearn",
    "pandas",
    "numpy",
    "scipy",
    "pyarrow",
    "docker",
    "kubernetes",
    "github",
    "pyspark",
    "fastapi",
    "uvicorn",
    "skops",
)

PROBE = """
import json, sys, contextlib, io
from shipml.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main([sys.argv[1], "--help"])
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules_after_help(command: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, command], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(run.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("command", [c.name for c in COMMANDS])
def test_help_imports_no_heavy_library(command: str) -> None:
    modules = _modules_after_help(command)
    assert f"shipml.commands.{command}" in modules  # the command's own parser really ran
    heavy = sorted({m.split(".")[0] for m in modules} & set(HEAVY))
    assert heavy == [], f"shipml {command} --help imports {heavy}"


def test_help_imports_only_the_chosen_command() -> None:
    modules = _modules_after_help("gate")
    others = sorted(m for m in modules if m.startswith("shipml.commands.") and m != "shipml.commands.gate")
    assert others == [], others
