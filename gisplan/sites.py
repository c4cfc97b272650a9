"""Project sites: reading, checking and turning them into the area to screen.

A site is whatever the user gives as the project's location: a red-line polygon
(用地红线), a point (a well, a stack) or a line (a road, a pipeline), in any of the
files :func:`gisplan.io.read_vector` reads. All features of a file are one site.

The site is stored as one shapely geometry in CGCS2000 longitude/latitude
(EPSG:4490, always x = longitude). Reading it decides the source CRS (and says
how), refuses coordinates that make no sense (NaN, swapped latitude/longitude,
projected metres claiming to be degrees, outside China), and repairs invalid
polygons with a warning. :func:`footprint` turns points and lines into the area
that is screened: geodesic discs and round-capped corridors.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from pathlib import Path

from .geo.coords import (
    SourceSpec,
    gk_epsg_for_zone,
    parse_source,
    tm_parameters,
    transform_to_cgcs2000,
    web_offset_m,
    with_towgs84,
    zone_of_easting,
)
from .geo.crs import CGCS2000, EQUAL_AREA, GEOD, gk_epsg_for_lon, parse_crs, transform_geometry
from .errors import CRSInputError, SiteError
from .io.safety import check_path_text
from .io.vector import VectorArrays, read_gpkg_arrays, read_vector
from ._lazy import instance_of, lazy_module
from .tables import SiteTable

if TYPE_CHECKING:  # the type checker sees the modules; at run time they load on first use
    import geopandas as gpd
else:
    gpd = lazy_module("geopandas")  # frames only for callers that want one (read_site_frame)

__all__ = [
    "Site",
    "read_site",
    "read_site_frame",
    "read_site_table",
    "read_sites",
    "describe_site",
    "describe_site_frame",
    "site_from_geometry",
    "footprint",
    "china_boundary",
    "MAX_BUFFER_M",
    "MIN_BUFFER_M",
    "MIN_FOOTPRINT_M2",
    "check_footprint_area",
    "NAME_FIELDS",
]

#: Largest radius or corridor width accepted (metres): a sanity limit.
MAX_BUFFER_M = 50_000.0
#: Smallest radius or corridor width (metres) and footprint area (m²) screened:
#: below them a site is a typo, and zones it crosses would vanish in rounding.
MIN_BUFFER_M = 1.0
MIN_FOOTPRINT_M2 = 1.0
#: Attribute names (case-insensitive) whose value names the site.
NAME_FIELDS = ("name", "名称", "项目名称", "xmmc")
#: Segments per quarter circle of discs and round caps.
QUAD_SEGS = 32

_LONLAT_NOTES = {
    "GeoJSON": (
        "GeoJSON is lon/lat by RFC 7946; read as CGCS2000 "
        "(WGS84 and CGCS2000 differ by centimetres)"
    ),
    "KML": "KML is WGS84 lon/lat; read as CGCS2000 (WGS84 and CGCS2000 differ by centimetres)",
}
_WHERE = {
    "ESRI Shapefile": "the .prj",
    "GPKG": "the GeoPackage",
    "GeoJSON": "the GeoJSON crs member",
    "KML": "the KML",
}
_LONLAT_DATUMS = ("china 2000", "world geodetic system 1984")
_LEGACY_DATUMS = ("beijing 1954", "xian 1980")
_COLLECTIONS = (
    shapely.MultiPoint,
    shapely.MultiLineString,
    shapely.MultiPolygon,
    shapely.GeometryCollection,
)
_CHUNK_DEG = 0.5  # lines are buffered in pieces this large, each in its own AEQD
_RADIUS_MISSING = "a point site needs `radius` (metres)"
_WIDTH_MISSING = "a line site needs `width` (metres, total corridor width)"
_RADIUS_IGNORED = "--radius ignored: the site has no points"
_WIDTH_IGNORED = "--width ignored: the site has no lines"


# --------------------------------------------------------------------------- Site


@dataclass
class Site:
    """A project site in CGCS2000 longitude/latitude.

    Attributes
    ----------
    geometry : shapely geometry
        The union of all features, EPSG:4490, x = longitude.
    name : str or None
        From a name / 名称 / NAME attribute, when the file has one.
    path : str
        The file as given (or ``"<geometry>"`` for :func:`site_from_geometry`).
    format : str
        The file's format ("ESRI Shapefile", "GeoJSON", "KML", "GPKG", ...).
    source_crs : str
        The CRS the coordinates were read in, e.g. ``"EPSG:4530"``.
    crs_note : str
        How that CRS was decided, for the report.
    warnings : list of str
        One-line warnings (encoding guessed, polygons repaired, partly outside China, ...).
    details : list of str
        What was read, for ``gisplan read`` (columns of a corner table, DXF
        entities and layers, ...).
    """

    geometry: BaseGeometry
    name: str | None
    path: str
    format: str
    source_crs: str
    crs_note: str
    warnings: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def parts(self) -> list[BaseGeometry]:
        """The single-part geometries (points, lines, polygons) of the site."""
        return _explode([self.geometry])

    @property
    def kind(self) -> str:
        """``"point"``, ``"line"``, ``"polygon"`` or ``"mixed"``."""
        kinds = {_dimension_kind(p) for p in self.parts}
        return kinds.pop() if len(kinds) == 1 else "mixed"


def _dimension_kind(geom: BaseGeometry) -> str:
    return {0: "point", 1: "line", 2: "polygon"}[shapely.get_dimensions(geom)]


# --------------------------------------------------------------------------- reading


def read_site(
    path,
    *,
    source_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
) -> Site:
    """Read a project site from a vector file, a corner-point table or a DXF plan.

    Parameters
    ----------
    path : str or os.PathLike
        A file :func:`gisplan.io.read_vector` reads (shapefile, zip, GeoPackage,
        GeoJSON, KML, KMZ), a corner-point table (``.csv``, ``.xlsx``; see
        :mod:`gisplan.io.table`) or a DXF site plan (``.dxf``; see
        :mod:`gisplan.io.dxf`). All its features form one site.
    source_crs : str, optional
        The CRS of the coordinates (``EPSG:4530``, ``4552``, WKT ...), or
        ``gcj02`` / ``bd09`` for AMap/Tencent or Baidu lon/lat (converted to
        CGCS2000). Needed for a shapefile without ``.prj``; overrides the file's
        own CRS (with a warning when they differ). For GK metres with a zone
        prefix (tables, DXF) the zone is detected when this is not given.
    layer : str, optional
        Layer (GeoPackage, KML), dataset in a zip, or sheet of an XLSX table.
    encoding : str, optional
        Text encoding of a shapefile's attributes or of a CSV table.
    cm : int, optional
        Central meridian of GK metres without zone prefix (CGCS2000,
        EPSG:4534-4554), e.g. ``126``.
    towgs84 : str, optional
        ``dx,dy,dz,rx,ry,rz,s`` Bursa-Wolf parameters for a Xian 1980 or
        Beijing 1954 source (position vector, metres, arc-seconds, ppm).
    dxf_layer : str, optional
        Read only this layer of a DXF (default: all layers).

    Returns
    -------
    Site
        In EPSG:4490 longitude/latitude.

    Raises
    ------
    InputError
        When the file cannot be read (see :func:`gisplan.io.read_vector`).
    CRSInputError
        When the CRS is unknown (shapefile without ``.prj``) or unparseable.
    SiteError
        For NaN/infinite coordinates, no features, swapped latitude/longitude,
        projected coordinates claiming to be degrees, or a site outside China.
    """
    raw = _read_raw(path, source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                    towgs84=towgs84, dxf_layer=dxf_layer)
    return _site_from_raw(raw)


def _read_site_with(path, data) -> Site:
    """``read_site(path)`` (no reading options) with the file already read into ``data``.

    For :mod:`gisplan.serve.fastread`, which parses plain GeoJSON uploads
    without GDAL into the :class:`~gisplan.io.VectorData` ``read_vector`` would
    give; everything after the reading is this module's own flow.
    """
    raw = _read_raw(path, source_crs=None, layer=None, encoding=None, cm=None, towgs84=None,
                    dxf_layer=None, data=data)
    return _site_from_raw(raw)


def _site_from_raw(raw) -> Site:
    return _build_site(
        np.asarray(raw.geoms, dtype=object),
        src=raw.src,
        label=raw.label,
        note=raw.note,
        name=raw.name,
        path=raw.path,
        fmt=raw.fmt,
        warnings=raw.warnings,
        convert=raw.convert,
        details=raw.details,
    )


def site_from_geometry(geom, crs: str | None = CGCS2000, name: str | None = None) -> Site:
    """Make a :class:`Site` from shapely geometries, a GeoSeries or a GeoDataFrame.

    Parameters
    ----------
    geom : shapely geometry, sequence of geometries, GeoSeries or GeoDataFrame
        The site; several geometries form one site.
    crs : str, optional
        The CRS of the coordinates (default EPSG:4490 lon/lat). A GeoSeries or
        GeoDataFrame that carries a CRS keeps its own unless ``crs`` is given as
        something other than the default, in which case ``crs`` wins (with a
        warning when they differ).
    name : str, optional
        The site's name; for a GeoDataFrame, taken from a name column by default.

    Returns
    -------
    Site
        Checked exactly as :func:`read_site` checks files.

    Raises
    ------
    SiteError, CRSInputError
        As for :func:`read_site`.
    """
    own_crs = None
    fmt = "shapely"
    if instance_of(geom, "geopandas", "GeoDataFrame"):
        fmt, own_crs = "GeoDataFrame", geom.crs
        name = name if name is not None else _site_name(geom)
        geoms = np.asarray(geom.geometry.values, dtype=object)
    elif instance_of(geom, "geopandas", "GeoSeries"):
        fmt, own_crs = "GeoSeries", geom.crs
        geoms = np.asarray(geom.values, dtype=object)
    elif isinstance(geom, BaseGeometry):
        geoms = np.array([geom], dtype=object)
    else:
        try:
            geoms = np.array(list(geom), dtype=object)
        except TypeError as exc:
            raise SiteError(f"not a geometry: {type(geom).__name__}") from exc
    for g in geoms:
        if g is not None and not isinstance(g, BaseGeometry):
            raise SiteError(f"not a geometry: {type(g).__name__}")
    given = crs if (own_crs is None or (crs is not None and str(crs) != CGCS2000)) else None
    if own_crs is None and given is None:
        given = CGCS2000
    label, src, note, crs_warnings = _decide_crs(own_crs, fmt, given)
    return _build_site(
        geoms,
        src=src,
        label=label,
        note=note,
        name=name,
        path="<geometry>",
        fmt=fmt,
        warnings=crs_warnings,
    )


def _site_name(frame) -> str | None:
    """Distinct non-empty values of the first name-like column, joined with '、'."""
    columns = {str(c).casefold(): c for c in frame.columns}
    for wanted in NAME_FIELDS:
        column = columns.get(wanted.casefold())
        if column is None:
            continue
        seen: dict[str, None] = {}  # distinct, in order (a dict: a list's `in` made 50,000 names take 14 s)
        for value in frame[column]:
            text = (
                ""
                if value is None or (isinstance(value, float) and math.isnan(value))
                else str(value).strip()
            )
            if text:
                seen.setdefault(text)
        values = list(seen)
        if values:
            return "、".join(values[:3]) + (f" 等 {len(values)} 处" if len(values) > 3 else "")
    return None


# --------------------------------------------------------------------------- CRS


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def _crs_source(crs: CRS) -> str:
    """A string :func:`gisplan.geo.crs.transform_geometry` accepts for ``crs``."""
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _datum_name(crs: CRS) -> str:
    base = crs.geodetic_crs or crs
    datum = base.datum
    return (datum.name if datum is not None else "").lower()


def _is_lonlat_cgcs_like(crs: CRS) -> bool:
    """Geographic CRS on WGS84 or CGCS2000: the same for screening."""
    return crs.is_geographic and any(d in _datum_name(crs) for d in _LONLAT_DATUMS)


def _same_crs(a: CRS, b: CRS) -> bool:
    if _is_lonlat_cgcs_like(a) and _is_lonlat_cgcs_like(b):
        return True
    return a.equals(b, ignore_axis_order=True)


def _decide_crs(
    file_crs, fmt: str, given: str | None, towgs84: tuple[float, ...] | None = None,
    crs_problem: str | None = None,
) -> tuple[str, str, str, list[str]]:
    """Decide the source CRS: (label, transform source, note, warnings).

    With ``towgs84`` the chosen CRS must be on a legacy datum; the source is then
    that CRS bound to the user's Bursa-Wolf parameters (as WKT).
    """
    warnings: list[str] = []
    file_crs = CRS.from_user_input(file_crs) if file_crs is not None else None
    implied = fmt in _LONLAT_NOTES and (file_crs is None or _is_lonlat_cgcs_like(file_crs))
    if given is not None:
        chosen = parse_crs(given)
        label = _crs_label(chosen)
        note = f"--source-crs {label} (given)"
        if crs_problem:
            warnings.append(f"{crs_problem}: used --source-crs {label}")
        if implied and not _is_lonlat_cgcs_like(chosen):
            warnings.append(
                f"{fmt} is lon/lat by its standard, but --source-crs {label} was given: "
                f"used {label}"
            )
        elif file_crs is not None and not implied and not _same_crs(file_crs, chosen):
            warnings.append(
                f"--source-crs {label} differs from the file's CRS "
                f"({_crs_label(file_crs)}): used {label}"
            )
    elif implied:
        chosen, label, note = parse_crs(CGCS2000), CGCS2000, _LONLAT_NOTES[fmt]
    elif file_crs is None:
        if crs_problem:
            raise CRSInputError(f"{crs_problem}; pass `source_crs` (e.g. EPSG:4490 or EPSG:4531)")
        if fmt == "ESRI Shapefile":
            raise CRSInputError(
                "no .prj: the shapefile's coordinate system is unknown; "
                "pass `source_crs` (e.g. EPSG:4490 or EPSG:4531)"
            )
        raise CRSInputError(
            f"the {fmt} data has no coordinate system; pass `source_crs` (e.g. EPSG:4490)"
        )
    else:
        chosen = file_crs
        label = _crs_label(chosen)
        note = f"from {_WHERE.get(fmt, 'the ' + fmt)}: {label} ({chosen.name})"
    if _is_lonlat_cgcs_like(chosen):
        if "world geodetic system 1984" in _datum_name(chosen) and not implied:
            note += "; WGS84 read as CGCS2000 (they differ by centimetres)"
        src = CGCS2000
    else:
        src = _crs_source(chosen)
        note += ", reprojected"
    legacy = any(d in _datum_name(chosen) for d in _LEGACY_DATUMS)
    if towgs84 is not None:
        if not legacy and _is_cgcs_or_wgs_datum(chosen):
            raise CRSInputError(
                f"`towgs84` applies to a legacy datum (Xian 1980, Beijing 1954); {label} is "
                "already CGCS2000/WGS84"
            )
        src = with_towgs84(chosen, towgs84).to_wkt()
        values = ",".join(f"{v:g}" for v in towgs84)
        note += (
            f"; datum shift {chosen.geodetic_crs.datum.name} → CGCS2000 with the given "
            f"--towgs84 {values} (Bursa-Wolf, position vector; via WGS84 ≈ CGCS2000)"
        )
    elif legacy:
        warnings.append(
            f"WARNING: {label} is on the {chosen.geodetic_crs.datum.name} datum and no "
            "--towgs84 was given: no transformation to CGCS2000 is available here, so "
            f"positions may be off by tens of metres ({_LEGACY_ERROR}); pass "
            "--towgs84 dx,dy,dz,rx,ry,rz,s with the 7 parameters of the survey"
        )
        note += f"; NO datum shift applied (error {_LEGACY_ERROR})"
    return label, src, note, warnings


def _is_cgcs_or_wgs_datum(crs: CRS) -> bool:
    return any(d in _datum_name(crs) for d in _LONLAT_DATUMS)


# --------------------------------------------------------------------------- sources

#: Words in a file name, layer or column that hint at web-map (offset) coordinates.
WEB_HINTS = {
    "gcj": "gcj02", "高德": "gcj02", "amap": "gcj02", "gaode": "gcj02", "火星": "gcj02",
    "腾讯": "gcj02", "tencent": "gcj02", "百度": "bd09", "baidu": "bd09", "bd09": "bd09",
}
_WEB_LABELS = {"gcj02": "GCJ-02", "bd09": "BD-09"}
_LEGACY_ERROR = "typically tens of metres, up to about 100 m"


@dataclass
class _Raw:
    """Geometries in the source's numbers and how to bring them to CGCS2000."""

    geoms: list
    src: str
    label: str
    note: str
    name: str | None
    path: str
    fmt: str
    warnings: list[str]
    convert: object = None
    details: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)  # per-geometry attributes (batch)
    columns: dict | None = None  # the attributes as arrays, when read without frames (batch of a GeoPackage)


