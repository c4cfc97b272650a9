"""The layer store: one GeoPackage holding the four zoning layer kinds.

Layout of a store file:

- ``control_units``, ``eco_redline``, ``protected_areas``, ``water_sources``:
  the layers in CGCS2000 lon/lat (EPSG:4490) with the fixed schema of
  :data:`gisplan.vocab.SCHEMA`, plus ``feature_id``, ``area_m2`` (ellipsoidal)
  and ``area_gk_m2`` (planimetric, the feature's 3-degree GK zone) and any
  source attributes kept as they came;
- ``gisplan_pieces_<kind>``: the same features cut into pieces of at most
  256 vertices in an equal-area projection (GRS80 Albers), built at import time,
  so a query intersects small pieces and sums exact ellipsoidal areas;
- ``gisplan_edges_<kind>``: the features' boundaries as short lines, so a
  batch can tell the many sites lying wholly inside one feature without overlay;
- ``gisplan_piece_bounds``: the bounding boxes of pieces and edges, one blob per table;
- ``gisplan_meta``: one row per layer kind: source, mapping, checksum, time;
- ``gisplan_checksums``: per table gisplan wrote, its row count and a blake2b
  checksum of its content, so a store edited by another tool (a unit appended
  in QGIS, a piece changed with sqlite3, a table dropped) is refused instead
  of screened wrongly (``gisplan layers rebuild STORE`` re-derives the tables).

Writing: every write takes an exclusive lock (a ``.lock`` file beside the
store) for its whole read-modify-write, goes to a temporary copy beside the
store and replaces it in one ``os.replace``: a failed, killed or concurrent
import leaves the old store (or the other writer's) complete.

Reading: a :class:`Store` holds one read-only SQLite connection to the file
it opened and reads everything through it. The file is never changed in
place, only replaced, so a Store is a consistent snapshot even while another
process re-imports a layer.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._lazy import lazy_module
from .._version import __version__
from ..geo.crs import CGCS2000, EQUAL_AREA
from ..errors import StoreError
from .files import (
    LOCK_TIMEOUT,
    cached_verified,
    connect_rw,
    file_id,
    refuse_foreign_wal,
    remember_verified,
    store_lock,
    write_session,
)
from .files import one_line as _one_line
from ..io.outputs import make_folder
from ..geo.geometry import polygonal_part, split_lines, subdivide, to_equal_area, to_gk
from ..vocab import KINDS, SCHEMA

# frames and GDAL load only for the calls that need them: a CSV batch reads the store without them
if TYPE_CHECKING:  # the type checker sees the modules; at run time they load on first use
    import geopandas as gpd
    import pandas as pd
    import pyogrio
else:
    gpd = lazy_module("geopandas")
    pd = lazy_module("pandas")
    pyogrio = lazy_module("pyogrio")

__all__ = ["Store", "StoreWriter", "PieceIndex", "prepare_layer", "store_lock", "MAX_PIECE_VERTICES", "LOCK_TIMEOUT"]

MAX_PIECE_VERTICES = 256
#: Boundary lines are cut shorter: a site tests only the few near it.
MAX_EDGE_VERTICES = 64
META_LAYER = "gisplan_meta"
#: Per kind, the pieces' fid, feature_id, area and bounding box as one float64 blob:
#: opening a store for a query reads a single row instead of every piece.
BOUNDS_TABLE = "gisplan_piece_bounds"
#: Row count and content checksum of every table gisplan wrote.
CHECKSUM_TABLE = "gisplan_checksums"
META_COLUMNS = [
    "kind", "features", "source", "source_layer", "source_sha256", "mapping",
    "encoding", "source_crs", "imported_at", "gisplan_version", "warnings",
]


def _pieces_layer(kind: str) -> str:
    return f"gisplan_pieces_{kind}"


def _edges_layer(kind: str) -> str:
    return f"gisplan_edges_{kind}"


class PieceIndex:
    """Equal-area pieces of one layer kind, read lazily.

    Only the pieces' bounding boxes are read up front (one SQL query); a box
    STRtree finds the candidates of a query and just those geometries are read
    from the GeoPackage. A batch of sites spread over a province touches a
    small share of the pieces, so most of the store is never decoded.
    """

    def __init__(self, kind: str, reader: _Reader, table: str):
        self.kind = kind
        self._reader = reader
        self._table = table
        arr = reader.piece_bounds(table)
        self.fid = arr[:, 0].astype(np.int64)
        self.feature = arr[:, 1].astype(np.int64)
        self.area = arr[:, 2]
        self.bounds = arr[:, 3:7]
        #: Pieces that fill their bounding box and share no interior with another
        #: feature: a site inside such a box lies wholly in that one feature.
        self.exclusive = arr[:, 7] > 0
        self._geoms = np.full(len(self.fid), None, dtype=object)
        self._loaded = np.zeros(len(self.fid), dtype=bool)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.fid)

    @cached_property
    def box_tree(self) -> shapely.STRtree:
        """STRtree over the pieces' bounding boxes."""
        b = self.bounds
        return shapely.STRtree(shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))

    def candidates(self, geoms, distance: float = 0.0) -> np.ndarray:
        """Pieces whose bounding box lies within ``distance`` of each geometry.

        Returns the ``(2, n)`` array of (geometry index, piece index) pairs of
        ``STRtree.query`` (a 1-d array of piece indexes for a scalar geometry).
        """
        if len(self) == 0:
            return np.empty((2, 0), np.int64) if np.ndim(geoms) else np.empty(0, np.int64)
        if distance > 0:
            return self.box_tree.query(geoms, predicate="dwithin", distance=distance)
        return self.box_tree.query(geoms)

    def geoms(self, idx: np.ndarray) -> np.ndarray:
        """Geometries of pieces ``idx`` (read from the store on first use; thread-safe)."""
        idx = np.asarray(idx, dtype=np.int64)
        missing = np.unique(idx[~self._loaded[idx]])
        if len(missing):
            self._read(missing)
        return self._geoms[idx]

    def forget(self) -> None:
        """Drop the geometries read so far; they are read again when next asked for.

        Bounds memory over a long streamed batch (between chunks). Not while
        other threads screen against this index.
        """
        with self._lock:
            self._geoms[:] = None
            self._loaded[:] = False

    def _read(self, idx: np.ndarray) -> None:
        pos = {int(f): int(i) for f, i in zip(self.fid[idx], idx)}
        for start in range(0, len(idx), 50_000):
            rows = self._reader.piece_wkb(self._table, self.fid[idx[start:start + 50_000]])
            where = np.fromiter((pos[r[0]] for r in rows), dtype=np.int64, count=len(rows))
            geoms = shapely.from_wkb([r[1] for r in rows])
            with self._lock:  # threads may read overlapping sets: same values either way
                self._geoms[where] = geoms
                self._loaded[where] = True


