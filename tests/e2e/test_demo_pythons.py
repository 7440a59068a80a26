"""The README's first command, `bash scripts/demo.sh`, on every Python the README claims (3.11-3.13).

Why: "supported Pythons" was once claimed and not tested (3.10 failed to install outright). Each
run installs shipml with the setup action's installer into a private venv from that interpreter
(``SHIPML_PYTHON``), then runs the whole main job on the bundled example: validate, train twice,
gate, promote, compose the PR comment. The interpreters come from pyenv (these machines carry
3.11, 3.12 and 3.13); a missing one fails the test, it never skips. Without a Docker daemon the
demo leaves out the image steps (they are tested under act in test_image_actions.py).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support.act import export_checkout

CLAIMED = ("3.11", "3.12", "3.13")


def pyenv_python(minor: str) -> Path:
    root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
    found = sorted(Path(root, "versions").glob(f"{minor}.*/bin/python3"))
    assert found, f"Python {minor} is needed for this test: install it under {root}/versions (pyenv install)"
    return found[-1]


@pytest.mark.parametrize("minor", CLAIMED)
def test_demo_runs_end_to_end_on_each_claimed_python(minor: str, tmp_path: Path) -> None:
    python = pyenv_python(minor)
    repo = export_checkout(tmp_path / "shipml")
    private = ("SHIPML_", "MLFLOW_", "GITHUB_", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if not k.startswith(private)}
    env.update(
        {
            "SHIPML_PYTHON": str(python),
            "SHIPML_VENV_ROOT": str(tmp_path / "venvs"),
            "DOCKER_HOST": "",
            "PATH": f"{python.parent}:/usr/local/bin:/usr/bin:/bin",
        }
    )
    demo = ["bash", "scripts/demo.sh"]
    proc = subprocess.run(demo, cwd=repo, env=env, capture_output=True, text=True, timeout=900, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    (venv,) = (p for p in (tmp_path / "venvs").glob("*/bin/python") if (p.parents[1] / ".ready").is_file())
    version = subprocess.run([str(venv), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith(f"Python {minor}."), version
    report = (repo / "examples" / "churn" / ".shipml" / "report.md").read_text()
    results = repo / "examples" / "churn" / ".shipml" / "results"
    for name in ("validate", "train-v1", "gate-v1", "promote-v1", "train", "gate", "promote"):
        assert (results / f"{name}.json").is_file(), f"{name}.json missing"
    assert "Traceback" not in out
    assert "churn-classifier" in report and "accuracy" in report
