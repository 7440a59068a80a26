"""``shipml train``: fit the configured model, log it to MLflow with lineage, register a challenger.

Thin on purpose: flags become config overrides, :mod:`shipml.train.trainer` does
the work, and the result carries the outputs later steps use (``run-id``,
``model-uri``, ``model-version``, ``registered-model``, ``metrics``).
"""

from __future__ import annotations

import argparse
import json

from ..config import load_config
from ..mlflow_api import store
from ..results import Outcome


def add_arguments(parser: argparse.ArgumentParser) -> None:
    store.add_arguments(parser)
    parser.add_argument("--experiment", default=None, help="MLflow experiment (mlflow.experiment).")
    parser.add_argument(
        "--challenger-alias",
        "--alias",
        default=None,
        help="Alias set on the new version (mlflow.challenger_alias).",
    )
    parser.add_argument("--target", default=None, help="Label column (data.target).")
    parser.add_argument("--seed", default=None, help="Split/CV seed (model.split.seed).")


def run(args: argparse.Namespace) -> Outcome:
    cfg = load_config(
        args.config,
        overrides={
            **store.overrides(args),
            ("mlflow", "experiment"): args.experiment,
            ("mlflow", "challenger_alias"): args.challenger_alias,
            ("data", "target"): args.target,
            ("model", "split", "seed"): args.seed,
        },
        require_file=True,
    )
    from ..report.sections.train import summary_line
    from ..train.trainer import train

    details = train(cfg).details
    return Outcome(
        "passed",
        summary=summary_line(details),
        details=details.model_dump(mode="json"),
        outputs={
            "run-id": details.run_id,
            "model-uri": details.model_uri,
            "model-version": details.model_version,
            "registered-model": details.registered_model,
            "metrics": json.dumps(details.metrics.model_dump(exclude_none=True), sort_keys=True),
        },
    )
