"""One site against one store snapshot: the full screening, kept lean for warm loops.

Everything that depends only on the store (attribute tables, the access list,
layer versions, verdict engines per project type) is read once per snapshot
and kept in an :class:`EngineCache` on the :class:`~gisplan.store.gpkg.Store`
object; a screening then reads only the pieces near its site. Tables for
renderers are built lazily by :class:`~gisplan.result.ScreeningResult`; the
map context and the county outline are read at screening time when asked for
(``context=True``), so a result holds data, never a link to the store.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from functools import lru_cache

import numpy as np
import shapely

from ..geo.crs import CGCS2000, EQUAL_AREA, gk_epsg_for_lon, transform_geometry
from ..geo.geodesy import direction_word, position_phrase
from ..geo.geometry import from_equal_area, to_equal_area
from ..vocab import (
    BASE_KINDS,
    CATEGORY_LABELS_ZH,
    ELEMENT_KINDS,
    ELEMENT_ZONE_LABELS_ZH,
    FARMLAND_ZONE,
    KIND_LABELS_ZH,
    LEVEL_LABELS_ZH,
    PLANNING_KINDS,
    URBAN_ZONE_LABELS_ZH,
    ZONE_LABELS_ZH,
)
from .coverage import OUTSIDE_LABEL, coverage_of, extent_label, outside_coverage, outside_urban_boundary
from .nearby import NEARBY_SEARCH_MARGIN, nearby_features
from .overlay import layer_overlaps

__all__ = ["EngineCache", "engine_cache", "ZONE_KINDS", "zone_of", "match_cached", "redline_own_law",
           "protected_area_type", "screen_footprint", "screen_site", "map_context", "county_outline"]

#: Layer kinds that are hits/nearby features (the control units are tabulated apart): the statutory zones of
#: 三线一单 and the planning kinds of the three control lines (permanent basic farmland, urban boundary).
ZONE_KINDS = ("eco_redline", "protected_areas", "water_sources", *PLANNING_KINDS)
#: Zone kinds whose line sites get crossings (entry, exit, length inside): the statutory zones.
CROSSING_KINDS = ("eco_redline", "protected_areas", "water_sources")
#: Nearby features kept per planning kind: the nearest (a farmland layer holds thousands of patches).
_NEAREST_ONLY = 1
_ATTRIBUTE_COLUMNS = {
    "control_units": ["feature_id", "code", "name", "category", "county"],
    "eco_redline": ["feature_id", "name"],
    "protected_areas": ["feature_id", "name", "zone", "zone_label"],
    "water_sources": ["feature_id", "name", "level", "level_label"],
    **{k: ["feature_id", "name", "zone", "zone_label", "code"] for k in ELEMENT_KINDS},
    "basic_farmland": ["feature_id", "name", "code", "land_class", "township"],
    "urban_boundary": ["feature_id", "name", "zone", "zone_label", "code"],
}
_cache_lock = threading.Lock()


def _as_framed(values: list) -> list:
    """A column's values as a pandas frame built from the rows would give them, missing ones as None.

    (Whole numbers beside a missing value become floats there, as in any numeric column with a gap.)
    """
    present = [v for v in values if v is not None and v == v]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present)
    gaps = len(present) < len(values)
    if present and numeric and (gaps or any(isinstance(v, float) for v in present)):
        return [float(v) if v is not None and v == v else None for v in values]
    return [v if v is not None and v == v else None for v in values]


@lru_cache(maxsize=512)
def match_cached(query: str):
    """:func:`gisplan.rules.industry.match_industry`, remembered per query."""
    from ..rules.industry import match_industry

    return match_industry(query)


def zone_of(kind: str, row: dict) -> tuple[str, str]:
    """The zone code and its label of a zone feature's attribute row."""
    if kind == "protected_areas":
        zone = row.get("zone") or ""
        return zone, row.get("zone_label") or ZONE_LABELS_ZH.get(zone, zone)
    if kind == "water_sources":
        level = row.get("level") or ""
        return level, row.get("level_label") or LEVEL_LABELS_ZH.get(level, level)
    if kind in ELEMENT_KINDS:
        zone = row.get("zone") or ""
        return zone, ELEMENT_ZONE_LABELS_ZH[kind].get(zone) or row.get("zone_label") or zone
    if kind == "basic_farmland":  # one zone; the land class (地类) as delivered, when it is
        land = row.get("land_class")
        return FARMLAND_ZONE, f"永久基本农田（{land}）" if isinstance(land, str) and land.strip() else "永久基本农田"
    if kind == "urban_boundary":
        zone = row.get("zone") or ""
        return zone, URBAN_ZONE_LABELS_ZH.get(zone) or row.get("zone_label") or zone
    return "redline", KIND_LABELS_ZH["eco_redline"]


