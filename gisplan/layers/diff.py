"""What changed between two versions of the zoning (``gisplan layers diff OLD NEW``).

- Units are matched by code, then (for the codes left over) by overlap: an old and
  a new unit whose intersection is at least half their union are the same unit
  under a new code (``recoded``). Matched units are ``recategorised`` when their
  category changed and ``reshaped`` when their outlines differ by more than the
  sliver area. The rest are ``added`` or ``removed``.
- The area transition matrix (km², ellipsoidal) between priority/key/general/none
  comes from the overlay of the two unit layers in the equal-area plane; ``none``
  is area covered by one version only. Per county, a piece belongs to the county
  of the new unit covering it (the old unit's where the new version has none).
- Redline and protected areas: area gained and lost (dissolved, so overlapping
  zones count once), in total and per county.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..geo.crs import CGCS2000, EQUAL_AREA
from ..errors import InputError
from ..geo.geometry import from_equal_area, polygonal_part
from .check import NOISE_M2, SLIVER_M2
from .source import LayerSet, column
from .stats import county_keys

__all__ = ["CLASSES", "LayerDiff", "diff_layers", "site_changes", "MATCH_IOU"]

CLASSES = ("priority", "key", "general", "none")
#: Least intersection-over-union for two units of different codes to count as the same unit.
MATCH_IOU = 0.5
_SITE_AREAS = ("priority_m2", "key_m2", "general_m2", "outside_m2")


@dataclass
class LayerDiff:
    """The differences between two versions.

    Attributes
    ----------
    units : dict
        ``added``, ``removed``, ``recategorised``, ``reshaped``: lists of codes (the new
        code for matched units); ``recoded``: list of ``{"old", "new"}``.
    unit_changes : list of dict
        One record per matched unit that changed: codes, categories, areas.
    transition_km2 : dict
        ``{from: {to: km²}}`` over :data:`CLASSES`, whole layer.
    transition_by_county : dict
        County -> the same matrix.
    zones : dict
        ``redline`` / ``protected``: ``{"gained_km2", "lost_km2", "by_county": {county: {gained_km2, lost_km2}}}``
        (absent when either version lacks the layer).
    changes : GeoDataFrame
        The changed areas in CGCS2000 lon/lat, without parts smaller than the sliver
        area: ``change`` (gained_priority, lost_priority, recategorised, uncovered,
        newly_covered, redline_gained, redline_lost, protected_gained, protected_lost),
        ``from``, ``to``, ``area_km2``.
    sites : list of dict, optional
        Sites whose category areas or verdict changed (see :func:`site_changes`).
    """

    old: str
    new: str
    units: dict
    unit_changes: list[dict]
    transition_km2: dict
    transition_by_county: dict
    zones: dict
    changes: gpd.GeoDataFrame
    sites: list[dict] | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """The JSON document."""
        out = {
            "old": self.old, "new": self.new, "units": self.units, "unit_changes": self.unit_changes,
            "transition_km2": self.transition_km2, "transition_by_county_km2": self.transition_by_county,
            "zones": self.zones,
        }
        if self.sites is not None:
            out["sites"] = self.sites
        return out

    def to_json(self, path=None) -> str:
        """The JSON text; written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, default=_plain)
        if path is not None:
            from .output import write_text_atomic

            write_text_atomic(path, text)
        return text


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------------- units
def _match_units(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, old_ea, new_ea, sliver_m2: float) -> tuple[dict, list[dict]]:
    old_codes = column(old, "code").tolist()
    new_codes = column(new, "code").tolist()
    old_by_code = {c: i for i, c in reversed(list(enumerate(old_codes)))}
    new_by_code = {c: j for j, c in reversed(list(enumerate(new_codes)))}
    pairs = [(old_by_code[c], new_by_code[c]) for c in new_by_code if c in old_by_code]
    left_old = sorted(set(range(len(old))) - {i for i, _ in pairs})
    left_new = sorted(set(range(len(new))) - {j for _, j in pairs})
    recoded = []
    if left_old and left_new:
        tree = shapely.STRtree(old_ea[left_old])
        candidates = []
        for j in left_new:
            for k in tree.query(new_ea[j], predicate="intersects"):
                i = left_old[k]
                inter = shapely.area(shapely.intersection(old_ea[i], new_ea[j]))
                union = shapely.area(old_ea[i]) + shapely.area(new_ea[j]) - inter
                if union > 0 and inter / union >= MATCH_IOU:
                    candidates.append((inter / union, i, j))
        used_old, used_new = set(), set()
        for _, i, j in sorted(candidates, reverse=True):
            if i not in used_old and j not in used_new:
                used_old.add(i)
                used_new.add(j)
                pairs.append((i, j))
                recoded.append({"old": old_codes[i], "new": new_codes[j]})
        left_old = [i for i in left_old if i not in used_old]
        left_new = [j for j in left_new if j not in used_new]
    old_cat, new_cat = column(old, "category").tolist(), column(new, "category").tolist()
    recategorised, reshaped, changes = [], [], []
    for i, j in pairs:
        moved = float(shapely.area(shapely.symmetric_difference(old_ea[i], new_ea[j])))
        is_reshaped = moved > sliver_m2
        if old_cat[i] != new_cat[j]:
            recategorised.append(new_codes[j])
        if is_reshaped:
            reshaped.append(new_codes[j])
        if old_cat[i] != new_cat[j] or is_reshaped or old_codes[i] != new_codes[j]:
            changes.append({"old_code": old_codes[i], "new_code": new_codes[j], "old_category": old_cat[i],
                            "new_category": new_cat[j], "old_km2": float(shapely.area(old_ea[i])) / 1e6,
                            "new_km2": float(shapely.area(new_ea[j])) / 1e6, "moved_km2": moved / 1e6})
    units = {
        "added": sorted(new_codes[j] for j in left_new),
        "removed": sorted(old_codes[i] for i in left_old),
        "recoded": sorted(recoded, key=lambda r: r["new"]),
        "recategorised": sorted(recategorised),
        "reshaped": sorted(reshaped),
    }
    return units, changes


