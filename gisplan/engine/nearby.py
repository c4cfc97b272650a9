"""Features near a site: geodesic distance and direction to each, as EIA position tables give them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..geo.crs import GEOD
from ..geo.geometry import from_equal_area

__all__ = ["NEARBY_SEARCH_MARGIN", "Nearby", "nearby_features"]

#: Distances in the equal-area plane differ from geodesic ones by a few per cent:
#: the plane search reaches this much further, then geodesic distances decide.
NEARBY_SEARCH_MARGIN = 1.1


@dataclass
class Nearby:
    """Features of one layer within a distance of a site (not those it overlaps).

    Attributes
    ----------
    feature : ndarray of int
        Feature ids, nearest first.
    distance_m : ndarray of float
        Geodesic distance (m, GRS80) between the nearest points.
    azimuth_deg : ndarray of float
        Forward azimuth from the site's nearest point to the feature's (0-360, from north).
    site_point, feature_point : ndarray, shape (n, 2)
        The nearest points, CGCS2000 lon/lat.
    """

    feature: np.ndarray
    distance_m: np.ndarray
    azimuth_deg: np.ndarray
    site_point: np.ndarray
    feature_point: np.ndarray


def nearby_features(site_ea, index, buffer_m: float, exclude=()) -> Nearby:
    """Features of a layer within ``buffer_m`` (geodesic) of one equal-area site.

    Parameters
    ----------
    site_ea : shapely geometry
        The site footprint in the equal-area plane.
    index : PieceIndex
        The layer's pieces.
    buffer_m : float
        Search distance (m).
    exclude : iterable of int
        Feature ids to leave out (those the site overlaps).
    """
    empty = Nearby(np.empty(0, np.int64), np.empty(0), np.empty(0), np.empty((0, 2)), np.empty((0, 2)))
    if len(index) == 0 or buffer_m <= 0:
        return empty
    cand = index.candidates(site_ea, distance=buffer_m * NEARBY_SEARCH_MARGIN)
    if len(cand):
        skip = np.isin(index.feature[cand], np.fromiter(exclude, dtype=np.int64))
        cand = cand[~skip]
    if len(cand) == 0:
        return empty
    lines = shapely.shortest_line(np.full(len(cand), site_ea, dtype=object), index.geoms(cand))
    ends = shapely.get_coordinates(from_equal_area(lines)).reshape(-1, 2, 2)
    az, _, dist = GEOD.inv(ends[:, 0, 0], ends[:, 0, 1], ends[:, 1, 0], ends[:, 1, 1])
    az = np.mod(np.asarray(az, dtype=float), 360.0)
    dist = np.asarray(dist, dtype=float)
    feats = index.feature[cand]
    order = np.lexsort((dist, feats))  # per feature, its nearest piece first
    feats, dist, az, ends = feats[order], dist[order], az[order], ends[order]
    first = np.ones(len(feats), dtype=bool)
    first[1:] = feats[1:] != feats[:-1]
    feats, dist, az, ends = feats[first], dist[first], az[first], ends[first]
    near = dist <= buffer_m
    feats, dist, az, ends = feats[near], dist[near], az[near], ends[near]
    by_distance = np.argsort(dist, kind="stable")
    return Nearby(feats[by_distance], dist[by_distance], az[by_distance],
                  ends[by_distance, 0, :], ends[by_distance, 1, :])
