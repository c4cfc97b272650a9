"""Screen many sites at once: one row of area statistics and a verdict per site.

All sites are projected to the equal-area plane together, each layer's box
STRtree is queried once for all of them (bulk ``query``), only the touched
pieces are read from the store, and the exact intersections with those small
pieces run in chunks on all cores (shapely releases the GIL).

The engine works on arrays (:class:`gisplan.tables.SiteTable` in,
:class:`gisplan.tables.BatchTable` out): :func:`screen_sites` and a CSV
:func:`write_batch` of a GeoPackage need neither pandas nor geopandas, and
:func:`screen_batch` builds its GeoDataFrame from the same table at the end.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .geo.crs import CGCS2000, parse_crs
from .errors import InputError, SiteError
from .engine.coverage import outside_coverage, outside_urban_boundary
from .io.batch_out import BATCH_SUFFIXES, write_batch
from .engine.overlay import layer_overlaps
from .geo.geometry import to_equal_area
from .sites import MIN_FOOTPRINT_M2, check_footprint_area, china_boundary, footprint, read_site_table, site_from_geometry
from .store.gpkg import Store, attribute_columns
from .store.spec import as_store
from .tables import BatchTable, SiteTable, is_missing
from .constants import MIN_OVERLAP_M2
from .rules.decide import batch_attributes, decide_sites
from .vocab import ELEMENT_KINDS

if TYPE_CHECKING:  # frames are built at the edges only
    import geopandas as gpd

__all__ = ["screen_batch", "screen_sites", "BATCH_COLUMNS", "COUNT_COLUMNS", "PLANNING_COLUMNS", "write_batch", "BATCH_SUFFIXES", "layer_indexes", "overlap_pairs", "equal_area_sites",
           "unit_category_codes"]

#: Findings per decision of a site's verdict, beside the verdict (0 for a site that could not be screened).
COUNT_COLUMNS = {"prohibited": "n_prohibited", "restricted": "n_restricted", "review": "n_review",
                 "allowed": "n_allowed", "not_applicable": "n_not_applicable"}
#: Area (m², ellipsoidal) of each site in the optional planning layers of the three control lines; empty
#: (NaN) when the store has no such layer, which is not the same as 0 (the site lies in none of its features).
PLANNING_COLUMNS = {"basic_farmland": "farmland_m2", "urban_boundary": "urban_boundary_m2"}
BATCH_COLUMNS = [
    "area_m2", "priority_m2", "key_m2", "general_m2", "outside_m2",
    "redline_m2", "protected_m2", "water_m2", "verdict", "warnings", "industry", "deciding",
    *COUNT_COLUMNS.values(),
    *PLANNING_COLUMNS.values(),  # added after the others: the old columns keep their place
]
_ZONE_COLUMN = {"eco_redline": "redline_m2", "protected_areas": "protected_m2", "water_sources": "water_m2"}
_SITES_PER_TASK = 1000


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _plain_polygons(table: SiteTable, crs: str) -> np.ndarray:
    """Rows that are valid lon/lat polygons well inside China: their footprint is themselves.

    Checked for all rows at once; every other row goes through the full site
    checks of :func:`gisplan.sites.site_from_geometry` one by one.
    """
    if not _lonlat_crs(crs):
        return np.zeros(len(table), dtype=bool)
    geoms = np.asarray(table.geometry, dtype=object)
    plain = np.isin(shapely.get_type_id(geoms), (3, 6)) & ~shapely.is_empty(geoms)
    plain &= ~shapely.has_z(geoms)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    bad = np.zeros(len(geoms), dtype=bool)
    bad[which[~np.isfinite(coords).all(axis=1)]] = True
    plain &= ~bad
    plain[plain] &= shapely.is_valid(geoms[plain])
    # every vertex inside China's (slightly buffered) outline: a site far smaller
    # than the buffer cannot leave it between vertices; the rest get full checks
    outside = ~shapely.contains_xy(china_boundary(), coords[:, 0], coords[:, 1])
    plain[np.unique(which[outside])] = False
    return plain


@lru_cache(maxsize=16)
def _lonlat_crs(crs: str) -> bool:
    """Whether ``crs`` is CGCS2000 or WGS84 lon/lat (EPSG:4490 / 4326); asked once per CRS (identifying one is slow)."""
    if crs in (CGCS2000, "EPSG:4326"):
        return True
    parsed = parse_crs(crs)
    return bool(parsed.is_geographic and parsed.to_epsg() in (4490, 4326))


def _footprints(table: SiteTable, id_field: str, radius, width, source_crs) -> tuple[list, list[list[str]], list[str | None]]:
    """Each site's footprint, warnings and error (None when it can be screened).

    Plain polygons are their own footprint; points with a radius and lines with a
    width that need no checks beyond those done for all rows at once are built
    together (:func:`gisplan.sites.bulk_footprints`); every other row goes through
    :func:`gisplan.sites.site_from_geometry` and :func:`gisplan.sites.footprint`.
    """
    from .sites import bulk_footprints

    crs = source_crs or table.crs or CGCS2000
    fps, warns, errors = [], [], []
    radii = table["radius_m"] if "radius_m" in table.columns else None
    widths = table["width_m"] if "width_m" in table.columns else None
    plain = _plain_polygons(table, crs)
    geoms = table.geometry
    ids = table[id_field]
    given_r = [radii[i] if radii is not None and not is_missing(radii[i]) else radius for i in range(len(table))]
    given_w = [widths[i] if widths is not None and not is_missing(widths[i]) else width for i in range(len(table))]
    built, bulk_fps, bulk_warns = bulk_footprints(geoms, given_r, given_w, crs, candidates=~plain)
    for i in range(len(table)):
        if plain[i] or built[i]:
            fps.append(geoms[i] if plain[i] else bulk_fps[i])
            warns.append([] if plain[i] else bulk_warns[i])
            errors.append(None)
            continue
        try:
            site = site_from_geometry(geoms[i], crs=crs, name=str(ids[i]))
            fp, fw = footprint(site, radius=given_r[i], width=given_w[i])
            fps.append(fp)
            warns.append(list(site.warnings) + list(fw))
            errors.append(None)
        except SiteError as exc:
            fps.append(None)
            warns.append([])
            errors.append(str(exc))
    return fps, warns, errors


def layer_indexes(store: Store, kinds) -> list[tuple]:
    """``(kind, pieces, edges)`` of each layer for :func:`overlap_pairs`, their box trees built.

    Parameters
    ----------
    store : Store
        An open store (a resident one keeps its indexes and pieces between calls).
    kinds : iterable of str
        Layer kinds the store has.
    """
    layers = [(kind, store.index(kind), store.edge_index(kind)) for kind in kinds]
    _build_trees(layers)
    return layers


def overlap_pairs(geoms_ea: np.ndarray, layers: list[tuple], *,
                  progress: bool = False) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """Overlaps of equal-area site footprints with layers: the batch's kernel, in threads over blocks of sites.

    Parameters
    ----------
    geoms_ea : ndarray of shapely geometries
        Footprints in the equal-area plane (:func:`gisplan.geo.geometry.to_equal_area`); empty
        polygons for sites not screened (they get no rows).
    layers : list of (kind, PieceIndex, PieceIndex)
        Each layer's pieces and edges (:func:`layer_indexes`; their trees built before threads share them).
    progress : bool
        A progress bar on standard error.

    Returns
    -------
    list of (kind, site index, feature id, overlap m²)
        One entry per layer and block of sites, blocks in site order; overlaps at
        or below :data:`~gisplan.constants.MIN_OVERLAP_M2` left out.
    """
    n = len(geoms_ea)
    shapely.prepare(geoms_ea)
    chunks = [np.arange(i, min(i + _SITES_PER_TASK, n)) for i in range(0, n, _SITES_PER_TASK)]

    def run(sites_idx: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for kind, index, edges in layers:
            ov = layer_overlaps(geoms_ea[sites_idx], index, edges)  # the kernel single screenings use too
            out.append((kind, sites_idx[ov.site], ov.feature, ov.area))
        return out

    found: list[tuple] = []
    try:
        with progress_bar(n, progress) as bar, ThreadPoolExecutor(max_workers=_workers()) as pool:
            for sites_idx, results in zip(chunks, pool.map(run, chunks)):
                found += results
                bar.update(len(sites_idx))
    finally:
        shapely.destroy_prepared(geoms_ea)
    return found


def equal_area_sites(footprints: np.ndarray, pool: ThreadPoolExecutor | None = None) -> np.ndarray:
    """Lon/lat footprints densified and projected to the equal-area plane (:func:`gisplan.geo.geometry.to_equal_area`),
    in blocks across ``pool``'s threads (GEOS and PROJ release the GIL; PROJ transformers are per thread).

    The same geometries as one :func:`~gisplan.geo.geometry.to_equal_area` call, block by block.
    """
    n = len(footprints)
    if pool is None or n < 2 * _SITES_PER_TASK:
        return to_equal_area(footprints)
    blocks = [footprints[i:i + _SITES_PER_TASK] for i in range(0, n, _SITES_PER_TASK)]
    return np.concatenate(list(pool.map(to_equal_area, blocks)))


def _build_trees(layers: list[tuple]) -> None:
    """The box trees of every layer's pieces and edges (built once, before threads share them)."""
    for _, index, edges in layers:
        _ = (index.box_tree, edges.box_tree)


