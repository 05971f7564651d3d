"""Verbosity of sturgeon's log (the standard ``logging`` logger named "sturgeon"), with
Optuna's function names. sturgeon logs warnings and errors (failed trials, heartbeat
trouble); it does not log every finished trial, so INFO adds little."""

from __future__ import annotations

import logging as _logging

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARNING
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_NAME = "sturgeon"


def get_logger(name: str = _NAME) -> _logging.Logger:
    """sturgeon's logger (or a child of it)."""
    return _logging.getLogger(name if name == _NAME or name.startswith(_NAME + ".") else f"{_NAME}.{name}")


def set_verbosity(verbosity: int) -> None:
    """The least severe level logged: ``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``, ..."""
    from sturgeon._checks import short_repr
    from sturgeon._exceptions import InvalidValueError

    if isinstance(verbosity, bool) or not isinstance(verbosity, int):
        raise InvalidValueError(
            f"set_verbosity: verbosity must be a level such as WARNING, got {short_repr(verbosity)}"
        )
    _logging.getLogger(_NAME).setLevel(verbosity)


def get_verbosity() -> int:
    """The level set by ``set_verbosity`` (else the one inherited from the root logger)."""
    return _logging.getLogger(_NAME).getEffectiveLevel()


_handler: _logging.Handler | None = None


def enable_default_handler() -> None:
    """Print sturgeon's log to stderr (standard ``logging`` leaves that to the application)."""
    global _handler
    if _handler is None:
        _handler = _logging.StreamHandler()
        _handler.setFormatter(_logging.Formatter("[%(levelname)s %(asctime)s] %(message)s"))
        _logging.getLogger(_NAME).addHandler(_handler)


def disable_default_handler() -> None:
    """Stop printing through the handler of ``enable_default_handler``."""
    global _handler
    if _handler is not None:
        _logging.getLogger(_NAME).removeHandler(_handler)
        _handler = None


def enable_propagation() -> None:
    """Pass sturgeon's records on to the root logger (the default)."""
    _logging.getLogger(_NAME).propagate = True


def disable_propagation() -> None:
    """Keep sturgeon's records from the root logger."""
    _logging.getLogger(_NAME).propagate = False
