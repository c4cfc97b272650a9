"""Import an official delivery (shapefile, zip, GeoPackage, GeoJSON) into a store layer."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .geo.crs import CGCS2000, parse_crs, transform_geometry
from .errors import CRSInputError, InputError
from .io.postgis import PostGISData, is_postgis_source, read_postgis_layer
from .io.vector import VectorData, read_vector
from .mapping import (
    FieldMapping,
    apply_mapping,
    layer_mapping,
    resolve_mapping,
)
from .store.gpkg import LOCK_TIMEOUT, Store, StoreWriter, prepare_for_store
from .store.spec import open_or_create, open_store_at
from .store.files import pause_hook
from .vocab import CATEGORY_LABELS_ZH, KINDS, LEVEL_LABELS_ZH, SCHEMA, ZONE_LABELS_BY_KIND, ZONE_LABELS_ZH

__all__ = ["import_layer", "rebuild_store", "ImportReport"]


@dataclass
class ImportReport:
    """What an import did: mapping applied, CRS decision, counts, warnings."""

    kind: str
    source: str
    features: int
    mapping: FieldMapping
    crs_note: str
    encoding: str | None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines for the CLI."""
        out = [
            f"imported {self.features} {self.kind} feature(s) from {self.source}",
            f"  mapping: {self.mapping.describe()}",
            f"  CRS: {self.crs_note}",
        ]
        if self.encoding:
            out.append(f"  text encoding: {self.encoding}")
        out += [f"  {n}" for n in self.notes]
        out += [f"  warning: {w}" for w in self.warnings]
        return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    if path.is_file():
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _to_cgcs2000(frame: gpd.GeoDataFrame, source_crs: str | None,
                 crs_problem: str | None = None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    warnings: list[str] = []
    if source_crs:
        given = parse_crs(source_crs)
        if frame.crs is not None and not frame.crs.equals(given):
            warnings.append(f"--source-crs {source_crs} overrides the file's own CRS ({frame.crs.to_string()})")
        if crs_problem:
            warnings.append(f"{crs_problem}: used --source-crs {source_crs}")
        crs, note = given, f"--source-crs {source_crs} (given)"
    elif frame.crs is None and crs_problem:
        raise CRSInputError(f"{crs_problem}; pass `source_crs`, e.g. EPSG:4490 or EPSG:4531")
    elif frame.crs is None:
        raise CRSInputError("the source has no coordinate system (.prj missing); pass `source_crs`, e.g. EPSG:4490 or EPSG:4531")
    else:
        crs, note = frame.crs, f"from the source: {frame.crs.to_string()}"
    epsg = crs.to_epsg()
    if crs.is_geographic:
        if epsg not in (4490, 4326, None):
            warnings.append(f"geographic CRS EPSG:{epsg} read as CGCS2000 without a datum shift")
        geoms = frame.geometry.values
        if epsg not in (4490,):
            note += "; lon/lat taken as CGCS2000 (WGS84 differs by centimetres)"
    else:
        geoms = transform_geometry(np.asarray(frame.geometry.values, dtype=object), crs.to_wkt(), CGCS2000)
        note += "; reprojected to EPSG:4490"
    out = gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=np.asarray(geoms, dtype=object), crs=CGCS2000)
    return out, note, warnings


