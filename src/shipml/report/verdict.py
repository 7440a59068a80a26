"""Ship / don't ship / needs a look, from the typed statuses of the result files.

The verdict reads only typed fields: a result's ``status``, whether an
inconclusive result blocks, an expectation's ``severity`` and the drift summary's
``dataset_drift``. Summaries are shown as the reasons, never parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from ..contracts.validate import ValidateDetails
from ..results import Result
from . import markdown as md
from .collect import LoadedResult

VerdictKey = Literal["ship", "dont-ship", "needs-a-look"]
VERDICT_LABEL: dict[VerdictKey, str] = {
    "ship": "🚀 Ship",
    "dont-ship": "⛔ Don't ship",
    "needs-a-look": "👀 Needs a look",
}


@dataclass
class Verdict:
    key: VerdictKey
    reasons: list[str]

    @property
    def label(self) -> str:
        return VERDICT_LABEL[self.key]


def blocking(result: Result) -> bool:
    """Whether an inconclusive result blocks shipping (the project fails on inconclusive).

    A ``blocking`` field on the result wins; older files carry the gate's
    ``fail-on-inconclusive`` output instead.
    """
    if "blocking" in result.model_fields_set:
        return result.blocking
    return result.outputs.get("fail-on-inconclusive") in (True, "true")


def decide(results: Sequence[LoadedResult]) -> Verdict:
    """Any failure or error blocks; inconclusive results and warnings ask for a human look."""
    blockers: list[str] = []
    look: list[str] = []
    for loaded in results:
        r = loaded.result
        what = md.one_line(r.summary) if r.summary else r.status
        if r.status == "error":
            blockers.append(f"`{r.command}` {md.STATUS_WORDS['error']}: {what}")
        elif r.status == "failed":
            blockers.append(f"`{r.command}` failed: {what}")
        elif r.status == "inconclusive":
            (blockers if blocking(r) else look).append(f"`{r.command}` inconclusive: {what}")
        elif r.command == "validate":
            look += _validate_warnings(r)
    if blockers:
        return Verdict("dont-ship", blockers)
    if look:
        return Verdict("needs-a-look", look)
    gate = next((lr.result for lr in results if lr.result.command == "gate"), None)
    if gate is not None and gate.summary:
        return Verdict("ship", [f"`gate` passed: {md.one_line(gate.summary)}"])
    return Verdict("ship", [f"all {md.plural(len(results), 'check')} passed"])


def _validate_warnings(result: Result) -> list[str]:
    """A passed validation can still hold warnings worth a look: typed severities and drift flags."""
    try:
        details = ValidateDetails.model_validate(result.details)
    except ValidationError:
        return []
    found = []
    warned = sum(1 for e in details.expectations if not e.success and e.severity == "warning")
    if warned:
        found.append(f"`validate`: {md.plural(warned, 'warning-level expectation')} failed")
    if details.drift and details.drift.dataset_drift:
        drifted = len(details.drift.drifted)
        found.append(f"`validate`: dataset drift ({drifted} of {len(details.drift.columns)} columns)")
    return found
