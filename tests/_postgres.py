"""A throwaway PostgreSQL server for the tests: initdb in a temp folder, a unix socket, no TCP."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

BIN_ENV = "STURGEON_POSTGRES_BIN"  # a folder holding initdb and pg_ctl: look only there


def _bin(name: str) -> str | None:
    folder = os.environ.get(BIN_ENV)
    if folder is not None:
        path = Path(folder) / name
        return str(path) if os.access(path, os.X_OK) else None
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


class PostgresServer:
    """Start with ``start()``, get a fresh database URL with ``new_database()``, then ``stop()``."""

    def __init__(self) -> None:
        self.initdb = _bin("initdb")
        self.pg_ctl = _bin("pg_ctl")
        self.root = Path(tempfile.mkdtemp(prefix="sturgeon-pg-"))
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.port = 5432 + (os.getpid() % 1000) + 1000
        self._prefix: list[str] = []

    @staticmethod
    def binaries_found() -> bool:
        return _bin("initdb") is not None and _bin("pg_ctl") is not None

    @property
    def available(self) -> bool:
        return self.initdb is not None and self.pg_ctl is not None

    def _run(self, *args: str) -> None:
        subprocess.run([*self._prefix, *args], check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        assert self.initdb and self.pg_ctl
        self.sock.mkdir(parents=True)
        if os.geteuid() == 0:  # the server refuses to run as root: use the packaged postgres user
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
            os.chmod(self.root, 0o755)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._run(self.initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        opts = f"-c listen_addresses='' -c unix_socket_directories={self.sock} -p {self.port} -c fsync=off"
        self._run(
            self.pg_ctl, "-D", str(self.data), "-o", opts, "-w", "-t", "60", "-l", str(self.root / "log"), "start"
        )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@/{database}?host={self.sock}&port={self.port}"

    def new_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        for attempt in range(20):
            try:
                with psycopg.connect(
                    host=str(self.sock), port=self.port, user="postgres", dbname="postgres", autocommit=True
                ) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError("could not create a test database")

    def stop(self) -> None:
        if self.pg_ctl and self.data.exists():
            subprocess.run(
                [*self._prefix, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=60,
            )
        shutil.rmtree(self.root, ignore_errors=True)
