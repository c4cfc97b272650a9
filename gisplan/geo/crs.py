"""Coordinate reference systems used by gisplan.

- Storage: CGCS2000 longitude/latitude (EPSG:4490), ellipsoid GRS80.
- Areas: an Albers equal-area projection on GRS80 (exactly area-preserving on the
  ellipsoid, so planar areas there are ellipsoidal areas).
- Planimetric areas as the 2023 unit update computes them: the 3-degree
  Gauss-Kruger zone of the site (EPSG:4534-4554, by central meridian).
"""

from __future__ import annotations

from functools import lru_cache

import pyproj
import shapely
from pyproj import CRS, Transformer

from ..errors import CRSInputError

__all__ = [
    "CGCS2000",
    "EQUAL_AREA",
    "GEOD",
    "gk_epsg_for_lon",
    "gk_central_meridian",
    "parse_crs",
    "transformer",
    "transform_geometry",
]

CGCS2000 = "EPSG:4490"
#: Albers equal-area conic for China on the CGCS2000 (GRS80) ellipsoid.
EQUAL_AREA = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
#: The CGCS2000 ellipsoid for geodesic lengths, areas and azimuths.
GEOD = pyproj.Geod(ellps="GRS80")

_GK_CM_FIRST, _GK_CM_LAST = 75, 135


def gk_central_meridian(lon: float) -> int:
    """Central meridian (degrees) of the 3-degree Gauss-Kruger zone holding ``lon``."""
    cm = int(3 * round(lon / 3.0))
    return min(max(cm, _GK_CM_FIRST), _GK_CM_LAST)


def gk_epsg_for_lon(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree GK zone (no zone prefix) holding ``lon``.

    Examples
    --------
    >>> gk_epsg_for_lon(129.5)
    4552
    """
    return 4534 + (gk_central_meridian(lon) - _GK_CM_FIRST) // 3


@lru_cache(maxsize=64)
def parse_crs(value: str | int) -> CRS:
    """Parse a user-given CRS (``EPSG:4527``, ``4527``, WKT, PROJ string).

    Raises
    ------
    CRSInputError
        When pyproj cannot make sense of it.
    """
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except pyproj.exceptions.CRSError as exc:
        raise CRSInputError(f"unknown coordinate reference system {value!r}") from exc


@lru_cache(maxsize=64)
def transformer(src: str, dst: str) -> Transformer:
    """A cached, always-xy transformer between two CRS given as strings.

    Between gisplan's own systems (CGCS2000 lon/lat, the equal-area plane, the
    CGCS2000 3-degree GK zones) the PROJ pipeline is written out
    (:func:`_own_pipeline`): the one PROJ's database gives, built in well under a
    millisecond instead of about 20 (a test compares the two for every pair).
    """
    pipeline = _own_pipeline(src, dst)
    if pipeline is not None:
        return Transformer.from_pipeline(pipeline)
    return Transformer.from_crs(parse_crs(src), parse_crs(dst), always_xy=True)


def _own_step(crs: str) -> str | None:
    """The PROJ step from GRS80 lon/lat (radians) to one of gisplan's planes; "" for CGCS2000 lon/lat; None otherwise."""
    if crs == CGCS2000:
        return ""
    if crs == EQUAL_AREA:
        return "proj=aea lat_0=0 lon_0=105 lat_1=25 lat_2=47 x_0=0 y_0=0 ellps=GRS80"
    code = crs[5:] if crs.startswith("EPSG:") else ""
    if code.isdigit() and 4534 <= int(code) <= 4554:  # CGCS2000 / 3-degree Gauss-Kruger CM 75E ... 135E
        return f"proj=tmerc lat_0=0 lon_0={_GK_CM_FIRST + 3 * (int(code) - 4534)} k=1 x_0=500000 y_0=0 ellps=GRS80"
    return None


def _own_pipeline(src: str, dst: str) -> str | None:
    """The PROJ pipeline (always x/y, i.e. lon/lat order) between two of gisplan's own systems, else None."""
    a, b = _own_step(src), _own_step(dst)
    if a is None or b is None or src == dst:
        return None
    steps = [f"step inv {a}" if a else "step proj=unitconvert xy_in=deg xy_out=rad",
             f"step {b}" if b else "step proj=unitconvert xy_in=rad xy_out=deg"]
    return "proj=pipeline " + " ".join(steps)


def transform_geometry(geom, src: str, dst: str):
    """Reproject shapely geometries (scalar or array) from ``src`` to ``dst``."""
    if src == dst:
        return geom
    t = transformer(src, dst)
    return shapely.transform(geom, lambda xy: _stack(t.transform(xy[:, 0], xy[:, 1])))


def _stack(xy):
    import numpy as np

    return np.column_stack(xy)
