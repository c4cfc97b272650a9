"""Screen many sites at once: one row of area statistics and a verdict per site.

All sites are projected to the equal-area plane together and each layer's
STRtree is queried once per chunk of sites (bulk ``query``), so the cost is the
exact intersections with small store pieces, not a Python loop over units.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .crs import CGCS2000
from .errors import InputError, SiteError
from .geometry import to_equal_area
from .io.vector import read_vector
from .sites import footprint, site_from_geometry
from .store import Store
from .verdict import CLEAR, CONFLICT

__all__ = ["screen_batch", "BATCH_COLUMNS", "write_batch"]

BATCH_COLUMNS = [
    "area_m2", "priority_m2", "key_m2", "general_m2", "outside_m2",
    "redline_m2", "protected_m2", "water_m2", "verdict", "warnings",
]
_ZONE_COLUMN = {"eco_redline": "redline_m2", "protected_areas": "protected_m2", "water_sources": "water_m2"}
_CHUNK = 250


def _read_sites(sites, source_crs: str | None) -> gpd.GeoDataFrame:
    if isinstance(sites, gpd.GeoDataFrame):
        return sites
    data = read_vector(sites)
    frame = data.frame
    if frame.crs is None and not source_crs and data.format not in ("GeoJSON", "KML", "LIBKML"):
        raise InputError(f"{sites}: no coordinate system (.prj missing); pass --source-crs")
    return frame


def _footprints(frame: gpd.GeoDataFrame, id_field: str, radius, width, source_crs) -> tuple[list, list[list[str]], list[str | None]]:
    crs = source_crs or (frame.crs.to_string() if frame.crs is not None else CGCS2000)
    fps, warns, errors = [], [], []
    radius_col = "radius_m" if "radius_m" in frame.columns else None
    width_col = "width_m" if "width_m" in frame.columns else None
    for _, row in frame.iterrows():
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
        CRS for a sites file without one.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    GeoDataFrame
        One row per site: ``id_field``, :data:`BATCH_COLUMNS`, footprint geometry
        (CGCS2000). Sites that cannot be screened get verdict ``error`` and the
        reason in ``warnings``.
    """
    store = store if isinstance(store, Store) else Store(store)
    frame = _read_sites(sites, source_crs)
    if id_field not in frame.columns:
        raise InputError(f"--id-field {id_field!r} is not a field of the sites (fields: {', '.join(c for c in frame.columns if c != frame.geometry.name)})")
    if len(frame) == 0:
        raise InputError("the sites file has no features")
    fps, warns, errors = _footprints(frame, id_field, radius, width, source_crs)
    n = len(frame)
    ok = np.array([e is None for e in errors])
    geoms_ea = np.empty(n, dtype=object)
    geoms_ea[ok] = to_equal_area(np.array([f for f in fps if f is not None], dtype=object))
    geoms_ea[~ok] = shapely.Polygon()
    area = shapely.area(geoms_ea)
    cols = {c: np.zeros(n) for c in ("priority_m2", "key_m2", "general_m2", "redline_m2", "protected_m2", "water_m2")}
    kinds = [k for k in ("control_units", *_ZONE_COLUMN) if store.has(k)]
    indexes = {k: store.index(k) for k in kinds}
    category_code = None
    if "control_units" in kinds:
        units = store.read("control_units")
        cats = units["category"].map({"priority": 0, "key": 1, "general": 2}).to_numpy()
        category_code = np.full(int(units["feature_id"].max()) + 1, -1)
        category_code[units["feature_id"].to_numpy()] = cats
    show = sys.stderr.isatty() if progress is None else progress
    from tqdm.auto import tqdm

    bar = tqdm(total=n, disable=not show, unit="site", desc="screening")
    for start in range(0, n, _CHUNK):
        sl = slice(start, min(start + _CHUNK, n))
        chunk = geoms_ea[sl]
        shapely.prepare(chunk)
        for kind in kinds:
            index = indexes[kind]
            si, pj = index.tree.query(chunk, predicate="intersects")
            if len(si) == 0:
                continue
            inside = shapely.contains_properly(chunk[si], index.geoms[pj])
            a = np.where(inside, index.area[pj], 0.0)
            part = ~inside
            a[part] = shapely.area(shapely.intersection(chunk[si[part]], index.geoms[pj[part]]))
            site_idx = si + start
            if kind == "control_units":
                cat = category_code[index.feature[pj]]
                for code, name in enumerate(("priority_m2", "key_m2", "general_m2")):
                    sel = cat == code
                    cols[name] += np.bincount(site_idx[sel], weights=a[sel], minlength=n)
            else:
                cols[_ZONE_COLUMN[kind]] += np.bincount(site_idx, weights=a, minlength=n)
        bar.update(sl.stop - sl.start)
    bar.close()
    shapely.destroy_prepared(geoms_ea)
    covered = cols["priority_m2"] + cols["key_m2"] + cols["general_m2"]
    outside = np.clip(area - covered, 0.0, None)
    outside[outside < np.maximum(1.0, 1e-7 * area)] = 0.0
    zone_hit = (cols["redline_m2"] > 0.01) | (cols["protected_m2"] > 0.01) | (cols["water_m2"] > 0.01)
    verdict = np.where(zone_hit, CONFLICT, CLEAR).astype(object)
    verdict[~ok] = "error"
    warn_text = []
    for i in range(n):
        w = list(warns[i])
        if errors[i]:
            w = [errors[i]]
        elif outside[i] > 0 and "control_units" in kinds:
            w.append(f"{outside[i] / 1e4:.2f} ha outside the store's control units")
        warn_text.append("; ".join(w))
    out = pd.DataFrame({id_field: frame[id_field].to_numpy(), "area_m2": area, **cols, "outside_m2": outside,
                        "verdict": verdict, "warnings": warn_text})
    out = out[[id_field] + BATCH_COLUMNS]
    return gpd.GeoDataFrame(out, geometry=[f if f is not None else None for f in fps], crs=CGCS2000)


def write_batch(table: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write a batch table to ``.csv`` (UTF-8 with BOM, for Excel) or ``.gpkg``, atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".gpkg"):
        raise InputError(f"--out must end in .csv or .gpkg, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{suffix}")
    if suffix == ".csv":
        pd.DataFrame(table.drop(columns=table.geometry.name)).to_csv(tmp, index=False, encoding="utf-8-sig")
    else:
        import pyogrio

        if tmp.exists():
            tmp.unlink()
        pyogrio.write_dataframe(table, tmp, layer="screening", driver="GPKG", promote_to_multi=True)
    os.replace(tmp, path)
    return path
