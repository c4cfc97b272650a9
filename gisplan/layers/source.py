"""Read what ``layers check`` and ``layers diff`` compare: a store or a delivered layer file.

A store gives every layer kind it holds; a layer file gives one kind (``--kind``,
control units by default), read and mapped exactly as ``layers import`` would,
except that invalid geometries are recorded (for the ``invalid_geometry`` check)
before they are repaired.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..geo.geometry import to_equal_area
from ..vocab import KINDS

__all__ = ["LayerSet", "is_store", "load_layers", "load_source_layer"]


@dataclass
class LayerSet:
    """The layers of one source, in CGCS2000 lon/lat, with equal-area copies.

    Attributes
    ----------
    source : str
        The source as given.
    frames : dict
        Kind -> schema frame (valid polygonal geometries, EPSG:4490).
    invalid : dict
        Kind -> list of (row label, reason) of geometries that were invalid as delivered.
    from_store : bool
    warnings : list of str
    store : Store or None
        The open store, for a store source.
    """

    source: str
    frames: dict[str, gpd.GeoDataFrame]
    invalid: dict[str, list[tuple[object, str]]] = field(default_factory=dict)
    from_store: bool = False
    warnings: list[str] = field(default_factory=list)
    _ea: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    store: object = field(default=None, repr=False)

    def has(self, kind: str) -> bool:
        """Whether the source holds a non-empty layer ``kind``."""
        return kind in self.frames and len(self.frames[kind]) > 0

    def ea(self, kind: str) -> np.ndarray:
        """The geometries of layer ``kind`` in the equal-area plane (metres), cached."""
        if kind not in self._ea:
            geoms = np.asarray(self.frames[kind].geometry.values, dtype=object)
            self._ea[kind] = np.asarray(to_equal_area(geoms), dtype=object)
        return self._ea[kind]


def is_store(path: str | os.PathLike) -> bool:
    """True when ``path`` is a GeoPackage holding a gisplan store (a ``gisplan_meta`` table),
    or a ``postgresql://...?schema=NAME`` URL (a PostGIS source table is named without ``schema``)."""
    from ..store.postgis import is_pg_store_url, names_schema

    if is_pg_store_url(path):
        return names_schema(str(path))
    p = Path(path)
    if not p.is_file() or p.suffix.lower() != ".gpkg":
        return False
    try:
        with closing(sqlite3.connect(f"file:{p}?mode=ro", uri=True)) as con:
            row = con.execute("SELECT 1 FROM gpkg_contents WHERE table_name = 'gisplan_meta'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None


def load_layers(
    source: str | os.PathLike,
    *,
    kind: str | None = None,
    redline: str | os.PathLike | None = None,
    **read_options,
) -> LayerSet:
    """Read a store (every kind it holds) or a delivered layer file (one kind).

    Parameters
    ----------
    source : path
        A gisplan store (``.gpkg`` with ``gisplan_meta``) or a layer file as
        ``layers import`` takes it (shapefile, zip, GeoPackage, GeoJSON, FileGDB).
    kind : str, optional
        The kind of a layer file (default ``control_units``); for a store, only this kind.
    redline : path, optional
        A redline layer file added as ``eco_redline`` (for a layer-file source).
    **read_options
        ``layer``, ``mapping``, ``value_maps``, ``mapping_file``, ``mapping_from``,
        ``encoding``, ``source_crs``: as for :func:`gisplan.importer.import_layer`.

    Returns
    -------
    LayerSet

    Raises
    ------
    InputError
        Unreadable source, unknown kind or values; StoreError for a damaged store.
    """
    if kind is not None and kind not in KINDS:
        raise InputError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")
    if is_store(source):
        from ..store.spec import open_store_at, shown_store

        store = open_store_at(source)
        kinds = [k for k in store.kinds() if kind in (None, k)]
        frames = {k: store.read(k).reset_index(drop=True) for k in kinds}
        invalid = {k: _invalid_rows(f) for k, f in frames.items()}
        out = LayerSet(shown_store(source), frames, invalid, from_store=True, store=store)
    else:
        frame, invalid, warnings = load_source_layer(source, kind or "control_units", **read_options)
        out = LayerSet(_shown(source), {kind or "control_units": frame}, {kind or "control_units": invalid},
                       warnings=warnings)
    if redline is not None:
        red, red_invalid, red_warnings = load_source_layer(redline, "eco_redline")
        out.frames["eco_redline"] = red
        out.invalid["eco_redline"] = red_invalid
        out.warnings += [f"--redline: {w}" for w in red_warnings]
        out._ea.pop("eco_redline", None)
    return out


def _shown(source: str | os.PathLike) -> str:
    """The source as reports show it: a PostGIS connection string without its password."""
    from ..io.postgis import is_postgis_source, redact_source

    return redact_source(source) if is_postgis_source(source) else str(source)


def _invalid_rows(frame: gpd.GeoDataFrame) -> list[tuple[object, str]]:
    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = ~shapely.is_valid(geoms)
    return [(label, shapely.is_valid_reason(g)) for label, g in zip(frame.index[bad], geoms[bad])]


def load_source_layer(
    source: str | os.PathLike,
    kind: str,
    *,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    mapping_file: str | os.PathLike | None = None,
    mapping_from: str | os.PathLike | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
) -> tuple[gpd.GeoDataFrame, list[tuple[object, str]], list[str]]:
    """Read and map one delivered layer file as ``layers import`` would, without writing it.

    Returns
    -------
    frame : GeoDataFrame
        Schema frame in EPSG:4490 with repaired geometries, index from 0.
    invalid : list of (row label, reason)
        Features whose delivered geometry was invalid (before the repair).
    warnings : list of str
    """
    from ..importer import _clean_geometries, _read_source, _to_cgcs2000
    from ..mapping import apply_mapping, layer_mapping, resolve_mapping

    data = _read_source(source, layer, encoding, source_crs)  # a file, or a PostGIS table (PG:..., postgresql://...)
    frame = data.frame.reset_index(drop=True)
    spec = layer_mapping(kind, mapping=mapping, value_maps=value_maps, mapping_file=mapping_file,
                         mapping_from=mapping_from)
    fm = resolve_mapping(kind, [c for c in frame.columns if c != frame.geometry.name], spec.fields, spec.values)
    frame, _note, crs_warnings = _to_cgcs2000(frame, source_crs)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms])
    invalid = _invalid_rows(frame[present])
    frame, geom_warnings = _clean_geometries(frame, kind)
    schema_frame, map_warnings = apply_mapping(frame, fm)
    keep = schema_frame.index
    invalid = [(label, reason) for label, reason in invalid if label in keep]
    schema_frame = schema_frame.copy()
    schema_frame["_row"] = np.arange(len(schema_frame))
    relabel = dict(zip(keep, schema_frame["_row"]))
    invalid = [(relabel[label], reason) for label, reason in invalid]
    schema_frame = schema_frame.drop(columns="_row").reset_index(drop=True)
    return schema_frame, invalid, list(data.warnings) + crs_warnings + geom_warnings + map_warnings


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as text ('' where missing), for optional columns of older stores."""
    if name not in frame.columns:
        return pd.Series([""] * len(frame), index=frame.index)
    return frame[name].fillna("").astype(str)
