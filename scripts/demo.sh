#!/usr/bin/env bash
# The main job, end to end, on the bundled example: no account, no server.
#
#   validate new data -> train v1 -> gate (first model) -> promote
#   -> train v2 (other params) -> gate v2 vs the v1 champion -> promote if it passed
#   -> compose the PR comment into a local markdown file and print it.
#
# MLflow runs in its embedded sqlite store under examples/churn/.shipml/ (fresh each run).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shipml="$(bash "$repo/actions/setup/install.sh" validate,train,gate,comment)"

cd "$repo/examples/churn"
rm -rf .shipml
export SHIPML_HOME="$PWD/.shipml" MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
results="$SHIPML_HOME/results"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# A step that says "no" (exit 1) is part of the story; bad input (2) or infrastructure (3) is not.
run() {
  local code=0
  "$shipml" "$@" || code=$?
  if (( code >= 2 )); then echo "demo: 'shipml $*' failed with exit $code" >&2; exit "$code"; fi
  return 0
}

step "1. validate data/new.csv against the reference (expectations + drift)"
run validate --result-file "$results/validate.json"

step "2. train the first model and register it as the challenger"
run train --result-file "$results/train-v1.json"
step "3. gate it: no champion yet, so only the absolute rules apply"
run gate --result-file "$results/gate-v1.json"
step "4. promote it to champion"
run promote --gate-result "$results/gate-v1.json" --result-file "$results/promote-v1.json"

step "5. train a challenger with other hyper-parameters"
SHIPML_MODEL__PARAMS__MAX_ITER=300 SHIPML_MODEL__PARAMS__LEARNING_RATE=0.05 \
  run train --result-file "$results/train.json"
step "6. gate the challenger against the champion on the same rows"
run gate --result-file "$results/gate.json"
step "7. promote it if the gate passed"
run promote --gate-result "$results/gate.json" --result-file "$results/promote.json"

step "8. compose the PR comment"
run comment --results "$results/validate.json" --results "$results/train.json" \
  --results "$results/gate.json" --results "$results/promote.json" --output "$SHIPML_HOME/report.md"

echo
cat "$SHIPML_HOME/report.md"
echo
echo "demo: results in $results"
echo "demo: report  at $SHIPML_HOME/report.md"
