"""Geometry operations the store and the screening engine share (pure, no I/O)."""

from __future__ import annotations

import numpy as np
import shapely

from .crs import CGCS2000, EQUAL_AREA, gk_epsg_for_lon, transform_geometry

__all__ = [
    "DENSIFY_DEG",
    "polygonal_part",
    "to_equal_area",
    "from_equal_area",
    "to_gk",
    "subdivide",
    "split_lines",
]

#: Longest edge (degrees, ~100 m) kept before projecting: straight edges in lon/lat
#: and in the equal-area plane then differ by less than a millimetre.
DENSIFY_DEG = 0.001


def polygonal_part(geom):
    """Only the polygonal parts of ``geom`` (Polygon/MultiPolygon) or an empty polygon."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    if not parts:
        return shapely.Polygon()
    return shapely.union_all(parts)


def to_equal_area(geoms):
    """Densify lon/lat geometries (CGCS2000) and project them to the equal-area plane."""
    return transform_geometry(shapely.segmentize(geoms, DENSIFY_DEG), CGCS2000, EQUAL_AREA)


def from_equal_area(geoms):
    """Project equal-area geometries back to CGCS2000 lon/lat."""
    return transform_geometry(geoms, EQUAL_AREA, CGCS2000)


def to_gk(geoms, lon: float, src: str = CGCS2000):
    """Project geometries to the 3-degree Gauss-Kruger zone holding longitude ``lon``."""
    return transform_geometry(geoms, src, f"EPSG:{gk_epsg_for_lon(lon)}")


def subdivide(geoms: np.ndarray, max_vertices: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons into pieces of at most ``max_vertices`` vertices.

    Like PostGIS ``ST_Subdivide``: each oversized piece is halved across the long
    side of its bounding box until it is small enough. Small pieces make GEOS
    intersections fast and let an STRtree discard most of a large unit at once.

    Parameters
    ----------
    geoms : ndarray of shapely geometries
        Polygons or multipolygons (planar coordinates).
    max_vertices : int
        Upper bound of vertices per piece.

    Returns
    -------
    pieces : ndarray of Polygon
    parent : ndarray of int
        Index into ``geoms`` of each piece's source geometry.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, parent = shapely.get_parts(geoms, return_index=True)
    done_geoms: list[np.ndarray] = []
    done_parent: list[np.ndarray] = []
    for _ in range(64):
        if len(parts) == 0:
            break
        n = shapely.get_num_coordinates(parts)
        small = n <= max_vertices
        done_geoms.append(parts[small])
        done_parent.append(parent[small])
        big, big_parent = parts[~small], parent[~small]
        if len(big) == 0:
            break
        b = shapely.bounds(big)
        wide = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
        mx = (b[:, 0] + b[:, 2]) / 2
        my = (b[:, 1] + b[:, 3]) / 2
        # Halves, slightly oversized outward so no sliver is lost to rounding.
        pad = 1.0 + np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1])
        x0, y0, x1, y1 = b[:, 0] - pad, b[:, 1] - pad, b[:, 2] + pad, b[:, 3] + pad
        box_a = np.where(wide, shapely.box(x0, y0, mx, y1), shapely.box(x0, y0, x1, my))
        box_b = np.where(wide, shapely.box(mx, y0, x1, y1), shapely.box(x0, my, x1, y1))
        halves = np.concatenate([shapely.intersection(big, box_a), shapely.intersection(big, box_b)])
        halves_parent = np.concatenate([big_parent, big_parent])
        halves = np.array([polygonal_part(h) for h in halves], dtype=object)
        parts, idx = shapely.get_parts(halves, return_index=True)
        parent = halves_parent[idx]
        keep = ~shapely.is_empty(parts) & (shapely.area(parts) > 0)
        parts, parent = parts[keep], parent[keep]
    else:  # pragma: no cover - 64 halvings cannot leave a piece that large
        done_geoms.append(parts)
        done_parent.append(parent)
    return np.concatenate(done_geoms), np.concatenate(done_parent).astype(np.int64)


def split_lines(geoms: np.ndarray, max_vertices: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Cut (multi)linestrings into consecutive lines of at most ``max_vertices`` vertices.

    Returns
    -------
    lines : ndarray of LineString
    parent : ndarray of int
        Index into ``geoms`` of each line's source geometry.
    """
    parts, parent = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    lines: list = []
    owner: list[int] = []
    step = max(max_vertices - 1, 1)
    for part, p in zip(parts, parent):
        coords = shapely.get_coordinates(part)
        for start in range(0, max(len(coords) - 1, 1), step):
            chunk = coords[start:start + step + 1]
            if len(chunk) >= 2:
                lines.append(shapely.linestrings(chunk))
                owner.append(int(p))
    return np.array(lines, dtype=object), np.array(owner, dtype=np.int64)
