"""The layer store in a PostgreSQL/PostGIS schema, shared by several reviewers and servers.

``--store postgresql://user@host:port/db?schema=gisplan`` names a store in schema
``gisplan`` (the default) of that database. It holds the same tables and columns as a
GeoPackage store (:mod:`gisplan.store.gpkg`), and the same figures: every area is computed by
gisplan at import and stored as ``float8``; geometries travel as WKB, bit for bit.

Layout of the schema:

- one **view** per table of a GeoPackage store (``control_units``, ``gisplan_pieces_<kind>``,
  ``gisplan_edges_<kind>``, ``gisplan_meta``, ``gisplan_access_list`` ...), selecting from
  the table version that is current (``<name>__v<n>``, geometry as PostGIS ``geometry``,
  SRID 4490 for layers, 0 for the equal-area pieces): what QGIS or psql show;
- ``gisplan_tables``: name -> current table version (the pointer every reader starts from);
- ``gisplan_checksums``: per name, its row count, the id of the transaction that wrote it and
  an MD5 digest of its rows (in ``fid`` order), computed by the import in its transaction: the
  store's content identity (:attr:`PgStore.identity`), which a record of screenings keeps;
- ``gisplan_generation``: a counter raised by every import (how a service sees a new one).

Columns named like PostgreSQL's system columns (``xmin``, ``xmax`` ... of the pieces'
bounding boxes) are stored with a trailing ``_`` and read back under their own name.

Writing: an import runs in ONE transaction under a transaction-level advisory lock of the
schema (waiting up to ``lock_timeout``): it writes new table versions, repoints the names and
commits; a failed, killed or disconnected import commits nothing. Superseded versions are
dropped afterwards when no reader holds them.

Reading: a :class:`PgStore` reads the table versions it started from, in ``REPEATABLE READ``
read-only transactions that lock (``ACCESS SHARE``) those versions: a snapshot, whatever imports
commit meanwhile, and no import can drop the versions it reads. :meth:`PgStore.release` ends the
transaction between uses (a service calls it after every request, so it never sits idle in a
transaction holding back VACUUM or blocking ``ALTER TABLE``); the next read begins a new one,
locking the same versions again and checking their checksums are unchanged.

Integrity: every row of a table version carries the id of the transaction that wrote it
(PostgreSQL's ``xmin``); a row changed, added or deleted by another tool changes that or the
row count, and the store is refused, as a GeoPackage store edited by another tool is. A table is
checked in full (count, ``xmin`` and content digest) when first read; rows read later (piece
geometries, attribute columns) are checked again as they are read.
"""

from __future__ import annotations

import math
import re
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.crs import CGCS2000, EQUAL_AREA
from ..errors import StoreError
from ..io.postgis import _first_line, _password_guess, _scrub, redact_source
from .gpkg import (
    CHECKSUM_TABLE,
    LOCK_TIMEOUT,
    META_COLUMNS,
    META_LAYER,
    PieceIndex,
    Store,
    StoreWriter,
    _check_kind,
    _check_table_name,
    _column,
    _edges_layer,
    _empty_meta,
    _kind_of,
    _pieces_layer,
)
from .files import pause_hook
from .url import is_pg_store_url
from ..vocab import KINDS

__all__ = ["PgStore", "PgStoreWriter", "is_pg_store_url", "parse_store_url", "DEFAULT_SCHEMA"]

DEFAULT_SCHEMA = "gisplan"
POINTER_TABLE = "gisplan_tables"
GENERATION_TABLE = "gisplan_generation"
_SEQUENCE = "gisplan_table_seq"
CONNECT_TIMEOUT_S = 10
#: Seconds a reader waits for a table version another program holds locked before it gives up.
READ_LOCK_TIMEOUT_S = 15
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
#: PostgreSQL's system column names: a table cannot have columns so named.
_SYSTEM_COLUMNS = {"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"}
#: Declared types as :func:`gisplan.store.gpkg._column` understands them.
_DECLARED = {"bigint": "BIGINT", "integer": "INTEGER", "smallint": "SMALLINT", "double precision": "DOUBLE",
             "real": "REAL", "boolean": "BOOLEAN", "date": "DATE", "timestamp without time zone": "DATETIME",
             "timestamp with time zone": "DATETIME"}


# ----------------------------------------------------------------------------- the URL

class PgLocation(str):
    """A store's URL without its password: what messages and results show as the store's path."""

    @property
    def name(self) -> str:
        """The URL itself (a file store shows its file name here)."""
        return str(self)


def parse_store_url(spec: str) -> tuple[str, str, PgLocation]:
    """Split a store URL into libpq's URL (without ``schema``), the schema and the URL as shown.

    Parameters
    ----------
    spec : str
        ``postgresql://user[:password]@host:port/db[?schema=NAME&...]``.

    Returns
    -------
    conninfo : str
        The URL for libpq.
    schema : str
        The store's schema (default ``gisplan``).
    shown : PgLocation
        The URL without password.

    Raises
    ------
    StoreError
        A schema name other than a plain lower-case identifier.
    """
    text = spec.strip()
    shown = PgLocation(redact_source(text))
    parts = urlsplit(text)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    rest = [(k, v) for k, v in query if k != "schema"]
    schema = schemas[-1] if schemas else DEFAULT_SCHEMA
    if not _SCHEMA_RE.match(schema):
        raise StoreError(f"store {shown}: schema must be a lower-case identifier (letters, digits, _), got {schema!r}")
    conninfo = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), parts.fragment))
    return conninfo, schema, shown


