"""The screening engine: one project site against a layer store.

Data flow: site (CGCS2000) -> footprint -> equal-area plane -> STRtree query over
the store's pieces -> exact intersections -> ellipsoidal areas (the plane is
equal-area on GRS80), GK-zone planimetric areas beside them, geodesic distances.
No formatting happens here: :mod:`gisplan.report` renders the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crossings import line_crossings
from .crs import CGCS2000, EQUAL_AREA, gk_epsg_for_lon, transform_geometry
from .errors import InputError
from .geodesy import direction_word, geodesic_distance, position_phrase
from .geometry import from_equal_area, to_equal_area
from .sites import Site, footprint, read_site, site_from_geometry
from .store import PieceIndex, Store
from .verdict import screening_verdict
from .vocab import CATEGORY_LABELS_ZH, KINDS, LEVEL_LABELS_ZH, ZONE_LABELS_ZH

__all__ = ["screen", "ScreeningResult", "ZONE_KINDS", "feature_overlaps"]

#: Layer kinds that are hits/nearby features (the control units are tabulated apart).
ZONE_KINDS = ("eco_redline", "protected_areas", "water_sources")
CATEGORIES = ("priority", "key", "general")
#: Overlaps below this (m²) are boundary contact, not occupation.
MIN_OVERLAP_M2 = 0.01
_NEARBY_SEARCH_MARGIN = 1.1  # equal-area plane distances are off by a few per cent


@dataclass
class ScreeningResult:
    """What one screening found; plain data, rendered by :mod:`gisplan.report`.

    Attributes
    ----------
    site : Site
        The site as read (geometry in CGCS2000 lon/lat).
    footprint : shapely geometry
        The screened area in CGCS2000 lon/lat (disc/corridor for points/lines).
    project : dict
        Areas (ellipsoidal ``area_m2`` and GK-zone ``area_gk_m2``), coverage.
    control_units : DataFrame
        One row per overlapped control unit.
    hits, nearby : DataFrame
        Redline, protected-area and water-source features overlapped / near.
    pieces : GeoDataFrame
        The overlap geometries (CGCS2000), one per feature hit.
    context : dict of GeoDataFrame
        Per layer kind, the whole features within the search buffer (for maps).
    county : GeoDataFrame or None
        Outline of the county (or counties) of the hit control units: their
        county's units dissolved, columns ``county``, geometry (CGCS2000; for map insets).
    verdict : dict
    warnings : list of str
    """

    site: Site
    footprint: object
    params: dict
    project: dict
    control_units: pd.DataFrame
    hits: pd.DataFrame
    nearby: pd.DataFrame
    pieces: gpd.GeoDataFrame
    verdict: dict
    warnings: list[str] = field(default_factory=list)
    store_info: dict = field(default_factory=dict)
    generated_at: str = ""
    context: dict = field(default_factory=dict)
    county: gpd.GeoDataFrame | None = None
    crossings: list = field(default_factory=list)

    @property
    def by_category(self) -> dict[str, float]:
        """Overlap (m², ellipsoidal) per control-unit category."""
        cu = self.control_units
        return {c: float(cu.loc[cu["category"] == c, "overlap_m2"].sum()) for c in CATEGORIES}

    @property
    def by_category_gk(self) -> dict[str, float]:
        """Overlap (m², planimetric in the site's GK zone) per category."""
        cu = self.control_units
        return {c: float(cu.loc[cu["category"] == c, "overlap_gk_m2"].sum()) for c in CATEGORIES}

    @property
    def footprint_frame(self) -> gpd.GeoDataFrame:
        """The screened footprint as a one-row GeoDataFrame (CGCS2000)."""
        return gpd.GeoDataFrame(
            {"name": [self.site.name or "site"], "area_m2": [self.project["area_m2"]]},
            geometry=[self.footprint],
            crs=CGCS2000,
        )

    def to_dict(self) -> dict:
        """The JSON report as plain Python data."""
        from .report import result_to_dict

        return result_to_dict(self)

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The JSON report as text; written to ``path`` too when given."""
        from .report import result_to_json

        return result_to_json(self, path)

    # --- Jupyter (rendering lives in gisplan.render.notebook / html_map) ---

    @property
    def units(self) -> gpd.GeoDataFrame:
        """Overlapped control units as a GeoDataFrame: whole unit geometry plus overlap columns."""
        from .render.notebook import units_frame

        return units_frame(self)

    @property
    def hits_frame(self) -> gpd.GeoDataFrame:
        """Zone hits (redline, protected areas, water sources) with the overlap geometries."""
        from .render.notebook import hits_frame

        return hits_frame(self)

    @property
    def nearby_frame(self) -> gpd.GeoDataFrame:
        """Nearby features with the shortest site-to-feature line as geometry."""
        from .render.notebook import nearby_frame

        return nearby_frame(self)

    def _repr_html_(self) -> str:
        from .render.notebook import summary_html

        return summary_html(self)

    def __repr__(self) -> str:
        from .render.notebook import summary_repr

        return summary_repr(self)

    def explore(self, **kwargs):
        """Interactive folium map (offline); options as :func:`gisplan.render.html_map.html_map`."""
        from .render.html_map import html_map

        return html_map(self, **kwargs)

    def plot(self, ax=None, **kwargs):
        """Quick matplotlib map of units, zones and the site; returns the Axes."""
        from .render.notebook import plot_result

        return plot_result(self, ax=ax, **kwargs)


def feature_overlaps(index: PieceIndex, site_ea) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Overlap of one equal-area site polygon with each feature of a layer.

    Returns
    -------
    feature_id : ndarray of int
    area_m2 : ndarray of float
        Ellipsoidal overlap areas (the plane is equal-area).
    geoms : ndarray
        Overlap geometries in the equal-area plane, one per feature.
    """
    cand = index.candidates(site_ea)
    shapely.prepare(site_ea)
    pieces = index.geoms(cand)
    touching = shapely.intersects(site_ea, pieces)
    cand, pieces = cand[touching], pieces[touching]
    if len(cand) == 0:
        return np.empty(0, np.int64), np.empty(0), np.empty(0, dtype=object)
    inside = shapely.contains_properly(site_ea, pieces)
    parts = np.where(inside, pieces, shapely.intersection(pieces, site_ea))
    areas = np.where(inside, index.area[cand], shapely.area(parts))
    feats = index.feature[cand]
    order = np.argsort(feats, kind="stable")
    feats, areas, parts = feats[order], areas[order], parts[order]
    uniq, start = np.unique(feats, return_index=True)
    sums = np.add.reduceat(areas, start)
    geoms = np.array([shapely.union_all(g) for g in np.split(parts, start[1:])], dtype=object)
    keep = sums > MIN_OVERLAP_M2
    return uniq[keep], sums[keep], geoms[keep]


def _as_site(site, source_crs: str | None) -> Site:
    if isinstance(site, Site):
        return site
    if isinstance(site, (str, os.PathLike)):
        return read_site(site, source_crs=source_crs)
    return site_from_geometry(site, crs=source_crs or CGCS2000)


def _zone_of(kind: str, row: pd.Series) -> tuple[str, str]:
    if kind == "protected_areas":
        return row["zone"], row.get("zone_label") or ZONE_LABELS_ZH.get(row["zone"], row["zone"])
    if kind == "water_sources":
        return row["level"], row.get("level_label") or LEVEL_LABELS_ZH.get(row["level"], row["level"])
    return "redline", "生态保护红线"


def _nearby(index: PieceIndex, frame: pd.DataFrame, site_ea, hit_ids: set, buffer_m: float, kind: str) -> list[dict]:
    cand = index.candidates(site_ea, distance=buffer_m * _NEARBY_SEARCH_MARGIN)
    rows: dict[int, dict] = {}
    if len(cand) == 0:
        return []
    lines = shapely.shortest_line(np.full(len(cand), site_ea, dtype=object), index.geoms(cand))
    ends = from_equal_area(lines)
    coords = shapely.get_coordinates(ends).reshape(-1, 2, 2)
    for fid, (a, b) in zip(index.feature[cand], coords):
        fid = int(fid)
        if fid in hit_ids:
            continue
        dist, az = geodesic_distance(a[0], a[1], b[0], b[1])
        if dist > buffer_m or (fid in rows and rows[fid]["distance_m"] <= dist):
            continue
        row = frame.loc[fid]
        zone, label = _zone_of(kind, row)
        rows[fid] = {
            "kind": kind, "feature_id": fid, "name": row["name"], "zone": zone, "zone_label": label,
            "distance_m": dist, "azimuth_deg": az, "direction": direction_word(az),
            "position": position_phrase(az, dist),
            "site_point": [float(a[0]), float(a[1])], "feature_point": [float(b[0]), float(b[1])],
        }
    return list(rows.values())


def screen(
    site,
    store: Store | str | os.PathLike,
    *,
    radius: float | None = None,
    width: float | None = None,
    buffer: float = 5000.0,
    source_crs: str | None = None,
    industry=None,
) -> ScreeningResult:
    """Screen one project site against a layer store.

    Parameters
    ----------
    site : str, Path, Site, shapely geometry or GeoDataFrame
        A site file (GeoJSON, GeoPackage, shapefile or .zip, KML), an already
        read :class:`~gisplan.sites.Site`, or geometry (CGCS2000 lon/lat unless
        ``source_crs`` says otherwise). Several features are one site (union).
    store : Store or path
        The layer store.
    radius : float, optional
        Disc radius (m) for a point site.
    width : float, optional
        Total corridor width (m) for a line site (road, pipeline).
    buffer : float
        Search distance (m, geodesic) for nearby redline/protected/water features.
    source_crs : str, optional
        CRS of the site when the file has none (e.g. ``EPSG:4531``).
    industry : str or IndustryMatch, optional
        Project type (GB/T 4754-2017 code or name, EIA catalogue category) for
        the verdict; without it, findings are area-based (``review``).

    Returns
    -------
    ScreeningResult

    Examples
    --------
    >>> import gisplan                                                    # doctest: +SKIP
    >>> r = gisplan.screen("data/sites/industrial_park_yanji.geojson",
    ...                    "layers/demo_yanbian.gpkg")                    # doctest: +SKIP
    >>> r.by_category                                                     # doctest: +SKIP
    """
    if buffer is None or not np.isfinite(buffer) or buffer < 0:
        raise InputError(f"--buffer must be a non-negative number of metres, got {buffer!r}")
    from .rules.industry import match_industry

    match = match_industry(industry) if isinstance(industry, str) else industry
    store = store if isinstance(store, Store) else Store(store)
    site = _as_site(site, source_crs)
    fp, fp_warnings = footprint(site, radius=radius, width=width)
    warnings = list(site.warnings) + list(fp_warnings)
    site_ea = to_equal_area(fp)
    lon0 = float(shapely.centroid(fp).x)
    lat0 = float(shapely.centroid(fp).y)
    gk_crs = f"EPSG:{gk_epsg_for_lon(lon0)}"

    def gk_area(geoms) -> np.ndarray:
        return shapely.area(transform_geometry(np.asarray(geoms, dtype=object), EQUAL_AREA, gk_crs))

    area = float(shapely.area(site_ea))
    area_gk = float(gk_area([site_ea])[0])
    piece_rows: list[dict] = []
    piece_geoms: list = []

    # control units
    cu_rows: list[dict] = []
    if store.has("control_units"):
        units = store.read("control_units")
        ids, areas, geoms = feature_overlaps(store.index("control_units"), site_ea)
        gk = gk_area(geoms) if len(ids) else np.empty(0)
        for fid, a, g, agk in zip(ids, areas, geoms, gk):
            u = units.loc[int(fid)]
            cu_rows.append({
                "feature_id": int(fid), "code": u["code"], "name": u["name"], "category": u["category"],
                "category_label": CATEGORY_LABELS_ZH.get(u["category"], u["category"]), "county": u["county"],
                "overlap_m2": float(a), "overlap_gk_m2": float(agk), "share_of_project": float(a / area) if area else 0.0,
            })
            piece_rows.append({"kind": "control_units", "feature_id": int(fid), "name": u["name"], "class": u["category"], "overlap_m2": float(a)})
            piece_geoms.append(g)
    else:
        warnings.append("the store has no control_units layer: unit statistics are empty and the verdict is review")
    cu = pd.DataFrame(cu_rows, columns=["feature_id", "code", "name", "category", "category_label", "county", "overlap_m2", "overlap_gk_m2", "share_of_project"])
    cu = cu.sort_values("overlap_m2", ascending=False, ignore_index=True)
    covered = float(cu["overlap_m2"].sum())
    covered_gk = float(cu["overlap_gk_m2"].sum())
    outside = max(area - covered, 0.0)
    outside_gk = max(area_gk - covered_gk, 0.0)
    if outside < max(1.0, 1e-7 * area):
        outside, outside_gk = 0.0, 0.0
    if store.has("control_units"):
        if covered == 0:
            warnings.append(f"the site lies wholly outside the store's control units ({area / 1e4:.2f} ha not covered)")
        elif outside > 0:
            warnings.append(
                f"{outside / 1e4:.2f} ha ({outside / area:.1%}) of the site lies outside the store's control units"
            )
    if covered > area * (1 + 1e-6) + 1.0:
        warnings.append("control units overlap each other under the site: unit areas add up to more than the site")

    # zones: hits and nearby
    hit_rows: list[dict] = []
    near_rows: list[dict] = []
    for kind in ZONE_KINDS:
        if not store.has(kind):
            continue
        frame = store.read(kind)
        index = store.index(kind)
        ids, areas, geoms = feature_overlaps(index, site_ea)
        gk = gk_area(geoms) if len(ids) else np.empty(0)
        for fid, a, g, agk in zip(ids, areas, geoms, gk):
            row = frame.loc[int(fid)]
            zone, label = _zone_of(kind, row)
            hit_rows.append({"kind": kind, "feature_id": int(fid), "name": row["name"], "zone": zone, "zone_label": label,
                             "overlap_m2": float(a), "overlap_gk_m2": float(agk), "share_of_project": float(a / area) if area else 0.0})
            piece_rows.append({"kind": kind, "feature_id": int(fid), "name": row["name"], "class": zone, "overlap_m2": float(a)})
            piece_geoms.append(g)
        near_rows += _nearby(index, frame, site_ea, {int(i) for i in ids}, buffer, kind)
    hits = pd.DataFrame(hit_rows, columns=["kind", "feature_id", "name", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"])
    nearby = pd.DataFrame(near_rows, columns=["kind", "feature_id", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction", "position", "site_point", "feature_point"])
    nearby = nearby.sort_values("distance_m", ignore_index=True)
    pieces = gpd.GeoDataFrame(
        pd.DataFrame(piece_rows, columns=["kind", "feature_id", "name", "class", "overlap_m2"]),
        geometry=from_equal_area(np.array(piece_geoms, dtype=object)) if piece_geoms else [],
        crs=CGCS2000,
    )
    context = _context(store, site_ea, buffer)
    b = shapely.bounds(fp)
    project = {
        "name": site.name, "source": site.path, "format": site.format, "site_kind": site.kind,
        "crs_note": site.crs_note, "source_crs": site.source_crs,
        "area_m2": area, "area_gk_m2": area_gk, "gk_crs": gk_crs,
        "outside_coverage_m2": outside, "outside_coverage_gk_m2": outside_gk,
        "centroid": [lon0, lat0], "bounds": [float(v) for v in b],
    }
    params = {"radius_m": radius, "width_m": width, "buffer_m": buffer, "source_crs": source_crs,
              "industry": industry if isinstance(industry, str) or industry is None else match.query}
    missing = [k for k in KINDS if not store.has(k)]
    warnings += [f"the store has no {k} layer: the verdict is review" for k in missing if k != "control_units"]
    verdict = screening_verdict(hits, cu, store=store, industry=match, outside_m2=outside,
                                has_units=store.has("control_units"), missing_kinds=missing)
    crossings = _crossings(store, site, hits, fp, width, gk_crs)
    return ScreeningResult(
        site=site, footprint=fp, params=params, project=project, control_units=cu, hits=hits,
        nearby=nearby, pieces=pieces, verdict=verdict, warnings=warnings,
        store_info={"path": str(store.path), "layers": store.versions()},
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        context=context, county=_county_outline(store, cu), crossings=crossings,
    )


def _crossings(store: Store, site: Site, hits: pd.DataFrame, fp, width, gk_crs: str) -> list[dict]:
    """Crossings of a line site's centreline through the zones it occupies (:mod:`gisplan.crossings`)."""
    if site.kind not in ("line", "mixed") or hits.empty:
        return []
    zones = []
    for _, h in hits.iterrows():
        row = store.read(h["kind"]).loc[int(h["feature_id"])]
        zones.append({"kind": h["kind"], "name": h["name"], "zone": h["zone"], "zone_label": h["zone_label"],
                      "geometry": row.geometry})
    return line_crossings(site.geometry, zones, gk_crs=gk_crs, width=width, footprint=fp)


def _county_outline(store: Store, cu: pd.DataFrame) -> gpd.GeoDataFrame:
    """The hit units' county (or counties): all units of the store in it, dissolved."""
    empty = gpd.GeoDataFrame({"county": []}, geometry=[], crs=CGCS2000)
    counties = [c for c in cu["county"].dropna().unique() if str(c).strip()] if len(cu) else []
    if not counties or not store.has("control_units"):
        return empty
    units = store.read("control_units")
    units = units[units["county"].isin(counties)]
    geoms = [shapely.union_all(shapely.make_valid(np.asarray(g.geometry.values, dtype=object)))
             for _, g in units.groupby("county", sort=False)]
    names = [c for c, _ in units.groupby("county", sort=False)]
    return gpd.GeoDataFrame({"county": names}, geometry=geoms, crs=CGCS2000)


def _context(store: Store, site_ea, buffer_m: float) -> dict[str, gpd.GeoDataFrame]:
    """Features of every kind within ``buffer_m`` of the site, for maps (CGCS2000)."""
    out = {}
    for kind in store.kinds():
        index = store.index(kind)
        cand = index.candidates(site_ea, distance=max(buffer_m, 1.0) * _NEARBY_SEARCH_MARGIN)
        ids = np.unique(index.feature[cand])
        out[kind] = store.read(kind).loc[ids].reset_index(drop=True)
    return out