def _read_raw(path, *, source_crs, layer, encoding, cm, towgs84, dxf_layer, window=None, lean=False,
              data=None) -> _Raw:
    spec = parse_source(source_crs, cm=cm, towgs84=towgs84)
    text = check_path_text(path)
    suffix = Path(text).suffix.lower()
    from .io.table import TABLE_SUFFIXES

    if suffix in TABLE_SUFFIXES:
        raw = _raw_from_table(path, spec, layer, encoding)
    elif suffix == ".dxf":
        raw = _raw_from_dxf(path, spec, dxf_layer)
    else:
        raw = _raw_from_vector(path, spec, layer, encoding, window, lean, data)
    if dxf_layer is not None and suffix != ".dxf":
        raw.warnings.append("--dxf-layer ignored: the site is not a DXF drawing")
    if spec.web is None:
        _web_hint(raw, text)
    return raw


def _raw_from_vector(path, spec: SourceSpec, layer, encoding, window=None, lean=False, data=None) -> _Raw:
    # ``data``: already read (gisplan.serve.fastread); ``lean``: a plain GeoPackage read without GDAL or frames
    arrays = read_gpkg_arrays(path, layer=layer, encoding=encoding, window=window) if lean and data is None else None
    if isinstance(data, VectorArrays):  # read already without frames (gisplan.serve.fastread, lean)
        arrays = data
    if arrays is not None:
        data, file_crs, table = arrays, arrays.crs, SiteTable(arrays.geometry, arrays.columns, arrays.crs)
    else:
        if data is None:
            data = read_vector(path, layer=layer, encoding=encoding, window=window)
        file_crs, table = data.frame.crs, data.frame
    given = _given(spec)
    if spec.web is not None:
        implied = data.format in _LONLAT_NOTES
        if file_crs is not None and not _is_lonlat_cgcs_like(CRS.from_user_input(file_crs)):
            raise CRSInputError(
                f"`source_crs` {spec.web} means longitude/latitude, but the file is in "
                f"{_crs_label(CRS.from_user_input(file_crs))}; drop `source_crs` {spec.web}"
            )
        given = None if (file_crs is not None or implied) else CGCS2000
    label, src, note, crs_warnings = _decide_crs(file_crs, data.format, given, towgs84=spec.towgs84,
                                                 crs_problem=getattr(data, "crs_problem", None))
    if spec.cm is not None:
        note = note.replace(f"--source-crs {label} (given)", f"--cm {spec.cm} → {label} (given)")
    geoms = list(arrays.geometry) if arrays is not None else list(table.geometry.values)
    raw = _Raw(geoms, src, label, note, _site_name(table), data.path, data.format,
               list(data.warnings) + crs_warnings)
    if data.member:
        raw.details.append(f"read {data.member} from the archive")
    raw.details.append(f"{len(table)} feature(s)" + (f", layer {data.layer}" if data.layer else ""))
    if arrays is not None:
        raw.columns = arrays.columns
    else:
        rows = getattr(data, "rows", None)  # given by a reader that has them already (gisplan.serve.fastread)
        raw.rows = rows if rows is not None else [
            {k: v for k, v in rec.items() if k != table.geometry.name}
            for rec in table.drop(columns=table.geometry.name).to_dict("records")]
    _set_convert(raw, spec)
    return raw


