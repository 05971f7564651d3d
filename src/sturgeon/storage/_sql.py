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
import socket
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from sturgeon._exceptions import (
    DuplicatedStudyError,
    InvalidValueError,
    NotASturgeonDatabaseError,
    SchemaVersionError,
    StorageError,
    StudyNotFoundError,
)
from sturgeon.storage._base import BaseStorage, Event, EventKind, StudyRecord, numbered
from sturgeon.storage._url import ACCEPTED_URLS, check_url, shown_url

__all__ = ["SCHEMA_VERSION", "SQLStorage"]

SCHEMA_VERSION = 4
# The oldest sturgeon schema version that can still read a database of this version: newer
# versions only add event kinds (which older readers skip) or columns, so it rarely moves.
MIN_READER_VERSION = 2
_KINDS = {int(k): k for k in EventKind}
_SQLITE_MAGIC = b"SQLite format 3\x00"
_OWNERLESS = (EventKind.TRIAL_FINISHED, EventKind.TRIAL_PAUSED)  # events after which no worker owns the trial


class _NotStaleError(Exception):
    """Rolls a recovery back: the trial's heartbeat was renewed or is gone."""


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


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
    sa.Column("direction", sa.String(255), nullable=False),  # schema 4: "minimize,maximize" for two objectives
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
    sa.Column("owner", sa.String(128), nullable=True),  # schema 2: which worker (host:pid) beats
)


def _migrate_1_to_2(conn: Any) -> None:
    """Schema 2: heartbeats name their owner; the meta table says which readers may open it."""
    conn.execute(sa.text("ALTER TABLE sturgeon_heartbeats ADD COLUMN owner VARCHAR(128)"))


def _migrate_2_to_3(conn: Any) -> None:
    """Schema 3: event kinds 12 LIVE_REQUEST and 13 LIVE_APPLIED (live changes); no table changes,
    and readers of schema 2 may still open it (they skip the new kinds with a warning)."""


