"""Framework helpers, each an optional extra imported lazily: ``sturgeon.integrations.torch``
(TrialLoop, the range test), ``.lightning`` and ``.keras`` (SturgeonCallback)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["optimizer_values"]


def optimizer_values(trial: Any, keys: Mapping[str, str]) -> dict[str, Any]:
    """The trial's live values for its optimizer: {optimizer key: value} for every trial
    parameter named in ``keys`` (trial name -> optimizer key) that the trial has."""
    live = trial.live_params
    return {key: live[name] for name, key in keys.items() if name in live}
