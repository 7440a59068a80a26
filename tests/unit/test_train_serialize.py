"""One skops dump per logged model, in compact JSON: same model, same trusted types, skops left as found."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.preprocessing import FunctionTransformer
from skops.io import _persist

from shipml.train import serialize


@pytest.fixture(scope="module")
def model() -> HistGradientBoostingClassifier:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    return HistGradientBoostingClassifier(max_iter=20, random_state=0).fit(X, y)


def _schema(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("schema.json").decode()


def _without_ids(node: object) -> object:
    """The schema minus skops's ``__id__`` fields (object ids: two dumps of one model differ in them)."""
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k != "__id__"}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def test_the_installed_skops_still_encodes_its_schema_through_the_module_global_this_relies_on() -> None:
    # If a skops release moves it, the compact dump silently becomes the slow indented one.
    assert _persist.json is json
    assert "json.dumps(state, indent=2)" in Path(_persist.__file__).read_text()


def test_the_compact_dump_is_the_same_model_and_trusts_the_same_types(
    model: HistGradientBoostingClassifier,
) -> None:
    plain, compact = skops.io.dumps(model), serialize.compact_dumps(model)
    assert "\n" in _schema(plain) and "\n" not in _schema(compact)  # the indent, and only it, is gone
    assert _without_ids(json.loads(_schema(plain))) == _without_ids(json.loads(_schema(compact)))
    trusted = skops.io.get_untrusted_types(data=plain)
    assert trusted and skops.io.get_untrusted_types(data=compact) == trusted
    X = pd.DataFrame({"a": np.linspace(-2, 2, 50), "b": np.linspace(1, -1, 50)})
    loaded = skops.io.loads(compact, trusted=trusted)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert _persist.json is json  # given back


def test_mlflows_dump_of_the_model_writes_the_audited_bytes_and_others_go_to_skops(
    model: HistGradientBoostingClassifier, tmp_path: Path
) -> None:
    original = skops.io.dump
    other = FunctionTransformer()
    with serialize.dumped_once(model) as trusted:
        skops.io.dump(model, tmp_path / "model.skops")  # what MLflow's save_model calls
        buffer = io.BytesIO()
        skops.io.dump(model, buffer)
        skops.io.dump(other, tmp_path / "other.skops")
    assert skops.io.dump is original
    saved = (tmp_path / "model.skops").read_bytes()
    # byte-equal: two real dumps of one model differ (skops records object ids), so this was one
    assert saved == buffer.getvalue() and "\n" not in _schema(saved)
    X = pd.DataFrame({"a": np.linspace(-2, 2, 50), "b": np.linspace(1, -1, 50)})
    assert np.array_equal(
        skops.io.load(tmp_path / "model.skops", trusted=trusted).predict(X), model.predict(X)
    )
    assert trusted == skops.io.get_untrusted_types(data=saved)
    assert skops.io.load(tmp_path / "other.skops").get_params() == other.get_params()
    assert "\n" in _schema((tmp_path / "other.skops").read_bytes())  # skops's own, indented


def test_skops_is_given_back_when_the_block_fails(model: HistGradientBoostingClassifier) -> None:
    original = skops.io.dump
    with pytest.raises(RuntimeError), serialize.dumped_once(model):
        raise RuntimeError("MLflow failed")
    assert skops.io.dump is original and _persist.json is json


def test_the_saved_file_is_deserialised_once_and_other_loads_are_skops_own(
    model: HistGradientBoostingClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real: list[object] = []
    counted = skops.io.load

    def load(file: object, trusted: object = None) -> object:
        real.append(file)
        return counted(file, trusted=trusted)

    monkeypatch.setattr(skops.io, "load", load)
    path = tmp_path / "model.skops"
    with serialize.dumped_once(model) as trusted:
        skops.io.dump(model, path)
        check = skops.io.load(path, trusted=trusted)  # MLflow's save check
        served = skops.io.load(path, trusted=list(reversed(trusted)))  # the serving validation
        assert served is check and served is not model  # read from the file, once
        assert len(real) == 1
        skops.io.load(path, trusted=[*trusted, "builtins.object"])  # other trusted types: a real load
        other = tmp_path / "other.skops"
        other.write_bytes(skops.io.dumps(model))  # another dump of the same model: other bytes
        assert skops.io.load(other, trusted=trusted) is not check  # a real load
        assert len(real) == 3
    assert skops.io.load is load
    X = pd.DataFrame({"a": np.linspace(-2, 2, 50), "b": np.linspace(1, -1, 50)})
    assert np.array_equal(served.predict(X), model.predict(X))
