"""The promote result: where the champion alias points now, and what it replaced.

A refused promotion is a decision (status ``failed``), shown as ❌ with its
reason, never as "could not finish"; that wording is for errors only.
"""

from __future__ import annotations

from ...contracts.promote import PromoteDetails
from ...results import Result
from .. import markdown as md
from ..limits import Section
from . import generic
from .common import parse, standalone, store_note


def lines(result: Result, details: PromoteDetails | None) -> list[str]:
    """One line: promoted / rolled back / no change, or the refusal with its reason."""
    if result.status != "passed" or details is None:
        return [generic.status_line(result)]
    model = md.model_version(details.registered_model, details.champion_version)
    alias = f"`{md.cell(details.alias)}`" if details.alias else "champion"
    name = md.model_version(details.registered_model, None)
    if details.action == "promoted":
        previous = f" (previous: v{details.previous_version})" if details.previous_version is not None else ""
        return [f"{md.icon('passed')} Promoted {model} to {alias}{previous}.{store_note(details.store)}"]
    if details.action == "rolled_back":
        return [
            f"↩️ Rolled {name} {alias} back to v{details.champion_version} (was v{details.previous_version})."
        ]
    if details.action == "noop":
        return [f"➖ No change: {name} {alias} stays v{details.champion_version}."]
    return generic.lines(result)


def read(result: Result, warnings: list[str]) -> PromoteDetails | None:
    """Details of a promotion that happened; a refused or errored one may carry none."""
    if result.status != "passed" and not result.details:
        return None
    return parse(PromoteDetails, result, warnings)


def sections(result: Result, details: PromoteDetails | None, title: str = "Deployment") -> list[Section]:
    return [Section(title, lines(result, details))]


def render(result: Result) -> str:
    details = read(result, []) if result.status != "error" else None
    if result.status == "passed" and details is None:
        return generic.render(result)
    words = details.action.replace("_", " ") if details is not None and result.status == "passed" else None
    return standalone(result, sections(result, details, "Promotion"), words=words)
