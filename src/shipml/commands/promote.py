"""``shipml promote``: move ``champion`` to a version that passed the gate, or ``--rollback``.

Thin by design: the safety rules (passed gate, unchanged champion, crash-safe
ordering, the registry lock) live in :mod:`shipml.promote`.
"""

from __future__ import annotations

import argparse

from ..config import load_config
from ..errors import InputDataError, UsageError
from ..mlflow_api import store
from ..results import Outcome

DESCRIPTION = """\
Promote a registered model version that passed `shipml gate` to the champion alias,
keeping the replaced champion under the previous-champion alias.

Where the gate decision comes from:
  --gate-result FILE  the JSON result written by `shipml gate` (exact decision of that run;
                      the version promoted is the challenger it judged);
  otherwise           the shipml.gate.* tags the latest gate wrote on the version
                      (--version N, default: the version under the challenger alias).
Promotion is refused (exit 1) unless the verdict is `passed` and the champion alias still
points at the version the gate compared against (shipml.gate.champion_version); re-run the
gate if the champion moved. Who/what/when/why is recorded as shipml.promotion.* version tags.
Re-running after a crash (or after success) converges; --rollback restores previous-champion.
--rollback --version N undoes the promotion of version N only while N is still champion (a
release undoing its own promotion), and can withdraw a first champion (none before it).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--gate-result", default="", help="Gate result JSON to act on (default: version tags)."
    )
    parser.add_argument(
        "--version",
        default="",
        help="Registered model version to promote (default: see above); with --rollback, the version "
        "whose promotion to undo: nothing happens unless it is still champion.",
    )
    parser.add_argument(
        "--rollback", action="store_true", help="Restore the previous-champion version instead."
    )
    parser.add_argument(
        "--reason", default="", help="Why, recorded on the version (default: the gate summary)."
    )
    store.add_arguments(parser)


def run(args: argparse.Namespace) -> Outcome:
    cfg = load_config(
        args.config,
        overrides=store.overrides(args),
    )
    rollback = bool(args.rollback)
    if rollback and args.gate_result:
        raise UsageError("--rollback takes no --gate-result", hint="drop it to roll back")

    from ..mlflow_api.client import calling, connect
    from ..mlflow_api.registry import alias_version, version_tags
    from ..promote import gate_decision
    from ..promote.promotion import Aliases, promote
    from ..promote.promotion import rollback as do_rollback

    aliases = Aliases(cfg.mlflow.champion_alias, cfg.mlflow.previous_alias)
    model = cfg.mlflow.registered_model
    explicit_model = "registered_model" in cfg.mlflow.model_fields_set
    decision = None
    if args.gate_result:
        decision = gate_decision.from_result_file(args.gate_result)
        if explicit_model and decision.registered_model != model:
            raise InputDataError(
                f"the gate result {args.gate_result} is about '{decision.registered_model}' but "
                f"mlflow.registered_model is '{model}'",
                hint="pass the gate result of this model, or fix mlflow.registered_model",
            )
        if args.version and str(args.version) != decision.version:
            raise UsageError(
                f"--version {args.version} differs from the version the gate judged ({decision.version})",
                hint="drop --version to promote the gated version",
            )
        model = decision.registered_model

    client = connect(cfg, extra="gate")
    with calling(f"the promotion of '{model}'"):
        if rollback:
            details = do_rollback(
                client, model, aliases, reason=args.reason or None, version=str(args.version) or None
            )
        else:
            if decision is None:
                version = (
                    str(args.version)
                    if args.version
                    else alias_version(client, model, cfg.mlflow.challenger_alias)
                )
                if version is None:
                    raise InputDataError(
                        f"registered model '{model}' has no '{cfg.mlflow.challenger_alias}' alias to promote",
                        hint="pass --version N or --gate-result FILE",
                    )
                decision = gate_decision.from_version_tags(
                    model, version, version_tags(client, model, version)
                )
            details = promote(client, decision, aliases, reason=args.reason or None)

    details.store = store.describe(store.tracking_uri(cfg))
    summary = f"{details.registered_model}: {details.message}"
    return Outcome(
        "passed",
        summary=summary,
        details=details.model_dump(mode="json"),
        outputs={
            "action": details.action,
            "champion-version": details.champion_version or "",
            "previous-version": details.previous_version or "",
        },
    )
