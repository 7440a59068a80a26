"""How flag values (and action inputs, which arrive as one string each) become paths and booleans."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipml.commands.validate import _bool, _paths
from shipml.errors import UsageError


def test_paths_split_on_commas_and_newlines_and_drop_empty_values() -> None:
    assert _paths(["a.csv", "b.csv,c.csv", "d.csv\n e.csv \n", ""]) == [
        Path("a.csv"),
        Path("b.csv"),
        Path("c.csv"),
        Path("d.csv"),
        Path("e.csv"),
    ]
    assert _paths([""]) == [] and _paths([]) == []


@pytest.mark.parametrize(("text", "value"), [("true", True), ("False", False), ("1", True), ("off", False)])
def test_bool_inputs(text: str, value: bool) -> None:
    assert _bool(text, "--drift") is value


def test_empty_bool_means_not_given_and_garbage_is_a_usage_error() -> None:
    assert _bool("", "--drift") is None and _bool(None, "--drift") is None
    with pytest.raises(UsageError, match="--drift: expected true or false, got 'maybe'"):
        _bool("maybe", "--drift")
