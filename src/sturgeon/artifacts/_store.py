"""The study's one artifact store: checkpoint folders kept under keys, over fsspec.

Layout under the store's root URL::

    study-<id>/trial-<n>/step-<s>-<hex>/...            a checkpoint's files (the key is the folder)
    study-<id>/trial-<n>/step-<s>-<hex>.sturgeon-commit  its commit marker, written last
    study-<id>/trial-<n>/step-<s>-<hex>.partial-<hex>/   an upload in progress (local stores)

fsspec is imported on first use, so ``import sturgeon`` does not pay for it.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from sturgeon._exceptions import ArtifactStoreError, InvalidValueError, SturgeonError

_MARKER = ".sturgeon-commit"
_PARTIAL = ".partial-"
_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def human_bytes(n: int) -> str:
    """``n`` bytes in binary units with one decimal: ``512 B``, ``1.5 KiB``, ``3.0 GiB``."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise InvalidValueError(f"human_bytes: n must be an int, got n={n!r}")
    if n < 0:
        return "-" + human_bytes(-n)
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1024
        if round(value, 1) < 1024 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def default_artifacts_url(storage_url: str | None) -> str | None:
    """Where a study's checkpoints go when ``artifacts=`` is not given.

    ``sqlite:///dir/name.db`` -> the absolute folder ``dir/name_artifacts`` beside the database
    file (a relative database path resolves against the current directory). An in-memory SQLite
    database, an in-memory study (``None``) and any other database give ``None``: the caller then
    makes a temporary folder, or requires ``artifacts=``.
    """
    if storage_url is None:
        return None
    if not isinstance(storage_url, str):
        raise InvalidValueError(
            f"default_artifacts_url: storage_url must be a database URL string or None, got {storage_url!r}"
        )
    import sqlalchemy as sa  # a core dependency; imported here to keep this module light

    try:
        url = sa.make_url(storage_url)
    except sa.exc.ArgumentError:
        return None  # not a database URL: the storage layer reports it
    if url.get_backend_name() != "sqlite":
        return None
    path = url.database or ""
    if path.startswith("file:"):  # an SQLite URI filename: file:name.db?mode=...
        parsed = urllib.parse.urlparse(path)
        raw = url.query.get("mode", ())
        modes = {raw} if isinstance(raw, str) else set(raw)
        modes.update(urllib.parse.parse_qs(parsed.query).get("mode", []))
        if "memory" in modes:
            return None
        path = urllib.parse.unquote(parsed.path)
    if path in ("", ":memory:"):
        return None
    db = pathlib.PurePath(os.path.abspath(path))
    return str(db.parent / f"{db.stem}_artifacts")


def _check_key(op: str, key: object, *, what: str = "key", allow_empty: bool = False) -> str:
    """A key (or prefix) is a relative '/'-separated path of plain segments."""
    rule = (
        "a relative path of '/'-separated names (no '', '.', '..', backslash, "
        f"'{_PARTIAL}' or a name ending in '{_MARKER}')"
    )
    if not isinstance(key, str):
        raise InvalidValueError(f"{op}: {what} must be a string, {rule}; got {what}={key!r}")
    if what == "prefix":
        key = key.rstrip("/")
    if key == "" and allow_empty:
        return key
    parts = key.split("/")
    if not key or "\\" in key or any(p in ("", ".", "..") or _PARTIAL in p or p.endswith(_MARKER) for p in parts):
        raise InvalidValueError(f"{op}: {what} must be {rule}; got {what}={key!r}")
    return key


