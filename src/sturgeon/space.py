"""Search-space dimensions: ``Float``, ``Int`` and ``Categorical``.

Each dimension validates itself once, at construction, and then knows how to

* tell whether a value belongs to it (``contains``),
* map a value to the unit interval and back (``encode`` / ``decode``): log ranges are
  encoded in log space, integer and stepped values as the centres of equal cells, and
  categorical choices by their index, so a uniform draw in the encoded space is a
  log-uniform draw for log ranges and a uniform draw over choices,
* sample a value from a numpy ``Generator`` (uniform in the encoded space),
* list its grid points (``grid``), and
* round-trip through JSON (``to_json`` / ``distribution_from_json``) for storage.

Define-by-run (``trial.suggest_float`` ...) and declarative spaces
(``{"lr": sg.Float(1e-5, 1e-1, log=True)}``) build the same objects.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np

from sturgeon._checks import check_name, short_repr
from sturgeon._exceptions import InvalidSpaceError

__all__ = [
    "Categorical",
    "CategoricalChoice",
    "Distribution",
    "Float",
    "Int",
    "distribution_from_json",
    "validate_space",
]

CategoricalChoice = None | bool | int | float | str
_CHOICE_TYPES = "None, bool, int, float or str"


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _check_bound(kind: str, name: str, value: object) -> float:
    if not _is_number(value):
        raise InvalidSpaceError(f"{kind}: {name} must be a number, got {short_repr(value)}")
    try:
        value_f = float(value)  # type: ignore[arg-type]
    except OverflowError:
        raise InvalidSpaceError(f"{kind}: {name} must be finite, got {short_repr(value)} (too large)") from None
    if not math.isfinite(value_f):
        raise InvalidSpaceError(f"{kind}: {name} must be finite, got {short_repr(value)}")
    return value_f


# Every Int value and every count of Float steps is exact in a float (encodings and samplers
# compute in floats), so a range must stay within 2**53.
MAX_INT = 2**53


_EPS = float(np.finfo(float).eps)


def _step_tolerance(a: float, b: float, step: float) -> float:
    """How far from an integer (a - b) / step may land through float rounding alone."""
    return max(1e-9, 16 * _EPS * (abs(a) + abs(b)) / step)


def _step_value(low: float, step: float, k: int) -> float:
    """``low + k * step`` in decimal arithmetic, so that -0.3 + 3 * 0.1 is exactly 0.0."""
    return float(Decimal(repr(low)) + k * Decimal(repr(step)))


class Distribution(ABC):
    """One dimension of a search space. Immutable; compares by value."""

    @abstractmethod
    def contains(self, value: Any) -> bool:
        """Whether ``value`` is a legal value of this dimension."""

    @abstractmethod
    def encode(self, value: Any) -> float:
        """Map a legal value to [0, 1]."""

    @abstractmethod
    def decode(self, u: float) -> Any:
        """Map a number in [0, 1] (clipped if outside) to a legal value."""

    @abstractmethod
    def grid(self, n_points: int = 5) -> list[Any]:
        """Grid points; ``n_points`` is used only by continuous ranges."""

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """A JSON-serializable description, read back by ``distribution_from_json``."""

    def sample(self, rng: np.random.Generator) -> Any:
        """A draw that is uniform in the encoded space."""
        return self.decode(float(rng.random()))

    def check(self, name: str, value: Any) -> Any:
        """Return ``value`` normalized if legal, else raise naming ``name``."""
        if not self.contains(value):
            raise InvalidSpaceError(
                f"parameter {short_repr(name)}: value {short_repr(value)} is not in {short_repr(self)}"
            )
        return self.normalize(value)

    def normalize(self, value: Any) -> Any:
        """The canonical form of a legal value (e.g. ``int`` for Int, ``float`` for Float)."""
        return value

    @property
    @abstractmethod
    def is_single(self) -> bool:
        """True when the dimension has a single possible value."""


@dataclass(frozen=True, init=False)
class Float(Distribution):
    """A real range ``[low, high]``, optionally log-scaled or on a grid of ``step``."""

    low: float
    high: float
    log: bool
    step: float | None

    def __init__(self, low: float, high: float, *, log: bool = False, step: float | None = None) -> None:
        lo = _check_bound("Float", "low", low)
        hi = _check_bound("Float", "high", high)
        if lo > hi:
            raise InvalidSpaceError(f"Float: low must be <= high, got low={short_repr(low)}, high={short_repr(high)}")
        if not isinstance(log, bool):
            raise InvalidSpaceError(f"Float: log must be True or False, got {short_repr(log)}")
        if log and lo <= 0:
            raise InvalidSpaceError(f"Float: log=True needs low > 0, got low={short_repr(low)}")
        if not math.isfinite(hi - lo):
            raise InvalidSpaceError(
                f"Float: high - low must be a finite number, got low={short_repr(low)}, high={short_repr(high)}"
            )
        st: float | None = None
        if step is not None:
            if log:
                raise InvalidSpaceError("Float: step and log=True cannot be combined; use one of them")
            st = _check_bound("Float", "step", step)
            if st <= 0:
                raise InvalidSpaceError(f"Float: step must be > 0, got step={short_repr(step)}")
            n = (hi - lo) / st
            if not n <= MAX_INT:
                raise InvalidSpaceError(
                    f"Float: step is too small for the range: (high - low) / step must be at most 2**53, got "
                    f"step={short_repr(step)} for range [{short_repr(low)}, {short_repr(high)}]"
                )
            if abs(n - round(n)) > _step_tolerance(hi, lo, st):
                raise InvalidSpaceError(
                    f"Float: step must divide high - low, got step={short_repr(step)} for range "
                    f"[{short_repr(low)}, {short_repr(high)}]"
                )
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", st)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else (f", step={self.step!r}" if self.step is not None else "")
        return f"Float({self.low!r}, {self.high!r}{extra})"

    @property
    def _n_steps(self) -> int:
        assert self.step is not None
        return round((self.high - self.low) / self.step)

    @property
    def is_single(self) -> bool:
        return self.low == self.high or (self.log and math.log(self.low) == math.log(self.high))

    def _at(self, k: int) -> float:
        assert self.step is not None
        if k >= self._n_steps:
            return self.high
        return min(max(_step_value(self.low, self.step, k), self.low), self.high)

    def contains(self, value: Any) -> bool:
        if not _is_number(value):
            return False
        try:
            v = float(value)
        except OverflowError:  # an int beyond any float: beyond the range too
            return False
        if not (self.low <= v <= self.high):
            return False
        if self.step is not None:
            k = (v - self.low) / self.step
            return abs(k - round(k)) <= _step_tolerance(v, self.low, self.step)
        return True

    def normalize(self, value: Any) -> float:
        v = float(value)
        if self.step is not None:
            k = min(max(round((v - self.low) / self.step), 0), self._n_steps)
            return self._at(k)
        return v

    def encode(self, value: Any) -> float:
        v = float(value)
        if self.is_single:
            return 0.5
        if self.step is not None:
            k = round((v - self.low) / self.step)
            return (k + 0.5) / (self._n_steps + 1)
        if self.log:
            return (math.log(v) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def decode(self, u: float) -> float:
        u = min(max(float(u), 0.0), 1.0)
        if self.is_single:
            return self.low
        if self.step is not None:
            n = self._n_steps
            k = min(int(u * (n + 1)), n)
            return self._at(k)
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def grid(self, n_points: int = 5) -> list[Any]:
        if self.is_single:
            return [self.low]
        if self.step is not None:
            return [self._at(k) for k in range(self._n_steps + 1)]
        if not isinstance(n_points, int) or n_points < 2:
            raise InvalidSpaceError(f"grid: n_points must be an int >= 2, got {short_repr(n_points)}")
        if self.log:  # powers of ten land exactly on decades, whatever numpy's geomspace does
            pts: Any = [10.0 ** float(x) for x in np.linspace(math.log10(self.low), math.log10(self.high), n_points)]
        else:
            pts = np.linspace(self.low, self.high, n_points)
        out = [min(max(float(p), self.low), self.high) for p in pts]
        out[0], out[-1] = self.low, self.high
        return out

    def to_json(self) -> dict[str, Any]:
        return {"type": "float", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


@dataclass(frozen=True, init=False)
class Int(Distribution):
    """An integer range ``[low, high]`` on a grid of ``step``, optionally log-scaled."""

    low: int
    high: int
    log: bool
    step: int

    def __init__(self, low: int, high: int, *, log: bool = False, step: int = 1) -> None:
        for name, v in (("low", low), ("high", high), ("step", step)):
            if isinstance(v, (bool, np.bool_)) or not (
                isinstance(v, (int, np.integer)) or (isinstance(v, float) and v.is_integer())
            ):
                raise InvalidSpaceError(f"Int: {name} must be an integer, got {short_repr(v)}")
            if not -MAX_INT <= int(v) <= MAX_INT:
                raise InvalidSpaceError(
                    f"Int: {name} must be within -2**53 .. 2**53 (exact in a float), got {short_repr(v)}"
                )
        lo, hi, st = int(low), int(high), int(step)
        if lo > hi:
            raise InvalidSpaceError(f"Int: low must be <= high, got low={short_repr(low)}, high={short_repr(high)}")
        if st < 1:
            raise InvalidSpaceError(f"Int: step must be >= 1, got step={short_repr(step)}")
        if not isinstance(log, bool):
            raise InvalidSpaceError(f"Int: log must be True or False, got {short_repr(log)}")
        if log and lo < 1:
            raise InvalidSpaceError(f"Int: log=True needs low >= 1, got low={short_repr(low)}")
        if log and st != 1:
            raise InvalidSpaceError(f"Int: step and log=True cannot be combined, got step={short_repr(step)}")
        if (hi - lo) % st != 0:
            raise InvalidSpaceError(
                f"Int: step must divide high - low, got step={short_repr(step)} for range "
                f"[{short_repr(low)}, {short_repr(high)}]"
            )
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)
        object.__setattr__(self, "log", log)
        object.__setattr__(self, "step", st)

    def __repr__(self) -> str:
        extra = ", log=True" if self.log else (f", step={self.step}" if self.step != 1 else "")
        return f"Int({self.low}, {self.high}{extra})"

    @property
    def is_single(self) -> bool:
        return self.low == self.high

    @property
    def _n_steps(self) -> int:
        return (self.high - self.low) // self.step

    def contains(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return False
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        if not isinstance(value, (int, np.integer)):
            return False
        v = int(value)
        return self.low <= v <= self.high and (v - self.low) % self.step == 0

    def normalize(self, value: Any) -> int:
        return int(value)

    def encode(self, value: Any) -> float:
        v = int(value)
        if self.is_single:
            return 0.5
        if self.log:
            a, b = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(v) - a) / (b - a)
        return ((v - self.low) // self.step + 0.5) / (self._n_steps + 1)

    def decode(self, u: float) -> int:
        u = min(max(float(u), 0.0), 1.0)
        if self.is_single:
            return self.low
        if self.log:
            a, b = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return min(max(round(math.exp(a + u * (b - a))), self.low), self.high)
        k = min(int(u * (self._n_steps + 1)), self._n_steps)
        return self.low + k * self.step

    def grid(self, n_points: int = 5) -> list[Any]:
        return list(range(self.low, self.high + 1, self.step))

    def to_json(self) -> dict[str, Any]:
        return {"type": "int", "low": self.low, "high": self.high, "log": self.log, "step": self.step}


def _storable(choice: object) -> bool:
    if choice is None or isinstance(choice, (bool, str)):
        return True
    if isinstance(choice, int):
        return choice.bit_length() <= 13287  # at most 4000 digits: JSON (and str) can hold it
    return isinstance(choice, float) and math.isfinite(choice)


@dataclass(frozen=True, init=False, eq=False)
class Categorical(Distribution):
    """A finite set of unordered choices (None, bool, int, float or str)."""

    choices: tuple[CategoricalChoice, ...]

    def __init__(self, choices: Sequence[CategoricalChoice]) -> None:
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence):
            raise InvalidSpaceError(f"Categorical: choices must be a list or tuple, got {short_repr(choices)}")
        if len(choices) == 0:
            raise InvalidSpaceError("Categorical: choices must not be empty")
        normalized: list[CategoricalChoice] = []
        for c in choices:
            if isinstance(c, np.generic):
                c = c.item()
            if not _storable(c):
                raise InvalidSpaceError(
                    f"Categorical: choice {short_repr(c)} cannot be stored; choices must be {_CHOICE_TYPES} (finite "
                    "floats only, ints of at most 4000 digits)"
                )
            normalized.append(c)
        for i, a in enumerate(normalized):
            for b in normalized[:i]:
                if a == b:
                    raise InvalidSpaceError(
                        f"Categorical: choices contain duplicates: {short_repr(b)} and {short_repr(a)}"
                    )
        object.__setattr__(self, "choices", tuple(normalized))

    def __repr__(self) -> str:
        return f"Categorical({list(self.choices)!r})"

    def _key(self) -> tuple[tuple[str, CategoricalChoice], ...]:
        return tuple((type(c).__name__, c) for c in self.choices)

    def __eq__(self, other: object) -> bool:
        """Equal when the choices are equal in order, value and type (True is not 1)."""
        return isinstance(other, Categorical) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    @property
    def is_single(self) -> bool:
        return len(self.choices) == 1

    def index(self, value: Any) -> int:
        """Position of ``value`` among the choices; ValueError when absent."""
        for i, c in enumerate(self.choices):
            if c == value and isinstance(c, bool) == isinstance(value, (bool, np.bool_)):
                return i
        raise ValueError(f"{short_repr(value)} is not one of {list(self.choices)!r}")

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except ValueError:
            return False
        return True

    def normalize(self, value: Any) -> CategoricalChoice:
        return self.choices[self.index(value)]

    def encode(self, value: Any) -> float:
        return (self.index(value) + 0.5) / len(self.choices)

    def decode(self, u: float) -> CategoricalChoice:
        u = min(max(float(u), 0.0), 1.0)
        return self.choices[min(int(u * len(self.choices)), len(self.choices) - 1)]

    def grid(self, n_points: int = 5) -> list[Any]:
        return list(self.choices)

    def to_json(self) -> dict[str, Any]:
        return {"type": "categorical", "choices": list(self.choices)}


def distribution_from_json(data: Mapping[str, Any]) -> Distribution:
    """Rebuild a dimension from ``Distribution.to_json()`` output."""
    kind = data.get("type")
    if kind == "float":
        return Float(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "int":
        return Int(data["low"], data["high"], log=data["log"], step=data["step"])
    if kind == "categorical":
        return Categorical(data["choices"])
    raise InvalidSpaceError(f"unknown distribution type {short_repr(kind)}; expected 'float', 'int' or 'categorical'")


def validate_space(space: Mapping[str, Distribution]) -> dict[str, Distribution]:
    """Check a declarative space: string names mapped to Float / Int / Categorical."""
    if not isinstance(space, Mapping):
        raise InvalidSpaceError(f"space must be a dict of name -> Float/Int/Categorical, got {short_repr(space)}")
    out: dict[str, Distribution] = {}
    for name, dist in space.items():
        check_name("space: a parameter name", name, error=InvalidSpaceError)
        if not isinstance(dist, Distribution):
            raise InvalidSpaceError(
                f"space: parameter {short_repr(name)} must be a Float, Int or Categorical, got {short_repr(dist)}"
            )
        out[name] = dist
    return out
