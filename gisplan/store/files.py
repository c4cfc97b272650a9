"""Files behind a store: the write lock, temp copies replaced atomically, and the verification cache.

Every write of a store (:mod:`gisplan.store.gpkg`) runs in :func:`write_session`:

- it takes the store's exclusive lock (``flock`` on a ``.lock`` file beside the
  store, waiting up to a timeout) and checks that the lock it holds is on the
  file that is there (a lock file replaced or removed by another program is
  not a lock);
- it removes temp copies of earlier writes only when their writer is provably
  gone (each temp copy is named after its writer: host, boot, process id and
  start time; a writer on another host or of another boot of unknown kind is
  left alone);
- it writes into a fresh temp copy beside the store, which it creates itself
  (never re-created by a later open: SQLite is opened with ``mode=rw``) and
  keeps open, then stamps it with a random token;
- before the ``os.replace`` it checks that the temp path still names the very
  file it wrote (device, inode, size and its own stamp), that its lock is still
  the store's lock, and that nobody replaced the store meanwhile (a writer on
  another host where ``flock`` is not shared): otherwise it stops with one
  :class:`~gisplan.errors.StoreError` and leaves the store untouched.

A failure, a SIGTERM or SIGINT removes the temp copy and leaves the store as
it was; a full device becomes one :class:`~gisplan.errors.StoreError` saying so.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import json
import math
import os
import secrets
import signal
import socket
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from ..errors import GisplanError, StoreError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: filelock's msvcrt lock instead
    fcntl = None

__all__ = ["LOCK_TIMEOUT", "store_lock", "write_session", "refuse_foreign_wal", "pause_hook", "owned_files",
           "is_owned_by", "connect_rw", "writer_tag", "STAMP_TABLE", "new_temp", "forget_temp", "remove_live_temps"]

#: Seconds a writer waits for another writer's lock by default.
LOCK_TIMEOUT = 60.0
#: The table holding the random token of the write that made a store file.
STAMP_TABLE = "gisplan_write_stamp"


def one_line(exc: BaseException) -> str:
    """An exception's text on one line."""
    return " ".join(str(exc).split())


#: errno values that mean "the device (or the process's file-size limit) is full".
_NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NO_SPACE_TEXT = ("no space left", "file too large", "disk is full", "disk quota", "database or disk is full")
_SIDECARS = ("", "-wal", "-shm", "-journal")
#: Files beside a store that belong to it (besides its temp copies and its rasters folder).
_OWNED_SUFFIXES = ("-wal", "-shm", "-journal", ".lock")


def _real(path: str | os.PathLike) -> Path:
    """The store's real file (a symlinked store is written where it really is, locked there too)."""
    return Path(os.path.realpath(os.fspath(path)))


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


# ----------------------------------------------------------------------------- files a store owns


def owned_files(path: str | os.PathLike) -> list[Path]:
    """The fixed files that belong to the store at ``path``: itself, its SQLite sidecars and its lock file.

    Its temp copies and its rasters folder belong to it too (see :func:`is_owned_by`).
    """
    p = Path(path)
    return [p, *(p.with_name(p.name + s) for s in _OWNED_SUFFIXES)]


def is_owned_by(store: str | os.PathLike, candidate: str | os.PathLike) -> bool:
    """Whether ``candidate`` (a real path) is the store ``store`` or a file it owns.

    The store, its ``-wal``/``-shm``/``-journal`` sidecars, its ``.lock`` file,
    its temp copies (``.<name>.<writer>.<random>.tmp.gpkg`` and their sidecars)
    and anything in its rasters folder (``<name>.rasters/``).
    """
    s = Path(store)
    c = Path(candidate)
    if c in owned_files(s):
        return True
    if c.parent == s.parent and c.name.startswith(f".{s.name}.") and \
            any(c.name.endswith(".tmp.gpkg" + x) for x in _SIDECARS):
        return True
    rasters = s.with_name(s.name + ".rasters")
    return c == rasters or rasters in c.parents


