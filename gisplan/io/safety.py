"""Defences applied to user-given files before GDAL sees them.

- :func:`check_local_path` refuses GDAL virtual file systems (``/vsi...``), URLs
  and anything that is not an existing, readable, non-empty local file.
- :func:`safe_extract_zip` checks every member of a zip archive (path traversal,
  symlinks, encryption, member count, total size, compression ratio) and only
  then extracts it, with Python's :mod:`zipfile`, into a directory the caller
  owns (normally a :class:`tempfile.TemporaryDirectory`).
- :func:`check_kml` parses a KML file with :mod:`defusedxml` and refuses DTDs,
  entities and external references (XXE).

Every refusal is a :class:`gisplan.errors.InputError` with a one-line message.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

from ..errors import InputError

__all__ = [
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_TOTAL_BYTES",
    "MAX_ZIP_RATIO",
    "ZIP_RATIO_MIN_BYTES",
    "one_line",
    "check_path_text",
    "check_local_path",
    "member_name",
    "check_zip_members",
    "safe_extract_zip",
    "check_kml",
]

#: Most members a zip archive may hold.
MAX_ZIP_MEMBERS = 1000
#: Largest total uncompressed size of a zip archive (bytes).
MAX_ZIP_TOTAL_BYTES = 2 * 1024**3
#: Largest compression ratio (uncompressed / compressed) of a big member.
MAX_ZIP_RATIO = 200.0
#: Members up to this size (bytes) are exempt from the ratio check.
ZIP_RATIO_MIN_BYTES = 1024**2

_MAX_MESSAGE = 400
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]+:")  # a scheme; one letter is a drive
_URL_PARTS = ("http://", "https://", "ftp://")
_DRIVE = re.compile(r"^[A-Za-z]:")
_VIRTUAL_MESSAGE = "virtual file systems and URLs are not accepted; give a local file"


def one_line(message: object, limit: int = _MAX_MESSAGE) -> str:
    """Collapse ``message`` onto one line (whitespace runs become one space) and cap its length.

    Examples
    --------
    >>> one_line("Failed to read\\n  the file")
    'Failed to read the file'
    """
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_path_text(path: str | os.PathLike[str]) -> str:
    """Refuse virtual paths, URLs and NUL bytes in a user-given path string.

    Parameters
    ----------
    path : str or os.PathLike
        The path exactly as the user gave it.

    Returns
    -------
    str
        The path as text.

    Raises
    ------
    InputError
        For ``/vsi...`` paths (anywhere in the string), ``http://``, ``https://``,
        ``ftp://`` and other ``scheme:`` prefixes, and NUL bytes.
    """
    text = os.fspath(path)
    if isinstance(text, bytes):
        try:
            text = os.fsdecode(text)
        except UnicodeDecodeError as exc:
            raise InputError("the path is not valid text") from exc
    if "\x00" in text:
        raise InputError("the path contains a NUL byte")
    lowered = text.lower().replace("\\", "/")
    if "/vsi" in lowered or any(u in lowered for u in _URL_PARTS):
        raise InputError(f"{_VIRTUAL_MESSAGE}: {one_line(text, 120)}")
    if _URL.match(text):
        raise InputError(f"{_VIRTUAL_MESSAGE}: {one_line(text, 120)}")
    return text


def check_local_path(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` names an existing, readable, non-empty local file.

    Parameters
    ----------
    path : str or os.PathLike
        The path as the user gave it.

    Returns
    -------
    pathlib.Path
        The absolute, resolved path (safe to hand to GDAL: no scheme, no ``/vsi``).

    Raises
    ------
    InputError
        When the path is virtual or a URL, missing, a directory, unreadable or empty.
    """
    text = check_path_text(path)
    p = Path(text).expanduser()
    if not p.exists():
        raise InputError(f"no such file: {text}")
    if p.is_dir():
        raise InputError(f"{text} is a directory, not a file")
    if not p.is_file():
        raise InputError(f"{text} is not a regular file")
    if not os.access(p, os.R_OK):
        raise InputError(f"cannot read {text}: permission denied")
    if p.stat().st_size == 0:
        raise InputError(f"{text} is empty (0 bytes)")
    resolved = p.resolve()
    check_path_text(str(resolved))  # a directory named /vsi... on the way
    return resolved


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's file name, with GBK names from Chinese Windows zips decoded.

    Zip tools on Chinese Windows store names in the local code page (GBK) without
    setting the UTF-8 flag (bit 0x800); Python then decodes them as cp437. This
    undoes that (cp437 -> bytes -> GBK) when the flag is unset and the bytes are
    valid GBK; otherwise the name is returned as Python decoded it.
    """
    name = info.filename
    if info.flag_bits & 0x800 or name.isascii():
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gbk", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _safe_parts(name: str) -> tuple[str, ...]:
    """Path components of a member name, or raise InputError when it escapes."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or _DRIVE.match(unified):
        raise InputError(f"zip member {name!r} has an absolute path; refused")
    parts = tuple(p for p in PurePosixPath(unified).parts if p not in ("", "."))
    if any(p == ".." for p in parts):
        raise InputError(f"zip member {name!r} points outside the archive ('..'); refused")
    if any(_DRIVE.match(p) for p in parts):
        raise InputError(f"zip member {name!r} contains a drive letter; refused")
    if any("\x00" in p for p in parts):
        raise InputError(f"zip member {name!r} contains a NUL byte; refused")
    return parts


