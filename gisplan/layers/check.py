"""Quality checks of a zoning delivery (``gisplan layers check``).

Each problem is one record ``{check, codes, kind, area_m2, location, detail}``:

- ``invalid_geometry``: a geometry invalid as delivered (self-intersection, bow-tie ...);
- ``overlap``: two control units overlap (both codes, the shared area);
- ``gap``: a hole inside the units' coverage that no unit fills (codes: the units around it);
- ``sliver``: an overlap, gap or redline part smaller than the sliver threshold;
- ``duplicate_code``: a unit code used by more than one feature;
- ``code_format``: a code not ``ZH`` + 6-digit division + category digit + 4-digit serial;
- ``code_category``: the category digit contradicts the category field;
- ``code_division``: the division code is not the county the unit lies in (when the
  bundled county outlines know the division codes);
- ``redline_outside_priority``: redline area outside the priority units (codes: the
  non-priority units it enters);
- ``zone_nesting``: a water-source level-1 zone outside its level-2/quasi zones, or a
  protected-area zone outside its reserve's outline;
- ``redline_farmland_overlap``, ``redline_urban_overlap``, ``farmland_urban_overlap``:
  two of the three control lines (redline, permanent basic farmland, urban development
  boundary) overlap (:mod:`gisplan.layers.three_lines_check`; the record adds ``layers``).

Areas are ellipsoidal (m², equal-area projection of GRS80 after densifying);
``location`` is a point inside the problem's area (lon, lat, CGCS2000).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..geo.geometry import from_equal_area, polygonal_part, to_equal_area
from .source import LayerSet, column
from .stats import layer_statistics
from .three_lines_check import PAIRS, THREE_LINE_CHECKS, three_line_conflicts

__all__ = ["CHECKS", "SLIVER_M2", "CheckResult", "check_layers", "county_outlines"]

CHECKS = (
    "invalid_geometry", "overlap", "gap", "sliver", "duplicate_code", "code_format",
    "code_category", "code_division", "redline_outside_priority", "zone_nesting",
    *THREE_LINE_CHECKS,
)
#: Overlaps, gaps and redline parts below this area (m²) are reported as ``sliver``.
SLIVER_M2 = 100.0
#: Below this area (m²) a difference is rounding, not a problem.
NOISE_M2 = 0.01
_UNIT_CODE = re.compile(r"^ZH\d{6}[123]\d{4}$")
_DIGIT = {"priority": "1", "key": "2", "general": "3"}


@dataclass
class CheckResult:
    """The problems found and the statistics of one source."""

    source: str
    problems: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: Checks that could not run on this source, and why (printed, not part of the JSON).
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """``{"problems": [...], "stats": {"total": ..., "counties": [...]}}``."""
        return {"problems": self.problems, "stats": self.stats}

    def counts(self) -> dict[str, int]:
        """Number of problems per check, in :data:`CHECKS` order."""
        found = [p["check"] for p in self.problems]
        return {c: found.count(c) for c in CHECKS if c in found}

    def to_json(self, path=None) -> str:
        """The JSON text; written atomically to ``path`` when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2)
        if path is not None:
            from .output import write_text_atomic

            write_text_atomic(path, text)
        return text


# --------------------------------------------------------------------------- helpers
def _location(geom_ea) -> list[float]:
    point = from_equal_area(np.array([shapely.point_on_surface(geom_ea)], dtype=object))[0]
    return [round(float(point.x), 6), round(float(point.y), 6)]


def _record(check: str, codes, kind: str, geom_ea, detail: str, area: float | None = None) -> dict:
    area = float(shapely.area(geom_ea)) if area is None else float(area)
    return {"check": check, "codes": [str(c) for c in codes], "kind": kind, "area_m2": round(area, 2),
            "location": _location(geom_ea), "detail": detail}


def _parts(geom) -> list:
    return [p for p in shapely.get_parts(polygonal_part(geom)) if not p.is_empty]


def _small_or(check: str, area: float, sliver_m2: float) -> str:
    return check if area >= sliver_m2 else "sliver"


