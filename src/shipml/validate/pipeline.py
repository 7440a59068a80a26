"""One validation run, in the order that keeps bad input from leaving anything behind.

Suites are parsed before any data is read (and checked against GX there too,
unless drift runs: then GX is imported beside it), the data is checked before
anything is evaluated, and the artefacts (GX result JSON,
Evidently HTML) are written only once every check has run, each atomically. A
run that fails with exit 2 therefore leaves the output directory as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .. import beside, runner
from ..config import ShipmlConfig
from ..config.validate import DriftSection
from ..contracts.validate import Artifacts, Counts, DriftSummary, ExpectationOutcome, ValidateDetails
from ..datasets import read_table
from ..errors import InputDataError, UsageError
from ..progress import stage
from ..report.sections import validate as report
from ..runner import display_path
from . import drift, gx_runner, inputs, schema_suite
from .suites import ExpectationSpec, Suite, load_suite

GX_JSON = "gx_result.json"
DRIFT_HTML = "drift_report.html"
MAX_ANNOTATIONS = 10  # GitHub shows at most 10 annotations of each kind per step


@dataclass
class Request:
    cfg: ShipmlConfig
    data: list[Path]
    reference: Path | None
    suites: list[Path]
    drift: bool
    output_dir: Path


@dataclass
class Outcome:
    status: Literal["passed", "failed"]
    summary: str
    details: ValidateDetails
    reasons: list[str] = field(default_factory=list)


def execute(request: Request) -> Outcome:
    if request.cfg.validate_.engine == "spark":  # same suites, checks and verdicts, run where the data is
        from . import spark_pipeline

        return spark_pipeline.execute(request)
    cfg = request.cfg
    section = cfg.validate_
    # GX is imported where the expectations run, beside the drift part (Evidently), not up front
    suites = load_suites(request.suites, check_with_gx=not (request.drift and request.reference))
    file_specs = [spec for suite in suites for spec in suite.expectations]
    with stage("Reading data"):
        current = inputs.read_data(request.data, "current data")
        reference = (
            read_table(request.reference, role="reference data")
            if request.drift and request.reference
            else None
        )
    text_ok = {name for name, rule in section.contract.items() if rule.dtype in ("string", "category")}
    ignore = list(cfg.data.ignore)
    empty = inputs.check_frame(current, "current data", skip=ignore, text_ok=text_ok, allow_empty=True)
    if reference is not None:
        inputs.check_frame(reference, "reference data", skip=ignore, text_ok=text_ok)
        optional = [c for c in (cfg.data.target, section.drift.prediction) if c]
        diffs = inputs.schema_differences(reference, current, [*ignore, *section.drift.ignore], optional)
        if diffs:
            raise InputDataError(
                f"reference data {request.reference} and current data have different schemas: "
                + "; ".join(diffs),
                hint="align the files, or list the columns in data.ignore",
            )
    inputs.check_suite_columns(file_specs, [str(c) for c in current.columns], "current data")
    contract_suite = schema_suite.contract_suite(cfg, {str(c) for c in current.columns})
    all_suites: list[Suite] = ([contract_suite] if contract_suite else []) + suites
    specs: list[ExpectationSpec] = [spec for suite in all_suites for spec in suite.expectations]
    prepared = None  # planned before any expectation runs, so a drift config error costs nothing
    if reference is not None:
        # An all-empty current column has no distribution to compare; the others still get measured.
        prepared = drift.prepare(
            reference, current, section.drift, target=cfg.data.target, ignore=[*ignore, *empty]
        )

    outcomes: list[ExpectationOutcome] = []
    gx_raw: dict[str, Any] | None = None
    drift_run: SavedDrift | None = None
    checking = f"Checking {len(specs)} expectations (Great Expectations)"
    if prepared is None:
        if specs:
            with stage(checking):
                outcomes, gx_raw = gx_runner.run(current, specs)
    else:
        ready = prepared  # bound for the closure (mypy: not None there)
        measuring = f"drift on {len(ready.plans)} columns (Evidently)"
        # the two import different libraries and share nothing: one beside the other
        with stage(f"{checking} and measuring {measuring}" if specs else f"Measuring {measuring}"):
            drift_run, (outcomes, gx_raw) = beside.together(
                lambda: _measure_and_render(ready, section.drift),
                lambda: gx_runner.run(current, specs) if specs else ([], None),
            )

    try:
        outcomes = [*(empty_column_outcome(column) for column in empty), *outcomes]
        summary = drift_run.summary if drift_run is not None else None
        if summary is not None and empty:
            summary.skipped_empty = list(empty)
        artifacts = _write_artifacts(request.output_dir, gx_raw, drift_run)
    finally:
        if drift_run is not None:
            drift_run.discard()
    return conclude(
        request,
        outcomes,
        summary,
        artifacts,
        rows=len(current),
        data=[display_path(p) for p in request.data],
        reference=display_path(request.reference) if request.reference and reference is not None else None,
    )


@dataclass
class SavedDrift:
    """Drift measured and its HTML report rendered to a temporary file, in whichever process ran it."""

    summary: DriftSummary
    html: str

    def save_html(self, path: str) -> None:
        shutil.move(self.html, path)

    def discard(self) -> None:
        Path(self.html).unlink(missing_ok=True)


def _measure_and_render(prepared: drift.Prepared, section: DriftSection) -> SavedDrift:
    """The whole drift part, report included, so it can run beside the expectations (see beside.py)."""
    run = drift.measure(prepared, section)
    fd, html = tempfile.mkstemp(prefix="shipml-drift-", suffix=".html")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(html, 0o666 & ~umask)  # a report like any other file written here, not mkstemp's 0600
    try:
        run.save_html(html)
    except BaseException:
        Path(html).unlink(missing_ok=True)
        raise
    return SavedDrift(run.summary, html)


def conclude(
    request: Request,
    outcomes: list[ExpectationOutcome],
    drift_summary: DriftSummary | None,
    artifacts: Artifacts,
    *,
    rows: int,
    data: list[str],
    reference: str | None,
) -> Outcome:
    """Counts, verdict, annotations and summary: the same for every engine."""
    section = request.cfg.validate_
    counts = Counts(
        evaluated=len(outcomes),
        failed_error=sum(1 for o in outcomes if not o.success and o.severity == "error"),
        failed_warning=sum(1 for o in outcomes if not o.success and o.severity == "warning"),
    )
    details = ValidateDetails(
        data=data,
        reference=reference,
        rows=rows,
        expectations=outcomes,
        counts=counts,
        drift=drift_summary,
        artifacts=artifacts,
        fail_on=section.fail_on,
        fail_on_drift=section.drift.fail_on_drift,
    )
    status, reasons = decide(details)
    annotate(details)
    return Outcome(status=status, summary=summarize(details, reasons), details=details, reasons=reasons)


def load_suites(paths: Sequence[Path], *, check_with_gx: bool = True) -> list[Suite]:
    """Parsed suites, checked against GX (unknown types, bad arguments) before any data is read.

    ``check_with_gx=False`` leaves that check to the run itself (it builds the same objects and
    raises the same errors), so importing GX can happen beside the drift part.
    """
    suites: list[Suite] = []
    if paths:
        with stage("Loading expectation suites" + (" (Great Expectations)" if check_with_gx else "")):
            suites = [load_suite(path) for path in paths]
            if check_with_gx:
                gx_runner.build_expectations([spec for suite in suites for spec in suite.expectations])
    for suite in suites:
        if not suite.expectations:  # e.g. `columns: {}`: passing it would say nothing was wrong
            runner.warning(
                f"suite {suite.name} has no expectations: nothing in it was checked",
                file=suite.file,
                title="shipml validate",
            )
    return suites


def empty_column_outcome(column: str) -> ExpectationOutcome:
    """An entirely empty column fails even when no suite checks it: a broken export must not pass."""
    return ExpectationOutcome(
        suite="shipml (built-in)",
        expectation="column_not_entirely_empty",
        column=column,
        severity="error",
        success=False,
        unexpected_percent=100.0,
        observed_value="every value is missing",
    )


def decide(details: ValidateDetails) -> tuple[Literal["passed", "failed"], list[str]]:
    """Failed when what ``fail_on`` covers went wrong; everything else is reported, not enforced."""
    reasons: list[str] = []
    counts, drift = details.counts, details.drift
    if details.fail_on == "never":
        return "passed", reasons
    if counts.failed_error:
        reasons.append(
            f"{counts.failed_error} error expectation{'s' if counts.failed_error > 1 else ''} failed"
        )
    if drift and drift.dataset_drift and details.fail_on_drift:
        threshold = report.fixed(drift.share_threshold, ".2f")
        reasons.append(f"dataset drift (share {drift.share:.2f} ≥ {threshold})")
    if details.fail_on == "warning":
        if counts.failed_warning:
            plural = "s" if counts.failed_warning > 1 else ""
            reasons.append(f"{counts.failed_warning} warning expectation{plural} failed")
        if drift and drift.drifted and not drift.dataset_drift:
            reasons.append(f"{len(drift.drifted)} drifted column{'s' if len(drift.drifted) > 1 else ''}")
    return ("failed" if reasons else "passed"), reasons


def summarize(details: ValidateDetails, reasons: Sequence[str]) -> str:
    counts = details.counts
    failed = counts.failed_error + counts.failed_warning
    parts = [
        f"{counts.evaluated} expectations, {failed} failed"
        + (f" ({counts.failed_warning} warning)" if counts.failed_warning else "")
    ]
    drift = details.drift
    if drift:
        names = ", ".join(c.column for c in drift.drifted[:5]) + ("…" if len(drift.drifted) > 5 else "")
        parts.append(
            f"drift in {len(drift.drifted)} of {len(drift.columns)} columns{f' ({names})' if names else ''}, "
            f"share {drift.share:.2f}"
        )
    text = "; ".join(parts)
    return f"{'; '.join(reasons)} — {text}" if reasons else text


def annotate(details: ValidateDetails) -> None:
    """``::error``/``::warning`` on the suite line of each failure (capped like GitHub does)."""
    shown = {"error": 0, "warning": 0}
    for outcome in report.failures(details):
        if shown[outcome.severity] >= MAX_ANNOTATIONS:
            continue
        shown[outcome.severity] += 1
        found = report.unexpected_text(outcome)
        if outcome.unexpected_count is not None:
            examples = ", ".join(str(v) for v in outcome.examples[:3])
            found = f"{found} unexpected" + (f", e.g. {examples}" if examples else "")
        message = f"{outcome.column or 'table'}: {report.describe(outcome)} failed: {found}"
        emit = runner.error if outcome.severity == "error" else runner.warning
        emit(message, file=outcome.file, line=outcome.line, title=f"shipml validate: {outcome.suite}")
    drift = details.drift
    if drift:
        for column in drift.drifted[:MAX_ANNOTATIONS]:
            stat = (
                f"p adj. {column.p_adjusted:.3g}"
                if column.p_adjusted is not None
                else f"{column.statistic:.3g}"
            )
            runner.warning(
                f"column {column.column} drifted: {column.method} {stat} vs threshold {column.threshold:g}",
                title="shipml validate: drift",
            )
        if drift.dataset_drift:
            emit = runner.error if details.fail_on_drift and details.fail_on != "never" else runner.warning
            emit(
                f"dataset drift: {len(drift.drifted)} of {len(drift.columns)} columns drifted "
                f"(share {drift.share:.2f} ≥ {report.fixed(drift.share_threshold, '.2f')})",
                title="shipml validate: drift",
            )


def _write_artifacts(directory: Path, gx_raw: dict[str, Any] | None, drift_run: Any) -> Artifacts:
    if gx_raw is None and drift_run is None:
        return Artifacts()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the output directory {directory} ({exc.strerror or exc})",
            hint="pass a writable --output-dir",
        ) from None
    with stage("Writing artefacts"):
        # every file is written beside its target first, then all are renamed: no mix of old and new
        staged: list[tuple[Path, Path]] = []
        try:
            if gx_raw is not None:
                tmp = directory / f".{GX_JSON}.{os.getpid()}.tmp"
                staged.append((tmp, directory / GX_JSON))
                tmp.write_text(json.dumps(gx_raw, indent=2, default=str) + "\n", encoding="utf-8")
            if drift_run is not None:
                tmp = directory / f".{DRIFT_HTML}.{os.getpid()}.tmp.html"
                staged.append((tmp, directory / DRIFT_HTML))
                drift_run.save_html(str(tmp))
        except OSError as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise UsageError(
                f"cannot write artefacts to {directory} ({exc.strerror or exc})",
                hint="pass a writable --output-dir",
            ) from None
        for tmp, target in staged:
            os.replace(tmp, target)
    return Artifacts(
        gx_json=str(directory / GX_JSON) if gx_raw is not None else None,
        drift_html=str(directory / DRIFT_HTML) if drift_run is not None else None,
    )


# -- --init --------------------------------------------------------------------------------------


def init(cfg: ShipmlConfig, source: Path, target: Path, *, force: bool) -> tuple[Path, int]:
    """Profile ``source`` and write a starter suite to ``target`` (never over a file, unless forced)."""
    from .init_suite import starter_suite

    if target.exists() and not force:
        raise UsageError(
            f"suite file {target} already exists", hint="pass --force to overwrite it, or another --suite"
        )
    frame = read_table(source, role="reference data")
    inputs.check_frame(frame, "reference data")
    name = cfg.project if cfg.project != "shipml" else target.stem
    text, count = starter_suite(frame, name=name, source=display_path(source))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target, count


def suite_target(cfg: ShipmlConfig, flagged: Sequence[Path]) -> Path:
    if flagged:
        return flagged[0]
    if cfg.validate_.suites:
        return cfg.path(cfg.validate_.suites[0])
    return cfg.path(Path("expectations") / f"{cfg.project}.yaml")
