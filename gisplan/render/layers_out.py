"""A screening's overlay as layers GIS and CAD users open: GeoPackage, shapefiles, FileGDB, KMZ, DXF.

The layers (:data:`LAYER_NAMES`), all in CGCS2000 lon/lat until a writer projects them:

- ``site``: the footprint as screened (disc or corridor built), with its areas and verdict;
- ``pieces``: the site ∩ each control unit, redline, protected-area zone, water-source
  level, element zone, basic-farmland patch and urban-boundary zone, one feature each,
  ``area_m2`` the very figure of the JSON;
- ``crossings``: for a linear project, its centreline inside each zone it crosses,
  entry and exit in lon/lat and Gauss-Kruger metres, length inside;
- ``crossing_points``: the entry and exit points themselves (for labels in a figure);
- ``nearby``: a line from the site to the nearest point of each feature near it,
  with distance and direction as the report gives them (``西侧 3.8 km``);
- ``store_context``: the whole units and zones within the search distance (map background).

Field names have at most 10 characters (shapefiles); codes (``kind``, ``class``,
``verdict``) keep the JSON's values and a ``*_zh`` field beside each gives the
Chinese words. :func:`write_layers` picks the format from the suffix
(:data:`FORMATS`) and writes the whole file atomically (:mod:`gisplan.io.outputs`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..geo.crs import CGCS2000, gk_epsg_for_lon
from ..errors import InputError, OutputError
from ..geo.geometry import polygonal_part
from ..labels import decision_words
from ..vocab import FARMLAND_ZONE, KIND_LABELS_ZH
from .layer_styles import (
    CROSSING_POINT_STYLE,
    CROSSING_STYLE,
    NEARBY_STYLE,
    SITE_STYLE,
    class_label,
    layer_qml,
)

__all__ = ["LAYER_NAMES", "LAYER_FIELDS", "FORMATS", "OverlayLayers", "result_layers", "combine_layers",
           "layers_format", "write_layers", "check_layers_path"]

LAYER_NAMES = ("site", "pieces", "crossings", "crossing_points", "nearby", "store_context")
#: Fields of each layer, in order (geometry apart).
LAYER_FIELDS: dict[str, list[str]] = {
    "site": ["site_id", "name", "site_kind", "area_m2", "area_ha", "area_gk_m2", "gk_crs", "verdict", "verdict_zh",
             "coverage", "industry", "radius_m", "width_m", "buffer_m"],
    "pieces": ["site_id", "kind", "kind_zh", "feature_id", "code", "name", "class", "class_zh", "area_m2", "area_ha",
               "area_gk_m2", "share"],
    "crossings": ["site_id", "kind", "kind_zh", "name", "class", "class_zh", "entry_lon", "entry_lat", "entry_x",
                  "entry_y", "exit_lon", "exit_lat", "exit_x", "exit_y", "gk_crs", "chainage_m", "length_m",
                  "occupy_m2"],
    "crossing_points": ["site_id", "kind", "kind_zh", "name", "class", "class_zh", "point", "point_zh", "lon", "lat",
                        "x_north", "y_east", "gk_crs"],
    "nearby": ["site_id", "kind", "kind_zh", "feature_id", "code", "name", "class", "class_zh", "distance_m",
               "azimuth", "direction", "position"],
    "store_context": ["kind", "kind_zh", "feature_id", "code", "name", "class", "class_zh", "area_m2"],
}
#: Geometry type of each layer (what an empty layer is created with).
LAYER_GEOMETRY = {"site": "MultiPolygon", "pieces": "MultiPolygon", "crossings": "LineString",
                  "crossing_points": "Point", "nearby": "LineString", "store_context": "MultiPolygon"}
_INT_FIELDS = {"feature_id"}
_FLOAT_FIELDS = {"area_m2", "area_ha", "area_gk_m2", "share", "entry_lon", "entry_lat", "entry_x", "entry_y",
                 "exit_lon", "exit_lat", "exit_x", "exit_y", "chainage_m", "length_m", "occupy_m2", "lon", "lat",
                 "x_north", "y_east", "distance_m", "azimuth", "radius_m", "width_m", "buffer_m"}
#: Output suffix -> format.
FORMATS = {".gpkg": "gpkg", ".shp.zip": "shp", ".gdb": "gdb", ".kmz": "kmz", ".dxf": "dxf"}
#: Text longer than this (UTF-8 bytes) is cut on a character boundary in a shapefile's .dbf (its limit is 254).
_DBF_TEXT_BYTES = 254


@dataclass
class OverlayLayers:
    """The overlay layers of one screening or of a batch.

    Attributes
    ----------
    rows : dict
        Layer name -> list of attribute dicts (keys of :data:`LAYER_FIELDS`).
    geoms : dict
        Layer name -> list of shapely geometries (CGCS2000 lon/lat), one per row.
    gk_crs : str
        The Gauss-Kruger zone a CAD drawing is made in (``EPSG:4552`` ...).
    title : str
        What the layers show (the site's name, or the batch's).
    """

    rows: dict[str, list[dict]] = field(default_factory=lambda: {n: [] for n in LAYER_NAMES})
    geoms: dict[str, list] = field(default_factory=lambda: {n: [] for n in LAYER_NAMES})
    gk_crs: str = ""
    title: str = ""

    def add(self, layer: str, row: dict, geom) -> None:
        """Add one feature (skipped when its geometry is missing or empty: no empty pieces)."""
        if geom is None or geom.is_empty:
            return
        self.rows[layer].append({f: row.get(f) for f in LAYER_FIELDS[layer]})
        self.geoms[layer].append(geom)

    def frame(self, layer: str):
        """Layer ``layer`` as a GeoDataFrame (CGCS2000), typed columns."""
        import geopandas as gpd
        import pandas as pd

        from ..io.outputs import encodable  # lone surrogates (a broken source) become U+FFFD: no format holds them

        data = {}
        for name in LAYER_FIELDS[layer]:
            values = [r[name] for r in self.rows[layer]]
            if name in _INT_FIELDS:
                data[name] = pd.array(values, dtype="Int32")  # store feature ids; FileGDB has no 64-bit integers for ArcMap
            elif name in _FLOAT_FIELDS:
                data[name] = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
            else:
                data[name] = np.array(["" if v is None else encodable(str(v)) for v in values], dtype=object)
        geoms = list(self.geoms[layer])
        if LAYER_GEOMETRY[layer] == "MultiPolygon":
            geoms = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geoms]
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)

    def __len__(self) -> int:
        return sum(len(v) for v in self.rows.values())


# --------------------------------------------------------------------------- building the layers


def _industry(verdict) -> str:
    ind = getattr(verdict, "industry", None) or {}
    return f"{ind.get('code', '')} {ind.get('name', '')}".strip() if isinstance(ind, dict) else ""


def _area_row(area: float, gk: float | None, share: float | None = None) -> dict:
    return {"area_m2": area, "area_ha": area / 1e4, "area_gk_m2": gk, "share": share}


def result_layers(result, *, site_id: str | None = None, with_context: bool = True) -> OverlayLayers:
    """The overlay layers of one :class:`~gisplan.result.ScreeningResult`.

    Parameters
    ----------
    result : ScreeningResult
    site_id : str, optional
        The ``site_id`` of every feature (default: the site's name).
    with_context : bool
        Read the units and zones within the search distance (``store_context``).

    Returns
    -------
    OverlayLayers
    """
    out = OverlayLayers(gk_crs=result.project.get("gk_crs") or _gk_of(result.footprint),
                        title=result.project.get("name") or result.site.name or "")
    add_result(out, result, site_id=site_id, with_context=with_context)
    return out


def _verdict_words(result, overall: str) -> str:
    """The verdict in words; a site wholly outside the store's data gets no verdict (数据范围外，不作判定)."""
    if (getattr(result, "coverage", None) or {}).get("status") == "outside":
        return "数据范围外，不作判定"
    return decision_words(overall)


def add_result(out: OverlayLayers, result, *, site_id: str | None = None, with_context: bool = True,
               seen_context: set | None = None) -> None:
    """Add one screening's features to ``out`` (a batch adds each site; ``seen_context`` avoids context twice)."""
    sid = str(site_id if site_id is not None else (result.project.get("name") or result.site.name or ""))
    project, params, verdict = result.project, result.parameters, result.verdict
    overall = verdict.get("overall") if hasattr(verdict, "get") else str(verdict)
    out.add("site", {
        "site_id": sid, "name": project.get("name") or result.site.name or "", "site_kind": project.get("site_kind"),
        **_area_row(float(project["area_m2"]), project.get("area_gk_m2")), "gk_crs": project.get("gk_crs"),
        "verdict": overall, "verdict_zh": _verdict_words(result, overall), "industry": _industry(verdict),
        "coverage": (getattr(result, "coverage", None) or {}).get("status", ""),
        "radius_m": params.get("radius_m"), "width_m": params.get("width_m"), "buffer_m": params.get("buffer_m"),
    }, polygonal_part(result.footprint))
    _add_pieces(out, result, sid)
    _add_crossings(out, result, sid)
    for r in list(result.nearby_rows) + list(getattr(result, "element_nearby_rows", None) or []):
        line = shapely.LineString([r["site_point"], r["feature_point"]])
        out.add("nearby", {"site_id": sid, "kind": r["kind"], "kind_zh": KIND_LABELS_ZH.get(r["kind"], r["kind"]),
                           "feature_id": r.get("feature_id"), "code": r.get("code") or "", "name": r.get("name"),
                           "class": r.get("zone"), "class_zh": r.get("zone_label") or class_label(r["kind"], r.get("zone")),
                           "distance_m": r["distance_m"], "azimuth": r["azimuth_deg"], "direction": r["direction"],
                           "position": r["position"]}, line)
    if with_context:
        _add_context(out, result.context or {}, seen_context if seen_context is not None else set())


def _add_pieces(out: OverlayLayers, result, sid: str) -> None:
    """One feature per overlap, its area the JSON's (control units, zone hits, element zones)."""
    units = {int(r["feature_id"]): r for r in result.unit_rows}
    hits = {(r["kind"], int(r["feature_id"])): r for r in result.hit_rows}
    for piece, geom in zip(result.piece_rows, result.piece_geoms):
        kind, fid = piece["kind"], int(piece["feature_id"])
        row = units.get(fid) if kind == "control_units" else hits.get((kind, fid))
        if row is None:  # pragma: no cover - every piece is a unit or a hit
            raise RuntimeError(f"piece {kind} {fid} has no row in the result")
        cls = row["category"] if kind == "control_units" else row["zone"]
        label = row.get("category_label") if kind == "control_units" else row.get("zone_label")
        out.add("pieces", {"site_id": sid, "kind": kind, "kind_zh": KIND_LABELS_ZH.get(kind, kind), "feature_id": fid,
                           "code": row.get("code") or "", "name": row.get("name"), "class": cls,
                           "class_zh": label or class_label(kind, cls),
                           **_area_row(row["overlap_m2"], row.get("overlap_gk_m2"), row.get("share_of_project"))},
                polygonal_part(geom))
    # a result kept from an older version (the web record) has no element geometries: no element pieces then
    for row, geom in zip(getattr(result, "element_rows", None) or [], getattr(result, "element_geoms", None) or []):
        kind = row["kind"]
        out.add("pieces", {"site_id": sid, "kind": kind, "kind_zh": KIND_LABELS_ZH.get(kind, kind),
                           "feature_id": row.get("feature_id"), "code": row.get("code") or "", "name": row.get("name"),
                           "class": row["zone"], "class_zh": row.get("zone_label") or class_label(kind, row["zone"]),
                           **_area_row(row["overlap_m2"], row.get("overlap_gk_m2"), row.get("share_of_project"))},
                polygonal_part(geom))


def _add_crossings(out: OverlayLayers, result, sid: str) -> None:
    """The centreline inside each zone crossed (from its entry to its exit), and the two points."""
    if not result.crossings:
        return
    from shapely.ops import substring

    from ..crossings import centrelines

    lines = centrelines(result.site.geometry)
    for c in result.crossings:
        line = lines[c["line_part"]]
        a, b = c["entry"], c["exit"]
        d0 = line.project(shapely.Point(a["lon"], a["lat"]))
        d1 = line.project(shapely.Point(b["lon"], b["lat"]))
        part = substring(line, min(d0, d1), max(d0, d1))
        kind = c["kind"]
        base = {"site_id": sid, "kind": kind, "kind_zh": KIND_LABELS_ZH.get(kind, kind), "name": c.get("name"),
                "class": c.get("zone"), "class_zh": c.get("zone_label") or class_label(kind, c.get("zone")),
                "gk_crs": c.get("gk_crs")}
        out.add("crossings", {**base, "entry_lon": a["lon"], "entry_lat": a["lat"], "entry_x": a["x_northing"],
                              "entry_y": a["y_easting"], "exit_lon": b["lon"], "exit_lat": b["lat"],
                              "exit_x": b["x_northing"], "exit_y": b["y_easting"], "chainage_m": c["entry_chainage_m"],
                              "length_m": c["length_m"], "occupy_m2": c.get("area_m2")},
                part if part.geom_type == "LineString" else None)
        for key, word, p in (("entry", "入口", a), ("exit", "出口", b)):
            out.add("crossing_points", {**base, "point": key, "point_zh": word, "lon": p["lon"], "lat": p["lat"],
                                        "x_north": p["x_northing"], "y_east": p["y_easting"]},
                    shapely.Point(p["lon"], p["lat"]))


def _add_context(out: OverlayLayers, context: dict, seen: set) -> None:
    for kind, frame in context.items():
        if frame is None or not len(frame):
            continue
        cls_col = {"control_units": "category", "water_sources": "level", "eco_redline": None,
                   "basic_farmland": None}.get(kind, "zone")
        for rec, geom in zip(frame.drop(columns=frame.geometry.name).to_dict("records"), frame.geometry.values):
            key = (kind, int(rec["feature_id"]))
            if key in seen:
                continue
            seen.add(key)
            cls = rec.get(cls_col) if cls_col else _ONE_CLASS[kind]
            cls = "" if cls is None or cls != cls else str(cls)
            out.add("store_context", {"kind": kind, "kind_zh": KIND_LABELS_ZH.get(kind, kind),
                                      "feature_id": int(rec["feature_id"]), "code": _text(rec.get("code")),
                                      "name": _text(rec.get("name")), "class": cls, "class_zh": class_label(kind, cls),
                                      "area_m2": rec.get("area_m2")}, polygonal_part(geom))


#: The class of the kinds whose features all have one.
_ONE_CLASS = {"eco_redline": "redline", "basic_farmland": FARMLAND_ZONE}


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _gk_of(geom) -> str:
    c = shapely.centroid(geom)
    return f"EPSG:{gk_epsg_for_lon(float(c.x))}"


def combine_layers(parts: list[OverlayLayers], *, title: str = "") -> OverlayLayers:
    """The layers of several screenings in one (a batch); the CAD zone is the one of their middle."""
    out = OverlayLayers(title=title)
    for p in parts:
        for name in LAYER_NAMES:
            out.rows[name] += p.rows[name]
            out.geoms[name] += p.geoms[name]
    out.gk_crs = zone_of_sites(out.geoms["site"]) if out.geoms["site"] else (parts[0].gk_crs if parts else "")
    return out


def zone_of_sites(geoms: list) -> str:
    """The GK zone of the middle of some sites' bounds (a batch's DXF is drawn in one zone)."""
    minx, _, maxx, _ = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return f"EPSG:{gk_epsg_for_lon((minx + maxx) / 2)}"


# --------------------------------------------------------------------------- writing


def layers_format(path: str | os.PathLike) -> str:
    """The format of a layers output from its suffix (``gpkg``, ``shp``, ``gdb``, ``kmz``, ``dxf``).

    Raises
    ------
    InputError
        For another suffix.

    Examples
    --------
    >>> layers_format("maps/site.shp.zip"), layers_format("maps/场地.GPKG")
    ('shp', 'gpkg')
    """
    name = os.fspath(path).rstrip("/\\").lower()
    for suffix, fmt in FORMATS.items():
        if name.endswith(suffix):
            return fmt
    raise InputError(f"`layers_out` must end in .gpkg, .shp.zip, .gdb, .kmz or .dxf, got {os.path.basename(os.fspath(path))!r}")


def check_layers_path(path: str | os.PathLike, *, protect=()) -> str:
    """Check a layers output before any screening: its suffix and target (one line, exit 2, when refused)."""
    fmt = layers_format(path)
    if fmt == "gdb":
        from ..io.outputs import check_output_folder

        check_output_folder(path, protect_also=protect, looks_like=_is_filegdb)
    else:
        from ..io.outputs import check_output_path

        check_output_path(path, protect_also=protect)
    return fmt


def write_layers(source, path: str | os.PathLike, *, protect=()) -> Path:
    """Write a screening's overlay layers to ``path`` in the format its suffix names.

    Parameters
    ----------
    source : ScreeningResult or OverlayLayers
    path : path
        ``.gpkg`` (GeoPackage 1.2 with QGIS styles in ``layer_styles``), ``.shp.zip``
        (one shapefile per layer, UTF-8 with ``.cpg``, ``.prj`` and a ``.qml`` style),
        ``.gdb`` (ESRI file geodatabase folder), ``.kmz`` (Google Earth / 奥维: WGS84
        lon/lat, styles, a balloon per feature) or ``.dxf`` (CAD: the site's 3-degree
        Gauss-Kruger zone on CGCS2000, metres, one layer per kind with Chinese names).
    protect : iterable of paths
        Files never to write over (the store, the input files).

    Returns
    -------
    Path
        The real target.

    Raises
    ------
    InputError
        For another suffix; :class:`~gisplan.errors.OutputError` when the target is
        refused or cannot be written (the old file, if any, is then left as it was).
    """
    from ..io.outputs import atomic_output, atomic_output_folder, store_of

    fmt = layers_format(path)
    if isinstance(source, OverlayLayers):
        layers = source
    else:
        layers = result_layers(source)
        protect = [*protect, *store_of(source)]
    target = Path(os.path.realpath(os.fspath(path)))
    if fmt == "gdb":
        with atomic_output_folder(path, protect_also=protect, looks_like=_is_filegdb) as tmp:
            _write_ogr(layers, tmp, "OpenFileGDB")
        return target
    with atomic_output(path, create=False, protect_also=protect) as tmp:
        if fmt == "gpkg":
            _write_ogr(layers, tmp, "GPKG")
            _add_qgis_styles(layers, tmp)
        elif fmt == "shp":
            _write_shapefiles_zip(layers, tmp)
        elif fmt == "kmz":
            from .layers_kmz import write_kmz

            write_kmz(layers, tmp)
        else:
            from .layers_dxf import write_dxf

            write_dxf(layers, tmp)
    return target


def _is_filegdb(folder: Path) -> bool:
    """Whether a folder holds nothing but a file geodatabase's files (``a00000001.gdbtable``, ``gdb``, ``timestamps``)."""
    import re

    pattern = re.compile(r"^(a[0-9a-f]{8}\.[a-z]+|gdb|timestamps)$", re.IGNORECASE)
    try:
        names = os.listdir(folder)
    except OSError:
        return False
    return bool(names) and all(pattern.match(n) and (folder / n).is_file() for n in names)


def _ogr_frame(layers: OverlayLayers, name: str, driver: str):
    frame = layers.frame(name)
    if driver == "ESRI Shapefile":  # the .dbf holds at most 254 bytes of text per cell
        for col in LAYER_FIELDS[name]:
            if col not in _INT_FIELDS and col not in _FLOAT_FIELDS:
                frame[col] = [_cut_utf8(v, _DBF_TEXT_BYTES) for v in frame[col]]
    return frame


def _cut_utf8(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes on a character boundary, ending in ``…`` when cut."""
    data = text.encode("utf-8", "replace")
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode("utf-8", "ignore") + "…"


def _write_ogr(layers: OverlayLayers, path: Path, driver: str) -> None:
    """Every layer into one GeoPackage / file geodatabase with pyogrio (GDAL)."""
    import pyogrio

    options = {"GPKG": {"dataset_options": {"VERSION": "1.2"}}, "OpenFileGDB": {}}[driver]
    for i, name in enumerate(LAYER_NAMES):
        frame = _ogr_frame(layers, name, driver)
        pyogrio.write_dataframe(frame, path, layer=name, driver=driver, geometry_type=LAYER_GEOMETRY[name],
                                promote_to_multi=LAYER_GEOMETRY[name].startswith("Multi"), append=False,
                                **(options if i == 0 else {}))


def _layer_style(layers: OverlayLayers, name: str) -> str:
    fields = LAYER_FIELDS[name]
    if name == "site":
        return layer_qml("fill", fields=fields, style=SITE_STYLE, label="\"name\"")
    if name in ("pieces", "store_context"):
        # the units and statutory zones are labelled; element zones (often the units' own outlines) are not
        label = ("CASE WHEN \"kind\" IN ('control_units', 'eco_redline', 'protected_areas', 'water_sources', "
                 "'basic_farmland', 'urban_boundary') THEN "
                 "coalesce(nullif(\"code\", ''), \"name\") || '\\n' || format_number(\"area_ha\", 2) || ' 公顷' END"
                 if name == "pieces" else None)
        return layer_qml("fill", fields=fields, categorized=True, label=label)
    if name == "crossings":
        return layer_qml("line", fields=fields, style=CROSSING_STYLE,
                         label="\"kind_zh\" || ' ' || format_number(\"length_m\", 1) || ' 米'")
    if name == "crossing_points":
        return layer_qml("marker", fields=fields, style=CROSSING_POINT_STYLE,
                         label="\"point_zh\" || ' X=' || to_string(round(\"x_north\", 3)) || ' Y=' || "
                               "to_string(round(\"y_east\", 3))")  # survey coordinates: no thousands separators
    return layer_qml("line", fields=fields, style=NEARBY_STYLE, label="\"position\"")


def _add_qgis_styles(layers: OverlayLayers, path: Path) -> None:
    """The ``layer_styles`` table QGIS reads a GeoPackage layer's default style from."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(path)) as con, con:
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
            "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), "
            "styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
        con.execute("INSERT OR REPLACE INTO gpkg_contents (table_name, data_type, identifier, description, "
                    "last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles', "
                    "strftime('%Y-%m-%dT%H:%M:%fZ','now'))")
        for name in LAYER_NAMES:
            geom_col = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                                   (name,)).fetchone()
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                        "styleName, styleQML, styleSLD, useAsDefault, description, owner, ui) "
                        "VALUES ('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                        (name, geom_col[0] if geom_col else "geom", name, _layer_style(layers, name),
                         "gisplan：与静态图相同的配色"))


def _write_shapefiles_zip(layers: OverlayLayers, path: Path) -> None:
    """One UTF-8 shapefile per layer (with ``.cpg``, ``.prj`` and a QGIS ``.qml``), zipped."""
    import pyogrio

    folder = Path(tempfile.mkdtemp(prefix=".gisplan-shp-", dir=path.parent))
    try:
        for name in LAYER_NAMES:
            frame = _ogr_frame(layers, name, "ESRI Shapefile")
            pyogrio.write_dataframe(frame, folder / f"{name}.shp", driver="ESRI Shapefile",
                                    geometry_type=LAYER_GEOMETRY[name], encoding="UTF-8",
                                    promote_to_multi=LAYER_GEOMETRY[name].startswith("Multi"))
            (folder / f"{name}.qml").write_text(_layer_style(layers, name), encoding="utf-8")
            if not (folder / f"{name}.cpg").is_file():  # GDAL writes it for UTF-8; make sure
                (folder / f"{name}.cpg").write_text("UTF-8", encoding="ascii")
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for member in sorted(folder.iterdir()):
                zf.write(member, member.name)
    except OSError as exc:
        raise OutputError(f"cannot write {path.name}: {exc}") from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)