def names_schema(spec: str) -> bool:
    """Whether the URL ``spec`` has a ``schema`` parameter: a store, not a PostGIS source table."""
    return any(k == "schema" for k, _ in parse_qsl(urlsplit(spec.strip()).query, keep_blank_values=True))


def _error_text(exc: BaseException, spec: str) -> str:
    """One line of a driver error, without the password."""
    return _scrub(redact_source(_first_line(exc)), _password_guess(spec))


def _connect(spec: str, *, autocommit: bool = False):
    """A psycopg connection to the store's database; a failure is one :class:`StoreError` line."""
    import psycopg

    conninfo, _, shown = parse_store_url(spec)
    try:
        return psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S,
                               application_name="gisplan", client_encoding="UTF8")
    except Exception as exc:  # psycopg.OperationalError, ProgrammingError on a bad URL
        raise StoreError(f"cannot connect to store {shown}: {_error_text(exc, spec)}") from None


def _ident(*names: str):
    from psycopg import sql

    return sql.Identifier(*names)


def _pg_column(name: str) -> str:
    return name + "_" if name.lower() in _SYSTEM_COLUMNS else name


def _frame_column(name: str) -> str:
    return name[:-1] if name.endswith("_") and name[:-1].lower() in _SYSTEM_COLUMNS else name


# ----------------------------------------------------------------------------- reading