def _clean_geometries(frame: gpd.GeoDataFrame, kind: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    warnings: list[str] = []
    geoms = np.asarray(frame.geometry.values, dtype=object)
    missing = np.array([g is None or g.is_empty for g in geoms])
    if missing.any():
        warnings.append(f"{int(missing.sum())} feature(s) without geometry dropped")
        frame, geoms = frame[~missing], geoms[~missing]
    if len(frame) == 0:
        raise InputError(f"the source has no features with geometry to import as {kind}")
    coords = shapely.get_coordinates(geoms)
    if not np.isfinite(coords).all():
        raise InputError("the source has NaN or infinite coordinates")
    if (np.abs(coords[:, 0]) > 180).any() or (np.abs(coords[:, 1]) > 90).any():
        raise CRSInputError("coordinates outside longitude/latitude range: the source looks projected; pass `source_crs`")
    types = set(shapely.get_type_id(geoms))
    if not types <= {3, 6}:
        raise InputError(f"{kind} must be polygons; the source has {', '.join(sorted({g.geom_type for g in geoms}))}")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        from .geo.geometry import polygonal_part

        before = shapely.area(geoms[invalid]).sum()
        geoms = geoms.copy()
        geoms[invalid] = [polygonal_part(shapely.make_valid(g)) for g in geoms[invalid]]
        after = shapely.area(geoms[invalid]).sum()
        change = (after - before) / before if before else 0.0
        warnings.append(f"{int(invalid.sum())} invalid geometrie(s) repaired (make_valid), area change {change:+.3%}")
    frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
    return frame, warnings


def import_layer(
    store: Store | str | os.PathLike,
    kind: str,
    source: str | os.PathLike,
    *,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    source_crs: str | None = None,
    value_maps: dict[str, dict[str, str]] | None = None,
    mapping_file: str | os.PathLike | None = None,
    mapping_from: str | os.PathLike | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> ImportReport:
    """Import an official delivery as layer ``kind`` of a store (created when missing).

    Parameters
    ----------
    store : Store or path
        The store; a missing file is created.
    kind : {"control_units", "eco_redline", "protected_areas", "water_sources", "air_zones", "water_zones", \
"soil_zones", "resource_zones", "basic_farmland", "urban_boundary"}
        The layer kind (air ... resource zones: element zones, 要素分区; the last two: permanent basic
        farmland 永久基本农田 and the urban development boundary 城镇开发边界, of the three control lines).
    source : path
        Shapefile (.shp or .zip of one), GeoPackage or GeoJSON.
    layer : str, optional
        Layer of a multi-layer source.
    mapping : dict, optional
        Schema field -> source field, for fields the alias tables do not know.
    encoding : str, optional
        Text encoding of a shapefile's .dbf (e.g. ``gbk``).
    source_crs : str, optional
        CRS for a source without one (or overriding it).
    value_maps : dict, optional
        Schema field -> {delivered value -> store value} (``--map-value``).
    mapping_file : path, optional
        YAML file with ``fields`` and ``values`` maps (``--mapping``).
    mapping_from : path, optional
        A store whose recorded mapping of layer ``kind`` is reused (``--mapping-from``).
        Precedence: ``mapping``/``value_maps`` over ``mapping_file`` over ``mapping_from``.
    lock_timeout : float
        Seconds to wait for another process writing the store.

    Returns
    -------
    ImportReport

    Raises
    ------
    InputError
        Unreadable source, unknown values (naming value and field), bad geometry.
    StoreError
        The store is locked longer than ``lock_timeout``, or the device is full
        (the store is then unchanged).

    Notes
    -----
    The layer, its pieces and boundary lines, its meta row and the access-list
    clauses derived from its attributes replace the store in one atomic step,
    under the store's write lock.
    """
    if kind not in KINDS:
        raise InputError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")
    data = _read_source(source, layer, encoding, source_crs)
    shown = data.path if is_postgis_source(source) else str(source)  # a database source without its password
    frame = data.frame
    if len(frame) == 0:
        raise InputError(f"{shown}: no features")
    spec = layer_mapping(kind, mapping=mapping, value_maps=value_maps, mapping_file=mapping_file,
                         mapping_from=mapping_from)
    fm = resolve_mapping(kind, [c for c in frame.columns if c != frame.geometry.name], spec.fields, spec.values)
    frame, crs_note, crs_warnings = _to_cgcs2000(frame, source_crs, getattr(data, "crs_problem", None))
    frame, geom_warnings = _clean_geometries(frame, kind)
    schema_frame, map_warnings = apply_mapping(frame, fm)
    warnings = list(data.warnings) + crs_warnings + geom_warnings + map_warnings
    layer_frames = prepare_for_store(kind, schema_frame)  # the slow part, before taking the lock
    # a writer need not trust the store's other layers (re-importing is how an edited layer is fixed)
    store = store if isinstance(store, Store) else open_or_create(store, lock_timeout=lock_timeout, verify=False)
    with store.transaction(lock_timeout=lock_timeout) as tx:
        tx.write_prepared(kind, *layer_frames, meta={
            "source": shown, "source_layer": data.layer or "",
            "source_sha256": data.sha256 if isinstance(data, PostGISData) else _sha256(Path(source)),
            "mapping": fm.to_json(), "encoding": data.encoding or "", "source_crs": crs_note, "warnings": warnings,
        })
        pause_hook("layer_written")
        notes = _access_list_from_attributes(tx, kind, schema_frame, shown)
    return ImportReport(kind, shown, len(schema_frame), fm, crs_note, data.encoding, warnings, notes)


def _read_source(source, layer: str | None, encoding: str | None, source_crs: str | None) -> VectorData:
    """Read a delivered layer: a PostGIS table (``PG:...``, ``postgresql://...``) or a local file."""
    if is_postgis_source(source):
        if encoding:
            raise InputError("`encoding` is for shapefiles; a PostGIS table is read as UTF-8")
        return read_postgis_layer(source, layer, source_crs)
    return read_vector(source, layer=layer, encoding=encoding)


def _access_list_from_attributes(store: StoreWriter, kind: str, frame, source) -> list[str]:
    """Units delivered with the four dimensions as fields (KJBJYS ...) feed the access list.

    ``store`` is the import's open transaction: the clauses go into the same atomic replacement as the layer.
    """
    if kind != "control_units":
        return []
    from .rules.access_list import ACCESS_TABLE, clauses_from_unit_attributes, write_clauses

    clauses, fields = clauses_from_unit_attributes(frame, str(source))
    if not fields:
        old = store.read_table(ACCESS_TABLE)
        if old is not None and (old["origin"] == "layer:control_units").any():
            write_clauses(store, clauses, "layer:control_units")  # the new units replace the old ones' clauses
            return ["access list: unit clauses of the previous control_units layer removed"]
        return []
    write_clauses(store, clauses, "layer:control_units")
    return [f"access list: {len(clauses)} unit clause(s) from the fields {', '.join(fields)}"]


#: The coded schema field of each kind and the codes it may hold.
_CODES = {"control_units": ("category", set(CATEGORY_LABELS_ZH)), "protected_areas": ("zone", set(ZONE_LABELS_ZH)),
          "water_sources": ("level", set(LEVEL_LABELS_ZH)),
          **{k: ("zone", set(v)) for k, v in ZONE_LABELS_BY_KIND.items()}}
_DERIVED_COLUMNS = ("feature_id", "area_m2", "area_gk_m2")
#: Tables a rebuild does not rewrite as attribute tables (written with the layers, or bookkeeping).
_INTERNAL_TABLES = ("gisplan_meta", "gisplan_piece_bounds", "gisplan_checksums", "gisplan_write_stamp")


def rebuild_store(path: str | os.PathLike, *, lock_timeout: float = LOCK_TIMEOUT) -> list[str]:
    """Re-derive pieces, boundary lines, bounds and checksums from the layer tables as they are now.

    For a store whose layers were edited by another tool (a unit appended in
    QGIS or with GDAL, a geometry changed): the edited features become part of
    the store, checked as an import checks them. Runs under the store's lock
    and replaces the store in one atomic step; the access list is kept.
    A layer whose table was dropped loses its derived tables and meta row.

    Parameters
    ----------
    path : path
        The store.
    lock_timeout : float
        Seconds to wait for another process writing the store.

    Returns
    -------
    list of str
        One line per layer kind rebuilt (or removed).

    Raises
    ------
    InputError
        A feature without geometry, with a code outside the vocabulary or
        without a schema column (naming layer and feature).
    """
    store = open_store_at(path, verify=False)
    lines = []
    with store.transaction(lock_timeout=lock_timeout) as tx:
        present = set(tx.kinds())
        for kind in KINDS:
            recorded = (tx.meta()["kind"] == kind).any()
            if kind not in present:
                if recorded or tx.has(f"gisplan_pieces_{kind}"):
                    tx.drop_layer(kind)
                    lines.append(f"{kind}: layer table missing; its derived tables and meta row removed")
                continue
            frame = _rebuild_frame(kind, tx.read(kind))
            tx.write_prepared(kind, *prepare_for_store(kind, frame), keep_meta=True,
                              meta={"warnings": [f"rebuilt from the layer table as stored ({len(frame)} features)"]})
            lines.append(f"{kind}: {len(frame)} feature(s); pieces, boundary lines and checksums rebuilt")
        for name in sorted(tx.table_names()):
            if name.startswith("gisplan_") and name not in _INTERNAL_TABLES \
                    and not name.startswith(("gisplan_pieces_", "gisplan_edges_")):
                tx.write_table(name, tx.read_table(name))  # the access list ...: unchanged, checksummed anew
    return lines or ["the store holds no layers"]


def _rebuild_frame(kind: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A stored layer as it is now, checked like an import and stripped of the derived columns."""
    missing = [c for c in SCHEMA[kind] if c not in frame.columns]
    if missing:
        raise InputError(f"layer {kind} lacks schema column(s) {', '.join(missing)}; re-import it")
    frame = frame.drop(columns=[c for c in _DERIVED_COLUMNS if c in frame.columns]).reset_index(drop=True)
    if kind in _CODES:
        col, codes = _CODES[kind]
        bad = ~frame[col].isin(codes)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(f"layer {kind}: feature {i + 1} has {col} {frame[col].iloc[i]!r}, not one of "
                             f"{', '.join(sorted(codes))}; fix it or re-import the layer")
    frame, _ = _clean_geometries(gpd.GeoDataFrame(frame, geometry=frame.geometry.name, crs=CGCS2000), kind)
    return frame
