#!/usr/bin/env bash
# Install shipml into a private, reusable venv and print where its CLI is.
#
#   actions/setup/install.sh [EXTRAS]   EXTRAS: comma list (train,gate), a command or action name
#                                       (gate, pr-comment: the extra the command registry names), core
#
# Every shipml action calls this script from its own directory ("$ACTION_PATH/../setup/install.sh"),
# never `uses: ./actions/setup`, which would resolve against the *caller's* repository.
# - Reproducible: installs with constraints/py3.X.txt (every package pinned with hashes, generated
#   by scripts/lock.py), so two runs of the same tag install the same stack.
# - Private venv: the user's job Python and packages are never touched.
# - uv installs the stack in seconds (pip takes minutes); uv itself is bootstrapped if absent.
# - Reuse: the venv is keyed by Python version, extras and a hash of this checkout's package
#   sources, so later steps in the same job reuse it and a changed checkout never runs stale code.
# - Atomic: a venv is used only once its ".ready" marker exists; a crashed install is redone.
# Writes `python=` and `shipml=` to $GITHUB_OUTPUT when run as an action step.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
request="${1:-}"

python_bin="$(command -v "${SHIPML_PYTHON:-python3}" || true)"
if [[ -z "$python_bin" ]]; then
  echo "::error title=shipml setup::no python3 on PATH: add actions/setup-python (3.11-3.13) before shipml" >&2
  exit 2
fi
pyver="$("$python_bin" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$pyver" in
  3.11|3.12|3.13) ;;
  *) echo "::error title=shipml setup::Python $pyver is not supported (scikit-learn 1.9 needs 3.11+): use actions/setup-python with python-version 3.11, 3.12 or 3.13" >&2; exit 2 ;;
esac
constraints="$here/actions/setup/constraints/py$pyver.txt"

# The command -> extra map lives once, in shipml's command registry (stdlib only, read from source).
extras="$(PYTHONPATH="$here/src" "$python_bin" -P -m shipml.commands extra "$request")"
if [[ ! "$extras" =~ ^[a-z,-]*$ ]]; then
  echo "::error title=shipml setup::invalid extras '$extras': use a comma list such as train,gate" >&2
  exit 2
fi

tree_hash="$(cd "$here" && { cat pyproject.toml "$constraints"; find src -type f -name '*.py' -print0 | sort -z | xargs -0 cat; } | sha256sum | cut -c1-16)"
key="$(printf '%s|%s|%s|%s' "$python_bin" "$pyver" "$extras" "$tree_hash" | sha256sum | cut -c1-16)"
root="${SHIPML_VENV_ROOT:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/shipml-venvs}"
venv="$root/$key"
mkdir -p "$root"

install() {
  rm -rf "$venv"
  local uv
  uv="$(command -v uv || true)"
  if [[ -z "$uv" ]]; then
    if [[ ! -x "$root/uv/bin/uv" ]]; then
      "$python_bin" -m venv "$root/uv"
      "$root/uv/bin/python" -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
    fi
    uv="$root/uv/bin/uv"
  fi
  local spec="$here"
  [[ -n "$extras" ]] && spec="$here[$extras]"
  export UV_PYTHON_DOWNLOADS=never
  "$uv" venv --quiet --python "$python_bin" "$venv"
  "$uv" pip install --quiet --python "$venv/bin/python" --constraints "$constraints" "$spec"
  touch "$venv/.ready"
}

start=$SECONDS
if [[ -f "$venv/.ready" ]]; then
  echo "shipml: reusing $venv (extras: ${extras:-none})" >&2
else
  echo "shipml: installing shipml${extras:+[$extras]} into $venv" >&2
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$venv.lock"
    flock 9
    [[ -f "$venv/.ready" ]] || install
  else
    install
  fi
  echo "shipml: installed in $((SECONDS - start))s" >&2
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "python=$venv/bin/python"
    echo "shipml=$venv/bin/shipml"
  } >>"$GITHUB_OUTPUT"
fi
echo "$venv/bin/shipml"
