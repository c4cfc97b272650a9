"""Safe output files: every writer of gisplan goes through :func:`atomic_output`.

An output is written to a unique temporary file beside its target
(:func:`tempfile.mkstemp`), flushed to disk and renamed over the target with
:func:`os.replace`, so a reader sees the old file or the new one, never half of
one, and two processes writing one path never mix their contents. The temporary
file is removed on any failure, including Ctrl-C and SIGTERM (the CLI turns
SIGTERM into an exception so that this cleanup runs); one left behind by a
``kill -9`` is removed by the next write into the same folder.

The target is checked first: a symlink is written through to the file it points
to (the link stays a link); a folder, FIFO, device or socket is refused; a
*protected* path (the store and the input files, registered by the CLI with
:func:`protect`) is refused. A failure the user can fix (permission denied, no
space left, read-only file system) is an :class:`~gisplan.errors.OutputError`.

Also here: file names built from site ids (:func:`safe_file_stem`), neutralising
spreadsheet formulas (:func:`defuse_cell`, OWASP CSV injection) and removing
characters XML cannot hold (:func:`xml_safe`).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import GisplanError, OutputError
from ..store.files import forget_temp, new_temp, pause_hook

__all__ = [
    "atomic_output", "atomic_output_folder", "check_output_folder", "check_output_path", "defuse_cell", "encodable",
    "make_folder", "protect", "unprotect",
    "os_error_reason", "safe_file_stem", "store_of", "write_bytes", "write_text", "xml_safe", "MAX_NAME_BYTES",
]

#: Longest file name (bytes, UTF-8, suffix included) built from a site id.
MAX_NAME_BYTES = 200
#: Temporary files of writers are named ``.gisplan-<pid>-<random>.tmp<suffix>``.
TEMP_PREFIX = ".gisplan-"
_TEMP_RE = re.compile(r"^\.gisplan-(\d+)-.*\.tmp")
#: A temp file of a dead process is removed only when older than this (seconds):
#: another host sharing the folder (NFS) has pids this one cannot see.
STALE_AFTER_S = 60.0
_SIDECARS = ("-journal", "-wal", "-shm")
#: Files that belong to a protected file and are protected with it.
_COMPANIONS = {
    ".shp": (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx"),
    ".gpkg": ("-wal", "-shm", "-journal"),
}

# (token, real path, (st_dev, st_ino) or None, role, a store: its owned files too)
_PROTECTED: list[tuple[int, str, tuple[int, int] | None, str, bool]] = []
_TOKEN = [0]

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "it is a folder",
    errno.EFBIG: "file too large",
    errno.ENOENT: "no such file or folder",
    errno.ELOOP: "too many levels of symbolic links",
}


# --------------------------------------------------------------------------- protected inputs


def protect(*paths: str | os.PathLike | None, role: str = "an input", store: bool = False) -> int:
    """Refuse writing over ``paths`` until :func:`unprotect` is called with the token.

    Parameters
    ----------
    *paths : path or None
        Files that outputs must never replace (the store, input files); ``None``
        is skipped. A shapefile's ``.dbf``/``.shx``/``.prj``... and a GeoPackage's
        ``-wal``/``-shm``/``-journal`` are protected with it.
    role : str
        What they are, for the message (``"the store"``, ``"an input"``).
    store : bool
        ``paths`` are layer stores: every file a store owns is protected with
        it (its lock file, SQLite sidecars, temp copies of writes and its
        rasters folder; see :func:`gisplan.store.files.is_owned_by`), whatever
        its file name's extension.

    Returns
    -------
    int
        A token for :func:`unprotect`.
    """
    from ..store.files import owned_files

    _TOKEN[0] += 1
    token = _TOKEN[0]
    if not store:
        for p in _with_companions(paths):
            _protect_one(token, p, role, False)
        return token
    for p in paths:
        if p is None or os.fspath(p) == "" or "://" in os.fspath(p):
            continue
        _protect_one(token, p, role, True)
        for owned in owned_files(os.path.realpath(os.fspath(p)))[1:]:
            _protect_one(token, owned, f"a file that belongs to {role}", False)
    return token


def _protect_one(token: int, path: str | os.PathLike, role: str, store: bool) -> None:
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
        ident = (st.st_dev, st.st_ino)
    except OSError:
        ident = None
    _PROTECTED.append((token, real, ident, role, store))


def _with_companions(paths) -> list[str]:
    out = []
    for p in paths:
        if p is None or os.fspath(p) == "":
            continue
        p = os.fspath(p)
        out.append(p)
        base, ext = os.path.splitext(p)
        for extra in _COMPANIONS.get(ext.lower(), ()):
            out.append(p + extra if extra.startswith("-") else base + extra)
    return out


def unprotect(token: int) -> None:
    """Forget the paths registered by :func:`protect` under ``token``."""
    _PROTECTED[:] = [entry for entry in _PROTECTED if entry[0] != token]


def _protected_role(real: str, st: os.stat_result | None) -> str | None:
    from ..store.files import is_owned_by

    for _, path, ident, role, store in _PROTECTED:
        if path == real:
            return role
        if st is not None and ident is not None and ident == (st.st_dev, st.st_ino):
            return role  # a hard link or another spelling of the same file
        if store and is_owned_by(path, real):
            return f"a file that belongs to {role}"
    return None


# --------------------------------------------------------------------------- checks


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_output_path(path: str | os.PathLike, *, protect_also: Iterable[str | os.PathLike | None] = ()) -> Path:
    """The real file an output to ``path`` replaces, after the safety checks.

    A symlink is followed to its target (written through, the link stays). Never
    opens the path (a FIFO would block): only ``stat``.

    Parameters
    ----------
    path : path
        The output path as given.
    protect_also : iterable of paths
        Further paths not to write over (e.g. the store of a result).

    Returns
    -------
    Path
        The resolved target.

    Raises
    ------
    OutputError
        For a folder, FIFO, device or socket, a protected path, or an unresolvable link.
    """
    shown = os.fspath(path)
    if not shown or "\x00" in shown:
        raise OutputError(f"cannot write {shown!r}: not a file name")
    try:
        real = os.path.realpath(shown, strict=False)
    except (OSError, ValueError) as exc:  # symlink loops on some Pythons
        raise OutputError(f"cannot write {shown}: {os_error_reason(exc)}") from exc
    try:
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {os_error_reason(exc)}") from exc
    if st is not None and (kind := _kind(st.st_mode)):
        raise OutputError(f"cannot write {shown}: it is {kind}, not a regular file")
    _refuse_protected(shown, real, st, protect_also)
    return Path(real)


def _refuse_protected(shown: str, real: str, st: os.stat_result | None, protect_also) -> None:
    role = _protected_role(real, st)
    if role is None:
        token = protect(*protect_also, role="the store", store=True)
        try:
            role = _protected_role(real, st)
        finally:
            unprotect(token)
    if role is None:
        role = _any_store_role(real, st)
    if role is not None:
        raise OutputError(f"cannot write {shown}: it is {role}; choose another output file")


def check_output_folder(path: str | os.PathLike, *, protect_also: Iterable[str | os.PathLike | None] = (),
                        looks_like: Callable[[Path], bool] | None = None) -> Path:
    """The real folder an output folder (a FileGDB ``.gdb``) at ``path`` replaces, after the safety checks.

    As :func:`check_output_path` for a folder: a symlink is followed, a protected
    path is refused, and so is an existing file (not a folder), or an existing
    folder that ``looks_like`` does not accept (a folder of other files is never
    replaced).

    Raises
    ------
    OutputError
    """
    shown = os.fspath(path)
    if not shown or "\x00" in shown:
        raise OutputError(f"cannot write {shown!r}: not a folder name")
    try:
        real = os.path.realpath(shown, strict=False)
        st = os.stat(real)
    except FileNotFoundError:
        st = None
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot write {shown}: {os_error_reason(exc)}") from exc
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {shown}: it is {_kind(st.st_mode) or 'a file'}, not a folder")
    if st is not None and looks_like is not None and not looks_like(Path(real)):
        raise OutputError(f"cannot write {shown}: it is a folder holding other files; choose another output")
    _refuse_protected(shown, real, st, protect_also)
    return Path(real)


def _is_gisplan_store(path: str) -> bool:
    """Whether ``path`` is a gisplan layer store (a GeoPackage with gisplan's meta table); never raises."""
    import sqlite3

    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        con = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
        try:
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            con.close()
    except (OSError, sqlite3.Error, ValueError):
        return False
    return {"gisplan_meta", "gpkg_contents"} <= names


def _any_store_role(real: str, st: os.stat_result | None) -> str | None:
    """Whether ``real`` is a gisplan layer store, or a file one owns, even a store this command does not use
    (an output over another store would replace it without its lock and checks)."""
    from ..store.files import is_owned_by

    p = Path(real)
    if st is not None and _is_gisplan_store(real):
        return "a gisplan layer store"
    owners = set()
    for suffix in ("-wal", "-shm", "-journal", ".lock"):
        if p.name.endswith(suffix) and len(p.name) > len(suffix):
            owners.add(p.with_name(p.name[: -len(suffix)]))
    if p.name.startswith(".") and ".tmp.gpkg" in p.name:
        owners.update(q for q in p.parent.glob("*") if p.name.startswith(f".{q.name}."))
    for parent in p.parents:
        if parent.name.endswith(".rasters") and len(parent.name) > len(".rasters"):
            owners.add(parent.with_name(parent.name[: -len(".rasters")]))
            break
    for owner in owners:
        if is_owned_by(owner, p) and owner.is_file() and _is_gisplan_store(str(owner)):
            return f"a file that belongs to the layer store {owner.name}"
    return None


def store_of(result) -> list[str]:
    """The store path of a screening result (never written over), as a list for ``protect_also``."""
    info = getattr(result, "store_info", None) or {}
    return [info["path"]] if info.get("path") else []


def os_error_reason(exc: BaseException) -> str:
    """A short lower-case reason for an OS error ("permission denied", "no space left on the device")."""
    if isinstance(exc, OSError) and exc.errno in _REASONS:
        return _REASONS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return " ".join(str(exc).split()) or type(exc).__name__


def _disk_full(folder: Path) -> bool:
    try:
        vfs = os.statvfs(folder)
    except (OSError, AttributeError):
        return False
    return vfs.f_bavail * vfs.f_frsize < 64 * 1024


# --------------------------------------------------------------------------- writing


def make_folder(folder: str | os.PathLike, shown: str | None = None) -> Path:
    """Create the output folder ``folder`` when it is missing, and say so (:func:`gisplan.log.notice`).

    gisplan creates a missing output folder rather than refusing the output, and
    tells the user (a mistyped folder would otherwise go unnoticed): the command
    line prints ``gisplan: created folder ...`` unless ``-q``.

    Raises
    ------
    OutputError
        When the folder cannot be made (permission denied, a file in the way ...).
    """
    folder = Path(folder)
    if folder.is_dir():
        return folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot write {shown or folder}: {os_error_reason(exc)}") from exc
    from ..log import notice

    notice(f"created folder {folder} (it did not exist)")
    return folder


def _umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _remove_stale(folder: Path) -> None:
    """Remove temp files of dead gisplan processes (kill -9) from ``folder``."""
    now = time.time()
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = _TEMP_RE.match(name)
        if not m or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # alive
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError, ValueError):
            continue
        p = folder / name
        try:
            st = p.lstat()
            if now - st.st_mtime > STALE_AFTER_S:
                if stat.S_ISDIR(st.st_mode):  # an output folder (FileGDB) being written
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    p.unlink()
        except OSError:
            pass