# --------------------------------------------------------------------------- checks
def _invalid(layers: LayerSet, kind: str) -> list[dict]:
    frame = layers.frames[kind]
    ea = layers.ea(kind)
    names = column(frame, "code" if kind == "control_units" else "name")
    return [_record("invalid_geometry", [names.iloc[i]], kind, ea[i], f"invalid as delivered: {reason}; repaired with make_valid")
            for i, reason in layers.invalid.get(kind, [])]


def _overlaps(ea: np.ndarray, codes: list[str], sliver_m2: float, kind: str = "control_units",
              groups: list[str] | None = None) -> list[dict]:
    """Overlaps between features (only between features of one group when ``groups`` is given)."""
    out = []
    what = "units" if kind == "control_units" else f"{kind} features"
    left, right = shapely.STRtree(ea).query(ea, predicate="intersects")
    for i, j in zip(left, right):
        if i >= j or (groups is not None and groups[i] != groups[j]):
            continue
        for part in _parts(shapely.intersection(ea[i], ea[j])):
            area = float(shapely.area(part))
            if area <= NOISE_M2:
                continue
            check = _small_or("overlap", area, sliver_m2)
            detail = f"{what} {codes[i]} and {codes[j]} overlap" + ("" if check == "overlap" else " (sliver)")
            out.append(_record(check, [codes[i], codes[j]], kind, part, detail, area))
    return out


def _element_overlaps(layers: LayerSet, sliver_m2: float) -> list[dict]:
    """Overlaps within each element-zone layer: any overlap for the tiling air / water / soil zones, overlaps
    of one zone type for resource-limit zones (a no-burn zone may lie over a groundwater zone)."""
    from ..vocab import ELEMENT_KINDS, ELEMENT_TILING

    out = []
    for kind in ELEMENT_KINDS:
        if not layers.has(kind):
            continue
        frame = layers.frames[kind]
        codes = [c or n for c, n in zip(column(frame, "code").fillna("").astype(str), column(frame, "name").astype(str))]
        groups = None if kind in ELEMENT_TILING else column(frame, "zone").astype(str).tolist()
        out += _overlaps(layers.ea(kind), codes, sliver_m2, kind, groups)
    return out


def _gaps(ea: np.ndarray, codes: list[str], sliver_m2: float) -> list[dict]:
    cover = shapely.union_all(ea)
    tree = shapely.STRtree(ea)
    out = []
    for poly in _parts(cover):
        for ring in poly.interiors:
            hole = shapely.Polygon(ring)
            if shapely.area(hole) <= NOISE_M2:
                continue
            islands = ea[tree.query(hole, predicate="intersects")]
            rest = shapely.difference(hole, shapely.union_all(islands)) if len(islands) else hole
            for part in _parts(rest):
                area = float(shapely.area(part))
                if area <= NOISE_M2:
                    continue
                near = tree.query(shapely.buffer(part, 1.0), predicate="intersects")
                around = sorted({codes[k] for k in near})
                check = _small_or("gap", area, sliver_m2)
                detail = "hole in the coverage that no unit fills" + ("" if check == "gap" else " (sliver)")
                out.append(_record(check, around, "control_units", part, detail, area))
    return out


def _codes(units, ea: np.ndarray) -> list[dict]:
    codes = column(units, "code").tolist()
    cats = column(units, "category").tolist()
    out = []
    seen: dict[str, list[int]] = {}
    for i, code in enumerate(codes):
        seen.setdefault(code, []).append(i)
    for code, rows in seen.items():
        if len(rows) > 1:
            geom = shapely.union_all(ea[rows])
            out.append(_record("duplicate_code", [code], "control_units", geom, f"code used by {len(rows)} features"))
    for i, (code, cat) in enumerate(zip(codes, cats)):
        if not _UNIT_CODE.match(code):
            out.append(_record("code_format", [code], "control_units", ea[i],
                               "not ZH + 6-digit division code + category digit (1/2/3) + 4-digit serial"))
        elif cat in _DIGIT and code[8] != _DIGIT[cat]:
            out.append(_record("code_category", [code], "control_units", ea[i],
                               f"category digit {code[8]} but category {cat} (digit {_DIGIT[cat]})"))
    return out


