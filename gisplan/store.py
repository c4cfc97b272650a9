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
- ``gisplan_meta``: one row per layer kind: source, mapping, checksum, time.

Every write goes to a temporary copy beside the store that replaces it in one
``os.replace``: a failed import leaves the old store untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
import threading
from contextlib import closing
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from ._version import __version__
from .crs import CGCS2000, EQUAL_AREA
from .errors import StoreError
from .geometry import polygonal_part, split_lines, subdivide, to_equal_area, to_gk
from .vocab import KINDS, SCHEMA

__all__ = ["Store", "PieceIndex", "prepare_layer", "MAX_PIECE_VERTICES"]

MAX_PIECE_VERTICES = 256
#: Boundary lines are cut shorter: a site tests only the few near it.
MAX_EDGE_VERTICES = 64
META_LAYER = "gisplan_meta"
#: Per kind, the pieces' fid, feature_id, area and bounding box as one float64 blob:
#: opening a store for a query reads a single row instead of every piece.
BOUNDS_TABLE = "gisplan_piece_bounds"
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

    def __init__(self, kind: str, path: Path, table: str):
        self.kind = kind
        self._path = path
        self._table = table
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            row = con.execute(f"SELECT data FROM {BOUNDS_TABLE} WHERE kind = ?", (table,)).fetchone()
        if row is None:
            raise sqlite3.OperationalError(f"no {table} row in {BOUNDS_TABLE}")
        arr = np.frombuffer(row[0], dtype="<f8").reshape(-1, 8)
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

    def _read(self, idx: np.ndarray) -> None:
        pos = {int(f): int(i) for f, i in zip(self.fid[idx], idx)}
        with closing(sqlite3.connect(f"file:{self._path}?mode=ro", uri=True)) as con:
            for start in range(0, len(idx), 50_000):
                chunk = ",".join(str(int(f)) for f in self.fid[idx[start:start + 50_000]])
                rows = con.execute(f'SELECT fid, geom FROM "{self._table}" WHERE fid IN ({chunk})').fetchall()
                where = np.fromiter((pos[r[0]] for r in rows), dtype=np.int64, count=len(rows))
                geoms = shapely.from_wkb([_gpkg_wkb(r[1]) for r in rows])
                with self._lock:  # threads may read overlapping sets: same values either way
                    self._geoms[where] = geoms
                    self._loaded[where] = True


