"""Each command imports only what it needs: ``--help`` of any command pays for no heavy library,
and a real run of each PR-job command on the bundled example imports none that its path does not use.

Measured by running the command in a fresh interpreter exactly as ``shipml <command>`` does and
listing ``sys.modules`` afterwards (not by timing, which a loaded machine makes noisy). The real runs
write the module list from an ``atexit`` hook, so a command that ends with ``sys.exit`` still reports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


# -- real runs ---------------------------------------------------------------------------------

RUN_PROBE = """
import atexit, json, os, sys
def _dump():
    with open(os.environ["SHIPML_PROBE_MODULES"], "w", encoding="utf-8") as fh:
        json.dump(sorted(sys.modules), fh)
atexit.register(_dump)
from shipml.cli import main
sys.exit(main(sys.argv[1:]))
"""

# What each command's real run must not import. Only libraries that shipml itself decides to import
# are listed: a library a needed one pulls in is that library's cost, not a stray import of ours
# (Evidently's legacy metrics import sklearn; ``import mlflow`` imports pandas, numpy, fastapi and,
# when installed, pyspark; GX imports pyspark when installed).
ML_STACK = ("mlflow", "great_expectations", "evidently", "sklearn", "pandas", "numpy", "scipy", "skops")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "comment": (*ML_STACK, "pyarrow", "pyspark", "fastapi", "uvicorn", "docker", "kubernetes"),
    "validate": ("mlflow", "skops", "github", "docker", "kubernetes", "uvicorn"),
    "train": ("great_expectations", "evidently", "github", "docker", "kubernetes", "uvicorn"),
    # the gate's MLflow side runs in a forked helper (shipml.gate.fetch): MLflow is never imported here
    "gate": ("mlflow", "great_expectations", "evidently", "github", "docker", "kubernetes", "uvicorn"),
    "promote": ("great_expectations", "evidently", "sklearn", "skops", "github", "docker", "kubernetes"),
}
# What each real run must have imported: proof that the probe saw the command's work, not just start-up.
EXPECTED: dict[str, tuple[str, ...]] = {
    "comment": ("shipml.report.compose",),
    "validate": ("great_expectations", "evidently", "shipml.validate.pipeline"),
    "train": ("mlflow", "sklearn", "shipml.train.trainer"),
    "gate": ("sklearn", "shipml.gate.fetch", "shipml.gate.run"),
    "promote": ("mlflow", "shipml.promote.promotion"),
}


@dataclass(frozen=True)
class ProbedRun:
    code: int
    output: str
    modules: frozenset[str]

    @property
    def packages(self) -> set[str]:
        return {m.split(".")[0] for m in self.modules}


def probe_run(
    argv: list[str], cwd: Path, modules_file: Path, env: dict[str, str], *, one_cpu: bool = True
) -> ProbedRun:
    """``shipml ARGV`` in a fresh interpreter; the modules it had imported when it exited.

    On one CPU (``taskset``): validate then measures drift in this process instead of a forked
    child (shipml.beside), so every module its run needs is in the one list the probe writes.
    The gate runs on two CPUs, as on a hosted runner: what must stay out of its process is
    MLflow itself, which its forked helper (shipml.gate.fetch) imports instead.
    """
    pin = ["taskset", "-c", "0"] if one_cpu else []
    proc = subprocess.run(
        [*pin, sys.executable, "-c", RUN_PROBE, *argv],
        cwd=cwd,
        env={**os.environ, **env, "SHIPML_PROBE_MODULES": str(modules_file)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    return ProbedRun(proc.returncode, proc.stdout + proc.stderr, frozenset(modules))


@pytest.fixture(scope="module")
def pr_job(tmp_path_factory: pytest.TempPathFactory, mlflow_server: str) -> Iterator[dict[str, ProbedRun]]:
    """The PR job's commands run once, in order, on a copy of the example against a real MLflow server."""
    import shutil

    from tests.conftest import EXAMPLE

    work = tmp_path_factory.mktemp("imports")
    project = work / "churn"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".shipml", "__pycache__"))
    results = work / ".shipml" / "results"  # the default folder, where gate finds train's result
    env = {
        "SHIPML_HOME": str(work / ".shipml"),
        "MLFLOW_TRACKING_URI": mlflow_server,
        "SHIPML_MLFLOW__REGISTERED_MODEL": f"imports-{work.name}",
        "SHIPML_MLFLOW__EXPERIMENT": f"imports-{work.name}",
    }
    steps = {
        "validate": ["validate", "--result-file", str(results / "validate.json")],
        "train": ["train", "--result-file", str(results / "train.json")],
        "gate": ["gate", "--result-file", str(results / "gate.json")],
        "promote": [
            "promote",
            "--gate-result",
            str(results / "gate.json"),
            "--result-file",
            str(results / "promote.json"),
        ],
        "comment": ["comment", "--results", str(results), "--output", str(work / "report.md")],
    }
    yield {
        name: probe_run(argv, project, work / f"{name}.modules.json", env, one_cpu=name != "gate")
        for name, argv in steps.items()
    }


@pytest.mark.integration
@pytest.mark.parametrize("command", list(FORBIDDEN))
def test_real_run_imports_only_what_its_path_needs(command: str, pr_job: dict[str, ProbedRun]) -> None:
    run = pr_job[command]
    assert run.code == 0, f"shipml {command} failed ({run.code}):\n{run.output[-3000:]}"
    missing = [m for m in EXPECTED[command] if m not in run.modules]
    assert missing == [], f"the probe did not see shipml {command}'s work: {missing}"
    stray = sorted(run.packages & set(FORBIDDEN[command]))
    assert stray == [], f"shipml {command} (a real run) imports {stray}"


@pytest.mark.integration
def test_the_run_probe_reports_what_the_process_imported(tmp_path: Path) -> None:
    """The atexit list holds every module of the process, so an extra import shows up in it."""
    run = probe_run(["--version"], tmp_path, tmp_path / "m.json", {})
    assert "shipml.cli" in run.modules and "numpy" not in run.modules
    fed = subprocess.run(
        [sys.executable, "-c", "import numpy\n" + RUN_PROBE, "--version"],
        env={**os.environ, "SHIPML_PROBE_MODULES": str(tmp_path / "n.json")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert fed.returncode == 0, fed.stderr
    assert "numpy" in json.loads((tmp_path / "n.json").read_text(encoding="utf-8"))