def _given(spec: SourceSpec) -> str | None:
    if spec.crs is None or spec.web is not None:
        return None
    epsg = spec.crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else spec.crs.to_wkt()


def _set_convert(raw: _Raw, spec: SourceSpec) -> None:
    """Attach the conversion for --towgs84 and GCJ-02/BD-09 sources (and say so)."""
    if spec.towgs84 is not None:
        bound = CRS.from_user_input(raw.src)
        raw.convert = lambda g: transform_to_cgcs2000(g, bound, towgs84=True)
    elif spec.web is not None:
        raw.convert = lambda g: transform_to_cgcs2000(g, parse_crs(CGCS2000), web=spec.web)
        coords = shapely.get_coordinates([g for g in raw.geoms if g is not None])
        if len(coords) and np.isfinite(coords).all() and np.abs(coords[:, 0]).max() <= 180 \
                and np.abs(coords[:, 1]).max() <= 90:
            lon, lat = float(np.median(coords[:, 0])), float(np.median(coords[:, 1]))
            shift = f" (shift here about {web_offset_m(lon, lat, spec.web):.0f} m)"
        else:
            shift = ""
        raw.label = spec.label
        raw.note = (
            f"--source-crs {spec.web}: {spec.label} longitude/latitude converted to CGCS2000"
            f"{shift}; inverse accurate to < 0.01 m"
        )


def _web_hint(raw: _Raw, text: str) -> None:
    """Warn (never convert) when names suggest AMap/Baidu coordinates."""
    fields = raw.columns if raw.columns is not None else (raw.rows[0] if raw.rows else {})
    haystack = " ".join([Path(text).name] + [str(k) for k in fields]).lower()
    for word, web in WEB_HINTS.items():
        if word in haystack:
            raw.warnings.append(
                f"the file name or its fields mention {word!r}: if the coordinates were taken "
                f"from that web map they are {_WEB_LABELS[web]}, offset by hundreds of metres; "
                f"then pass --source-crs {web} (read as given, not converted)"
            )
            return


# --------------------------------------------------------------------------- tables and DXF


def _raw_from_table(path, spec: SourceSpec, layer, encoding) -> _Raw:
    from .io.table import read_table

    data = read_table(path, sheet=layer, encoding=encoding)
    geoms, rows = _table_polygons(data)
    fmt = f"{data.format} corner table"
    details = [
        f"{fmt}: {len(data.rings)} ring(s), {data.points} point(s) read; {data.columns}"
        + (f"; sheet {data.sheet!r}" if data.sheet else "")
        + (f"; encoding {data.encoding}" if data.encoding else "")
    ]
    raw = _Raw(geoms, CGCS2000, CGCS2000, "", None, data.path, fmt, list(data.warnings),
               details=details, rows=rows)
    _decide_numbers(raw, spec, data.unit, fmt)
    return raw