class _Reader:
    """One read-only SQLite connection to a store file, shared by threads (serialised).

    ``immutable=1``: the file is never modified in place, only replaced, so
    SQLite need not lock it and keeps reading the version it opened.
    """

    def __init__(self, path: Path):
        uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
        self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._lock = threading.Lock()

    def fetchall(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, params).fetchall()

    def fetchone(self, sql: str, params: tuple = ()):
        with self._lock:
            return self._con.execute(sql, params).fetchone()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        with self._lock:
            cur = self._con.execute(sql)
            return [d[0] for d in cur.description], cur.fetchall()

    def checksum(self, table: str) -> tuple[int, str]:
        with self._lock:
            return _table_checksum(self._con, table)

    def piece_bounds(self, table: str) -> np.ndarray:
        """Per piece of ``table``: fid, feature_id, area, bounding box and the exclusive flag (n x 8)."""
        row = self.fetchone(f"SELECT data FROM {BOUNDS_TABLE} WHERE kind = ?", (table,))
        if row is None:
            raise sqlite3.OperationalError(f"no {table} row in {BOUNDS_TABLE}")
        return np.frombuffer(row[0], dtype="<f8").reshape(-1, 8)

    def piece_wkb(self, table: str, fids: np.ndarray) -> list[tuple[int, bytes]]:
        """(fid, WKB) of the pieces ``fids`` of ``table``."""
        chunk = ",".join(str(int(f)) for f in fids)
        rows = self.fetchall(f'SELECT fid, geom FROM "{table}" WHERE fid IN ({chunk})')
        return [(r[0], _gpkg_wkb(r[1])) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._con.close()


def attribute_columns(store, kind: str, columns: list[str]) -> dict[str, list]:
    """Attribute columns of layer ``kind`` as lists, from any store (no frames when it can).

    Uses :meth:`Store.attribute_columns` where the store has it, else its
    ``attributes`` frame.
    """
    lean = getattr(store, "attribute_columns", None)
    if lean is not None:
        return lean(kind, columns)
    table = store.attributes(kind, columns)
    return {c: table[c].tolist() for c in columns}


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _table_checksum(con: sqlite3.Connection, table: str) -> tuple[int, str]:
    """Row count and blake2b checksum of a table's content (every column, rows in rowid order).

    Column by column: a column of blobs (geometries) hashes its lengths and
    bytes, any other its values' ``repr`` (types included: 1, 1.0 and '1'
    differ). A bounds row (``gisplan_piece_bounds/<table>``) is checksummed alone.
    """
    h = hashlib.blake2b(digest_size=16)
    if table.startswith(BOUNDS_TABLE + "/"):
        cur = con.execute(f"SELECT kind, data FROM {BOUNDS_TABLE} WHERE kind = ?", (table.split("/", 1)[1],))
    else:
        cur = con.execute(f"SELECT * FROM {_quote(table)} ORDER BY rowid")
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    h.update(repr((names, len(rows))).encode())
    for name, values in zip(names, zip(*rows)):
        h.update(repr(name).encode())
        if any(type(v) is bytes for v in values) and all(type(v) is bytes or v is None for v in values):
            h.update(repr([-1 if v is None else len(v) for v in values]).encode())
            for v in values:
                if v is not None:
                    h.update(v)
        else:
            h.update(repr(values).encode())
    return len(rows), h.hexdigest()


def _write_part_bounds(gpkg: str, table: str) -> None:
    with closing(connect_rw(gpkg)) as con:
        rows = con.execute(
            f'SELECT fid, feature_id, area_m2, xmin, ymin, xmax, ymax, exclusive FROM "{table}" ORDER BY fid'
        ).fetchall()
        blob = np.asarray(rows, dtype="<f8").reshape(-1, 8).tobytes()
        con.execute(f"CREATE TABLE IF NOT EXISTS {BOUNDS_TABLE} (kind TEXT PRIMARY KEY, data BLOB NOT NULL)")
        con.execute(f"INSERT OR REPLACE INTO {BOUNDS_TABLE} (kind, data) VALUES (?, ?)", (table, blob))
        con.commit()


#: Envelope sizes of GeoPackage binary geometry headers, by envelope indicator.
_GPKG_ENVELOPE = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def _gpkg_wkb(blob: bytes) -> bytes:
    """Strip the GeoPackage header (magic, flags, srs id, envelope) off a geometry blob."""
    return blob[8 + _GPKG_ENVELOPE[(blob[3] >> 1) & 7]:]


def _exclusive_pieces(pieces: np.ndarray, parent: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Pieces that fill their bounding box and whose interior no other feature's piece enters."""
    b = shapely.bounds(pieces)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    solid = np.abs(box_area - area) <= 1e-9 * np.maximum(box_area, 1.0)
    exclusive = solid.copy()
    idx = np.flatnonzero(solid)
    if len(idx):
        qi, qj = shapely.STRtree(pieces).query(pieces[idx], predicate="intersects")
        other = parent[idx[qi]] != parent[qj]
        qi, qj = qi[other], qj[other]
        shared = shapely.relate_pattern(pieces[idx[qi]], pieces[qj], "T********")
        exclusive[idx[qi[shared]]] = False
    return exclusive


def _parts_frame(geoms: np.ndarray, parent: np.ndarray, area: np.ndarray, exclusive: np.ndarray | None = None) -> gpd.GeoDataFrame:
    b = shapely.bounds(geoms)
    exclusive = np.zeros(len(geoms), dtype=np.int64) if exclusive is None else exclusive.astype(np.int64)
    return gpd.GeoDataFrame(
        {"feature_id": parent.astype(np.int64), "area_m2": area,
         "xmin": b[:, 0], "ymin": b[:, 1], "xmax": b[:, 2], "ymax": b[:, 3], "exclusive": exclusive},
        geometry=geoms,
        crs=EQUAL_AREA,
    )


def prepare_layer(kind: str, frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Add ids and areas to a schema frame in EPSG:4490 and cut its equal-area pieces.

    Parameters
    ----------
    kind : str
        One of :data:`gisplan.vocab.KINDS`.
    frame : GeoDataFrame
        Valid polygonal features in CGCS2000 lon/lat with the schema columns.

    Returns
    -------
    layer : GeoDataFrame
        ``frame`` with ``feature_id``, ``area_m2`` and ``area_gk_m2``.
    pieces : GeoDataFrame
        Columns ``feature_id``, ``area_m2`` and the bounding box, geometry in :data:`gisplan.geo.crs.EQUAL_AREA`.
    edges : GeoDataFrame
        The features' boundaries cut into lines of at most the same number of
        vertices (same columns, ``area_m2`` 0): a site that touches no edge of
        a feature lies wholly inside or wholly outside it.
    """
    layer = frame.reset_index(drop=True).copy()
    geoms = layer.geometry.values.to_numpy() if hasattr(layer.geometry.values, "to_numpy") else np.asarray(layer.geometry.values)
    ea = to_equal_area(np.asarray(geoms, dtype=object))
    layer.insert(0, "feature_id", np.arange(len(layer), dtype=np.int64))
    layer["area_m2"] = shapely.area(ea)
    gk = np.empty(len(layer))
    cx = shapely.get_x(shapely.centroid(np.asarray(geoms, dtype=object)))
    for lon in np.unique(np.round(cx / 3) * 3):
        sel = np.round(cx / 3) * 3 == lon
        gk[sel] = shapely.area(to_gk(shapely.segmentize(np.asarray(geoms, dtype=object)[sel], 0.001), float(lon)))
    layer["area_gk_m2"] = gk
    pieces, parent = subdivide(ea, MAX_PIECE_VERTICES)
    edges, edge_parent = split_lines(shapely.boundary(ea), MAX_EDGE_VERTICES)
    return (
        layer,
        _parts_frame(pieces, parent, shapely.area(pieces), _exclusive_pieces(pieces, parent, shapely.area(pieces))),
        _parts_frame(edges, edge_parent, np.zeros(len(edges))),
    )


def _empty_meta() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c == "features" else "object") for c in META_COLUMNS})


class Store:
    """A gisplan layer store (GeoPackage), read as one consistent snapshot.

    Parameters
    ----------
    path : str or Path
        The store file. It must exist and have been made by :meth:`Store.create`.
    verify : bool
        Check each layer's row count and checksum (once per kind, when it is
        first read) and refuse a store edited by another tool. Only
        ``gisplan layers rebuild`` opens a store without.

    Notes
    -----
    The store opens one read-only SQLite connection when it is constructed and
    reads everything through it: a Store is a snapshot of the file as it was
    then, whatever other processes write meanwhile (they replace the file, never
    change it in place). Writes (:meth:`write_layer`, :meth:`write_table`,
    :meth:`transaction`) lock the store, replace it atomically and leave this
    object reading the new version.

    Examples
    --------
    >>> store = Store("layers/demo_yanbian.gpkg")      # doctest: +SKIP
    >>> store.read("control_units").head()             # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, *, verify: bool = True):
        self.path = Path(path)
        self._verify_checksums = verify
        self._reader: _Reader | None = None
        self._open()

    def _open(self) -> None:
        if not self.path.is_file():
            raise StoreError(f"store not found: {self.path} (create one with `gisplan layers import` or `gisplan demo`)")
        refuse_foreign_wal(self.path)
        old = self._reader
        before = file_id(self.path)
        try:
            reader = _Reader(self.path)
            tables = {r[0] for r in reader.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "gpkg_contents" not in tables:
                raise sqlite3.DatabaseError("no gpkg_contents table")
            contents = {r[0] for r in reader.fetchall("SELECT table_name FROM gpkg_contents")}
            geom_cols = dict(reader.fetchall("SELECT table_name, column_name FROM gpkg_geometry_columns")) \
                if "gpkg_geometry_columns" in tables else {}
            sums = dict(reader.fetchall(f"SELECT name, rows || ' ' || checksum FROM {CHECKSUM_TABLE}")) \
                if CHECKSUM_TABLE in tables else None
        except sqlite3.Error as exc:
            raise StoreError(f"not a readable GeoPackage store: {self.path} ({_one_line(exc)})") from None
        if META_LAYER not in contents:
            reader.close()
            raise StoreError(f"{self.path} is a GeoPackage but not a gisplan store (no {META_LAYER} table)")
        if old is not None:
            old.close()
        self._reader = reader
        self._tables = tables
        self._layers = contents & tables
        self._geom_cols = geom_cols
        self._sums = sums
        self._verified: set[str] = set()
        # the file this connection reads, if it was not replaced while connecting
        self._file_id = before if before is not None and before == file_id(self.path) else None
        self._cached = cached_verified(self.path, self._file_id) if self._verify_checksums else set()
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._indexes: dict[str, PieceIndex] = {}
        self._attribute_cache: dict[tuple, dict[str, list]] = {}
        self._engine_cache = None  # gisplan.engine.single's per-snapshot cache
        if self._verify_checksums:
            self._check_structure()

    def close(self) -> None:
        """Close the store's connection (reads after this fail)."""
        if self._reader is not None:
            self._reader.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- integrity --------------------------------------------------------------
    def _rebuild_hint(self) -> str:
        return f"re-import it or run `gisplan layers rebuild {self.path}`"

    def _check_structure(self) -> None:
        """Cheap checks at opening: every table gisplan recorded exists, no layer came without one."""
        if self._sums is None:
            if any(k in self._layers for k in KINDS):
                raise StoreError(f"store {self.path} has no {CHECKSUM_TABLE} table (made by an older gisplan or "
                                 f"edited by another tool): run `gisplan layers rebuild {self.path}`")
            return
        for name in self._sums:
            table = name.split("/", 1)[1] if name.startswith(BOUNDS_TABLE + "/") else name
            if table not in self._tables:
                raise StoreError(f"store {self.path}: table {table} of layer {_kind_of(name)} is missing "
                                 f"(dropped by another tool?); {self._rebuild_hint()}")
        for kind in KINDS:
            if kind in self._layers and kind not in self._sums:
                raise StoreError(f"store {self.path}: layer {kind} was not written by gisplan (no checksum); "
                                 f"{self._rebuild_hint()}")

    def _verify(self, name: str) -> None:
        """Compare a layer kind's (or attribute table's) tables with their recorded checksums, once."""
        if not self._verify_checksums or name in self._verified or self._sums is None:
            return
        if name in self._cached:  # this very file (inode, size, times) was verified before
            self._verified.add(name)
            return
        group = [name, _pieces_layer(name), _edges_layer(name), f"{BOUNDS_TABLE}/{_pieces_layer(name)}",
                 f"{BOUNDS_TABLE}/{_edges_layer(name)}"] if name in KINDS else [name]
        for table in group:
            want = self._sums.get(table)
            if want is None:
                raise StoreError(f"store {self.path}: layer {name} has no checksum for {table}; {self._rebuild_hint()}")
            try:
                rows, digest = self._reader.checksum(table)
            except sqlite3.Error as exc:
                raise StoreError(f"store {self.path}: layer {name} is unreadable ({_one_line(exc)}); "
                                 f"{self._rebuild_hint()}") from None
            want_rows, want_digest = want.split(" ", 1)
            if f"{rows} {digest}" != want:
                what = f"{rows} rows instead of {want_rows}" if str(rows) != want_rows else "content changed"
                raise StoreError(f"store {self.path}: layer {name} differs from what gisplan wrote ({table}: {what}; "
                                 f"edited by another tool?); {self._rebuild_hint()}")
        self._verified.add(name)
        if self._file_id is not None:
            remember_verified(self.path, self._file_id, self._verified)

    def verify(self) -> None:
        """Check every layer and table against its recorded checksum.

        Raises
        ------
        StoreError
            Naming the first layer that differs and the command that rebuilds it.
        """
        for kind in self.kinds():
            self._verify(kind)
        for name in sorted(self._layers - set(KINDS)):
            if name.startswith("gisplan_") and not name.startswith(("gisplan_pieces_", "gisplan_edges_")):
                self._verify(name)

    # -- creation and writing -------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, overwrite: bool = False, lock_timeout: float = LOCK_TIMEOUT) -> Store:
        """Create an empty store at ``path`` (atomically, under the store's lock) and open it."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise StoreError(f"{path} exists; pass overwrite=True to replace it")
        make_folder(path.parent, str(path))
        with write_session(path, lock_timeout, copy_existing=False, init=_init_store_file):
            pass
        return cls(path)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT,
                       verify: bool = True) -> Store:
        """Open the store at ``path``, creating an empty one when there is no file (``verify`` as for :class:`Store`)."""
        path = Path(path)
        if not path.exists():
            make_folder(path.parent, str(path))
            with store_lock(path, lock_timeout):
                if not path.exists():  # another writer may have made it while we waited
                    with write_session(path, lock_timeout, copy_existing=False, locked=True, init=_init_store_file):
                        pass
        return cls(path, verify=verify)

    @classmethod
    @contextmanager
    def build(cls, path: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT) -> Iterator[StoreWriter]:
        """Build a whole new store at ``path`` (replacing any file there) in one atomic step, under its lock.

        Yields
        ------
        StoreWriter
            Writes into the new store, which replaces ``path`` when the block ends without error.
        """
        path = Path(path)
        make_folder(path.parent, str(path))
        with write_session(path, lock_timeout, copy_existing=False, init=_init_store_file) as tmp:
            writer = StoreWriter(tmp, path)
            yield writer
            writer.finish()

    @contextmanager
    def transaction(self, *, lock_timeout: float = LOCK_TIMEOUT) -> Iterator[StoreWriter]:
        """Lock the store and collect writes that replace it in one atomic step.

        Parameters
        ----------
        lock_timeout : float
            Seconds to wait for another writer's lock before a :class:`StoreError`.

        Yields
        ------
        StoreWriter
            Reads and writes the store's next version. Its reads see the file
            as it is under the lock (with this transaction's writes), not this
            Store's snapshot.

        Raises
        ------
        StoreError
            Lock timeout; no space left on the device (the store is unchanged).
        """
        closed = False
        try:
            with write_session(self.path, lock_timeout, copy_existing=True) as tmp:
                writer = StoreWriter(tmp, self.path)
                yield writer
                writer.finish()
                self.close()  # our own snapshot must not hold the file being replaced (Windows)
                closed = True
        finally:
            if closed:
                self._open()

    def write_layer(self, kind: str, frame: gpd.GeoDataFrame, meta: dict | None = None, *,
                    lock_timeout: float = LOCK_TIMEOUT) -> gpd.GeoDataFrame:
        """Replace layer ``kind`` with ``frame`` (schema columns, EPSG:4490), atomically.

        Builds the equal-area pieces and records ``meta`` (source, mapping ...).

        Returns
        -------
        GeoDataFrame
            The layer as stored (with ``feature_id`` and areas).
        """
        layer, pieces, edges = prepare_for_store(kind, frame)
        with self.transaction(lock_timeout=lock_timeout) as tx:
            tx.write_prepared(kind, layer, pieces, edges, meta)
        return layer

    # -- reading ---------------------------------------------------------------
    def kinds(self) -> list[str]:
        """The layer kinds this store holds, in schema order."""
        return [k for k in KINDS if k in self._layers]

    def has(self, kind: str) -> bool:
        """Whether the store holds layer ``kind``."""
        return kind in self._layers

    def meta(self) -> pd.DataFrame:
        """One row per layer kind: source, mapping, checksum, import time."""
        frame = self._read_frame(META_LAYER, geometry=False)
        return frame if len(frame.columns) else _empty_meta()

    def _read_frame(self, table: str, geometry: bool = True) -> pd.DataFrame:
        try:
            return _frame_from_sqlite(self._reader, table, self._geom_cols.get(table) if geometry else None)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: cannot read {table} ({_one_line(exc)}); {self._rebuild_hint()}") from None

    def read(self, kind: str) -> gpd.GeoDataFrame:
        """Layer ``kind`` as a GeoDataFrame in EPSG:4490 (cached)."""
        _check_kind(kind)
        if kind not in self._frames:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer (import one with `gisplan layers import`)")
            self._verify(kind)
            frame = self._read_frame(kind)
            self._frames[kind] = frame.set_index("feature_id", drop=False)
        return self._frames[kind]

    def index(self, kind: str) -> PieceIndex:
        """Equal-area pieces of layer ``kind`` with an STRtree (cached)."""
        _check_kind(kind)
        if kind not in self._indexes:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer")
            self._verify(kind)
            self._indexes[kind] = self._open_index(kind, _pieces_layer(kind))
        return self._indexes[kind]

    def edge_index(self, kind: str) -> PieceIndex:
        """The boundaries of layer ``kind`` as short equal-area lines (cached)."""
        _check_kind(kind)
        key = _edges_layer(kind)
        if key not in self._indexes:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer")
            self._verify(kind)
            self._indexes[key] = self._open_index(kind, key)
        return self._indexes[key]

    def forget_pieces(self) -> None:
        """Drop the piece and edge geometries read so far (see :meth:`PieceIndex.forget`); boxes and trees stay."""
        for index in self._indexes.values():
            index.forget()

    def _open_index(self, kind: str, table: str) -> PieceIndex:
        try:
            return PieceIndex(kind, self._reader, table)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: the {kind} index is unreadable ({exc}); {self._rebuild_hint()}") from None

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of layer ``kind`` without geometries (fast)."""
        _check_kind(kind)
        if kind in self._frames:
            return pd.DataFrame(self._frames[kind][columns])
        return pd.DataFrame.from_records(self._attribute_rows(kind, columns), columns=columns)

    def text_attributes(self, kind: str) -> dict[int, dict[str, str]]:
        """Per feature id, the attributes of layer ``kind`` that hold text (what an access list's tiers match).

        The same values as the text cells of :meth:`read`'s frame (a column declared
        as a number, flag or date holds no text there, nor does a missing value),
        read with SQLite alone: no frame, no geometries, pandas not imported.
        Stores that read their frames another way (PostGIS) answer from the frame.
        """
        _check_kind(kind)
        if kind in self._frames or type(self)._read_frame is not Store._read_frame:
            frame = self.read(kind)
            records = frame.drop(columns=frame.geometry.name).to_dict("records")
            return {int(i): {k: v for k, v in r.items() if isinstance(v, str)}
                    for i, r in zip(frame.index.tolist(), records)}
        if kind not in self._layers:
            raise StoreError(f"store {self.path.name} has no {kind} layer (import one with `gisplan layers import`)")
        try:
            info = self._reader.fetchall(f"PRAGMA table_info({_quote(kind)})")
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: cannot read {kind} columns ({exc})") from None
        not_text = (*_INT_TYPES, *_FLOAT_TYPES, "BOOLEAN", "DATE", "DATETIME")  # _column gives these no str cells
        text = [r[1] for r in info if not r[5] and r[1] != self._geom_cols.get(kind)
                and (r[2] or "").upper().split("(")[0] not in not_text]
        rows = self._attribute_rows(kind, ["feature_id", *text])
        return {int(r[0]): {c: v for c, v in zip(text, r[1:]) if isinstance(v, str)} for r in rows}

    def layer_columns(self, kind: str) -> list[str]:
        """The attribute column names of layer ``kind`` (no rows read: the table's declaration)."""
        _check_kind(kind)
        if kind in self._frames:
            return [c for c in self._frames[kind].columns if c != self._frames[kind].geometry.name]
        if kind not in self._layers:
            raise StoreError(f"store {self.path.name} has no {kind} layer")
        try:
            info = self._reader.fetchall(f"PRAGMA table_info({_quote(kind)})")
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: cannot read {kind} columns ({exc})") from None
        return [r[1] for r in info if r[1] != self._geom_cols.get(kind) and not r[5]]  # r[5]: the primary key (fid)

    def attribute_columns(self, kind: str, columns: list[str]) -> dict[str, list]:
        """Attribute columns of layer ``kind`` as plain lists, in feature order (no pandas: the batch's reader).

        Parameters
        ----------
        kind : str
            A layer kind the store holds.
        columns : list of str
            Column names of the layer.

        Returns
        -------
        dict
            Column name -> list of values (SQL NULL as None); kept for the
            snapshot's life (callers must not change the lists).
        """
        _check_kind(kind)
        if kind in self._frames:
            frame = self._frames[kind]
            return {c: frame[c].tolist() for c in columns}
        key = (kind, tuple(columns))
        if key not in self._attribute_cache:  # a scan of the layer reads its geometries' pages too: once
            rows = self._attribute_rows(kind, columns)
            self._attribute_cache[key] = {c: [r[i] for r in rows] for i, c in enumerate(columns)}
        return self._attribute_cache[key]

    def _attribute_rows(self, kind: str, columns: list[str]) -> list[tuple]:
        if kind not in self._layers:
            raise StoreError(f"store {self.path.name} has no {kind} layer")
        self._verify(kind)
        names = ", ".join(_quote(c) for c in columns)
        try:
            return self._reader.fetchall(f'SELECT {names} FROM "{kind}" ORDER BY fid')
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: cannot read {kind} attributes ({exc})") from None

    def summary(self) -> pd.DataFrame:
        """Kinds, feature counts and total areas (km²) by category/zone/level."""
        rows = []
        for kind in self.kinds():
            frame = self.read(kind)
            group = {"control_units": "category", "protected_areas": "zone", "water_sources": "level",
                     "urban_boundary": "zone", "basic_farmland": "land_class"}.get(kind)
            rows.append({"kind": kind, "class": "(all)", "features": len(frame), "area_km2": frame["area_m2"].sum() / 1e6})
            if group:
                for value, sub in frame.groupby(group, sort=True):
                    rows.append({"kind": kind, "class": value, "features": len(sub), "area_km2": sub["area_m2"].sum() / 1e6})
        return pd.DataFrame(rows, columns=["kind", "class", "features", "area_km2"])

    def versions(self) -> dict[str, str]:
        """Per kind, the source checksum and import time: what a report footer cites."""
        records = self._plain_records(META_LAYER) if META_LAYER in self._layers else None  # without pandas
        out = {}
        for r in records if records is not None else (r for _, r in self.meta().iterrows()):
            sha = str(r["source_sha256"] or "")
            origin = f"source sha256 {sha[:12]}" if sha else str(r["source"] or "no source file")
            out[r["kind"]] = f"{r['features']} features, {origin}, imported {r['imported_at']}"
        return out

    # -- attribute (non-spatial) tables -----------------------------------------
    def write_table(self, name: str, frame: pd.DataFrame, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        """Replace the non-spatial table ``name`` (e.g. ``gisplan_access_list``), atomically."""
        _check_table_name(name)
        with self.transaction(lock_timeout=lock_timeout) as tx:
            tx.write_table(name, frame)

    def has_table(self, name: str) -> bool:
        """Whether the store holds the attribute table ``name``."""
        return name in self._layers

    def read_table(self, name: str) -> pd.DataFrame | None:
        """The attribute table ``name`` as a DataFrame, or None when the store has none."""
        if name not in self._layers:
            return None
        self._verify(name)
        return self._read_frame(name, geometry=False)

    def table_records(self, name: str) -> list[dict] | None:
        """``read_table(name).to_dict("records")``, read with SQLite alone when the table is plain (no pandas).

        Plain: columns of text, whole numbers and real numbers, and missing values
        only among the real numbers (NaN then, as in the frame); any other table,
        and stores that read their frames another way (PostGIS), go through the frame.
        """
        if name not in self._layers:
            return None
        self._verify(name)
        records = self._plain_records(name)
        return records if records is not None else self.read_table(name).to_dict("records")

    def _plain_records(self, name: str) -> list[dict] | None:
        """The rows of a plain table as :meth:`table_records` describes, else None (unverified: callers check)."""
        if type(self)._read_frame is not Store._read_frame:
            return None
        try:
            info = self._reader.fetchall(f"PRAGMA table_info({_quote(name)})")
            cols, rows = self._reader.query(f"SELECT * FROM {_quote(name)} ORDER BY rowid")
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path}: cannot read {name} ({_one_line(exc)}); {self._rebuild_hint()}") from None
        if not info:
            return None
        declared = {r[1]: (r[2] or "").upper().split("(")[0] for r in info}
        primary = {r[1] for r in info if r[5]}
        keep = [i for i, c in enumerate(cols) if c not in primary]
        floats = {i for i in keep if declared.get(cols[i]) in _FLOAT_TYPES}
        ints = {i for i in keep if declared.get(cols[i]) in _INT_TYPES}

        def cell_ok(i: int, v) -> bool:
            if i in floats:
                return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
            if i in ints:
                return type(v) is int
            return isinstance(v, str) and declared.get(cols[i]) not in ("BOOLEAN", "DATE", "DATETIME")

        if not all(cell_ok(i, row[i]) for row in rows for i in keep):
            return None
        return [{cols[i]: (float("nan") if row[i] is None else float(row[i])) if i in floats else row[i]
                 for i in keep} for row in rows]

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, kinds={self.kinds()})"


class StoreWriter:
    """The writes of one :meth:`Store.transaction`, into the store's next version (a temp file).

    Reads (:meth:`has`, :meth:`read_table`, :meth:`attributes`, :meth:`read`)
    see the store as it is under the lock plus this transaction's writes.
    """

    def __init__(self, tmp: str, path: Path):
        self.tmp = tmp
        self.path = path
        self._touched: set[str] = set()
        self._dropped: set[str] = set()

    def _tables(self) -> set[str]:
        with closing(connect_rw(self.tmp)) as con:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")} & tables

    def has(self, kind: str) -> bool:
        """Whether the next version holds layer or table ``kind``."""
        return kind in self._tables()

    def table_names(self) -> set[str]:
        """Names of the layers and attribute tables of the next version."""
        return self._tables()

    def kinds(self) -> list[str]:
        """Layer kinds of the next version."""
        tables = self._tables()
        return [k for k in KINDS if k in tables]

    def _reader(self) -> _Reader:
        return _Reader(Path(self.tmp))

    def read(self, kind: str) -> gpd.GeoDataFrame:
        """Layer ``kind`` of the next version (no checksum check: the rebuild reads edited layers)."""
        with closing(connect_rw(self.tmp)) as con:
            geom = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall()).get(kind)
        reader = self._reader()
        try:
            return _frame_from_sqlite(reader, kind, geom)
        finally:
            reader.close()

    def read_table(self, name: str) -> pd.DataFrame | None:
        """Attribute table ``name`` of the next version, or None."""
        if not self.has(name):
            return None
        reader = self._reader()
        try:
            return _frame_from_sqlite(reader, name, None)
        finally:
            reader.close()

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of layer ``kind`` of the next version."""
        names = ", ".join(_quote(c) for c in columns)
        with closing(connect_rw(self.tmp)) as con:
            rows = con.execute(f'SELECT {names} FROM "{kind}" ORDER BY fid').fetchall()
        return pd.DataFrame.from_records(rows, columns=columns)

    def meta(self) -> pd.DataFrame:
        """The meta table of the next version."""
        frame = self.read_table(META_LAYER)
        return frame if frame is not None and len(frame.columns) else _empty_meta()

    def write_layer(self, kind: str, frame: gpd.GeoDataFrame, meta: dict | None = None) -> gpd.GeoDataFrame:
        """Replace layer ``kind`` (see :meth:`Store.write_layer`)."""
        layer, pieces, edges = prepare_for_store(kind, frame)
        self.write_prepared(kind, layer, pieces, edges, meta)
        return layer

    def write_prepared(self, kind: str, layer, pieces, edges, meta: dict | None = None, *,
                       keep_meta: bool = False) -> None:
        """Write a layer already cut by :func:`prepare_for_store`, its derived tables and its meta row."""
        self._write_layer_tables(kind, layer, pieces, edges, self._next_meta(kind, layer, meta, keep_meta))

    def _next_meta(self, kind: str, layer, meta: dict | None, keep_meta: bool) -> pd.DataFrame:
        """The meta table with layer ``kind``'s row replaced (``keep_meta``: start from its old row)."""
        meta_row = {c: "" for c in META_COLUMNS}
        old_meta = self.meta()
        if keep_meta and (old_meta["kind"] == kind).any():
            meta_row.update({c: v for c, v in old_meta[old_meta["kind"] == kind].iloc[0].items() if c in META_COLUMNS})
        meta_row.update({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v)
                         for k, v in (meta or {}).items() if k in META_COLUMNS})
        meta_row.update(kind=kind, features=len(layer),
                        imported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        gisplan_version=__version__)
        new_meta = pd.concat([old_meta[old_meta["kind"] != kind], pd.DataFrame([meta_row])], ignore_index=True)
        new_meta["features"] = new_meta["features"].astype("int64")
        return new_meta

    def _write_layer_tables(self, kind: str, layer, pieces, edges, new_meta: pd.DataFrame) -> None:
        _forget_orphans(self.tmp)
        pyogrio.write_dataframe(layer, self.tmp, layer=kind, driver="GPKG", promote_to_multi=True)
        pyogrio.write_dataframe(pieces, self.tmp, layer=_pieces_layer(kind), driver="GPKG")
        pyogrio.write_dataframe(edges, self.tmp, layer=_edges_layer(kind), driver="GPKG")
        pyogrio.write_dataframe(new_meta[META_COLUMNS], self.tmp, layer=META_LAYER, driver="GPKG")
        _write_part_bounds(self.tmp, _pieces_layer(kind))
        _write_part_bounds(self.tmp, _edges_layer(kind))
        self._touched |= {kind, _pieces_layer(kind), _edges_layer(kind), f"{BOUNDS_TABLE}/{_pieces_layer(kind)}",
                          f"{BOUNDS_TABLE}/{_edges_layer(kind)}", META_LAYER}

    def drop_layer(self, kind: str) -> None:
        """Remove layer ``kind``'s derived tables, meta row and checksums (its table is gone)."""
        with closing(connect_rw(self.tmp)) as con:
            for table in (_pieces_layer(kind), _edges_layer(kind), kind):
                con.execute(f"DROP TABLE IF EXISTS {_quote(table)}")
                for sql in ("DELETE FROM gpkg_contents WHERE table_name = ?",
                            "DELETE FROM gpkg_geometry_columns WHERE table_name = ?"):
                    con.execute(sql, (table,))
            con.execute(f"DELETE FROM {BOUNDS_TABLE} WHERE kind IN (?, ?)", (_pieces_layer(kind), _edges_layer(kind)))
            con.commit()
        meta = self.meta()
        pyogrio.write_dataframe(meta[meta["kind"] != kind][META_COLUMNS], self.tmp, layer=META_LAYER, driver="GPKG")
        self._dropped |= {kind, _pieces_layer(kind), _edges_layer(kind), f"{BOUNDS_TABLE}/{_pieces_layer(kind)}",
                          f"{BOUNDS_TABLE}/{_edges_layer(kind)}"}
        self._touched.add(META_LAYER)

    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the non-spatial table ``name`` (see :meth:`Store.write_table`)."""
        _check_table_name(name)
        _forget_orphans(self.tmp)
        pyogrio.write_dataframe(pd.DataFrame(frame), self.tmp, layer=name, driver="GPKG")
        self._touched.add(name)

    def finish(self, names: set[str] | None = None) -> None:
        """Record row counts and checksums of the tables written (or of ``names``)."""
        names = set(self._touched if names is None else names)
        with closing(connect_rw(self.tmp)) as con:
            con.execute(f"CREATE TABLE IF NOT EXISTS {CHECKSUM_TABLE} "
                        "(name TEXT PRIMARY KEY, rows INTEGER NOT NULL, checksum TEXT NOT NULL)")
            for name in self._dropped - names:
                con.execute(f"DELETE FROM {CHECKSUM_TABLE} WHERE name = ?", (name,))
            for name in sorted(names):
                rows, digest = _table_checksum(con, name)
                con.execute(f"INSERT OR REPLACE INTO {CHECKSUM_TABLE} (name, rows, checksum) VALUES (?, ?, ?)",
                            (name, rows, digest))
            con.commit()


def prepare_for_store(kind: str, frame: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Check a schema frame and cut it with :func:`prepare_layer` (outside any lock: it is the slow part)."""
    _check_kind(kind)
    if frame.crs is None or not frame.crs.equals(CGCS2000):
        raise StoreError(f"layer {kind} must be in {CGCS2000} before it is written")
    missing = [c for c in SCHEMA[kind] if c not in frame.columns]
    if missing:
        raise StoreError(f"layer {kind} lacks schema column(s) {', '.join(missing)}")
    geoms = np.array([polygonal_part(g) for g in frame.geometry.values], dtype=object)
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return prepare_layer(kind, frame)


def _forget_orphans(gpkg: str) -> None:
    """Drop the GeoPackage registrations of tables another tool dropped.

    GDAL refuses to recreate such a table and warns on every write while one is
    registered. The store's checksums still name a dropped layer, so opening the
    store keeps refusing it until it is re-imported or rebuilt.
    """
    with closing(connect_rw(gpkg)) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        virtual = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL TABLE%'")}
        names = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        for name in names:
            if name in tables:
                continue
            for meta_table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents"):
                if meta_table in tables:
                    con.execute(f"DELETE FROM {meta_table} WHERE table_name = ?", (name,))
            for rtree in [t for t in virtual if t.startswith(f"rtree_{name}_")]:
                try:
                    con.execute(f"DROP TABLE IF EXISTS {_quote(rtree)}")
                except sqlite3.Error:
                    pass
        con.commit()


def _kind_of(name: str) -> str:
    table = name.split("/", 1)[-1]
    for prefix in ("gisplan_pieces_", "gisplan_edges_"):
        if table.startswith(prefix):
            return table[len(prefix):]
    return table


def _check_table_name(name: str) -> None:
    if not name.startswith("gisplan_") or name in (META_LAYER, BOUNDS_TABLE, CHECKSUM_TABLE) \
            or name.startswith(("gisplan_pieces_", "gisplan_edges_")):
        raise StoreError(f"attribute table names start with gisplan_ and may not be internal ones, got {name!r}")


def _init_store_file(tmp: str) -> None:
    """An empty store: the meta table and the checksum table."""
    pyogrio.write_dataframe(_empty_meta(), tmp, layer=META_LAYER, driver="GPKG")
    StoreWriter(tmp, Path(tmp)).finish({META_LAYER})


#: Declared column types read as integers / floats / booleans / datetimes.
_INT_TYPES = ("INTEGER", "INT", "MEDIUMINT", "SMALLINT", "TINYINT", "BIGINT")
_FLOAT_TYPES = ("REAL", "FLOAT", "DOUBLE")


def _column(values: tuple, declared: str) -> np.ndarray | pd.Series:
    declared = declared.upper().split("(")[0]
    if declared in _INT_TYPES:
        if any(v is None for v in values):
            return np.array([np.nan if v is None else v for v in values], dtype=float)
        return np.array(values, dtype=np.int64)
    if declared in _FLOAT_TYPES:
        return np.array([np.nan if v is None else v for v in values], dtype=float)
    if declared == "BOOLEAN":
        return np.array([bool(v) if v is not None else None for v in values],
                        dtype=object if any(v is None for v in values) else bool)
    if declared in ("DATE", "DATETIME"):
        return pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy()
    return np.array(values, dtype=object)


def _frame_from_sqlite(reader: _Reader, table: str, geom_col: str | None) -> pd.DataFrame:
    """A GeoPackage table as pyogrio would give it (no ``fid`` column; geometry last), read with SQLite."""
    info = reader.fetchall(f"PRAGMA table_info({_quote(table)})")
    if not info:
        raise sqlite3.OperationalError(f"no such table: {table}")
    declared = {r[1]: r[2] or "" for r in info}
    pk = [r[1] for r in info if r[5]]
    cols, rows = reader.query(f"SELECT * FROM {_quote(table)} ORDER BY rowid")
    values = list(zip(*rows)) if rows else [()] * len(cols)
    data = {c: _column(v, declared.get(c, "")) for c, v in zip(cols, values) if c not in pk and c != geom_col}
    frame = pd.DataFrame(data, columns=[c for c in cols if c not in pk and c != geom_col])
    if geom_col is None:
        return frame
    blobs = values[cols.index(geom_col)]
    geoms = shapely.from_wkb([None if b is None else _gpkg_wkb(b) for b in blobs])
    crs = EQUAL_AREA if table.startswith(("gisplan_pieces_", "gisplan_edges_")) else CGCS2000
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(np.asarray(geoms, dtype=object), crs=crs), crs=crs)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise StoreError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")


