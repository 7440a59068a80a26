from __future__ import annotations

from pathlib import Path

import pytest

from shipml.errors import InputDataError
from shipml.train.inputs import load
from shipml.train.split import make_splits
from tests.unit.test_train_project import example_rows, project_config


def _splits(tmp_path: Path, split: dict[str, object] | None = None, **kwargs: object):  # type: ignore[no-untyped-def]
    cfg = project_config(tmp_path, config={"model": {"split": split or {}}}, **kwargs)  # type: ignore[arg-type]
    tables = load(cfg, "classification")
    return tables, make_splits(tables, "classification", cfg.model.split, cv_folds=cfg.model.cv_folds)


def test_split_is_a_function_of_seed(tmp_path: Path) -> None:
    _, first = _splits(tmp_path / "a")
    _, again = _splits(tmp_path / "b")
    _, other = _splits(tmp_path / "c", {"seed": 8})
    assert list(first.test.index) == list(again.test.index)
    assert list(first.test.index) != list(other.test.index)
    assert len(first.test) == 100 and len(first.train) == 300 and first.val is None
    assert set(first.test.index).isdisjoint(first.train.index)


def test_stratified_split_keeps_class_shares(tmp_path: Path) -> None:
    tables, splits = _splits(tmp_path, {"test_size": 0.3, "val_size": 0.2})
    share = tables.train["churned"].mean()
    assert splits.val is not None and splits.stratified
    for part in (splits.train, splits.val, splits.test):
        assert abs(part["churned"].mean() - share) < 0.02
    assert len(splits.test) == 120 and len(splits.val) == 80 and len(splits.train) == 200


def test_unstratified_when_asked(tmp_path: Path) -> None:
    _, splits = _splits(tmp_path, {"stratify": False})
    assert not splits.stratified and len(splits.test) == 100


def test_class_with_too_few_rows_names_the_class(tmp_path: Path) -> None:
    frame = example_rows(300)
    frame["churned"] = frame["churned"].map({0: "stay", 1: "leave"})
    frame.loc[10, "churned"] = "rare"
    with pytest.raises(InputDataError) as err:
        _splits(tmp_path, data=frame)
    text = str(err.value)
    assert "class 'rare' of target 'churned' has only 1 row(s)" in text
    assert "stratify: false" in text and "\n" not in text


def test_cv_needs_enough_rows_per_class(tmp_path: Path) -> None:
    frame = example_rows(300)
    frame["churned"] = frame["churned"].map({0: "stay", 1: "leave"})
    frame.loc[[10, 11, 12, 13], "churned"] = "rare"
    cfg = project_config(tmp_path, data=frame, config={"model": {"cv_folds": 10}})
    tables = load(cfg, "classification")
    with pytest.raises(InputDataError, match=r"class 'rare' .* too few to stratify 10 CV folds"):
        make_splits(tables, "classification", cfg.model.split, cv_folds=10)


def test_explicit_test_file_is_used_as_is(tmp_path: Path) -> None:
    rows = example_rows(500)
    (tmp_path / "data").mkdir(parents=True)
    rows.iloc[400:].to_csv(tmp_path / "data" / "holdout.csv", index=False)
    _, splits = _splits(tmp_path, {"test_file": "data/holdout.csv", "val_size": 0.25}, data=rows.iloc[:400])
    assert len(splits.test) == 100
    assert list(splits.test["tenure_months"]) == [float(v) for v in rows.iloc[400:]["tenure_months"]]
    assert splits.val is not None and len(splits.val) == 100 and len(splits.train) == 300
