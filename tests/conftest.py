"""Shared fixtures: every storage-facing test runs on each backend, PostgreSQL included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import sturgeon as sg
from tests._postgres import PostgresServer


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session. Where the server binaries are missing
    the tests that need it fail, unless STURGEON_SKIP_POSTGRES=1 says to skip them."""
    server = PostgresServer()
    if not server.available:
        if os.environ.get("STURGEON_SKIP_POSTGRES") == "1":
            pytest.skip("PostgreSQL is not installed and STURGEON_SKIP_POSTGRES=1")
        pytest.fail("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> sg.storage.BaseStorage | str:
    """A fresh storage: in memory, a new SQLite file, or a new PostgreSQL database."""
    if request.param == "memory":
        return sg.storage.InMemoryStorage()
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'study.db'}"
