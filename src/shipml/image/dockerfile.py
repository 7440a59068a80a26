"""The default model server image, as two Dockerfiles: dependencies, then shipml + model on top.

Layer order is what makes a new model version cheap: base, then the Python
dependencies (the big, slow part), then shipml's own code, then the model. The
dependency layers are built once as their own image, tagged by a hash of
everything that goes into them (``shipml-deps:<hash>``), so a build for a new
model version sends only shipml and the model to the daemon and rebuilds only the
top layers; on a fresh runner it is simply built first.

The dependencies go into a venv in a build stage and only the venv is copied into
the final image: the wheels (air-gapped path) never end up in a layer, and pip
itself is removed from the venv. The server runs as a non-root numeric user (no
useradd needed in the base) and writes nothing outside /tmp.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

VENV = "/opt/venv"
MODEL_DIR = "/opt/model"
SHIPML_DIR = "/opt/shipml"
UID = 10001
DEPS_REPOSITORY = "shipml-deps"


def deps_key(base: str, requirements: Sequence[str], wheels: Sequence[str] | None) -> str:
    """Hash of everything the dependency image is made from (wheel names when offline)."""
    blob = json.dumps({"base": base, "requirements": list(requirements), "wheels": wheels, "v": 1})
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def deps_dockerfile(base: str, *, wheelhouse: bool) -> str:
    if wheelhouse:
        copy_wheels = "COPY wheels /tmp/shipml/wheels\n"
        source = "--no-index --find-links /tmp/shipml/wheels"
    else:
        copy_wheels, source = "", ""
    return (
        f"FROM {base} AS build\n"
        "COPY requirements.txt /tmp/shipml/requirements.txt\n"
        f"{copy_wheels}"
        f"RUN python3 -m venv {VENV} \\\n"
        f" && {VENV}/bin/pip install --no-cache-dir --disable-pip-version-check --no-compile {source}"
        " -r /tmp/shipml/requirements.txt \\\n"
        f" && {VENV}/bin/python -m compileall -q -j 0 {VENV}/lib \\\n"
        f" && {VENV}/bin/pip uninstall -y -q pip\n"
        f"FROM {base}\n"
        f"COPY --from=build {VENV} {VENV}\n"
        f"ENV PATH={VENV}/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1\n"
    )


def server_dockerfile(deps_image: str, *, port: int, env: dict[str, str], labels: dict[str, str]) -> str:
    """Everything that does not depend on the model comes before ``COPY model`` and stays cached.

    With the classic builder every instruction after a changed layer runs again (each
    one a short-lived container), so the model-specific part is three instructions:
    the model files, one ENV and one LABEL.
    """
    health = f"import urllib.request; urllib.request.urlopen('http://127.0.0.1:{port}/health', timeout=3)"
    env_line = " ".join(f"{key}={json.dumps(value)}" for key, value in env.items() if value)
    label_line = " ".join(f"{json.dumps(key)}={json.dumps(value)}" for key, value in labels.items())
    return (
        f"FROM {deps_image}\n"
        f"COPY shipml {SHIPML_DIR}/shipml\n"
        # A container is reached from outside its network namespace: listen on every address.
        f"ENV PYTHONPATH={SHIPML_DIR} SHIPML_SERVE_HOST=0.0.0.0 SHIPML_SERVE_PORT={port}\n"
        f"USER {UID}:{UID}\n"
        f"EXPOSE {port}\n"
        "HEALTHCHECK --interval=10s --timeout=5s --start-period=30s "
        f"CMD {json.dumps(['python', '-c', health])}\n"
        f'ENTRYPOINT ["python", "-m", "shipml.serve", "--model-dir", "{MODEL_DIR}"]\n'
        f"COPY model {MODEL_DIR}\n"
        + (f"ENV {env_line}\n" if env_line else "")
        + (f"LABEL {label_line}\n" if label_line else "")
    )