# --------------------------------------------------------------------------- transition
def _ea_frame(frame: gpd.GeoDataFrame, ea: np.ndarray, counties: pd.Series) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"category": column(frame, "category").to_numpy(), "county": counties.to_numpy()},
                            geometry=list(ea), crs=EQUAL_AREA)


def _overlay(old_f: gpd.GeoDataFrame, new_f: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Union overlay of two unit layers: pieces with ``from``, ``to``, ``county``, ``area_m2``.

    Same result as ``geopandas.overlay(how="union")``, faster for tilings: the
    pieces covered by one version only are cut from the dissolved difference.
    """
    o_geoms, n_geoms = old_f.geometry.values, new_f.geometry.values
    oi, nj = shapely.STRtree(n_geoms).query(o_geoms, predicate="intersects")
    rows = []
    for i, j, g in zip(oi, nj, shapely.intersection(o_geoms[oi], n_geoms[nj])):
        rows.append((old_f["category"].iat[i], new_f["category"].iat[j], new_f["county"].iat[j], g))
    for frame, other, side in ((old_f, n_geoms, "old"), (new_f, o_geoms, "new")):
        only = shapely.difference(shapely.union_all(frame.geometry.values), shapely.union_all(other))
        if shapely.area(only) <= NOISE_M2:
            continue
        geoms = frame.geometry.values
        for k in shapely.STRtree(geoms).query(only, predicate="intersects"):
            g = shapely.intersection(geoms[k], only)
            cat = frame["category"].iat[k]
            rows.append((cat, "none", frame["county"].iat[k], g) if side == "old" else ("none", cat, frame["county"].iat[k], g))
    pieces = gpd.GeoDataFrame(
        {"from": [r[0] or "none" for r in rows], "to": [r[1] or "none" for r in rows], "county": [r[2] for r in rows]},
        geometry=[polygonal_part(r[3]) for r in rows], crs=EQUAL_AREA,
    )
    pieces["area_m2"] = pieces.geometry.area
    return pieces[pieces["area_m2"] > NOISE_M2]


def _matrix(pieces: pd.DataFrame) -> dict:
    out = {a: {b: 0.0 for b in CLASSES} for a in CLASSES}
    for (a, b), area in pieces.groupby(["from", "to"])["area_m2"].sum().items():
        if a in out and b in out[a]:
            out[a][b] = float(area) / 1e6
    return out


def _change_class(a: str, b: str) -> str:
    if b == "priority":
        return "gained_priority"
    if a == "priority":
        return "lost_priority"
    if b == "none":
        return "uncovered"
    if a == "none":
        return "newly_covered"
    return "recategorised"


def _without_slivers(geom, sliver_m2: float):
    """The polygon parts of ``geom`` of at least ``sliver_m2`` (rounding slivers along shared edges go)."""
    parts = [p for p in shapely.get_parts(polygonal_part(geom)) if shapely.area(p) >= max(sliver_m2, NOISE_M2)]
    return shapely.multipolygons(parts) if parts else None


# --------------------------------------------------------------------------- zones
def _dissolved(layers: LayerSet, kind: str):
    return shapely.union_all(layers.ea(kind)) if layers.has(kind) else None


def _zone_change(old: LayerSet, new: LayerSet, kind: str, county_cover: dict) -> tuple[dict | None, list]:
    a, b = _dissolved(old, kind), _dissolved(new, kind)
    if a is None or b is None:
        return None, []
    gained, lost = shapely.difference(b, a), shapely.difference(a, b)
    by_county = {}
    for county, cover in county_cover.items():
        g = float(shapely.area(shapely.intersection(gained, cover)))
        lo = float(shapely.area(shapely.intersection(lost, cover)))
        if g > NOISE_M2 or lo > NOISE_M2:
            by_county[county] = {"gained_km2": g / 1e6, "lost_km2": lo / 1e6}
    summary = {"gained_km2": float(shapely.area(gained)) / 1e6, "lost_km2": float(shapely.area(lost)) / 1e6,
               "by_county": by_county}
    return summary, [(gained, "gained"), (lost, "lost")]


def diff_layers(old: LayerSet, new: LayerSet, *, sliver_m2: float = SLIVER_M2) -> LayerDiff:
    """Compare two versions of the zoning.

    Parameters
    ----------
    old, new : LayerSet
        Both must hold ``control_units``; redline and protected areas are compared
        when both hold them.
    sliver_m2 : float
        A matched unit whose outline moved by less than this area is not ``reshaped``.

    Returns
    -------
    LayerDiff

    Raises
    ------
    InputError
        When either side has no control units.
    """
    for side in (old, new):
        if not side.has("control_units"):
            raise InputError(f"{side.source} holds no control units to compare")
    ou, nu = old.frames["control_units"], new.frames["control_units"]
    o_ea, n_ea = old.ea("control_units"), new.ea("control_units")
    units, unit_changes = _match_units(ou, nu, o_ea, n_ea, sliver_m2)
    pieces = _overlay(_ea_frame(ou, o_ea, county_keys(ou)), _ea_frame(nu, n_ea, county_keys(nu)))
    by_county = {str(c): _matrix(sub) for c, sub in pieces.groupby("county", sort=False)}
    changed = pieces[pieces["from"] != pieces["to"]]
    rows = []
    for (a, b), sub in changed.groupby(["from", "to"]):
        geom = _without_slivers(shapely.union_all(sub.geometry.values), sliver_m2)
        if geom is not None:
            rows.append({"change": _change_class(a, b), "from": a, "to": b,
                         "area_km2": float(shapely.area(geom)) / 1e6, "geometry": geom})
    county_cover = {str(c): shapely.union_all(s.geometry.values) for c, s in pieces.groupby("county", sort=False)}
    zones = {}
    for kind, label in (("eco_redline", "redline"), ("protected_areas", "protected")):
        summary, geoms = _zone_change(old, new, kind, county_cover)
        if summary is None:
            continue
        zones[label] = summary
        for geom, how in geoms:
            geom = _without_slivers(geom, sliver_m2)
            if geom is not None:
                rows.append({"change": f"{label}_{how}", "from": "", "to": "", "area_km2": float(shapely.area(geom)) / 1e6,
                             "geometry": geom})
    geoms = np.array([r.pop("geometry") for r in rows], dtype=object)
    changes = gpd.GeoDataFrame(rows, geometry=list(from_equal_area(geoms)) if len(geoms) else [], crs=CGCS2000)
    if changes.empty:
        changes = gpd.GeoDataFrame({"change": [], "from": [], "to": [], "area_km2": []}, geometry=[], crs=CGCS2000)
    return LayerDiff(old.source, new.source, units, unit_changes, _matrix(pieces), by_county, zones, changes,
                     warnings=old.warnings + new.warnings)


# --------------------------------------------------------------------------- sites
def _store_path(layers: LayerSet, folder: Path, name: str) -> Path:
    """The store of a LayerSet: the source itself, or a temporary store written from its frames."""
    if layers.store is not None:  # the store read (a database store is shown without its password)
        return layers.store
    if layers.from_store:
        return Path(layers.source)
    from ..store.gpkg import Store

    path = folder / f"{name}.gpkg"
    store = Store.create(path, overwrite=True)
    for kind, frame in layers.frames.items():
        store.write_layer(kind, frame, meta={"source": layers.source})
    return path


def site_changes(old: LayerSet, new: LayerSet, sites, *, id_field: str, industry: str | None = None,
                 industry_field: str | None = None, radius: float | None = None, width: float | None = None,
                 source_crs: str | None = None) -> list[dict]:
    """Screen the sites against both versions; the sites whose category areas or verdict changed.

    Returns
    -------
    list of dict
        Per changed site: ``id``, ``verdict_old``, ``verdict_new`` and the old and new
        ``priority_m2``, ``key_m2``, ``general_m2``, ``outside_m2``. An area counts as
        changed when it moved by more than 1 m² (and 1e-6 of the site).
    """
    from ..batch import screen_batch

    with tempfile.TemporaryDirectory(prefix="gisplan-diff-") as tmp:
        tables = []
        for layers, name in ((old, "old"), (new, "new")):
            store = _store_path(layers, Path(tmp), name)
            table = screen_batch(sites, store, id_field=id_field, industry=industry, industry_field=industry_field,
                                 radius=radius, width=width, source_crs=source_crs, progress=False)
            tables.append(pd.DataFrame(table.drop(columns=table.geometry.name)))
    before, after = tables
    merged = before.merge(after, on=id_field, suffixes=("_old", "_new"))
    out = []
    for _, r in merged.iterrows():
        tol = max(1.0, 1e-6 * float(r.get("area_m2_new", 0) or 0))
        moved = any(abs(float(r[f"{a}_old"]) - float(r[f"{a}_new"])) > tol for a in _SITE_AREAS)
        if moved or r["verdict_old"] != r["verdict_new"]:
            rec = {"id": r[id_field], "verdict_old": r["verdict_old"], "verdict_new": r["verdict_new"]}
            for a in _SITE_AREAS:
                rec[f"{a}_old"] = float(r[f"{a}_old"])
                rec[f"{a}_new"] = float(r[f"{a}_new"])
            out.append(rec)
    return out


def diff_summary_lines(diff: LayerDiff) -> list[str]:
    """What ``gisplan layers diff`` prints: unit changes, the transition matrix, zone gains and losses, sites."""
    u = diff.units
    lines = [f"{diff.old} -> {diff.new}",
             f"units: {len(u['added'])} added, {len(u['removed'])} removed, {len(u['recoded'])} recoded, "
             f"{len(u['recategorised'])} recategorised, {len(u['reshaped'])} reshaped"]
    for key in ("added", "removed", "recategorised", "reshaped"):
        if u[key]:
            lines.append(f"  {key}: {', '.join(u[key][:12])}" + (" ..." if len(u[key]) > 12 else ""))
    if u["recoded"]:
        lines.append("  recoded: " + ", ".join(f"{r['old']}->{r['new']}" for r in u["recoded"][:8]))
    lines += ["", "area transition (km², rows old, columns new):", _matrix_text(diff.transition_km2)]
    for county, matrix in diff.transition_by_county.items():
        moved = sum(v for a, row in matrix.items() for b, v in row.items() if a != b)
        if moved >= 0.001:
            lines += [f"  {county}: {moved:.3f} km² changed category", _matrix_text(matrix, indent="    ")]
    for label, z in diff.zones.items():
        lines.append(f"{label}: +{z['gained_km2']:.3f} km² gained, -{z['lost_km2']:.3f} km² lost")
    if diff.sites is not None:
        lines.append(f"sites whose category areas or verdict changed: {len(diff.sites)}")
        for s in diff.sites[:30]:
            lines.append(f"  {s['id']}: {s['verdict_old']} -> {s['verdict_new']}; priority "
                         f"{s['priority_m2_old']:.0f} -> {s['priority_m2_new']:.0f} m²")
    lines += [f"warning: {w}" for w in diff.warnings]
    return lines


def _matrix_text(matrix: dict, indent: str = "  ") -> str:
    head = indent + f"{'':<10}" + "".join(f"{b:>12}" for b in CLASSES)
    rows = [indent + f"{a:<10}" + "".join(f"{matrix[a][b]:>12.3f}" for b in CLASSES) for a in CLASSES]
    return "\n".join([head] + rows)


def write_diff_xlsx(diff: LayerDiff, path: str | os.PathLike) -> Path:
    """Units, transition matrices, zone changes and sites as sheets of an XLSX workbook (atomically)."""
    from .output import write_xlsx_sheets

    u = diff.units
    unit_rows = [[k, c] for k in ("added", "removed", "recategorised", "reshaped") for c in u[k]]
    unit_rows += [["recoded", f"{r['old']} -> {r['new']}"] for r in u["recoded"]]
    change_rows = [[c["old_code"], c["new_code"], c["old_category"], c["new_category"], c["old_km2"], c["new_km2"],
                    c["moved_km2"]] for c in diff.unit_changes]
    trans = [["(total)", a] + [diff.transition_km2[a][b] for b in CLASSES] for a in CLASSES]
    for county, m in diff.transition_by_county.items():
        trans += [[county, a] + [m[a][b] for b in CLASSES] for a in CLASSES]
    zone_rows = []
    for label, z in diff.zones.items():
        zone_rows.append([label, "(total)", z["gained_km2"], z["lost_km2"]])
        zone_rows += [[label, c, v["gained_km2"], v["lost_km2"]] for c, v in z["by_county"].items()]
    sheets = [
        ("单元变化 units", ["change", "code"], unit_rows),
        ("单元明细 unit changes", ["old_code", "new_code", "old_category", "new_category", "old_km2", "new_km2", "moved_km2"],
         change_rows),
        ("转移矩阵 transition km2", ["county", "from \\ to"] + list(CLASSES), trans),
        ("红线与保护地 zones", ["layer", "county", "gained_km2", "lost_km2"], zone_rows),
    ]
    if diff.sites is not None:
        keys = ["id", "verdict_old", "verdict_new"] + [f"{a}_{w}" for a in _SITE_AREAS for w in ("old", "new")]
        sheets.append(("场址 sites", keys, [[s[k] for k in keys] for s in diff.sites]))
    return write_xlsx_sheets(path, sheets)