def planning_code(kind: str, row: dict) -> dict:
    """``{code}`` of a basic-farmland or urban-boundary attribute row (``""`` when it has none); ``{}`` otherwise."""
    if kind not in PLANNING_KINDS:
        return {}
    code = row.get("code")
    return {"code": code if isinstance(code, str) else ""}


def protected_area_type(kind: str, row: dict) -> dict:
    """``{pa_type, pa_level}`` of a protected-area attribute row (empty strings when unknown); ``{}`` for other kinds."""
    if kind != "protected_areas":
        return {}
    return {f: (row.get(f) if isinstance(row.get(f), str) else "") for f in ("pa_type", "pa_level")}


class EngineCache:
    """What a screening needs from one store snapshot, read once.

    Parameters
    ----------
    store : Store
        The snapshot (its reads all come from one version of the file).
    """

    def __init__(self, store):
        self.store = store
        self.kinds = store.kinds()
        self._rows: dict[str, dict[int, dict]] = {}
        self._engines: dict[tuple, object] = {}
        self._access = None
        self._access_read = False
        self._versions = None
        self._extent: str | None = None
        self._counties: dict[tuple, object] = {}  # county outlines for map insets, by county names
        self._lock = threading.Lock()

    def rows(self, kind: str) -> dict[int, dict]:
        """Attribute rows of a layer by feature id (no geometry)."""
        if kind not in self._rows:
            from ..verdict import present_optional_columns

            from ..store.gpkg import attribute_columns

            cols = _ATTRIBUTE_COLUMNS[kind] + present_optional_columns(self.store, kind)
            table = {c: _as_framed(v) for c, v in attribute_columns(self.store, kind, cols).items()}  # no pandas
            records = [dict(zip(cols, values)) for values in zip(*(table[c] for c in cols))]
            self._rows[kind] = {int(r["feature_id"]): r for r in records}
        return self._rows[kind]

    def extent_label(self) -> str:
        """The store's coverage in words: the counties of its control units (``延吉市、图们市…``)."""
        if self._extent is None:
            self._extent = extent_label(self.rows("control_units").values()) if "control_units" in self.kinds else ""
        return self._extent

    @property
    def versions(self) -> dict:
        """The store's layer versions (what a report footer cites)."""
        if self._versions is None:
            self._versions = self.store.versions()
        return self._versions

    def access(self):
        """The store's access list (None when it has none)."""
        with self._lock:
            if not self._access_read:
                from ..rules.access_list import AccessList

                self._access = AccessList.from_store(self.store)
                self._access_read = True
        return self._access

    def verdict_engine(self, industry, **options):
        """A :class:`~gisplan.verdict.VerdictEngine` per project type (and options), kept."""
        from ..verdict import VerdictEngine

        key = (getattr(industry, "query", industry), tuple(sorted(options.items())))
        engine = self._engines.get(key)
        if engine is None:
            engine = VerdictEngine(self.store, industry, access=self.access(), **options)
            self._engines[key] = engine
        return engine


