"""Reading the datasets and refusing the ones no check can meaningfully run on.

Every problem found here is the user's to fix (exit 2, one line) and is found
before anything is validated or written: an all-empty column, a column mixing
numbers and text, reference and current data with different schemas, a suite
naming a column the data does not have. Letting these through would produce
either a GX/Evidently traceback or a confident-looking but meaningless report.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..datasets import read_table
from ..errors import InputDataError
from .suites import ExpectationSpec

if TYPE_CHECKING:
    import pandas as pd

Family = Literal["number", "bool", "datetime", "text"]
_SHOW = 8  # names listed in one message before "and N more"


def _names(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_SHOW])
    return shown + (f" and {len(items) - _SHOW} more" if len(items) > _SHOW else "")


def read_data(paths: Sequence[Path], role: str) -> pd.DataFrame:
    """One table from one or more files (e.g. daily batches), which must share their columns."""
    frames = [read_table(path, role=role) for path in paths]
    if len(frames) == 1:
        return frames[0]
    import pandas as pd

    first = list(frames[0].columns)
    for path, frame in zip(paths[1:], frames[1:], strict=True):
        if list(frame.columns) != first:
            missing = [c for c in first if c not in frame.columns]
            extra = [c for c in frame.columns if c not in first]
            detail = "; ".join(
                part
                for part in (
                    f"missing {_names(missing)}" if missing else "",
                    f"extra {_names(extra)}" if extra else "",
                    "same columns in another order" if not missing and not extra else "",
                )
                if part
            )
            raise InputDataError(
                f"{role} file {path} does not have the columns of {paths[0]} ({detail})",
                hint="pass files with one schema, or validate them in separate steps",
            )
    return pd.concat(frames, ignore_index=True)


def family(series: pd.Series) -> Family:
    from pandas.api import types

    if types.is_bool_dtype(series.dtype):
        return "bool"
    if types.is_numeric_dtype(series.dtype):
        return "number"
    if types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    return "text"


def check_frame(
    frame: pd.DataFrame,
    role: str,
    *,
    skip: Collection[str] = (),
    text_ok: Collection[str] = (),
    allow_empty: bool = False,
) -> list[str]:
    """Reject columns mixing numbers with text; all-empty columns too unless ``allow_empty``.

    With ``allow_empty`` the all-empty columns are returned instead: in the data being
    validated an empty column is a finding (its expectations fail, exit 1), not a file
    shipml cannot read (exit 2), and the other columns are still checked.
    """
    import pandas as pd

    columns = [c for c in frame.columns if c not in skip]
    if not columns:
        return []
    empty = [str(c) for c in columns if not frame[c].notna().any()]
    if empty and not allow_empty:
        raise InputDataError(
            f"{role}: column{'s' if len(empty) > 1 else ''} {_names(empty)} "
            f"{'are' if len(empty) > 1 else 'is'} entirely empty (all values missing)",
            hint="fix the export that produced it, or list the column in data.ignore",
        )
    for column in columns:
        series = frame[column]
        if str(column) in empty or series.dtype != object or column in text_ok:
            continue
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("mixed", "mixed-integer"):
            kinds = sorted({type(v).__name__ for v in series.dropna().head(10_000)})
            raise InputDataError(
                f"{role}: column '{column}' mixes value types ({', '.join(kinds)})",
                hint="give the column one type in the data (or declare `dtype: string` in validate.schema)",
            )
        if inferred != "string":
            continue
        values = pd.Series(series.dropna().unique())
        numeric = pd.to_numeric(values, errors="coerce").notna()
        n_num, n_text = int(numeric.sum()), int((~numeric).sum())
        if n_num and n_text and n_num >= n_text:
            text_values = values[~numeric].tolist()
            rows = int(series.isin(text_values).sum())
            raise InputDataError(
                f"{role}: column '{column}' mixes numbers and text "
                f"(e.g. {text_values[0]!r}; {rows} text row{'s' if rows != 1 else ''} among numbers)",
                hint="fix those values (or declare `dtype: string` in validate.schema if the column is text)",
            )
    return empty


def check_suite_columns(specs: Iterable[ExpectationSpec], columns: Collection[str], role: str) -> None:
    """A suite line naming a column the data lacks is a broken suite or the wrong file, not a failure.

    ``expect_column_to_exist`` is exempt: checking presence is its purpose.
    """
    missing = [
        (spec, name)
        for spec in specs
        if spec.type != "expect_column_to_exist"
        for name in spec.columns()
        if name not in columns
    ]
    if not missing:
        return
    spec, name = missing[0]
    others = len({n for _, n in missing}) - 1
    more = f" (and {others} more missing column{'s' if others > 1 else ''})" if others > 0 else ""
    raise InputDataError(
        f"{spec.where}: column '{name}' ({spec.type}) is not in the {role}{more}",
        hint=f"fix the suite or the data; the {role} has {_names([str(c) for c in columns])}",
    )


def schema_differences(
    reference: pd.DataFrame, current: pd.DataFrame, ignore: Collection[str], optional: Collection[str] = ()
) -> list[str]:
    """What differs between the two tables' columns and value families, as short phrases.

    ``optional`` columns (the label and prediction) may be absent on either side:
    scoring data has no label yet, training data no prediction.
    """
    return family_differences(
        {str(c): family(reference[c]) for c in reference.columns},
        {str(c): family(current[c]) for c in current.columns},
        ignore,
        optional,
    )


def family_differences(
    reference: Mapping[str, str],
    current: Mapping[str, str],
    ignore: Collection[str],
    optional: Collection[str] = (),
) -> list[str]:
    """:func:`schema_differences` on column -> family maps (any engine: pandas dtypes, Spark types)."""
    ref_cols = [c for c in reference if c not in ignore and c not in optional]
    cur_cols = [c for c in current if c not in ignore and c not in optional]
    diffs: list[str] = []
    missing = [c for c in ref_cols if c not in current]
    extra = [c for c in cur_cols if c not in reference]
    if missing:
        diffs.append(f"missing in current: {_names(missing)}")
    if extra:
        diffs.append(f"only in current: {_names(extra)}")
    changed = [
        f"{c} ({reference[c]} → {current[c]})"
        for c in reference
        if c not in ignore and c in current and reference[c] != current[c]
    ]
    if changed:
        diffs.append(f"type changed: {_names(changed)}")
    return diffs
