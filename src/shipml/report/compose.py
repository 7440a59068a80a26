"""One markdown report from many result files: the verdict first, then the evidence.

Assembly only. A reviewer should know in ten seconds whether to ship: the
headline says ship / don't ship / needs a look (:mod:`.verdict`), for which
commit, and why; the sections below come from the same per-result renderers as
each step's job summary (:mod:`.sections`) in a fixed order (model, data
validation, drift, image & scan, deployment) so the eye learns where things
are; :mod:`.limits` fits the whole into a comment. Commands this version does
not know (or details it cannot read) fall back to the ``summary_md`` the command
wrote itself, so a newer pipeline still shows up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import __version__
from ..contracts.build import BuildDetails
from ..contracts.gate import GateDetails
from ..contracts.scan import ScanDetails
from ..contracts.sign import SignDetails
from ..contracts.train import TrainDetails
from ..contracts.validate import ValidateDetails
from ..results import Result
from . import limits
from . import markdown as md
from .collect import LoadedResult
from .limits import Section
from .sections import build, canary, gate, generic, promote, scan, sign, train, validate
from .sections.common import parse, suffix
from .verdict import Verdict, decide

__all__ = ["Report", "ReportContext", "compose", "decide"]

# Fixed section order; a command's results go to the first section listing it.
SECTION_ORDER: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("model", ("train", "gate")),
    ("validation", ("validate",)),
    ("drift", ("validate",)),
    ("image", ("build", "scan", "sign")),
    ("deployment", ("promote", "deploy", "canary")),
)
KNOWN_COMMANDS = frozenset(c for _, commands in SECTION_ORDER for c in commands)
HEADLINE_REASONS = 6


@dataclass(frozen=True)
class ReportContext:
    """What the report knows beyond the result files (all optional)."""

    project: str | None = None
    commit: str | None = None
    repository: str | None = None
    server_url: str = "https://github.com"
    run_url: str | None = None
    warnings: Sequence[str] = ()


@dataclass
class Report:
    verdict: Verdict
    head: str
    sections: list[Section] = field(default_factory=list)
    foot: str = ""

    def markdown(self) -> str:
        return limits.render(self.head, self.sections, self.foot)

    def fitted(self, limit: int, note: str) -> tuple[str, bool]:
        return limits.fit(self.head, self.sections, self.foot, limit=limit, note=note)


def compose(results: Sequence[LoadedResult], context: ReportContext) -> Report:
    warnings = list(context.warnings)
    verdict = decide(results)
    by_command: dict[str, list[Result]] = {}
    for loaded in results:
        by_command.setdefault(loaded.result.command, []).append(loaded.result)
    sections: list[Section] = []
    sections += _model_sections(by_command, warnings)
    sections += _validate_sections(by_command.get("validate", []), warnings)
    sections += _image_sections(by_command, warnings)
    sections += _grouped("Deployment", ("promote", "deploy"), by_command, warnings)
    for result in by_command.get("canary", []):  # its own section: decision line, chart, decision log
        sections += canary.sections(result, canary.read(result, warnings) if _readable(result) else None)
    unknown = sorted(c for c in by_command if c not in KNOWN_COMMANDS)
    sections += _grouped("Other checks", tuple(unknown), by_command, warnings)
    return Report(
        verdict, _headline(verdict, results, context), sections, _footer(results, context, warnings)
    )


def _readable(result: Result) -> bool:
    """Whether a result's details are worth parsing (an errored command's are not)."""
    return result.status != "error"


def _model_sections(by_command: dict[str, list[Result]], warnings: list[str]) -> list[Section]:
    out: list[Section] = []
    trains = by_command.get("train", [])
    last_train = None
    if trains and _readable(trains[-1]):
        last_train = parse(TrainDetails, trains[-1], warnings)
    gates = by_command.get("gate", [])
    for i, result in enumerate(gates):
        title = suffix(i, len(gates))
        details = parse(GateDetails, result, warnings) if _readable(result) else None
        if details is None:
            out += generic.sections(result, f"Model{title}")
            continue
        out += gate.sections(result, details, last_train, title)
    if gates:
        return out
    for result in trains:
        # the last one was parsed above: parsing it again would repeat its warning
        trained = last_train if result is trains[-1] else None
        if result is not trains[-1] and _readable(result):
            trained = parse(TrainDetails, result, warnings)
        out += train.sections(result, trained) if trained else generic.sections(result, "Model")
    return out


def _validate_sections(results: list[Result], warnings: list[str]) -> list[Section]:
    out: list[Section] = []
    for i, result in enumerate(results):
        title = suffix(i, len(results))
        details = parse(ValidateDetails, result, warnings) if _readable(result) else None
        if details is None:
            out += generic.sections(result, f"Data validation{title}")
            continue
        out += validate.sections(result, details, title)
    return out


def _image_sections(by_command: dict[str, list[Result]], warnings: list[str]) -> list[Section]:
    """Built images, their scans, then their signatures, under one heading: what a deployment would run.

    Each result's own section (the same as its job summary) is merged in; a result
    whose details cannot be read is led by its command's name, as other checks are.
    """
    merged = Section("Image & scan")
    results = [*by_command.get("build", []), *by_command.get("scan", []), *by_command.get("sign", [])]
    for result in results:
        parts: list[Section] = []
        if _readable(result) and result.command == "build":
            if (built := parse(BuildDetails, result, warnings)) is not None:
                parts = build.sections(result, built)
        elif _readable(result) and result.command == "sign":
            if (signed := parse(SignDetails, result, warnings)) is not None:
                parts = sign.sections(result, signed)
        elif _readable(result) and (scanned := parse(ScanDetails, result, warnings)) is not None:
            parts = scan.sections(result, scanned)
        if not parts:
            lead = [f"**{md.cell(result.command)}** {md.icon(result.status)}", ""]
            parts = [
                Section("", lead + generic.lines(result) if _readable(result) else generic.lines(result))
            ]
        for part in parts:
            merged.lines += [""] if merged.lines else []
            merged.lines += part.lines
            merged.folds += part.folds
    return [merged] if merged.lines else []


def _grouped(
    title: str, commands: tuple[str, ...], by_command: dict[str, list[Result]], warnings: list[str]
) -> list[Section]:
    """Several results under one heading, each led by its name unless its own line says it."""
    section = Section(title)
    for command in commands:
        for result in by_command.get(command, []):
            if section.lines:
                section.lines.append("")
            if command == "promote" and _readable(result):
                section.lines += promote.lines(result, promote.read(result, warnings))
            elif not _readable(result):
                section.lines += generic.lines(result)
            else:
                section.lines += [
                    f"**{md.cell(command)}** {md.icon(result.status)}",
                    "",
                    *generic.lines(result),
                ]
    return [section] if section.lines else []


def _headline(verdict: Verdict, results: Sequence[LoadedResult], context: ReportContext) -> str:
    title = f"### {verdict.label}"
    subject = f" · {md.cell(context.project)}" if context.project else ""
    if context.commit:
        short = context.commit[:7]
        if context.repository:
            subject += f" @ [`{short}`]({context.server_url}/{context.repository}/commit/{context.commit})"
        else:
            subject += f" @ `{short}`"
    lines = [title + subject, ""]
    lines += md.bullets(verdict.reasons[:HEADLINE_REASONS])
    if len(verdict.reasons) > HEADLINE_REASONS:
        lines.append(f"- … and {len(verdict.reasons) - HEADLINE_REASONS} more")
    checks = " · ".join(f"{md.icon(lr.result.status)} {lr.result.command}" for lr in _ordered(results))
    lines += ["", checks]
    return "\n".join(lines)


def _ordered(results: Sequence[LoadedResult]) -> list[LoadedResult]:
    order = [c for _, commands in SECTION_ORDER for c in commands]
    return sorted(
        results,
        key=lambda lr: (order.index(lr.result.command) if lr.result.command in order else 99, str(lr.path)),
    )


def _footer(results: Sequence[LoadedResult], context: ReportContext, warnings: list[str]) -> str:
    run_urls = [lr.result.run_url for lr in results if lr.result.run_url]
    run_url = run_urls[0] if run_urls else context.run_url
    links = []
    if run_url:
        links += [f"[workflow run]({run_url})", f"[artifacts]({run_url}#artifacts)"]
    for lr in results:
        url = lr.result.details.get("run_url")
        if lr.result.command == "train" and isinstance(url, str) and url:
            links.append(f"[MLflow run]({url})")
            break
    links.append(f"shipml {__version__}")
    links.append(md.plural(len(results), "result file"))
    parts = []
    if warnings:
        parts.append("> [!WARNING]\n" + "\n".join(f"> {md.cell(w, 400)}" for w in warnings))
    parts.append("<sub>" + " · ".join(links) + "</sub>")
    return "\n\n".join(parts)
