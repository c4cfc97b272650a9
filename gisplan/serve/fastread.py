"""Plain GeoJSON uploads read without GDAL: what ``read_vector`` would give, for ``read_site``.

Reading a small GeoJSON file through GDAL (open, list layers, read info, read
features, build frames) costs a busy server about 3 ms of its ~6 ms per
screening. Most uploads of the web page and of scripts are plain GeoJSON: a
``FeatureCollection`` of simple 2-D features. :func:`read_plain_geojson` parses
those with :mod:`json` and :mod:`shapely` into the very
:class:`~gisplan.io.VectorData` that :func:`gisplan.io.read_vector` returns
for them (same geometries, CRS, format, layer name, field names, name values),
and :func:`read_site_fast` hands it to the ordinary flow of
:func:`gisplan.sites.read_site`. Anything outside that narrow shape (another
CRS, 3-D or unclosed rings, date-like names, foreign members, a byte-order
mark, reading options ...) returns None and is read by GDAL as before:
never a guess. ``tests/test_serve_fastread.py`` checks the equality against
``read_vector`` and ``read_site`` file by file.
"""

from __future__ import annotations

import functools
import json
import math
import re
from pathlib import Path

__all__ = ["read_plain_geojson", "read_site_fast"]

#: Largest upload parsed here (bigger ones are not where the time goes).
MAX_BYTES = 4 << 20
#: The ``crs`` members (legacy GeoJSON) understood, and the CRS GDAL reports for each.
_CRS_NAMES = {
    "urn:ogc:def:crs:OGC:1.3:CRS84": "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4326": "EPSG:4326",
    "EPSG:4326": "EPSG:4326",
    "urn:ogc:def:crs:EPSG::4490": "EPSG:4490",
    "EPSG:4490": "EPSG:4490",
}
_TOP_KEYS = {"type", "features", "crs", "name"}
_FEATURE_KEYS = {"type", "properties", "geometry", "id"}
#: Text GDAL may read as a date, time or number-like value: left to GDAL.
_NOT_PLAIN_TEXT = re.compile(r"^\s*[-+]?\d{1,4}\s*[-/:.]\s*\d")


def _position_ok(p) -> bool:
    return (isinstance(p, list) and len(p) == 2
            and all(type(v) in (int, float) and math.isfinite(v) for v in p))


def _line_ok(coords, closed: bool) -> bool:
    if not isinstance(coords, list) or len(coords) < (4 if closed else 2):
        return False
    if not all(_position_ok(p) for p in coords):
        return False
    return not closed or coords[0] == coords[-1]


def _polygon_ok(rings) -> bool:
    return isinstance(rings, list) and len(rings) >= 1 and all(_line_ok(r, True) for r in rings)


def _geometry_ok(geom) -> bool:
    """A 2-D Point, LineString, Polygon or Multi* with finite coordinates and closed rings."""
    if not isinstance(geom, dict) or set(geom) != {"type", "coordinates"}:
        return False
    kind, coords = geom["type"], geom["coordinates"]
    if kind == "Point":
        return _position_ok(coords)
    if kind == "LineString":
        return _line_ok(coords, False)
    if kind == "Polygon":
        return _polygon_ok(coords)
    if not isinstance(coords, list) or not coords:
        return False
    if kind == "MultiPoint":
        return all(_position_ok(p) for p in coords)
    if kind == "MultiLineString":
        return all(_line_ok(c, False) for c in coords)
    if kind == "MultiPolygon":
        return all(_polygon_ok(c) for c in coords)
    return False


def _columns(features: list[dict]) -> list[str] | None:
    """GDAL's field names: property keys in order of appearance, plus ``id`` for text feature ids."""
    names: list[str] = []
    seen: set[str] = set()
    for f in features:
        for key in f["properties"]:
            if key.casefold() not in seen:
                seen.add(key.casefold())
                names.append(key)
            elif key not in names:
                return None  # names differing in case only: GDAL's way is left to GDAL
    ids = {type(f["id"]) for f in features if "id" in f}
    if ids - {str, int} or len(ids) > 1 or (int in ids and "id" in seen):
        return None
    if str in ids:
        if "id" in seen:
            return None
        names.insert(0, "id")
    return names


