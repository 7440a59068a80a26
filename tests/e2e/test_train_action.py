"""actions/train used as users do (`shipml/shipml/actions/train@v1`) under act."""

from __future__ import annotations

from tests.conftest import EXAMPLE
from tests.support.act import UserRepo

OUTPUTS = ("status", "result-file", "run-id", "model-uri", "model-version", "registered-model", "metrics")
COLLECT = {name: f"${{{{ steps.train.outputs.{name} }}}}" for name in OUTPUTS} | {
    "outcome": "${{ steps.train.outcome }}"
}

# A later user step: reads the outputs through env (never inlined into the script) and acts on them.
READ_OUTPUTS = """\
import json, os
metrics = json.loads(os.environ["METRICS"])
assert os.environ["MODEL_URI"] == f"models:/{os.environ['NAME']}/{os.environ['VERSION']}"
with open(os.path.join(os.environ["SHIPML_TEST_OUT"], "next-step.txt"), "w") as fh:
    fh.write(f"{os.environ['RUN_ID']} {metrics['test']['roc_auc']:.4f}")
"""


def test_train_action_outputs_feed_the_next_step(user_repo: UserRepo) -> None:
    for part in ("shipml.yaml", "data"):
        user_repo.copy_in(EXAMPLE / part, part)
    user_repo.workflow(
        [
            {
                "id": "train",
                "uses": "shipml/shipml/actions/train@v1",
                # A throwaway registry, chosen by name: on a runner shipml refuses to fall back to it.
                "with": {
                    "config": "shipml.yaml",
                    "registered-model": "churn-e2e",
                    "alias": "candidate",
                    "tracking-uri": "local",
                },
            },
            {
                "name": "use the outputs",
                "env": {
                    "RUN_ID": "${{ steps.train.outputs.run-id }}",
                    "MODEL_URI": "${{ steps.train.outputs.model-uri }}",
                    "NAME": "${{ steps.train.outputs.registered-model }}",
                    "VERSION": "${{ steps.train.outputs.model-version }}",
                    "METRICS": "${{ steps.train.outputs.metrics }}",
                },
                "shell": "python",
                "run": READ_OUTPUTS,
            },
        ],
        collect=COLLECT,
    )
    run = user_repo.run()
    assert run.returncode == 0, run.log[-6000:]
    out = run.outputs
    assert out["status"] == "passed" and out["outcome"] == "success"
    assert out["registered-model"] == "churn-e2e" and out["model-version"] == "1"
    assert out["model-uri"] == "models:/churn-e2e/1"
    result = run.result("train")
    details = result["details"]
    assert details["alias"] == "candidate" and details["run_id"] == out["run-id"]
    assert details["git_sha"] and details["git_sha"] != "unknown"  # the user repo's commit
    assert details["metrics"]["test"]["roc_auc"] > 0.75
    next_step = (run.out_dir / "next-step.txt").read_text().split()
    assert next_step == [out["run-id"], f"{details['metrics']['test']['roc_auc']:.4f}"]
    assert "### shipml train" in run.summary and "churn-e2e v1" in run.summary
    assert "INFO mlflow" not in run.log
    # the reader is told the registry was job-local, in the log and in the summary
    assert "job-local sqlite store, discarded at job end" in run.log
    assert "nothing recorded here outlives the job" in run.summary


def test_train_action_bad_estimator_fails_with_annotation(user_repo: UserRepo) -> None:
    for part in ("shipml.yaml", "data"):
        user_repo.copy_in(EXAMPLE / part, part)
    config = (user_repo.root / "shipml.yaml").read_text()
    user_repo.write(
        "shipml.yaml",
        config.replace(
            "sklearn.ensemble.HistGradientBoostingClassifier", "sklearn.ensemble.GradientBoostingClasifier"
        ),
    )
    user_repo.workflow([{"id": "train", "uses": "shipml/shipml/actions/train@v1"}], collect=COLLECT)
    run = user_repo.run()
    assert run.returncode != 0
    assert run.outputs["status"] == "error" and run.outputs["outcome"] == "failure"
    assert "::error title=shipml train::" in run.log
    assert "model.estimator: 'sklearn.ensemble' has no 'GradientBoostingClasifier'" in run.log
    assert "exit status 2" in run.log and "Traceback" not in run.log


def test_train_action_without_a_tracking_server_refuses_the_job_local_store(user_repo: UserRepo) -> None:
    """The likeliest slip (secret unset): green on a store deleted at job end must not happen."""
    for part in ("shipml.yaml", "data"):
        user_repo.copy_in(EXAMPLE / part, part)
    user_repo.workflow(
        [
            {
                "id": "train",
                "uses": "shipml/shipml/actions/train@v1",
                # what the README snippet gives when the secret does not exist: an empty input
                "with": {"config": "shipml.yaml", "tracking-uri": "${{ secrets.MLFLOW_TRACKING_URI }}"},
            }
        ],
        collect=COLLECT,
    )
    run = user_repo.run()
    assert run.returncode != 0
    assert run.outputs["status"] == "error" and run.outputs["outcome"] == "failure"
    assert "::error title=shipml train::no MLflow tracking URI" in run.log
    assert "mlflow.tracking_uri: local" in run.log
    assert "exit status 2" in run.log and "Traceback" not in run.log
