"""SQL storage (SQLAlchemy 2): an SQLite file by default, PostgreSQL for many machines.

Tables (all prefixed ``sturgeon_`` so they can share a database):

* ``sturgeon_meta``: key/value, holds ``schema_version``;
* ``sturgeon_studies``: one row per study, with its trial counter and an append counter
  whose row lock serializes appends within a study (so event ids commit in order);
* ``sturgeon_events``: the append-only log, unique on (study_id, unique_key);
* ``sturgeon_heartbeats``: last sign of life of each running trial.

SQLite runs in WAL mode with ``synchronous=NORMAL``: readers never block the writer,
and a process killed at any point loses nothing that was committed.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from sturgeon._exceptions import (
    DuplicatedStudyError,
    NotASturgeonDatabaseError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
)
from sturgeon.storage._base import BaseStorage, Event, EventKind, StudyRecord

__all__ = ["SCHEMA_VERSION", "SQLStorage"]

SCHEMA_VERSION = 1
_SQLITE_MAGIC = b"SQLite format 3\x00"

_md = sa.MetaData()
_meta = sa.Table(
    "sturgeon_meta",
    _md,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)
_studies = sa.Table(
    "sturgeon_studies",
    _md,
    sa.Column("study_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(512), nullable=False, unique=True),
    sa.Column("direction", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("n_trials", sa.Integer, nullable=False, default=0),
    sa.Column("n_appends", sa.BigInteger, nullable=False, default=0),
    sqlite_autoincrement=True,
)
_events = sa.Table(
    "sturgeon_events",
    _md,
    sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("study_id", sa.Integer, sa.ForeignKey("sturgeon_studies.study_id", ondelete="CASCADE"), nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("trial", sa.Integer, nullable=True),
    sa.Column("key", sa.String(512), nullable=True),
    sa.Column("value", sa.Text, nullable=True),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("unique_key", sa.String(512), nullable=True),
    sa.UniqueConstraint("study_id", "unique_key", name="uq_sturgeon_events_key"),
    sa.Index("ix_sturgeon_events_study", "study_id", "event_id"),
    sqlite_autoincrement=True,
)
_heartbeats = sa.Table(
    "sturgeon_heartbeats",
    _md,
    sa.Column("study_id", sa.Integer, primary_key=True),
    sa.Column("trial", sa.Integer, primary_key=True),
    sa.Column("expires", sa.Float, nullable=False),
)


def _check_sqlite_file(url: sa.URL) -> None:
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if os.path.isdir(path):
        raise NotASturgeonDatabaseError(f"storage {path!r} is a directory, not a sturgeon database file")
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC:
            raise NotASturgeonDatabaseError(
                f"{path!r} is not a sturgeon database (not an SQLite file); point storage at a new file"
            )


def _make_engine(url_str: str) -> Engine:
    try:
        url = sa.make_url(url_str)
    except sa.exc.ArgumentError as e:
        raise StorageError(f"storage: cannot parse database URL {url_str!r}: {e}") from None
    if url.get_backend_name() == "sqlite":
        _check_sqlite_file(url)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60.0, "check_same_thread": False}}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if url.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ImportError as e:
        raise StorageError(f"storage: the driver for {url.drivername!r} is not installed ({e})") from None


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), allow_nan=False)


class SQLStorage(BaseStorage):
    """A study database reached through SQLAlchemy: ``sqlite:///file.db``, ``postgresql://...``."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = _make_engine(url)
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        try:
            self._ensure_schema()
        except DatabaseError as e:
            self._engine.dispose()
            if "not a database" in str(e) or "file is encrypted" in str(e):
                raise NotASturgeonDatabaseError(f"{url!r} is not a sturgeon database: {e.orig}") from None
            raise StorageError(f"storage {url!r} cannot be opened: {e.orig}") from None
        except Exception:
            self._engine.dispose()
            raise

    # -- schema -----------------------------------------------------------------------------
    def _ensure_schema(self) -> None:
        for attempt in range(50):
            tables = set(sa.inspect(self._engine).get_table_names())
            if _meta.name not in tables:
                foreign = sorted(t for t in tables if not t.startswith("sturgeon_"))
                if self._is_sqlite and foreign:
                    raise NotASturgeonDatabaseError(
                        f"{self.url!r} is an SQLite database but not a sturgeon one (it has tables "
                        f"{', '.join(foreign[:5])}); point storage at a new file"
                    )
                try:
                    _md.create_all(self._engine)
                    with self._engine.begin() as conn:
                        conn.execute(_meta.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
                except (OperationalError, IntegrityError):
                    pass  # another process is creating the schema at the same time
            with self._engine.connect() as conn:
                row = conn.execute(sa.select(_meta.c.value).where(_meta.c.key == "schema_version")).first()
            if row is not None:
                version = int(row[0])
                if version > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"{self.url!r} was written with storage schema version {version}, newer than "
                        f"this sturgeon supports ({SCHEMA_VERSION}); upgrade sturgeon to open it"
                    )
                if version < SCHEMA_VERSION:  # pragma: no cover - no older schema exists yet
                    raise SchemaVersionError(f"{self.url!r} has an old schema version {version}")
                return
            time.sleep(0.05 * (attempt + 1))
        raise StorageError(f"{self.url!r}: schema version missing from sturgeon_meta")

    # -- studies ---------------------------------------------------------------------------
    @staticmethod
    def _record(row: Any) -> StudyRecord:
        created = _dt.datetime.fromtimestamp(row.created_at, tz=_dt.UTC)
        return StudyRecord(row.study_id, row.name, row.direction, created)

    def create_study(self, name: str, direction: str) -> int:
        try:
            with self._engine.begin() as conn:
                res = conn.execute(
                    _studies.insert().values(
                        name=name, direction=direction, created_at=time.time(), n_trials=0, n_appends=0
                    )
                )
                key = res.inserted_primary_key
                assert key is not None
                return int(key[0])
        except IntegrityError:
            raise DuplicatedStudyError(f"a study named {name!r} exists already") from None

    def get_study(self, name: str) -> StudyRecord:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_studies).where(_studies.c.name == name)).first()
        if row is None:
            raise StudyNotFoundError(f"no study named {name!r} in {self.url}")
        return self._record(row)

    def list_studies(self) -> list[StudyRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(_studies).order_by(_studies.c.study_id)).all()
        return [self._record(r) for r in rows]

    def delete_study(self, study_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(_events.delete().where(_events.c.study_id == study_id))
            conn.execute(_heartbeats.delete().where(_heartbeats.c.study_id == study_id))
            res = conn.execute(_studies.delete().where(_studies.c.study_id == study_id))
            if res.rowcount == 0:
                raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")

    # -- the log ---------------------------------------------------------------------------
    def _lock_study(self, conn: Connection, study_id: int, new_trial: bool) -> int:
        """Take the study's row lock (the SQLite write lock) first thing in the transaction."""
        values: dict[str, Any] = {"n_appends": _studies.c.n_appends + 1}
        if new_trial:
            values["n_trials"] = _studies.c.n_trials + 1
        row = conn.execute(
            _studies.update().where(_studies.c.study_id == study_id).values(**values).returning(_studies.c.n_trials)
        ).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")
        return int(row[0])

    @staticmethod
    def _rows(study_id: int, events: Sequence[Event], now: float) -> list[dict[str, Any]]:
        return [
            {
                "study_id": study_id,
                "kind": int(e.kind),
                "trial": e.trial,
                "key": e.key,
                "value": _dump(e.value),
                "time": e.time or now,
                "unique_key": e.unique_key,
            }
            for e in events
        ]

    def create_trial(self, study_id: int, events: Sequence[Event]) -> int:
        with self._engine.begin() as conn:
            number = self._lock_study(conn, study_id, new_trial=True) - 1
            rows = self._rows(study_id, events, time.time())
            for r in rows:
                r["trial"] = number
            rows[0]["unique_key"] = f"trial:{number}"
            conn.execute(_events.insert(), rows)
            return number

    def append(self, study_id: int, events: Sequence[Event]) -> bool:
        if not events:
            return True
        try:
            with self._engine.begin() as conn:
                self._lock_study(conn, study_id, new_trial=False)
                conn.execute(_events.insert(), self._rows(study_id, events, time.time()))
            return True
        except IntegrityError:
            return False

    def read(self, study_id: int, after: int = 0) -> list[Event]:
        e = _events.c
        stmt = (
            sa.select(e.event_id, e.kind, e.trial, e.key, e.value, e.time, e.unique_key)
            .where(e.study_id == study_id, e.event_id > after)
            .order_by(e.event_id)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        loads = json.loads
        kinds = {int(k): k for k in EventKind}
        return [
            Event(kinds[kind], trial, key, None if value is None else loads(value), t, uk, eid)
            for eid, kind, trial, key, value, t, uk in rows
        ]

    def count_trials(self, study_id: int) -> int:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_studies.c.n_trials).where(_studies.c.study_id == study_id)).first()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")
        return int(row[0])

    # -- liveness --------------------------------------------------------------------------
    def record_heartbeat(self, study_id: int, trial: int, ttl_seconds: float) -> None:
        hb = _heartbeats.c
        expires = time.time() + ttl_seconds
        with self._engine.begin() as conn:
            res = conn.execute(
                _heartbeats.update().where(hb.study_id == study_id, hb.trial == trial).values(expires=expires)
            )
            if res.rowcount == 0:
                conn.execute(_heartbeats.insert().values(study_id=study_id, trial=trial, expires=expires))

    def clear_heartbeat(self, study_id: int, trial: int) -> None:
        hb = _heartbeats.c
        with self._engine.begin() as conn:
            conn.execute(_heartbeats.delete().where(hb.study_id == study_id, hb.trial == trial))

    def stale_trials(self, study_id: int) -> list[int]:
        hb = _heartbeats.c
        now = time.time()
        with self._engine.connect() as conn:
            rows = conn.execute(
                sa.select(hb.trial).where(hb.study_id == study_id, hb.expires < now).order_by(hb.trial)
            ).all()
        return [int(r[0]) for r in rows]

    def close(self) -> None:
        self._engine.dispose()
