"""Import an official delivery (shapefile, zip, GeoPackage, GeoJSON) into a store layer."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from .crs import CGCS2000, parse_crs, transform_geometry
from .errors import CRSInputError, InputError
from .io.vector import read_vector
from .mapping import (
    FieldMapping,
    MappingSpec,
    apply_mapping,
    combine_mappings,
    mapping_from_store,
    read_mapping_file,
    resolve_mapping,
)
from .store import Store
from .vocab import KINDS

__all__ = ["import_layer", "ImportReport"]


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


def _to_cgcs2000(frame: gpd.GeoDataFrame, source_crs: str | None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    warnings: list[str] = []
    if source_crs:
        given = parse_crs(source_crs)
        if frame.crs is not None and not frame.crs.equals(given):
            warnings.append(f"--source-crs {source_crs} overrides the file's own CRS ({frame.crs.to_string()})")
        crs, note = given, f"--source-crs {source_crs} (given)"
    elif frame.crs is None:
        raise CRSInputError("the source has no coordinate system (.prj missing); pass --source-crs, e.g. EPSG:4490 or EPSG:4531")
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
        raise CRSInputError("coordinates outside longitude/latitude range: the source looks projected; pass --source-crs")
    types = set(shapely.get_type_id(geoms))
    if not types <= {3, 6}:
        raise InputError(f"{kind} must be polygons; the source has {', '.join(sorted({g.geom_type for g in geoms}))}")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        from .geometry import polygonal_part

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
) -> ImportReport:
    """Import an official delivery as layer ``kind`` of a store (created when missing).

    Parameters
    ----------
    store : Store or path
        The store; a missing file is created.
    kind : {"control_units", "eco_redline", "protected_areas", "water_sources"}
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

    Returns
    -------
    ImportReport

    Raises
    ------
    InputError
        Unreadable source, unknown values (naming value and field), bad geometry.
    """
    if kind not in KINDS:
        raise InputError(f"unknown layer kind {kind!r}; expected one of {', '.join(KINDS)}")
    data = read_vector(source, layer=layer, encoding=encoding)
    frame = data.frame
    if len(frame) == 0:
        raise InputError(f"{source}: no features")
    spec = combine_mappings(
        mapping_from_store(mapping_from, kind) if mapping_from else None,
        read_mapping_file(mapping_file) if mapping_file else None,
        MappingSpec(dict(mapping or {}), dict(value_maps or {})),
    )
    fm = resolve_mapping(kind, [c for c in frame.columns if c != frame.geometry.name], spec.fields, spec.values)
    frame, crs_note, crs_warnings = _to_cgcs2000(frame, source_crs)
    frame, geom_warnings = _clean_geometries(frame, kind)
    schema_frame, map_warnings = apply_mapping(frame, fm)
    store = store if isinstance(store, Store) else Store.open_or_create(store)
    warnings = list(data.warnings) + crs_warnings + geom_warnings + map_warnings
    store.write_layer(kind, schema_frame, meta={
        "source": str(source), "source_layer": data.layer or "", "source_sha256": _sha256(Path(source)),
        "mapping": fm.to_json(), "encoding": data.encoding or "", "source_crs": crs_note, "warnings": warnings,
    })
    notes = _access_list_from_attributes(store, kind, schema_frame, source)
    return ImportReport(kind, str(source), len(schema_frame), fm, crs_note, data.encoding, warnings, notes)


def _access_list_from_attributes(store: Store, kind: str, frame, source) -> list[str]:
    """Units delivered with the four dimensions as fields (KJBJYS ...) feed the access list."""
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