def engine_cache(store) -> EngineCache:
    """The :class:`EngineCache` of a store snapshot (made on first use)."""
    cache = getattr(store, "_engine_cache", None)
    if cache is None:
        with _cache_lock:
            cache = getattr(store, "_engine_cache", None)
            if cache is None:
                cache = EngineCache(store)
                store._engine_cache = cache
    return cache


def redline_own_law(redline_part, own: list[tuple]) -> tuple[float, list]:
    """Split a site's redline overlap by the zones that follow their own laws (142号 一、（一）).

    Parameters
    ----------
    redline_part : shapely geometry
        Site ∩ one redline feature, in the equal-area plane.
    own : list of (key, geometry)
        Site ∩ each protected-area / water-source feature hit (equal-area plane).

    Returns
    -------
    rest_m2 : float
        Area (m², ellipsoidal) of the redline part outside all those zones.
    keys : list
        The keys of the zones that cover more than :data:`~gisplan.constants.MIN_OVERLAP_M2` of the redline part.
    """
    from ..constants import MIN_OVERLAP_M2

    touching = [(key, g) for key, g in own
                if float(shapely.area(shapely.intersection(redline_part, g))) > MIN_OVERLAP_M2]
    if not touching:
        return float(shapely.area(redline_part)), []
    rest = shapely.difference(redline_part, shapely.union_all([g for _, g in touching]))
    return float(shapely.area(rest)), [key for key, _ in touching]


def _split_redline(hit_rows: list[dict], hit_geoms: list) -> None:
    """Add ``redline_rest_m2`` and ``own_law_zones`` to the redline hits (None without geometry)."""
    from ..verdict import follows_own_law

    own = [((h["kind"], h["name"], h["zone"], h.get("pa_type", ""), h.get("pa_level", "")), g)
           for h, g in zip(hit_rows, hit_geoms) if follows_own_law(h["kind"], h.get("pa_type"), h.get("zone"))
           and g is not None]
    for h, g in zip(hit_rows, hit_geoms):
        if h["kind"] == "eco_redline" and g is not None:
            rest, keys = redline_own_law(g, own)
            h.update(redline_rest_m2=rest, own_law_zones=keys)


def gk_areas(geoms_ea: list, gk_crs: str) -> np.ndarray:
    """Planimetric areas (m²) in a GK zone of equal-area geometries (one transform for all)."""
    if not geoms_ea:
        return np.empty(0)
    return shapely.area(transform_geometry(np.asarray(geoms_ea, dtype=object), EQUAL_AREA, gk_crs))


