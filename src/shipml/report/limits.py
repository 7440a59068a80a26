"""The report's building blocks, and fitting them into GitHub's 65,536-character comment limit.

A report is a headline (never cut) followed by sections; a section's own lines
are its summary, and its long parts are folds (``<details>``). When the whole
is too long, the biggest folds are shortened first (whole rows, table headers
kept; charts are all or nothing), then section lines from the end, and the
report says that it was cut and where the full version is. Lengths are counted
in UTF-16 code units, which is never less than what GitHub counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import markdown

GITHUB_BODY_LIMIT = 65_536


def size(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Fold:
    """A ``<details>`` block; ``keep`` leading lines (a table header) survive any cut."""

    summary: str
    lines: list[str]
    keep: int = 0
    atomic: bool = False  # a chart: cut means dropped entirely
    open: bool = False
    cut: int = 0  # rows removed to fit

    def render(self) -> str:
        body = list(self.lines)
        if self.cut:
            body += [
                "",
                f"_… {self.cut} more row{'s' if self.cut != 1 else ''} cut to fit GitHub's comment limit._",
            ]
        return markdown.fold(self.summary, body, open=self.open)


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    folds: list[Fold] = field(default_factory=list)
    cut: int = 0

    def render(self) -> str:
        parts = [f"#### {self.title}"]
        if self.lines:
            parts.append("\n".join(self.lines))
        if self.cut:
            parts.append(
                f"_… {self.cut} more line{'s' if self.cut != 1 else ''} cut to fit GitHub's comment limit._"
            )
        parts += [fold.render() for fold in self.folds]
        return "\n\n".join(parts)


def render(head: str, sections: list[Section], foot: str = "") -> str:
    parts = [head.rstrip(), *(s.render() for s in sections)]
    if foot:
        parts.append(foot.rstrip())
    return "\n\n".join(parts) + "\n"


def fit(head: str, sections: list[Section], foot: str, *, limit: int, note: str) -> tuple[str, bool]:
    """Render within ``limit``; ``note`` (where to find the full report) is added when anything is cut."""
    full = render(head, sections, foot)
    if size(full) <= limit:
        return full, False
    head = f"{head.rstrip()}\n\n> [!NOTE]\n> {note}"
    work = [
        replace(s, lines=list(s.lines), folds=[replace(f, lines=list(f.lines)) for f in s.folds])
        for s in sections
    ]
    if size(render(head, [], foot)) > limit:
        foot = ""
    while size(text := render(head, work, foot)) > limit:
        excess = size(text) - limit
        if not _shrink_biggest_fold(work, excess) and not _shrink_last_section(work, excess):
            # Only headings remain; drop whole sections from the end (the headline always stays).
            if not work:
                return _hard_cut(render(head, [], ""), limit), True
            work.pop()
    return text, True


def _shrink_biggest_fold(sections: list[Section], excess: int) -> bool:
    """Cut the biggest fold down towards the next biggest, so long tables all keep some rows."""
    folds = sorted(
        (f for s in sections for f in s.folds if len(f.lines) > f.keep),
        key=lambda f: size(f.render()),
        reverse=True,
    )
    if not folds:
        return False
    fold = folds[0]
    if fold.atomic:
        fold.lines = [*fold.lines[: fold.keep], "_Chart omitted to fit GitHub's comment limit._"]
        fold.keep = len(fold.lines)
        fold.cut = 0
        return True
    current = size(fold.render())
    floor = size(folds[1].render()) if len(folds) > 1 else 0
    target = max(floor, current - excess)
    removed = 0
    while len(fold.lines) > fold.keep and (removed == 0 or current > target):
        current -= size(fold.lines.pop()) + 1
        removed += 1
    fold.cut += removed
    return True


def _shrink_last_section(sections: list[Section], excess: int) -> bool:
    for section in reversed(sections):
        if section.folds:
            section.folds = []
            return True
        if section.lines:
            removed = 0
            while section.lines and (removed == 0 or excess > 0):
                excess -= size(section.lines.pop()) + 1
                removed += 1
            section.cut += removed
            section.lines = balance(section.lines)
            return True
    return False


def balance(lines: list[str]) -> list[str]:
    """Close a code fence or ``<details>`` left open by a cut, so the rest of the comment still renders."""
    out = list(lines)
    if sum(1 for line in out if line.lstrip().startswith("```")) % 2:
        out.append("```")
    opened = sum(line.count("<details") for line in out) - sum(line.count("</details>") for line in out)
    out += ["</details>"] * max(0, opened)
    return out


def _hard_cut(text: str, limit: int) -> str:
    """Last resort for a headline alone over the limit; never expected with real results."""
    suffix = "\n\n_… cut to fit GitHub's comment limit._\n"
    out = text
    while size(out) + size(suffix) > limit:
        out = out[: max(0, len(out) - max(1, size(out) + size(suffix) - limit))]
    return out + suffix
