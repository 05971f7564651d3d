"""Storage backends: where studies live. ``get_storage`` turns a URL into a backend.

``SQLStorage`` (and SQLAlchemy with it) is imported when first used, not by ``import sturgeon``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sturgeon._checks import short_repr
from sturgeon._exceptions import InvalidValueError
from sturgeon.storage._base import BaseStorage, Event, EventKind, StudyRecord
from sturgeon.storage._memory import InMemoryStorage
from sturgeon.storage._url import ACCEPTED_URLS
from sturgeon.storage._view import StudyView

if TYPE_CHECKING:
    from sturgeon.storage._sql import SCHEMA_VERSION, SQLStorage

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

_LAZY = ("SCHEMA_VERSION", "SQLStorage")  # from storage._sql, on first access (PEP 562)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from sturgeon.storage import _sql

        value = getattr(_sql, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def get_storage(storage: str | BaseStorage | None, *, create: bool = True, read_only: bool = False) -> BaseStorage:
    """``None`` -> a new in-memory storage; a URL -> ``SQLStorage``; a storage -> itself.

    For a URL, ``create=False`` opens only an existing sturgeon database (nothing is created)
    and ``read_only=True`` also never writes to it (see ``SQLStorage``). A URL sturgeon cannot
    use raises ``InvalidValueError`` naming it and the accepted forms.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        from sturgeon.storage._sql import SQLStorage

        return SQLStorage(storage, create=create, read_only=read_only)
    raise InvalidValueError(
        f"storage must be a database URL string, None (in memory) or a storage object, got {short_repr(storage)}; "
        f"URLs: {ACCEPTED_URLS}"
    )
