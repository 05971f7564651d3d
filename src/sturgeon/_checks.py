"""Checks shared by every boundary of the API: names and values that the storage can hold.

A name (study, parameter, attribute key) is a non-empty string of at most ``MAX_NAME``
characters, without NUL and encodable as UTF-8: every backend stores it as text (PostgreSQL
refuses NUL in text, and every driver refuses a lone surrogate). Values are stored as JSON.
"""

from __future__ import annotations

import json
from typing import Any

from sturgeon._exceptions import InvalidValueError

__all__ = ["MAX_NAME", "check_json", "check_name", "short_repr"]

MAX_NAME = 256


def short_repr(value: Any, limit: int = 120) -> str:
    """``repr(value)``, shortened, and safe for any value (a huge int, a broken ``__repr__``)."""
    try:
        text = repr(value)
    except Exception:
        if isinstance(value, int):
            return f"<an int of {value.bit_length()} bits>"
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[:limit] + "..."


def check_name(what: str, name: Any, *, error: type[ValueError] = InvalidValueError) -> str:
    """Return ``name`` if it is a storable name, else raise ``error`` naming ``what``."""
    if not isinstance(name, str) or not name:
        raise error(f"{what} must be a non-empty string, got {short_repr(name)}")
    if len(name) > MAX_NAME:
        raise error(f"{what} must be at most {MAX_NAME} characters, got {len(name)}: {short_repr(name)}")
    if "\x00" in name:
        raise error(f"{what} must not contain NUL characters, got {short_repr(name)}")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise error(f"{what} must be valid Unicode text (no lone surrogates), got {short_repr(name)}") from None
    return name


def check_json(what: str, value: Any) -> None:
    """Raise unless ``value`` can be stored as JSON."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as e:
        reason = "it is nested too deeply" if isinstance(e, RecursionError) else str(e)
        raise InvalidValueError(
            f"{what}: value {short_repr(value)} cannot be stored ({reason}); use JSON types"
        ) from None
