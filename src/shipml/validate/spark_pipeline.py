"""``validate.engine: spark``: the pandas path's run, with the data left where it is.

Same order and the same promises as :mod:`.pipeline` (suites checked before data is
read, data checked before anything is evaluated, nothing written on a bad input), the
same suites, schema contract, verdict and annotations; only the engine differs. What
comes back to the driver: row and null counts, per-column aggregates, category and
bin counts, GX's metric values (at most a few example values per failed expectation)
and, for K-S columns only, a bounded deterministic sample. Never the rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import ShipmlConfig
from ..config.spark import SparkSource
from ..contracts.validate import Artifacts, DriftSummary, ExpectationOutcome
from ..errors import InputDataError
from ..progress import stage
from ..spark_api import probe
from ..spark_api.read import read
from . import inputs, schema_suite, spark_drift, spark_gx
from .pipeline import Outcome, Request, _write_artifacts, conclude, empty_column_outcome, load_suites
from .suites import ExpectationSpec, Suite

if TYPE_CHECKING:
    from ..spark_api.session import Session


def _resolve(cfg: ShipmlConfig, source: SparkSource) -> SparkSource:
    """Local relative paths are relative to shipml.yaml (as for data.*); URIs are Spark's to read."""
    paths = [p if "://" in p else str(cfg.path(p)) for p in source.paths]
    return source.model_copy(update={"paths": paths})


def sources(request: Request) -> tuple[SparkSource, SparkSource | None]:
    cfg = request.cfg
    current = (
        _resolve(cfg, cfg.spark.current)
        if cfg.spark.current.given
        else SparkSource(paths=[str(p) for p in request.data])
    )
    reference: SparkSource | None = None
    if request.drift:
        if cfg.spark.reference.given:
            reference = _resolve(cfg, cfg.spark.reference)
        elif request.reference is not None:
            reference = SparkSource(paths=[str(request.reference)])
    return current, reference


def shown(source: SparkSource) -> list[str]:
    return [f"table {source.table}"] if source.table else list(source.paths)


def execute(request: Request) -> Outcome:
    cfg = request.cfg
    suites = load_suites(request.suites)
    file_specs = [spec for suite in suites for spec in suite.expectations]
    spark_gx.check_supported(file_specs)  # before the cluster is touched
    current_src, reference_src = sources(request)
    if not current_src.given:
        raise InputDataError("no data to validate", hint="pass --data or set spark.current / data.current")
    probe.require(cfg.spark.master)
    from ..spark_api.session import Session

    with stage(f"Starting Spark ({cfg.spark.master})"):
        session = Session(cfg.spark)
    try:
        return _run(request, session, suites, file_specs, current_src, reference_src)
    finally:
        session.stop()


def _run(
    request: Request,
    session: Session,
    suites: list[Suite],
    file_specs: list[ExpectationSpec],
    current_src: SparkSource,
    reference_src: SparkSource | None,
) -> Outcome:
    cfg = request.cfg
    section = cfg.validate_
    with stage("Reading data (Spark)"):
        current = read(session, current_src, "current data")
        reference = read(session, reference_src, "reference data") if reference_src else None
    ignore = list(cfg.data.ignore)
    cur_fams = spark_drift.families(current)
    with session.calling("counting rows and missing values of the current data"):
        cur_stats = spark_drift.column_stats(current, cur_fams, reference=False)
    empty = [c for c in cur_fams if c not in ignore and cur_stats.valid[c] == 0 and cur_stats.rows]
    if reference is not None:
        ref_fams = spark_drift.families(reference)
        optional = [c for c in (cfg.data.target, section.drift.prediction) if c]
        diffs = inputs.family_differences(ref_fams, cur_fams, [*ignore, *section.drift.ignore], optional)
        if diffs:
            raise InputDataError(
                f"reference data {', '.join(shown(reference_src or SparkSource()))} and current data have "
                "different schemas: " + "; ".join(diffs),
                hint="align the files, or list the columns in data.ignore",
            )
    inputs.check_suite_columns(file_specs, list(cur_fams), "current data")
    contract_suite = schema_suite.contract_suite(cfg, set(cur_fams))
    all_suites: list[Suite] = ([contract_suite] if contract_suite else []) + suites
    specs = spark_gx.spark_specs([spec for suite in all_suites for spec in suite.expectations])
    spark_gx.check_supported(specs)
    prepared = None
    if reference is not None:
        with stage("Summarizing reference and current data for drift (Spark)"):
            prepared = spark_drift.prepare(
                session, reference, current, section.drift, target=cfg.data.target, ignore=[*ignore, *empty]
            )
            if not prepared.ref_stats.rows:
                raise InputDataError(
                    f"reference data {', '.join(shown(reference_src or SparkSource()))} has no rows",
                    hint="point spark.reference / data.reference at the data the model was trained on",
                )

    outcomes: list[ExpectationOutcome] = []
    gx_raw = None
    if specs:
        with (
            stage(f"Checking {len(specs)} expectations (Great Expectations on Spark)"),
            session.calling("checking expectations"),
        ):
            outcomes, gx_raw = spark_gx.run(current, specs)
    summary: DriftSummary | None = None
    if prepared is not None:
        with stage(f"Measuring drift on {len(prepared.plans)} columns (Spark aggregates)"):
            summary = spark_drift.measure(session, prepared, section.drift, cfg.spark).summary
        if empty:
            summary.skipped_empty = list(empty)
    outcomes = [*(empty_column_outcome(column) for column in empty), *outcomes]
    # no Evidently HTML on Spark: its report needs the rows; the result file carries every score
    artifacts = _write_artifacts(request.output_dir, gx_raw, None) if gx_raw is not None else Artifacts()
    return conclude(
        request,
        outcomes,
        summary,
        artifacts,
        rows=cur_stats.rows,
        data=shown(current_src),
        reference=", ".join(shown(reference_src)) if reference_src else None,
    )