def county_outlines(admin_dir: Path | None = None) -> dict[str, shapely.Geometry]:
    """Division code -> outline (lon/lat) of the bundled ``data/admin/<code>.geojson`` files."""
    from ..demo.run import DEFAULT_DATA_DIR

    folder = Path(admin_dir) if admin_dir is not None else DEFAULT_DATA_DIR / "admin"
    out = {}
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.geojson")):
        if re.fullmatch(r"\d{6}", path.stem):
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("type") == "FeatureCollection":
                geom = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in data["features"]])
            else:
                geom = shapely.geometry.shape(data.get("geometry", data))
            out[path.stem] = polygonal_part(geom)
    return out


def _divisions(units, ea: np.ndarray, outlines: dict[str, shapely.Geometry]) -> list[dict]:
    codes = column(units, "code").tolist()
    divisions = [c[2:8] if _UNIT_CODE.match(c) else None for c in codes]
    if not outlines or not any(d in outlines for d in divisions if d):
        return []  # no county layer known for these units
    names = list(outlines)
    outline_ea = np.asarray(to_equal_area(np.array([outlines[n] for n in names], dtype=object)), dtype=object)
    is_county = np.array([not n.endswith("00") for n in names])
    tree = shapely.STRtree(outline_ea)
    grown = {}  # division -> its outline grown by 1 m, prepared: a unit wholly inside needs no overlay
    out = []
    for i, div in enumerate(divisions):
        if div is None:
            continue
        area = float(shapely.area(ea[i]))
        if area <= 0:
            continue
        if div in outlines and not div.endswith("00"):
            if div not in grown:
                grown[div] = shapely.buffer(outline_ea[names.index(div)], 1.0)
                shapely.prepare(grown[div])
            if shapely.contains(grown[div], ea[i]):
                continue
        share = np.zeros(len(names))
        near = tree.query(ea[i], predicate="intersects")
        share[near] = shapely.area(shapely.intersection(outline_ea[near], ea[i])) / area
        if div.endswith("00"):  # a prefecture-level division: the unit must lie in it
            if div in outlines and share[names.index(div)] < 0.5:
                out.append(_record("code_division", [codes[i]], "control_units", ea[i],
                                   f"division {div} in the code, but the unit lies outside {div}"))
            continue
        county_share = np.where(is_county, share, 0.0)
        best = int(np.argmax(county_share))
        home = names[best] if county_share[best] > 0.5 else None
        if home is not None and home != div:
            out.append(_record("code_division", [codes[i]], "control_units", ea[i],
                               f"division {div} in the code, but {county_share[best]:.0%} of the unit lies in {home}"))
        elif home is None and div in outlines:
            out.append(_record("code_division", [codes[i]], "control_units", ea[i],
                               f"division {div} in the code, but the unit lies mostly outside {div}"))
    return out


def _redline(layers: LayerSet, sliver_m2: float) -> list[dict]:
    units = layers.frames["control_units"]
    ea = layers.ea("control_units")
    cats = column(units, "category").to_numpy()
    codes = column(units, "code").tolist()
    priority = shapely.union_all(ea[cats == "priority"]) if (cats == "priority").any() else shapely.Polygon()
    outside = shapely.difference(shapely.union_all(layers.ea("eco_redline")), priority)
    others = np.flatnonzero(cats != "priority")
    tree = shapely.STRtree(ea[others]) if len(others) else None
    out = []
    for part in _parts(outside):
        area = float(shapely.area(part))
        if area <= NOISE_M2:
            continue
        entered = []
        if tree is not None:
            for k in tree.query(part, predicate="intersects"):
                if shapely.area(shapely.intersection(part, ea[others[k]])) > NOISE_M2:
                    entered.append(codes[others[k]])
        check = _small_or("redline_outside_priority", area, sliver_m2)
        where = f"enters {', '.join(sorted(entered))}" if entered else "outside every unit"
        out.append(_record(check, sorted(entered), "eco_redline", part, f"redline outside priority units: {where}", area))
    return out


