"""The mermaid charts in reports must parse: GitHub shows a broken block as an error box.

``check_xychart`` follows mermaid's xychart jison grammar (lexer: numbers are
``[+-]?(\\d+(\\.\\d+)?|\\.\\d+)`` with no exponent, strings are ``"[^"]*"``; the y
range is ``NUM --> NUM``) for the statements shipml emits, and adds the checks
the grammar leaves to rendering: one value per category, increasing y range
containing every value, nothing that would end the code fence.
"""

from __future__ import annotations

import re

import pytest

from shipml.report.collect import collect
from shipml.report.compose import ReportContext, compose
from shipml.report.mermaid import Series, xychart
from tests.unit.test_report_golden import FIXTURES

STR = r'"[^"\n]*"'
NUM = r"[+-]?(?:\d+(?:\.\d+)?|\.\d+)"


def check_xychart(block: str) -> None:
    lines = block.strip().splitlines()
    assert lines[0] == "```mermaid" and lines[-1] == "```", "not a fenced mermaid block"
    body = [line.strip() for line in lines[1:-1]]
    assert body[0] in ("xychart-beta", "xychart-beta vertical", "xychart-beta horizontal"), body[0]
    assert not any("```" in line or "%%" in line for line in body), "fence or comment marker inside the chart"
    categories: int | None = None
    y_range: tuple[float, float] | None = None
    series: list[list[float]] = []
    for line in body[1:]:
        if re.fullmatch(rf"title {STR}", line):
            continue
        if m := re.fullmatch(rf"x-axis (?:{STR} )?\[({STR}(?:, {STR})*)\]", line):
            categories = len(re.findall(STR, m.group(1)))
            continue
        if m := re.fullmatch(rf"y-axis (?:{STR} )?({NUM}) --> ({NUM})", line):
            y_range = (float(m.group(1)), float(m.group(2)))
            assert y_range[0] < y_range[1], f"y range not increasing: {line}"
            continue
        if m := re.fullmatch(rf"(?:bar|line) \[({NUM}(?:, {NUM})*)\]", line):
            series.append([float(v) for v in m.group(1).split(", ")])
            continue
        raise AssertionError(f"not valid xychart syntax: {line!r}")
    assert series, "no data series"
    assert categories is not None and all(len(s) == categories for s in series), "values/categories mismatch"
    assert y_range is not None
    for values in series:
        assert all(y_range[0] <= v <= y_range[1] for v in values), f"values outside the y range {y_range}"


def test_checker_rejects_what_mermaid_rejects() -> None:
    good = '```mermaid\nxychart-beta\n    x-axis ["a", "b"]\n    y-axis "v" 0 --> 1\n    bar [0.5, 0.25]\n```'
    check_xychart(good)
    for bad in (
        good.replace("0.25", "2.5e-1"),  # exponent
        good.replace('"a"', '"a"b"'),  # quote inside a label
        good.replace("0 --> 1", "1 --> 0"),  # decreasing range
        good.replace("[0.5, 0.25]", "[0.5]"),  # one value for two categories
        good.replace("0.25", "1.5"),  # outside the range
    ):
        with pytest.raises(AssertionError):
            check_xychart(bad)


@pytest.mark.parametrize(
    ("labels", "values"),
    [
        (["contract=month-to-month", "contract=one-year"], [-0.0409, 0.0008]),
        (['quote "inside"', "back`tick", "100%% done"], [1e-7, -3e-9, 0.0]),
        (["only"], [0.0]),
        ([f"s{i}" for i in range(24)], [i * 0.37 - 4 for i in range(24)]),
        (["big", "small"], [12345.678, -0.5]),
    ],
)
def test_generated_charts_are_well_formed(labels: list[str], values: list[float]) -> None:
    check_xychart(xychart('Δ by slice: "x"', labels, [Series("bar", values)], y_title="Δ"))
    check_xychart(
        xychart("t", labels, [Series("bar", values), Series("line", values)], y_title="v", include_zero=False)
    )


def test_non_finite_values_are_refused() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        xychart("t", ["a"], [Series("bar", [float("nan")])], y_title="v")


@pytest.mark.parametrize("scenario", ["pass", "fail", "future"])
def test_report_charts_are_well_formed(scenario: str) -> None:
    found = collect([str(FIXTURES / scenario)])
    markdown = compose(found.results, ReportContext()).markdown()
    blocks = re.findall(r"```mermaid\n.*?\n```", markdown, flags=re.S)
    assert blocks, "expected a chart in the report"
    for block in blocks:
        check_xychart(block)