def _write_part_bounds(gpkg: str, table: str) -> None:
    with closing(sqlite3.connect(gpkg)) as con:
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
        Columns ``feature_id``, ``area_m2`` and the bounding box, geometry in :data:`gisplan.crs.EQUAL_AREA`.
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
    """A gisplan layer store (GeoPackage).

    Parameters
    ----------
    path : str or Path
        The store file. It must exist and have been made by :meth:`Store.create`.

    Examples
    --------
    >>> store = Store("layers/demo_yanbian.gpkg")      # doctest: +SKIP
    >>> store.read("control_units").head()             # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.is_file():
            raise StoreError(f"store not found: {self.path} (create one with `gisplan layers import` or `gisplan demo`)")
        try:
            layers = {name for name, _ in pyogrio.list_layers(self.path)}
        except Exception as exc:  # pyogrio.errors.DataSourceError and friends
            raise StoreError(f"not a readable GeoPackage store: {self.path} ({_one_line(exc)})") from None
        if META_LAYER not in layers:
            raise StoreError(f"{self.path} is a GeoPackage but not a gisplan store (no {META_LAYER} table)")
        self._layers = layers
        self._frames: dict[str, gpd.GeoDataFrame] = {}
        self._indexes: dict[str, PieceIndex] = {}

    # -- creation and writing -------------------------------------------------
    @classmethod
    def create(cls, path: str | os.PathLike, *, overwrite: bool = False) -> Store:
        """Create an empty store at ``path`` (atomically) and open it."""
        path = Path(path)
        if path.exists() and not overwrite:
            raise StoreError(f"{path} exists; pass overwrite=True to replace it")
        path.parent.mkdir(parents=True, exist_ok=True)
        with _atomic_target(path, copy_existing=False) as tmp:
            pyogrio.write_dataframe(_empty_meta(), tmp, layer=META_LAYER, driver="GPKG")
        return cls(path)

    @classmethod
    def open_or_create(cls, path: str | os.PathLike) -> Store:
        """Open the store at ``path``, creating an empty one when there is no file."""
        path = Path(path)
        return cls(path) if path.exists() else cls.create(path)

    def write_layer(self, kind: str, frame: gpd.GeoDataFrame, meta: dict | None = None) -> gpd.GeoDataFrame:
        """Replace layer ``kind`` with ``frame`` (schema columns, EPSG:4490), atomically.

        Builds the equal-area pieces and records ``meta`` (source, mapping ...).

        Returns
        -------
        GeoDataFrame
            The layer as stored (with ``feature_id`` and areas).
        """
        _check_kind(kind)
        if frame.crs is None or not frame.crs.equals(CGCS2000):
            raise StoreError(f"layer {kind} must be in {CGCS2000} before it is written")
        missing = [c for c in SCHEMA[kind] if c not in frame.columns]
        if missing:
            raise StoreError(f"layer {kind} lacks schema column(s) {', '.join(missing)}")
        geoms = np.array([polygonal_part(g) for g in frame.geometry.values], dtype=object)
        frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
        layer, pieces, edges = prepare_layer(kind, frame)
        meta_row = {c: "" for c in META_COLUMNS}
        meta_row.update({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in (meta or {}).items() if k in META_COLUMNS})
        meta_row.update(
            kind=kind,
            features=len(layer),
            imported_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            gisplan_version=__version__,
        )
        old_meta = self.meta()
        new_meta = pd.concat([old_meta[old_meta["kind"] != kind], pd.DataFrame([meta_row])], ignore_index=True)
        new_meta["features"] = new_meta["features"].astype("int64")
        with _atomic_target(self.path, copy_existing=True) as tmp:
            pyogrio.write_dataframe(layer, tmp, layer=kind, driver="GPKG", promote_to_multi=True)
            pyogrio.write_dataframe(pieces, tmp, layer=_pieces_layer(kind), driver="GPKG")
            pyogrio.write_dataframe(edges, tmp, layer=_edges_layer(kind), driver="GPKG")
            pyogrio.write_dataframe(new_meta[META_COLUMNS], tmp, layer=META_LAYER, driver="GPKG")
            _write_part_bounds(tmp, _pieces_layer(kind))
            _write_part_bounds(tmp, _edges_layer(kind))
        self._layers |= {kind, _pieces_layer(kind), _edges_layer(kind)}
        self._frames.pop(kind, None)
        self._indexes.pop(kind, None)
        self._indexes.pop(_edges_layer(kind), None)
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
        frame = pyogrio.read_dataframe(self.path, layer=META_LAYER)
        return frame if len(frame.columns) else _empty_meta()

    def read(self, kind: str) -> gpd.GeoDataFrame:
        """Layer ``kind`` as a GeoDataFrame in EPSG:4490 (cached)."""
        _check_kind(kind)
        if kind not in self._frames:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer (import one with `gisplan layers import`)")
            frame = pyogrio.read_dataframe(self.path, layer=kind)
            self._frames[kind] = frame.set_index("feature_id", drop=False)
        return self._frames[kind]

    def index(self, kind: str) -> PieceIndex:
        """Equal-area pieces of layer ``kind`` with an STRtree (cached)."""
        _check_kind(kind)
        if kind not in self._indexes:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer")
            self._indexes[kind] = self._open_index(kind, _pieces_layer(kind))
        return self._indexes[kind]

    def edge_index(self, kind: str) -> PieceIndex:
        """The boundaries of layer ``kind`` as short equal-area lines (cached)."""
        _check_kind(kind)
        key = _edges_layer(kind)
        if key not in self._indexes:
            if kind not in self._layers:
                raise StoreError(f"store {self.path.name} has no {kind} layer")
            self._indexes[key] = self._open_index(kind, key)
        return self._indexes[key]

    def _open_index(self, kind: str, table: str) -> PieceIndex:
        try:
            return PieceIndex(kind, self.path, table)
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: the {kind} index is unreadable ({exc}); re-import the layer") from None

    def attributes(self, kind: str, columns: list[str]) -> pd.DataFrame:
        """Attribute columns of layer ``kind`` without geometries (fast)."""
        _check_kind(kind)
        if kind in self._frames:
            return pd.DataFrame(self._frames[kind][columns])
        if kind not in self._layers:
            raise StoreError(f"store {self.path.name} has no {kind} layer")
        # a GeoPackage layer is an SQLite table: one SELECT beats a GDAL read here
        names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        try:
            with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as con:
                rows = con.execute(f'SELECT {names} FROM "{kind}" ORDER BY fid').fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"store {self.path.name}: cannot read {kind} attributes ({exc})") from None
        return pd.DataFrame.from_records(rows, columns=columns)

    def summary(self) -> pd.DataFrame:
        """Kinds, feature counts and total areas (km²) by category/zone/level."""
        rows = []
        for kind in self.kinds():
            frame = self.read(kind)
            group = {"control_units": "category", "protected_areas": "zone", "water_sources": "level"}.get(kind)
            rows.append({"kind": kind, "class": "(all)", "features": len(frame), "area_km2": frame["area_m2"].sum() / 1e6})
            if group:
                for value, sub in frame.groupby(group, sort=True):
                    rows.append({"kind": kind, "class": value, "features": len(sub), "area_km2": sub["area_m2"].sum() / 1e6})
        return pd.DataFrame(rows, columns=["kind", "class", "features", "area_km2"])

    def versions(self) -> dict[str, str]:
        """Per kind, the source checksum and import time: what a report footer cites."""
        meta = self.meta()
        out = {}
        for _, r in meta.iterrows():
            sha = str(r["source_sha256"] or "")
            origin = f"source sha256 {sha[:12]}" if sha else str(r["source"] or "no source file")
            out[r["kind"]] = f"{r['features']} features, {origin}, imported {r['imported_at']}"
        return out

    # -- attribute (non-spatial) tables -----------------------------------------
    def write_table(self, name: str, frame: pd.DataFrame) -> None:
        """Replace the non-spatial table ``name`` (e.g. ``gisplan_access_list``), atomically."""
        if not name.startswith("gisplan_") or name in (META_LAYER, BOUNDS_TABLE) or name.startswith(("gisplan_pieces_", "gisplan_edges_")):
            raise StoreError(f"attribute table names start with gisplan_ and may not be internal ones, got {name!r}")
        with _atomic_target(self.path, copy_existing=True) as tmp:
            pyogrio.write_dataframe(pd.DataFrame(frame), tmp, layer=name, driver="GPKG")
        self._layers |= {name}

    def has_table(self, name: str) -> bool:
        """Whether the store holds the attribute table ``name``."""
        return name in self._layers

    def read_table(self, name: str) -> pd.DataFrame | None:
        """The attribute table ``name`` as a DataFrame, or None when the store has none."""
        if name not in self._layers:
            return None
        return pd.DataFrame(pyogrio.read_dataframe(self.path, layer=name, read_geometry=False))

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r}, kinds={self.kinds()})"


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise StoreError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class _atomic_target:
    """Context manager yielding a temp path beside ``path`` that replaces it on success."""

    def __init__(self, path: Path, copy_existing: bool):
        self.path = path
        self.copy_existing = copy_existing

    def __enter__(self) -> str:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp.gpkg", dir=self.path.parent)
        os.close(fd)
        os.unlink(tmp)
        if self.copy_existing and self.path.exists():
            shutil.copy2(self.path, tmp)
        self.tmp = tmp
        return tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                con = sqlite3.connect(self.tmp)
                ok = con.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                con.close()
                if not ok:
                    raise StoreError(f"writing {self.path} produced a damaged file; the store was left unchanged")
                with open(self.tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(self.tmp, self.path)
            finally:
                if os.path.exists(self.tmp):
                    os.unlink(self.tmp)
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                if os.path.exists(self.tmp + suffix):
                    os.unlink(self.tmp + suffix)
        return False