def _check_count(op: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidValueError(f"{op}: {name} must be an int >= 0, got {name}={value!r}")
    return value


def _local_files(local_dir: pathlib.Path) -> list[tuple[pathlib.Path, str]]:
    """Every file below ``local_dir`` (links to files followed, links to folders not) with its
    '/'-separated path relative to it."""
    out: list[tuple[pathlib.Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(local_dir):
        dirnames.sort()
        base = pathlib.Path(dirpath)
        for name in sorted(filenames):
            path = base / name
            out.append((path, path.relative_to(local_dir).as_posix()))
    return out


class ArtifactStore:
    """Checkpoint folders of one study (or several), stored under keys at an fsspec URL.

    ``url`` is a local path or any fsspec URL (``"memory://x"``, ``"file:///tmp/a"``,
    ``"s3://bucket/prefix"``; remote protocols need their fsspec backend installed). The
    constructor only validates and stores its arguments; the file system is opened on first use.

    Contract:

    * A key is a folder of files. ``commit`` uploads a local folder under a key and writes a commit
      marker last; ``exists``, ``fetch`` and ``list_keys`` see only keys whose marker is written.
      On a local file system the files go to ``<key>.partial-<hex>`` first and are renamed into
      place (atomic); elsewhere they are written to the key directly. Either way the caller records
      the commit in its event log afterwards, and only that record makes a checkpoint exist.
    * Uploads in progress or abandoned are never listed; they go with ``delete_prefix``.
    * Every failure of fsspec or the operating system becomes an ``ArtifactStoreError`` naming the
      URL, the operation and the key, with the original error chained. Bad arguments raise
      ``InvalidValueError``.
    * Operations are independent of each other, so one store may be used from several threads and
      processes at once, provided they never commit under the same key (``new_key`` sees to that).
      A store pickles as its URL and ``max_bytes``.
    """

    def __init__(self, url: str, *, max_bytes: int | None = None) -> None:
        if not isinstance(url, str) or not url.strip():
            raise InvalidValueError(
                f"ArtifactStore: url must be a non-empty string (a local path or an fsspec URL), got url={url!r}"
            )
        if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0):
            raise InvalidValueError(f"ArtifactStore: max_bytes must be an int > 0 or None, got max_bytes={max_bytes!r}")
        self.url: str = url
        self.max_bytes: int | None = max_bytes
        self._fs: Any = None
        self._root = ""

    def __repr__(self) -> str:
        extra = "" if self.max_bytes is None else f", max_bytes={self.max_bytes}"
        return f"ArtifactStore({self.url!r}{extra})"

    def __getstate__(self) -> dict[str, Any]:
        return {"url": self.url, "max_bytes": self.max_bytes}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.url = state["url"]
        self.max_bytes = state["max_bytes"]
        self._fs = None
        self._root = ""

    # -- plumbing --------------------------------------------------------------------------------

    @contextmanager
    def _errors(self, op: str, key: str) -> Iterator[None]:
        """Turn any fsspec / OS failure inside the block into an ArtifactStoreError."""
        try:
            yield
        except SturgeonError:
            raise
        except Exception as e:
            what = f"{op} of {key!r}" if key else op
            raise ArtifactStoreError(f"artifact store {self.url!r}: {what} failed: {type(e).__name__}: {e}") from e

    def _open(self) -> Any:
        """The fsspec file system, opened on first use; call it inside ``_errors``."""
        if self._fs is None:
            try:
                import fsspec
            except ImportError as e:
                raise ArtifactStoreError(
                    f"artifact store {self.url!r}: checkpoints need fsspec, which is not installed: pip install fsspec"
                ) from e
            fs, root = fsspec.core.url_to_fs(self.url)
            self._root = root.rstrip("/")
            self._fs = fs
        return self._fs

    def _path(self, rel: str) -> str:
        return self._root if rel == "" else f"{self._root}/{rel}"

    def _rel(self, path: str) -> str:
        path = path.rstrip("/")
        return "" if path == self._root else path[len(self._root) + 1 :]

    def _is_local(self) -> bool:
        return "file" in (self._fs.protocol if isinstance(self._fs.protocol, tuple) else (self._fs.protocol,))

    def _committed(self, key: str) -> bool:
        return bool(self._fs.exists(self._path(key) + _MARKER))

    def _rm(self, path: str) -> None:
        try:
            if self._fs.exists(path):
                self._fs.rm(path, recursive=True)
        except FileNotFoundError:
            pass  # removed by someone else meanwhile

    # -- the API ---------------------------------------------------------------------------------

    def is_local(self) -> bool:
        """True when the store is on the local file system: ``fetch`` can then return the stored
        folder itself instead of a copy."""
        with self._errors("open", ""):
            self._open()
            return self._is_local()

    def new_key(self, study_id: int, trial: int, step: int) -> str:
        """A fresh key ``study-<id>/trial-<n>/step-<s>-<8 hex>``; the random part makes it unique."""
        for name, value in (("study_id", study_id), ("trial", trial), ("step", step)):
            _check_count("new_key", name, value)
        return f"study-{study_id}/trial-{trial}/step-{step}-{secrets.token_hex(4)}"

    def commit(self, local_dir: str | os.PathLike[str], key: str, *, used_bytes: int = 0) -> int:
        """Upload every file below ``local_dir`` (recursively) under ``key``; return their total size
        in bytes. An empty folder makes an empty checkpoint.

        ``used_bytes`` is what the store holds already; with ``max_bytes`` set, a commit that would
        bring the total above it raises ``ArtifactStoreError`` and writes nothing. Committing to a
        key that exists raises too. A failed upload removes what it wrote (as far as it can).
        """
        key = _check_key("commit", key)
        used_bytes = _check_count("commit", "used_bytes", used_bytes)
        if not isinstance(local_dir, (str, os.PathLike)) or not os.path.isdir(local_dir):
            raise InvalidValueError(f"commit: local_dir must be an existing folder, got local_dir={local_dir!r}")
        src = pathlib.Path(local_dir)
        with self._errors("commit", key):
            files = _local_files(src)
            size = sum(p.stat().st_size for p, _ in files)
        if self.max_bytes is not None and used_bytes + size > self.max_bytes:
            raise ArtifactStoreError(
                f"artifact store {self.url!r}: commit of {key!r} refused: the checkpoint is {human_bytes(size)} "
                f"and the store holds {human_bytes(used_bytes)} already, {human_bytes(used_bytes + size)} in all, "
                f"above max_bytes={self.max_bytes} ({human_bytes(self.max_bytes)}); nothing was written"
            )
        with self._errors("commit", key):
            fs = self._open()
            final = self._path(key)
            if self._committed(key) or fs.exists(final):
                raise ArtifactStoreError(f"artifact store {self.url!r}: commit of {key!r} refused: the key exists")
            local = self._is_local()
            target = f"{final}{_PARTIAL}{secrets.token_hex(4)}" if local else final
            ours = [target]  # what to remove if the upload fails
            try:
                if local:
                    fs.makedirs(target, exist_ok=True)
                for path, rel in files:
                    dst = f"{target}/{rel}"
                    if local and "/" in rel:
                        fs.makedirs(dst.rsplit("/", 1)[0], exist_ok=True)
                    fs.put_file(str(path), dst)
                if local:
                    os.rename(target, final)  # atomic; fails if the key appeared meanwhile
                    ours = [final]
                fs.pipe_file(final + _MARKER, json.dumps({"bytes": size, "files": len(files)}).encode())
            except BaseException:
                with suppress(Exception):  # best effort: the original error is the one to report
                    for leftover in ours:
                        self._rm(leftover)
                raise
        return size

    def fetch(self, key: str, dest: str | os.PathLike[str] | None = None) -> pathlib.Path:
        """A local folder holding the checkpoint's files.

        For a local store and ``dest=None`` this is the stored folder itself (read it, do not
        change it). Otherwise the files are downloaded into ``dest`` (created if missing; files of
        the same name are overwritten) or, when ``dest`` is None, into a new temporary folder that
        the caller removes. A key that was never committed raises ``ArtifactStoreError``.
        """
        key = _check_key("fetch", key)
        if dest is not None and not isinstance(dest, (str, os.PathLike)):
            raise InvalidValueError(f"fetch: dest must be a path or None, got dest={dest!r}")
        with self._errors("fetch", key):
            fs = self._open()
            if not self._committed(key):
                raise ArtifactStoreError(f"checkpoint {key!r} not found in {self.url!r}")
            src = self._path(key)
            if dest is None and self._is_local():
                return pathlib.Path(src)
            out = pathlib.Path(tempfile.mkdtemp(prefix="sturgeon-checkpoint-") if dest is None else dest)
            out.mkdir(parents=True, exist_ok=True)
            for path in fs.find(src):
                rel = path[len(src) + 1 :]
                target = out.joinpath(*rel.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                fs.get_file(path, str(target))
            return out

    def exists(self, key: str) -> bool:
        """True when ``key`` was committed (and not deleted)."""
        key = _check_key("exists", key)
        with self._errors("exists", key):
            self._open()
            return self._committed(key)

    def delete(self, key: str) -> None:
        """Remove the checkpoint under ``key``; a missing key is fine."""
        key = _check_key("delete", key)
        with self._errors("delete", key):
            self._open()
            path = self._path(key)
            self._rm(path + _MARKER)  # first: from here on the key no longer exists
            self._rm(path)

    def delete_prefix(self, prefix: str) -> None:
        """Remove everything under the folder ``prefix`` (e.g. ``"study-3/"``); a missing one is fine."""
        prefix = _check_key("delete_prefix", prefix, what="prefix")
        with self._errors("delete_prefix", prefix):
            self._open()
            path = self._path(prefix)
            self._rm(path + _MARKER)  # the prefix may be a key itself
            self._rm(path)

    def list_keys(self, prefix: str = "") -> list[str]:
        """The committed keys under the folder ``prefix`` (``""``: the whole store), sorted; uploads
        in progress or abandoned are left out. Meant for garbage collection."""
        prefix = _check_key("list_keys", prefix, what="prefix", allow_empty=True)
        with self._errors("list_keys", prefix):
            fs = self._open()
            keys: list[str] = []

            def on_error(e: OSError) -> None:
                if not isinstance(e, FileNotFoundError):
                    raise e

            for path, dirs, files in fs.walk(self._path(prefix), on_error=on_error):
                here = self._rel(path)
                found = {f[: -len(_MARKER)] for f in files if f.endswith(_MARKER) and len(f) > len(_MARKER)}
                keys.extend(f"{here}/{name}" if here else name for name in found)
                dirs[:] = [d for d in dirs if d not in found and _PARTIAL not in d]
            return sorted(keys)
