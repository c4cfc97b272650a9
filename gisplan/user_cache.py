"""The user's gisplan cache folder: ``$GISPLAN_CACHE_DIR``, else the platform's user cache folder.

The platform's folder is :func:`platformdirs.user_cache_dir`: ``$XDG_CACHE_HOME/gisplan``
or ``~/.cache/gisplan`` on Linux, ``~/Library/Caches/gisplan`` on macOS,
``%LOCALAPPDATA%\\gisplan\\Cache`` on Windows.

Only things that can be rebuilt live there (stores verified before, parsed
rules files), each keyed by what it was made from: losing the folder costs
time, never a result.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

__all__ = ["cache_dir", "parsed_text_cached"]


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    override = os.environ.get("GISPLAN_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("gisplan", appauthor=False))


def parsed_text_cached(text: bytes, kind: str, parse):
    """``parse(text)``, kept as JSON under the text's SHA-256 so the next process skips the parser.

    Used only when the parsed value survives JSON unchanged (plain mappings,
    lists, strings, numbers, booleans, null); anything else is parsed every time.
    Writing is best effort and atomic (a read-only home only means parsing again);
    an unreadable or damaged entry is parsed again and replaced.

    Parameters
    ----------
    text : bytes
        The file's content (the key).
    kind : str
        A name for the parser and its version (part of the key: change it when
        what ``parse`` returns changes).
    parse : callable
        ``bytes -> value``; its exceptions pass through.
    """
    digest = hashlib.sha256(kind.encode() + b"\0" + text).hexdigest()
    path = cache_dir() / "parsed" / f"{digest}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        if (isinstance(entry, dict) and entry.get("sha256") == digest and "value" in entry
                and entry.get("value_sha256") == _value_digest(entry["value"])):  # a damaged value is parsed again
            return entry["value"]
    except (OSError, ValueError, TypeError):
        pass
    value = parse(text)
    try:
        encoded = json.dumps({"sha256": digest, "value_sha256": _value_digest(value), "value": value},
                             ensure_ascii=False)
        if json.loads(encoded)["value"] != value:
            return value
    except (TypeError, ValueError):  # dates, sets, non-string keys ...: not cached
        return value
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(encoded, encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass
    return value


def _value_digest(value) -> str:
    """SHA-256 of the value's canonical JSON (sorted keys): what an entry's value must hash to."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
