#!/usr/bin/env python3
"""A Debian bookworm base image with Python 3.11, made here because no registry can be pulled from.

``debootstrap --variant=minbase`` against the Debian mirror apt already uses, packed
into a tarball cached outside the repository (``$SHIPML_CACHE``, default
``/var/cache/shipml``), then ``docker import``-ed into whichever daemon a test uses.
The tarball takes about a minute to make once; importing it takes seconds.

    python -m tests.support.base_image tarball            # make (or reuse) the cached tarball
    python -m tests.support.base_image import [--tag T]   # import it into $DOCKER_HOST
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

DEFAULT_TAG = "shipml-base:bookworm"
SUITE = "bookworm"
# python3-venv brings ensurepip's bundled pip: the image makes a venv and installs offline into it.
PACKAGES = ("python3", "python3-venv", "ca-certificates")
FALLBACK_MIRROR = "http://deb.debian.org/debian"
# /usr/bin/docker (20.10, Debian's) builds with BuildKit; /usr/local/bin/docker may lack buildx.
DOCKER_CLI = "/usr/bin/docker" if Path("/usr/bin/docker").exists() else "docker"


def cache_dir() -> Path:
    """Where slow-to-make test inputs live between runs (never inside the repository)."""
    path = Path(os.environ.get("SHIPML_CACHE", "/var/cache/shipml"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def tarball_path() -> Path:
    return cache_dir() / f"base-{SUITE}-py311.tar"


def apt_mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror apt is configured with (deb822 ``URIs:`` or one-line ``deb URI``)."""
    files = [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for match in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.MULTILINE):
            uri = match.group(1).rstrip("/")
            if uri.endswith("/debian"):
                return uri
    return FALLBACK_MIRROR


def ensure_tarball() -> Path:
    """The cached root filesystem tarball, made with debootstrap when absent (atomic write)."""
    target = tarball_path()
    if target.is_file() and target.stat().st_size > 0:
        return target
    if shutil.which("debootstrap") is None:
        raise RuntimeError(
            "debootstrap is not installed: run `apt-get install -y debootstrap` (.ci/run does)"
        )
    with tempfile.TemporaryDirectory(prefix="shipml-debootstrap-", dir=target.parent) as tmp:
        root = Path(tmp) / "root"
        argv = [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            str(root),
            apt_mirror(),
        ]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-20:])
            raise RuntimeError(f"debootstrap failed ({proc.returncode}):\n{tail}")
        # Trim what an image never needs: apt lists and caches, docs, man pages.
        for sub in ("var/lib/apt/lists", "var/cache/apt", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(root / sub, ignore_errors=True)
            (root / sub).mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tar.partial")
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        os.replace(partial, target)
    return target


def image_exists(tag: str, env: dict[str, str] | None = None) -> bool:
    proc = subprocess.run(
        [DOCKER_CLI, "image", "inspect", tag],
        capture_output=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return proc.returncode == 0


def import_image(tag: str = DEFAULT_TAG, docker_host: str | None = None) -> str:
    """Import the cached tarball as ``tag`` into the daemon at ``docker_host`` (idempotent)."""
    env = {"DOCKER_HOST": docker_host} if docker_host else {}
    if image_exists(tag, env):
        return tag
    tarball = ensure_tarball()
    proc = subprocess.run(
        [DOCKER_CLI, "import", str(tarball), tag],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"docker import {tarball} {tag} failed: {proc.stderr.strip()}")
    return tag


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=["tarball", "import"])
    parser.add_argument("--tag", default=DEFAULT_TAG)
    args = parser.parse_args()
    if args.action == "tarball":
        print(ensure_tarball())
    else:
        print(import_image(args.tag, os.environ.get("DOCKER_HOST")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
