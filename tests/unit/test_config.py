from __future__ import annotations

from pathlib import Path

import pytest

from shipml.config import load_config
from shipml.errors import ConfigError, ExitCode
from tests.conftest import EXAMPLE, run_shipml


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "shipml.yaml"
    path.write_text(text)
    return path


def test_example_config_loads() -> None:
    cfg = load_config(EXAMPLE / "shipml.yaml")
    assert cfg.data.target == "churned"
    assert cfg.path(cfg.data.reference or "").is_file()


def test_unknown_key_names_file_line_and_path(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\nmlflow:\n  experiment: e\n  registerd_model: typo\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    text = str(err.value)
    assert f"{path.resolve()}:4: mlflow.registerd_model: unknown key" in text  # absolute: outside cwd
    assert "\n" not in text


def test_bad_value_in_list_names_index(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "gate:\n  rules:\n    - metric: accuracy\n      min: 0.5\n"
        "    - metric: roc_auc\n      min: 0.5\n      confidence: 1.5\n",
    )
    with pytest.raises(ConfigError, match=r":7: gate\.rules\[1\]\.confidence: .*less than 1 \(got 1\.5\)"):
        load_config(path)


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\ngate:\n  rules: [\n")
    with pytest.raises(ConfigError, match=r"shipml\.yaml:4: invalid YAML"):
        load_config(path)


def test_precedence_defaults_file_env_flags(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mlflow:\n  experiment: from-file\n  registered_model: file-model\ngate:\n  confidence: 0.9\n",
    )
    cfg = load_config(path)
    assert (cfg.mlflow.experiment, cfg.gate.confidence, cfg.gate.seed) == ("from-file", 0.9, 0)
    env = {"SHIPML_MLFLOW__EXPERIMENT": "from-env", "SHIPML_GATE__CONFIDENCE": "0.99", "SHIPML_DEBUG": "1"}
    cfg = load_config(path, environ=env)
    assert (cfg.mlflow.experiment, cfg.gate.confidence) == ("from-env", 0.99)
    cfg = load_config(
        path, environ=env, overrides={("mlflow", "experiment"): "from-flag", ("gate", "seed"): ""}
    )
    assert cfg.mlflow.experiment == "from-flag"
    assert cfg.gate.seed == 0  # an empty flag value means "not given"
    assert cfg.mlflow.registered_model == "file-model"


def test_bad_env_override_names_the_variable(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\n")
    with pytest.raises(ConfigError, match=r"environment variable SHIPML_GATE__CONFIDENCE: gate\.confidence"):
        load_config(path, environ={"SHIPML_GATE__CONFIDENCE": "7"})


def test_invalid_alias_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "mlflow:\n  champion_alias: v3\n")
    with pytest.raises(ConfigError, match="not a valid MLflow alias"):
        load_config(path)


def test_cli_malformed_config_exits_2_with_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "gate:\n  confidance: 0.9\n")
    run = run_shipml("doctor", "--config", str(path), cwd=tmp_path)
    assert run.code == ExitCode.BAD_INPUT
    assert "Traceback" not in run.output
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "shipml.yaml:2: gate.confidance: unknown key" in lines[0]


def test_missing_config_file_is_exit_2(tmp_path: Path) -> None:
    run = run_shipml("doctor", "--config", str(tmp_path / "nope.yaml"), cwd=tmp_path)
    assert run.code == ExitCode.BAD_INPUT
    assert "config file" in run.stderr and "not found" in run.stderr


def test_unknown_key_suggests_the_closest_known_key(tmp_path: Path) -> None:
    path = write(tmp_path, "gate:\n  slices:\n    - column: contract\n      min_row: 3\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert ":4: gate.slices[0].min_row: unknown key (did you mean 'min_rows'?)" in str(err.value)


def test_unknown_key_without_a_close_match_suggests_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, "gate:\n  zzzz: 1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "gate.zzzz: unknown key." in str(err.value)
    assert "did you mean" not in str(err.value)


def test_post_load_errors_blame_the_env_override_not_a_file_line(tmp_path: Path) -> None:
    path = write(tmp_path, "project: x\ndata:\n  target: churned\n")
    cfg = load_config(path, environ={"SHIPML_DATA__TARGET": "label"})
    assert cfg.where("data", "target") == "environment variable SHIPML_DATA__TARGET: data.target"
    assert cfg.where("project").endswith("shipml.yaml:1: project")
    flagged = load_config(path, overrides={("data", "target"): "y"})
    assert flagged.where("data", "target") == "option --target: data.target"
