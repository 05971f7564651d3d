"""Storage backends: where studies live. ``get_storage`` turns a URL into a backend."""

from __future__ import annotations

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError
from sturgeon.storage._base import BaseStorage, Event, EventKind, StudyRecord
from sturgeon.storage._memory import InMemoryStorage
from sturgeon.storage._sql import SCHEMA_VERSION, SQLStorage
from sturgeon.storage._view import StudyView

__all__ = [
    "SCHEMA_VERSION",
    "BaseStorage",
    "Event",
    "EventKind",
    "InMemoryStorage",
    "SQLStorage",
    "StudyRecord",
    "StudyView",
    "get_storage",
]


def get_storage(storage: str | BaseStorage | None) -> BaseStorage:
    """``None`` -> a new in-memory storage; a URL -> ``SQLStorage``; a storage -> itself."""
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        if "://" not in storage:
            raise InvalidValueError(
                f"storage must be a database URL such as 'sqlite:///sturgeon.db', None or a storage "
                f"object, got {short_repr(storage)}"
            )
        return SQLStorage(storage)
    raise InvalidValueError(f"storage must be a URL string, None or a storage object, got {short_repr(storage)}")
