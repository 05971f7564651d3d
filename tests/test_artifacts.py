"""The artifact store, on fsspec's local file system (plain paths and file:// URLs) and in memory."""

from __future__ import annotations

import pickle
import re
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

import sturgeon.artifacts as art
from sturgeon._exceptions import ArtifactStoreError, InvalidValueError, StorageError
from sturgeon.artifacts import ArtifactStore, default_artifacts_url, human_bytes

FILES = {
    "model.bin": bytes(range(256)) * 40,
    "empty.txt": b"",
    "sub/opt.json": b'{"lr": 0.1}',
    "sub/deeper/x.npy": secrets.token_bytes(3000),
}


@pytest.fixture(params=["path", "file_url", "memory"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store root; memory roots are unique per test and removed after it."""
    if request.param == "path":
        yield str(tmp_path / "store")
    elif request.param == "file_url":
        yield (tmp_path / "store").as_uri()
    else:
        root = f"/sturgeon-test-{secrets.token_hex(6)}"
        yield f"memory://{root}"
        mem = fsspec.filesystem("memory")
        if mem.exists(root):
            mem.rm(root, recursive=True)


def _write(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(data)
    return folder


def _read(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_exports_are_complete():
    public = {n for n in dir(art) if not n.startswith("_")} - {"annotations"}
    assert public == set(art.__all__)
    assert issubclass(ArtifactStoreError, StorageError)


def test_commit_fetch_round_trip(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    key = store.new_key(1, 2, 3)
    size = store.commit(_write(tmp_path / "ckpt", FILES), key)
    assert size == sum(len(v) for v in FILES.values())
    assert store.exists(key)
    assert _read(store.fetch(key, tmp_path / "out")) == FILES
    assert store.list_keys("") == [key]
    assert store.list_keys("study-1/") == [key]
    assert store.list_keys("study-1/trial-2") == [key]
    assert store.list_keys("study-2") == []


def test_fetch_without_dest(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    key = store.new_key(1, 0, 5)
    store.commit(_write(tmp_path / "ckpt", FILES), key)
    got = store.fetch(key)
    assert _read(got) == FILES
    if store.is_local():
        # the stored folder itself, holding exactly the user's files
        assert url.startswith(("/", "file:"))
        assert got == Path(tmp_path / "store" / key)
    else:  # a new temporary folder each time, the caller's to remove
        assert url.startswith("memory://")
        again = store.fetch(key)
        assert again != got and _read(again) == FILES
        shutil.rmtree(got)
        shutil.rmtree(again)


def test_fetch_into_dest_from_a_local_store_copies(tmp_path: Path):
    store = ArtifactStore(str(tmp_path / "store"))
    key = store.new_key(0, 0, 0)
    store.commit(_write(tmp_path / "ckpt", FILES), key)
    dest = tmp_path / "new" / "dest"
    assert store.fetch(key, dest) == dest
    assert _read(dest) == FILES
    (dest / "model.bin").write_bytes(b"changed")
    assert store.fetch(key).joinpath("model.bin").read_bytes() == FILES["model.bin"]


def test_keys_are_unique_and_well_formed():
    store = ArtifactStore("memory://unused")
    keys = {store.new_key(7, 12, 300) for _ in range(1000)}
    assert len(keys) == 1000
    assert all(re.fullmatch(r"study-7/trial-12/step-300-[0-9a-f]{8}", k) for k in keys)


def test_empty_folder_is_a_checkpoint(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    key = store.new_key(1, 1, 1)
    (tmp_path / "empty").mkdir()
    assert store.commit(tmp_path / "empty", key) == 0
    assert store.exists(key)
    assert store.list_keys("study-1") == [key]
    got = store.fetch(key, tmp_path / "out")
    assert got.is_dir() and _read(got) == {}


def test_commit_to_an_existing_key_is_refused(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    key = store.new_key(1, 1, 1)
    store.commit(_write(tmp_path / "a", {"a": b"1"}), key)
    with pytest.raises(ArtifactStoreError, match="exists"):
        store.commit(_write(tmp_path / "b", {"b": b"2"}), key)
    assert _read(store.fetch(key, tmp_path / "out")) == {"a": b"1"}


def test_delete_and_delete_prefix_are_idempotent(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    src = _write(tmp_path / "ckpt", FILES)
    k1, k2, k3 = store.new_key(3, 0, 1), store.new_key(3, 1, 1), store.new_key(4, 0, 1)
    for k in (k1, k2, k3):
        store.commit(src, k)
    store.delete(k1)
    store.delete(k1)
    store.delete("study-9/trial-0/step-0-00000000")
    assert not store.exists(k1)
    assert store.list_keys("") == sorted([k2, k3])
    with pytest.raises(ArtifactStoreError, match="not found in"):
        store.fetch(k1)
    store.delete_prefix("study-3/")
    store.delete_prefix("study-3/")
    store.delete_prefix("study-99")
    assert store.list_keys("") == [k3]
    assert store.list_keys("study-3") == []
    assert _read(store.fetch(k3, tmp_path / "out")) == FILES


def test_list_keys_ignores_partial_and_abandoned_uploads(url: str, tmp_path: Path):
    store = ArtifactStore(url)
    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    key = store.new_key(1, 0, 1)
    # a user file that looks like a commit marker, inside a committed checkpoint
    store.commit(_write(tmp_path / "ckpt", {"inner.sturgeon-commit": b"", "w": b"1"}), key)
    # an upload in progress (local stores) and an abandoned direct upload (remote stores)
    for rel in ("study-1/trial-0/step-2-aaaaaaaa.partial-0123abcd/w", "study-1/trial-1/step-1-bbbbbbbb/w"):
        fs.makedirs(f"{root}/{rel}".rsplit("/", 1)[0], exist_ok=True)
        fs.pipe_file(f"{root}/{rel}", b"half")
    assert store.list_keys("") == [key]
    assert store.list_keys("study-1") == [key]
    assert not store.exists("study-1/trial-1/step-1-bbbbbbbb")
    with pytest.raises(ArtifactStoreError, match="not found in"):
        store.fetch("study-1/trial-1/step-1-bbbbbbbb")
    store.delete_prefix("study-1")
    assert not fs.exists(f"{root}/study-1")


def test_max_bytes_refuses_and_writes_nothing(url: str, tmp_path: Path):
    store = ArtifactStore(url, max_bytes=3000)
    src = _write(tmp_path / "ckpt", {"a": b"x" * 2000})
    with pytest.raises(ArtifactStoreError) as info:
        store.commit(src, store.new_key(1, 0, 0), used_bytes=1500)
    msg = str(info.value)
    assert "2.0 KiB" in msg and "1.5 KiB" in msg and "max_bytes=3000" in msg and "2.9 KiB" in msg
    assert url in msg
    fs, root = fsspec.core.url_to_fs(url)
    assert not fs.exists(root) or fs.find(root) == []
    assert store.commit(src, store.new_key(1, 0, 0), used_bytes=1000) == 2000  # exactly the limit


def test_unknown_protocol_names_the_url():
    store = ArtifactStore("nosuchproto://x")
    with pytest.raises(ArtifactStoreError) as info:
        store.exists("study-1/trial-0/step-0-00000000")
    msg = str(info.value)
    assert "nosuchproto://x" in msg and "exists" in msg and "study-1/trial-0/step-0-00000000" in msg
    assert isinstance(info.value.__cause__, ValueError)
    with pytest.raises(ArtifactStoreError, match="nosuchproto"):
        store.is_local()


def test_unwritable_local_root_names_the_url(tmp_path: Path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    src = _write(tmp_path / "ckpt", {"w": b"1"})
    for url in (str(blocker / "store"), (blocker / "store").as_uri()):
        store = ArtifactStore(url)
        key = store.new_key(1, 0, 0)
        with pytest.raises(ArtifactStoreError) as info:
            store.commit(src, key)
        assert url in str(info.value) and "commit" in str(info.value) and key in str(info.value)
        assert isinstance(info.value.__cause__, OSError)
    assert blocker.read_text() == "not a folder"


def test_failed_upload_leaves_nothing(url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    store = ArtifactStore(url)
    fs, root = fsspec.core.url_to_fs(url)
    calls = []

    def flaky_put_file(self: object, lpath: str, rpath: str, **kwargs: object) -> None:
        calls.append(rpath)
        if len(calls) == 2:
            raise PermissionError("disk says no")
        fs.pipe_file(rpath, Path(lpath).read_bytes())

    monkeypatch.setattr(type(fs), "put_file", flaky_put_file)
    key = store.new_key(1, 0, 0)
    with pytest.raises(ArtifactStoreError, match="disk says no") as info:
        store.commit(_write(tmp_path / "ckpt", FILES), key)
    assert isinstance(info.value.__cause__, PermissionError)
    monkeypatch.undo()
    assert not store.exists(key)
    assert fs.find(root) == []


def test_missing_fsspec_says_how_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)
    with pytest.raises(ArtifactStoreError, match="pip install fsspec"):
        ArtifactStore("memory://x").exists("a")


def test_import_sturgeon_does_not_import_fsspec():
    code = "import sturgeon, sturgeon.artifacts, sys; print('fsspec' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pickles_as_its_url(tmp_path: Path):
    store = ArtifactStore(str(tmp_path / "store"), max_bytes=10_000)
    key = store.new_key(1, 0, 0)
    store.commit(_write(tmp_path / "ckpt", {"w": b"1"}), key)
    clone = pickle.loads(pickle.dumps(store))
    assert (clone.url, clone.max_bytes) == (store.url, store.max_bytes)
    assert clone.exists(key)
    assert repr(clone) == f"ArtifactStore({store.url!r}, max_bytes=10000)"


@pytest.mark.parametrize(
    ("storage_url", "expected"),
    [
        ("sqlite:////data/runs/sturgeon.db", "/data/runs/sturgeon_artifacts"),
        ("sqlite+pysqlite:////data/exp.sqlite3", "/data/exp_artifacts"),
        ("sqlite:////data/noext", "/data/noext_artifacts"),
        ("sqlite:////data/a/../b/s.db", "/data/b/s_artifacts"),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:mem1?mode=memory&cache=shared&uri=true", None),
        (None, None),
        ("postgresql://user@host/db", None),
        ("mysql+pymysql://u:p@h/db", None),
        ("not a url", None),
    ],
)
def test_default_artifacts_url(storage_url: str | None, expected: str | None):
    assert default_artifacts_url(storage_url) == expected


def test_default_artifacts_url_relative_and_uri_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert default_artifacts_url("sqlite:///sub/study.db") == str(tmp_path / "sub" / "study_artifacts")
    assert default_artifacts_url("sqlite:///study.db") == str(tmp_path / "study_artifacts")
    assert default_artifacts_url("sqlite:///file:x.db?mode=ro&uri=true") == str(tmp_path / "x_artifacts")
    with pytest.raises(InvalidValueError, match="storage_url"):
        default_artifacts_url(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (1536, "1.5 KiB"), (5 * 2**20, "5.0 MiB"),
     (2**30 - 1, "1.0 GiB"), (3 * 2**40, "3.0 TiB"), (2**70, "1024.0 EiB"), (-2048, "-2.0 KiB")],
)  # fmt: skip
def test_human_bytes(n: int, text: str):
    assert human_bytes(n) == text


@pytest.mark.parametrize(
    ("kwargs", "param"),
    [
        ({"url": ""}, "url"),
        ({"url": "  "}, "url"),
        ({"url": None}, "url"),
        ({"url": 3}, "url"),
        ({"url": "memory://x", "max_bytes": 0}, "max_bytes"),
        ({"url": "memory://x", "max_bytes": -5}, "max_bytes"),
        ({"url": "memory://x", "max_bytes": True}, "max_bytes"),
        ({"url": "memory://x", "max_bytes": 1.5}, "max_bytes"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, object], param: str):
    with pytest.raises(InvalidValueError, match=rf"ArtifactStore: {param} must be"):
        ArtifactStore(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "key", ["", "/abs", "a//b", "a/", "../x", "a/./b", "a\\b", "a.partial-1f", "k.sturgeon-commit", 3]
)
def test_bad_keys(tmp_path: Path, key: object):
    store = ArtifactStore(str(tmp_path / "store"))
    (tmp_path / "ckpt").mkdir()
    for call in (
        lambda: store.commit(tmp_path / "ckpt", key),  # type: ignore[arg-type]
        lambda: store.fetch(key),  # type: ignore[arg-type]
        lambda: store.exists(key),  # type: ignore[arg-type]
        lambda: store.delete(key),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidValueError, match="key must be"):
            call()
    assert not (tmp_path / "store").exists()


def test_bad_other_arguments(tmp_path: Path):
    store = ArtifactStore(str(tmp_path / "store"))
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "f").write_text("x")
    for args in ((-1, 0, 0), (0, -1, 0), (0, 0, -1), (True, 0, 0), (0, 1.0, 0)):
        with pytest.raises(InvalidValueError, match="new_key: .* must be an int >= 0"):
            store.new_key(*args)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="used_bytes must be an int >= 0"):
        store.commit(tmp_path / "ckpt", "k", used_bytes=-1)
    for bad in (tmp_path / "missing", tmp_path / "f", 5):
        with pytest.raises(InvalidValueError, match="local_dir must be an existing folder"):
            store.commit(bad, "k")  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="dest must be"):
        store.fetch("k", dest=5)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="prefix must be"):
        store.delete_prefix("")
    with pytest.raises(InvalidValueError, match="prefix must be"):
        store.list_keys("../up")
    assert store.list_keys("") == []
    assert not (tmp_path / "store").exists()
