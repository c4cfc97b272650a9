"""Screen many sites at once: one row of area statistics and a verdict per site.

All sites are projected to the equal-area plane together, each layer's box
STRtree is queried once for all of them (bulk ``query``), only the touched
pieces are read from the store, and the exact intersections with those small
pieces run in chunks on all cores (shapely releases the GIL).
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import CGCS2000, parse_crs
from .errors import InputError, SiteError
from .engine.overlay import layer_overlaps
from .geometry import to_equal_area
from .sites import MIN_FOOTPRINT_M2, check_footprint_area, china_boundary, footprint, read_site_frame, site_from_geometry
from .store import Store
from .verdict import batch_verdicts

__all__ = ["screen_batch", "BATCH_COLUMNS", "write_batch"]

BATCH_COLUMNS = [
    "area_m2", "priority_m2", "key_m2", "general_m2", "outside_m2",
    "redline_m2", "protected_m2", "water_m2", "verdict", "warnings", "industry", "deciding",
]
_ZONE_COLUMN = {"eco_redline": "redline_m2", "protected_areas": "protected_m2", "water_sources": "water_m2"}
_SITES_PER_TASK = 1000


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _plain_polygons(frame: gpd.GeoDataFrame, crs: str) -> np.ndarray:
    """Rows that are valid lon/lat polygons well inside China: their footprint is themselves.

    Checked for all rows at once; every other row goes through the full site
    checks of :func:`gisplan.sites.site_from_geometry` one by one.
    """
    parsed = parse_crs(crs)
    if not parsed.is_geographic or parsed.to_epsg() not in (4490, 4326):
        return np.zeros(len(frame), dtype=bool)
    geoms = np.asarray(frame.geometry.values, dtype=object)
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


def _footprints(frame: gpd.GeoDataFrame, id_field: str, radius, width, source_crs) -> tuple[list, list[list[str]], list[str | None]]:
    crs = source_crs or (frame.crs.to_string() if frame.crs is not None else CGCS2000)
    fps, warns, errors = [], [], []
    radius_col = "radius_m" if "radius_m" in frame.columns else None
    width_col = "width_m" if "width_m" in frame.columns else None
    plain = _plain_polygons(frame, crs)
    geoms = frame.geometry.values
    for i in range(len(frame)):
        if plain[i]:
            fps.append(geoms[i])
            warns.append([])
            errors.append(None)
            continue
        row = frame.iloc[i]
        r = row[radius_col] if radius_col and pd.notna(row[radius_col]) else radius
        w = row[width_col] if width_col and pd.notna(row[width_col]) else width
        try:
            site = site_from_geometry(row.geometry, crs=crs, name=str(row[id_field]))
            fp, fw = footprint(site, radius=r, width=w)
            fps.append(fp)
            warns.append(list(site.warnings) + list(fw))
            errors.append(None)
        except SiteError as exc:
            fps.append(None)
            warns.append([])
            errors.append(str(exc))
    return fps, warns, errors


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
    return _screen_batch(sites, store, id_field=id_field, radius=radius, width=width, source_crs=source_crs,
                         progress=progress, industry=industry, industry_field=industry_field, cm=cm,
                         towgs84=towgs84, dxf_layer=dxf_layer, layer=layer, encoding=encoding,
                         national_major=national_major, raster_stats=tuple(raster_stats))


def _screen_batch(sites, store, *, id_field, radius, width, source_crs, progress, industry, industry_field,
                  cm, towgs84, dxf_layer, layer=None, encoding=None, national_major=None,
                  raster_stats=()) -> gpd.GeoDataFrame:
    if national_major not in (None, True, False):
        raise InputError(f"national_major must be True, False or None, got {national_major!r}")
    store = store if isinstance(store, Store) else Store(store)
    if raster_stats:
        from .rasters.store import raster_records

        have = {r["name"] for r in raster_records(store)}
        for name in (n for n in raster_stats if n not in have):  # before any screening
            raise InputError(f"raster_stats {name!r}: the store has no such raster (it has: {', '.join(sorted(have)) or 'none'})")
    frame = sites
    if not isinstance(sites, gpd.GeoDataFrame):
        # the one site reader (the same rules as gisplan.read_site), one row per feature, CGCS2000 lon/lat
        frame, _note, _ = read_site_frame(sites, source_crs=source_crs, cm=cm, towgs84=towgs84, dxf_layer=dxf_layer,
                                          layer=layer, encoding=encoding)
        source_crs = CGCS2000
    if id_field not in frame.columns:
        raise InputError(f"`id_field` {id_field!r} is not a field of the sites (fields: {', '.join(c for c in frame.columns if c != frame.geometry.name)})")
    if len(frame) == 0:
        raise InputError("the sites file has no features")
    if industry_field and industry_field not in frame.columns:
        raise InputError(f"`industry_field` {industry_field!r} is not a field of the sites")
    if industry:
        from .rules.industry import match_industry

        match_industry(industry)  # a bad default fails the whole batch at once
    fps, warns, errors = _footprints(frame, id_field, radius, width, source_crs)
    n = len(frame)
    ok = np.array([e is None for e in errors])
    geoms_ea = np.empty(n, dtype=object)
    geoms_ea[ok] = to_equal_area(np.array([f for f in fps if f is not None], dtype=object))
    geoms_ea[~ok] = shapely.Polygon()
    area = shapely.area(geoms_ea)
    for i in np.flatnonzero(ok & (area < MIN_FOOTPRINT_M2)):  # plain polygons skip footprint()'s check
        try:
            check_footprint_area(float(area[i]), str(frame[id_field].iloc[i]))
        except SiteError as exc:
            ok[i], errors[i], fps[i], geoms_ea[i], area[i] = False, str(exc), None, shapely.Polygon(), 0.0
    cols = {c: np.zeros(n) for c in ("priority_m2", "key_m2", "general_m2", "redline_m2", "protected_m2", "water_m2")}
    kinds = [k for k in ("control_units", *_ZONE_COLUMN) if store.has(k)]
    indexes = {k: store.index(k) for k in kinds}
    category_code = None
    if "control_units" in kinds:
        units = store.attributes("control_units", ["feature_id", "category"])
        cats = units["category"].map({"priority": 0, "key": 1, "general": 2}).to_numpy()
        category_code = np.full(int(units["feature_id"].max()) + 1, -1)
        category_code[units["feature_id"].to_numpy()] = cats
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm.auto import tqdm

    layers = [(kind, indexes[kind], store.edge_index(kind)) for kind in kinds]
    for _, index, edges in layers:  # build the trees before threads share them
        _ = (index.box_tree, edges.box_tree)
    shapely.prepare(geoms_ea)
    chunks = [np.arange(i, min(i + _SITES_PER_TASK, n)) for i in range(0, n, _SITES_PER_TASK)]

    def run(sites_idx: np.ndarray) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
        out = []
        for kind, index, edges in layers:
            ov = layer_overlaps(geoms_ea[sites_idx], index, edges)  # the kernel single screenings use too
            out.append((kind, sites_idx[ov.site], ov.feature, ov.area))
        return out

    pairs: list[tuple] = []
    with tqdm(total=n, disable=not show, unit="site", desc="screening") as bar, \
            ThreadPoolExecutor(max_workers=_workers()) as pool:
        for sites_idx, results in zip(chunks, pool.map(run, chunks)):
            for kind, site_of, feature_of, overlap in results:
                pairs.append((kind, site_of, feature_of, overlap))
                if kind == "control_units":
                    cat = category_code[feature_of]
                    for code, name in enumerate(("priority_m2", "key_m2", "general_m2")):
                        sel = cat == code
                        cols[name] += np.bincount(site_of[sel], weights=overlap[sel], minlength=n)
                else:
                    cols[_ZONE_COLUMN[kind]] += np.bincount(site_of, weights=overlap, minlength=n)
            bar.update(len(sites_idx))
    shapely.destroy_prepared(geoms_ea)
    covered = cols["priority_m2"] + cols["key_m2"] + cols["general_m2"]
    outside = np.clip(area - covered, 0.0, None)
    outside[outside < np.maximum(1.0, 1e-7 * area)] = 0.0
    given = frame[industry_field].tolist() if industry_field else [None] * n
    given = [industry if g is None or (not isinstance(g, str) and pd.isna(g)) or not str(g).strip() else g for g in given]
    missing = [k for k in ("control_units", *_ZONE_COLUMN) if k not in kinds]
    split = _redline_splits(store, geoms_ea, cols, ok)
    verdict, industry_label, deciding, industry_errors = batch_verdicts(store, ok, outside, pairs, given,
                                                                        national_major=national_major,
                                                                        redline_split=split, missing_kinds=missing)
    errors = [e or (ie or None) for e, ie in zip(errors, industry_errors)]
    warn_text = []
    for i in range(n):
        w = list(warns[i])
        if errors[i]:
            w = [errors[i]]
        elif outside[i] > 0 and "control_units" in kinds:
            w.append(f"{outside[i] / 1e4:.2f} ha outside the store's control units")
        warn_text.append("; ".join(w))
    out = pd.DataFrame({id_field: frame[id_field].to_numpy(), "area_m2": area, **cols, "outside_m2": outside,
                        "verdict": verdict, "warnings": warn_text, "industry": industry_label, "deciding": deciding})
    out = out[[id_field] + BATCH_COLUMNS]
    if raster_stats:
        from .rasters.stats import batch_raster_columns

        for col, values in batch_raster_columns(store, list(raster_stats), fps, area).items():
            out[col] = values
    from .log import logger

    logger.info("batch: %d site(s) screened against %s", n, getattr(store, "path", store))
    return gpd.GeoDataFrame(out, geometry=[f if f is not None else None for f in fps], crs=CGCS2000)


def _redline_splits(store: Store, geoms_ea: np.ndarray, cols: dict, ok: np.ndarray) -> dict:
    """For the few sites in both the redline and a protected-area / water-source zone: the redline part
    outside those zones (142号 一、（一）), by the same geometry as a single screening.

    Returns ``{(site index, redline feature id): (rest m², [(kind, feature id), ...])}``.
    """
    from .constants import MIN_OVERLAP_M2
    from .engine.single import redline_own_law
    from .verdict import OWN_LAW_KINDS

    both = np.flatnonzero(ok & (cols["redline_m2"] > MIN_OVERLAP_M2)
                          & (cols["protected_m2"] + cols["water_m2"] > MIN_OVERLAP_M2))
    out: dict = {}
    if len(both) == 0:
        return out
    sites = geoms_ea[both]
    found = {kind: layer_overlaps(sites, store.index(kind), store.edge_index(kind), keep_geometry=True)
             for kind in ("eco_redline", *OWN_LAW_KINDS) if store.has(kind)}
    for j, i in enumerate(both.tolist()):
        own = [((kind, int(f)), g) for kind in OWN_LAW_KINDS if kind in found
               for s, f, g in zip(found[kind].site, found[kind].feature, found[kind].geometry) if s == j]
        red = found["eco_redline"]
        for s, fid, g in zip(red.site, red.feature, red.geometry):
            if s == j:
                out[(int(i), int(fid))] = redline_own_law(g, own)
    return out


#: Output formats of a batch table.
BATCH_SUFFIXES = (".csv", ".gpkg", ".parquet")


def write_batch(table: gpd.GeoDataFrame, path: str | os.PathLike, *, protect=()) -> Path:
    """Write a batch table to ``.csv`` (UTF-8 with BOM, for Excel), ``.gpkg`` or ``.parquet`` (GeoParquet), atomically.

    The file is written whole to a unique temporary file beside ``path`` and
    renamed (:func:`gisplan.io.outputs.atomic_output`): two runs writing one path
    leave exactly one run's rows. In the CSV, text cells that would start a
    formula (``= + - @``, tab, CR) get a leading apostrophe; numbers stay numbers.

    Parameters
    ----------
    table : GeoDataFrame
        The result of :func:`screen_batch`.
    path : path
        ``.csv``, ``.gpkg`` or ``.parquet``.
    protect : iterable of paths
        Files never to write over (the store, the sites file).

    Raises
    ------
    InputError
        For another suffix; :class:`~gisplan.errors.OutputError` when the path is
        refused or cannot be written.
    """
    from .io.outputs import atomic_output, check_output_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in BATCH_SUFFIXES:
        raise InputError(f"`out` must end in .csv, .gpkg or .parquet, got {path.name!r}")
    check_output_path(path, protect_also=protect)
    with atomic_output(path, create=suffix == ".csv", protect_also=protect) as tmp:
        if suffix == ".csv":
            _csv_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)  # GeoParquet: WKB geometry, CRS in the "geo" metadata
        else:
            import pyogrio

            pyogrio.write_dataframe(table, tmp, layer="screening", driver="GPKG", promote_to_multi=True)
    return path


def _csv_frame(table: gpd.GeoDataFrame) -> pd.DataFrame:
    """The table without geometry, text cells defused against formula injection."""
    from .io.outputs import defuse_cell, encodable

    def cell(value):  # lone surrogates out (the encoder cannot write them), then defused
        return defuse_cell(encodable(value))

    frame = pd.DataFrame(table.drop(columns=table.geometry.name))
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(cell)
    frame.columns = [defuse_cell(str(c)) for c in frame.columns]
    return frame