def _table_polygons(data) -> tuple[list, list[dict]]:
    """One (multi)polygon per parcel: the largest ring is the shell, rings inside it holes."""
    by_parcel: dict[str, list] = {}
    for ring in data.rings:
        # without a parcel column, rings (split by blank rows) nest among all rings
        key = ring.parcel if data.parcel_column else ""
        by_parcel.setdefault(key, []).append((ring.parcel, shapely.Polygon(ring.coords)))
    geoms, rows = [], []
    for key, polys in by_parcel.items():
        polys = sorted(polys, key=lambda p: -abs(shapely.area(p[1])))
        shells: list[tuple[str, BaseGeometry, list]] = []
        for label, poly in polys:
            for _, shell, holes in shells:
                if shell.is_valid and poly.is_valid and shell.contains(poly):
                    holes.append(poly.exterior.coords)
                    break
            else:
                shells.append((label, poly, []))
        parts = [(label, shapely.Polygon(sh.exterior.coords, holes)) for label, sh, holes in shells]
        if data.parcel_column:
            polys_only = [p for _, p in parts]
            geoms.append(polys_only[0] if len(polys_only) == 1 else shapely.MultiPolygon(polys_only))
            rows.append({"parcel": key, data.parcel_column: key})
        else:
            for label, poly in sorted(parts, key=lambda lp: int(lp[0]) if lp[0].isdigit() else 0):
                geoms.append(poly)
                rows.append({"parcel": label})
    return geoms, rows


def _raw_from_dxf(path, spec: SourceSpec, dxf_layer) -> _Raw:
    from .io.dxf import read_dxf

    data = read_dxf(path, layer=dxf_layer)
    raw = _Raw(list(data.polygons), CGCS2000, CGCS2000, "", None, data.path, "DXF",
               list(data.warnings), details=[data.summary()],
               rows=[{"part": i + 1} for i in range(len(data.polygons))])
    coords = shapely.get_coordinates(data.polygons)
    x, y = coords[:, 0], coords[:, 1]
    if x.min() >= 73 and x.max() <= 136 and y.min() >= 3 and y.max() <= 54 and (x.max() - x.min()) < 5:
        unit = "degrees"  # lon/lat in China (rare in CAD)
    elif y.min() >= 1e6 and y.max() < 7e6 and (x.min() > 0):
        unit = "metres"
    else:
        raise SiteError(
            f"{Path(data.path).name}: the drawing's coordinates (x {x.min():.0f}..{x.max():.0f}, "
            f"y {y.min():.0f}..{y.max():.0f}) are not Gauss-Kruger metres (local drawing "
            "coordinates?); ask for the plan in CGCS2000 Gauss-Kruger coordinates"
        )
    _decide_numbers(raw, spec, unit, "DXF")
    return raw


def _check_gk_range(coords: np.ndarray, fmt: str) -> None:
    """Refuse Gauss-Kruger metres that no point in China can have (one line, the first offender)."""
    from .io.table import gk_range_problem

    for x, y in np.unique(coords, axis=0) if len(coords) else ():
        problem = gk_range_problem(float(x), float(y))
        if problem:
            raise SiteError(f"{fmt}: {problem}; check the coordinates")


def _decide_numbers(raw: _Raw, spec: SourceSpec, unit: str, fmt: str) -> None:
    """Decide the CRS of table/DXF numbers (metres: zone prefix, --cm, --source-crs)."""
    if unit == "degrees":
        if spec.web is not None:
            raw.src = raw.label = CGCS2000
            _set_convert(raw, spec)
            return
        given = _given(spec)
        if given is None:
            raw.note = f"{fmt} in degrees: read as CGCS2000 longitude/latitude"
            if spec.towgs84 is not None:
                raise CRSInputError("`towgs84` needs `source_crs` naming the legacy CRS of the degrees (e.g. EPSG:4610 Xian 1980)")
            return
        label, src, note, warns = _decide_crs(None, fmt, given, towgs84=spec.towgs84)
        raw.src, raw.label, raw.note = src, label, note
        raw.warnings.extend(warns)
        _set_convert(raw, spec)
        return
    if spec.web is not None:
        raise CRSInputError(
            f"`source_crs` {spec.web} means longitude/latitude, but the {fmt} holds metres; "
            "drop it (or give `source_crs`/`cm` for Gauss-Kruger)"
        )
    coords = shapely.get_coordinates(raw.geoms)
    _check_gk_range(coords, fmt)
    eastings = coords[:, 0]
    zones = {zone_of_easting(float(e)) for e in eastings}
    if len(zones) > 1:
        found = ", ".join(str(z) for z in sorted(zones, key=lambda z: (z is None, z or 0)))
        raise SiteError(f"{fmt}: eastings carry different zone prefixes ({found}); one site is in one zone")
    zone = zones.pop()
    shift = 0.0
    if spec.crs is None:
        if spec.towgs84 is not None:
            raise CRSInputError(
                "`towgs84` needs `source_crs` naming the legacy CRS (e.g. EPSG:2349-2369 "
                "Xian 1980 or EPSG:2401-2421 Beijing 1954 3-degree GK zones 25-45)"
            )
        if zone is None:
            raise CRSInputError(
                f"{fmt} in Gauss-Kruger metres without zone prefix: the zone is unknown; "
                "pass `cm` (e.g. `cm` 126) or `source_crs` (EPSG:4534-4554)"
            )
        epsg = gk_epsg_for_zone(zone)
        crs = parse_crs(f"EPSG:{epsg}")
        tm = tm_parameters(crs)
        label = f"EPSG:{epsg}"
        note = (
            f"zone {zone} detected from the easting prefix ({eastings[0]:.3f}): {label} "
            f"({crs.name}, central meridian {tm[0]:g}E); X is the northing, Y the easting"
        )
        raw.src, raw.label, raw.note = label, label, note + ", reprojected"
        return
    crs = spec.crs
    tm = tm_parameters(crs)
    label = _crs_label(crs)
    if tm is None:
        raise CRSInputError(
            f"the {fmt} holds Gauss-Kruger metres but {spec.given} is not a Gauss-Kruger CRS"
        )
    cm, fe, width = tm
    if zone is not None:
        zone_cm = 3 * zone if zone >= 25 else 6 * zone - 3
        if abs(zone_cm - cm) > 1e-9:
            raise CRSInputError(
                f"the eastings' zone prefix {zone} (central meridian {zone_cm}E) contradicts "
                f"{spec.given} (central meridian {cm:g}E); drop the option or fix the zone"
            )
        if abs(fe - 500000.0) < 1e-6:
            shift = zone * 1_000_000.0  # the CRS has no prefix: strip it from the data
    elif fe > 1e6:
        raise CRSInputError(
            f"the eastings have no zone prefix but {spec.given} expects one "
            f"(false easting {fe:.0f}); use the CRS without prefix or `cm` {cm:g}"
        )
    given = _given(spec)
    f_label, src, note, warns = _decide_crs(None, fmt, given, towgs84=spec.towgs84)
    if spec.cm is not None:
        note = note.replace(f"--source-crs {f_label} (given)", f"--cm {spec.cm} → {f_label} (given)")
    if zone is not None:
        note += f"; zone prefix {zone} agrees"
        if shift:
            note += f" (stripped from the eastings for {f_label})"
    raw.src, raw.label, raw.note = src, f_label, note
    raw.warnings.extend(warns)
    if shift:
        raw.geoms = list(shapely.transform(np.asarray(raw.geoms, dtype=object),
                                           lambda xy: xy - np.array([shift, 0.0])))
    _set_convert(raw, spec)


# --------------------------------------------------------------------------- many sites


def read_site_frame(
    path,
    *,
    source_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    window: tuple[int, int] | None = None,
) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """Read every feature (table parcel, DXF shape) of a site file as its own site.

    ``window`` (skip, count) reads only some features of a vector file (see
    :func:`gisplan.io.vector.feature_count`): a streamed batch reads its chunks so.

    Used by :func:`gisplan.batch.screen_batch` for corner tables, DXF plans and the
    ``gcj02`` / ``bd09`` / ``--cm`` / ``--towgs84`` options; the same rules as
    :func:`read_site` apply.

    Returns
    -------
    frame : GeoDataFrame
        One row per feature in CGCS2000 lon/lat (EPSG:4490), with the file's
        attributes (``parcel`` for a table, ``part`` for a DXF).
    crs_note : str
        How the CRS was decided.
    warnings : list of str
    """
    raw = _read_raw(path, source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                    towgs84=towgs84, dxf_layer=dxf_layer, window=window)
    return _raw_frame(raw, _raw_in_cgcs2000(raw)), raw.note, raw.warnings


