"""The overlay kernel: how much of each site lies in each feature of a layer.

One function serves a single screening (one site, overlap geometries kept for
maps and crossings) and a batch (many sites, areas only). All work happens in
the equal-area plane (GRS80 Albers), so planar areas are ellipsoidal areas.

Fast paths, cheapest first, each exact:

1. a polygon site inside the bounding box of an *exclusive* piece (a piece that
   fills its box and whose interior no other feature enters) lies wholly in that
   piece's feature: nothing is read from the store;
2. a polygon site that touches none of the layer's boundary lines (kept short in
   the store) lies wholly inside every feature holding one of its vertices, or
   outside all of them: only the few lines near it are read;
3. the rest: the pieces whose boxes meet the site are read and intersected; a
   piece inside the site counts with its stored area, a site inside a piece with
   its own area, GEOS cuts only the pieces that cross the site's outline.

The kernel needs only numpy and shapely: frames are built by callers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from ..constants import MIN_OVERLAP_M2

__all__ = ["LayerOverlaps", "layer_overlaps", "polygon_sites"]

_EMPTY_I = np.empty(0, dtype=np.int64)
_EMPTY_F = np.empty(0, dtype=np.float64)


@dataclass
class LayerOverlaps:
    """Overlaps of sites with the features of one layer, one row per (site, feature).

    Attributes
    ----------
    site : ndarray of int
        Index of the site in the array given to :func:`layer_overlaps`.
    feature : ndarray of int
        The feature's ``feature_id`` in the store.
    area : ndarray of float
        Ellipsoidal overlap (m²); rows at or below :data:`~gisplan.constants.MIN_OVERLAP_M2`
        (boundary contact) are dropped.
    geometry : ndarray of shapely geometries or None
        The overlap in the equal-area plane, when asked for.
    """

    site: np.ndarray
    feature: np.ndarray
    area: np.ndarray
    geometry: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.site)

    def per_site(self, n: int, feature_class: np.ndarray | None = None, classes: int = 0) -> np.ndarray:
        """Overlap sums per site (``(n,)``), or per site and class (``(n, classes)``).

        ``feature_class`` maps a feature id to a class number (-1: none).
        """
        if feature_class is None:
            return np.bincount(self.site, weights=self.area, minlength=n)
        out = np.zeros((n, classes))
        cls = feature_class[self.feature] if len(self.feature) else _EMPTY_I
        for c in range(classes):
            sel = cls == c
            out[:, c] = np.bincount(self.site[sel], weights=self.area[sel], minlength=n)
        return out


def polygon_sites(sites_ea: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Areas of equal-area site polygons and which of them can be screened.

    Returns
    -------
    area : ndarray of float
    ok : ndarray of bool
        Non-empty polygonal geometries with a positive area.
    """
    sites_ea = np.asarray(sites_ea, dtype=object)
    kind = shapely.get_type_id(sites_ea)  # -1 for None
    ok = (kind == 3) | (kind == 6)
    ok[ok] = ~shapely.is_empty(sites_ea[ok])
    area = np.zeros(len(sites_ea))
    area[ok] = shapely.area(sites_ea[ok])
    ok &= area > 0
    return area, ok


def _unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """Distinct rows of an (n, 2) int array, sorted (``np.unique(axis=0)`` is slow on small arrays)."""
    if len(pairs) < 2:
        return pairs.reshape(-1, 2)
    order = np.lexsort((pairs[:, 1], pairs[:, 0]))
    pairs = pairs[order]
    keep = np.ones(len(pairs), dtype=bool)
    keep[1:] = (pairs[1:] != pairs[:-1]).any(axis=1)
    return pairs[keep]


def _within_boxes(sites: np.ndarray, index) -> tuple[np.ndarray, np.ndarray]:
    """(site, piece) pairs of sites lying within a piece's bounding box.

    What ``box_tree.query(sites, predicate="within")`` gives, from the boxes'
    numbers: a polygon lies within an axis-parallel box exactly when its own
    bounding box does, and the tree's boxes are made of these same numbers.
    """
    si, pj = index.box_tree.query(sites)
    if len(si) == 0:
        return si, pj
    sb, pb = shapely.bounds(sites)[si], index.bounds[pj]
    inside = (sb[:, 0] >= pb[:, 0]) & (sb[:, 1] >= pb[:, 1]) & (sb[:, 2] <= pb[:, 2]) & (sb[:, 3] <= pb[:, 3])
    return si[inside], pj[inside]