def _refuse_owned_name(path: Path) -> None:
    """A store may not be written over a file another store owns (its lock file, a sidecar)."""
    for suffix in _OWNED_SUFFIXES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            owner = path.with_name(path.name[: -len(suffix)])
            if owner.is_file():
                raise StoreError(f"cannot write a store at {path}: it is the {suffix.lstrip('.-')} file of store "
                                 f"{owner}; choose another store file")


# ----------------------------------------------------------------------------- writers


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _boot_tag() -> str:
    try:
        text = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return "0" * 8
    return hashlib.sha1(text.encode()).hexdigest()[:8]


def _start_time(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks since boot) of a process from /proc; None when it does not exist."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        return ("?", -1)
    fields = text.rsplit(")", 1)[-1].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return ("?", -1)


def writer_tag(pid: int | None = None) -> str:
    """Who writes: ``<host>-<boot>-<pid>-<start time>`` (hashes of the host name and boot id)."""
    pid = os.getpid() if pid is None else pid
    info = _start_time(pid) if Path("/proc").is_dir() else None
    start = info[1] if info and info[1] >= 0 else 0
    return f"{_host_tag()}-{_boot_tag()}-{pid}-{start}"


def _writer_gone(tag: str) -> bool:
    """Whether the writer named by ``tag`` is provably gone (same host: another boot, or its process ended)."""
    try:
        host, boot, pid_text, start_text = tag.split("-")
        pid, start = int(pid_text), int(start_text)
    except ValueError:
        return False  # not a tag of ours: nothing proven
    if host != _host_tag():
        return False  # another host: its processes cannot be seen from here
    if boot != _boot_tag():
        return True  # written before this machine last started
    if Path("/proc").is_dir():
        info = _start_time(pid)
        if info is None:
            return True
        state, now_start = info
        if state in ("Z", "X"):
            return True  # ended, not yet reaped
        return now_start >= 0 and start > 0 and now_start != start  # the id now belongs to another process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


# ----------------------------------------------------------------------------- the lock

#: Per store (its real path) the (device, inode) of the lock file this process holds.
_HELD: dict[str, tuple[int, int]] = {}


def _open_lock_file(lock_file: Path, path: Path) -> int:
    """The lock file, opened (made when missing); never through a symbolic link (which could make a file anywhere)."""
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.open(lock_file, os.O_RDWR | os.O_CREAT | nofollow, 0o666)
    except PermissionError:
        try:
            return os.open(lock_file, os.O_RDONLY | nofollow)  # flock works on a read-only descriptor too
        except OSError as exc:
            raise StoreError(f"cannot lock store {path} ({one_line(exc)})") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(lock_file):
            raise StoreError(f"cannot lock store {path}: its lock file {lock_file.name} is a symbolic link; "
                             "remove it") from None
        raise StoreError(f"cannot lock store {path} ({one_line(exc)})") from None


def _timeout_error(path: Path, timeout: float) -> StoreError:
    return StoreError(f"store {path} is being written by another gisplan process (still locked after "
                      f"{timeout:g} s); try again later or pass a longer `lock_timeout`")