class _PgReader:
    """One connection (a snapshot transaction, or an import's transaction) shared by threads (serialised)."""

    def __init__(self, conn, schema: str, tables: dict[str, tuple[str, str | None, int | None]], *,
                 shown: str = "", on_begin=None):
        self.conn = conn
        self.schema = schema
        self.tables = tables
        self.shown = shown or schema
        #: Called (with the connection) before the first query of a new transaction: a snapshot relocks its versions.
        self.on_begin = on_begin
        #: Per table name, the id of the transaction that wrote it: rows read are checked against it (when set).
        self.expected_xid: dict[str, str] = {}
        self._lock = threading.Lock()
        weakref.finalize(self, _close_quietly, conn)  # a reader dropped unclosed closes its connection

    def _begin(self) -> None:
        from psycopg import pq

        if self.on_begin is not None and self.conn.info.transaction_status == pq.TransactionStatus.IDLE:
            self.on_begin(self.conn)

    def fetchall(self, query, params=None) -> list[tuple]:
        with self._lock:
            self._begin()
            return self.conn.execute(query, params).fetchall()

    def end_transaction(self) -> None:
        """Roll back the open read transaction, if any (its snapshot and locks end; the connection stays)."""
        import psycopg
        from psycopg import pq

        with self._lock:
            if self.conn.closed or self.conn.info.transaction_status == pq.TransactionStatus.IDLE:
                return
            try:
                self.conn.rollback()
            except psycopg.Error:
                pass

    def _changed(self, name: str, what: str) -> StoreError:
        return StoreError(f"store {self.shown}: {name} was changed by another tool after gisplan wrote it ({what}); "
                          f"re-import it or run `gisplan layers rebuild {self.shown}`")

    def guard(self, name: str, want_rows: int | None = None) -> None:
        """Check (in the current transaction) that table ``name`` still holds only rows its import wrote."""
        from psycopg import sql

        xid = self.expected_xid.get(name)
        if xid is None:
            return
        rows, foreign = self.fetchall(sql.SQL("SELECT count(*), count(*) FILTER (WHERE NOT (xmin = %s::xid)) FROM {}")
                                      .format(_ident(self.schema, self.physical(name))), (xid,))[0]
        if foreign:
            raise self._changed(name, f"{foreign} row(s) changed")
        if want_rows is not None and rows != want_rows:
            raise self._changed(name, f"{rows} rows instead of {want_rows}")

    def close(self) -> None:
        with self._lock:
            _close_quietly(self.conn)

    def physical(self, name: str) -> str:
        return self.tables[name][0]

    def piece_bounds(self, table: str) -> np.ndarray:
        """Per piece of ``table``: fid, feature_id, area, bounding box and the exclusive flag (n x 8)."""
        from psycopg import sql

        cols = ["fid", "feature_id", "area_m2", "xmin", "ymin", "xmax", "ymax", "exclusive"]
        rows = self.fetchall(sql.SQL("SELECT {} FROM {} ORDER BY fid").format(
            sql.SQL(", ").join(_ident(_pg_column(c)) for c in cols), _ident(self.schema, self.physical(table))))
        return np.asarray(rows, dtype="<f8").reshape(-1, 8)

    def piece_wkb(self, table: str, fids: np.ndarray) -> list[tuple[int, bytes]]:
        """(fid, WKB) of the pieces ``fids`` of ``table``."""
        from psycopg import sql

        wanted = [int(f) for f in fids]
        xid = self.expected_xid.get(table)
        rows = self.fetchall(sql.SQL("SELECT fid, ST_AsBinary(geom), xmin = %s::xid FROM {} WHERE fid = ANY(%s)").format(
            _ident(self.schema, self.physical(table))), (xid or "0", wanted))
        if xid is not None:  # rows read after the table was verified: each still the import's
            if len(rows) != len(set(wanted)):
                raise self._changed(table, f"{len(set(wanted)) - len(rows)} row(s) missing")
            if not all(r[2] for r in rows):
                raise self._changed(table, f"{sum(1 for r in rows if not r[2])} row(s) changed")
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def columns(self, name: str) -> list[tuple[str, str]]:
        """(column, type) of table ``name``'s current version, in order."""
        return self.fetchall(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (f'"{self.schema}"."{self.physical(name)}"',))

    def frame(self, name: str, geometry: bool = True) -> pd.DataFrame:
        """Table ``name`` as :func:`gisplan.store.gpkg._frame_from_sqlite` gives a GeoPackage table."""
        from psycopg import sql

        _, geom_col, _ = self.tables[name]
        self.guard(name)
        info = [(c, t) for c, t in self.columns(name) if c != "fid"]
        if not geometry:
            info = [(c, t) for c, t in info if c != geom_col]
        select = [sql.SQL("ST_AsBinary({})").format(_ident(c)) if c == geom_col else _ident(c) for c, _ in info]
        rows = self.fetchall(sql.SQL("SELECT {} FROM {} ORDER BY fid").format(
            sql.SQL(", ").join(select) if select else sql.SQL("fid"), _ident(self.schema, self.physical(name))))
        if not info:
            return pd.DataFrame(index=range(len(rows)))
        values = list(zip(*rows)) if rows else [()] * len(info)
        cols = [_frame_column(c) for c, _ in info]
        data = {col: _column(v, _DECLARED.get(t.split("(")[0], "TEXT"))
                for col, (c, t), v in zip(cols, info, values) if c != geom_col}
        frame = pd.DataFrame(data, columns=[col for col, (c, _) in zip(cols, info) if c != geom_col])
        if not geometry or geom_col is None:
            return frame
        blobs = values[[c for c, _ in info].index(geom_col)]
        geoms = shapely.from_wkb([None if b is None else bytes(b) for b in blobs])
        crs = EQUAL_AREA if name.startswith(("gisplan_pieces_", "gisplan_edges_")) else CGCS2000
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs), crs=crs)

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of ``kind`` (no geometries), in feature order."""
        from psycopg import sql

        self.guard(kind)
        rows = self.fetchall(sql.SQL("SELECT {} FROM {} ORDER BY fid").format(
            sql.SQL(", ").join(_ident(_pg_column(c)) for c in columns), _ident(self.schema, self.physical(kind))))
        return pd.DataFrame.from_records(rows, columns=columns)

    def check(self, name: str, recorded: str) -> str | None:
        """None when table ``name`` still holds exactly the rows its import wrote, else what differs.

        Row count, writing transaction of every row and the digest of the rows' content.
        """
        from psycopg import sql

        want_rows, fields = parse_checksum(recorded)
        xid, digest = fields.get("xid"), fields.get("md5")
        if xid is None or digest is None:
            return "no content checksum (written by an older gisplan)"
        rows, foreign, now = self.fetchall(sql.SQL(
            "SELECT count(*), count(*) FILTER (WHERE NOT (xmin = %s::xid)), " + _ROWS_DIGEST + " FROM {} t").format(
            _ident(self.schema, self.physical(name))), (xid,))[0]
        if str(rows) != want_rows:
            return f"{rows} rows instead of {want_rows}"
        if foreign:
            return f"{foreign} row(s) changed after the import"
        if (now or _EMPTY_DIGEST) != digest:
            return "content differs from what the import wrote"
        return None


#: The content digest of a table's rows (every column, in ``fid`` order), computed by the server.
_ROWS_DIGEST = "md5(string_agg(md5(t::text), '' ORDER BY t.fid))"
_EMPTY_DIGEST = "empty"


def parse_checksum(recorded: str) -> tuple[str, dict[str, str]]:
    """``"<rows> xid:<n> md5:<hex>"`` -> (rows, {"xid": n, "md5": hex})."""
    parts = recorded.split()
    fields = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    return (parts[0] if parts else ""), fields


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # a broken connection
        pass


def _pointer(conn, schema: str) -> dict[str, tuple[str, str | None, int | None]] | None:
    """Name -> (table version, geometry column, SRID) of the store in ``schema``; None without a store."""
    row = conn.execute("SELECT to_regclass(%s)", (f'"{schema}"."{POINTER_TABLE}"',)).fetchone()
    if row[0] is None:
        return None
    from psycopg import sql

    rows = conn.execute(sql.SQL("SELECT name, physical, geom_col, srid FROM {}").format(
        _ident(schema, POINTER_TABLE))).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


class PgStore(Store):
    """A gisplan layer store in a PostgreSQL/PostGIS schema, read as one consistent snapshot.

    Parameters
    ----------
    url : str
        ``postgresql://user@host:port/db?schema=NAME`` (schema default ``gisplan``).
    verify : bool
        Check each table's row count and writing transaction (once per kind, when
        first read) and refuse a store edited by another tool.

    Notes
    -----
    The same reading API as :class:`gisplan.store.gpkg.Store` (it is one). The store
    keeps one connection, reading in read-only ``REPEATABLE READ`` transactions
    that lock the table versions it opened; :meth:`release` ends the current
    one (a service calls it after each request; the next read begins another,
    on the same versions). Call :meth:`close` (or use ``with``) when done.
    """

    def __init__(self, url: str, *, verify: bool = True):  # noqa: D107 (documented on the class)
        self._spec = url.strip()
        self._conninfo, self.schema, self.path = parse_store_url(self._spec)
        self._verify_checksums = verify
        self._reader = None
        self._probe = None
        self._open()

    # -- opening -----------------------------------------------------------------
    def _open(self) -> None:
        import psycopg

        old = self._reader
        for attempt in range(5):
            conn = _connect(self._spec)
            try:
                # a reader waits at most this long for a table another program locked (ALTER TABLE ...)
                conn.execute(f"SET lock_timeout = '{READ_LOCK_TIMEOUT_S * 1000:.0f}ms'")
                conn.commit()
                state = self._begin_snapshot(conn)
            except psycopg.errors.UndefinedTable:  # a version was dropped between snapshot and lock: retry
                conn.close()
                if attempt == 4:
                    raise StoreError(f"store {self.path} keeps changing while it is opened; try again") from None
                continue
            except psycopg.Error as exc:
                conn.close()
                raise StoreError(f"store {self.path}: {_error_text(exc, self._spec)}") from None
            except BaseException:
                conn.close()
                raise
            break
        if old is not None:
            old.close()
        tables, sums, self.generation = state
        self._reader = _PgReader(conn, self.schema, tables, shown=str(self.path), on_begin=self._relock)
        if self._verify_checksums:
            self._reader.expected_xid = {n: f["xid"] for n, f in ((n, parse_checksum(v)[1]) for n, v in sums.items())
                                         if "xid" in f}
        self._tables = set(tables)
        self._layers = set(tables)
        self._geom_cols = {k: v[1] for k, v in tables.items() if v[1]}
        self._sums = sums
        self._verified: set[str] = set()
        self._cached: set[str] = set()
        self._file_id = None
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._indexes: dict[str, PieceIndex] = {}
        self._attribute_cache: dict[tuple, dict[str, list]] = {}
        self._engine_cache = None
        if self._verify_checksums:
            self._check_structure()

    def _begin_snapshot(self, conn) -> tuple[dict, dict, int]:
        from psycopg import IsolationLevel, sql

        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        tables = _pointer(conn, self.schema)
        if tables is None or META_LAYER not in tables:
            raise StoreError(f"store not found: {self.path} (no gisplan store in schema {self.schema}; "
                             "create one with `gisplan layers import`)")
        sums = {r[0]: f"{r[1]} {r[2]}" for r in conn.execute(sql.SQL("SELECT name, rows, checksum FROM {}").format(
            _ident(self.schema, CHECKSUM_TABLE))).fetchall()}
        generation = conn.execute(sql.SQL("SELECT n FROM {}").format(_ident(self.schema, GENERATION_TABLE))).fetchone()[0]
        physical = sorted({v[0] for v in tables.values()})
        conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
            sql.SQL(", ").join(_ident(self.schema, p) for p in physical)))
        return tables, sums, int(generation)

    def _relock(self, conn) -> None:
        """Begin a new read transaction on this snapshot's table versions (called before its first query).

        Locks them (``ACCESS SHARE``) and checks the store's checksums are the
        ones this snapshot opened with: a store dropped and loaded again (even
        under the same table names) is not read as this snapshot.
        """
        import psycopg
        from psycopg import sql

        physical = sorted({v[0] for v in self._reader.tables.values()})
        try:
            conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(
                sql.SQL(", ").join(_ident(self.schema, p) for p in physical)))
            sums = {r[0]: f"{r[1]} {r[2]}" for r in conn.execute(sql.SQL(
                "SELECT name, rows, checksum FROM {}").format(_ident(self.schema, CHECKSUM_TABLE))).fetchall()}
        except psycopg.Error as exc:
            try:
                conn.rollback()
            except psycopg.Error:
                pass
            if isinstance(exc, psycopg.errors.UndefinedTable):
                raise StoreError(f"store {self.path} was re-imported or dropped since it was opened; "
                                 "open it again") from None
            if isinstance(exc, psycopg.errors.LockNotAvailable):
                raise StoreError(f"store {self.path} is locked by another program (ALTER TABLE, VACUUM FULL ...) "
                                 f"for more than {READ_LOCK_TIMEOUT_S} s; try again later") from None
            raise StoreError(f"store {self.path}: {_error_text(exc, self._spec)}") from None
        if sums != self._sums:
            conn.rollback()
            raise StoreError(f"store {self.path} was changed since it was opened; open it again")

    def release(self) -> None:
        """End the current read transaction (its snapshot and table locks); the next read begins a new one.

        Nothing read changes: the next transaction reads the same table versions
        (checked unchanged), so the store stays one consistent snapshot.
        """
        if self._reader is not None:
            self._reader.end_transaction()

    @property
    def identity(self) -> str:
        """The content identity of this snapshot: SHA-256 of every table's name, row count and row digest.

        Two stores holding the same rows have the same identity, whatever their
        import counter; a store dropped and loaded with other data has another.
        """
        import hashlib
        import json

        content = {}
        for name, recorded in sorted(self._sums.items()):
            rows, fields = parse_checksum(recorded)
            content[name] = [rows, fields.get("md5", "xid:" + fields.get("xid", "?"))]
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def close(self) -> None:
        """Close the store's connections (reads after this fail)."""
        if self._reader is not None:
            self._reader.close()
        if self._probe is not None:
            _close_quietly(self._probe)
        self._probe = None

    def alive(self) -> bool:
        """Whether the snapshot can still be read: its connection works (a server restart or idle timeout
        ends it) and its table versions are there, unchanged (a new transaction is begun to check)."""
        import psycopg

        conn = self._reader.conn if self._reader is not None else None
        if conn is None or conn.closed or conn.broken:
            return False
        try:
            self._reader.fetchall("SELECT 1")
        except (psycopg.Error, StoreError):
            return False
        return True

    def latest_generation(self) -> int:
        """The store's generation as committed now (this snapshot's is :attr:`generation`)."""
        import psycopg
        from psycopg import sql

        try:
            if self._probe is None or self._probe.closed:
                self._probe = _connect(self._spec, autocommit=True)
                weakref.finalize(self, _close_quietly, self._probe)
            row = self._probe.execute(sql.SQL("SELECT n FROM {}").format(
                _ident(self.schema, GENERATION_TABLE))).fetchone()
        except psycopg.Error as exc:
            self._probe = None
            raise StoreError(f"store {self.path}: {_error_text(exc, self._spec)}") from None
        return int(row[0]) if row else -1

    # -- integrity -----------------------------------------------------------------
    def _rebuild_hint(self) -> str:
        return f"re-import it or run `gisplan layers rebuild {self.path}`"

    def _check_structure(self) -> None:
        for name in self._sums:
            if name not in self._tables:
                raise StoreError(f"store {self.path}: table {name} of layer {_kind_of(name)} is missing; "
                                 f"{self._rebuild_hint()}")
        for name in self._tables:
            if name not in self._sums:
                raise StoreError(f"store {self.path}: table {name} was not written by gisplan (no checksum); "
                                 f"{self._rebuild_hint()}")

    def _verify(self, name: str) -> None:
        import psycopg

        if not self._verify_checksums or name in self._verified:
            return
        group = [name, _pieces_layer(name), _edges_layer(name)] if name in KINDS else [name]
        for table in group:
            want = self._sums.get(table)
            if want is None or table not in self._tables:
                raise StoreError(f"store {self.path}: layer {name} has no checksum for {table}; {self._rebuild_hint()}")
            try:
                what = self._reader.check(table, want)
            except psycopg.Error as exc:
                raise StoreError(f"store {self.path}: layer {name} is unreadable "
                                 f"({_error_text(exc, self._spec)}); {self._rebuild_hint()}") from None
            if what and what.startswith("no content checksum"):
                raise StoreError(f"store {self.path}: table {table} has no content checksum (written by an older "
                                 f"gisplan); run `gisplan layers rebuild {self.path}`")
            if what:
                raise StoreError(f"store {self.path}: layer {name} differs from what gisplan wrote ({table}: {what}; "
                                 f"edited by another tool?); {self._rebuild_hint()}")
        self._verified.add(name)

    # -- reading ---------------------------------------------------------------------
    def _read_frame(self, table: str, geometry: bool = True) -> pd.DataFrame:
        import psycopg

        try:
            return self._reader.frame(table, geometry)
        except psycopg.Error as exc:
            raise StoreError(f"store {self.path}: cannot read {table} ({_error_text(exc, self._spec)})") from None

    def _open_index(self, kind: str, table: str) -> PieceIndex:
        import psycopg

        try:
            return PieceIndex(kind, self._reader, table)
        except psycopg.Error as exc:
            raise StoreError(f"store {self.path}: the {kind} index is unreadable "
                             f"({_error_text(exc, self._spec)}); {self._rebuild_hint()}") from None

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of layer ``kind`` without geometries (fast)."""
        import psycopg

        _check_kind(kind)
        if kind in self._frames:
            return pd.DataFrame(self._frames[kind][columns])
        if kind not in self._layers:
            raise StoreError(f"store {self.path} has no {kind} layer")
        self._verify(kind)
        try:
            return self._reader.attributes(kind, columns)
        except psycopg.Error as exc:
            raise StoreError(f"store {self.path}: cannot read {kind} attributes "
                             f"({_error_text(exc, self._spec)})") from None

    def layer_columns(self, kind: str) -> list[str]:
        """The attribute column names of layer ``kind`` (from the catalogue: no rows read)."""
        _check_kind(kind)
        if kind in self._frames:
            return [c for c in self._frames[kind].columns if c != self._frames[kind].geometry.name]
        if kind not in self._layers:
            raise StoreError(f"store {self.path} has no {kind} layer")
        geom = self._geom_cols.get(kind)
        return [_frame_column(c) for c, _ in self._reader.columns(kind) if c not in (geom, "fid")]

    def _attribute_rows(self, kind: str, columns: list[str]) -> list[tuple]:
        """Rows of :meth:`attributes` as tuples (what :meth:`Store.attribute_columns` caches); NULL as None."""
        frame = self.attributes(kind, columns)
        return [tuple(None if v is None or v != v else v for v in row)
                for row in frame.itertuples(index=False, name=None)]

    # -- creation and writing ---------------------------------------------------------
    @classmethod
    def create(cls, path: str, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> PgStore:
        """Create an empty store in the URL's schema (``overwrite``: empty an existing one) and open it."""
        with _write_transaction(path, lock_timeout, fresh=True, overwrite=overwrite):
            pass
        _drop_superseded(path)
        return cls(path)

    @classmethod
    def open_or_create(cls, path: str, *, lock_timeout: float = LOCK_TIMEOUT, verify: bool = True) -> PgStore:
        """Open the store at ``path``, creating an empty one when the schema holds none."""
        if not _exists(path):
            with _write_transaction(path, lock_timeout):  # makes the schema's tables under the lock
                pass
        return cls(path, verify=verify)

    @classmethod
    @contextmanager
    def build(cls, path: str, *, lock_timeout: float = LOCK_TIMEOUT) -> Iterator[PgStoreWriter]:
        """Build a whole new store in the URL's schema (replacing what it held) in one transaction."""
        with _write_transaction(path, lock_timeout, fresh=True, overwrite=True) as writer:
            yield writer
        _drop_superseded(path)

    @contextmanager
    def transaction(self, *, lock_timeout: float = LOCK_TIMEOUT) -> Iterator[PgStoreWriter]:
        """Lock the store (advisory lock) and collect writes committed in ONE transaction.

        Yields
        ------
        PgStoreWriter
            Its reads see the store as committed under the lock, with this transaction's writes.

        Raises
        ------
        StoreError
            Lock timeout, lost connection, any database error: nothing was committed.
        """
        with _write_transaction(self._spec, lock_timeout) as writer:
            yield writer
        self._open()  # closes the old snapshot, which held the superseded versions
        _drop_superseded(self._spec)

    def __repr__(self) -> str:
        return f"PgStore({str(self.path)!r}, kinds={self.kinds()})"