def _size(n: int) -> str:
    return f"{n / 1024**3:g} GiB" if n >= 1024**3 else f"{n} bytes"


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return bool(mode) and stat.S_ISLNK(mode)


def check_zip_members(zf: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, tuple[str, ...]]]:
    """Check every member of an open archive before anything is extracted.

    Parameters
    ----------
    zf : zipfile.ZipFile
        The open archive.

    Returns
    -------
    list of (ZipInfo, tuple of str)
        Each file member (directories left out) and its safe relative path parts.

    Raises
    ------
    InputError
        Naming the offending member: absolute name, ``..`` component, drive
        letter, symlink, encrypted member, more than :data:`MAX_ZIP_MEMBERS`
        members, total size over :data:`MAX_ZIP_TOTAL_BYTES`, or a member over
        :data:`ZIP_RATIO_MIN_BYTES` compressed more than :data:`MAX_ZIP_RATIO` times.
    """
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise InputError(f"zip has {len(infos)} members (more than {MAX_ZIP_MEMBERS}); refused")
    total = 0
    checked: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    for info in infos:
        name = member_name(info)
        parts = _safe_parts(name)
        if _is_symlink(info):
            raise InputError(f"zip member {name!r} is a symbolic link; refused")
        if info.flag_bits & 0x1:
            raise InputError(f"zip member {name!r} is encrypted; refused")
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            raise InputError(
                f"zip unpacks to more than {_size(MAX_ZIP_TOTAL_BYTES)} "
                f"(at member {name!r}); refused"
            )
        if info.file_size > ZIP_RATIO_MIN_BYTES:
            ratio = info.file_size / info.compress_size if info.compress_size else float("inf")
            if ratio > MAX_ZIP_RATIO:
                raise InputError(
                    f"zip member {name!r} is compressed {ratio:.0f} times "
                    f"(limit {MAX_ZIP_RATIO:g}): a zip bomb? refused"
                )
        if info.is_dir() or not parts:
            continue
        checked.append((info, parts))
    return checked


def safe_extract_zip(zip_path: str | os.PathLike[str], dest: str | os.PathLike[str]) -> list[Path]:
    """Check all members of a zip archive, then extract its files under ``dest``.

    Parameters
    ----------
    zip_path : str or os.PathLike
        A local zip file (already checked by :func:`check_local_path`).
    dest : str or os.PathLike
        An existing directory owned by the caller (e.g. a temporary directory).

    Returns
    -------
    list of pathlib.Path
        The extracted files.

    Raises
    ------
    InputError
        When the file is not a zip archive, a member fails
        :func:`check_zip_members`, or a member unpacks to more bytes than it declared.
    """
    root = Path(dest).resolve()
    try:
        zf = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InputError(
            f"{Path(zip_path).name} is not a readable zip archive: {one_line(exc)}"
        ) from exc
    written: list[Path] = []
    total = 0
    with zf:
        members = check_zip_members(zf)
        for info, parts in members:
            target = root.joinpath(*parts)
            if not target.resolve().is_relative_to(root):  # belt and braces
                raise InputError(
                    f"zip member {member_name(info)!r} points outside the archive; refused"
                )
            if target.exists():
                raise InputError(f"zip member {member_name(info)!r} appears twice; refused")
            target.parent.mkdir(parents=True, exist_ok=True)
            total += _copy_member(zf, info, target, MAX_ZIP_TOTAL_BYTES - total)
            written.append(target)
    return written


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Copy one member to ``target``, refusing more bytes than it declared or than ``budget``."""
    limit = min(info.file_size, budget)
    count = 0
    try:
        with zf.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(1024 * 1024):
                count += len(chunk)
                if count > limit:
                    raise InputError(
                        f"zip member {member_name(info)!r} unpacks to more bytes "
                        "than it declares; refused"
                    )
                out.write(chunk)
    except InputError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        raise InputError(
            f"cannot unpack zip member {member_name(info)!r}: {one_line(exc)}"
        ) from exc
    return count


def check_kml(path: str | os.PathLike[str], display: str | None = None) -> None:
    """Parse a KML file with defusedxml; refuse DTDs, entities and external references.

    Parameters
    ----------
    path : str or os.PathLike
        A local KML file.
    display : str, optional
        How to name the file in messages (default: its file name).

    Raises
    ------
    InputError
        ``KML with a DTD or entities is refused (XXE)`` for any DTD, entity
        declaration or external reference; another message when the file is not
        well-formed XML or its root element is not ``kml``.
    """
    import defusedxml
    from defusedxml import ElementTree as DefusedElementTree

    name = display or Path(path).name
    try:
        tree = DefusedElementTree.parse(
            os.fspath(path), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise InputError(f"{name}: KML with a DTD or entities is refused (XXE)") from exc
    except DefusedElementTree.ParseError as exc:
        raise InputError(f"{name} is not well-formed XML (KML): {one_line(exc)}") from exc
    root = tree.getroot()
    local = root.tag.rsplit("}", 1)[-1] if isinstance(root.tag, str) else ""
    if local.lower() != "kml":
        raise InputError(f"{name} is XML but not KML (root element <{local}>)")
