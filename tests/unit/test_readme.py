"""The README's config reference is generated from the models; it must be current."""

from __future__ import annotations

import pytest

from shipml.config import reference
from tests.conftest import REPO


def test_config_reference_is_current() -> None:
    text = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    assert reference.update(text) == text, "run: python -m shipml.config.reference --write docs/config.md"


def test_config_reference_refuses_an_undocumented_field() -> None:
    from pydantic import BaseModel, Field

    class Section(BaseModel):
        documented: int = Field(default=1, description="Has one.")
        silent: int = 2

    with pytest.raises(ValueError, match=r"`x.silent` \(Section.silent\) has no description"):
        reference.rows(Section, "x.")


def test_readme_keeps_exactly_two_setup_commands() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Try it", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    for command in commands:
        assert (REPO / command.split()[1]).is_file()