def _unlink_all(tmp: Path) -> None:
    for p in (tmp, *(Path(str(tmp) + s) for s in _SIDECARS)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass
    forget_temp(tmp)


def _fsync(path: Path, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:
            raise
    finally:
        os.close(fd)


@contextmanager
def atomic_output(
    path: str | os.PathLike,
    *,
    create: bool = True,
    protect_also: Iterable[str | os.PathLike | None] = (),
) -> Iterator[Path]:
    """Write a file safely: yield a unique temp path beside the target, then rename it.

    Parameters
    ----------
    path : path
        The output file (its folder is created).
    create : bool
        False: the temp file does not exist when yielded (for writers such as
        GDAL that refuse an existing empty file); its name stays random and unique.
    protect_also : iterable of paths
        Further paths not to write over.

    Yields
    ------
    Path
        Write the whole output there.

    Raises
    ------
    OutputError
        For a refused target or a failure the user can fix (permission, space).
    """
    shown = os.fspath(path)
    target = check_output_path(path, protect_also=protect_also)
    folder = target.parent
    make_folder(folder, shown)
    _remove_stale(folder)
    suffix = target.suffix[:16] if re.fullmatch(r"\.[\w.-]*", target.suffix[:16] or ".") else ""

    def make() -> str:
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=f".tmp{suffix}", dir=folder)
        os.close(fd)
        return name

    try:
        tmp = Path(new_temp(make))  # registered at once: a signal at any moment after this still removes it
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {os_error_reason(exc)}") from exc
    try:
        if not create:
            tmp.unlink()
        yield tmp
        pause_hook(f"output_written{suffix}")
        try:
            mode = os.stat(target).st_mode & 0o7777
        except OSError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        _fsync(tmp)
        os.replace(tmp, target)
        forget_temp(tmp)
        _fsync(folder, directory=True)
    except GisplanError:
        _unlink_all(tmp)
        raise
    except OSError as exc:
        full = _disk_full(folder)
        _unlink_all(tmp)
        reason = "no space left on the device" if full and exc.errno not in _REASONS else os_error_reason(exc)
        raise OutputError(f"cannot write {shown}: {reason}") from exc
    except Exception as exc:
        full = _disk_full(folder)
        _unlink_all(tmp)
        if full:
            raise OutputError(f"cannot write {shown}: no space left on the device") from exc
        raise
    except BaseException:  # KeyboardInterrupt, SIGTERM, SystemExit: no temp file left
        _unlink_all(tmp)
        raise


@contextmanager
def atomic_output_folder(
    path: str | os.PathLike,
    *,
    protect_also: Iterable[str | os.PathLike | None] = (),
    looks_like: Callable[[Path], bool] | None = None,
) -> Iterator[Path]:
    """Write an output folder (a FileGDB) safely: yield a unique temp path beside it, then swap it in.

    The temp folder does not exist when yielded (GDAL creates it). On success it
    replaces the target: on Linux in one step (``renameat2`` with
    ``RENAME_EXCHANGE``: a reader sees the old folder or the new one); elsewhere
    the old folder is renamed aside first and removed after. On any failure the
    temp folder is removed and the old one is left as it was.

    Parameters
    ----------
    path : path
    protect_also : iterable of paths
    looks_like : callable, optional
        Whether an existing folder is an output of this kind that may be replaced
        (see :func:`check_output_folder`).

    Raises
    ------
    OutputError
    """
    shown = os.fspath(path)
    target = check_output_folder(path, protect_also=protect_also, looks_like=looks_like)
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp" + target.suffix[:16],
                                    dir=parent))
        tmp.rmdir()  # a unique name; the writer creates the folder
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {os_error_reason(exc)}") from exc
    try:
        yield tmp
        os.chmod(tmp, 0o777 & ~_umask())
        for p in tmp.iterdir():
            _fsync(p)
        _fsync(tmp, directory=True)
        if target.is_dir():
            _swap_folders(tmp, target)
            shutil.rmtree(tmp, ignore_errors=True)  # the old folder, now under the temp name
        else:
            os.replace(tmp, target)
        _fsync(parent, directory=True)
    except GisplanError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except OSError as exc:
        full = _disk_full(parent)
        shutil.rmtree(tmp, ignore_errors=True)
        reason = "no space left on the device" if full and exc.errno not in _REASONS else os_error_reason(exc)
        raise OutputError(f"cannot write {shown}: {reason}") from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _swap_folders(new: Path, old: Path) -> None:
    """Put folder ``new`` at ``old``'s path and ``old`` at ``new``'s, atomically where the system can."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        renameat2 = None
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(new), at_fdcwd, os.fsencode(old), rename_exchange) == 0:
            return
    aside = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=".tmp-old", dir=old.parent))
    aside.rmdir()
    os.rename(old, aside)
    try:
        os.rename(new, old)
    except OSError:
        os.rename(aside, old)
        raise
    os.rename(aside, new)


def write_text(path: str | os.PathLike, text: str, *, encoding: str = "utf-8", **kwargs) -> Path:
    """Write ``text`` to ``path`` with :func:`atomic_output`; return the real target.

    Lone surrogates (from a broken source), which no encoding can hold, become U+FFFD.
    """
    return write_bytes(path, encodable(text).encode(encoding), **kwargs)


def write_bytes(path: str | os.PathLike, data: bytes, **kwargs) -> Path:
    """Write ``data`` to ``path`` with :func:`atomic_output`; return the real target."""
    target = Path(os.path.realpath(os.fspath(path)))
    with atomic_output(path, **kwargs) as tmp:
        tmp.write_bytes(data)
    return target


# --------------------------------------------------------------------------- file names

_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_UNSAFE = re.compile(r'[/\\<>:"|?*\x00-\x1f\x7f]')


def safe_file_stem(site_id, taken: set[str], *, suffix: str = "", max_bytes: int = MAX_NAME_BYTES) -> str:
    """A file-name stem for a site id: safe on Linux, macOS and Windows, unique in ``taken``.

    Path separators, NUL, control and format characters, white space and
    ``<>:"|?*`` become ``_``; leading and trailing dots are dropped; Windows
    reserved names (CON, NUL, COM1 ...) get a ``_`` prefix. When the name would
    exceed ``max_bytes`` (UTF-8, ``suffix`` included) it is cut on a character
    boundary, and when it is cut or already taken (case-insensitively, as on
    Windows and macOS) a short hash of the id is appended, so two ids that clean
    up alike still get different names.

    Parameters
    ----------
    site_id : object
        The id (its ``str``).
    taken : set of str
        Lower-cased stems already used in this folder; the new one is added.
    suffix : str
        The longest suffix the stem will get (e.g. ``".docx"``), counted in the limit.
    max_bytes : int

    Returns
    -------
    str

    Examples
    --------
    >>> safe_file_stem("S001", set())
    'S001'
    >>> taken = set()
    >>> safe_file_stem("S/001", taken), safe_file_stem("S_001", taken)[:6]
    ('S_001', 'S_001-')
    """
    text = str(site_id)
    clean = "".join("_" if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") else ch for ch in text)
    clean = _UNSAFE.sub("_", unicodedata.normalize("NFC", clean))
    clean = re.sub(r"\s+", "_", clean).strip(".")
    if clean.split(".")[0].lower() in _RESERVED:
        clean = "_" + clean
    clean = clean or "site"
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()
    budget = max_bytes - len(suffix.encode("utf-8"))
    for n in range(8, 41, 4):
        tag = f"-{digest[:n]}"
        if len(clean.encode("utf-8", "surrogatepass")) <= budget and clean.lower() not in taken:
            stem = clean
        else:
            stem = _cut_bytes(clean, budget - len(tag)) + tag
        if stem.lower() not in taken:
            taken.add(stem.lower())
            return stem
    i = 2  # the same id twice: number it
    while True:
        stem = _cut_bytes(clean, budget - 48) + f"-{digest[:40]}-{i}"
        if stem.lower() not in taken:
            taken.add(stem.lower())
            return stem
        i += 1


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes on a character boundary."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[: max(limit, 0)].decode("utf-8", "ignore").rstrip(". ")


# --------------------------------------------------------------------------- cell text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def defuse_cell(value):
    """A spreadsheet cell value that cannot start a formula (OWASP CSV injection).

    Text starting with ``= + - @``, tab or carriage return gets a leading
    apostrophe; numbers, and text that is just a signed number (``-12.5``), are
    returned unchanged.

    Examples
    --------
    >>> defuse_cell('=HYPERLINK("http://x")')
    '\\'=HYPERLINK("http://x")'
    >>> defuse_cell(-3.5), defuse_cell("-3.5"), defuse_cell("厂区")
    (-3.5, '-3.5', '厂区')
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def encodable(text: str) -> str:
    """``text`` with lone surrogates (which no encoding can write) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text


def xml_safe(text: str, replacement: str = "\ufffd") -> str:
    """``text`` with the characters XML 1.0 cannot hold (C0 controls but tab/LF/CR,
    lone surrogates, U+FFFE/U+FFFF) replaced by ``replacement``.

    Examples
    --------
    >>> xml_safe("厂区\\x07A")
    '厂区�A'
    """
    return _XML_ILLEGAL.sub(replacement, text) if isinstance(text, str) else text
