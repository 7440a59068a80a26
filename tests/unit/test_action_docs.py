"""The README's table of actions and each action's README are generated from the action.yml files."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_action_docs_are_current() -> None:
    run = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "action_docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_every_action_has_a_generated_readme_listing_each_input() -> None:
    import yaml

    for action in sorted((REPO / "actions").glob("*/action.yml")):
        readme = (action.parent / "README.md").read_text(encoding="utf-8")
        for name in yaml.safe_load(action.read_text()).get("inputs") or {}:
            assert f"| `{name}` |" in readme, f"{action.parent.name}: input {name} undocumented"
