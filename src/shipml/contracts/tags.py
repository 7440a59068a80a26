"""Names of the registry tags shipml writes on model versions, shared by every writer and reader.

The gate writes ``shipml.gate.*`` on the version it judged; promote reads them
back, writes ``shipml.promotion.*`` / ``shipml.rollback.*`` and checks the
``status`` tag against the aliases afterwards. Both capabilities import the
names from here, so neither imports the other and a name cannot drift between
writer and reader. Pure Python: ``shipml comment`` may import it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

MAX_TAG_VALUE = 5000  # MLflow's limit for a model version tag value

# -- lineage written by train on the run and the version; the gate checks the commit --------------
GIT_SHA = "shipml.git_sha"

# -- the gate's decision on a version ------------------------------------------------------------
GATE = "shipml.gate."
VERDICT = GATE + "verdict"
CHAMPION_VERSION = GATE + "champion_version"  # the version the gate compared against: the promotion token
PRIMARY_METRIC = GATE + "primary_metric"
PRIMARY_DELTA = GATE + "primary_metric_delta"
SUMMARY = GATE + "summary"
AT = GATE + "at"
RUN_URL = GATE + "run_url"
COMMIT = GATE + "commit"
NO_CHAMPION = "none"  # CHAMPION_VERSION when the gate saw no champion (first model)

# -- promotion and rollback provenance -----------------------------------------------------------
PROMOTION = "shipml.promotion."
FROM_VERSION = PROMOTION + "from_version"
REPLACED_BY = PROMOTION + "replaced_by"  # on the champion a promotion replaced
STATUS = PROMOTION + "status"
# pending: intent written, champion not moved yet (or a crash); promoted: the move stuck;
# superseded: this promotion did not stick (lost its lock, or champion moved under it);
# unconfirmed: moved, but the lock was lost after the move, so it may be overwritten.
PromotionStatus = Literal["pending", "promoted", "superseded", "unconfirmed"]
ROLLBACK = "shipml.rollback."
ROLLBACK_FROM = ROLLBACK + "from_version"
DEMOTED_AT = ROLLBACK + "demoted_at"  # on the version a rollback demoted: a gate older than this is stale


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def gate_tags(
    *,
    verdict: str,
    champion_version: str | None,
    primary_metric: str | None,
    primary_delta: float | None,
    summary: str,
    run_url: str | None,
    commit: str | None,
) -> dict[str, str]:
    """Version tags of what the gate saw and decided; the champion version is the concurrency token."""
    tags = {
        VERDICT: verdict,
        CHAMPION_VERSION: champion_version or NO_CHAMPION,
        PRIMARY_METRIC: primary_metric or "",
        PRIMARY_DELTA: "" if primary_delta is None else repr(float(primary_delta)),
        SUMMARY: summary[:MAX_TAG_VALUE],
        AT: now_iso(),
        RUN_URL: run_url or "",
        COMMIT: commit or "",
    }
    return {key: value for key, value in tags.items() if value != ""}