# ----------------------------------------------------------------------------- writing

def _exists(spec: str) -> bool:
    """Whether the URL's schema holds a store (its meta table is registered)."""
    import psycopg

    _, schema, shown = parse_store_url(spec)
    with _connect(spec, autocommit=True) as conn:
        try:
            tables = _pointer(conn, schema)
        except psycopg.Error as exc:
            raise StoreError(f"store {shown}: {_error_text(exc, spec)}") from None
    return bool(tables) and META_LAYER in tables


def _take_lock(conn, schema: str, timeout: float, shown: str) -> None:
    """The store's advisory lock for this transaction, waiting up to ``timeout`` seconds."""
    if timeout is None or not math.isfinite(timeout) or timeout < 0:
        raise StoreError(f"`lock_timeout` must be a non-negative number of seconds, got {timeout!r}")
    deadline = time.monotonic() + float(timeout)
    while True:
        got = conn.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (f"gisplan-store:{schema}",)).fetchone()[0]
        if got:
            return
        if time.monotonic() >= deadline:
            raise StoreError(f"store {shown} is being written by another gisplan process (still locked after "
                             f"{timeout:g} s); try again later or pass a longer `lock_timeout`")
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def _ensure_schema(conn, schema: str) -> None:
    """The store's bookkeeping tables (under the advisory lock, so no two writers race here)."""
    from psycopg import sql

    s = _ident(schema)
    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, physical text NOT NULL, "
                         "geom_col text, srid integer)").format(_ident(schema, POINTER_TABLE)))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY, rows bigint NOT NULL, "
                         "checksum text NOT NULL)").format(_ident(schema, CHECKSUM_TABLE)))
    conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (one boolean PRIMARY KEY DEFAULT true CHECK (one), "
                         "n bigint NOT NULL)").format(_ident(schema, GENERATION_TABLE)))
    conn.execute(sql.SQL("INSERT INTO {} (one, n) VALUES (true, 0) ON CONFLICT DO NOTHING").format(
        _ident(schema, GENERATION_TABLE)))
    conn.execute(sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}").format(_ident(schema, _SEQUENCE)))


