"""Trials as a table: pandas DataFrame, CSV and JSON rows.

How values look in the CSV (``sturgeon export --format csv``): there is always a header, even
for a study without trials. An empty cell is a missing value: a parameter the trial did not
suggest, a user attribute it did not set, no value, no end time. Any other cell reads back with
``json.loads`` when it is JSON, else it is the text itself: numbers as numbers, ``true`` /
``false``, ``null`` for a value that is None (a ``None`` categorical choice, say), lists and
dicts as JSON; text as it is, except text that would read as something else (``"null"``,
``"12"``, an empty string), which is written as a JSON string. In the JSON export a missing
parameter or user attribute is a key left out, and None is ``null``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sturgeon._frozen import FrozenTrial

if TYPE_CHECKING:
    import pandas

__all__ = ["trial_columns", "trial_rows", "trials_csv", "trials_dataframe", "trials_json"]

_BASE = ("number", "state", "value", "datetime_start", "datetime_complete", "duration_s", "resource", "best_step")
_MISSING: Any = object()  # a parameter / user attribute the trial does not have


def trial_columns(trials: Sequence[FrozenTrial]) -> list[str]:
    """The columns of ``trial_rows``, also for no trials at all."""
    param_names: dict[str, None] = {}
    attr_names: dict[str, None] = {}
    n_values, constrained = 0, False
    for t in trials:
        param_names.update(dict.fromkeys(t.params))
        attr_names.update(dict.fromkeys(t.user_attrs))
        if t.objective_values is not None:
            n_values = max(n_values, len(t.objective_values))
        constrained = constrained or t.constraints is not None
    extra = [f"values_{i}" for i in range(n_values)] + (["constraints", "feasible"] if constrained else [])
    return [
        *_BASE[:3],
        *extra,
        *_BASE[3:],
        *(f"params_{p}" for p in param_names),
        *(f"user_attrs_{a}" for a in attr_names),
        "fail_reason",
    ]


def trial_rows(trials: Sequence[FrozenTrial], *, missing: Any = None) -> list[dict[str, Any]]:
    """One flat dict per trial; parameters as ``params_<name>``, user attributes as
    ``user_attrs_<key>``; ``resource`` is the steps it trained, ``best_step`` the step of its best score
    (``sg.EarlyStopping``); every row has every column, ``missing`` where a trial lacks a
    parameter or user attribute."""
    columns = trial_columns(trials)
    param_names = [c[len("params_") :] for c in columns if c.startswith("params_")]
    attr_names = [c[len("user_attrs_") :] for c in columns if c.startswith("user_attrs_")]
    n_values = sum(c.startswith("values_") for c in columns)
    constrained = "constraints" in columns
    rows = []
    for t in trials:
        row: dict[str, Any] = {
            "number": t.number,
            "state": t.state.value,
            "value": t.value,
            "datetime_start": t.datetime_start.isoformat() if t.datetime_start else None,
            "datetime_complete": t.datetime_complete.isoformat() if t.datetime_complete else None,
            "duration_s": t.duration.total_seconds() if t.duration is not None else None,
            "resource": t.resource,
            "best_step": t.best_step,
        }
        for i in range(n_values):  # a multi-objective study's values (value is None there)
            row[f"values_{i}"] = t.objective_values[i] if t.objective_values is not None else None
        if constrained:
            row["constraints"] = None if t.constraints is None else list(t.constraints)
            row["feasible"] = t.feasible
        for p in param_names:
            row[f"params_{p}"] = t.params.get(p, missing)
        for a in attr_names:
            row[f"user_attrs_{a}"] = t.user_attrs.get(a, missing)
        row["fail_reason"] = t.fail_reason
        rows.append({c: row[c] for c in columns})
    return rows


def trials_json(trials: Sequence[FrozenTrial]) -> str:
    """The JSON export: a list of rows; a missing parameter or user attribute is left out."""
    rows = [{k: v for k, v in row.items() if v is not _MISSING} for row in trial_rows(trials, missing=_MISSING)]
    return json.dumps(rows, indent=2) + "\n"


def _csv_cell(column: str, value: Any) -> str:
    if value is _MISSING or (value is None and not column.startswith(("params_", "user_attrs_"))):
        return ""  # missing; None in the trial's own columns (no value, no end time) is missing too
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            return value if value else '""'
        return json.dumps(value, ensure_ascii=False)  # it would read back as another type
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def trials_csv(trials: Sequence[FrozenTrial]) -> str:
    """The CSV export (see the module docstring for how cells look)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(trial_columns(trials))
    for row in trial_rows(trials, missing=_MISSING):
        writer.writerow([_csv_cell(k, v) for k, v in row.items()])
    return buf.getvalue()


def trials_dataframe(trials: Sequence[FrozenTrial]) -> pandas.DataFrame:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas: pip install 'sturgeon[pandas]' (or pip install pandas)"
        ) from None
    df = pd.DataFrame(trial_rows(trials))
    for col in ("datetime_start", "datetime_complete"):
        if col in df:
            df[col] = pd.to_datetime(df[col])
    return df
