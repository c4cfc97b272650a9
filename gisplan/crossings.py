"""Where a linear project (road, pipeline) crosses the redline or a protected zone.

What the special chapter on crossing (穿越生态保护红线专章) needs, per crossing:
entry and exit coordinates (CGCS2000 degrees and Gauss-Kruger metres of the
site's 3-degree zone, X northing / Y easting as surveyors write them), the
length inside (geodesic metres on GRS80), the area the corridor occupies
inside (ellipsoidal m²), the chainage along the line, and the zone type.

Computed from the site's centreline (:attr:`gisplan.sites.Site.geometry`
before buffering) against the zone polygons, both in CGCS2000 lon/lat.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.ops import substring

from .geo.crs import GEOD, transformer
from .geo.geometry import to_equal_area

__all__ = ["line_crossings", "centrelines"]

#: Entry/exit within this many degrees of a line end count as "the line starts/ends inside".
_END_TOL_DEG = 1e-9


def centrelines(geometry) -> list[shapely.LineString]:
    """The single-part lines of a site geometry (empty for points and polygons)."""
    lines = _lines_only(geometry)
    if lines.is_empty:
        return []
    merged = shapely.line_merge(lines) if lines.geom_type == "MultiLineString" else lines
    return [g for g in shapely.get_parts(merged) if not g.is_empty]


def _lines_only(geometry):
    parts = [g for g in shapely.get_parts(geometry) if g.geom_type in ("LineString", "MultiLineString")]
    if not parts:
        return shapely.LineString()
    return shapely.union_all(parts) if len(parts) > 1 else parts[0]


def _geodesic_length(line) -> float:
    return float(GEOD.geometry_length(line)) if not line.is_empty else 0.0


def _point(lon: float, lat: float, gk_crs: str) -> dict:
    e, n = transformer("EPSG:4490", gk_crs).transform(lon, lat)
    return {"lon": float(lon), "lat": float(lat), "x_northing": float(n), "y_easting": float(e)}


def line_crossings(
    geometry,
    zones: list[dict],
    *,
    gk_crs: str,
    width: float | None = None,
    footprint=None,
) -> list[dict]:
    """Every crossing of a line site through the given zone polygons.

    Parameters
    ----------
    geometry : shapely geometry
        The site as read (CGCS2000 lon/lat); its line parts are the centreline.
    zones : list of dict
        Each with ``kind``, ``name``, ``zone``, ``zone_label`` and ``geometry``
        (polygon, CGCS2000 lon/lat); other keys are copied into the crossings.
    gk_crs : str
        The site's Gauss-Kruger CRS (e.g. ``EPSG:4552``) for metre coordinates.
    width : float, optional
        Corridor width (m): the area occupied is the footprint inside the zone
        within ``width / 2`` of this crossing.
    footprint : shapely geometry, optional
        The screened corridor (CGCS2000 lon/lat).

    Returns
    -------
    list of dict
        Ordered by line part and chainage: ``kind``, ``name``, ``zone``,
        ``zone_label``, ``line_part``, ``entry``/``exit`` (``lon``, ``lat``,
        ``x_northing``, ``y_easting``), ``gk_crs``, ``entry_chainage_m``,
        ``length_m``, ``area_m2`` (None without a footprint), ``starts_inside``,
        ``ends_inside``.

    Examples
    --------
    >>> import shapely
    >>> zone = {"kind": "eco_redline", "name": "红线", "zone": "redline", "zone_label": "生态保护红线",
    ...         "geometry": shapely.box(129.41, 42.81, 129.46, 42.86)}
    >>> c = line_crossings(shapely.LineString([(129.40, 42.835), (129.47, 42.835)]), [zone], gk_crs="EPSG:4552")
    >>> [round(c[0]["entry"]["lon"], 6), round(c[0]["exit"]["lon"], 6)]
    [129.41, 129.46]
    """
    lines = centrelines(geometry)
    if not lines:
        return []
    fp_ea = to_equal_area(footprint) if footprint is not None else None
    out = []
    for li, line in enumerate(lines):
        shapely.prepare(line)
        for z in zones:
            poly = z["geometry"]
            if poly is None or poly.is_empty or not line.intersects(poly):
                continue
            inter = shapely.line_merge(_lines_only(line.intersection(poly)))
            zone_ea = None
            for part in shapely.get_parts(inter):
                if part.is_empty or part.length == 0:
                    continue
                coords = np.asarray(part.coords)
                d0, d1 = line.project(shapely.Point(coords[0])), line.project(shapely.Point(coords[-1]))
                if d1 < d0:
                    coords, d0, d1 = coords[::-1], d1, d0
                area = None
                if fp_ea is not None and width:
                    zone_ea = zone_ea if zone_ea is not None else to_equal_area(poly)
                    near = shapely.buffer(to_equal_area(shapely.LineString(coords)), width / 2.0 + 1.0)
                    area = float(shapely.area(shapely.intersection(shapely.intersection(fp_ea, zone_ea), near)))
                extra = {k: v for k, v in z.items() if k not in ("geometry",)}
                out.append({
                    **extra,
                    "line_part": li,
                    "entry": _point(coords[0][0], coords[0][1], gk_crs),
                    "exit": _point(coords[-1][0], coords[-1][1], gk_crs),
                    "gk_crs": gk_crs,
                    "entry_chainage_m": _geodesic_length(substring(line, 0.0, d0)) if d0 > 0 else 0.0,
                    "length_m": _geodesic_length(shapely.LineString(coords)),
                    "area_m2": area,
                    "starts_inside": bool(d0 <= _END_TOL_DEG),
                    "ends_inside": bool(d1 >= line.length - _END_TOL_DEG),
                })
    out.sort(key=lambda c: (c["line_part"], c["entry_chainage_m"]))
    return out
