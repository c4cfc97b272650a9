"""The statistics zoning plans publish: per county and in total.

Number of units, area (km², ellipsoidal: equal-area projection of the GRS80
ellipsoid after densifying, as the store computes ``area_m2``) and share by
category, and the redline and protected-area area and share. Shares are per
cent of the units' area of the county (or of the whole layer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from ..vocab import unit_code_is_regular
from .source import LayerSet, column

__all__ = ["CATEGORIES", "county_keys", "gk_areas", "layer_statistics"]

CATEGORIES = ("priority", "key", "general")
UNKNOWN_COUNTY = "(未知区县)"


def county_keys(units: pd.DataFrame) -> pd.Series:
    """Each unit's county: the ``county`` field, else the division code of a regular unit code."""
    county = column(units, "county").str.strip()
    codes = column(units, "code")
    from_code = codes.map(lambda c: c[2:8] if unit_code_is_regular(c) else UNKNOWN_COUNTY)
    return county.where(county != "", from_code)


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole > 0 else 0.0


def _union(geoms) -> shapely.Geometry:
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    return shapely.union_all(geoms) if geoms else shapely.Polygon()


def gk_areas(frame) -> np.ndarray:
    """Planimetric areas (m²) in each feature's 3-degree Gauss-Kruger zone (``area_gk_m2`` where stored)."""
    from ..geo.geometry import to_gk

    if "area_gk_m2" in frame.columns:
        return frame["area_gk_m2"].to_numpy(dtype=float)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    zone = np.round(shapely.get_x(shapely.centroid(geoms)) / 3) * 3
    out = np.zeros(len(geoms))
    for lon in np.unique(zone):
        sel = zone == lon
        out[sel] = shapely.area(to_gk(shapely.segmentize(geoms[sel], 0.001), float(lon)))
    return out


def _entry(areas: np.ndarray, cats: np.ndarray, unit_ea, redline, protected, gk: np.ndarray) -> dict:
    total = float(areas.sum())
    entry = {"units": int(len(areas)), "area_km2": total / 1e6, "area_gk_km2": float(gk.sum()) / 1e6,
             "by_category": {}}
    for cat in CATEGORIES:
        sel = cats == cat
        area = float(areas[sel].sum())
        entry["by_category"][cat] = {"count": int(sel.sum()), "area_km2": area / 1e6, "share": _pct(area, total)}
    cover = _union(unit_ea) if (redline is not None or protected is not None) else None
    for name, zone in (("redline", redline), ("protected", protected)):
        if zone is None:
            entry[f"{name}_km2"] = None
            entry[f"{name}_share"] = None
            continue
        inside = shapely.area(shapely.intersection(zone, cover))
        entry[f"{name}_km2"] = float(inside) / 1e6
        entry[f"{name}_share"] = _pct(float(inside), total)
    return entry


def layer_statistics(layers: LayerSet) -> dict:
    """Per-county and total statistics of the control units (with redline and protected areas).

    Parameters
    ----------
    layers : LayerSet
        Must hold ``control_units``; ``eco_redline`` and ``protected_areas`` are used when present.

    Returns
    -------
    dict
        ``{"total": entry, "counties": [entry + {"county": name}, ...]}``; each
        entry has ``units``, ``area_km2`` (ellipsoidal), ``area_gk_km2`` (planimetric
        in each unit's 3-degree GK zone, as the 2023 update reports), ``by_category`` (``priority``/``key``/
        ``general``: ``{count, area_km2, share}``, share in per cent), and
        ``redline_km2``, ``redline_share``, ``protected_km2``, ``protected_share``
        (None when the source has no such layer). Redline and protected areas are
        counted once where features overlap, and only inside the units.
    """
    if not layers.has("control_units"):
        return {"total": None, "counties": []}
    units = layers.frames["control_units"]
    ea = layers.ea("control_units")
    areas = shapely.area(ea)
    cats = column(units, "category").to_numpy()
    redline = _union(layers.ea("eco_redline")) if layers.has("eco_redline") else None
    protected = _union(layers.ea("protected_areas")) if layers.has("protected_areas") else None
    keys = county_keys(units).to_numpy()
    gk = gk_areas(units)
    counties = []
    for key in pd.unique(keys):
        sel = keys == key
        counties.append({"county": str(key), **_entry(areas[sel], cats[sel], ea[sel], redline, protected, gk[sel])})
    return {"total": _entry(areas, cats, ea, redline, protected, gk), "counties": counties}
