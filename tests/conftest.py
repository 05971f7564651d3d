"""Shared fixtures: every storage-facing test runs on each backend, PostgreSQL included."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

import sturgeon as sg
from tests._postgres import PostgresServer

SKIP_ENV = "STURGEON_SKIP_POSTGRES"


def _skip_postgres() -> bool:
    return os.environ.get(SKIP_ENV) == "1"


def _needs_postgres(item: pytest.Item) -> bool:
    """A test needs the server if it asks for the postgres fixture or runs on a 'postgresql'
    storage parameter (the storage fixtures get the server on demand)."""
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return "postgres" in getattr(item, "fixturenames", ()) or any(v == "postgresql" for v in params)


def _missing_message(n_tests: int | None = None) -> str:
    which = f"{n_tests} selected tests need" if n_tests is not None else "this test needs"
    return (
        f"PostgreSQL server binaries (initdb, pg_ctl) not found and {which} them: install them (Debian: "
        f"apt-get install postgresql) or set {SKIP_ENV}=1 to skip the PostgreSQL tests"
    )


@pytest.hookimpl(trylast=True)  # after -m / -k have deselected
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without the server binaries the run stops at once with one line saying so (unless
    STURGEON_SKIP_POSTGRES=1, which skips the tests that need them), instead of failing each."""
    needing = [item for item in items if _needs_postgres(item)]
    if not needing:
        return
    if _skip_postgres():
        marker = pytest.mark.skip(reason=f"{SKIP_ENV}=1: the PostgreSQL tests are skipped")
        for item in needing:
            item.add_marker(marker)
    elif not PostgresServer.binaries_found():
        pytest.exit(_missing_message(len(needing)), returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A real PostgreSQL server for the whole session (STURGEON_SKIP_POSTGRES=1: skipped)."""
    if _skip_postgres():
        pytest.skip(f"{SKIP_ENV}=1: the PostgreSQL tests are skipped")
    if not PostgresServer.binaries_found():  # found at collection already, unless asked for another way
        pytest.exit(_missing_message(), returncode=pytest.ExitCode.USAGE_ERROR)
    server = PostgresServer()
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
