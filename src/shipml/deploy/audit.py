"""What a deploy writes on the Deployment: who put which digest there, and whether it finished.

The annotations are the cluster-side audit trail (``kubectl describe`` shows them;
the deployment controller copies them onto each ReplicaSet, so every revision keeps
its own record and a rollback can restore it). ``shipml.dev/state`` is the
interrupted-deploy marker: it is ``in-progress`` in the *same* server-side apply that
changes the pod template (no window where the template changed without the marker)
and becomes ``done`` or ``rolled-back`` only after the rollout was proven; a run that
finds ``in-progress`` knows the previous one died between apply and proof.
``shipml.dev/last-applied`` keeps shipml's own apply body, so a later run (a
``--rollback``, a recovery) re-applies shipml's whole intent and not a fragment of
it: with server-side apply, a field left out of an apply is a field given up.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

PREFIX = "shipml.dev/"
DIGEST = PREFIX + "digest"
MODEL_NAME = PREFIX + "model-name"
MODEL_VERSION = PREFIX + "model-version"
COMMIT = PREFIX + "commit"
RUN_URL = PREFIX + "run-url"
APPROVED_BY = PREFIX + "approved-by"
ENVIRONMENT = PREFIX + "environment"
DEPLOYED_AT = PREFIX + "deployed-at"
STATE = PREFIX + "state"
PREVIOUS_HASH = PREFIX + "previous-template-hash"
LAST_APPLIED = PREFIX + "last-applied"
# Carried from a revision's ReplicaSet back to the Deployment when that revision is restored.
RECORD_KEYS = (DIGEST, MODEL_NAME, MODEL_VERSION, COMMIT, RUN_URL, APPROVED_BY, DEPLOYED_AT)

IN_PROGRESS, DONE, ROLLED_BACK = "in-progress", "done", "rolled-back"


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def annotations_of(obj: dict[str, Any] | None) -> dict[str, str]:
    return dict(((obj or {}).get("metadata") or {}).get("annotations") or {})


def record(
    *,
    digest: str,
    model_name: str | None,
    model_version: str | None,
    commit: str | None,
    run_url: str | None,
    approved_by: str | None,
    environment: str,
) -> dict[str, str]:
    values = {
        DIGEST: digest,
        MODEL_NAME: model_name,
        MODEL_VERSION: model_version,
        COMMIT: commit,
        RUN_URL: run_url,
        APPROVED_BY: approved_by,
        ENVIRONMENT: environment,
        DEPLOYED_AT: now(),
    }
    return {k: v for k, v in values.items() if v}


def with_state(body: dict[str, Any], state: str, previous_hash: str | None = None) -> dict[str, Any]:
    """``body`` annotated with the marker and with itself (``last-applied``), as the next apply sends it."""
    out: dict[str, Any] = json.loads(json.dumps(body))
    notes = out.setdefault("metadata", {}).setdefault("annotations", {})
    notes.pop(LAST_APPLIED, None)
    notes[STATE] = state
    if previous_hash:
        notes[PREVIOUS_HASH] = previous_hash
    intent = json.loads(json.dumps(out))
    intent["metadata"]["annotations"].pop(STATE, None)
    notes[LAST_APPLIED] = json.dumps(intent, sort_keys=True, separators=(",", ":"))
    return out


def last_applied(live: dict[str, Any]) -> dict[str, Any] | None:
    """shipml's last apply body of a live Deployment (None: not deployed by shipml)."""
    text = annotations_of(live).get(LAST_APPLIED)
    if not text:
        return None
    try:
        body = json.loads(text)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
