"""The one markdown vocabulary of every report: how a number, a cell, an icon or a fold is written.

Every renderer (a step's job summary and the PR comment alike) writes through
these functions, so a value reads the same wherever it appears: one icon per
outcome, one way to escape a table cell, nulls as "—", never "None". Numbers
carry enough digits to show which side of a threshold they are on: a value of
0.10004 against a threshold of 0.1 reads "0.10004 vs 0.10000", never
"0.1000 vs 0.1000", and a p of 0.0496 at α = 0.05 reads "0.0496", not "0.050".

Pure string functions over plain values; no import beyond the standard library,
because ``shipml comment`` must start fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

NULL = "—"
MAX_EXTRA_DIGITS = 8

# One icon per meaning. A result's status and a rule's outcome share them.
ICON: dict[str, str] = {
    "passed": "✅",
    "pass": "✅",
    "failed": "❌",
    "fail": "❌",
    "inconclusive": "❔",
    "error": "💥",  # the command could not finish: not a verdict
}
WARNING = "⚠️"  # not blocking, asks for a look (a warning-level expectation, a drifted column)
STATUS_WORDS: dict[str, str] = {
    "passed": "passed",
    "failed": "failed",
    "inconclusive": "inconclusive",
    "error": "could not finish",
}


def icon(status: str | None) -> str:
    """The icon of a status or outcome; "" for a value this version does not know."""
    return ICON.get(status or "", "")


def status_text(status: str) -> str:
    """``✅ passed``, ``💥 could not finish``: icon and words together."""
    return f"{icon(status)} {STATUS_WORDS.get(status, status)}".strip()


# -- text ------------------------------------------------------------------------------------------


def one_line(text: Any, limit: int = 160) -> str:
    """Whitespace collapsed to single spaces, bounded with an ellipsis."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def cell(text: Any, limit: int = 120) -> str:
    """Table-safe text: one line, pipes escaped, no stray HTML, bounded; null as "—"."""
    if text is None:
        return NULL
    clean = one_line(text, limit).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return clean


