"""The real cosign for tests: built once from the Go module proxy into ``$SHIPML_CACHE`` (build.sh).

A missing cosign is built on first use (minutes, cold) and a failed build fails the tests
that need it, loudly: signing is never skipped or faked.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUILD_SCRIPT = Path(__file__).with_name("build.sh")


def ensure_built() -> Path:
    """The cosign binary's path, building it first when the cache has none."""
    done = subprocess.run(
        ["nice", "-n", "19", "bash", str(BUILD_SCRIPT)], capture_output=True, text=True, check=False
    )
    path = Path(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None
    if done.returncode != 0 or path is None or not path.is_file():
        raise RuntimeError(f"building cosign failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return path


@dataclass(frozen=True)
class Keys:
    """A cosign key pair made by cosign itself (encrypted private key, its password)."""

    private: Path
    public: Path
    password: str

    def env(self, password: str | None = None) -> dict[str, str]:
        """The variables the sign-image action's secret inputs become."""
        key = self.private.read_text()
        return {"COSIGN_PRIVATE_KEY": key, "COSIGN_PASSWORD": self.password if password is None else password}


def generate_keys(cosign: Path, folder: Path, password: str) -> Keys:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(cosign), "generate-key-pair"],
        cwd=folder,
        env={**os.environ, "COSIGN_PASSWORD": password},
        check=True,
        capture_output=True,
    )
    return Keys(folder / "cosign.key", folder / "cosign.pub", password)


def _verify(cosign: Path, public: Path, command: str, *args: str) -> subprocess.CompletedProcess[str]:
    """cosign's own check with the public key only (no transparency log), a loopback registry."""
    flags = [
        "--key",
        str(public),
        "--insecure-ignore-tlog=true",
        "--allow-http-registry",
        "--allow-insecure-registry",
    ]
    argv = [str(cosign), command, *flags, *args]
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)


def is_signed(cosign: Path, public: Path, ref: str) -> bool:
    return _verify(cosign, public, "verify", ref).returncode == 0


def attested(cosign: Path, public: Path, ref: str, kind: str) -> list[dict[str, Any]]:
    """The predicates of ``kind`` on ``ref`` as cosign itself verifies and decodes them ([]: none)."""
    done = _verify(cosign, public, "verify-attestation", "--type", kind, ref)
    if done.returncode != 0:
        return []
    return [
        json.loads(base64.b64decode(json.loads(line)["payload"]))["predicate"]
        for line in done.stdout.splitlines()
    ]
