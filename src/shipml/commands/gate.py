"""``shipml gate``: should the challenger replace the champion? Paired statistics on the same rows.

Thin: flags become config overrides and :func:`shipml.gate.fetch.judge` does the work.
"""

from __future__ import annotations

import argparse

from ..config import load_config
from ..mlflow_api import store
from ..results import Outcome

DESCRIPTION = """\
Score the champion (default models:/<registered_model>@champion) and the challenger
(default @challenger) on the same held-out rows (data.evaluation, --evaluation, or the
shipml/evaluation.csv the training run logged), judge the gate: rules of shipml.yaml with
paired statistics (bootstrap, McNemar, DeLong), slices and latency/size budgets.

Verdict -> exit code: passed 0, failed 1, inconclusive 0 (4 with --fail-on-inconclusive).
No champion yet: the challenger is judged on absolute rules only (first model).
The verdict and the champion version the gate compared against are recorded as
shipml.gate.* tags on the challenger version (unless --no-record); `shipml promote`
reads them, or this command's result file (--gate-result).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--champion", default="", help="models:/NAME@ALIAS, models:/NAME/N, runs:/ID/model or a path."
    )
    parser.add_argument(
        "--challenger", default="", help="Same forms as --champion (default: the challenger alias)."
    )
    parser.add_argument("--evaluation", default="", help="Evaluation set path (overrides data.evaluation).")
    parser.add_argument("--primary-metric", default="", help="Overrides gate.primary_metric.")
    parser.add_argument("--confidence", default="", help="Overrides gate.confidence (e.g. 0.95).")
    parser.add_argument("--seed", default="", help="Overrides gate.seed.")
    parser.add_argument("--bootstrap-resamples", default="", help="Overrides gate.bootstrap_resamples.")
    parser.add_argument(
        "--fail-on-inconclusive",
        nargs="?",
        const="true",
        default="",
        help="Exit 4 on an inconclusive verdict (true/false; overrides gate.fail_on_inconclusive).",
    )
    store.add_arguments(parser)
    parser.add_argument(
        "--allow-feature-changes",
        action="store_true",
        help="Compare models with different feature sets (each scored on its own columns of the same rows).",
    )
    parser.add_argument(
        "--record-decision",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Write the verdict as shipml.gate.* tags on the challenger version (default: yes).",
    )
    parser.add_argument(  # the short spelling of --no-record-decision
        "--no-record", dest="record_decision", action="store_false", help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--budgets",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Measure latency/size budgets (default: yes).",
    )


def run(args: argparse.Namespace) -> Outcome:
    cfg = load_config(
        args.config,
        overrides={
            ("gate", "primary_metric"): args.primary_metric,
            ("gate", "confidence"): args.confidence,
            ("gate", "seed"): args.seed,
            ("gate", "bootstrap_resamples"): args.bootstrap_resamples,
            ("gate", "fail_on_inconclusive"): args.fail_on_inconclusive,
            **store.overrides(args),
        },
    )
    from ..gate.fetch import GateOptions, judge

    options = GateOptions(
        champion=args.champion or None,
        challenger=args.challenger or None,
        evaluation=args.evaluation or None,
        allow_feature_changes=bool(args.allow_feature_changes),
        record=bool(args.record_decision),
        budgets=bool(args.budgets),
    )
    details, summary = judge(cfg, options)
    delta = details.primary_metric_delta
    return Outcome(
        details.verdict,
        summary=summary,
        details=details.model_dump(mode="json"),
        outputs={
            "verdict": details.verdict,
            "primary-metric-delta": "" if delta is None else f"{delta:.6g}",
            "champion-version": (details.champion.version or "") if details.champion else "",
            "challenger-version": details.challenger.version or "",
        },
        # failed always blocks; inconclusive only when the project asked (exit 4)
        blocking=details.verdict == "failed" or cfg.gate.fail_on_inconclusive,
    )