def unit_category_codes(store: Store) -> np.ndarray:
    """Control-unit category by feature id: 0 priority, 1 key, 2 general, -1 unknown.

    Indexed by the store's ``feature_id`` (what :func:`overlap_pairs` gives for the
    control units), so ``unit_category_codes(store)[feature_of]`` classes every overlap.
    """
    units = attribute_columns(store, "control_units", batch_attributes(store, "control_units"))  # read once for both
    codes = {"priority": 0, "key": 1, "general": 2}
    cats = np.array([codes.get(c, -1) if isinstance(c, str) else -1 for c in units["category"]], dtype=np.int64)
    unit_ids = np.asarray(units["feature_id"], dtype=np.int64)
    category_code = np.full(int(unit_ids.max()) + 1 if len(unit_ids) else 1, -1)
    category_code[unit_ids] = cats
    return category_code


def screen_batch(
    sites,
    store: Store | str | os.PathLike,
    *,
    id_field: str,
    radius: float | None = None,
    width: float | None = None,
    source_crs: str | None = None,
    progress: bool | None = None,
    industry: str | None = None,
    industry_field: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    national_major: bool | None = None,
    raster_stats: tuple[str, ...] = (),
) -> gpd.GeoDataFrame:
    """Screen every feature of ``sites`` as its own site.

    Parameters
    ----------
    sites : path or GeoDataFrame
        The sites; each feature is one site.
    store : Store or path
    id_field : str
        Column that identifies the sites (kept as the first column).
    radius, width : float, optional
        Default disc radius for points and corridor width for lines; per-site
        ``radius_m`` / ``width_m`` columns override them.
    source_crs : str, optional
        CRS for a sites file without one, or ``gcj02`` / ``bd09``.
    cm, towgs84, dxf_layer : optional
        As for :func:`gisplan.sites.read_site`; corner tables (one site per
        parcel) and DXF plans (one site per closed shape) are read with the same rules.
    layer, encoding : str, optional
        Layer (or zip member, XLSX sheet) and text encoding of the sites file, as for ``gisplan read``.
    national_major : bool or None
        Whether the projects are national major projects (``--national-major``); None: unknown.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    raster_stats : tuple of str
        Rasters of the store whose class areas (``NAME_<value>_m2``) or
        ``NAME_min/_mean/_max`` are added as columns (``--raster-stats``).
    industry : str, optional
        Project type of every site (``--industry``), or the default for rows
        whose ``industry_field`` is empty.
    industry_field : str, optional
        Column holding each site's project type (``--industry-field``).

    Returns
    -------
    GeoDataFrame
        One row per site: ``id_field``, :data:`BATCH_COLUMNS`, footprint geometry
        (CGCS2000). ``verdict`` is the overall decision of a single screening
        (prohibited / restricted / review / allowed), ``industry`` the entry
        taken, ``deciding`` the first deciding clause or rule. Sites that cannot
        be screened (or whose project type is unknown) get verdict ``error`` and
        the reason in ``warnings``.
    """
    return screen_sites(sites, store, id_field=id_field, radius=radius, width=width, source_crs=source_crs,
                        progress=progress, industry=industry, industry_field=industry_field, cm=cm,
                        towgs84=towgs84, dxf_layer=dxf_layer, layer=layer, encoding=encoding,
                        national_major=national_major, raster_stats=tuple(raster_stats)).to_frame()


