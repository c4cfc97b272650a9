"""Accounts, sessions, CSRF tokens, login rate limiting and API tokens.

The users file (``gisplan users add FILE NAME --role reviewer|admin``) is JSON::

    {"users": {"alice": {"role": "reviewer", "hash": "$argon2id$...", "tokens": ["<sha256 of token>"],
                         "stamp": "<random>"}}}

Passwords are hashed with argon2id (``argon2-cffi``); API tokens are random and
only their SHA-256 is kept. The server re-reads the file when it changes.
Setting a password (``users add`` of an existing user, ``users passwd``) gives
the user a new ``stamp`` and drops their API tokens: sessions started under the
old stamp and the old tokens stop working at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..errors import InputError

__all__ = ["User", "Users", "LOCAL_USER", "RateLimiter", "ROLES", "add_user", "set_password", "add_token",
           "remove_user", "hash_token", "new_token", "same", "read_users_file"]

ROLES = ("reviewer", "admin")
_NAME = re.compile(r"^[\w.\-@]{1,64}$")
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A signed-in user."""

    name: str
    role: str
    #: Changes with every password set: a session started under another stamp is over.
    stamp: str = ""

    @property
    def is_admin(self) -> bool:
        """Whether the user may see every screening and import layers and access lists."""
        return self.role == "admin"


#: The one user of a server started without ``--users`` (loopback only).
LOCAL_USER = User("local", "admin")


