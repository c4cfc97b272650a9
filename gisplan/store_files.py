"""Files behind a store: the write lock, temp copies replaced atomically, and the verification cache.

Every write of a store (:mod:`gisplan.store`) runs in :func:`write_session`:
it takes the store's exclusive lock (a ``.lock`` file beside it, waiting up to
a timeout), removes temp files of writes killed earlier, writes into a fresh
temp copy and moves it over the store in one ``os.replace``. A failure, a
SIGTERM or SIGINT removes the temp copy and leaves the store as it was; a full
device becomes one :class:`~gisplan.errors.StoreError` saying so.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import signal
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from .errors import GisplanError, StoreError

__all__ = ["LOCK_TIMEOUT", "store_lock", "write_session", "refuse_foreign_wal", "pause_hook"]

#: Seconds a writer waits for another writer's lock by default.
LOCK_TIMEOUT = 60.0


def one_line(exc: BaseException) -> str:
    """An exception's text on one line."""
    return " ".join(str(exc).split())


#: errno values that mean "the device (or the process's file-size limit) is full".
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_SPACE_TEXT = ("no space left", "file too large", "disk is full", "disk quota", "database or disk is full")
_SIDECARS = ("", "-wal", "-shm", "-journal")


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextmanager
def store_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the exclusive write lock of the store at ``path`` (a ``.lock`` file beside it).

    Parameters
    ----------
    path : path
        The store file (it need not exist yet).
    timeout : float
        Seconds to wait for another writer.

    Raises
    ------
    StoreError
        Another process kept the lock longer than ``timeout``.
    """
    import filelock

    path = Path(path)
    if timeout is None or not math.isfinite(timeout) or timeout < 0:
        raise StoreError(f"`lock_timeout` must be a non-negative number of seconds, got {timeout!r}")
    lock = filelock.FileLock(str(_lock_path(path)), timeout=float(timeout))
    try:
        lock.acquire()
    except filelock.Timeout:
        raise StoreError(f"store {path} is being written by another gisplan process (still locked after "
                         f"{timeout:g} s); try again later or pass a longer `lock_timeout`") from None
    except OSError as exc:
        raise StoreError(f"cannot lock store {path} ({one_line(exc)})") from None
    try:
        yield
    finally:
        lock.release()


def _temp_files(path: Path) -> list[Path]:
    """Temp stores (and their SQLite sidecars) a write of ``path`` leaves when it is killed."""
    prefix = f".{path.name}."
    return [p for p in path.parent.glob(f".{_glob_escape(path.name)}.*")
            if p.name.startswith(prefix) and any(p.name.endswith(".tmp.gpkg" + s) for s in _SIDECARS)]


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def _remove_stale_temps(path: Path) -> None:
    """Remove temp files of killed writes (called under the lock: only its holder makes temps)."""
    for p in _temp_files(path):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _remove_temp(tmp: str) -> None:
    for suffix in _SIDECARS:
        try:
            os.unlink(tmp + suffix)
        except FileNotFoundError:
            pass


def refuse_foreign_wal(path: Path) -> None:
    """gisplan never leaves a write-ahead log beside a store: one means another program is editing it."""
    wal = Path(str(path) + "-wal")
    if wal.is_file() and wal.stat().st_size > 0:
        raise StoreError(f"store {path} is open for editing in another program ({wal.name} present): close it, "
                         f"then run `gisplan layers rebuild {path}`")


def _no_space(exc: BaseException, folder: Path) -> bool:
    """Whether a failed write failed for want of space (or the file-size limit)."""
    seen = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _NO_SPACE_ERRNOS:
            return True
        if any(t in str(e).lower() for t in _NO_SPACE_TEXT):
            return True
        e = e.__cause__ or e.__context__
    # GDAL turns a failed write into other messages ("Layer ... already exists"): probe the folder
    try:
        fd, probe = tempfile.mkstemp(prefix=".gisplan-space-probe.", dir=folder)
    except OSError as probe_exc:
        return probe_exc.errno in _NO_SPACE_ERRNOS
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(b"\0" * (1 << 20))
            fh.flush()
            os.fsync(fh.fileno())
        return False
    except OSError as probe_exc:
        return probe_exc.errno in _NO_SPACE_ERRNOS
    finally:
        try:
            os.unlink(probe)
        except OSError:
            pass


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt while a write runs, so its temp file is removed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def write_session(path: Path, lock_timeout: float, *, copy_existing: bool, locked: bool = False) -> Iterator[str]:
    """Lock ``path``, yield a temp file beside it, check and move it over ``path`` on success.

    Stale temp files of killed writes are removed first. On any failure (and on
    SIGTERM/SIGINT) the temp file is removed and the store is left as it was; a
    full device becomes one :class:`StoreError` saying so.
    """
    path = Path(path)
    if locked:
        yield from _session_body(path, copy_existing)
        return
    with store_lock(path, lock_timeout):
        yield from _session_body(path, copy_existing)


def _session_body(path: Path, copy_existing: bool) -> Iterator[str]:
    _remove_stale_temps(path)
    refuse_foreign_wal(path)
    with _terminate_as_interrupt():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp.gpkg", dir=path.parent)
        os.close(fd)
        os.unlink(tmp)
        try:
            if copy_existing and path.exists():
                shutil.copyfile(path, tmp)
            pause_hook("copied")
            yield tmp
            pause_hook("written")
            with closing(sqlite3.connect(tmp)) as con:
                ok = con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            if not ok:
                raise StoreError(f"writing {path} produced a damaged file; the store is unchanged")
            with open(tmp, "r+b") as fh:  # writable: Windows flushes only a handle open for writing
                os.fsync(fh.fileno())
            try:
                os.replace(tmp, path)
            except PermissionError as exc:  # Windows cannot replace a file another process holds open
                raise StoreError(f"cannot replace {path}: it is open in another program or gisplan process "
                                 f"({one_line(exc)}); close it and try again; the store is unchanged") from None
            _fsync_dir(path.parent)
            pause_hook("replaced")
        except GisplanError:
            _remove_temp(tmp)
            raise
        except Exception as exc:
            full = _no_space(exc, path.parent)
            _remove_temp(tmp)
            if full:
                raise StoreError(f"no space left on device writing {path} ({one_line(exc)[:200]}); "
                                 "the store is unchanged") from None
            raise
        except BaseException:
            _remove_temp(tmp)
            raise


def pause_hook(moment: str) -> None:
    """Test hook: ``GISPLAN_TEST_PAUSE=moment:seconds`` sleeps at a moment of a write (kill tests)."""
    spec = os.environ.get("GISPLAN_TEST_PAUSE", "")
    if spec.startswith(moment + ":"):
        import sys
        import time

        print(f"gisplan-test-pause {moment}", file=sys.stderr, flush=True)
        time.sleep(float(spec.split(":", 1)[1]))


# ----------------------------------------------------------------------------- verification cache

# Checksumming a province-scale store takes a second or two. A file gisplan
# wrote is never changed in place, and any edit by another tool changes its
# ctime (which no tool can set back), so "this inode, size, mtime and ctime
# was verified" is remembered per user and a store is checksummed once per version.
_CACHE_ENTRIES = 64


def file_id(path: Path) -> list[int] | None:
    """Identity of a file version: device, inode, size, mtime and ctime (ns); None when missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _cache_file() -> Path:
    from .user_cache import cache_dir

    return cache_dir() / "verified.json"


def _read_cache() -> dict:
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def cached_verified(path: Path, file_id: list[int] | None) -> set[str]:
    """Names verified before for exactly this file (empty when unknown)."""
    if file_id is None:
        return set()
    entry = _read_cache().get(str(path.resolve()))
    if isinstance(entry, dict) and entry.get("id") == file_id and isinstance(entry.get("names"), list):
        return {str(n) for n in entry["names"]}
    return set()


def remember_verified(path: Path, file_id: list[int], names: set[str]) -> None:
    """Record verified names for this file (best effort: a read-only home just means re-checking).

    Not for a file changed in the last two seconds: on a file system with coarse
    timestamps an edit right after it could keep the same times.
    """
    import time

    if time.time_ns() - file_id[4] < 2_000_000_000:
        return
    cache = _cache_file()
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        data = _read_cache()
        key = str(path.resolve())
        data.pop(key, None)
        data[key] = {"id": file_id, "names": sorted(names)}
        data = dict(list(data.items())[-_CACHE_ENTRIES:])
        fd, tmp = tempfile.mkstemp(prefix=".verified.", suffix=".json", dir=cache.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, cache)
    except OSError:
        pass
