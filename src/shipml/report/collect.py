"""Find the result files a report is built from, wherever the workflow left them.

Results arrive as explicit files, directories (a downloaded artifact, often with
one subdirectory per artifact) or globs, and sometimes next to files that are
not results at all (GX JSON, drift HTML). Explicit files must be results; files
found by searching are skipped quietly when they are something else. A newer
schema is rendered as far as this version understands it, with a warning.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import runner
from ..errors import InputDataError
from ..results import SCHEMA_VERSION, Result, load_result_data, validate_result

# The file the first workflow of the two-workflow (workflow_run) pattern writes next to its results.
PR_NUMBER_FILES = ("pr-number", "pr-number.txt")
# Results of these commands are never inputs to a report (the comment's own result lands beside the others).
IGNORED_COMMANDS = frozenset({"comment", "doctor"})


@dataclass(frozen=True)
class LoadedResult:
    path: Path
    result: Result
    newer_schema: bool = False


@dataclass
class Collected:
    results: list[LoadedResult] = field(default_factory=list)
    pr_number: int | None = None
    pr_number_file: Path | None = None
    searched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def split_specs(values: Sequence[str]) -> list[str]:
    """Action inputs arrive as one string; accept newline- or comma-separated lists too."""
    specs: list[str] = []
    for value in values:
        for part in value.replace(",", "\n").splitlines():
            if part.strip():
                specs.append(part.strip())
    return specs


def collect(specs: Sequence[str]) -> Collected:
    """Load every result file named or found under ``specs`` (paths, directories or globs)."""
    out = Collected()
    seen: set[Path] = set()
    candidates: list[tuple[Path, bool]] = []  # (path, named explicitly)
    for spec in specs:
        path = Path(spec).expanduser()
        if any(ch in spec for ch in "*?["):
            matches = sorted(Path(p) for p in glob.glob(str(path), recursive=True))
            out.searched.append(f"{spec} (glob, {len(matches)} match{'es' if len(matches) != 1 else ''})")
            for match in matches:
                if match.is_dir():
                    candidates += [(p, False) for p in _walk(match, out)]
                else:
                    candidates.append((match, False))
        elif path.is_dir():
            found = _walk(path, out)
            out.searched.append(f"{spec} (directory, {len(found)} JSON file{'s' if len(found) != 1 else ''})")
            candidates += [(p, False) for p in found]
        elif path.is_file():
            out.searched.append(f"{spec} (file)")
            candidates.append((path, True))
        else:
            out.searched.append(f"{spec} (does not exist)")
    for path, explicit in candidates:
        resolved = path.resolve()
        if resolved in seen:
            continue
        seen.add(resolved)
        if path.name in PR_NUMBER_FILES:
            _read_pr_number(path, out)
            continue
        loaded = _load(path, explicit=explicit, warnings=out.warnings)
        if loaded is not None and loaded.result.command not in IGNORED_COMMANDS:
            out.results.append(loaded)
    return out


def _walk(directory: Path, out: Collected) -> list[Path]:
    files = sorted(p for p in directory.rglob("*.json") if p.is_file())
    for name in PR_NUMBER_FILES:
        for pr_file in sorted(directory.rglob(name)):
            if pr_file.is_file():
                _read_pr_number(pr_file, out)
    return files


def _read_pr_number(path: Path, out: Collected) -> None:
    if out.pr_number_file is not None and out.pr_number_file.resolve() == path.resolve():
        return
    text = path.read_text(encoding="utf-8", errors="replace").strip()
    if not text.isdigit() or int(text) <= 0:
        raise InputDataError(
            f"{path} should hold a pull request number, found {text[:40]!r}",
            hint="write it in the first workflow: env PR_NUMBER=github.event.pull_request.number, "
            "then printf '%s' \"$PR_NUMBER\" > pr-number",
        )
    number = int(text)
    if out.pr_number is not None and out.pr_number != number:
        raise InputDataError(
            f"{path} says PR #{number} but {out.pr_number_file} says PR #{out.pr_number}",
            hint="pass the results of one pull request only",
        )
    out.pr_number, out.pr_number_file = number, path


def _load(path: Path, *, explicit: bool, warnings: list[str]) -> LoadedResult | None:
    data = load_result_data(path)
    if not (isinstance(data, dict) and isinstance(data.get("command"), str) and "status" in data):
        if explicit:
            raise InputDataError(
                f"{path} is not a shipml result file (no 'command' and 'status')",
                hint="pass files written by a shipml command (--result-file)",
            )
        return None
    version = data.get("schema_version", SCHEMA_VERSION)
    newer = isinstance(version, int) and version > SCHEMA_VERSION
    if newer:
        message = (
            f"{path} has result schema {version}, newer than this shipml understands ({SCHEMA_VERSION}); "
            "rendering what it knows. Upgrade shipml in the comment job to see everything"
        )
        runner.warning(message)
        warnings.append(f"`{path.name}` uses result schema {version} (this shipml knows {SCHEMA_VERSION}).")
    if not newer:
        return LoadedResult(path, validate_result(data, path), newer)
    try:
        return LoadedResult(path, Result.model_validate(data), newer)
    except ValidationError:
        return LoadedResult(path, _salvage(data), newer)


def _salvage(data: dict[str, Any]) -> Result:
    """Keep what still validates in a newer file; an unknown status reads as 'needs a look'."""
    known: dict[str, Any] = {
        "command": data["command"],
        "status": data.get("status")
        if data.get("status") in ("passed", "failed", "inconclusive", "error")
        else None,
        "started_at": data.get("started_at") if isinstance(data.get("started_at"), str) else "",
        "duration_s": data.get("duration_s") if isinstance(data.get("duration_s"), (int, float)) else 0.0,
    }
    if known["status"] is None:
        known["status"] = "inconclusive"
        known["summary"] = f"unknown status {data.get('status')!r} from a newer shipml"
    for name in (
        "summary",
        "summary_md",
        "details",
        "outputs",
        "commit",
        "run_url",
        "pr_number",
        "schema_version",
    ):
        if name in data and name not in known:
            try:
                Result.model_validate({**known, name: data[name]})
            except ValidationError:
                continue
            known[name] = data[name]
    return Result.model_validate(known)
