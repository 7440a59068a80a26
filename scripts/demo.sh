#!/usr/bin/env bash
# The main job, end to end, on the bundled example: no account, no server.
#
#   validate new data -> train v1 -> gate (first model) -> promote
#   -> train v2 (other params) -> gate v2 vs the v1 champion -> promote if it passed
#   -> with a Docker daemon (DOCKER_HOST set and answering): build the champion's server image,
#      run it (read-only, non-root) and call /health and /predict, scan it with trivy
#   -> compose the PR comment into a local markdown file and print it.
#
# MLflow runs in its embedded sqlite store under examples/churn/.shipml/ (fresh each run).
# The image steps take shipml.yaml's image:/scan: settings, overridable by env, e.g. offline:
#   SHIPML_IMAGE__BASE=shipml-base:bookworm SHIPML_IMAGE__WHEELHOUSE=/path/to/wheels
#   SHIPML_SCAN__CACHE_DIR=/path/to/trivy-cache (holding db/trivy.db + db/metadata.json)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
docker_up=false
if [[ -n "${DOCKER_HOST:-}" ]] && command -v docker >/dev/null && timeout 10 docker version >/dev/null 2>&1; then
  docker_up=true
fi
if $docker_up; then
  shipml="$(bash "$repo/actions/setup/install.sh" validate,train,gate,comment,image,scan)"
else
  shipml="$(bash "$repo/actions/setup/install.sh" validate,train,gate,comment)"
fi

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

image_results=()
if $docker_up; then
  step "8. build the champion's model server image (dependencies below the model, non-root)"
  run build "models:/churn-classifier@champion" --no-push --result-file "$results/build.json"
  image="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["outputs"].get("image", ""))' \
    "$results/build.json")"
  if [[ -n "$image" ]]; then
    step "9. run it read-only as its non-root user; call /health and /predict"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    container="$(docker run -d --rm --network host --read-only --tmpfs /tmp \
      -e SHIPML_SERVE_HOST=127.0.0.1 -e SHIPML_SERVE_PORT="$port" "$image")"
    for _ in $(seq 120); do
      curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
      sleep 0.5
    done
    echo "GET  /health  -> $(curl -fsS "http://127.0.0.1:$port/health" || echo 'not ready')"
    row="$(python3 -c 'import csv, json; r = next(csv.DictReader(open("data/new.csv"))); r.pop("churned")
num = {"tenure_months": int, "support_calls": int, "senior": int, "monthly_charges": float, "total_charges": float}
print(json.dumps({k: num[k](v) if k in num else v for k, v in r.items()}))')"
    echo "POST /predict -> $(curl -fsS -H 'Content-Type: application/json' -d "$row" \
      "http://127.0.0.1:$port/predict" || echo 'failed')"
    docker stop -t 30 "$container" >/dev/null
    step "10. scan it with trivy (vulnerabilities, secrets, Dockerfile), policy from shipml.yaml"
    image_results=(--results "$results/build.json")
    code=0
    "$shipml" scan "$image" --result-file "$results/scan.json" || code=$?
    if (( code <= 1 )); then
      image_results+=(--results "$results/scan.json")
    else  # e.g. no vulnerability DB offline: the error above says how to provide one
      echo "demo: scan could not run (exit $code); the report goes on without it"
    fi
  fi
else
  echo "demo: no Docker daemon at DOCKER_HOST (${DOCKER_HOST:-unset}): skipped building, running and scanning the image"
fi

step "compose the PR comment"
run comment --results "$results/validate.json" --results "$results/train.json" \
  --results "$results/gate.json" --results "$results/promote.json" ${image_results[@]+"${image_results[@]}"} \
  --output "$SHIPML_HOME/report.md"

echo
cat "$SHIPML_HOME/report.md"
echo
echo "demo: results in $results"
echo "demo: report  at $SHIPML_HOME/report.md"
