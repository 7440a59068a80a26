#!/usr/bin/env bash
# Every lint gate CI enforces: ruff, mypy, zizmor, action/workflow schemas, actionlint.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/dev-env.sh

actions=(action.yml actions/*/action.yml)
workflows=(workflows-templates/*.yml .github/workflows/*.yml)

echo "lint: ruff" >&2
ruff check src tests scripts benchmarks examples
ruff format --check src tests scripts benchmarks examples
echo "lint: mypy" >&2
mypy
echo "lint: no \${{ }} inside run: blocks" >&2
python scripts/check_run_blocks.py "${actions[@]}" "${workflows[@]}"
echo "lint: zizmor" >&2
zizmor --offline --no-progress "${actions[@]}" "${workflows[@]}"
echo "lint: schemas" >&2
check-jsonschema --builtin-schema vendor.github-actions "${actions[@]}"
check-jsonschema --builtin-schema vendor.github-workflows "${workflows[@]}"
echo "lint: actionlint" >&2
actionlint "${workflows[@]}"
echo "lint: all clean" >&2
