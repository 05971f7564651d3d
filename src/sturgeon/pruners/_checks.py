"""Argument checks and direction helpers shared by the pruners: one message format
("<Class>: <parameter> must be <rule>, got <parameter>=<value>") for every rule."""

from __future__ import annotations

import math

import numpy as np

from sturgeon._exceptions import InvalidValueError


def _check_int(owner: str, name: str, value: object, minimum: int) -> int:
    """``value`` as an int, or InvalidValueError naming owner, parameter, rule and value."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InvalidValueError(f"{owner}: {name} must be an int >= {minimum}, got {name}={value!r}")
    return int(value)


def _check_number(owner: str, name: str, value: object, rule: str, lo: float, hi: float) -> float:
    """``value`` as a float in [lo, hi] (never NaN), or InvalidValueError stating ``rule``."""
    if not isinstance(value, (bool, np.bool_)) and isinstance(value, (int, float, np.integer, np.floating)):
        v = float(value)
        if lo <= v <= hi:  # False for NaN
            return v
    raise InvalidValueError(f"{owner}: {name} must be {rule}, got {name}={value!r}")


def _sign(direction: str) -> float:
    """+1 for "minimize", -1 for "maximize": ``sign * value`` is then a loss (lower is better)."""
    if direction == "minimize":
        return 1.0
    if direction == "maximize":
        return -1.0
    raise InvalidValueError(f"pruner: direction must be 'minimize' or 'maximize', got direction={direction!r}")


def _loss(value: float, sign: float) -> float:
    """The loss view of a reported value: lower is better, NaN is the worst (+inf)."""
    return math.inf if math.isnan(value) else sign * value