def read_site_table(
    path,
    *,
    source_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    window: tuple[int, int] | None = None,
) -> tuple[SiteTable, str, list[str]]:
    """Read every feature of a site file as its own site, into arrays (the batch's reader).

    The same reader and rules as :func:`read_site_frame`, whose frame's values
    the table holds; a plain GeoPackage is read without GDAL, pandas or
    geopandas (:func:`gisplan.io.vector.read_gpkg_arrays`), every other source
    through the frame.

    Returns
    -------
    table : SiteTable
        One row per feature in CGCS2000 lon/lat (EPSG:4490).
    crs_note : str
    warnings : list of str
    """
    raw = _read_raw(path, source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                    towgs84=towgs84, dxf_layer=dxf_layer, window=window, lean=True)
    out = _raw_in_cgcs2000(raw)
    if raw.columns is not None:
        table = SiteTable(np.asarray(out, dtype=object), dict(raw.columns), CGCS2000)
    else:
        table = SiteTable.from_frame(_raw_frame(raw, out))
    return table, raw.note, raw.warnings


def _raw_in_cgcs2000(raw: _Raw) -> np.ndarray:
    """The raw geometries in CGCS2000 lon/lat, 2D (a missing geometry as an empty polygon)."""
    geoms = np.asarray([g if g is not None else shapely.Polygon() for g in raw.geoms], dtype=object)
    forced = shapely.force_2d(geoms)
    coords = shapely.get_coordinates(forced)
    if len(coords) and np.isfinite(coords).all():
        _check_projected_input(coords, raw.src, raw.label)
    return raw.convert(forced) if raw.convert is not None else transform_geometry(forced, raw.src, CGCS2000)


def _raw_frame(raw: _Raw, geoms: np.ndarray):
    rows = raw.rows if len(raw.rows) == len(geoms) else [{} for _ in geoms]
    return gpd.GeoDataFrame(rows, geometry=list(geoms), crs=CGCS2000)


def read_sites(path, **options):
    """Read every feature of a sites file as its own site (the batch's reader).

    The same raw reader as :func:`read_site` (rings, attributes, CRS evidence)
    with the same options (``source_crs``, ``layer``, ``encoding``, ``cm``,
    ``towgs84``, ``dxf_layer``); see :func:`read_site_frame`, whose frame this returns.

    Returns
    -------
    GeoDataFrame
        One row per feature in CGCS2000 lon/lat, with the file's attributes.
    """
    return read_site_frame(path, **options)[0]


# --------------------------------------------------------------------------- describe


def describe_site(site: Site) -> list[str]:
    """What was understood of a site, one line each, for ``gisplan read`` / ``--dry-run``.

    Format, CRS and how it was decided, parts, vertex count, area in hectares
    (ellipsoidal, and planimetric in the local 3-degree GK zone for polygons),
    bounds in degrees, details and warnings.
    """
    geom = site.geometry
    parts = site.parts
    kinds = Counter(_dimension_kind(p) for p in parts)
    lines = [
        f"site: {site.path}" + (f" ({site.name})" if site.name else ""),
        f"format: {site.format}",
        f"CRS: {site.source_crs}; {site.crs_note}",
        "parts: " + ", ".join(f"{n} {k}(s)" for k, n in sorted(kinds.items())),
        f"vertices: {int(shapely.get_num_coordinates(geom))}",
    ]
    polys = [p for p in parts if shapely.get_dimensions(p) == 2]
    if polys:
        area = shapely.union_all(polys)
        ell = float(shapely.area(_to_equal_area(area)))
        gk = f"EPSG:{gk_epsg_for_lon(float(area.centroid.x))}"
        # the vertices projected (not densified): a GK corner table's own planimetric area
        plan = float(shapely.area(transform_geometry(area, CGCS2000, gk)))
        lines.append(f"area: {ell / 1e4:.4f} ha ellipsoidal (CGCS2000); {plan / 1e4:.4f} ha planimetric in {gk}")
    lengths = [p for p in parts if shapely.get_dimensions(p) == 1]
    if lengths:
        lines.append(f"length: {sum(GEOD.geometry_length(p) for p in lengths) / 1000:.3f} km (geodesic)")
    x0, y0, x1, y1 = geom.bounds
    lines.append(f"bounds: lon {x0:.6f} .. {x1:.6f}, lat {y0:.6f} .. {y1:.6f} (CGCS2000 degrees)")
    lines += [f"read: {d}" for d in site.details]
    lines += [f"warning: {w}" for w in site.warnings]
    return lines


# --------------------------------------------------------------------------- checks


def _explode(geoms) -> list[BaseGeometry]:
    """Single-part, non-empty geometries of ``geoms`` (collections split recursively)."""
    out: list[BaseGeometry] = []
    stack = [g for g in reversed(list(geoms)) if g is not None]
    while stack:
        g = stack.pop()
        if g.is_empty:
            continue
        if isinstance(g, _COLLECTIONS):
            stack.extend(reversed(list(shapely.get_parts(g))))
        elif isinstance(g, shapely.LinearRing):
            out.append(shapely.LineString(g.coords))
        else:
            out.append(g)
    return out


def _fmt(v: float) -> str:
    return f"{v:.6g}" if abs(v) < 1e5 else f"{v:.1f}"


def _check_finite(coords: np.ndarray, what: str) -> None:
    if np.isnan(coords).any():
        raise SiteError(
            f"the site has NaN (not-a-number) coordinates{what}: "
            "the file is damaged or was exported wrongly"
        )
    if np.isinf(coords).any():
        raise SiteError(
            f"the site has infinite coordinates{what}: the file is damaged or was exported wrongly"
        )


