"""Trials as a table: pandas DataFrame, CSV and JSON rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sturgeon._frozen import FrozenTrial

if TYPE_CHECKING:
    import pandas

__all__ = ["trial_rows", "trials_dataframe"]


def trial_rows(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    """One flat dict per trial; parameters as ``params_<name>``, user attributes as
    ``user_attrs_<key>``; ``resource`` is the steps it trained, ``best_step`` the step of its best score
    (``sg.EarlyStopping``); every row has every column."""
    param_names: dict[str, None] = {}
    attr_names: dict[str, None] = {}
    for t in trials:
        param_names.update(dict.fromkeys(t.params))
        attr_names.update(dict.fromkeys(t.user_attrs))
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
        for p in param_names:
            row[f"params_{p}"] = t.params.get(p)
        for a in attr_names:
            row[f"user_attrs_{a}"] = t.user_attrs.get(a)
        row["fail_reason"] = t.fail_reason
        rows.append(row)
    return rows


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