@contextmanager
def store_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the exclusive write lock of the store at ``path`` (a ``.lock`` file beside it).

    The lock is ``flock`` on the lock file; once taken, it is checked to be on
    the file the lock path names (a lock file replaced or removed meanwhile is
    locked again), and :func:`write_session` checks it again before replacing
    the store.

    Parameters
    ----------
    path : path
        The store file (it need not exist yet; a symlink is followed).
    timeout : float
        Seconds to wait for another writer.

    Raises
    ------
    StoreError
        Another process kept the lock longer than ``timeout``.
    """
    if timeout is None or not math.isfinite(timeout) or timeout < 0:
        raise StoreError(f"`lock_timeout` must be a non-negative number of seconds, got {timeout!r}")
    path = _real(path)
    if fcntl is None:  # pragma: no cover - Windows
        yield from _filelock(path, float(timeout))
        return
    lock_file = _lock_path(path)
    deadline = time.monotonic() + float(timeout)
    while True:
        fd = _open_lock_file(lock_file, path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= deadline:
                raise _timeout_error(path, float(timeout)) from None
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
            continue
        except OSError as exc:
            os.close(fd)
            raise StoreError(f"cannot lock store {path} ({one_line(exc)})") from None
        st = os.fstat(fd)
        try:
            now = os.stat(lock_file)
        except FileNotFoundError:
            now = None
        if now is not None and (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino):
            break
        os.close(fd)  # the lock file was replaced or removed after it was opened: lock the one there now
        if time.monotonic() >= deadline:
            raise _timeout_error(path, float(timeout))
    key = str(path)
    before = _HELD.get(key)
    _HELD[key] = (st.st_dev, st.st_ino)
    try:
        yield
    finally:
        if before is None:
            _HELD.pop(key, None)
        else:
            _HELD[key] = before
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError:
            pass
        os.close(fd)


def _filelock(path: Path, timeout: float) -> Iterator[None]:  # pragma: no cover - Windows
    import filelock

    lock = filelock.FileLock(str(_lock_path(path)), timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise _timeout_error(path, timeout) from None
    except OSError as exc:
        raise StoreError(f"cannot lock store {path} ({one_line(exc)})") from None
    try:
        yield
    finally:
        lock.release()


def _lock_still_held(path: Path) -> bool:
    """Whether the lock this process took on ``path`` is still on the store's lock file (True when unknown)."""
    held = _HELD.get(str(path))
    if held is None:
        return True
    try:
        st = os.stat(_lock_path(path))
    except OSError:
        return False
    return (st.st_dev, st.st_ino) == held


# ----------------------------------------------------------------------------- temp files of this process

#: Temp files this process made and has not yet renamed or removed (with their SQLite sidecars).
_LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGTERM and SIGINT back (they arrive right after): a temp file is made and registered as one step."""
    held = {signal.SIGTERM, signal.SIGINT}
    try:
        old = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # pragma: no cover - no POSIX signal masks
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def new_temp(make: Callable[[], str]) -> str:
    """Run ``make()`` (which creates a temp file and returns its path) with signals held, and register the path.

    Whatever moment a SIGTERM or Ctrl-C arrives, a registered temp file is
    removed before the process ends (:func:`remove_live_temps`, also run at
    exit) unless it was renamed into place or removed first (:func:`forget_temp`).
    """
    with _signals_held():
        path = make()
        pause_hook("temp_made")  # tests: a signal sent now arrives right after the registration
        with _LIVE_LOCK:
            _LIVE.add(str(path))
    return path


def forget_temp(path: str | os.PathLike) -> None:
    """The temp file was renamed into place or removed: no longer this process's to clean up."""
    with _LIVE_LOCK:
        _LIVE.discard(str(path))


def remove_live_temps() -> None:
    """Remove every temp file this process still has (a signal ended the write that made it)."""
    with _LIVE_LOCK:
        paths = list(_LIVE)
        _LIVE.clear()
    for tmp in paths:
        for suffix in _SIDECARS:
            try:
                os.unlink(tmp + suffix)
            except OSError:
                pass


atexit.register(remove_live_temps)


# ----------------------------------------------------------------------------- temp copies


def _temp_files(path: Path) -> list[tuple[Path, str | None]]:
    """Temp stores (and their SQLite sidecars) beside ``path``, each with its writer's tag (None: unknown)."""
    prefix = f".{path.name}."
    found = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        if not name.startswith(prefix):
            continue
        for sidecar in _SIDECARS:
            end = ".tmp.gpkg" + sidecar
            if name.endswith(end):
                middle = name[len(prefix): len(name) - len(end)].split(".")
                found.append((path.parent / name, middle[0] if len(middle) == 2 else None))
                break
    return found


def _remove_stale_temps(path: Path) -> None:
    """Remove temp copies of earlier writes whose writer is provably gone (killed, or before a reboot).

    A temp copy of a live writer (another process holding a lock gisplan did
    not see, a writer on another host) or of unknown origin is left alone.
    """
    for p, tag in _temp_files(path):
        if tag is None or not _writer_gone(tag):
            continue
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
    forget_temp(tmp)