@contextmanager
def _write_transaction(spec: str, lock_timeout: float, *, fresh: bool = False,
                       overwrite: bool = False) -> Iterator[PgStoreWriter]:
    """One write transaction: lock, yield a writer, record checksums, commit; roll back on any failure."""
    import psycopg

    _, schema, shown = parse_store_url(spec)
    conn = _connect(spec)
    committed = False
    try:
        try:
            _take_lock(conn, schema, lock_timeout, shown)
            existing = _pointer(conn, schema)
            if fresh and existing and META_LAYER in existing and not overwrite:
                raise StoreError(f"{shown} holds a store; pass overwrite=True to replace it")
            if conn.execute("SELECT to_regtype('geometry')").fetchone()[0] is None:
                raise StoreError(f"store {shown}: the database has no PostGIS (CREATE EXTENSION postgis)")
            _ensure_schema(conn, schema)
            writer = PgStoreWriter(conn, schema, shown)
            if fresh:
                writer._clear()
            if META_LAYER not in writer._r.tables:
                writer.write_table(META_LAYER, _empty_meta(), internal=True)
            yield writer
            writer.finish()
            pause_hook("written")
            conn.commit()
            committed = True
        except psycopg.Error as exc:
            raise _write_error(exc, spec, shown) from None
    finally:
        if not committed:
            try:
                conn.rollback()
            except Exception:  # the connection may be gone: the server rolls back anyway
                pass
        conn.close()