def hash_token(token: str) -> str:
    """SHA-256 hex of a session cookie or API token (what is stored)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random token (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a).encode(), str(b).encode())


def read_users_file(path: Path) -> dict:
    """The users file as data (``{"users": {}}`` when it does not exist)."""
    if not path.exists():
        return {"users": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"users file {path.name} is not readable JSON ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
        raise InputError(f"users file {path.name} has no 'users' object")
    return data


def _write(path: Path, data: dict) -> None:
    """Replace the users file atomically (a unique temp file, fsync'ed, renamed over it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@contextmanager
def _editing(path: Path):
    """Hold the users file's lock for one read-modify-write (two `users add` at once lose nobody)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _check_name(name: str) -> None:
    if not _NAME.match(name or ""):
        raise InputError(f"user name must be 1-64 letters, digits or ._-@, got {name!r}")


def add_user(path: str | os.PathLike, name: str, role: str, password: str) -> bool:
    """Add user ``name`` (or reset their password and role) in the users file.

    Resetting an existing user's password ends their sessions and drops their
    API tokens (a new ``stamp``).

    Returns
    -------
    bool
        Whether the user existed (their sessions and tokens were ended).

    Raises
    ------
    InputError
        For a bad name, an unknown role or a password shorter than 8 characters.
    """
    _check_name(name)
    if role not in ROLES:
        raise InputError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    _check_password(password)
    path = Path(path)
    digest = _HASHER.hash(password)
    with _editing(path):
        data = read_users_file(path)
        existed = name in data["users"]
        entry = data["users"].get(name, {})
        entry.update(role=role, hash=digest, tokens=[], stamp=secrets.token_hex(16))
        data["users"][name] = entry
        _write(path, data)
    return existed


def set_password(path: str | os.PathLike, name: str, password: str) -> None:
    """Reset the password of the existing user ``name``: their sessions end and their API tokens are dropped.

    Raises
    ------
    InputError
        For an unknown user or a password shorter than 8 characters.
    """
    _check_password(password)
    path = Path(path)
    digest = _HASHER.hash(password)
    with _editing(path):
        data = read_users_file(path)
        if name not in data["users"]:
            raise InputError(f"no user {name!r} in {path.name} (add one with `gisplan users add`)")
        data["users"][name].update(hash=digest, tokens=[], stamp=secrets.token_hex(16))
        _write(path, data)


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise InputError("the password must have at least 8 characters")


def add_token(path: str | os.PathLike, name: str) -> str:
    """Create an API token for user ``name``; returns it (only its hash is kept)."""
    path = Path(path)
    token = new_token()
    with _editing(path):
        data = read_users_file(path)
        if name not in data["users"]:
            raise InputError(f"no user {name!r} in {path.name}")
        data["users"][name].setdefault("tokens", []).append(hash_token(token))
        _write(path, data)
    return token


def remove_user(path: str | os.PathLike, name: str) -> None:
    """Remove user ``name`` (and their tokens) from the users file."""
    path = Path(path)
    with _editing(path):
        data = read_users_file(path)
        if data["users"].pop(name, None) is None:
            raise InputError(f"no user {name!r} in {path.name}")
        _write(path, data)


class Users:
    """The accounts of a users file, re-read when the file changes.

    Parameters
    ----------
    path : path
        The users file; it must exist and hold at least one user.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"users file not found: {self.path.name} (create it with `gisplan users add`)")
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._data: dict = {}
        self._load()
        if not self._data:
            raise InputError(f"users file {self.path.name} holds no users")

    def _load(self) -> None:
        st = self.path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp != self._stamp:
            self._data = read_users_file(self.path)["users"]
            self._stamp = stamp

    def _entries(self) -> dict:
        with self._lock:
            try:
                self._load()
            except FileNotFoundError:  # the file was removed: nobody may log in (gisplan replaces it, never removes)
                self._data, self._stamp = {}, None
            except (OSError, InputError):
                pass  # an unreadable file (edited by hand this moment): keep the last good copy
            return self._data

    def get(self, name: str) -> User | None:
        """The user called ``name``, or None."""
        entry = self._entries().get(name)
        return _user(name, entry) if entry else None

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (same work either way)."""
        entry = self._entries().get(name or "")
        stored = entry.get("hash") if entry else _DUMMY_HASH
        try:
            ok = _HASHER.verify(stored, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        return _user(name, entry) if ok and entry else None

    def for_token(self, token: str) -> User | None:
        """The user an API token belongs to, or None."""
        digest = hash_token(token)
        for name, entry in self._entries().items():
            if any(hmac.compare_digest(digest, t) for t in entry.get("tokens", [])):
                return _user(name, entry)
        return None


def _user(name: str, entry: dict) -> User:
    return User(name, entry.get("role", "reviewer"), str(entry.get("stamp", "")))


class RateLimiter:
    """At most ``limit`` failed logins per key (client address, user name) within ``window_s``.

    A login attempt takes a slot (:meth:`reserve`) before its password is
    checked and gives it back or records the failure afterwards
    (:meth:`settle`): however many attempts arrive at once, at most ``limit``
    per key are checked; the others are refused before the check.

    Parameters
    ----------
    limit : int
    window_s : float
    """

    def __init__(self, limit: int = 5, window_s: float = 300.0):
        self.limit = limit
        self.window_s = window_s
        self._fails: dict[str, deque] = {}
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        q = self._fails.setdefault(key, deque())
        while q and now - q[0] > self.window_s:
            q.popleft()
        return q

    def _used(self, key: str, now: float) -> int:
        return len(self._recent(key, now)) + self._pending.get(key, 0)

    def blocked(self, *keys: str) -> bool:
        """Whether any key has used up its failures (attempts being checked count as failures)."""
        now = time.monotonic()
        with self._lock:
            return any(self._used(k, now) >= self.limit for k in keys)

    def reserve(self, *keys: str) -> bool:
        """Take a slot for one attempt under every key, or none when any key is used up; whether taken."""
        now = time.monotonic()
        with self._lock:
            if any(self._used(k, now) >= self.limit for k in keys):
                return False
            for k in keys:
                self._pending[k] = self._pending.get(k, 0) + 1
            return True

    def settle(self, *keys: str, failed: bool) -> None:
        """Give back the slots of one attempt; a failed attempt is counted for ``window_s``."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                left = self._pending.get(k, 0) - 1
                if left > 0:
                    self._pending[k] = left
                else:
                    self._pending.pop(k, None)
                if failed:
                    self._recent(k, now).append(now)
                elif not self._fails.get(k):
                    self._fails.pop(k, None)

    def fail(self, *keys: str) -> None:
        """Count one failed login against every key."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def clear(self, *keys: str) -> None:
        """Forget the failures of keys (after a good login)."""
        with self._lock:
            for k in keys:
                self._fails.pop(k, None)