def screen_footprint(cache: EngineCache, fp, *, buffer: float, keep_geometry: bool = True) -> dict:
    """Overlaps, nearby features and areas of one footprint (CGCS2000) against a snapshot.

    Returns
    -------
    dict
        ``area_m2``, ``area_gk_m2``, ``gk_crs``, ``centroid``, ``site_ea``,
        ``unit_rows``, ``hit_rows``, ``nearby_rows``, ``piece_rows``,
        ``piece_geoms`` (CGCS2000), ``element_rows``, ``element_geoms`` (CGCS2000, one per
        element row), ``element_nearby_rows``, ``covered_m2``, ``covered_gk_m2``, ``urban_outside_m2``
        (the site's area outside every urban-boundary feature; None without that layer).
    """
    store = cache.store
    site_ea = to_equal_area(fp)
    centroid = shapely.centroid(fp)
    lon0, lat0 = float(centroid.x), float(centroid.y)
    gk_crs = f"EPSG:{gk_epsg_for_lon(lon0)}"
    area = float(shapely.area(site_ea))
    sites = np.array([site_ea], dtype=object)
    found: list[tuple[str, object]] = []  # (kind, LayerOverlaps)
    for kind in ("control_units", *ZONE_KINDS, *ELEMENT_KINDS):
        if kind in cache.kinds:
            found.append((kind, layer_overlaps(sites, store.index(kind), store.edge_index(kind),
                                               keep_geometry=keep_geometry)))
    # one GK transform for the site and every overlap
    geoms_ea = [site_ea] + [g for _, ov in found for g in (ov.geometry if ov.geometry is not None else [])]
    gk = gk_areas(geoms_ea, gk_crs)
    gk_iter = iter(gk[1:])
    # the site's own GK area from its vertices, as `gisplan read`: a GK corner table's shoelace area (issue 9)
    area_gk = float(shapely.area(transform_geometry(fp, CGCS2000, gk_crs)))
    unit_rows, hit_rows, piece_rows, piece_geoms_ea, hit_geoms = [], [], [], [], []
    element_rows, element_geoms_ea = [], []
    for kind, ov in found:
        rows = cache.rows(kind)
        geoms = ov.geometry if ov.geometry is not None else [None] * len(ov)
        for fid, a, g in zip(ov.feature.tolist(), ov.area.tolist(), geoms):
            agk = float(next(gk_iter)) if ov.geometry is not None else float("nan")
            row = rows[fid]
            share = a / area if area else 0.0
            if kind in ELEMENT_KINDS:  # element zones: their own table, not statutory hits
                element_rows.append(_element_row(kind, fid, row, a, agk, share))
                element_geoms_ea.append(g)
                continue
            if kind == "control_units":
                unit_rows.append({
                    "feature_id": fid, "code": row["code"], "name": row["name"], "category": row["category"],
                    "category_label": CATEGORY_LABELS_ZH.get(row["category"], row["category"]),
                    "county": row.get("county"), "overlap_m2": a, "overlap_gk_m2": agk, "share_of_project": share,
                })
                cls = row["category"]
            else:
                zone, label = zone_of(kind, row)
                hit_rows.append({"kind": kind, "feature_id": fid, "name": row["name"], "zone": zone,
                                 "zone_label": label, "overlap_m2": a, "overlap_gk_m2": agk, "share_of_project": share,
                                 **protected_area_type(kind, row), **planning_code(kind, row)})
                hit_geoms.append(g)
                cls = zone
            piece_rows.append({"kind": kind, "feature_id": fid, "name": row["name"], "class": cls, "overlap_m2": a})
            piece_geoms_ea.append(g)
    unit_rows.sort(key=lambda r: -r["overlap_m2"])
    _split_redline(hit_rows, hit_geoms)  # the redline's part outside zones that follow their own laws
    near_rows, element_near = [], []
    for kind, ov in found:
        if kind == "control_units":
            continue
        near = nearby_features(site_ea, store.index(kind), buffer, exclude=ov.feature.tolist())
        rows = cache.rows(kind)
        keep = _NEAREST_ONLY if kind in PLANNING_KINDS else len(near.feature)
        for fid, dist, az, a, b in zip(near.feature.tolist()[:keep], near.distance_m.tolist(), near.azimuth_deg.tolist(),
                                       near.site_point.tolist(), near.feature_point.tolist()):
            row = rows[fid]
            zone, label = zone_of(kind, row)
            (element_near if kind in ELEMENT_KINDS else near_rows).append({"kind": kind, "feature_id": fid, "name": row["name"], "zone": zone, "zone_label": label,
                              "distance_m": dist, "azimuth_deg": az, "direction": direction_word(az),
                              "position": position_phrase(az, dist), "site_point": a, "feature_point": b,
                              **planning_code(kind, row)})
    near_rows.sort(key=lambda r: r["distance_m"])
    element_near.sort(key=lambda r: r["distance_m"])
    order = sorted(range(len(element_rows)),
                   key=lambda i: (ELEMENT_KINDS.index(element_rows[i]["kind"]), -element_rows[i]["overlap_m2"]))
    element_rows = [element_rows[i] for i in order]  # their overlap geometries in the same order
    element_geoms_ea = [element_geoms_ea[i] for i in order]
    piece_geoms = list(from_equal_area(np.asarray(piece_geoms_ea, dtype=object))) if keep_geometry and piece_geoms_ea else []
    element_geoms = (list(from_equal_area(np.asarray(element_geoms_ea, dtype=object)))
                     if keep_geometry and element_geoms_ea else [])
    urban_m2 = sum(r["overlap_m2"] for r in hit_rows if r["kind"] == "urban_boundary")
    outside = outside_coverage(area, sum(r["overlap_m2"] for r in unit_rows)) if "control_units" in cache.kinds else 0.0
    return {
        "urban_outside_m2": outside_urban_boundary(area, outside, urban_m2) if "urban_boundary" in cache.kinds else None,
        "area_m2": area, "area_gk_m2": area_gk, "gk_crs": gk_crs, "centroid": [lon0, lat0], "site_ea": site_ea,
        "unit_rows": unit_rows, "hit_rows": hit_rows, "nearby_rows": near_rows, "piece_rows": piece_rows,
        "piece_geoms": piece_geoms, "element_rows": element_rows, "element_geoms": element_geoms,
        "element_nearby_rows": element_near,
        "covered_m2": float(sum(r["overlap_m2"] for r in unit_rows)),
        "covered_gk_m2": float(sum(r["overlap_gk_m2"] for r in unit_rows)),
    }


