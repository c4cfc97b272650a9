"""Statistics of the store's rasters inside a site: class areas (classified) or min/mean/max (continuous).

Coverage of each cell by the site is exact (exactextract's coverage fractions);
cell areas are ellipsoidal: for a geographic raster, the exact area of each
row's latitude band on the raster's ellipsoid; for a projected raster, the area
of each cell's corners in the Albers equal-area projection on GRS80. The site is
reprojected to the raster's CRS, never the raster.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS, Transformer

from ..geo.crs import CGCS2000, EQUAL_AREA
from .store import raster_records

__all__ = ["band_cell_areas", "batch_raster_columns", "raster_stats", "site_raster_stats"]

#: Densify the site's edges (degrees) before reprojecting it to a projected raster's CRS.
SEGMENT_DEG = 0.0005
#: Cells covered by less than this fraction are touched by rounding only (float32 coverage fractions).
MIN_COVERAGE = 1e-6
_VERIFIED: dict[tuple, str] = {}


def _authalic_q(lat_rad: np.ndarray, e: float) -> np.ndarray:
    s = np.sin(lat_rad)
    return (1 - e * e) * (s / (1 - e * e * s * s) - np.log((1 - e * s) / (1 + e * s)) / (2 * e))


def band_cell_areas(lat_top: np.ndarray, lat_bottom: np.ndarray, dlon_deg: float, crs: CRS) -> np.ndarray:
    """Exact ellipsoidal area (m²) of lon/lat cells ``dlon_deg`` wide between two latitudes (degrees).

    Parameters
    ----------
    lat_top, lat_bottom : ndarray
        Northern and southern edge latitudes of each cell row.
    dlon_deg : float
        Cell width in degrees of longitude.
    crs : CRS
        The geographic CRS whose ellipsoid is used.

    Returns
    -------
    ndarray
        Area of one cell of each row.
    """
    ell = crs.ellipsoid
    a, inv_f = ell.semi_major_metre, ell.inverse_flattening
    f = 1 / inv_f if inv_f else 0.0
    e = np.sqrt(f * (2 - f))
    if e == 0:
        band = np.sin(np.radians(lat_top)) - np.sin(np.radians(lat_bottom))
        return np.abs(a * a * np.radians(dlon_deg) * band)
    q = _authalic_q(np.radians(lat_top), e) - _authalic_q(np.radians(lat_bottom), e)
    return np.abs(a * a / 2 * np.radians(dlon_deg) * q)


def _cell_areas(crs: CRS, transform, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    if crs.is_geographic:
        top = transform.f + rows * transform.e
        return band_cell_areas(top, top + transform.e, abs(transform.a), crs)
    x0 = transform.c + cols * transform.a
    y0 = transform.f + rows * transform.e
    xs = np.stack([x0, x0 + transform.a, x0 + transform.a, x0], axis=1)
    ys = np.stack([y0, y0, y0 + transform.e, y0 + transform.e], axis=1)
    t = Transformer.from_crs(crs, CRS.from_user_input(EQUAL_AREA), always_xy=True)
    ex, ey = t.transform(xs.ravel(), ys.ravel())
    ex, ey = ex.reshape(xs.shape), ey.reshape(ys.shape)
    return 0.5 * np.abs(np.sum(ex * np.roll(ey, -1, axis=1) - np.roll(ex, -1, axis=1) * ey, axis=1))


def _site_in_raster_crs(site, crs: CRS):
    if crs.equals(CRS.from_user_input(CGCS2000)) or (crs.is_geographic and crs.ellipsoid.name == "GRS 1980"):
        return site
    t = Transformer.from_crs(CRS.from_user_input(CGCS2000), crs, always_xy=True)
    dense = shapely.segmentize(site, SEGMENT_DEG)
    return shapely.transform(dense, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def raster_stats(path: str | os.PathLike, site, *, kind: str, classes: list[dict], site_area_m2: float,
                 name: str = "") -> tuple[dict, float]:
    """Statistics of one raster file inside ``site`` (EPSG:4490 lon/lat).

    Parameters
    ----------
    path : str or Path
        The raster file.
    site : shapely geometry
        The site footprint in EPSG:4490 longitude/latitude.
    kind : {"classified", "continuous"}
        How to summarise the values.
    classes : list of dict
        Class table (``value``, ``label``) of a classified raster.
    site_area_m2 : float
        Ellipsoidal area of the site (the denominator of ``share``).
    name : str
        Raster name for the output.

    Returns
    -------
    dict
        ``{name, kind, classes: [{value, label, area_m2, share}], stats: {min, mean, max} or None}``.
    float
        Area (m²) of the site on no data: outside the raster or on nodata cells.
    """
    import rasterio
    from exactextract import exact_extract

    with rasterio.open(path) as src:
        crs = CRS.from_user_input(src.crs.to_wkt())
        geom = _site_in_raster_crs(site, crs)
        feats = [{"type": "Feature", "properties": {}, "geometry": shapely.geometry.mapping(geom)}]
        got = exact_extract(src, feats, ["coverage", "values", "cell_id"], output="geojson")[0]["properties"]
        width, transform = src.width, src.transform
    cov = np.asarray(got["coverage"], dtype=float)
    keep = cov > MIN_COVERAGE  # rounding slivers of cells the site only touches
    if np.issubdtype(np.asarray(got["values"]).dtype, np.floating):
        keep &= np.isfinite(got["values"])  # NaN cells of a raster without a declared nodata
    cov, values = cov[keep], np.asarray(got["values"])[keep]
    cell = np.asarray(got["cell_id"], dtype=np.int64)[keep]
    rows, cols = cell // width, cell % width
    areas = cov * _cell_areas(crs, transform, rows, cols) if cov.size else cov
    covered = float(areas.sum())
    outside = max(site_area_m2 - covered, 0.0)
    out = {"name": name, "kind": kind, "classes": [], "stats": None}
    if kind == "classified":
        labels = {int(c["value"]): c.get("label", "") for c in classes}
        ints = values.astype(np.int64)
        for v in np.unique(ints):
            a = float(areas[ints == v].sum())
            out["classes"].append({"value": int(v), "label": labels.get(int(v), ""), "area_m2": a,
                                   "share": a / site_area_m2 if site_area_m2 > 0 else 0.0})
    elif cov.size and covered > 0:
        vals = values.astype(float)
        out["stats"] = {"min": float(vals.min()), "mean": float(np.sum(vals * areas) / covered),
                        "max": float(vals.max())}
    else:
        out["stats"] = {"min": None, "mean": None, "max": None}
    return out, outside


def _checked(record: dict) -> str | None:
    """None when the raster file matches its recorded checksum, else a warning."""
    path = Path(record["path"])
    try:
        st = path.stat()
    except OSError:
        return f"raster {record['name']}: file {path} is missing; its statistics are left out"
    # an edit in place changes the ctime (no tool sets it back) or, replaced, the inode: checksummed again
    key = (str(path), st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
    if key not in _VERIFIED:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        _VERIFIED[key] = h.hexdigest()
    if _VERIFIED[key] != record["sha256"]:
        return f"raster {record['name']}: file {path} differs from the imported one (checksum); its statistics are left out"
    return None


def site_raster_stats(store, site, site_area_m2: float) -> tuple[list[dict], list[str]]:
    """Statistics of every raster of ``store`` inside ``site`` and warnings (empty lists without rasters)."""
    results, warnings = [], []
    for record in raster_records(store):
        problem = _checked(record)
        if problem:
            warnings.append(problem)
            continue
        stats, outside = raster_stats(record["path"], site, kind=record["kind"], classes=record["classes"],
                                      site_area_m2=site_area_m2, name=record["name"])
        results.append(stats)
        # said only when it shows: below 0.005 ha and 0.05 % it would read "0.00 ha (0.0%)"
        if site_area_m2 > 0 and outside > max(1.0, site_area_m2 * 1e-6) and (
                outside >= 50.0 or outside / site_area_m2 >= 0.0005):
            warnings.append(f"raster {record['name']}: {outside / 1e4:.2f} ha ({outside / site_area_m2:.1%}) of the "
                            "site lies outside the raster or on its nodata cells (not counted)")
    return results, warnings


def batch_raster_columns(store, names: list[str], footprints: list, areas_m2) -> dict[str, np.ndarray]:
    """Batch columns for rasters ``names``: ``NAME_<value>_m2`` per class, or ``NAME_min/_mean/_max``.

    Parameters
    ----------
    store : Store
    names : list of str
        Rasters of the store (``--raster-stats``).
    footprints : list
        Site footprints (EPSG:4490 lon/lat); None for a site that could not be read (its cells stay empty).
    areas_m2 : array-like
        Ellipsoidal area of each site.

    Returns
    -------
    dict
        Column name -> values per site (NaN where a site has no value); a
        classified raster's values missing from its class table add up in ``NAME_other_m2``.

    Raises
    ------
    InputError
        A name the store has no raster of, or a raster file that differs from the imported one.
    """
    from ..errors import InputError

    records = {r["name"]: r for r in raster_records(store)}
    cols: dict[str, np.ndarray] = {}
    n = len(footprints)
    for name in names:
        if name not in records:
            raise InputError(f"raster {name!r}: the store has no such raster (it has: "
                             f"{', '.join(records) or 'none'})")
        rec = records[name]
        problem = _checked(rec)
        if problem:
            raise InputError(problem)
        known = {int(c["value"]) for c in rec["classes"]}
        if rec["kind"] == "classified":  # fixed columns: every chunk of a streamed batch has the same
            for c in rec["classes"]:
                cols[f"{name}_{c['value']}_m2"] = np.zeros(n)
            cols[f"{name}_other_m2"] = np.zeros(n)  # values missing from the class table
        else:
            for k in ("min", "mean", "max"):
                cols[f"{name}_{k}"] = np.full(n, np.nan)
        for i, fp in enumerate(footprints):
            if fp is None:
                continue
            got, _ = raster_stats(rec["path"], fp, kind=rec["kind"], classes=rec["classes"],
                                  site_area_m2=float(areas_m2[i]), name=name)
            for c in got["classes"]:
                key = f"{name}_{c['value']}_m2" if c["value"] in known else f"{name}_other_m2"
                cols[key][i] += c["area_m2"]
            for k, v in (got["stats"] or {}).items():
                cols[f"{name}_{k}"][i] = np.nan if v is None else v
    return cols
