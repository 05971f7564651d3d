"""The check of enqueued parameter names: a misspelled name would otherwise be dropped silently.

The study's known space is every parameter name some trial of it has suggested. A name outside
it warns at ``enqueue`` (``strict=True``: ``InvalidValueError``, nothing is enqueued). While
no trial has suggested anything yet (a new define-by-run study) the space is not known: the
names are then recorded on the enqueued trial (system attribute ``enqueue_unchecked``) and
checked when it completes: a name the objective never suggested warns then. A name that only
a branch of a conditional space no trial has taken yet uses warns too: the warning says that
no trial has suggested it so far, which is true.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sturgeon._exceptions import InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState

__all__ = ["UNCHECKED_ATTR", "check_enqueued", "warn_unused"]

UNCHECKED_ATTR = "enqueue_unchecked"  # names to check when the trial completes


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names)


def check_enqueued(params: Mapping[str, Any], trials: Sequence[FrozenTrial], *, strict: bool) -> list[str]:
    """Warn about (``strict``: refuse) names outside the study's known space; returns the names
    to check when the trial completes (all of them when the space is not known yet)."""
    known = {name for t in trials for name in t.distributions}
    if not known:
        return sorted(params)
    unknown = [name for name in params if name not in known]
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=1)
            if close:
                hints.append(f"{name!r} -> {close[0]!r}?")
        hint = f" (did you mean {', '.join(hints)})" if hints else ""
        msg = (
            f"enqueue: no trial of the study has suggested {_names(unknown)}{hint}; the objective uses an "
            f"enqueued value only for a name it suggests (the study's parameters: {_names(sorted(known))})"
        )
        if strict:
            raise InvalidValueError(msg + "; nothing was enqueued")
        warnings.warn(msg + "; strict=True refuses such a trial", UserWarning, stacklevel=3)
    return []


def warn_unused(trial: FrozenTrial) -> None:
    """After a trial completes: warn about enqueued names it was to check and never suggested."""
    unchecked = trial.system_attrs.get(UNCHECKED_ATTR)
    if trial.state is not TrialState.COMPLETE or not unchecked:
        return
    unused = [name for name in unchecked if name not in trial.distributions]
    if unused:
        warnings.warn(
            f"trial {trial.number} completed without suggesting the enqueued {_names(unused)}: those values were "
            f"not used (misspelled? it suggested {_names(sorted(trial.distributions)) or 'nothing'})",
            UserWarning,
            stacklevel=2,
        )