def _write_error(exc: BaseException, spec: str, shown: str) -> StoreError:
    import psycopg

    if isinstance(exc, psycopg.errors.DiskFull):
        return StoreError(f"no space left on the database server writing {shown}; the store is unchanged")
    return StoreError(f"writing store {shown} failed, the store is unchanged: {_error_text(exc, spec)}")


def _drop_superseded(spec: str) -> None:
    """Drop table versions no name points to any more, unless a reader still holds one (best effort)."""
    import psycopg
    from psycopg import sql

    _, schema, _ = parse_store_url(spec)
    try:
        with _connect(spec, autocommit=True) as conn:
            rows = conn.execute(sql.SQL(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind = 'r' AND c.relname ~ '__v[0-9]+$' "
                "AND c.relname NOT IN (SELECT physical FROM {})").format(_ident(schema, POINTER_TABLE)),
                (schema,)).fetchall()
            for (name,) in rows:
                try:
                    with conn.transaction():
                        conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE NOWAIT").format(
                            _ident(schema, name)))
                        conn.execute(sql.SQL("DROP TABLE {}").format(_ident(schema, name)))
                except psycopg.Error:  # a reader holds it: a later import drops it
                    pass
    except (psycopg.Error, StoreError):
        pass


def _pg_type(series: pd.Series) -> str:
    dt = series.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "boolean"
    if pd.api.types.is_integer_dtype(dt):
        return "bigint"
    if pd.api.types.is_float_dtype(dt):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "timestamp with time zone" if getattr(dt, "tz", None) is not None else "timestamp"
    return "text"


