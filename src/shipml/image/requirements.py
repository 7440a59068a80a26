"""What the default server image installs: shipml's core and ``serve`` extra, plus the model's pins.

Read from the installed shipml's metadata (pyproject is the one place the serve
extra is declared) and from the model's own ``requirements.txt`` (MLflow writes the
exact versions it was trained with, which the server must load it under). MLflow
itself is dropped: the server reads the model files without it.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

EXCLUDED = frozenset({"mlflow", "mlflow-skinny", "mlflow-tracing"})
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else ""


def shipml_requirements(extra: str = "serve") -> list[str]:
    """shipml's core requirements plus those of ``extra`` (the extra's marker dropped)."""
    out = []
    for requirement in metadata.requires("shipml") or []:
        spec, _, marker = requirement.partition(";")
        extras = _EXTRA.findall(marker)
        if not extras:
            out.append(requirement.strip())
        elif extra in extras:
            out.append(spec.strip())
    return out


def model_requirements(model_dir: Path) -> list[str]:
    path = model_dir / "requirements.txt"
    if not path.is_file():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-") and _name(line) not in EXCLUDED:
            lines.append(line)
    return lines


def image_requirements(model_dir: Path) -> list[str]:
    """The requirements.txt of the image: unique lines, shipml's first, then the model's pins."""
    return list(dict.fromkeys([*shipml_requirements(), *model_requirements(model_dir)]))
