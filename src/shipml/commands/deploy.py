"""``shipml deploy``: one image digest into one environment, proven live or rolled back.

Thin by design: the sequence (offline checks, interrupted-deploy recovery, apply,
rollout proof, smoke check, rollback) lives in :mod:`shipml.deploy.run`; Kubernetes
only through :mod:`shipml.kube_api`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import load_config
from ..errors import ConfigError, UsageError
from ..results import Outcome

DESCRIPTION = """\
Deploy an image digest to one environment of deploy.environments (shipml.yaml):
validate the manifests offline (your --manifests directory or kustomization, else shipml's
default set for the model server), server-side apply them (field manager shipml, conflicts
refused), wait for the rollout like `kubectl rollout status`, run the smoke check, and record
the deploy on the Deployment (annotations) and as a GitHub Deployment. A rollout or smoke
check that fails restores the previous revision and exits 1.

  --dry-run    server-side dry run (dryRun=All) and the diff against the live objects
  --rollback   restore the revision before the current one

The kubeconfig: --kubeconfig PATH, else the content of $SHIPML_KUBECONFIG_DATA (the action's
secret `kubeconfig` input, written 0600 to a temporary file and removed), else $KUBECONFIG.
Exit codes: 1 rolled back / conflict / unscanned digest, 2 bad input, 3 cluster unreachable
or RBAC forbidden.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--environment", default="", help="Key of deploy.environments (default: the only one)."
    )
    parser.add_argument("--image", default="", help="Image to deploy, REPO@sha256:DIGEST.")
    parser.add_argument(
        "--manifests",
        default="",
        help="Manifest directory or kustomization (default: deploy.manifests, else the default set).",
    )
    parser.add_argument("--kubeconfig", default="", help="kubeconfig path (see above).")
    parser.add_argument(
        "--context", default="", help="kubeconfig context (default: the environment's, else current)."
    )
    parser.add_argument("--namespace", default="", help="Namespace (default: the environment's).")
    parser.add_argument(
        "--timeout", default="", help="Seconds to wait for the rollout (default: deploy.timeout)."
    )
    parser.add_argument("--dry-run", action="store_true", help="Show what would change; change nothing.")
    parser.add_argument("--rollback", action="store_true", help="Restore the previous revision.")
    parser.add_argument(
        "--scan-result", default="", help="`shipml scan` result that must vouch for the digest."
    )
    parser.add_argument(
        "--model-name", default="", help="Registered model name, recorded as label and annotation."
    )
    parser.add_argument("--model-version", default="", help="Registered model version, recorded likewise.")
    parser.add_argument("--allow-tags", action="store_true", help="Accept an image tag instead of a digest.")
    parser.add_argument(
        "--create-namespace",
        action="store_true",
        help="Create the namespace when missing (default: the environment's).",
    )


def run(args: argparse.Namespace) -> Outcome:
    if args.dry_run and args.rollback:
        raise UsageError("--dry-run and --rollback cannot be combined", hint="drop one of them")
    cfg = load_config(
        args.config,
        overrides={
            ("deploy", "timeout"): args.timeout,
            ("deploy", "manifests"): args.manifests,
            ("deploy", "allow_tags"): True if args.allow_tags else None,
        },
    )
    section = cfg.deploy
    environments = section.environments
    # Without deploy.environments, one implicit environment ("default": namespace default).
    name = args.environment or (next(iter(environments)) if len(environments) == 1 else "")
    name = name or ("default" if not environments else "")
    if not name:
        raise ConfigError(
            f"which environment? deploy.environments has {', '.join(environments) or 'none'}",
            hint="pass --environment NAME (action input `environment`)",
        )
    from ..config.deploy import DeployEnvironment

    if name in environments:
        target = environments[name]
    elif not environments:
        target = DeployEnvironment()
    else:
        raise ConfigError(
            f"{cfg.where('deploy', 'environments')}: no environment {name!r} "
            f"(has: {', '.join(environments)})",
            hint="add it under deploy.environments or pass one of those",
        )
    update: dict[str, object] = {}
    if args.namespace:
        update["namespace"] = args.namespace
    if args.context:
        update["context"] = args.context
    if args.create_namespace:
        update["create_namespace"] = True
    target = target.model_copy(update=update)

    from ..deploy import flow

    return flow.execute(
        cfg,
        name,
        target,
        image=args.image or None,
        manifests=cfg.path(section.manifests) if section.manifests else None,
        kubeconfig=args.kubeconfig or None,
        dry_run=bool(args.dry_run),
        rollback=bool(args.rollback),
        scan_result=Path(args.scan_result) if args.scan_result else None,
        model_name=args.model_name or None,
        model_version=args.model_version or None,
    )