def _water_nesting(layers: LayerSet, sliver_m2: float) -> list[dict]:
    frame = layers.frames["water_sources"]
    ea = layers.ea("water_sources")
    names = column(frame, "name").to_numpy()
    levels = column(frame, "level").to_numpy()
    out = []
    for name in dict.fromkeys(names):
        sel = names == name
        outer = ea[sel & np.isin(levels, ["level2", "quasi"])]
        inner = ea[sel & (levels == "level1")]
        if not len(outer) or not len(inner):
            continue  # only level 1 delineated: nothing to nest in
        hull = shapely.convex_hull(shapely.union_all(outer))
        for part in _parts(shapely.difference(shapely.union_all(inner), hull)):
            area = float(shapely.area(part))
            if area >= sliver_m2:
                out.append(_record("zone_nesting", [name], "water_sources", part,
                                   "level-1 zone outside its level-2/quasi zones", area))
    return out


def _reserve_nesting(layers: LayerSet, sliver_m2: float) -> list[dict]:
    frame = layers.frames["protected_areas"]
    ea = layers.ea("protected_areas")
    names = column(frame, "name").to_numpy()
    zones = column(frame, "zone").to_numpy()
    out = []
    for name in dict.fromkeys(names):
        sel = names == name
        outline = ea[sel & (zones == "unzoned")]
        zoned = np.flatnonzero(sel & (zones != "unzoned"))
        if not len(outline) or not len(zoned):
            continue
        shell = shapely.union_all([shapely.Polygon(p.exterior) for g in outline for p in _parts(g)])
        for k in zoned:
            for part in _parts(shapely.difference(ea[k], shell)):
                area = float(shapely.area(part))
                if area >= sliver_m2:
                    out.append(_record("zone_nesting", [name], "protected_areas", part,
                                       f"{zones[k]} zone outside the reserve's outline", area))
    return out


def check_layers(layers: LayerSet, *, sliver_m2: float = SLIVER_M2, admin_dir: Path | None = None) -> CheckResult:
    """Run every check that the source's layers allow, and compute the statistics.

    Parameters
    ----------
    layers : LayerSet
        From :func:`gisplan.layers.source.load_layers`.
    sliver_m2 : float
        Overlaps, gaps and redline parts below this area are ``sliver`` problems.
    admin_dir : Path, optional
        Folder of ``<division code>.geojson`` county outlines (default: the bundled ``data/admin``).

    Returns
    -------
    CheckResult
    """
    result = CheckResult(layers.source, warnings=list(layers.warnings))
    for kind in layers.frames:
        result.problems += _invalid(layers, kind)
    if layers.has("control_units"):
        units = layers.frames["control_units"]
        ea = layers.ea("control_units")
        codes = column(units, "code").tolist()
        result.problems += _overlaps(ea, codes, sliver_m2)
        result.problems += _gaps(ea, codes, sliver_m2)
        result.problems += _codes(units, ea)
        outlines = county_outlines(admin_dir)
        result.problems += _divisions(units, ea, outlines)
        divisions = {c[2:8] for c in codes if _UNIT_CODE.match(c)}
        if not divisions & set(outlines):
            result.skipped["code_division"] = "no county outline known for the units' division codes"
        if layers.has("eco_redline"):
            result.problems += _redline(layers, sliver_m2)
        else:
            result.skipped["redline_outside_priority"] = "no redline layer (pass --redline FILE)"
    else:
        for check in ("overlap", "gap", "duplicate_code", "code_format", "code_category", "code_division",
                      "redline_outside_priority"):
            result.skipped[check] = "no control units in the source"
    result.problems += _element_overlaps(layers, sliver_m2)
    if layers.has("water_sources"):
        result.problems += _water_nesting(layers, sliver_m2)
    if layers.has("protected_areas"):
        result.problems += _reserve_nesting(layers, sliver_m2)
    if not (layers.has("water_sources") or layers.has("protected_areas")):
        result.skipped["zone_nesting"] = "no water-source or protected-area layer"
    result.problems += three_line_conflicts(layers, sliver_m2)
    lines = [k for k in ("eco_redline", "basic_farmland", "urban_boundary") if layers.has(k)]
    if len(lines) >= 2:  # with one line or none there is nothing to compare: not worth a line
        for check, a, b in PAIRS:
            if not (layers.has(a) and layers.has(b)):
                result.skipped[check] = f"no {a if not layers.has(a) else b} layer"
    result.problems.sort(key=lambda p: CHECKS.index(p["check"]))
    result.stats = layer_statistics(layers)
    return result


