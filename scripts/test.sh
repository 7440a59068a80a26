#!/usr/bin/env bash
# The README's test command: install everything the tests need, run the lint gates, then all
# test tiers (unit, integration against real local services, e2e under act).
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -m "not e2e" -x   # extra arguments go to pytest
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/dev-env.sh
bash scripts/lint.sh
export MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
python -m pytest -p no:cacheprovider --timeout=900 "$@"