def _element_row(kind: str, fid: int, row: dict, overlap_m2: float, overlap_gk_m2: float, share: float) -> dict:
    """One element-zone overlap row (a feature of an air/water/soil/resource zone layer)."""
    zone, label = zone_of(kind, row)
    return {"kind": kind, "feature_id": fid, "name": row["name"], "code": row.get("code") or "", "zone": zone,
            "zone_label": label, "overlap_m2": overlap_m2, "overlap_gk_m2": overlap_gk_m2, "share_of_project": share}


def element_site(got: dict, outside_m2: float):
    """Where a screened footprint lies in the element zones (:class:`~gisplan.rules.element_zones.ElementSite`)."""
    from ..rules.element_zones import ElementSite

    return ElementSite.from_rows(got["area_m2"], [(r["kind"], r["zone"], r["overlap_m2"]) for r in got["element_rows"]],
                                 outside_m2)


def map_context(store, site_ea, buffer_m: float) -> dict:
    """Per layer kind, the whole features within ``buffer_m`` of the site (CGCS2000), for maps.

    The planning kinds (basic farmland: a province holds hundreds of thousands of
    patches) are put together from the pieces of the features near the site, so a
    map never reads the whole layer; the others are taken from the layer.

    Parameters
    ----------
    store : Store
        The snapshot screened.
    site_ea : shapely geometry
        The site's footprint in the equal-area plane.
    buffer_m : float
        The screening's search distance (m).
    """
    out = {}
    for kind in store.kinds():
        index = store.index(kind)
        cand = index.candidates(site_ea, distance=max(buffer_m, 1.0) * NEARBY_SEARCH_MARGIN)
        ids = np.unique(index.feature[cand])
        if kind in PLANNING_KINDS:
            out[kind] = features_from_pieces(store, kind, ids)
        else:
            out[kind] = store.read(kind).loc[ids].reset_index(drop=True)
    return out


def features_from_pieces(store, kind: str, ids) -> object:
    """Features ``ids`` of layer ``kind`` put together from all their pieces (CGCS2000), with their attributes.

    The union of a feature's pieces is the feature as imported (cut in the
    equal-area plane, densified); only those pieces are read from the store.
    """
    import geopandas as gpd

    ids = np.asarray(ids, dtype=np.int64)
    cache = engine_cache(store)
    rows = cache.rows(kind)
    columns = list(_ATTRIBUTE_COLUMNS[kind]) + ["area_m2"]
    if not len(ids):
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=[], crs=CGCS2000)
    index = store.index(kind)
    take = np.flatnonzero(np.isin(index.feature, ids))
    feats = index.feature[take]
    order = np.argsort(feats, kind="stable")
    take, feats = take[order], feats[order]
    pieces = index.geoms(take)
    starts = np.flatnonzero(np.r_[True, feats[1:] != feats[:-1]])
    geoms_ea = [shapely.union_all(part) for part in np.split(pieces, starts[1:])]
    attrs = store.attributes(kind, ["feature_id", "area_m2"])
    areas = dict(zip(attrs["feature_id"].astype("int64").tolist(), attrs["area_m2"].astype(float).tolist()))
    fids = feats[starts]
    frame = gpd.GeoDataFrame([{**{c: rows[int(f)].get(c) for c in _ATTRIBUTE_COLUMNS[kind]},
                               "area_m2": float(areas.get(int(f), np.nan))} for f in fids],
                             geometry=list(from_equal_area(np.asarray(geoms_ea, dtype=object))), crs=CGCS2000)
    return frame


