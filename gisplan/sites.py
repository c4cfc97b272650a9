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

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from numbers import Real

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry.base import BaseGeometry

from .crs import CGCS2000, EQUAL_AREA, GEOD, parse_crs, transform_geometry
from .errors import CRSInputError, SiteError
from .io.vector import read_vector

__all__ = [
    "Site",
    "read_site",
    "site_from_geometry",
    "footprint",
    "china_boundary",
    "MAX_BUFFER_M",
    "NAME_FIELDS",
]

#: Largest radius or corridor width accepted (metres): a sanity limit.
MAX_BUFFER_M = 50_000.0
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
    """

    geometry: BaseGeometry
    name: str | None
    path: str
    format: str
    source_crs: str
    crs_note: str
    warnings: list[str] = field(default_factory=list)

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
) -> Site:
    """Read a project site from a vector file.

    Parameters
    ----------
    path : str or os.PathLike
        A file :func:`gisplan.io.read_vector` reads (shapefile, zip, GeoPackage,
        GeoJSON, KML). All its features form one site.
    source_crs : str, optional
        The CRS of the coordinates (``EPSG:4530``, ``4552``, WKT ...). Needed for a
        shapefile without ``.prj``; overrides the file's own CRS (with a warning
        when they differ).
    layer : str, optional
        Layer (GeoPackage, KML) or dataset in a zip.
    encoding : str, optional
        Text encoding of a shapefile's attributes.

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
    data = read_vector(path, layer=layer, encoding=encoding)
    frame = data.frame
    label, src, note, crs_warnings = _decide_crs(frame.crs, data.format, source_crs)
    return _build_site(
        np.asarray(frame.geometry.values, dtype=object),
        src=src,
        label=label,
        note=note,
        name=_site_name(frame),
        path=data.path,
        fmt=data.format,
        warnings=list(data.warnings) + crs_warnings,
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
    if isinstance(geom, gpd.GeoDataFrame):
        fmt, own_crs = "GeoDataFrame", geom.crs
        name = name if name is not None else _site_name(geom)
        geoms = np.asarray(geom.geometry.values, dtype=object)
    elif isinstance(geom, gpd.GeoSeries):
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
        values = []
        for value in frame[column]:
            text = (
                ""
                if value is None or (isinstance(value, float) and math.isnan(value))
                else str(value).strip()
            )
            if text and text not in values:
                values.append(text)
        if values:
            return "、".join(values[:3]) + (f" 等 {len(values)} 处" if len(values) > 3 else "")
    return None


# --------------------------------------------------------------------------- CRS


def _crs_label(crs: CRS) -> str:
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg}" if epsg else crs.name


def _crs_source(crs: CRS) -> str:
    """A string :func:`gisplan.crs.transform_geometry` accepts for ``crs``."""
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


def _decide_crs(file_crs, fmt: str, given: str | None) -> tuple[str, str, str, list[str]]:
    """Decide the source CRS: (label, transform source, note, warnings)."""
    warnings: list[str] = []
    file_crs = CRS.from_user_input(file_crs) if file_crs is not None else None
    implied = fmt in _LONLAT_NOTES and (file_crs is None or _is_lonlat_cgcs_like(file_crs))
    if given is not None:
        chosen = parse_crs(given)
        label = _crs_label(chosen)
        note = f"--source-crs {label} (given)"
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
        if fmt == "ESRI Shapefile":
            raise CRSInputError(
                "no .prj: the shapefile's coordinate system is unknown; "
                "pass --source-crs (e.g. EPSG:4490 or EPSG:4528)"
            )
        raise CRSInputError(
            f"the {fmt} data has no coordinate system; pass --source-crs (e.g. EPSG:4490)"
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
    if any(d in _datum_name(chosen) for d in _LEGACY_DATUMS):
        warnings.append(
            f"{label} is on the {chosen.geodetic_crs.datum.name} datum: no transformation to "
            "CGCS2000 is available here, so positions may be off by tens of metres; "
            "convert with the 7 parameters of the survey"
        )
    return label, src, note, warnings


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
            f"but were read as {label}; pass --source-crs ({_projected_hint(x[i], y[i])})"
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
            f"projected ({label}); pass --source-crs EPSG:4490"
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
    text = (
        resources.files("gisplan")
        .joinpath("data/china_boundary.geojson")
        .read_text(encoding="utf-8")
    )
    features = json.loads(text)["features"]
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
    geom = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
    shapely.prepare(geom)
    return geom


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


def _build_site(geoms, *, src, label, note, name, path, fmt, warnings) -> Site:
    """Checks shared by read_site and site_from_geometry."""
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
    parts = list(transform_geometry(np.array(parts, dtype=object), src, CGCS2000))
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
        r = _check_distance(radius, "--radius", "a point site needs --radius (metres)")
        pieces += [_disc(p, r) for p in points]
    elif radius is not None:
        notes.append("--radius ignored: the site has no points")
    if lines:
        w = _check_distance(
            width, "--width", "a line site needs --width (metres, total corridor width)"
        )
        pieces += [_corridor(line, w) for line in lines]
    elif width is not None:
        notes.append("--width ignored: the site has no lines")
    return (shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]), notes


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
    return v


def _aeqd(lon: float, lat: float) -> str:
    return (
        f"+proj=aeqd +lat_0={lat:.9f} +lon_0={lon:.9f} +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
    )


def _disc(point: BaseGeometry, radius: float) -> BaseGeometry:
    """Geodesic disc: a circle in the azimuthal-equidistant plane centred on the point."""
    local = _aeqd(point.x, point.y)
    circle = shapely.Point(0.0, 0.0).buffer(radius, quad_segs=QUAD_SEGS)
    return transform_geometry(circle, local, CGCS2000)


def _corridor(line: BaseGeometry, width: float) -> BaseGeometry:
    """Round-capped corridor of total ``width`` along a lon/lat line, piece by piece."""
    dense = shapely.segmentize(line, 0.001)
    pieces = []
    for chunk in _chunks(np.asarray(dense.coords)):
        seg = shapely.LineString(chunk) if len(chunk) > 1 else shapely.Point(chunk[0])
        cx, cy = (seg.bounds[0] + seg.bounds[2]) / 2, (seg.bounds[1] + seg.bounds[3]) / 2
        local = _aeqd(cx, cy)
        buffered = transform_geometry(seg, CGCS2000, local).buffer(width / 2.0, quad_segs=QUAD_SEGS)
        pieces.append(transform_geometry(buffered, local, CGCS2000))
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
