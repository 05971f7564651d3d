"""Shared fixtures: every storage-facing test runs on each backend."""

from __future__ import annotations

from pathlib import Path

import pytest

import sturgeon as sg


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> sg.storage.BaseStorage | str:
    """A fresh storage: an in-memory backend, or a URL to a new SQLite file."""
    if request.param == "memory":
        return sg.storage.InMemoryStorage()
    return f"sqlite:///{tmp_path / 'study.db'}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"