def _wholly_inside(sites: np.ndarray, single: np.ndarray, index, edges) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sites settled without overlay (fast paths 1 and 2).

    Returns
    -------
    settled : ndarray of bool
        Sites whose overlaps are known: inside some features or outside all.
    site, feature : ndarray of int
        The (site, feature) pairs of settled sites lying wholly in a feature.
    """
    n = len(sites)
    if len(index) == 0:
        return single.copy(), _EMPTY_I, _EMPTY_I
    bi, bp = _within_boxes(sites[single], index)
    bi = np.flatnonzero(single)[bi]
    keep = index.exclusive[bp]
    boxed = np.zeros(n, dtype=bool)
    boxed[bi[keep]] = True
    boxed_pairs = np.column_stack([bi[keep], index.feature[bp[keep]]])
    open_idx = np.flatnonzero(single & ~boxed)
    crossing = np.zeros(n, dtype=bool)
    if len(open_idx) and len(edges):
        se, ej = edges.candidates(sites[open_idx])
        if len(se):
            touching = shapely.intersects(sites[open_idx[se]], edges.geoms(ej))
            crossing[open_idx[se[touching]]] = True
    idx = np.flatnonzero(single & ~boxed & ~crossing)
    pairs = np.empty((0, 2), dtype=np.int64)
    if len(idx):
        vertex = shapely.get_point(shapely.get_exterior_ring(sites[idx]), 0)
        pi, pk = index.candidates(vertex)
        if len(pi):
            hit = shapely.intersects(vertex[pi], index.geoms(pk))
            pairs = np.column_stack([idx[pi[hit]], index.feature[pk[hit]]])
    pairs = _unique_pairs(np.concatenate([boxed_pairs.reshape(-1, 2), pairs]).astype(np.int64))
    settled = single & (boxed | ~crossing)
    return settled, pairs[:, 0], pairs[:, 1]


def _pair_overlaps(sites: np.ndarray, pieces: np.ndarray, piece_area: np.ndarray,
                   keep_geometry: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Overlap area (and geometry) of each (site, piece) pair: cheap cases first."""
    area = np.zeros(len(sites))
    geoms = np.full(len(sites), None, dtype=object) if keep_geometry else None
    touching = shapely.intersects(sites, pieces)
    piece_inside = touching & shapely.contains_properly(sites, pieces)
    area[piece_inside] = piece_area[piece_inside]
    rest = touching & ~piece_inside
    site_inside = np.zeros(len(sites), dtype=bool)
    site_inside[rest] = shapely.contains_properly(pieces[rest], sites[rest])
    area[site_inside] = shapely.area(sites[site_inside])
    cut = rest & ~site_inside
    cut_geoms = shapely.intersection(sites[cut], pieces[cut])
    area[cut] = shapely.area(cut_geoms)
    if keep_geometry:
        geoms[piece_inside] = pieces[piece_inside]
        geoms[site_inside] = sites[site_inside]
        geoms[cut] = cut_geoms
    return area, geoms


def layer_overlaps(sites_ea, index, edges=None, *, keep_geometry: bool = False) -> LayerOverlaps:
    """Overlaps of equal-area site polygons with the features of one layer.

    Parameters
    ----------
    sites_ea : array of shapely geometries
        Site footprints in the equal-area plane (None or empty for sites that
        cannot be screened: they get no rows).
    index : PieceIndex
        The layer's equal-area pieces (:meth:`gisplan.store.gpkg.Store.index`).
    edges : PieceIndex, optional
        The layer's boundary lines (:meth:`gisplan.store.gpkg.Store.edge_index`);
        without them only fast path 1 and the overlay run.
    keep_geometry : bool
        Also return the overlap geometries (single screenings: maps, crossings).

    Returns
    -------
    LayerOverlaps
        Summed per (site, feature); sites in order, features ascending.
    """
    sites = np.asarray(sites_ea, dtype=object)
    area, ok = polygon_sites(sites)
    if len(index) == 0 or not ok.any():
        return LayerOverlaps(_EMPTY_I, _EMPTY_I, _EMPTY_F, np.empty(0, dtype=object) if keep_geometry else None)
    shapely.prepare(sites[ok])
    single = ok & (shapely.get_type_id(np.where(ok, sites, None)) == 3)
    if edges is not None:
        settled, s_in, f_in = _wholly_inside(sites, single, index, edges)
    else:
        settled, s_in, f_in = np.zeros(len(sites), dtype=bool), _EMPTY_I, _EMPTY_I
    rest = np.flatnonzero(ok & ~settled)
    si, pj = index.candidates(sites[rest]) if len(rest) else (_EMPTY_I, _EMPTY_I)
    si = rest[si]
    pair_area, pair_geom = _pair_overlaps(sites[si], index.geoms(pj) if len(pj) else np.empty(0, dtype=object),
                                          index.area[pj], keep_geometry)
    site_of = np.concatenate([si, s_in]).astype(np.int64)
    feature_of = np.concatenate([index.feature[pj], f_in]).astype(np.int64)
    amount = np.concatenate([pair_area, area[s_in]])
    touching = amount > 0
    site_of, feature_of, amount = site_of[touching], feature_of[touching], amount[touching]
    geoms = None
    if keep_geometry:
        geoms = np.concatenate([pair_geom, sites[s_in]])[touching]
    if len(site_of) == 0:
        return LayerOverlaps(_EMPTY_I, _EMPTY_I, _EMPTY_F, np.empty(0, dtype=object) if keep_geometry else None)
    order = np.lexsort((feature_of, site_of))
    site_of, feature_of, amount = site_of[order], feature_of[order], amount[order]
    key_change = np.ones(len(site_of), dtype=bool)
    key_change[1:] = (site_of[1:] != site_of[:-1]) | (feature_of[1:] != feature_of[:-1])
    start = np.flatnonzero(key_change)
    sums = np.add.reduceat(amount, start)
    keep = sums > MIN_OVERLAP_M2
    out_geoms = None
    if keep_geometry:
        parts = np.split(geoms[order], start[1:])
        out_geoms = np.array([p[0] if len(p) == 1 else shapely.union_all(p) for p in parts], dtype=object)[keep]
    return LayerOverlaps(site_of[start][keep], feature_of[start][keep], sums[keep], out_geoms)