def _projected_hint(x: float, y: float) -> str:
    if 2.5e7 <= x < 4.6e7:
        zone = int(x // 1e6)
        return (
            f"e.g. EPSG:{4513 + zone - 25} for CGCS2000 3-degree GK zone {zone} "
            "(easting with zone prefix)"
        )
    if 0 < x < 1e6 and 1e6 < y < 7e6:
        return (
            "e.g. EPSG:4534-4554, CGCS2000 3-degree GK by central meridian "
            "(no zone prefix), EPSG:4552 for 129E"
        )
    return "e.g. EPSG:4530 or EPSG:4552"


def _check_lonlat(coords: np.ndarray, label: str) -> None:
    """Refuse swapped lat/lon and coordinates outside the lon/lat range."""
    x, y = coords[:, 0], coords[:, 1]
    if x.min() >= 3 and x.max() <= 54 and y.min() >= 73 and y.max() <= 136:
        raise SiteError(
            f"coordinates look like latitude/longitude swapped (x={_fmt(x[0])}, y={_fmt(y[0])}): "
            "give longitude first"
        )
    if np.abs(x).max() > 180 or np.abs(y).max() > 90:
        i = int(np.argmax(np.maximum(np.abs(x) / 180, np.abs(y) / 90)))
        raise SiteError(
            f"coordinates look projected (x={_fmt(x[i])}, y={_fmt(y[i])} "
            "is not longitude/latitude) "
            f"but were read as {label}; pass `source_crs` ({_projected_hint(x[i], y[i])})"
        )


def _check_projected_input(coords: np.ndarray, src: str, label: str) -> None:
    """Refuse lon/lat numbers read with a projected CRS, and swapped northing/easting."""
    if src == CGCS2000 or not parse_crs(src).is_projected:
        return
    x, y = coords[:, 0], coords[:, 1]
    if np.abs(x).max() <= 180 and np.abs(y).max() <= 90:
        raise SiteError(
            f"coordinates look like longitude/latitude (x={_fmt(x[0])}, y={_fmt(y[0])}) "
            "but the CRS is "
            f"projected ({label}); pass `source_crs` EPSG:4490"
        )
    straight = transform_geometry(shapely.points(coords), src, CGCS2000)
    swapped = transform_geometry(shapely.points(coords[:, ::-1]), src, CGCS2000)
    boundary = china_boundary()
    if (
        not shapely.intersects(boundary, straight).any()
        and shapely.intersects(boundary, swapped).all()
    ):
        raise SiteError(
            f"coordinates look like northing/easting swapped (x={_fmt(x[0])}, y={_fmt(y[0])}); "
            "in surveying X is the northing: give the easting first"
        )


@lru_cache(maxsize=1)
def china_boundary() -> BaseGeometry:
    """China's outline (simplified, buffered 0.01 degrees), CGCS2000 lon/lat, prepared."""
    from .user_cache import parsed_text_cached

    text = resources.files("gisplan").joinpath("data/china_boundary.geojson").read_bytes()
    # parsed once, kept as WKB in the user's cache under the file's hash (GeoJSON parsing takes 10-60 ms)
    wkb = parsed_text_cached(text, "china-boundary-wkb-1", _boundary_wkb)
    geom = shapely.from_wkb(wkb)
    shapely.prepare(geom)
    return geom


def _boundary_wkb(text: bytes) -> str:
    """The outline's features as one geometry, hex WKB."""
    shapes = list(shapely.get_parts(shapely.from_geojson(text.decode("utf-8"))))  # the features' geometries
    geom = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
    return shapely.to_wkb(geom, hex=True)


def _measure(geom: BaseGeometry) -> float:
    """Area (m², polygons), else geodesic length (m, lines), else number of points."""
    dim = shapely.get_dimensions(geom)
    if dim == 2:
        return float(shapely.area(_to_equal_area(geom)))
    if dim == 1:
        return float(GEOD.geometry_length(geom))
    return float(len(_explode([geom])))


def _to_equal_area(geom):
    return transform_geometry(shapely.segmentize(geom, 0.001), CGCS2000, EQUAL_AREA)


def _check_in_china(geom: BaseGeometry, warnings: list[str]) -> None:
    boundary = china_boundary()
    if not boundary.intersects(geom):
        p = geom.representative_point()
        raise SiteError(
            f"the site (near {p.x:.4f}, {p.y:.4f}) lies outside China; "
            "check the coordinates and the CRS"
        )
    if boundary.contains(geom):
        return
    # Measure the highest-dimensional parts only (a point next to a polygon has no area).
    dim = shapely.get_dimensions(geom)
    parts = _explode([geom])
    top_parts = [p for p in parts if shapely.get_dimensions(p) == dim]
    top = geom if len(top_parts) == len(parts) else shapely.union_all(top_parts)
    total = _measure(top)
    outside = shapely.difference(top, boundary)
    share = 100.0 * _measure(outside) / total if total > 0 and not outside.is_empty else 0.0
    if share > 0:
        warnings.append(
            f"{share:.1f} % of the site lies outside China "
            "(only the part inside is covered by the data)"
        )


def _repair(parts: list[BaseGeometry], warnings: list[str]) -> list[BaseGeometry]:
    """make_valid invalid polygons (keeping polygonal parts) and report the area change."""
    out: list[BaseGeometry] = []
    before = after = 0.0
    repaired = 0
    for part in parts:
        if shapely.get_dimensions(part) != 2 or part.is_valid:
            out.append(part)
            continue
        fixed = [g for g in _explode([shapely.make_valid(part)]) if shapely.get_dimensions(g) == 2]
        repaired += 1
        before += float(shapely.area(_to_equal_area(part)))
        after += sum(float(shapely.area(_to_equal_area(g))) for g in fixed)
        out.extend(fixed)
    if repaired:
        if before > 0:
            pct = 100.0 * (after - before) / before
            change = f"area changed by {pct:+.2f} % ({before:,.0f} → {after:,.0f} m²)"
        else:
            change = f"area 0 m² before repair (rings cancel out), {after:,.0f} m² after"
        warnings.append(f"repaired {repaired} invalid polygon(s) (self-intersections): {change}")
    if not out:
        raise SiteError("the site has no usable features (only degenerate polygons without area)")
    return out


def _build_site(
    geoms, *, src, label, note, name, path, fmt, warnings, convert=None, details=()
) -> Site:
    """Checks shared by read_site and site_from_geometry.

    ``convert`` (geometries array -> CGCS2000 geometries array) replaces the plain
    reprojection from ``src`` (datum shifts via --towgs84, GCJ-02/BD-09 offsets).
    """
    warnings = list(warnings)
    total = len(geoms)
    geoms = [shapely.force_2d(g) for g in geoms if g is not None]
    parts = _explode(geoms)
    empty = sum(1 for g in geoms if g.is_empty) + (total - len(geoms))
    if not parts:
        raise SiteError(f"no features: none of the {total} features of {path} has a geometry")
    if empty:
        warnings.append(f"{empty} of {total} features have no geometry (empty); dropped")
    coords = shapely.get_coordinates(parts)
    _check_finite(coords, "")
    _check_projected_input(coords, src, label)
    parts_arr = np.array(parts, dtype=object)
    parts = list(convert(parts_arr) if convert is not None else transform_geometry(parts_arr, src, CGCS2000))
    lonlat = shapely.get_coordinates(parts)
    _check_finite(lonlat, f" after transforming from {label}; check the CRS")
    _check_lonlat(lonlat, label)
    parts = _repair(parts, warnings)
    geometry = shapely.union_all(parts) if len(parts) > 1 else parts[0]
    _check_in_china(geometry, warnings)
    return Site(
        geometry=geometry,
        name=name,
        path=path,
        format=fmt,
        source_crs=label,
        crs_note=note,
        warnings=warnings,
        details=list(details),
    )


# --------------------------------------------------------------------------- footprint


def footprint(
    site: Site, *, radius: float | None = None, width: float | None = None
) -> tuple[BaseGeometry, list[str]]:
    """The area screened for a site, in EPSG:4490 longitude/latitude.

    Parameters
    ----------
    site : Site
        The project site.
    radius : float, optional
        Radius (metres) of the geodesic disc around each point of the site.
    width : float, optional
        Total width (metres) of the corridor along each line of the site
        (``width / 2`` on each side, round caps and joins).

    Returns
    -------
    geometry : shapely Polygon or MultiPolygon
        Polygons as they are, points as discs, lines as corridors; their union.
    warnings : list of str
        E.g. a radius given for a site without points (ignored).

    Raises
    ------
    SiteError
        A point without a positive ``radius``, a line without a positive ``width``,
        or either above :data:`MAX_BUFFER_M`.
    """
    parts = site.parts
    points = [p for p in parts if shapely.get_dimensions(p) == 0]
    lines = [p for p in parts if shapely.get_dimensions(p) == 1]
    areas = [p for p in parts if shapely.get_dimensions(p) == 2]
    notes: list[str] = []
    pieces = list(areas)
    if points:
        r = _check_distance(radius, "`radius`", _RADIUS_MISSING)
        pieces += [_disc(p, r) for p in points]
    elif radius is not None:
        notes.append(_RADIUS_IGNORED)
    if lines:
        w = _check_distance(width, "`width`", _WIDTH_MISSING)
        pieces += [_corridor(line, w) for line in lines]
    elif width is not None:
        notes.append(_WIDTH_IGNORED)
    fp = shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]
    check_footprint_area(float(shapely.area(_to_equal_area(fp))), site.name)
    return fp, notes


def check_footprint_area(area_m2: float, name: str | None = None) -> None:
    """Refuse a footprint smaller than :data:`MIN_FOOTPRINT_M2` (a typo, not a project).

    Raises
    ------
    SiteError
        Naming the site and its area.
    """
    if not (area_m2 >= MIN_FOOTPRINT_M2):
        who = f"site {name!r}" if name else "the site"
        raise SiteError(f"{who} covers {area_m2:.3g} m², below the {MIN_FOOTPRINT_M2:g} m² minimum footprint; "
                        "check the coordinates, `radius` and `width`")


