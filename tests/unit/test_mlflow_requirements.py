"""MLflow's requirement check at log time: still judged, without the scan of every installed package."""

from __future__ import annotations

import logging

import pytest
from mlflow.utils import requirements_utils

from shipml.mlflow_api import requirements
from shipml.train.mlflow_run import pip_requirements


@pytest.fixture
def fresh_map(monkeypatch: pytest.MonkeyPatch) -> None:
    """As at the start of a training process: MLflow has not built its module map yet."""
    monkeypatch.setattr(requirements_utils, requirements.MODULE_MAP, None)
    monkeypatch.setattr(requirements_utils, requirements.REVERSE_MAP, None)


def _no_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    def scan() -> None:
        raise AssertionError("MLflow scanned every installed distribution")

    monkeypatch.setattr(requirements_utils.importlib_metadata, "packages_distributions", scan)


def test_the_pinned_mlflow_still_has_the_map_this_relies_on() -> None:
    # If an MLflow upgrade moves these, the seeding silently stops saving time: fail here instead.
    assert hasattr(requirements_utils, requirements.MODULE_MAP)
    assert hasattr(requirements_utils, requirements.REVERSE_MAP)
    assert callable(requirements_utils.importlib_metadata.packages_distributions)


def test_a_mismatch_is_still_reported_and_nothing_is_scanned(
    fresh_map: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _no_scan(monkeypatch)
    with pytest.raises(AssertionError, match="scanned"):  # what MLflow does on its own
        requirements_utils._check_requirement_satisfied("numpy")
    caplog.set_level(logging.WARNING, logger="mlflow.utils.requirements_utils")
    with requirements.checked_without_scan():
        requirements_utils.warn_dependency_requirement_mismatches(
            ["scikit-learn==0.0.1", "shipml-no-such-package==1.0", *pip_requirements()]
        )
    text = caplog.text
    assert "scikit-learn (current: " in text and "required: scikit-learn==0.0.1" in text
    assert "shipml-no-such-package (current: uninstalled" in text
    for pin in pip_requirements():  # the pins train writes match this environment: no warning
        assert f"required: {pin}" not in text


def test_the_same_answers_as_the_full_scan(fresh_map: None) -> None:
    pins = [*pip_requirements(), "mlflow==0.1", "numpy<1"]
    with requirements.checked_without_scan():
        seeded = [str(requirements_utils._check_requirement_satisfied(p)) for p in pins]
    requirements_utils._MODULES_TO_PACKAGES = None
    full = [str(requirements_utils._check_requirement_satisfied(p)) for p in pins]
    assert seeded == full
    assert seeded.count("None") == len(pins) - 2  # the two impossible pins are the mismatches


def test_the_map_is_given_back_for_the_rest_of_the_process(fresh_map: None) -> None:
    with requirements.checked_without_scan():
        assert getattr(requirements_utils, requirements.MODULE_MAP) is not None
    assert getattr(requirements_utils, requirements.MODULE_MAP) is None
    assert getattr(requirements_utils, requirements.REVERSE_MAP) is None


def test_a_map_already_built_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    built = {"sklearn": ["scikit-learn"]}
    monkeypatch.setattr(requirements_utils, requirements.MODULE_MAP, built)
    with requirements.checked_without_scan():
        assert getattr(requirements_utils, requirements.MODULE_MAP) is built
    assert getattr(requirements_utils, requirements.MODULE_MAP) is built
