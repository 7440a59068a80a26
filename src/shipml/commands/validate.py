"""``shipml validate``: expectations (GX) and drift (Evidently) on new data.

Thin on purpose: flags become config overrides or paths, the work happens in
:mod:`shipml.validate`. Flag paths are relative to the working directory (as on
any command line); paths from shipml.yaml are relative to that file.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from .. import runner
from ..errors import UsageError

if TYPE_CHECKING:  # pydantic-based: imported when the command runs, so --help stays instant
    from ..config import ShipmlConfig
    from ..results import Outcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        action="append",
        default=[],
        metavar="PATH",
        help="Data to validate (CSV, Parquet or a Parquet directory); repeat, or separate with "
        "commas/newlines, to validate several files as one table. Default: data.current.",
    )
    parser.add_argument(
        "--reference", default=None, metavar="PATH", help="Reference data. Default: data.reference."
    )
    parser.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="PATH",
        help="Expectation suite (GX JSON or compact YAML); repeatable. Default: validate.suites.",
    )
    parser.add_argument(
        "--fail-on",
        default=None,
        help="error (default): fail on error-severity failures and dataset drift; warning: also on warnings "
        "and any drifted column; never: only report.",
    )
    parser.add_argument(
        "--drift",
        nargs="?",
        const="true",
        default=None,
        metavar="BOOL",
        help="Measure drift against the reference (default: validate.drift.enabled).",
    )
    parser.add_argument("--no-drift", dest="drift", action="store_const", const="false", help="Skip drift.")
    parser.add_argument(
        "--sample-rows",
        default=None,
        metavar="N",
        help="Compare a deterministic sample of N rows per dataset.",
    )
    parser.add_argument(
        "--output-dir",
        default=None,
        metavar="DIR",
        help="Where the GX result JSON and Evidently HTML go (default: <work dir>/validate).",
    )
    parser.add_argument(
        "--init", action="store_true", help="Profile the reference data and write a starter suite, then stop."
    )
    parser.add_argument("--force", action="store_true", help="With --init: overwrite an existing suite file.")


def _paths(values: list[str]) -> list[Path]:
    """Flag values, each possibly a comma/newline list (action inputs arrive that way); empty = not given."""
    out: list[Path] = []
    for value in values:
        for part in value.replace("\n", ",").split(","):
            if part.strip():
                out.append(Path(part.strip()).expanduser())
    return out


def _bool(value: str | None, flag: str) -> bool | None:
    if value is None or value.strip() == "":
        return None
    text = value.strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise UsageError(
        f"{flag}: expected true or false, got {value!r}", hint=f"pass {flag} true or {flag} false"
    )


def run(args: argparse.Namespace) -> Outcome:
    from ..config import load_config
    from ..results import Outcome

    overrides: dict[tuple[str | int, ...], str | None] = {
        ("validate", "fail_on"): (args.fail_on or "").strip() or None,
        ("validate", "drift", "sample_rows"): (args.sample_rows or "").strip() or None,
    }
    cfg = load_config(args.config, overrides=overrides)
    from ..validate import pipeline

    flagged_suites = _paths(args.suite)
    if args.init:
        return _init(args, cfg, flagged_suites)

    data = _paths(args.data) or ([cfg.path(cfg.data.current)] if cfg.data.current else [])
    on_spark = cfg.validate_.engine == "spark"  # spark.current / spark.reference may name the data instead
    if not data and not (on_spark and cfg.spark.current.given):
        raise UsageError("no data to validate", hint="pass --data PATH or set data.current in shipml.yaml")
    reference_flag = _paths([args.reference or ""])
    reference = (
        reference_flag[0]
        if reference_flag
        else (cfg.path(cfg.data.reference) if cfg.data.reference else None)
    )
    suites = flagged_suites or [cfg.path(s) for s in cfg.validate_.suites]
    drift_flag = _bool(args.drift, "--drift")
    drift = cfg.validate_.drift.enabled if drift_flag is None else drift_flag
    if drift and reference is None and not (on_spark and cfg.spark.reference.given):
        if drift_flag:
            raise UsageError(
                "--drift needs reference data", hint="pass --reference PATH or set data.reference"
            )
        runner.notice("no reference data (data.reference / --reference): drift not measured")
        drift = False
    if not drift and not suites and not cfg.validate_.contract:
        raise UsageError(
            "nothing to validate: no suites, no validate.schema and no drift",
            hint="pass --suite PATH, add validate.schema / validate.suites, or give reference data for drift",
        )
    output_dir = Path(args.output_dir) if args.output_dir else runner.work_dir() / "validate"
    request = pipeline.Request(
        cfg=cfg, data=data, reference=reference, suites=suites, drift=drift, output_dir=output_dir
    )
    outcome = pipeline.execute(request)
    from ..report.sections import validate as report

    for line in report.text(outcome.details):
        print(line, flush=True)
    details = outcome.details
    drift_summary = details.drift
    return Outcome(
        outcome.status,
        summary=outcome.summary,
        details=details.model_dump(mode="json"),
        outputs={
            "failed-expectations": details.counts.failed_error + details.counts.failed_warning,
            "drifted-columns": ",".join(c.column for c in drift_summary.drifted) if drift_summary else "",
            "drift-share": f"{drift_summary.share:.4f}" if drift_summary else "",
            "drift-report": details.artifacts.drift_html or "",
            "gx-result": details.artifacts.gx_json or "",
        },
    )


def _init(args: argparse.Namespace, cfg: ShipmlConfig, flagged: list[Path]) -> Outcome:
    from ..results import Outcome
    from ..validate import pipeline

    reference_flag = _paths([args.reference or ""])
    data_flag = _paths(args.data)
    source = (
        reference_flag[0]
        if reference_flag
        else cfg.path(cfg.data.reference)
        if cfg.data.reference
        else data_flag[0]
        if data_flag
        else None
    )
    if source is None:
        raise UsageError("--init needs data to profile", hint="pass --reference PATH or set data.reference")
    target, count = pipeline.init(cfg, source, pipeline.suite_target(cfg, flagged), force=args.force)
    print(f"wrote {target} ({count} expectations); review it, then list it in validate.suites", flush=True)
    return Outcome(
        "passed",
        summary=f"wrote starter suite {target} ({count} expectations)",
        summary_md=f"### Data validation\n\nStarter suite `{target}` written ({count} expectations) "
        f"from `{source}`.\n",
        details={"init": {"suite": str(target), "expectations": count, "source": str(source)}},
        outputs={"suite-file": str(target)},
    )
