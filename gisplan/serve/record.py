"""The screening record: SQLite (WAL) plus kept files in the data folder.

Layout of the data folder::

    record.sqlite            screenings (with the result JSON and its record section, to render
                             reports from later), audit log, sessions (WAL journal)
    uploads/<id><.ext>       the uploaded site file, under a generated name
    stores/<sha256>.gpkg     every store version screened on (a real copy: reflink or copy), so
                             maps and reports are drawn from the version a screening read
    outputs/<id>/<lang>/     reports rendered on first download, then served as they are

Every screening's row (parameters, the store's layer versions and checksum,
the result JSON and the record section ``ScreeningResult.to_dict(full=True)``
adds to it) is committed (``synchronous=FULL``), and
its upload fsync'ed, before the HTTP response returns, so a restart, a
``kill -9`` or a power cut loses nothing. The screening worker that ran it
commits it (:func:`gisplan.serve.engine.screen_and_record`); the server process
writes sessions and the other audit lines. Both open the same WAL database.

Screenings recorded by gisplan before results were kept as JSON hold the
result pickled (``result_pickle``): the worker that first draws a report of one
reads the pickle once and keeps its record section as JSON in its place
(:meth:`Record.keep_result_record`); a pickle that cannot be read is screened
again from the kept upload, on the kept store version.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import StoreError

__all__ = ["Record", "ScreeningRow", "write_durable", "fsync_file", "now_iso", "search_words"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS screenings (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    user TEXT NOT NULL,
    site_name TEXT NOT NULL,
    client_filename TEXT NOT NULL,
    upload TEXT NOT NULL,
    params TEXT NOT NULL,
    store_name TEXT NOT NULL,
    store_versions TEXT NOT NULL,
    store_sha256 TEXT NOT NULL,
    verdict TEXT NOT NULL,
    result_json TEXT NOT NULL,
    result_pickle BLOB NOT NULL,
    result_record TEXT
);
CREATE INDEX IF NOT EXISTS screenings_user ON screenings(user, created_at);
CREATE TABLE IF NOT EXISTS screening_search (
    id TEXT PRIMARY KEY,
    words TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user TEXT NOT NULL,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL,
    stamp TEXT NOT NULL DEFAULT ''
);
"""

_ID = re.compile(r"^[0-9a-f]{16}$")


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def search_words(result: dict, params: dict) -> str:
    """The words a screening is found by besides its site and file names (lower case).

    Project name, builder, project code, nature of construction, the industry
    as given and as matched (code, name, catalogue item), the verdict (code and
    words in both languages; ``outside`` and 数据范围外 for a site wholly outside
    the store's data) and the codes of the control units it overlaps.

    Parameters
    ----------
    result : dict
        The result JSON (only ``project``, ``verdict``, ``coverage`` and ``control_units`` are read).
    params : dict
        The parameters kept with the screening.
    """
    from ..engine.single import OUTSIDE_LABEL
    from ..labels import DECISION_LABELS

    project = result.get("project") or {}
    verdict = (result.get("verdict") or {}).get("overall") or "review"
    if (result.get("coverage") or {}).get("status") == "outside":  # no verdict given: found as 数据范围外
        verdict = "outside"
        labels = {"zh": {"outside": OUTSIDE_LABEL}, "en": {"outside": "outside the data"}}
    else:
        labels = DECISION_LABELS
    industry = (result.get("verdict") or {}).get("industry") or {}
    words = [project.get("name"), project.get("builder"), project.get("project_code"),
             project.get("construction_nature_label"), params.get("project_name"), params.get("builder"),
             params.get("project_code"), params.get("industry"), industry.get("code"), industry.get("name"),
             f"名录第{industry['catalogue_item']}项" if industry.get("catalogue_item") else None,
             verdict, labels["zh"].get(verdict), labels["en"].get(verdict)]
    words += [u.get("code") for u in result.get("control_units") or []]
    return " ".join(dict.fromkeys(str(w) for w in words if w)).casefold()


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically and fsync file and folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{secrets.token_hex(4)}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """fsync a file and its folder (the file and its name survive a crash)."""
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ScreeningRow:
    """One recorded screening (without the result JSON text unless asked)."""

    id: str
    created_at: str
    user: str
    site_name: str
    client_filename: str
    upload: str
    params: dict
    store_name: str
    store_versions: dict
    store_sha256: str
    verdict: str

    def summary(self) -> dict:
        """What the record list shows (no server paths)."""
        return {"id": self.id, "created_at": self.created_at, "user": self.user, "site_name": self.site_name,
                "file": self.client_filename, "verdict": self.verdict, "params": self.params,
                "store": {"name": self.store_name, "sha256": self.store_sha256, "layers": self.store_versions}}


_COLUMNS = ("id, created_at, user, site_name, client_filename, upload, params, store_name, store_versions, "
            "store_sha256, verdict")


def _row(values) -> ScreeningRow:
    d = dict(zip([c.strip() for c in _COLUMNS.split(",")], values))
    d["params"] = json.loads(d["params"])
    d["store_versions"] = json.loads(d["store_versions"])
    return ScreeningRow(**d)