def _check_distance(value, flag: str, missing: str) -> float:
    if value is None or isinstance(value, bool):
        raise SiteError(missing)
    try:
        v = (
            float(value)
            if isinstance(value, (Real, str, np.floating, np.integer))
            else float("nan")
        )
    except ValueError:
        v = float("nan")
    if not math.isfinite(v) or v <= 0:
        raise SiteError(f"{missing}; got {value!r}")
    if v > MAX_BUFFER_M:
        raise SiteError(f"{flag} {v:g} m is above the {MAX_BUFFER_M / 1000:g} km sanity limit")
    if v < MIN_BUFFER_M:
        raise SiteError(f"{flag} {v:g} m is below the {MIN_BUFFER_M:g} m minimum (a typo? it is in metres)")
    return v


def _aeqd(lon: float, lat: float) -> tuple:
    """Functions for :func:`shapely.transform` between lon/lat and the azimuthal-equidistant plane about (lon, lat).

    The ellipsoidal AEQD is the geodesic from its centre: a plane point at
    distance d and bearing az is the geodesic's end (PROJ's ``+proj=aeqd`` is
    computed the same way). :data:`GEOD` does it for every vertex at once,
    without building a pyproj transformer for each site's centre (tens of
    milliseconds each, a site at a time).
    """
    def to_plane(xy: np.ndarray) -> np.ndarray:
        n = len(xy)
        az, _, dist = GEOD.inv(np.full(n, lon), np.full(n, lat), xy[:, 0], xy[:, 1])
        az = np.radians(az)
        return np.column_stack([dist * np.sin(az), dist * np.cos(az)])

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        n = len(xy)
        az = np.degrees(np.arctan2(xy[:, 0], xy[:, 1]))
        lo, la, _ = GEOD.fwd(np.full(n, lon), np.full(n, lat), az, np.hypot(xy[:, 0], xy[:, 1]))
        return np.column_stack([lo, la])

    return to_plane, to_lonlat


def _disc(point: BaseGeometry, radius: float) -> BaseGeometry:
    """Geodesic disc: a circle in the azimuthal-equidistant plane centred on the point."""
    circle = shapely.Point(0.0, 0.0).buffer(radius, quad_segs=QUAD_SEGS)
    return shapely.transform(circle, _aeqd(point.x, point.y)[1])


def _corridor(line: BaseGeometry, width: float) -> BaseGeometry:
    """Round-capped corridor of total ``width`` along a lon/lat line, piece by piece."""
    dense = shapely.segmentize(line, 0.001)
    pieces = []
    for chunk in _chunks(np.asarray(dense.coords)):
        seg = shapely.LineString(chunk) if len(chunk) > 1 else shapely.Point(chunk[0])
        cx, cy = (seg.bounds[0] + seg.bounds[2]) / 2, (seg.bounds[1] + seg.bounds[3]) / 2
        to_plane, to_lonlat = _aeqd(cx, cy)
        buffered = shapely.transform(seg, to_plane).buffer(width / 2.0, quad_segs=QUAD_SEGS)
        pieces.append(shapely.transform(buffered, to_lonlat))
    return shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]


def _chunks(coords: np.ndarray) -> list[np.ndarray]:
    """Split a vertex run into consecutive pieces no wider than _CHUNK_DEG (sharing ends)."""
    out: list[np.ndarray] = []
    start = 0
    lo = hi = coords[0]
    for i in range(1, len(coords)):
        lo, hi = np.minimum(lo, coords[i]), np.maximum(hi, coords[i])
        if (hi - lo).max() > _CHUNK_DEG and i - start > 1:
            out.append(coords[start:i])
            start = i - 1
            lo, hi = np.minimum(coords[start], coords[i]), np.maximum(coords[start], coords[i])
    out.append(coords[start:])
    return out


def describe_site_frame(path, *, id_field: str | None = None, **options) -> list[str]:
    """``gisplan batch --dry-run``: how the sites file is read and one line per site."""
    frame, note, warnings = read_site_frame(path, **options)  # exactly what the batch reads
    lines = [f"sites: {path}: {len(frame)} site(s)", f"CRS: {note}"]
    for i, row in frame.iterrows():
        ident = row[id_field] if id_field and id_field in frame.columns else i
        geom = row.geometry
        if geom is None or geom.is_empty:
            lines.append(f"  {ident}: no geometry")
            continue
        x0, y0, x1, y1 = geom.bounds
        area = float(shapely.area(_to_equal_area(geom))) if shapely.get_dimensions(geom) == 2 else 0.0
        lines.append(
            f"  {ident}: {geom.geom_type}, {int(shapely.get_num_coordinates(geom))} vertices, "
            f"{area / 1e4:.4f} ha, lon {x0:.6f}..{x1:.6f}, lat {y0:.6f}..{y1:.6f}"
        )
    if id_field and id_field not in frame.columns:
        lines.append(f"warning: --id-field {id_field!r} is not a field (fields: {', '.join(c for c in frame.columns if c != 'geometry')})")
    lines += [f"warning: {w}" for w in warnings]
    return lines


# --------------------------------------------------------------------------- footprints in bulk

#: Narrowest corridor built in bulk: its round caps alone (π w²/4 ≥ 3 m²) clear :data:`MIN_FOOTPRINT_M2`
#: whichever way the area is measured, so no site :func:`footprint` refuses is built in bulk.
_BULK_MIN_WIDTH_M = 2.0
_POINT_TYPES = (0, 4)  # Point, MultiPoint
_LINE_TYPES = (1, 5)  # LineString, MultiLineString


def bulk_footprints(geoms, radii: list, widths: list, crs: str | None, candidates=None) -> tuple[np.ndarray, list, list]:
    """Footprints of the common batch sites, built for all of them at once: what :func:`footprint` gives one by one.

    A row is built here when :func:`site_from_geometry` and :func:`footprint`
    could neither refuse it nor warn about it: a 2-D Point or MultiPoint with a
    valid radius, or a LineString or MultiLineString with a valid width of at
    least 2 m, every coordinate finite, the whole geometry inside China's
    outline, given in CGCS2000 or WGS84 lon/lat. The discs and corridor pieces
    of all such rows are made with one geodesic call each way
    (:data:`~gisplan.geo.crs.GEOD` on arrays) and one GEOS call per step, by the
    same operations as :func:`_disc` and :func:`_corridor`, so the vertices are
    the same. Every other row is left to the per-site path (its checks, warnings
    and errors).

    Parameters
    ----------
    geoms : array-like of shapely geometries
        One per site (lon/lat in ``crs``).
    radii, widths : list
        Each site's radius and width as :func:`footprint` would get them (None: not given).
    crs : str or None
        As for :func:`site_from_geometry` (None: CGCS2000).
    candidates : array of bool, optional
        Rows that may be built here (default: all).

    Returns
    -------
    built : ndarray of bool
        Rows whose footprint was built.
    footprints : list
        The footprint of each built row (None elsewhere).
    warnings : list of list of str
        The warnings :func:`footprint` and :func:`site_from_geometry` give a built row.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    fps: list = [None] * n
    warns: list[list[str]] = [[] for _ in range(n)]
    built = np.zeros(n, dtype=bool)
    try:
        _label, src, _note, crs_warnings = _decide_crs(None, "shapely", crs if crs is not None else CGCS2000)
    except (CRSInputError, SiteError, ValueError):
        return built, fps, warns
    if src != CGCS2000 or n == 0:  # reprojected sites: one by one
        return built, fps, warns
    ok = _bulk_shapes(geoms, np.ones(n, dtype=bool) if candidates is None else np.asarray(candidates, dtype=bool))
    kind = shapely.get_type_id(geoms)
    points = ok & np.isin(kind, _POINT_TYPES)
    lines = ok & np.isin(kind, _LINE_TYPES)
    radius = _bulk_distances(radii, points, "`radius`", _RADIUS_MISSING, MIN_BUFFER_M)
    width = _bulk_distances(widths, lines, "`width`", _WIDTH_MISSING, _BULK_MIN_WIDTH_M)
    points &= np.isfinite(radius)
    lines &= np.isfinite(width)
    sites = np.flatnonzero(points | lines)
    parts, owner = _site_parts(geoms[sites])
    owner = sites[owner]
    is_point = points[owner]
    pieces = np.empty(len(parts), dtype=object)
    pieces[is_point] = geodesic_discs(parts[is_point], radius[owner[is_point]])
    pieces[~is_point] = geodesic_corridors(parts[~is_point], width[owner[~is_point]])
    for i, fp in zip(sites.tolist(), _union_by_owner(pieces, owner, sites)):
        fps[i] = fp
        note = _WIDTH_IGNORED if points[i] and widths[i] is not None else (
            _RADIUS_IGNORED if lines[i] and radii[i] is not None else None)
        warns[i] = list(crs_warnings) + ([note] if note else [])
        built[i] = True
    return built, fps, warns


def _bulk_shapes(geoms: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Rows whose geometry the bulk path takes: points or lines, 2-D, finite, no empty part, inside China."""
    ok = candidates & np.isin(shapely.get_type_id(geoms), _POINT_TYPES + _LINE_TYPES)
    ok[ok] &= ~shapely.is_empty(geoms[ok]) & ~shapely.has_z(geoms[ok])
    idx = np.flatnonzero(ok)
    coords, which = shapely.get_coordinates(geoms[idx], return_index=True)
    bad = np.unique(which[~np.isfinite(coords).all(axis=1)])
    ok[idx[bad]] = False
    idx = np.flatnonzero(ok)
    parts, which = shapely.get_parts(geoms[idx], return_index=True)
    ok[idx[np.unique(which[shapely.is_empty(parts)])]] = False  # a multi-geometry with an empty member
    idx = np.flatnonzero(ok)
    # the per-site check is boundary.contains(site): the same predicate, for all rows at once
    ok[idx] = shapely.contains(china_boundary(), geoms[idx])
    return ok


