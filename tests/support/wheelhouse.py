#!/usr/bin/env python3
"""A wheelhouse for the default server image's Python (3.11, manylinux x86_64), made on the host.

Containers here have no egress (and TLS to the index fails on the host network),
so the image installs with ``pip --no-index --find-links``: the air-gapped path.
The wheels are downloaded once with the host's pip settings and cached outside the
repository (``$SHIPML_CACHE``), keyed by the requirement list.

    python -m tests.support.wheelhouse MODEL_DIR     # wheels for that model's image
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.support.base_image import cache_dir

PYTHON_VERSION = "3.11"
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def _pip_python() -> str:
    """A Python that has pip: the venv's own (uv makes venvs without pip) or the one it came from."""
    for candidate in (Path(sys.executable), Path(sys.base_prefix) / "bin" / "python3"):
        probe = subprocess.run([str(candidate), "-m", "pip", "--version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return str(candidate)
    raise RuntimeError("no Python with pip found to download wheels (install python3-pip)")


def ensure(requirements: list[str]) -> Path:
    """The cached wheelhouse for ``requirements``, downloading what is missing (atomic)."""
    key = hashlib.sha256("\n".join(sorted(requirements)).encode()).hexdigest()[:16]
    target = cache_dir() / f"wheelhouse-py311-{key}"
    if (target / ".complete").is_file():
        return target
    target.mkdir(parents=True, exist_ok=True)
    req_file = target / "requirements.txt"
    req_file.write_text("\n".join(requirements) + "\n")
    argv = [_pip_python(), "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    argv += ["--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp"]
    argv += ["--abi", "cp311"]
    for platform in PLATFORMS:
        argv += ["--platform", platform]
    argv += ["--dest", str(target), "-r", str(req_file)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"pip download failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    (target / ".complete").write_text("ok\n")
    return target


def for_model(model_dir: Path) -> Path:
    """Wheels for exactly what ``shipml build`` installs for this model."""
    from shipml.image.requirements import image_requirements

    return ensure(image_requirements(model_dir))


def main() -> int:
    print(for_model(Path(sys.argv[1] if len(sys.argv) > 1 else os.getcwd())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