class Record:
    """The record of one data folder.

    Parameters
    ----------
    data_dir : Path
        Created when missing.
    """

    def __init__(self, data_dir: str | os.PathLike):
        self.dir = Path(data_dir)
        for sub in ("uploads", "outputs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.dir / "record.sqlite", check_same_thread=False, isolation_level=None,
                                   timeout=30.0)  # the server and its workers write to it
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise StoreError(f"the record {self.dir / 'record.sqlite'} is not a readable SQLite database "
                             f"({' '.join(str(exc).split())}); restore it from a backup or start with another "
                             "--data-dir") from None
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(sessions)")}
        if "stamp" not in columns:  # a record made before password stamps: its sessions count as stamp ''
            try:
                self._db.execute("ALTER TABLE sessions ADD COLUMN stamp TEXT NOT NULL DEFAULT ''")
            except sqlite3.OperationalError:  # another process added it meanwhile
                pass
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(screenings)")}
        if "result_record" not in columns:  # a record made when results were pickled: they are read once
            try:
                self._db.execute("ALTER TABLE screenings ADD COLUMN result_record TEXT")
            except sqlite3.OperationalError:  # another process added it meanwhile
                pass
        self._index_older_screenings()

    def _index_older_screenings(self) -> None:
        """Give screenings recorded before the search words were kept their words (once, at start-up)."""
        with self._lock:
            rows = self._db.execute("SELECT id, params, result_json FROM screenings WHERE id NOT IN "
                                    "(SELECT id FROM screening_search)").fetchall()
            if not rows:
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sid, params, text in rows:
                    try:
                        words = search_words(json.loads(text), json.loads(params))
                    except (ValueError, TypeError, AttributeError):
                        words = ""
                    self._db.execute("INSERT OR IGNORE INTO screening_search (id, words) VALUES (?, ?)", (sid, words))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # -- screenings ----------------------------------------------------------
    @staticmethod
    def new_id() -> str:
        """A fresh, unguessable screening id (16 hex digits)."""
        return secrets.token_hex(8)

    @staticmethod
    def valid_id(value: str) -> bool:
        """Whether ``value`` has the shape of a screening id (no path tricks)."""
        return bool(_ID.match(value or ""))

    def upload_path(self, sid: str, ext: str) -> Path:
        """Where the upload of screening ``sid`` is kept (generated name)."""
        return self.dir / "uploads" / f"{sid}{ext}"

    def outputs_dir(self, sid: str, lang: str) -> Path:
        """Where the reports of screening ``sid`` are kept once rendered."""
        return self.dir / "outputs" / sid / lang

    def add_screening(self, *, sid: str, user: str, site_name: str, client_filename: str, upload: Path,
                      params: dict, store_name: str, store_versions: dict, store_sha256: str, verdict: str,
                      result_json: str, result_record: str, ip: str, search: str = "") -> None:
        """Store one screening and its audit line in one committed transaction (the upload is already on disk).

        ``result_json`` is the JSON report as the client got it; ``result_record``
        the JSON of its ``record`` section (``ScreeningResult.to_dict(full=True)``),
        what reports and maps are drawn from later.

        ``search`` holds the words the record is searched by besides the site and
        file names (project form, industry, verdict, unit codes; see
        :func:`gisplan.serve.engine.search_text`).
        """
        values = (sid, now_iso(), user, site_name, client_filename, upload.relative_to(self.dir).as_posix(),
                  json.dumps(params, ensure_ascii=False), store_name, json.dumps(store_versions, ensure_ascii=False),
                  store_sha256, verdict, result_json, sqlite3.Binary(b""), result_record)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT INTO screenings (id, created_at, user, site_name, client_filename, upload, params, "
                    "store_name, store_versions, store_sha256, verdict, result_json, result_pickle, result_record) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", values)
                self._db.execute("INSERT OR REPLACE INTO screening_search (id, words) VALUES (?, ?)",
                                 (sid, search.casefold()))
                self._audit(user, "screen", f"{sid} {client_filename} -> {verdict}", ip)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def remove_orphans(self) -> list[str]:
        """Remove what killed screenings and renders left behind (call only while no other server uses the folder).

        Uploads with no record row (the server was killed between keeping the
        upload and committing the row), half-written reports and store copies.

        Returns
        -------
        list of str
            The removed files, relative to the data folder.
        """
        with self._lock:
            known = {r[0] for r in self._db.execute("SELECT id FROM screenings")}
        removed = []
        for file in sorted((self.dir / "uploads").iterdir()):
            sid = file.name.split(".", 1)[0]
            if file.is_file() and (sid not in known or file.name.startswith(".")):
                file.unlink(missing_ok=True)
                removed.append(file.relative_to(self.dir).as_posix())
        leftovers = [*(self.dir / "outputs").glob("*/*/.*.tmp*"), *(self.dir / "stores").glob(".*.tmp"),
                     *(self.dir / "stores").glob("*.rasters/.*.tmp")]
        for file in sorted(leftovers):
            if file.is_file():
                file.unlink(missing_ok=True)
                removed.append(file.relative_to(self.dir).as_posix())
        return removed

    def get(self, sid: str) -> ScreeningRow | None:
        """One screening, or None."""
        with self._lock:
            cur = self._db.execute(f"SELECT {_COLUMNS} FROM screenings WHERE id = ?", (sid,))
            values = cur.fetchone()
        return _row(values) if values else None

    def result_data(self, sid: str) -> tuple[str, str | None, bytes | None] | None:
        """``(result JSON, its record section's JSON, pickled result)`` of a screening, or None.

        A screening recorded as JSON has no pickle (None); one recorded before
        (pickled) has no record section until :meth:`keep_result_record` gives it one.
        """
        with self._lock:
            values = self._db.execute("SELECT result_json, result_record, result_pickle FROM screenings WHERE id = ?",
                                      (sid,)).fetchone()
        if not values:
            return None
        text, record, pickled = values
        return text, record or None, bytes(pickled) if pickled else None

    def keep_result_record(self, sid: str, result_record: str) -> bool:
        """Keep the record section of a screening recorded pickled, and drop its pickle (committed at once).

        Returns whether it was kept (False: the screening has one already, or is gone).
        """
        with self._lock:
            cur = self._db.execute("UPDATE screenings SET result_record = ?, result_pickle = x'' WHERE id = ? AND "
                                   "(result_record IS NULL OR result_record = '')", (result_record, sid))
        return cur.rowcount == 1

    def result_json(self, sid: str) -> str | None:
        """The stored result JSON text of a screening, or None."""
        with self._lock:
            values = self._db.execute("SELECT result_json FROM screenings WHERE id = ?", (sid,)).fetchone()
        return values[0] if values else None

    def list(self, *, user: str | None = None, q: str | None = None, date_from: str | None = None,
             date_to: str | None = None, limit: int = 200, verdict: str | None = None,
             since: str | None = None, until: str | None = None) -> list[ScreeningRow]:
        """Screenings, newest first; ``user`` limits to one user's.

        ``q`` searches the site name, the file name and the words kept with each
        screening (project name, builder, project code, industry, verdict, unit
        codes); every word of ``q`` must be found. ``verdict`` keeps one
        decision. ``date_from``/``date_to`` are ``YYYY-MM-DD`` (inclusive, UTC);
        ``since``/``until`` are ISO 8601 instants (UTC, ``...+00:00``), for a
        page that asks by its local day.
        """
        where, args = [], []
        if user is not None:
            where.append("user = ?")
            args.append(user)
        for word in (q or "").split():
            where.append("(site_name LIKE ? ESCAPE '\\' OR client_filename LIKE ? ESCAPE '\\' OR id IN "
                         "(SELECT id FROM screening_search WHERE words LIKE ? ESCAPE '\\'))")
            like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            args += [like, like, like.casefold()]
        if verdict:
            where.append("verdict = ?")
            args.append(verdict)
        if date_from:
            where.append("substr(created_at, 1, 10) >= ?")
            args.append(date_from)
        if date_to:
            where.append("substr(created_at, 1, 10) <= ?")
            args.append(date_to)
        if since:
            where.append("created_at >= ?")
            args.append(since)
        if until:
            where.append("created_at < ?")
            args.append(until)
        sql = f"SELECT {_COLUMNS} FROM screenings"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at DESC, rowid DESC LIMIT ?"
        args.append(int(limit))
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        return [_row(r) for r in rows]

    # -- audit log -----------------------------------------------------------
    def _audit(self, user: str, action: str, detail: str, ip: str) -> None:
        self._db.execute("INSERT INTO audit (at, user, action, detail, ip) VALUES (?,?,?,?,?)",
                         (now_iso(), user, action, detail, ip))

    def audit(self, user: str, action: str, detail: str = "", ip: str = "") -> None:
        """Append one line to the audit log (committed at once)."""
        with self._lock:
            self._audit(user, action, detail, ip)

    def audit_log(self, limit: int = 500) -> list[dict]:
        """The latest audit lines, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT seq, at, user, action, detail, ip FROM audit ORDER BY seq DESC LIMIT ?",
                                    (int(limit),)).fetchall()
        return [dict(zip(("seq", "at", "user", "action", "detail", "ip"), r)) for r in rows]

    # -- sessions ------------------------------------------------------------
    def add_session(self, token_hash: str, user: str, csrf: str, ttl_s: float, *, stamp: str = "") -> None:
        """Remember a login session (by the hash of its cookie) and the user's password stamp at login."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            self._db.execute("INSERT INTO sessions (token_hash, user, csrf, expires, stamp) VALUES (?,?,?,?,?)",
                             (token_hash, user, csrf, time.time() + ttl_s, stamp))

    def session(self, token_hash: str) -> tuple[str, str, str] | None:
        """``(user, csrf, stamp)`` of a live session, or None."""
        with self._lock:
            row = self._db.execute("SELECT user, csrf, expires, stamp FROM sessions WHERE token_hash = ?",
                                   (token_hash,)).fetchone()
        if not row or row[2] < time.time():
            return None
        return row[0], row[1], row[3]

    def drop_session(self, token_hash: str) -> None:
        """Forget a session (logout)."""
        with self._lock:
            self._db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
