#!/usr/bin/env python3
"""Fail when a ``run:`` block contains a ``${{ }}`` expression.

Expressions in ``run:`` are expanded into the script before the shell sees it,
which turns any input, branch name or PR title into code (script injection).
Inputs must reach scripts through ``env:``. zizmor catches the dangerous cases;
this check is stricter and covers every expression, dangerous or not.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml


def _run_blocks(node: Any, path: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if key == "run" and isinstance(value, str):
                found.append((here, value))
            else:
                found.extend(_run_blocks(value, here))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_run_blocks(item, f"{path}[{i}]"))
    return found


def main(paths: list[str]) -> int:
    bad = 0
    for name in paths:
        doc = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        for where, script in _run_blocks(doc, ""):
            if "${{" in script:
                print(
                    f"{name}: {where}: '${{{{ }}}}' inside run: pass it through env: instead", file=sys.stderr
                )
                bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