def screen_sites(
    sites,
    store: Store | str | os.PathLike,
    *,
    id_field: str,
    radius: float | None = None,
    width: float | None = None,
    source_crs: str | None = None,
    progress: bool | None = None,
    industry: str | None = None,
    industry_field: str | None = None,
    cm: int | None = None,
    towgs84: str | None = None,
    dxf_layer: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    national_major: bool | None = None,
    raster_stats: tuple[str, ...] = (),
) -> BatchTable:
    """:func:`screen_batch` without frames: the same rows as arrays (what ``gisplan batch`` runs).

    Parameters
    ----------
    sites : path, SiteTable or GeoDataFrame
        The sites; each feature is one site. A path is read by
        :func:`gisplan.sites.read_site_table` (a plain GeoPackage without GDAL,
        pandas or geopandas).
    store, id_field, radius, width, source_crs, progress, industry, industry_field, cm, towgs84, dxf_layer, \
layer, encoding, national_major, raster_stats :
        As :func:`screen_batch`.

    Returns
    -------
    BatchTable
        The rows :func:`screen_batch` returns (``BatchTable.to_frame`` builds that frame);
        :func:`write_batch` writes it to CSV without pandas.
    """
    if national_major not in (None, True, False):
        raise InputError(f"national_major must be True, False or None, got {national_major!r}")
    store = as_store(store)
    if raster_stats:
        from .rasters.store import raster_records

        have = {r["name"] for r in raster_records(store)}
        for name in (n for n in raster_stats if n not in have):  # before any screening
            raise InputError(f"raster_stats {name!r}: the store has no such raster (it has: {', '.join(sorted(have)) or 'none'})")
    if isinstance(sites, SiteTable):
        table = sites
    elif SiteTable.is_frame(sites):
        table = SiteTable.from_frame(sites)
    else:
        # the one site reader (the same rules as gisplan.read_site), one row per feature, CGCS2000 lon/lat
        table, _note, _ = read_site_table(sites, source_crs=source_crs, cm=cm, towgs84=towgs84, dxf_layer=dxf_layer,
                                          layer=layer, encoding=encoding)
        source_crs = CGCS2000
    if id_field not in table.columns:
        raise InputError(f"`id_field` {id_field!r} is not a field of the sites (fields: {', '.join(table.columns)})")
    if len(table) == 0:
        raise InputError("the sites file has no features")
    if industry_field and industry_field not in table.columns:
        raise InputError(f"`industry_field` {industry_field!r} is not a field of the sites")
    if industry:
        from .rules.industry import match_industry

        match_industry(industry)  # a bad default fails the whole batch at once
    kinds = [k for k in ("control_units", *_ZONE_COLUMN) if store.has(k)]
    planning = [k for k in PLANNING_COLUMNS if store.has(k)]  # optional: basic farmland, urban boundary
    element_kinds = [k for k in _element_kinds(store) if store.has(k)]  # element zones tagged clauses or statutes name
    layers = [(kind, store.index(kind), store.edge_index(kind)) for kind in (*kinds, *planning, *element_kinds)]
    category_code = unit_category_codes(store) if "control_units" in kinds else None
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        trees = pool.submit(_build_trees, layers)  # GEOS builds them while this thread makes the footprints
        try:
            fps, warns, errors = _footprints(table, id_field, radius, width, source_crs)
            n = len(table)
            ok = np.array([e is None for e in errors])
            geoms_ea = np.empty(n, dtype=object)
        finally:
            trees.result()  # before threads share the trees (and to raise what building them raised)
        geoms_ea[ok] = equal_area_sites(np.array([f for f in fps if f is not None], dtype=object), pool)
        geoms_ea[~ok] = shapely.Polygon()
    area = shapely.area(geoms_ea)
    for i in np.flatnonzero(ok & (area < MIN_FOOTPRINT_M2)):  # plain polygons skip footprint()'s check
        try:
            check_footprint_area(float(area[i]), str(table[id_field][i]))
        except SiteError as exc:
            ok[i], errors[i], fps[i], geoms_ea[i], area[i] = False, str(exc), None, shapely.Polygon(), 0.0
    cols = {c: np.zeros(n) for c in ("priority_m2", "key_m2", "general_m2", "redline_m2", "protected_m2", "water_m2")}
    cols.update({PLANNING_COLUMNS[k]: np.zeros(n) for k in planning})
    show = sys.stderr.isatty() if progress is None else progress
    pairs: list[tuple] = []
    element_pairs: list[tuple] = []
    for kind, site_of, feature_of, overlap in overlap_pairs(geoms_ea, layers, progress=show):
        if kind in ELEMENT_KINDS:
            element_pairs.append((kind, site_of, feature_of, overlap))
            continue
        pairs.append((kind, site_of, feature_of, overlap))
        if kind == "control_units":
            cat = category_code[feature_of]
            for code, name in enumerate(("priority_m2", "key_m2", "general_m2")):
                sel = cat == code
                cols[name] += np.bincount(site_of[sel], weights=overlap[sel], minlength=n)
        else:
            cols[_ZONE_COLUMN.get(kind) or PLANNING_COLUMNS[kind]] += np.bincount(site_of, weights=overlap, minlength=n)
    outside = outside_coverage(area, cols["priority_m2"] + cols["key_m2"] + cols["general_m2"])
    given = table[industry_field].tolist() if industry_field else [None] * n
    given = [industry if is_missing(g) or not str(g).strip() else g for g in given]
    missing = [k for k in ("control_units", *_ZONE_COLUMN) if k not in kinds]
    split = _redline_splits(store, geoms_ea, cols, ok)
    urban_outside = None
    if "urban_boundary" in planning:  # the part outside every boundary feature, as a single screening has it
        urban_outside = outside_urban_boundary(area, outside if "control_units" in kinds else 0.0,
                                               cols["urban_boundary_m2"])
    verdict, industry_label, deciding, industry_errors, counts = decide_sites(store, ok, outside, pairs, given,
                                                                        national_major=national_major,
                                                                        redline_split=split, missing_kinds=missing,
                                                                        elements=element_sites(store, element_pairs, area,
                                                                                               outside, ok),
                                                                        urban_outside=urban_outside)
    errors = [e or (ie or None) for e, ie in zip(errors, industry_errors)]
    warn_text = []
    for i in range(n):
        w = list(warns[i])
        if errors[i]:
            w = [errors[i]]
        elif outside[i] > 0 and "control_units" in kinds:
            w.append(f"{outside[i] / 1e4:.2f} ha outside the store's control units")
        warn_text.append("; ".join(w))
    for kind, col in PLANNING_COLUMNS.items():  # no such layer: not known (empty), never 0
        cols[col] = np.where(ok, cols[col], np.nan) if kind in planning else np.full(n, np.nan)
    base = {id_field: table[id_field], "area_m2": area, **cols, "outside_m2": outside,
            "verdict": verdict, "warnings": warn_text, "industry": industry_label, "deciding": deciding,
            **{col: np.array([c.get(d, 0) for c in counts], dtype=np.int64) for d, col in COUNT_COLUMNS.items()}}
    out = BatchTable(base, [id_field] + BATCH_COLUMNS, [f if f is not None else None for f in fps], crs=CGCS2000)
    if raster_stats:
        from .rasters.stats import batch_raster_columns

        out.extra.update(batch_raster_columns(store, list(raster_stats), fps, area))
    from .log import logger

    logger.info("batch: %d site(s) screened against %s", n, getattr(store, "path", store))
    return out