def _name_values_ok(features: list[dict]) -> bool:
    """Values of name-like fields (which become the site's name) must be plain text or empty."""
    from ..sites import NAME_FIELDS

    wanted = {n.casefold() for n in NAME_FIELDS}
    for f in features:
        for key, value in f["properties"].items():
            if key.casefold() in wanted and value is not None:
                if not isinstance(value, str) or _NOT_PLAIN_TEXT.match(value):
                    return False
    return True


@functools.cache
def _crs(name: str):
    from pyproj import CRS

    return CRS.from_user_input(name)


def read_plain_geojson(path: str | Path, *, lean: bool = False):
    """The :class:`~gisplan.io.VectorData` ``read_vector(path)`` gives, for a plain GeoJSON file; else None.

    Parameters
    ----------
    path : str or Path
        A ``.geojson`` or ``.json`` file.
    lean : bool
        Return the features as :class:`~gisplan.io.vector.VectorArrays` (geometries
        and plain value arrays, no frame: neither pandas nor geopandas is imported),
        which is all :func:`~gisplan.sites.read_site` needs of them.

    Returns
    -------
    gisplan.io.VectorData or gisplan.io.vector.VectorArrays or None
        None whenever the file is not plainly within what is handled here
        (the caller then reads it with :func:`gisplan.io.read_vector`). It
        also carries ``rows``, the attributes as plain dicts (JSON values, not
        GDAL's typed ones): ``read_site`` uses only their field names.
    """
    import numpy as np
    import shapely.geometry

    from ..io.vector import VectorArrays, VectorData

    path = Path(path)
    if path.suffix.lower() not in (".geojson", ".json"):
        return None
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:  # a FIFO, device or folder: read_vector words it
            return None
        raw = path.read_bytes()
        obj = json.loads(raw.decode("utf-8"))  # no BOM: json.loads refuses one
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not raw.lstrip().startswith(b"{") or not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        return None
    if set(obj) - _TOP_KEYS:
        return None
    crs = "EPSG:4326"
    if "crs" in obj:
        member = obj["crs"]
        if not (isinstance(member, dict) and member.get("type") == "name" and set(member) == {"type", "properties"}
                and isinstance(member["properties"], dict) and set(member["properties"]) == {"name"}
                and member["properties"]["name"] in _CRS_NAMES):
            return None
        crs = _CRS_NAMES[member["properties"]["name"]]
    layer = obj.get("name", path.stem)
    features = obj.get("features")
    if not isinstance(layer, str) or not layer or not isinstance(features, list) or not 1 <= len(features) <= 1000:
        return None
    for f in features:
        if (not isinstance(f, dict) or f.get("type") != "Feature" or set(f) - _FEATURE_KEYS
                or not isinstance(f.get("properties"), dict) or not _geometry_ok(f.get("geometry"))):
            return None
    columns = _columns(features)
    if columns is None or "geometry" in {c.casefold() for c in columns} or not _name_values_ok(features):
        return None
    values = {c: [f.get("id") if c == "id" and "id" not in f["properties"] else f["properties"].get(c)
                  for f in features] for c in columns}
    geoms = np.array([shapely.geometry.shape(f["geometry"]) for f in features], dtype=object)
    if lean:
        columns_out = {c: np.array(values[c] + [None], dtype=object)[:-1] for c in columns}  # 1-D even for lists
        data = VectorArrays(geometry=geoms, columns=columns_out, crs=_crs(crs), format="GeoJSON", encoding="UTF-8",
                            layer=layer, warnings=[], path=str(path))
    else:
        import geopandas as gpd

        values["geometry"] = gpd.array.from_shapely(geoms, crs=_crs(crs))
        frame = gpd.GeoDataFrame(values, geometry="geometry")
        data = VectorData(frame=frame, format="GeoJSON", encoding="UTF-8", layer=layer, warnings=[], path=str(path))
    # the attribute rows as plain dicts (what sites.py would build from the frame, at ~0.7 ms a site)
    data.rows = [{c: values[c][i] for c in columns} for i in range(len(features))]
    return data


def read_site_fast(path: str | Path, opts: dict):
    """``read_site(path)`` through :func:`read_plain_geojson` when it applies and no reading option is set; else None."""
    from ..sites import _read_site_with

    if any(opts.get(k) not in (None, "") for k in ("source_crs", "layer", "encoding", "cm", "towgs84", "dxf_layer")):
        return None
    data = read_plain_geojson(path, lean=True)  # no frames: a single site needs its geometries and field names
    if data is None:
        return None
    return _read_site_with(str(path), data)