def _migrate_3_to_4(conn: Any) -> None:
    """Schema 4: a multi-objective study stores its directions comma-separated, so the
    direction column widens (SQLite does not enforce VARCHAR lengths: nothing to do there).
    Finished multi-objective trials carry "values"; readers of schema 3 still open it."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE sturgeon_studies ALTER COLUMN direction TYPE VARCHAR(255)"))


_MIGRATIONS = {1: _migrate_1_to_2, 2: _migrate_2_to_3, 3: _migrate_3_to_4}  # from version -> step to version + 1


def _sqlite_path(url: sa.URL) -> str | None:
    """The file an SQLite URL names; None for an in-memory database or a ``file:`` URI."""
    path = url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return path


def _check_sqlite_file(url_str: str, url: sa.URL, create: bool) -> None:
    path = _sqlite_path(url)
    if path is None:
        return
    if os.path.isdir(path):
        raise NotASturgeonDatabaseError(f"storage {path!r} is a directory, not a sturgeon database file")
    size = os.path.getsize(path) if os.path.exists(path) else None
    # checked before connecting: connecting would create the file
    if not create and size is None:
        raise StorageError(f"no sturgeon database at {path!r} (storage {url_str}): the file does not exist")
    if not create and size == 0:
        raise NotASturgeonDatabaseError(f"no sturgeon database at {path!r} (storage {url_str}): the file is empty")
    if size:
        with open(path, "rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC:
            raise NotASturgeonDatabaseError(
                f"{path!r} is not a sturgeon database (not an SQLite file); point storage at a new file"
            )


def _make_engine(url_str: str, *, create: bool, read_only: bool) -> Engine:
    if not isinstance(url_str, str):
        raise InvalidValueError(f"storage must be a database URL string, got {url_str!r}; URLs: {ACCEPTED_URLS}")
    engine_url = check_url(url_str)  # InvalidValueError for a URL sturgeon cannot use
    try:
        url = sa.make_url(engine_url)
    except (sa.exc.ArgumentError, ValueError) as e:
        raise InvalidValueError(
            f"storage {shown_url(url_str)!r} cannot be read as a database URL ({e}); use {ACCEPTED_URLS}"
        ) from None
    if url.get_backend_name() == "sqlite":
        _check_sqlite_file(url_str, url, create)
        kwargs: dict[str, Any] = {"connect_args": {"timeout": 60.0, "check_same_thread": False}}
        if url.database in (None, "", ":memory:"):
            kwargs["poolclass"] = sa.pool.StaticPool
        engine = sa.create_engine(url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            if url.database not in (None, "", ":memory:") and not read_only:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    try:
        return sa.create_engine(url, pool_pre_ping=True)
    except ImportError as e:
        extra = "pip install 'sturgeon[postgres]'" if url.drivername == "postgresql+psycopg" else "install it"
        raise StorageError(
            f"storage {shown_url(url_str)!r}: the driver for {url.drivername!r} is not installed ({e}); {extra}"
        ) from None


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), allow_nan=False)


class SQLStorage(BaseStorage):
    """A study database reached through SQLAlchemy: ``sqlite:///file.db``, ``postgresql://...``
    (the accepted forms: ``sturgeon.storage._url``; any other URL raises ``InvalidValueError``).

    By default a missing SQLite file and a database without sturgeon's tables get them. With
    ``create=False`` the database must exist and hold sturgeon's schema already (else
    ``StorageError`` / ``NotASturgeonDatabaseError``): nothing is created. ``read_only=True``
    implies that and also never writes: an older schema is read as it is (not migrated) and
    every write raises ``StorageError``.
    """

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        self.url = url
        self.read_only = read_only
        create = create and not read_only
        self._engine = _make_engine(url, create=create, read_only=read_only)
        # close pooled connections when the storage is dropped without close() (a study opened
        # from a URL string owns its storage): a driver must not find them open at GC time
        weakref.finalize(self, self._engine.dispose)
        self._is_sqlite = self._engine.dialect.name == "sqlite"
        self._qmark = self._engine.dialect.paramstyle == "qmark"
        self._integrity_errors: tuple[type[Exception], ...] = (self._engine.dialect.loaded_dbapi.IntegrityError,)
        self._insert_sql = self._q(
            "INSERT INTO sturgeon_events (study_id, kind, trial, key, value, time, unique_key) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)"
        )
        try:
            self._ensure_schema(create)
        except DatabaseError as e:
            self._engine.dispose()
            why = " ".join(str(e.orig).split())  # one line: drivers' messages span several
            if "not a database" in why or "file is encrypted" in why:
                raise NotASturgeonDatabaseError(f"{shown_url(url)!r} is not a sturgeon database: {why}") from None
            raise StorageError(f"storage {shown_url(url)!r} cannot be opened: {why}") from None
        except Exception:
            self._engine.dispose()
            raise

    def _writable(self) -> None:
        if self.read_only:
            raise StorageError(f"storage {shown_url(self.url)!r} was opened read-only; it cannot be written")

    # -- schema -----------------------------------------------------------------------------
    def _ensure_schema(self, create: bool) -> None:
        for attempt in range(50):
            tables = set(sa.inspect(self._engine).get_table_names())
            if _meta.name not in tables:
                foreign = sorted(t for t in tables if not t.startswith("sturgeon_"))
                if self._is_sqlite and foreign:
                    raise NotASturgeonDatabaseError(
                        f"{self.url!r} is an SQLite database but not a sturgeon one (it has tables "
                        f"{', '.join(foreign[:5])}); point storage at a new file"
                    )
                if not create:
                    raise NotASturgeonDatabaseError(
                        f"no sturgeon database at {shown_url(self.url)!r}: it has no sturgeon tables"
                    )
                try:
                    _md.create_all(self._engine)
                    with self._engine.begin() as conn:
                        conn.execute(
                            _meta.insert(),
                            [
                                {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                                {"key": "min_reader_version", "value": str(MIN_READER_VERSION)},
                            ],
                        )
                except (OperationalError, IntegrityError):
                    pass  # another process is creating the schema at the same time
            with self._engine.connect() as conn:
                rows = dict(conn.execute(sa.select(_meta.c.key, _meta.c.value)).all())
            if "schema_version" in rows:
                version = int(rows["schema_version"])
                min_reader = int(rows.get("min_reader_version", version))
                if min_reader > SCHEMA_VERSION:
                    raise SchemaVersionError(
                        f"{self.url!r} was written with storage schema version {version}, which needs "
                        f"sturgeon's schema {min_reader} or newer to read (this sturgeon has "
                        f"{SCHEMA_VERSION}); upgrade sturgeon to open it"
                    )
                if version < SCHEMA_VERSION and not self.read_only:
                    self._migrate(version)
                return
            time.sleep(0.05 * (attempt + 1))
        raise StorageError(f"{self.url!r}: schema version missing from sturgeon_meta")

    def _migrate(self, version: int) -> None:
        """Bring an older database up to SCHEMA_VERSION in place, one step per transaction.
        The version row is updated in the step's transaction, guarded by its old value, so
        processes opening the database at the same time migrate it once."""
        while version < SCHEMA_VERSION:
            with self._engine.begin() as conn:
                res = conn.execute(
                    _meta.update()
                    .where(_meta.c.key == "schema_version", _meta.c.value == str(version))
                    .values(value=str(version + 1))
                )
                if res.rowcount == 1:
                    _MIGRATIONS[version](conn)
                    conn.execute(_meta.delete().where(_meta.c.key == "min_reader_version"))
                    conn.execute(_meta.insert().values(key="min_reader_version", value=str(MIN_READER_VERSION)))
            with self._engine.connect() as conn:
                version = int(
                    conn.execute(sa.select(_meta.c.value).where(_meta.c.key == "schema_version")).scalar_one()
                )

    # -- studies ---------------------------------------------------------------------------
    @staticmethod
    def _record(row: Any) -> StudyRecord:
        created = _dt.datetime.fromtimestamp(row.created_at, tz=_dt.UTC)
        return StudyRecord(row.study_id, row.name, row.direction, created)

    def create_study(self, name: str, direction: str) -> int:
        self._writable()
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
        self._writable()
        with self._engine.begin() as conn:
            conn.execute(_events.delete().where(_events.c.study_id == study_id))
            conn.execute(_heartbeats.delete().where(_heartbeats.c.study_id == study_id))
            res = conn.execute(_studies.delete().where(_studies.c.study_id == study_id))
            if res.rowcount == 0:
                raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")

    # -- the log ---------------------------------------------------------------------------
    # The hot paths speak to the DB-API connection directly with fixed SQL: building an
    # SQLAlchemy statement per call costs more than the SQLite write itself.
    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor in a transaction that commits on success and rolls back on error."""
        conn = self._engine.raw_connection()
        try:
            cur = conn.cursor()
            yield cur
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    def _q(self, sql: str) -> str:
        return sql if self._qmark else sql.replace("?", "%s")

    def _lock_study(self, cur: Any, study_id: int, new_trial: bool) -> None:
        """Bump the study row first thing in the transaction. On PostgreSQL the row lock
        serializes the study's appends, so event ids commit in order; SQLite has one writer
        at a time anyway, so there only a new trial needs the row (its counter)."""
        if new_trial:
            cur.execute(self._q("UPDATE sturgeon_studies SET n_trials = n_trials + 1 WHERE study_id = ?"), (study_id,))
        elif not self._is_sqlite:
            cur.execute(
                self._q("UPDATE sturgeon_studies SET n_appends = n_appends + 1 WHERE study_id = ?"), (study_id,)
            )
        else:
            return
        if cur.rowcount == 0:
            raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")

    def _insert(self, cur: Any, study_id: int, events: Sequence[Event], trial: int | None = None) -> None:
        now = time.time()
        rows = [
            (
                study_id,
                int(e.kind),
                e.trial if trial is None else trial,
                e.key,
                _dump(e.value),
                e.time or now,
                e.unique_key,
            )
            for e in events
        ]
        cur.executemany(self._insert_sql, rows)
        finished = {r[2] for r, e in zip(rows, events, strict=True) if e.kind in _OWNERLESS}
        for n in finished:  # a finished or paused trial needs no heartbeat
            cur.execute(self._q("DELETE FROM sturgeon_heartbeats WHERE study_id = ? AND trial = ?"), (study_id, n))

    def _integrity(self, e: Exception, study_id: int) -> bool:
        """True for a taken unique key; raise for a study that is gone."""
        if "FOREIGN KEY" in str(e).upper():
            raise StudyNotFoundError(f"no study with id {study_id} in {self.url}") from None
        return True

    def create_trial(self, study_id: int, events: Sequence[Event], *, heartbeat_ttl: float | None = None) -> int:
        self._writable()
        with self._cursor() as cur:
            self._lock_study(cur, study_id, new_trial=True)
            cur.execute(self._q("SELECT n_trials FROM sturgeon_studies WHERE study_id = ?"), (study_id,))
            number = int(cur.fetchone()[0]) - 1
            first = events[0]._replace(unique_key=f"trial:{number}")
            self._insert(cur, study_id, [first, *numbered(events[1:], number)], trial=number)
            if heartbeat_ttl is not None:
                self._beat(cur, study_id, number, heartbeat_ttl, renew_only=False)
            return number

    def append(self, study_id: int, events: Sequence[Event], *, heartbeat: tuple[int, float] | None = None) -> bool:
        if not events:
            return True
        self._writable()
        try:
            with self._cursor() as cur:
                self._lock_study(cur, study_id, new_trial=False)
                self._insert(cur, study_id, events)
                if heartbeat is not None:
                    self._beat(cur, study_id, heartbeat[0], heartbeat[1], renew_only=False)
            return True
        except self._integrity_errors as e:
            return not self._integrity(e, study_id)

    def read(self, study_id: int, after: int = 0) -> list[Event]:
        with self._cursor() as cur:
            cur.execute(
                self._q(
                    "SELECT event_id, kind, trial, key, value, time FROM sturgeon_events "
                    "WHERE study_id = ? AND event_id > ? ORDER BY event_id"
                ),
                (study_id, after),
            )
            rows = cur.fetchall()
        if not rows:
            return []
        # one json.loads for the whole batch instead of one per event
        values = json.loads("[" + ",".join("null" if r[4] is None else r[4] for r in rows) + "]")
        kinds = _KINDS  # a kind this version does not know stays a plain int: readers skip it
        return [
            Event(kinds.get(r[1], r[1]), r[2], r[3], v, r[5], None, r[0]) for r, v in zip(rows, values, strict=True)
        ]

    def count_trials(self, study_id: int) -> int:
        with self._cursor() as cur:
            cur.execute(self._q("SELECT n_trials FROM sturgeon_studies WHERE study_id = ?"), (study_id,))
            row = cur.fetchone()
        if row is None:
            raise StudyNotFoundError(f"no study with id {study_id} in {self.url}")
        return int(row[0])

    # -- liveness --------------------------------------------------------------------------
    # Expiries are written and compared on one clock: the server's for PostgreSQL (workers on
    # several machines whose clocks disagree must not fail each other's live trials), this
    # machine's for an SQLite file.
    def _now(self) -> tuple[str, tuple[float, ...]]:
        if self._is_sqlite:
            return "?", (time.time(),)
        return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS DOUBLE PRECISION)", ()

    def _beat(self, cur: Any, study_id: int, trial: int, ttl: float, *, renew_only: bool) -> bool:
        now, args = self._now()
        cur.execute(
            self._q(f"UPDATE sturgeon_heartbeats SET expires = {now} + ? WHERE study_id = ? AND trial = ?"),
            (*args, float(ttl), study_id, trial),
        )
        if cur.rowcount > 0:
            return True
        if renew_only:
            return False
        cur.execute(
            self._q(f"INSERT INTO sturgeon_heartbeats (study_id, trial, expires, owner) VALUES (?, ?, {now} + ?, ?)"),
            (study_id, trial, *args, float(ttl), _owner()),
        )
        return True

    def record_heartbeat(self, study_id: int, trial: int, ttl_seconds: float, *, renew_only: bool = False) -> bool:
        self._writable()
        with self._cursor() as cur:
            return self._beat(cur, study_id, trial, ttl_seconds, renew_only=renew_only)

    def clear_heartbeat(self, study_id: int, trial: int) -> None:
        self._writable()
        with self._cursor() as cur:
            cur.execute(self._q("DELETE FROM sturgeon_heartbeats WHERE study_id = ? AND trial = ?"), (study_id, trial))

    def stale_trials(self, study_id: int) -> list[int]:
        now, args = self._now()
        with self._cursor() as cur:
            cur.execute(
                self._q(f"SELECT trial FROM sturgeon_heartbeats WHERE study_id = ? AND expires < {now} ORDER BY trial"),
                (study_id, *args),
            )
            return [int(r[0]) for r in cur.fetchall()]

    def recover(self, study_id: int, trial: int, events: Sequence[Event]) -> bool:
        now, args = self._now()
        try:
            with self._cursor() as cur:
                self._lock_study(cur, study_id, new_trial=False)
                cur.execute(
                    self._q(f"DELETE FROM sturgeon_heartbeats WHERE study_id = ? AND trial = ? AND expires < {now}"),
                    (study_id, trial, *args),
                )
                if cur.rowcount == 0:
                    raise _NotStaleError
                self._insert(cur, study_id, events)
            return True
        except _NotStaleError:
            return False
        except self._integrity_errors as e:
            return not self._integrity(e, study_id)

    def close(self) -> None:
        self._engine.dispose()