def connect_rw(path: str | os.PathLike) -> sqlite3.Connection:
    """A read-write SQLite connection to an existing file (a missing file is an error, never created).

    Raises
    ------
    sqlite3.OperationalError
        When the file does not exist.
    """
    uri = Path(os.path.abspath(os.fspath(path))).as_uri() + "?mode=rw"
    return sqlite3.connect(uri, uri=True)


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
    if threading.current_thread() is not threading.main_thread() or \
            signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:  # the caller handles SIGTERM already (the CLI)
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


def _copy_into(source: Path, fd: int) -> None:
    """Copy the file ``source`` into the open, empty file ``fd`` (kernel copy when it can)."""
    with open(source, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        done = 0
        try:
            while done < size:
                sent = os.sendfile(fd, src.fileno(), done, min(size - done, 1 << 30))
                if sent == 0:
                    break
                done += sent
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
                raise
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            src.seek(0)
            for block in iter(lambda: src.read(1 << 20), b""):
                os.write(fd, block)
            return
        while True:  # the file grew while copied (it must not: the size check after the copy says so)
            block = src.read(1 << 20)
            if not block:
                break
            os.write(fd, block)


def _vanished(path: Path) -> StoreError:
    return StoreError(f"the temporary copy of {path} was removed or replaced by another program while it was "
                      "written; the store is unchanged (run the command again)")


def _stamp(tmp: str, token: str, path: Path) -> None:
    """Write this write's token into the temp copy and check the file (never creating it)."""
    try:
        with closing(connect_rw(tmp)) as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {STAMP_TABLE} (token TEXT NOT NULL, written_by TEXT NOT NULL, "
                        "written_at TEXT NOT NULL)")
            con.execute(f"DELETE FROM {STAMP_TABLE}")
            con.execute(f"INSERT INTO {STAMP_TABLE} VALUES (?, ?, ?)",
                        (token, writer_tag(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            con.commit()
            ok = con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.OperationalError as exc:
        if "unable to open" in str(exc).lower():
            raise _vanished(path) from None
        raise
    if not ok:
        raise StoreError(f"writing {path} produced a damaged file; the store is unchanged")


def _check_ours(tmp: str, fd: int, token: str, path: Path, store_before: list[int] | None) -> None:
    """Before the replace: the temp path names the file this write made, its lock holds, the store is as found."""
    mine = os.fstat(fd)
    try:
        there = os.stat(tmp)
    except FileNotFoundError:
        raise _vanished(path) from None
    if (there.st_dev, there.st_ino, there.st_size) != (mine.st_dev, mine.st_ino, mine.st_size):
        raise _vanished(path)
    try:
        with closing(sqlite3.connect(Path(os.path.abspath(tmp)).as_uri() + "?mode=ro", uri=True)) as con:
            row = con.execute(f"SELECT token FROM {STAMP_TABLE}").fetchone()
    except sqlite3.Error:
        row = None
    if row is None or row[0] != token:
        raise _vanished(path)
    if not _lock_still_held(path):
        raise StoreError(f"the lock file of store {path} was replaced or removed by another program while this write "
                         "ran, so another writer may have written meanwhile; the store is unchanged (run the "
                         "command again)")
    if file_id(path) != store_before:
        raise StoreError(f"store {path} was replaced by another program while this write ran (a writer that did not "
                         "take gisplan's lock, e.g. on another computer); the store is unchanged by this write "
                         "(run the command again)")


def _temp_lost(tmp: str, fd: int | None) -> bool:
    """Whether the temp path no longer names the file this write made (removed or replaced)."""
    try:
        there = os.stat(tmp)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if fd is None:
        return False
    mine = os.fstat(fd)
    return (there.st_dev, there.st_ino) != (mine.st_dev, mine.st_ino)


def _create_temp(path: Path) -> str:
    return str(path.with_name(f".{path.name}.{writer_tag()}.{secrets.token_hex(4)}.tmp.gpkg"))


@contextmanager
def write_session(path: Path, lock_timeout: float, *, copy_existing: bool, locked: bool = False,
                  init: Callable[[str], None] | None = None) -> Iterator[str]:
    """Lock ``path``, yield a temp file beside it, check and move it over ``path`` on success.

    Parameters
    ----------
    path : Path
        The store (a symlink is followed: the real file is locked and replaced).
    lock_timeout : float
    copy_existing : bool
        Start from a copy of the store (a transaction); else from ``init``.
    locked : bool
        The caller holds the store's lock already.
    init : callable, optional
        ``init(tmp)`` makes the new store file (when not ``copy_existing``);
        without it the caller's first write makes it.

    Temp copies of writers that are provably gone are removed first. On any
    failure (and on SIGTERM/SIGINT) the temp file is removed and the store is
    left as it was; a full device becomes one :class:`StoreError` saying so.
    """
    path = _real(path)
    _refuse_owned_name(path)
    if locked:
        yield from _session_body(path, copy_existing, init)
        return
    with store_lock(path, lock_timeout):
        yield from _session_body(path, copy_existing, init)


def _open_existing(tmp: str, path: Path) -> int:
    try:
        return os.open(tmp, os.O_RDWR)  # no O_CREAT: a temp copy that vanished is not made again
    except FileNotFoundError:
        raise _vanished(path) from None


def _session_body(path: Path, copy_existing: bool, init: Callable[[str], None] | None) -> Iterator[str]:
    _remove_stale_temps(path)
    refuse_foreign_wal(path)
    with _terminate_as_interrupt():
        tmp = new_temp(lambda: _create_temp(path))
        fd: int | None = None
        store_before = file_id(path)
        try:
            if copy_existing:
                if store_before is None:
                    raise StoreError(f"store {path} no longer exists (removed by another program?); nothing was written")
                fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o666)
                _copy_into(path, fd)
                if file_id(path) != store_before:
                    raise StoreError(f"store {path} changed while it was copied (written by another program?); "
                                     "nothing was written")
            elif init is not None:
                init(tmp)
                fd = _open_existing(tmp, path)
            pause_hook("copied")
            yield tmp
            pause_hook("written")
            if fd is None:
                fd = _open_existing(tmp, path)
            token = secrets.token_hex(16)
            _stamp(tmp, token, path)
            os.fsync(fd)
            pause_hook("stamped")
            _check_ours(tmp, fd, token, path, store_before)
            try:
                os.replace(tmp, path)
            except PermissionError as exc:  # Windows cannot replace a file another process holds open
                raise StoreError(f"cannot replace {path}: it is open in another program or gisplan process "
                                 f"({one_line(exc)}); close it and try again; the store is unchanged") from None
            forget_temp(tmp)
            _fsync_dir(path.parent)
            pause_hook("replaced")
        except GisplanError:
            _remove_temp(tmp)
            raise
        except Exception as exc:
            if _temp_lost(tmp, fd):  # the writer failed because its file went away: say that
                _remove_temp(tmp)
                raise _vanished(path) from None
            full = _no_space(exc, path.parent)
            _remove_temp(tmp)
            if full:
                raise StoreError(f"no space left on device writing {path} ({one_line(exc)[:200]}); "
                                 "the store is unchanged") from None
            raise
        except BaseException:
            _remove_temp(tmp)
            raise
        finally:
            if fd is not None:
                os.close(fd)


def pause_hook(moment: str) -> None:
    """Test hook: ``GISPLAN_TEST_PAUSE=moment:seconds`` sleeps at a moment of a write (kill tests).

    ``moment:@FILE`` waits until ``FILE`` exists instead (at most 10 minutes), so a
    test decides when the write goes on, whatever the machine's load.
    """
    spec = os.environ.get("GISPLAN_TEST_PAUSE", "")
    if spec.startswith(moment + ":"):
        import sys

        print(f"gisplan-test-pause {moment}", file=sys.stderr, flush=True)
        value = spec.split(":", 1)[1]
        if value.startswith("@"):
            deadline = time.monotonic() + 600
            while not os.path.exists(value[1:]) and time.monotonic() < deadline:
                time.sleep(0.02)
        else:
            time.sleep(float(value))


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
    from ..user_cache import cache_dir

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
