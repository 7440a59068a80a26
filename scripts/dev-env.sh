#!/usr/bin/env bash
# Create or refresh ./.venv with shipml[dev] (editable). Sourced by test.sh and lint.sh.
# uv is bootstrapped with pip when absent: installing the stack with uv takes seconds, pip minutes.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$repo/.venv"
python_bin="$(command -v "${SHIPML_PYTHON:-python3}")"
if command -v uv >/dev/null 2>&1; then
  uv=(uv)
else
  # `python -m uv` works even where a version manager's shims have not been refreshed.
  "$python_bin" -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
  uv=("$python_bin" -m uv)
fi
export UV_PYTHON_DOWNLOADS=never
stamp="$venv/.shipml-dev-stamp"
want="$(sha256sum "$repo/pyproject.toml" | cut -c1-16)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "dev-env: installing shipml[dev] into $venv" >&2
  [[ -x "$venv/bin/python" ]] || "${uv[@]}" venv --quiet --python "$python_bin" "$venv"
  "${uv[@]}" pip install --quiet --python "$venv/bin/python" -e "$repo[dev]"
  echo "$want" >"$stamp"
fi
export PATH="$venv/bin:$PATH"
