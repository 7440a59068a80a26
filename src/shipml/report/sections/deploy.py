"""The deploy result: what is live where, proven or rolled back, and who approved it.

A failed deploy leads with its reason and what is live now (the restored digest):
that is what a release manager needs first. The dry run shows the objects that would
change and their changed fields, folded when long.
"""

from __future__ import annotations

from ...contracts.deploy import DeployDetails
from ...results import Result
from .. import markdown as md
from ..limits import Section
from . import generic
from .common import parse, standalone


def _digest(image: str | None) -> str:
    return md.code(image, 100) if image else md.NULL


def lines(result: Result, details: DeployDetails | None) -> list[str]:
    if details is None or result.status == "error":
        return [generic.status_line(result)]
    where = f"**{md.cell(details.environment)}** (`{md.cell(details.namespace)}`)"
    out: list[str] = []
    if details.recovered:
        out.append(f"{md.WARNING} First resolved an interrupted deploy: {md.cell(details.recovered, 300)}.")
    if details.action == "dry-run":
        out.append(f"🔍 Dry run for {where}: nothing was changed.")
        out += ["", "| object | change | fields |", "|---|---|---|"]
        for obj in details.objects:
            fields = ", ".join(md.code(f, 60) for f in obj.fields[:8]) + (" …" if len(obj.fields) > 8 else "")
            out.append(
                f"| {md.cell(obj.kind)}/{md.cell(obj.name)} | {md.cell(obj.change)} | {fields or md.NULL} |"
            )
        return out
    if details.action == "rollback":
        out.append(
            f"↩️ Rolled {where} back to {_digest(details.live_image)} (revision {md.cell(details.revision)}; "
            f"was {_digest(details.previous_image)})."
        )
    elif result.status == "passed":
        model = md.model_version(details.model_name, details.model_version) if details.model_name else None
        named = f" ({model})" if model else ""
        out.append(
            f"{md.icon('passed')} {_digest(details.image)}{named} is live in {where}, "
            f"revision {md.cell(details.revision)}."
        )
    else:
        out.append(f"{md.icon('failed')} Deploy to {where} failed: {md.cell(details.reason, 300)}.")
        if details.rolled_back:
            out.append(f"↩️ Rolled back automatically: {_digest(details.live_image)} is live again.")
    facts = [
        ("approved by", md.cell(details.approved_by) if details.approved_by else None),
        ("URL", details.url and md.cell(details.url)),
        ("smoke check", details.smoke and md.cell(details.smoke, 200)),
        ("GitHub Deployment", str(details.github_deployment_id) if details.github_deployment_id else None),
    ]
    shown = [f"{k}: {v}" for k, v in facts if v]
    if shown:
        out.append("")
        out.append(" · ".join(shown))
    return out


def read(result: Result, warnings: list[str]) -> DeployDetails | None:
    if not result.details:
        return None
    return parse(DeployDetails, result, warnings)


def sections(result: Result, details: DeployDetails | None, title: str = "Deploy") -> list[Section]:
    return [Section(title, lines(result, details))]


def render(result: Result) -> str:
    details = read(result, []) if result.status != "error" else None
    if details is None and result.status != "error":
        return generic.render(result)
    words = None
    if details is not None:
        words = {"dry-run": "dry run", "rollback": "rolled back"}.get(details.action)
        if result.status == "failed" and details.rolled_back:
            words = "failed, rolled back"
    return standalone(result, sections(result, details), words=words)
