"""A study's checkpoints: where they are stored, how they are committed, when they are deleted.

One ``Checkpoints`` object per ``Study`` owns the study's artifact store (``sturgeon.artifacts``)
and the retention rule; trials, the optimize loop, crash recovery and schedulers all go through
it. A checkpoint exists once its ``CHECKPOINT`` event is in the log (the upload comes first, so
the event is the commit); it is deleted by whoever first appends its ``CHECKPOINT_DELETED``
event (unique key ``ckdel:<key>``), then its files. Sturgeon only moves the files: what is in
them is the user's, and nothing here unpickles anything.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sturgeon._exceptions import ArtifactStoreError, InvalidValueError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.storage import BaseStorage, Event, EventKind

if TYPE_CHECKING:
    from sturgeon.artifacts import ArtifactStore
    from sturgeon.storage import StudyView

__all__ = ["KEEP_ATTR", "STORE_ATTR", "Checkpoints", "check_keep"]

STORE_ATTR = "artifacts"  # study-level system attribute: the artifact store URL every worker uses
KEEP_ATTR = "checkpoint_keep"  # study- or trial-level system attribute: how many checkpoints to keep
_LIVE = (TrialState.RUNNING, TrialState.PAUSED, TrialState.WAITING)

_tmp_lock = threading.Lock()
_tmp_roots: weakref.WeakKeyDictionary[BaseStorage, str] = weakref.WeakKeyDictionary()


def check_keep(what: str, keep: Any) -> int:
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise InvalidValueError(f"{what}: checkpoint_keep must be an int >= 1, got {keep!r}")
    return keep


def _temporary_root(storage: BaseStorage) -> str:
    """One temporary folder per in-memory storage, removed when the storage goes away."""
    with _tmp_lock:
        root = _tmp_roots.get(storage)
        if root is None:
            root = tempfile.mkdtemp(prefix="sturgeon-artifacts-")
            _tmp_roots[storage] = root
            weakref.finalize(storage, shutil.rmtree, root, True)
            atexit.register(shutil.rmtree, root, True)
        return root


def retained_paths(trials: Iterable[FrozenTrial], default_keep: int) -> set[str]:
    """The checkpoints that must stay: the newest ``keep`` of every RUNNING, PAUSED or WAITING
    trial (``keep`` per trial, else the study's). A checkpoint another trial refers to is in
    that trial's ``checkpoints`` too, so it stays as long as any holder needs it."""
    keep_paths: set[str] = set()
    for t in trials:
        if t.state in _LIVE and t.checkpoints:
            keep = int(t.system_attrs.get(KEEP_ATTR, default_keep))
            for step in sorted(t.checkpoints)[-keep:]:
                keep_paths.add(t.checkpoints[step])
            for r in t.pending_requests:  # a rewind asked for goes back to this one
                if r.get("action") == "rewind" and r.get("to_step") in t.checkpoints:
                    keep_paths.add(t.checkpoints[r["to_step"]])
    return keep_paths


class Checkpoints:
    """The checkpoint store of one study. Thread-safe."""

    def __init__(
        self,
        *,
        storage: BaseStorage,
        view: StudyView,
        study_id: int,
        study_name: str,
        url: str | None,
        keep: int | None,
        max_bytes: int | None,
    ) -> None:
        if url is not None and (not isinstance(url, (str, os.PathLike)) or not str(url)):
            raise InvalidValueError(f"artifacts must be an fsspec URL or a folder path, got {url!r}")
        if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0):
            raise InvalidValueError(f"artifacts_max_bytes must be an int > 0 or None, got {max_bytes!r}")
        self._storage = storage
        self._view = view
        self._study_id = study_id
        self._study_name = study_name
        self._url = None if url is None else str(url)
        self._keep = None if keep is None else check_keep("create_study", keep)
        self._max_bytes = max_bytes
        self._store: ArtifactStore | None = None
        self._lock = threading.Lock()

    # -- configuration -------------------------------------------------------------------------
    def record_settings(self) -> list[Event]:
        """Study-level events that record an explicit store URL and keep count, so that every
        worker that loads the study uses the same ones."""
        events = []
        if self._url is not None and self._view.system_attrs.get(STORE_ATTR) != self._url:
            events.append(Event(EventKind.SYSTEM_ATTR, None, STORE_ATTR, self._url))
        if self._keep is not None and self._view.system_attrs.get(KEEP_ATTR) != self._keep:
            events.append(Event(EventKind.SYSTEM_ATTR, None, KEEP_ATTR, self._keep))
        return events

    @property
    def keep(self) -> int:
        """How many checkpoints each running or paused trial keeps (the study's setting)."""
        if self._keep is not None:
            return self._keep
        return int(self._view.system_attrs.get(KEEP_ATTR, 2))

    def store(self) -> ArtifactStore:
        """The artifact store, opened on first use."""
        with self._lock:
            if self._store is None:
                from sturgeon.artifacts import ArtifactStore, default_artifacts_url

                url = self._url or self._view.system_attrs.get(STORE_ATTR)
                if url is None:
                    storage_url = getattr(self._storage, "url", None)
                    url = default_artifacts_url(storage_url)
                    if url is None and storage_url is None:
                        url = _temporary_root(self._storage)
                    elif url is None:
                        raise ArtifactStoreError(
                            f"study {self._study_name!r} is stored in {storage_url}; its checkpoints need an "
                            "artifact store that every worker can reach: pass artifacts='<fsspec URL or shared "
                            "folder>' to create_study / load_study"
                        )
                self._store = ArtifactStore(str(url), max_bytes=self._max_bytes)
            return self._store

    # -- commit and fetch ----------------------------------------------------------------------
    def commit(self, number: int, step: int, folder: Path) -> str:
        """Upload ``folder`` as trial ``number``'s checkpoint at ``step`` and record it.
        Returns the store key."""
        store = self.store()
        key = store.new_key(self._study_id, number, step)
        self._view.sync()
        size = store.commit(folder, key, used_bytes=max(0, self._view.checkpoint_bytes))
        ok = self._storage.append(
            self._study_id, [Event(EventKind.CHECKPOINT, number, str(step), {"path": key, "bytes": size})]
        )
        if not ok:  # pragma: no cover - the event has no unique key
            store.delete(key)
        return key

    def copy(self, key: str, number: int, step: int) -> str | None:
        """Copy another trial's checkpoint ``key`` as trial ``number``'s checkpoint at ``step``
        (an exploit: the copy is the recipient's own, so the original may go). None when the
        original was deleted before or during the copy: nothing is used from it then."""
        self._view.sync()
        if key in self._view.deleted_paths:
            return None
        local = self.is_local()
        folder: Path | None = None
        try:
            folder = self.fetch(key)
            new = self.commit(number, step, folder)
        except (ArtifactStoreError, OSError):
            return None
        except InvalidValueError:
            if folder is not None and not folder.exists():
                return None  # a local original deleted between fetch and copy
            raise
        finally:
            if folder is not None and not local:
                shutil.rmtree(folder, ignore_errors=True)
        self._view.sync()
        if key in self._view.deleted_paths:  # deleted while being read: the copy may be partial
            self._storage.append(
                self._study_id, [Event(EventKind.CHECKPOINT_DELETED, number, new, None, unique_key=f"ckdel:{new}")]
            )
            with contextlib.suppress(ArtifactStoreError):
                self.store().delete(new)
            self._view.sync()
            return None
        return new

    def is_local(self) -> bool:
        """Whether the store is on this machine's file system (fetching needs no copy)."""
        return self.store().is_local()

    def fetch(self, key: str, dest: str | os.PathLike[str] | None = None) -> Path:
        return self.store().fetch(key, dest)

    # -- retention -----------------------------------------------------------------------------
    def collect(self, numbers: Sequence[int] | None = None) -> list[str]:
        """Delete the checkpoints no longer retained: of the trials ``numbers``, or of every
        trial. Returns the keys this call deleted."""
        self._view.sync()
        trials = self._view.trials()
        keep = retained_paths(trials, self.keep)
        pick = range(len(trials)) if numbers is None else [n for n in numbers if 0 <= n < len(trials)]
        owners = {p: n for n in pick for p in self._view.checkpoint_paths(n)}
        deleted = []
        for path in sorted(owners.keys() - keep):
            owner = owners[path]
            if self._storage.append(
                self._study_id, [Event(EventKind.CHECKPOINT_DELETED, owner, path, None, unique_key=f"ckdel:{path}")]
            ):
                deleted.append(path)
        if deleted:
            store = self.store()
            for path in deleted:
                with contextlib.suppress(ArtifactStoreError):  # recorded as deleted: leftovers are garbage
                    store.delete(path)
            self._view.sync()
        return deleted

    def delete_all(self) -> None:
        """Remove every file of the study (``delete_study``)."""
        try:
            store = self.store()
        except ArtifactStoreError:
            return  # a study that never had a store has nothing to delete
        store.delete_prefix(f"study-{self._study_id}/")