def code(text: Any, limit: int = 80) -> str:
    """A code span safe inside a table cell; "" for null or empty text."""
    if text is None:
        return ""
    clean = " ".join(str(text).split()).replace("`", "'")
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    escaped = clean.replace("|", "\\|")
    return f"`{escaped}`" if clean else ""


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 expectation``, ``2 expectations``; ``many`` for irregular plurals."""
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def model_version(name: str | None, version: str | None) -> str:
    """A registered model version as a reviewer names it: **churn-classifier v8**."""
    if not name:
        return f"v{version}" if version else "the model"
    return f"**{cell(name)} v{version}**" if version else f"**{cell(name)}**"


# -- numbers ---------------------------------------------------------------------------------------


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def num(value: float | None, *, signed: bool = False, scale: float | None = None, extra: int = 0) -> str:
    """Metric-like values (|v| < 1) get 4 decimals so columns line up; bigger ones 4 significant digits.

    ``scale`` formats a difference like the values it is a difference of (3.1 -> 3.4
    is +0.300, not +0.3000); ``extra`` adds decimals (see :func:`nums`).
    """
    if value is None or not math.isfinite(value):
        return NULL
    sign = "+" if signed else ""
    magnitude = abs(value) if scale is None else max(abs(value), abs(scale))
    if magnitude >= 1000:
        return f"{value:{sign},.{1 + extra}f}"
    if magnitude >= 1:  # 4 significant digits of the scale, never an exponent
        return f"{value:{sign}.{3 - math.floor(math.log10(magnitude)) + extra}f}"
    return f"{value:{sign}.{4 + extra}f}"


def _shown(text: str) -> float:
    return float(text.replace(",", ""))


def nums(values: Sequence[float | None], *, signed: bool = False, scale: float | None = None) -> list[str]:
    """Values formatted together: decimals are added until different values read differently."""
    shown: list[str] = []
    for extra in range(MAX_EXTRA_DIGITS + 1):
        shown = [num(v, signed=signed, scale=scale, extra=extra) for v in values]
        if not _clash(values, shown):
            return shown
    return shown


def _clash(values: Sequence[float | None], shown: Sequence[str]) -> bool:
    pairs = [(v, _shown(s)) for v, s in zip(values, shown, strict=True) if v is not None and _finite(v)]
    for i, (a, sa) in enumerate(pairs):
        for b, sb in pairs[i + 1 :]:
            if a != b and (sa == sb or (a < b) != (sa < sb)):
                return True
    return False


def p_value(value: float | None, alpha: float | None = None) -> str:
    """A p-value: "<0.001", else 3 decimals, more when that would put it on the wrong side of ``alpha``."""
    if value is None or not math.isfinite(value):
        return NULL
    if value < 0.001 and (alpha is None or alpha > 0.001):
        return "<0.001"
    text = f"{value:.3f}"
    if alpha is None or value == alpha:
        return text
    digits = 3
    while digits < 3 + MAX_EXTRA_DIGITS and (
        _shown(text) == alpha or (_shown(text) < alpha) != (value < alpha)
    ):
        digits += 1
        text = f"{value:.{digits}f}"
    return text


def pct(value: float | None, digits: int = 2) -> str:
    """A value already in percent (unexpected_percent): ``1.55%``."""
    return NULL if value is None or not math.isfinite(value) else f"{value:.{digits}f}%"


def shares(values: Sequence[float | None]) -> list[str]:
    """Fractions as percentages, with the digits that keep different values apart (20% vs 20.5%)."""
    numbers: list[str] = []
    for digits in range(MAX_EXTRA_DIGITS + 1):
        numbers = [f"{v * 100:.{digits}f}" if v is not None and _finite(v) else "nan" for v in values]
        if not _clash(values, numbers):
            break
    return [NULL if n == "nan" else f"{n}%" for n in numbers]


def fixed(value: float | None, spec: str) -> str:
    """``value`` formatted with ``spec``; "—" for a field a hand-written result file left out."""
    return NULL if value is None else format(value, spec)


def change(
    delta: float | None,
    *,
    higher_is_better: bool,
    scale: float | None = None,
    flag: bool = False,
    ratio: float | None = None,
) -> str:
    """``▲ +0.0121 better``: arrow by sign, words by the metric's direction.

    ``flag`` adds a colour dot (🟢 better, 🔴 worse): a claim, so callers pass it only
    when the change is established (significant, or a budget rule failed). ``ratio``
    appends ``(×1.50)`` for budgets, where the ratio is what is judged.
    """
    if delta is None or not math.isfinite(delta):
        return NULL
    suffix = f" (×{ratio:.2f})" if ratio is not None and math.isfinite(ratio) else ""
    if delta == 0:
        return "± 0" + suffix
    shown = num(delta, signed=True, scale=scale)
    if _shown(shown) == 0:
        return f"≈ {shown[1:]}{suffix}"  # a change too small to show at this precision
    better = (delta > 0) == higher_is_better
    arrow = "▲" if delta > 0 else "▼"
    dot = ("🟢 " if better else "🔴 ") if flag else ""
    return f"{dot}{arrow} {shown} {'better' if better else 'worse'}{suffix}"


def interval(low: float | None, high: float | None) -> str:
    """``[-0.0302, -0.0120]``; "—" when either bound is missing."""
    if not (_finite(low) and _finite(high)):
        return NULL
    assert low is not None and high is not None
    lo, hi = nums([low, high], signed=True, scale=max(abs(low), abs(high)))
    return f"[{lo}, {hi}]"


# -- blocks ----------------------------------------------------------------------------------------


def table(head: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> list[str]:
    """A table; ``align`` has one letter per column: l(eft) or r(ight). Cells must be escaped already."""
    if len(align) != len(head):
        raise ValueError(f"{len(head)} columns but alignment {align!r}")
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    header = "|" + "|".join(f" {h} " if h else " " for h in head) + "|"
    return [header, rule, *("| " + " | ".join(r) + " |" for r in rows)]


def fold(summary: str, body: Sequence[str], *, open: bool = False) -> str:
    """A ``<details>`` block; the blank lines around the body let markdown inside it render."""
    opened = " open" if open else ""
    return f"<details{opened}><summary>{summary}</summary>\n\n" + "\n".join(body) + "\n\n</details>"


def bullets(items: Iterable[str], limit: int = 300) -> list[str]:
    return [f"- {cell(item, limit)}" for item in items]
