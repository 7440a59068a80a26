"""Charts GitHub renders natively: mermaid ``xychart-beta`` blocks, no image hosting.

The xychart grammar is strict in ways that fail silently on GitHub (the block
shows as a parse error): numbers must be plain decimals (no exponent), strings
cannot contain a double quote, and the y range must be increasing. Everything
that reaches the chart goes through :func:`_label` and :func:`_num` for that.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    kind: str  # "bar" or "line"
    values: Sequence[float]


def _label(text: str, limit: int = 40) -> str:
    clean = " ".join(text.replace('"', "'").replace("`", "'").replace("%%", "% %").split())
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return f'"{clean}"'


def _num(value: float, digits: int = 4) -> str:
    if not math.isfinite(value):
        raise ValueError(f"cannot chart a non-finite value: {value}")
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _nice_range(values: Sequence[float], *, include_zero: bool) -> tuple[float, float, int]:
    """An increasing y range with a little headroom, and the decimals that keep it increasing."""
    low, high = min(values), max(values)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    span = (high - low) or (abs(high) * 0.2) or 0.01
    if low < 0 or not include_zero:
        low -= span * 0.1
    high += span * 0.1
    step = 10.0 ** math.floor(math.log10(high - low)) / 10
    digits = min(10, max(0, -math.floor(math.log10(step))))
    return math.floor(low / step) * step, math.ceil(high / step) * step, max(digits, 4)


def xychart(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    y_title: str,
    include_zero: bool = True,
) -> str:
    """A fenced mermaid xychart; every series has one value per category."""
    if not categories or not series:
        raise ValueError("a chart needs at least one category and one series")
    for s in series:
        if s.kind not in ("bar", "line"):
            raise ValueError(f"unknown series kind {s.kind!r}")
        if len(s.values) != len(categories):
            raise ValueError(f"series has {len(s.values)} values for {len(categories)} categories")
        if not all(math.isfinite(v) for v in s.values):
            raise ValueError(f"cannot chart non-finite values: {list(s.values)}")
    low, high, digits = _nice_range([v for s in series for v in s.values], include_zero=include_zero)
    lines = [
        "```mermaid",
        "xychart-beta",
        f"    title {_label(title, 80)}",
        f"    x-axis [{', '.join(_label(c) for c in categories)}]",
        f"    y-axis {_label(y_title)} {_num(low, digits)} --> {_num(high, digits)}",
    ]
    lines += [f"    {s.kind} [{', '.join(_num(v, digits) for v in s.values)}]" for s in series]
    lines.append("```")
    return "\n".join(lines)