def progress_bar(total: int | None, show: bool, **tqdm_options):
    """A tqdm bar of ``total`` sites, drawn only when ``show`` (``tqdm(disable=not show)``: a no-op otherwise).

    A bar not drawn is tqdm's plain class: ``tqdm.auto`` (the notebook widget, and asyncio under it) is imported
    only for a bar that is drawn (~10 ms less in every batch process without one).
    """
    if show:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm

    return tqdm(total=total, unit="site", desc="screening", disable=not show, **tqdm_options)


def _element_kinds(store: Store) -> tuple[str, ...]:
    """Element kinds a batch verdict needs: those the store's access-list tags name and those with statutory rules."""
    from .rules.access_list import AccessList
    from .rules.element_zones import tagged_element_kinds
    from .rules.statutory import default_rules

    wanted = set(tagged_element_kinds(AccessList.from_store(store))) | set(default_rules().element_kinds())
    return tuple(k for k in ELEMENT_KINDS if k in wanted)


def element_sites(store: Store, pairs: list[tuple], area: np.ndarray, outside: np.ndarray, ok: np.ndarray) -> list:
    """Per site, where it lies in the element zones (:class:`~gisplan.rules.element_zones.ElementSite`).

    ``pairs`` are the overlay kernel's ``(kind, site index, feature id, overlap m²)``
    of the element layers; ``outside`` the site area outside the control units.
    Sites that could not be screened get None.
    """
    from .rules.element_zones import ElementSite

    rows: list[list] = [[] for _ in range(len(area))]
    zone_of: dict[str, dict] = {}
    for kind, site_of, feature_of, overlap in pairs:
        if kind not in zone_of:
            table = store.attributes(kind, ["feature_id", "zone"])
            zone_of[kind] = dict(zip(table["feature_id"].astype("int64").tolist(), table["zone"].tolist()))
        for s, f, a in zip(site_of.tolist(), feature_of.tolist(), overlap.tolist()):
            rows[s].append((kind, zone_of[kind][int(f)], a))
    return [ElementSite.from_rows(float(area[i]), rows[i], float(outside[i])) if ok[i] else None
            for i in range(len(area))]