# --------------------------------------------------------------------------- outputs
_CATEGORY_ZH = {"priority": "优先保护", "key": "重点管控", "general": "一般管控"}


def _stats_rows(stats: dict) -> list[list]:
    rows = []
    entries = [(e["county"], e) for e in stats.get("counties", [])]
    if stats.get("total"):
        entries.append(("合计 total", stats["total"]))
    for name, e in entries:
        row = [name, e["units"], round(e["area_km2"], 2)]
        for cat in ("priority", "key", "general"):
            c = e["by_category"][cat]
            row += [c["count"], round(c["area_km2"], 2), round(c["share"], 2)]
        for z in ("redline", "protected"):
            row += [None if e[f"{z}_km2"] is None else round(e[f"{z}_km2"], 2),
                    None if e[f"{z}_share"] is None else round(e[f"{z}_share"], 2)]
        rows.append(row)
    return rows


STATS_HEADER = ["区县 county", "单元数 units", "面积 km²"] + [
    f"{_CATEGORY_ZH[c]} {what}" for c in ("priority", "key", "general") for what in ("个数", "km²", "%")
] + ["生态保护红线 km²", "红线 %", "自然保护地 km²", "保护地 %"]


def write_check_xlsx(result: CheckResult, path) -> Path:
    """The problems and the statistics as two sheets of an XLSX workbook (atomically)."""
    from .output import write_xlsx_sheets

    problems = [[p["check"], ", ".join(p["codes"]), " / ".join(p.get("layers") or [p["kind"]]), p["area_m2"],
                 p["location"][0], p["location"][1], p["detail"]] for p in result.problems]
    return write_xlsx_sheets(path, [
        ("问题 problems", ["check", "codes", "kind", "area_m2", "lon", "lat", "detail"], problems),
        ("统计 statistics", STATS_HEADER, _stats_rows(result.stats)),
    ])


def pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (CJK characters take two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


def check_summary_lines(result: CheckResult) -> list[str]:
    """What ``gisplan layers check`` prints: problem counts, the first problems, the statistics table."""
    lines = [f"{result.source}: {len(result.problems)} problem(s)"
             + (": " + ", ".join(f"{k} {v}" for k, v in result.counts().items()) if result.problems else "")]
    for p in result.problems[:50]:
        lines.append(f"  {p['check']:<25} {','.join(p['codes'])[:40]:<40} {p['area_m2']:>14.1f} m²  "
                     f"({p['location'][0]:.5f}, {p['location'][1]:.5f})  {p['detail']}")
    if len(result.problems) > 50:
        lines.append(f"  ... {len(result.problems) - 50} more (see --json / --xlsx)")
    lines += [f"  warning: {w}" for w in result.warnings]
    lines += [f"  not checked: {check} ({why})" for check, why in result.skipped.items()]
    if result.stats.get("total"):
        lines.append("")
        lines.append(f"{'county':<14}{'units':>6}{'km²':>11}{'priority':>16}{'key':>16}{'general':>16}{'redline %':>11}{'protected %':>13}")
        for row in _stats_rows(result.stats):
            cats = "".join(f"{row[3 + 3 * k]:>4} {row[5 + 3 * k]:>9.2f}% " for k in range(3))
            red = "" if row[13] is None else f"{row[13]:.2f}"
            pro = "" if row[15] is None else f"{row[15]:.2f}"
            lines.append(f"{pad(str(row[0])[:12], 14)}{row[1]:>6}{row[2]:>11.2f}{cats}{red:>10}{pro:>13}")
    return lines
