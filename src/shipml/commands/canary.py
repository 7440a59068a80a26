"""``shipml canary``: shift traffic to a new image in steps, judge it against stable, promote or roll back.

Thin: the step loop is :mod:`shipml.canary.controller`, the analysis
:mod:`shipml.canary.analysis`, the cluster side :mod:`shipml.canary.cluster`.
This module maps flags to config, connects, and turns the decision into an
:class:`Outcome` (promoted/paused -> 0, rolled back -> 1, bad input 2,
Prometheus or the cluster unreachable 3 with traffic back on stable).
"""

from __future__ import annotations

import argparse
from typing import Any

from ..config import load_config
from ..errors import UsageError
from ..results import Outcome

DESCRIPTION = """\
Canary a new image of the model server against the stable Deployment (canary.cluster.deployment,
default canary.app): at each weight of canary.steps traffic flows for canary.interval seconds,
then Prometheus is queried for both tracks (success rate, error rate, p99, score distribution,
class mix, your own checks) and the canary advances, holds (too little traffic), pauses
(canary.pause_at) or is rolled back. Reaching 100 promotes it: stable takes the image (rolling
update, waited for), the canary is removed, and with canary.cluster.promote_champion the MLflow
champion alias moves to --model-version through promote's rules.

State and the decision log live as annotations on the canary Deployment: re-running the same
command resumes at the recorded step; a canary of another image is refused (--resume / --abort).

Traffic split (canary.cluster.mode): replica-ratio (default; both Deployments behind one
Service, weight = replica share of canary.cluster.replicas), gateway-api (HTTPRoute backend
weights) or istio (VirtualService weights); a mode whose CRD the cluster lacks is exit 2.
Exit codes: 0 promoted or paused, 1 rolled back, 2 bad input, 3 Prometheus or cluster
unreachable (traffic returned to stable first).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--image", default="", help="The canary's image, REPO@sha256:DIGEST.")
    parser.add_argument("--app", default="", help="Overrides canary.app.")
    parser.add_argument(
        "--kubeconfig", default="", help="kubeconfig path (else the secret content, else $KUBECONFIG)."
    )
    parser.add_argument("--context", default="", help="Overrides canary.cluster.context.")
    parser.add_argument("--namespace", default="", help="Overrides canary.cluster.namespace.")
    parser.add_argument(
        "--mode", default="", help="Overrides canary.cluster.mode (replica-ratio, gateway-api, istio)."
    )
    parser.add_argument("--steps", default="", help="Overrides canary.steps (comma list ending at 100).")
    parser.add_argument("--interval", default="", help="Overrides canary.interval (seconds).")
    parser.add_argument("--prometheus-url", default="", help="Overrides canary.prometheus.url.")
    parser.add_argument(
        "--model-version",
        default="",
        help="Registered model version the image serves (for promote_champion).",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", action="store_true", help="Continue a paused canary.")
    group.add_argument("--abort", action="store_true", help="Roll the canary in progress back.")


def _steps(text: str) -> list[int] | str:
    if not text:
        return ""
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise UsageError(
            f"--steps {text!r} is not a comma list of integers", hint="write it like --steps 10,50,100"
        ) from None


def run(args: argparse.Namespace) -> Outcome:
    cfg = load_config(
        args.config,
        overrides={
            ("canary", "app"): args.app,
            ("canary", "cluster", "context"): args.context,
            ("canary", "cluster", "namespace"): args.namespace,
            ("canary", "cluster", "mode"): args.mode,
            ("canary", "steps"): _steps(args.steps),
            ("canary", "interval"): args.interval,
            ("canary", "prometheus", "url"): args.prometheus_url,
        },
    )
    from ..errors import require

    require("kubernetes", "canary")
    from ..canary.analysis import Analyser
    from ..canary.cluster import AnnotationStore, Workloads, router_for
    from ..canary.controller import Controller
    from ..kube_api.client import connect, kubeconfig_file, reachable
    from ..prometheus_api import PrometheusClient

    section = cfg.canary
    prom = section.prometheus
    with kubeconfig_file(args.kubeconfig or None) as kubeconfig:
        kube = connect(kubeconfig, section.cluster.context)
        reachable(kube)
        workloads = Workloads(kube, section)
        store = AnnotationStore(workloads)
        router = router_for(workloads)
        client = PrometheusClient(prom.url, timeout=prom.timeout, retries=prom.retries, backoff=prom.backoff)
        on_promote = None
        if section.cluster.promote_champion and not args.abort:
            on_promote = _champion_mover(cfg, args.model_version)
        controller = Controller(section, router, store, Analyser(client, section), on_promote=on_promote)
        if args.abort:
            state = store.load()
            if state is None:
                raise UsageError(
                    f"no canary of {workloads.stable_name} is in progress in namespace {workloads.namespace}",
                    hint="nothing to abort",
                )
            details = controller.abort(state.canary)
        else:
            image = args.image
            if args.resume and not image:
                state = store.load()
                if state is None:
                    raise UsageError(
                        f"no canary of {workloads.stable_name} is paused in namespace {workloads.namespace}",
                        hint="start one with --image REPO@sha256:DIGEST",
                    )
                image = state.canary
            if not image:
                raise UsageError(
                    "--image is required to start a canary", hint="pass --image REPO@sha256:DIGEST"
                )
            details = controller.run(image, resume=bool(args.resume))
    return _outcome(
        details.model_dump(mode="json"), details.outcome, details.final_weight, details.failed_check
    )


def _champion_mover(cfg: Any, version: str) -> Any:
    """Check promote's rules now (before traffic moves), move the alias on promotion."""
    if not version:
        raise UsageError(
            "canary.cluster.promote_champion is set but no --model-version names the version to promote",
            hint="pass --model-version N (the version the image serves), or unset promote_champion",
        )
    from ..mlflow_api.client import calling, connect
    from ..mlflow_api.registry import version_tags
    from ..promote import gate_decision
    from ..promote.promotion import Aliases, promote

    model = cfg.mlflow.registered_model
    client = connect(cfg, extra="canary")
    with calling(f"the gate decision of '{model}' version {version}"):
        decision = gate_decision.from_version_tags(model, version, version_tags(client, model, version))
    decision.require_passed()  # refused before any traffic moves, not after the cluster promoted

    def move() -> None:
        with calling(f"the promotion of '{model}'"):
            promote(
                client,
                decision,
                Aliases(cfg.mlflow.champion_alias, cfg.mlflow.previous_alias),
                reason="canary promoted",
            )

    return move


def _outcome(details: dict[str, Any], outcome: str, weight: int, failed: str | None) -> Outcome:
    app = details.get("app") or "the canary"
    if outcome == "promoted":
        summary = f"{app}: canary promoted through {details.get('steps')}"
    elif outcome == "paused":
        summary = f"{app}: canary paused at {weight}% (continue with --resume, or --abort)"
    else:
        summary = f"{app}: canary rolled back ({failed or 'aborted'})"
    return Outcome(
        "failed" if outcome == "rolled-back" else "passed",
        summary=summary,
        details=details,
        outputs={"outcome": outcome, "final-weight": str(weight), "failed-check": failed or ""},
    )