def _redline_splits(store: Store, geoms_ea: np.ndarray, cols: dict, ok: np.ndarray) -> dict:
    """For the few sites in both the redline and a protected-area / water-source zone: the redline part
    outside those zones (142号 一、（一）), by the same geometry as a single screening.

    Returns ``{(site index, redline feature id): (rest m², [(kind, feature id), ...])}``.
    """
    both = np.flatnonzero(ok & (cols["redline_m2"] > MIN_OVERLAP_M2)
                          & (cols["protected_m2"] + cols["water_m2"] > MIN_OVERLAP_M2))
    out: dict = {}
    if len(both) == 0:
        return out
    from .engine.single import redline_own_law
    from .verdict import OWN_LAW_KINDS, follows_own_law, present_optional_columns

    sites = geoms_ea[both]
    found = {kind: layer_overlaps(sites, store.index(kind), store.edge_index(kind), keep_geometry=True)
             for kind in ("eco_redline", *OWN_LAW_KINDS) if store.has(kind)}
    pa_types: dict[int, str] = {}  # only reserves and scenic areas (or unknown types) follow their own laws
    if "protected_areas" in found and "pa_type" in present_optional_columns(store, "protected_areas"):
        table = attribute_columns(store, "protected_areas", ["feature_id", "pa_type"])
        pa_types = {int(f): t for f, t in zip(table["feature_id"], table["pa_type"]) if isinstance(t, str)}
    levels: dict[int, str] = {}  # only water-source levels 1 and 2 (not the quasi zone) follow their own laws
    if "water_sources" in found:
        table = attribute_columns(store, "water_sources", ["feature_id", "level"])
        levels = {int(f): t for f, t in zip(table["feature_id"], table["level"]) if isinstance(t, str)}
    for j, i in enumerate(both.tolist()):
        own = [((kind, int(f)), g) for kind in OWN_LAW_KINDS if kind in found
               for s, f, g in zip(found[kind].site, found[kind].feature, found[kind].geometry)
               if s == j and follows_own_law(kind, pa_types.get(int(f)), levels.get(int(f)))]
        red = found["eco_redline"]
        for s, fid, g in zip(red.site, red.feature, red.geometry):
            if s == j:
                out[(int(i), int(fid))] = redline_own_law(g, own)
    return out