def _values(series: pd.Series, pg_type: str) -> list:
    """Python values for COPY (None for missing)."""
    if pg_type in ("boolean", "bigint") and not series.isna().any():
        return series.to_numpy().tolist()
    if pg_type == "double precision":
        return [None if math.isnan(v) else v for v in series.to_numpy(dtype=float).tolist()]
    if pg_type.startswith("timestamp"):
        return [None if pd.isna(v) else pd.Timestamp(v).to_pydatetime() for v in series]
    out = []
    for v in series.tolist():
        if v is None or (not isinstance(v, (list, dict, tuple, np.ndarray)) and pd.isna(v)):
            out.append(None)
        elif pg_type == "text":
            out.append(v if isinstance(v, str) else str(v))
        else:
            out.append(v.item() if hasattr(v, "item") else v)
    return out


def _hex_wkb(geoms: np.ndarray, srid: int, promote: bool) -> list:
    if promote:
        geoms = np.array([shapely.MultiPolygon([g]) if g is not None and g.geom_type == "Polygon" else g
                          for g in geoms], dtype=object)
    if srid:
        geoms = shapely.set_srid(geoms, srid)
    return list(shapely.to_wkb(geoms, hex=True, include_srid=bool(srid)))


class PgStoreWriter(StoreWriter):
    """The writes of one :meth:`PgStore.transaction`: new table versions in the open transaction.

    Reads see the store as committed under the lock plus this transaction's writes.
    """

    def __init__(self, conn, schema: str, shown: str):  # noqa: D107
        self.conn = conn
        self.schema = schema
        self.path = shown
        self.tmp = None
        self._r = _PgReader(conn, schema, _pointer(conn, schema) or {})
        self._rows: dict[str, int] = {}
        self._touched: set[str] = set()
        self._dropped: set[str] = set()

    # -- reading the next version ---------------------------------------------------
    def has(self, kind: str) -> bool:
        """Whether the next version holds layer or table ``kind``."""
        return kind in self._r.tables

    def kinds(self) -> list[str]:
        """Layer kinds of the next version."""
        return [k for k in KINDS if k in self._r.tables]

    def table_names(self) -> set[str]:
        """Names of the layers and attribute tables of the next version."""
        return set(self._r.tables)

    def read(self, kind: str) -> gpd.GeoDataFrame:
        """Layer ``kind`` of the next version."""
        return self._r.frame(kind)

    def read_table(self, name: str) -> pd.DataFrame | None:
        """Attribute table ``name`` of the next version, or None."""
        return self._r.frame(name, geometry=False) if name in self._r.tables else None

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of layer ``kind`` of the next version."""
        return self._r.attributes(kind, columns)

    # -- writing ------------------------------------------------------------------------
    def _write_layer_tables(self, kind: str, layer, pieces, edges, new_meta: pd.DataFrame) -> None:
        self._write_frame(kind, layer, srid=4490, promote=True)
        self._write_frame(_pieces_layer(kind), pieces, srid=0)
        self._write_frame(_edges_layer(kind), edges, srid=0)
        self._write_frame(META_LAYER, new_meta[META_COLUMNS])

    def drop_layer(self, kind: str) -> None:
        """Remove layer ``kind``, its derived tables, meta row and checksums."""
        for name in (kind, _pieces_layer(kind), _edges_layer(kind)):
            self._unlink(name)
        meta = self.meta()
        self._write_frame(META_LAYER, meta[meta["kind"] != kind][META_COLUMNS])

    def write_table(self, name: str, frame: pd.DataFrame, *, internal: bool = False) -> None:
        """Replace the non-spatial table ``name`` (see :meth:`gisplan.store.gpkg.Store.write_table`)."""
        if not internal:
            _check_table_name(name)
        self._write_frame(name, pd.DataFrame(frame))

    def _clear(self) -> None:
        """Unlink every table (a store built anew)."""
        for name in list(self._r.tables):
            self._unlink(name)

    def _unlink(self, name: str) -> None:
        from psycopg import sql

        if name not in self._r.tables:
            return
        self.conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(_ident(self.schema, name)))
        self.conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(_ident(self.schema, POINTER_TABLE)), (name,))
        del self._r.tables[name]
        self._touched.discard(name)
        self._dropped.add(name)

    def _write_frame(self, name: str, frame: pd.DataFrame, *, srid: int | None = None, promote: bool = False) -> None:
        """Write ``frame`` as a new version of table ``name`` and point ``name`` (and its view) at it."""
        from psycopg import sql

        geom_col = "geom" if isinstance(frame, gpd.GeoDataFrame) else None
        attrs = [c for c in frame.columns if not (geom_col and c == frame.geometry.name)]
        cols = [_pg_column(str(c)) for c in attrs]
        long = [c for c in cols + [name + "__v0000000000"] if len(c.encode("utf-8")) > 63]
        if long:
            raise StoreError(f"store {self.path}: name {long[0]!r} is longer than PostgreSQL's 63 bytes")
        if len({c.lower() for c in cols} | {"fid", "geom"}) != len(cols) + 2:
            raise StoreError(f"store {self.path}: table {name} would have duplicate columns ({', '.join(cols)})")
        n = self.conn.execute(sql.SQL("SELECT nextval(%s)"), (f'"{self.schema}"."{_SEQUENCE}"',)).fetchone()[0]
        physical = f"{name}__v{n}"
        types = [_pg_type(frame[c]) for c in attrs]
        defs = [sql.SQL("fid bigint PRIMARY KEY")] + [sql.SQL("{} {}").format(_ident(c), sql.SQL(t))
                                                     for c, t in zip(cols, types)]
        if geom_col:
            defs.append(sql.SQL("geom geometry(Geometry, {})").format(sql.Literal(int(srid or 0))))
        target = _ident(self.schema, physical)
        self.conn.execute(sql.SQL("CREATE TABLE {} ({})").format(target, sql.SQL(", ").join(defs)))
        columns = [_values(frame[c], t) for c, t in zip(attrs, types)]
        if geom_col:
            columns.append(_hex_wkb(np.asarray(frame.geometry.values, dtype=object), int(srid or 0), promote))
        names = [sql.Identifier("fid")] + [_ident(c) for c in cols] + ([sql.Identifier("geom")] if geom_col else [])
        with self.conn.cursor().copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, sql.SQL(", ").join(names))) as cp:
            for i, row in enumerate(zip(*columns) if columns else [()] * len(frame)):
                cp.write_row((i + 1, *row))
        self.conn.execute(sql.SQL("INSERT INTO {} (name, physical, geom_col, srid) VALUES (%s, %s, %s, %s) "
                                  "ON CONFLICT (name) DO UPDATE SET physical = EXCLUDED.physical, "
                                  "geom_col = EXCLUDED.geom_col, srid = EXCLUDED.srid").format(
            _ident(self.schema, POINTER_TABLE)), (name, physical, geom_col, srid if geom_col else None))
        self.conn.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(_ident(self.schema, name)))
        self.conn.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(_ident(self.schema, name), target))
        self._r.tables[name] = (physical, geom_col, srid if geom_col else None)
        self._rows[name] = len(frame)
        self._touched.add(name)
        self._dropped.discard(name)

    def finish(self, names: set[str] | None = None) -> None:
        """Record row counts and the writing transaction of the tables written; raise the generation."""
        from psycopg import sql

        if not (self._touched or self._dropped):
            return  # nothing written: the generation stays
        xid = self.conn.execute("SELECT txid_current() % 4294967296").fetchone()[0]
        sums = _ident(self.schema, CHECKSUM_TABLE)
        for name in self._dropped - self._touched:
            self.conn.execute(sql.SQL("DELETE FROM {} WHERE name = %s").format(sums), (name,))
        for name in sorted(self._touched):
            rows, digest = self.conn.execute(sql.SQL("SELECT count(*), " + _ROWS_DIGEST + " FROM {} t").format(
                _ident(self.schema, self._r.physical(name)))).fetchone()
            self.conn.execute(sql.SQL("INSERT INTO {} (name, rows, checksum) VALUES (%s, %s, %s) ON CONFLICT (name) "
                                      "DO UPDATE SET rows = EXCLUDED.rows, checksum = EXCLUDED.checksum").format(sums),
                              (name, rows, f"xid:{xid} md5:{digest or _EMPTY_DIGEST}"))
        self.conn.execute(sql.SQL("UPDATE {} SET n = n + 1").format(_ident(self.schema, GENERATION_TABLE)))