def _bulk_distances(values: list, rows: np.ndarray, flag: str, missing: str, least: float) -> np.ndarray:
    """Each row's distance as :func:`_check_distance` accepts it, NaN where it would refuse it or below ``least``."""
    out = np.full(len(rows), np.nan)
    for i in np.flatnonzero(rows).tolist():
        try:
            v = _check_distance(values[i], flag, missing)
        except SiteError:
            continue
        if v >= least:
            out[i] = v
    return out


def _site_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The parts :func:`footprint` buffers for each site (``Site.parts`` of :func:`site_from_geometry`), and their site.

    A single point or line is its own part; the members of a multi-geometry are
    unioned first, as :func:`_build_site` does (duplicate points merged, lines noded).
    """
    single = np.isin(shapely.get_type_id(geoms), (0, 1))
    parts: list = []
    owner: list[int] = []
    for j in range(len(geoms)):
        if single[j]:
            parts.append(geoms[j])
            owner.append(j)
            continue
        members = list(shapely.get_parts(geoms[j]))
        geometry = shapely.union_all(members) if len(members) > 1 else members[0]
        found = _explode([geometry])
        parts.extend(found)
        owner.extend([j] * len(found))
    return np.asarray(parts, dtype=object), np.asarray(owner, dtype=np.int64)


def _union_by_owner(pieces: np.ndarray, owner: np.ndarray, sites: np.ndarray) -> list:
    """Per site (in ``sites`` order), the union of its pieces, or its one piece (as :func:`footprint` joins them)."""
    out: list = []
    bounds = np.searchsorted(owner, sites, side="left").tolist() + [len(owner)]
    for j in range(len(sites)):
        mine = pieces[bounds[j]:bounds[j + 1]]
        out.append(shapely.union_all(mine) if len(mine) > 1 else mine[0])
    return out


def geodesic_discs(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Geodesic discs about lon/lat points, all at once: those :func:`_disc` makes one by one.

    The circle of :func:`_disc` (GEOS's buffer of the origin, radius times the
    unit circle's cosines and sines) is scaled per point and sent to the
    geodesic's end by one :meth:`pyproj.Geod.fwd` call on arrays.

    Parameters
    ----------
    points : ndarray of shapely Points
    radius : ndarray of float
        Metres, one per point.

    Returns
    -------
    ndarray of shapely Polygons
    """
    if len(points) == 0:
        return np.empty(0, dtype=object)
    unit = np.asarray(shapely.Point(0.0, 0.0).buffer(1.0, quad_segs=QUAD_SEGS).exterior.coords)
    xy = radius[:, None, None] * unit[None, :, :]  # the GEOS circle of each radius: r·cos, r·sin
    m = len(unit)
    lon = np.repeat(shapely.get_x(points), m)
    lat = np.repeat(shapely.get_y(points), m)
    flat = xy.reshape(-1, 2)
    az = np.degrees(np.arctan2(flat[:, 0], flat[:, 1]))
    lo, la, _ = GEOD.fwd(lon, lat, az, np.hypot(flat[:, 0], flat[:, 1]))
    return shapely.polygons(np.column_stack([lo, la]).reshape(len(points), m, 2))


def geodesic_corridors(lines: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Round-capped corridors along lon/lat lines, all at once: those :func:`_corridor` makes one by one.

    Each line is densified and cut into pieces (:func:`_chunks`; a line whose
    extent is within one piece is its own piece), each piece is taken to the
    azimuthal-equidistant plane about its own box centre, buffered there and
    brought back, every step for all pieces in one call; the pieces of a line
    are then unioned.

    Parameters
    ----------
    lines : ndarray of shapely LineStrings
    width : ndarray of float
        Total corridor width in metres, one per line.

    Returns
    -------
    ndarray of shapely Polygons or MultiPolygons
    """
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    dense = shapely.segmentize(lines, 0.001)
    b = shapely.bounds(dense)
    short = np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) <= _CHUNK_DEG  # _chunks would keep it whole
    segs: list = []
    owner: list[int] = []
    for j in range(len(dense)):
        if short[j]:
            segs.append(dense[j])
            owner.append(j)
            continue
        for chunk in _chunks(shapely.get_coordinates(dense[j])):
            segs.append(shapely.LineString(chunk) if len(chunk) > 1 else shapely.Point(chunk[0]))
            owner.append(j)
    seg_arr = np.asarray(segs, dtype=object)
    own = np.asarray(owner, dtype=np.int64)
    sb = shapely.bounds(seg_arr)
    cx, cy = (sb[:, 0] + sb[:, 2]) / 2, (sb[:, 1] + sb[:, 3]) / 2
    plane = _to_plane(seg_arr, cx, cy)
    buffered = shapely.buffer(plane, width[own] / 2.0, quad_segs=QUAD_SEGS)
    pieces = _to_lonlat(buffered, cx, cy)
    return np.asarray(_union_by_owner(pieces, own, np.arange(len(lines))), dtype=object)


def _to_plane(geoms: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Each geometry in the AEQD plane about its own centre (the ``to_plane`` of :func:`_aeqd`, all at once)."""
    counts = shapely.get_num_coordinates(geoms)
    lon, lat = np.repeat(cx, counts), np.repeat(cy, counts)

    def to_plane(xy: np.ndarray) -> np.ndarray:
        az, _, dist = GEOD.inv(lon, lat, xy[:, 0], xy[:, 1])
        az = np.radians(az)
        return np.column_stack([dist * np.sin(az), dist * np.cos(az)])

    return shapely.transform(geoms, to_plane)


def _to_lonlat(geoms: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Each plane geometry back to lon/lat from the AEQD about its own centre (``to_lonlat`` of :func:`_aeqd`)."""
    counts = shapely.get_num_coordinates(geoms)
    lon, lat = np.repeat(cx, counts), np.repeat(cy, counts)

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        az = np.degrees(np.arctan2(xy[:, 0], xy[:, 1]))
        lo, la, _ = GEOD.fwd(lon, lat, az, np.hypot(xy[:, 0], xy[:, 1]))
        return np.column_stack([lo, la])

    return shapely.transform(geoms, to_lonlat)
