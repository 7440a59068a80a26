"""The gate decision promote acts on, read back from the gate's result file or the version's tags.

The gate result file is the exact decision of one run; the version tags (names
in :mod:`shipml.contracts.tags`) are the latest gate's decision on that version,
available when the file is not (another workflow, a manual promote).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..contracts.tags import AT, CHAMPION_VERSION, DEMOTED_AT, NO_CHAMPION, SUMMARY, VERDICT
from ..errors import InputDataError, PolicyFailed
from ..results import Result, read_result


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class GateDecision:
    """What a gate concluded about one registered model version."""

    registered_model: str
    version: str
    verdict: str
    champion_version: str | None  # what the gate compared against; None = no champion (first model)
    gated_at: str | None
    summary: str
    source: str  # "result file PATH" or "tags of version N", for messages

    def require_passed(self) -> None:
        if self.verdict != "passed":
            raise PolicyFailed(
                f"refusing to promote {self.registered_model} version {self.version}: "
                f"the gate verdict is '{self.verdict}' ({self.source})",
                hint="only a passed gate can be promoted; fix the challenger and re-run the gate",
            )

    def require_not_stale(self, version_tags: dict[str, str]) -> None:
        """A version demoted by a rollback after this gate ran must be gated again."""
        demoted = _parse_time(version_tags.get(DEMOTED_AT))
        gated = _parse_time(self.gated_at)
        if demoted and (gated is None or demoted > gated):
            raise PolicyFailed(
                f"refusing to promote {self.registered_model} version {self.version}: it was rolled back at "
                f"{version_tags[DEMOTED_AT]}, after the gate decision ({self.source})",
                hint="re-run the gate for this version before promoting it again",
            )


def from_result_file(path: str | os.PathLike[str]) -> GateDecision:
    result: Result = read_result(path)
    if result.command != "gate":
        raise InputDataError(
            f"{path} is a '{result.command}' result, not a gate result",
            hint="pass the file written by `shipml gate --result-file`",
        )
    details: dict[str, Any] = result.details or {}
    challenger = details.get("challenger") or {}
    champion = details.get("champion") or None
    verdict = str(details.get("verdict") or result.status)
    if result.status == "error":
        raise PolicyFailed(
            f"refusing to promote: the gate in {path} ended with an error ({result.summary})",
            hint="fix the error and re-run the gate",
        )
    name = challenger.get("registered_model")
    version = challenger.get("version")
    if not name or version in (None, ""):
        raise InputDataError(
            f"the gate in {path} judged {challenger.get('uri', 'a model')}, "
            "which is not a registered model version",
            hint="gate a registered version (models:/NAME@challenger or models:/NAME/N) to promote it",
        )
    seen = champion.get("version") if isinstance(champion, dict) else None
    return GateDecision(
        registered_model=str(name),
        version=str(version),
        verdict=verdict,
        champion_version=None if seen in (None, "") else str(seen),
        gated_at=result.started_at,
        summary=result.summary,
        source=f"result file {path}",
    )


def from_version_tags(name: str, version: str, tags: dict[str, str]) -> GateDecision:
    verdict = tags.get(VERDICT)
    if not verdict:
        raise PolicyFailed(
            f"refusing to promote {name} version {version}: no gate decision is recorded on it "
            f"(tag {VERDICT} missing)",
            hint="run `shipml gate` on this version first, or pass --gate-result FILE",
        )
    seen = tags.get(CHAMPION_VERSION, NO_CHAMPION)
    return GateDecision(
        registered_model=name,
        version=version,
        verdict=verdict,
        champion_version=None if seen == NO_CHAMPION else seen,
        gated_at=tags.get(AT),
        summary=tags.get(SUMMARY, ""),
        source=f"tags of version {version}",
    )