def county_outline(store, counties: list[str]):
    """The outline of the given counties (their control units dissolved, CGCS2000), for map insets.

    Dissolved once per store snapshot and set of counties (kept in its :class:`EngineCache`).
    """
    import geopandas as gpd

    names = tuple(sorted({str(c) for c in counties if c and str(c).strip()}))
    if not names or not store.has("control_units"):
        return gpd.GeoDataFrame({"county": []}, geometry=[], crs=CGCS2000)
    cache = engine_cache(store)
    with cache._lock:
        found = cache._counties.get(names)
    if found is None:
        units = store.read("control_units")
        units = units[units["county"].isin(names)]
        groups = list(units.groupby("county", sort=False))
        geoms = [shapely.union_all(shapely.make_valid(np.asarray(g.geometry.values, dtype=object))) for _, g in groups]
        found = gpd.GeoDataFrame({"county": [c for c, _ in groups]}, geometry=geoms, crs=CGCS2000)
        with cache._lock:
            cache._counties[names] = found
    return found.copy()


def generated_now() -> str:
    """The UTC time stamp a report carries."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def screen_site(store, site, *, radius=None, width=None, buffer: float = 5000.0, source_crs=None,
                industry=None, parameters: dict | None = None, verdict_options: dict | None = None,
                project_fields: tuple[dict, list] | None = None, context: bool = True):
    """The full screening of one site (see :func:`gisplan.screen`).

    Parameters
    ----------
    store : Store
        The snapshot to read (every read of this screening comes from it).
    site : Site
        The site, already read.
    radius, width, buffer, source_crs, industry
        As :func:`gisplan.screen` takes them (``industry`` a query or an IndustryMatch).
    parameters : dict, optional
        Extra entries for the result's ``parameters``.
    verdict_options : dict, optional
        Keyword options for the verdict engine (e.g. ``national_major``).
    project_fields : (dict, list), optional
        The project form (:func:`gisplan.project_info.project_form`): fields for
        ``project`` and their warnings.
    context : bool
        Read what a map needs (the whole features near the site, the counties'
        outline) into the result now, so it holds data and no link to the store.

    Returns
    -------
    ScreeningResult
    """
    from ..crossings import line_crossings
    from ..rasters.stats import site_raster_stats
    from ..result import ScreeningResult, Verdict
    from ..rules.decide import SiteOverlaps, decide
    from ..sites import footprint

    import time

    from ..log import logger

    started = time.perf_counter()
    cache = engine_cache(store)
    match = match_cached(industry) if isinstance(industry, str) and industry.strip() else (industry or None)
    fp, fp_warnings = footprint(site, radius=radius, width=width)
    warnings = list(site.warnings) + list(fp_warnings)
    got = screen_footprint(cache, fp, buffer=buffer)
    area, has_units = got["area_m2"], "control_units" in cache.kinds
    outside = outside_coverage(area, got["covered_m2"])
    outside_gk = max(got["area_gk_m2"] - got["covered_gk_m2"], 0.0) if outside > 0 else 0.0
    if has_units:
        if got["covered_m2"] == 0:
            warnings.append(f"the site lies wholly outside the store's control units ({area / 1e4:.2f} ha not covered)")
        elif outside > 0:
            warnings.append(f"{outside / 1e4:.2f} ha ({outside / area:.1%}) of the site lies outside the store's control units")
        if got["covered_m2"] > area * (1 + 1e-6) + 1.0:
            warnings.append("control units overlap each other under the site: unit areas add up to more than the site")
    else:
        warnings.append("the store has no control_units layer: unit statistics are empty and the verdict is review")
    missing = [k for k in BASE_KINDS if k not in cache.kinds]  # never `allowed` without a layer the verdict needs
    warnings += [f"the store has no {k} layer: the verdict is review" for k in missing if k != "control_units"]
    rasters, raster_warnings = site_raster_stats(store, fp, area)
    warnings += raster_warnings
    engine = cache.verdict_engine(match, **(verdict_options or {}))
    verdict = decide(SiteOverlaps(units=tuple(got["unit_rows"]), hits=tuple(got["hit_rows"]), outside_m2=outside,
                                  has_units=has_units, missing_kinds=tuple(missing), elements=element_site(got, outside),
                                  urban_outside_m2=got["urban_outside_m2"]), engine)
    b = shapely.bounds(fp)
    form, form_warnings = project_fields or ({}, [])
    warnings += form_warnings
    coverage = coverage_of(area, outside, has_units, cache.extent_label())
    if coverage["status"] == "outside":  # no verdict is given where the store has no data
        verdict["overall_label"] = OUTSIDE_LABEL
    if verdict.get("industry") and match is not None:
        from ..rules.industry import industry_candidates

        verdict["industry"]["candidates"] = industry_candidates(match)
    project = {
        "name": form.get("name") or site.name, "site_name": site.name,
        **{k: form.get(k) for k in ("builder", "project_code", "construction_nature", "construction_nature_label")},
        "source": site.path, "format": site.format, "site_kind": site.kind,
        "crs_note": site.crs_note, "source_crs": site.source_crs,
        "area_m2": area, "area_gk_m2": got["area_gk_m2"], "gk_crs": got["gk_crs"],
        "outside_coverage_m2": outside, "outside_coverage_gk_m2": outside_gk,
        "centroid": got["centroid"], "bounds": [float(v) for v in b],
    }
    params = {"radius_m": radius, "width_m": width, "buffer_m": buffer, "source_crs": source_crs,
              "industry": industry if isinstance(industry, str) or industry is None else match.query}
    params.update(parameters or {})
    crossings = []
    if site.kind in ("line", "mixed") and got["hit_rows"]:
        zones = []
        for h in (h for h in got["hit_rows"] if h["kind"] in CROSSING_KINDS):
            geom = store.read(h["kind"]).loc[int(h["feature_id"])].geometry
            zones.append({"kind": h["kind"], "name": h["name"], "zone": h["zone"], "zone_label": h["zone_label"],
                          "geometry": geom})
        crossings = line_crossings(site.geometry, zones, gk_crs=got["gk_crs"], width=width, footprint=fp)
    counties = sorted({r["county"] for r in got["unit_rows"] if r.get("county")}, key=str)
    logger.info("screened %s: %.2f ha, %d unit(s), %d zone hit(s), verdict %s (%.1f ms)", site.name or site.path,
                area / 1e4, len(got["unit_rows"]), len(got["hit_rows"]), verdict.get("overall"),
                (time.perf_counter() - started) * 1e3)
    return ScreeningResult(
        site=site, footprint=fp, parameters=params, project=project, verdict=Verdict.from_dict(verdict),
        warnings=warnings, store={"path": str(store.path), "layers": cache.versions}, generated_at=generated_now(),
        coverage=coverage,
        crossings=crossings, rasters=rasters, unit_rows=got["unit_rows"], hit_rows=got["hit_rows"], nearby_rows=got["nearby_rows"],
        piece_rows=got["piece_rows"], piece_geoms=got["piece_geoms"],
        element_rows=got["element_rows"], element_geoms=got["element_geoms"],
        element_nearby_rows=got["element_nearby_rows"],
        map_context=map_context(store, got["site_ea"], buffer) if context else None,
        county_outline=county_outline(store, counties) if context else None,
    )
