"""The gate's MLflow side, run in a helper process: resolve, download, and record the decision.

Why a separate process: MLflow costs about 1.2 s of imports, and the gate needs it only to
talk to the registry. :func:`judge` forks a :func:`shipml.beside.helper` before anything
heavy is imported; the helper imports MLflow, pins both versions, downloads them and the
evaluation set, while this process imports the scoring stack (NumPy, pandas, SciPy,
scikit-learn, skops). Models are then loaded here from the downloaded files without MLflow
(:mod:`shipml.serve.loading`), and the helper, still connected, records the verdict at the
end. Without fork everything runs in this process, in the same order.

This module stays light (no NumPy, pandas or MLflow at import): it is imported before the fork.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import beside, runner
from ..contracts.tags import GIT_SHA as GIT_SHA_TAG
from ..contracts.tags import gate_tags
from ..contracts.train import EVALUATION_ARTIFACT
from ..errors import InputDataError, first_line
from ..mlflow_api.client import calling
from ..progress import stage
from .models import ModelRef, download, resolve

if TYPE_CHECKING:
    from mlflow import MlflowClient

    from ..config import ShipmlConfig
    from ..contracts.gate import GateDetails


@dataclass(frozen=True)
class GateOptions:
    champion: str | None = None
    challenger: str | None = None
    evaluation: str | None = None
    allow_feature_changes: bool = False
    record: bool = True
    budgets: bool = True


@dataclass(frozen=True)
class Fetched:
    """What the registry gave: both versions pinned, their files, and the evaluation set."""

    challenger: ModelRef
    challenger_dir: Path
    champion: ModelRef | None
    champion_dir: Path | None
    evaluation: Path
    evaluation_source: str


_client: list[MlflowClient] = []  # the helper's one connection, kept from fetch to record


def _connect(cfg: ShipmlConfig) -> MlflowClient:
    if not _client:
        from ..mlflow_api.client import connect

        _client.append(connect(cfg, extra="gate"))
    return _client[0]


def judge(cfg: ShipmlConfig, opts: GateOptions) -> tuple[GateDetails, str]:
    """The whole gate: the MLflow side in a helper, the scoring stack imported here meanwhile."""
    doing = f"the gate of '{cfg.mlflow.registered_model}'"
    with tempfile.TemporaryDirectory(prefix="shipml-gate-") as tmp, beside.helper() as registry:
        fetching = registry.submit(fetch, cfg, opts, Path(tmp))
        from . import run  # NumPy, pandas, SciPy: imported while the helper talks to MLflow

        run.import_scoring_stack()
        fetched = fetching.result()
        with calling(doing):
            details, line = run.run_gate(cfg, opts, fetched)
        if opts.record:
            summary = f"{details.verdict}: {line}"
            details.recorded_tags = registry.submit(
                record, cfg, fetched.challenger, details, summary
            ).result()
        return details, line


def fetch(cfg: ShipmlConfig, opts: GateOptions, scratch: Path) -> Fetched:
    """Pin both versions (before anything is downloaded), then download them and the evaluation set."""
    with calling(f"the gate of '{cfg.mlflow.registered_model}'"):
        client = _connect(cfg)
        with stage("Resolving champion and challenger"):
            challenger = resolve(client, cfg, "challenger", opts.challenger)
            assert challenger is not None
            if not opts.challenger:
                check_provenance(challenger)
            champion = resolve(client, cfg, "champion", opts.champion)
        if champion is not None and champion.pinned_uri == challenger.pinned_uri:
            runner.warning(f"the challenger and the champion are the same model ({challenger.pinned_uri})")
        with stage("Downloading models"):
            challenger_dir = download(challenger, scratch)
            champion_dir = download(champion, scratch) if champion is not None else None
        evaluation, source = evaluation_path(cfg, challenger, opts.evaluation, scratch)
    return Fetched(challenger, challenger_dir, champion, champion_dir, evaluation, source)


def check_provenance(ref: ModelRef) -> None:
    """Refuse to judge a challenger this job did not produce (a default alias left by another run).

    A misspelt input can send training elsewhere while the gate, on the real registry,
    finds ``@challenger`` from an earlier run and passes it: green, and wrong. So when the
    challenger comes from the default alias: it must be the version this job's train step
    registered (its result file, when present), and it must have been trained from this
    run's commit. Naming ``--challenger`` explicitly judges any version on purpose.
    """
    from ..results import default_result_path, read_result

    train_file = default_result_path("train")
    if train_file.is_file():
        trained = read_result(train_file).details
        model, version = trained.get("registered_model"), str(trained.get("model_version") or "")
        if model == ref.registered_model and version and version != ref.version:
            raise InputDataError(
                f"the challenger alias points at {ref.registered_model} v{ref.version}, but this job's "
                f"train step registered v{version} ({train_file})",
                hint=f"another run moved the alias: pass --challenger models:/{model}/{version}, "
                "or re-run train and gate together",
            )
    commit = runner.run_context().commit
    sha = ref.tags.get(GIT_SHA_TAG)
    if commit and sha and sha != "unknown" and sha != commit:
        raise InputDataError(
            f"{ref.label()} was trained from commit {sha[:7]}, but this run is at {commit[:7]}: "
            "it is not the model this change produced",
            hint="train in this job before the gate (check the train step's tracking-uri input), or pass "
            "--challenger models:/NAME/N to judge that version on purpose",
        )


def evaluation_path(
    cfg: ShipmlConfig, challenger: ModelRef, override: str | None, scratch: Path
) -> tuple[Path, str]:
    """The held-out set: a flag or ``data.evaluation``, else what training logged with the challenger."""
    if override:
        return Path(override), f"evaluation set {override}"
    if cfg.data.evaluation:
        path = cfg.path(cfg.data.evaluation)
        return path, f"evaluation set {path} (data.evaluation)"
    artifact = challenger.tags.get("shipml.evaluation_artifact", EVALUATION_ARTIFACT)
    if not challenger.run_id:
        raise InputDataError(
            f"no evaluation set: {challenger.label()} has no MLflow run to take {artifact} from",
            hint="set data.evaluation in shipml.yaml or pass --evaluation PATH",
        )
    import mlflow

    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    dest = scratch / "evaluation"
    dest.mkdir(parents=True, exist_ok=True)
    try:
        local = mlflow.artifacts.download_artifacts(
            run_id=challenger.run_id, artifact_path=artifact, dst_path=str(dest)
        )
    except Exception as exc:  # missing artifact: MlflowException or OSError depending on the store
        raise InputDataError(
            f"no evaluation set: run {challenger.run_id} of the challenger has no artifact "
            f"{artifact} ({first_line(exc)})",
            hint="log it with `shipml train`, or set data.evaluation / pass --evaluation PATH",
        ) from None
    return Path(local), f"evaluation set {artifact} of run {challenger.run_id}"


def record(
    cfg: ShipmlConfig, challenger: ModelRef, details: GateDetails, summary: str
) -> dict[str, str] | None:
    """Write the verdict onto the challenger version (``shipml.gate.*`` tags) for ``promote`` to read."""
    if not (challenger.registered_model and challenger.version):
        return None
    from ..mlflow_api.registry import record_gate_decision

    ctx = runner.run_context()
    tags = gate_tags(
        verdict=details.verdict,
        champion_version=details.champion.version if details.champion else None,
        primary_metric=details.primary_metric,
        primary_delta=details.primary_metric_delta,
        summary=summary,
        run_url=ctx.run_url,
        commit=ctx.commit,
    )
    try:
        record_gate_decision(_connect(cfg), challenger.registered_model, challenger.version, tags)
    except Exception as exc:  # the verdict stands; only `promote` without --gate-result loses its input
        runner.warning(
            f"could not record the gate decision on {challenger.registered_model} v{challenger.version}: "
            f"{first_line(exc)}; promote with --gate-result instead"
        )
        return None
    return tags
