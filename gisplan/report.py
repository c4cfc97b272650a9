"""Render a screening result as JSON data and as a short human summary (no queries here)."""

from __future__ import annotations

import json
import math
import os

from ._version import __version__
from .vocab import ELEMENT_KINDS, KIND_LABELS_ZH

__all__ = ["result_to_dict", "result_to_json", "summary_text", "verdict_lines"]


def _clean(value):
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    return value


def _records(frame, columns) -> list[dict]:
    return [_clean({c: row[c] for c in columns}) for _, row in frame.iterrows()]


def _table(result, rows_attr: str, frame_attr: str, columns: list[str]) -> list[dict]:
    """Records of a result table: from its plain rows when it has them (no pandas), else from the frame."""
    rows = getattr(result, rows_attr, None)
    if rows is not None:
        return [_clean({c: r.get(c) for c in columns}) for r in rows]
    return _records(getattr(result, frame_attr), columns)


def result_to_dict(result) -> dict:
    """The JSON report of a :class:`~gisplan.screening.ScreeningResult` as plain data."""
    unit_cols = ["code", "name", "category", "category_label", "county", "overlap_m2", "overlap_gk_m2", "share_of_project"]
    hit_cols = ["kind", "name", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"]
    near_cols = ["kind", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction", "position", "site_point", "feature_point"]
    return _clean({
        "gisplan_version": __version__,
        "generated_at": result.generated_at,
        "units_note": "areas are ellipsoidal m² on CGCS2000/GRS80; *_gk_m2 are planimetric in the site's 3-degree Gauss-Kruger zone; distances are geodesic metres",
        "project": result.project,
        "parameters": result.params,
        "store": result.store_info,
        "control_units": _table(result, "unit_rows", "control_units", unit_cols),
        "by_category": result.by_category,
        "by_category_gk": result.by_category_gk,
        "hits": _table(result, "hit_rows", "hits", hit_cols),
        "nearby": _table(result, "nearby_rows", "nearby", near_cols),
        "verdict": result.verdict.to_dict() if hasattr(result.verdict, "to_dict") else result.verdict,
        **({"crossings": list(result.crossings)} if getattr(result, "project", {}).get("site_kind") in ("line", "mixed") else {}),
        **({"rasters": list(result.rasters)} if getattr(result, "rasters", None) else {}),
        **element_zones_dict(result),
        "warnings": list(result.warnings),
    })


_ELEMENT_COLS = ["kind", "name", "code", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"]
_ELEMENT_NEAR_COLS = ["kind", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction", "position"]


def element_zones_dict(result) -> dict:
    """``{"element_zones": {"hits", "nearby", "by_zone"}}`` when the store has element layers (else empty).

    ``by_zone`` sums the overlap (ellipsoidal and GK m²) per kind and zone type.
    """
    rows = list(getattr(result, "element_rows", None) or [])
    near = list(getattr(result, "element_nearby_rows", None) or [])
    layers = (getattr(result, "store", None) or {}).get("layers", {}) or {}
    if not rows and not near and not any(k in layers for k in ELEMENT_KINDS):
        return {}
    by_zone: dict[tuple[str, str], dict] = {}
    for r in rows:
        z = by_zone.setdefault((r["kind"], r["zone"]), {"kind": r["kind"], "zone": r["zone"], "zone_label": r["zone_label"],
                                                        "overlap_m2": 0.0, "overlap_gk_m2": 0.0, "features": 0})
        z["overlap_m2"] += r["overlap_m2"]
        z["overlap_gk_m2"] += r["overlap_gk_m2"]
        z["features"] += 1
    return {"element_zones": _clean({
        "hits": [{c: r.get(c) for c in _ELEMENT_COLS} for r in rows],
        "nearby": [{c: r.get(c) for c in _ELEMENT_NEAR_COLS} for r in near],
        "by_zone": list(by_zone.values()),
        "layers": [k for k in ELEMENT_KINDS if k in layers],
    })}


def result_to_json(result, path: str | os.PathLike | None = None) -> str:
    """JSON text of the report (UTF-8, Chinese kept readable); written to ``path`` when given."""
    text = json.dumps(result_to_dict(result), ensure_ascii=False, indent=2)
    if path is not None:
        from .io.outputs import store_of, write_text

        write_text(path, text, protect_also=store_of(result))
    return text


def summary_text(result, lang: str = "zh") -> str:
    """A few lines for the terminal: area, units, hits, nearby, verdict (``lang`` "zh" or "en")."""
    en = lang == "en"
    p = result.project
    lines = [
        (f"{'Project' if en else '项目'} {p.get('name') or p.get('source')}: {p['area_m2'] / 1e4:.2f} ha "
         f"({'ellipsoidal' if en else '椭球面'}), {p['area_gk_m2'] / 1e4:.2f} ha ({p['gk_crs']} {'GK plane' if en else '高斯平面'})"),
    ]
    cat = result.by_category
    names = ("priority", "key", "general", "outside") if en else ("优先保护", "重点管控", "一般管控", "范围外")
    lines.append(
        f"  {names[0]} {cat['priority'] / 1e4:.2f} ha | {names[1]} {cat['key'] / 1e4:.2f} ha | "
        f"{names[2]} {cat['general'] / 1e4:.2f} ha | {names[3]} {p['outside_coverage_m2'] / 1e4:.2f} ha"
    )
    for _, u in result.control_units.iterrows():
        label = u["category"] if en else u["category_label"]
        lines.append(f"  {u['code']} {u['name']} ({label}): {u['overlap_m2'] / 1e4:.2f} ha, {u['share_of_project']:.1%}")
    for _, h in result.hits.iterrows():
        kind = h["kind"].replace("_", " ") if en else KIND_LABELS_ZH[h["kind"]]
        lines.append(f"  {'occupies' if en else '占用'} {kind} {h['name']} {h['zone'] if en else h['zone_label']}: {h['overlap_m2'] / 1e4:.2f} ha")
    for _, n in result.nearby.iterrows():
        kind = n["kind"].replace("_", " ") if en else KIND_LABELS_ZH[n["kind"]]
        where = f"{n['distance_m'] / 1000:.1f} km {n['azimuth_deg']:.0f}°" if en else n["position"]
        lines.append(f"  {'nearby' if en else '周边'} {kind} {n['name']} {n['zone'] if en else n['zone_label']}: {where}")
    for r in getattr(result, "element_rows", None) or []:
        kind = r["kind"].replace("_", " ") if en else KIND_LABELS_ZH[r["kind"]]
        lines.append(f"  {'in' if en else '位于'} {kind} {r['name']} {r['zone'] if en else r['zone_label']}: "
                     f"{r['overlap_m2'] / 1e4:.2f} ha, {r['share_of_project']:.1%}")
    lines += raster_lines(getattr(result, "rasters", []), lang)
    lines += verdict_lines(result.verdict, getattr(result, "crossings", []), lang)
    lines += [f"  {'warning' if en else '警告'}: {w}" for w in result.warnings]
    return "\n".join(lines)


def raster_lines(rasters: list, lang: str = "zh") -> list[str]:
    """Terminal lines of the raster statistics: class areas or min/mean/max per raster."""
    en = lang == "en"
    lines = []
    for r in rasters:
        if r["kind"] == "classified":
            parts = [f"{c['label'] or c['value']} {c['area_m2'] / 1e4:.2f} ha ({c['share']:.1%})" for c in r["classes"]]
            lines.append(f"  {'raster' if en else '栅格'} {r['name']}: " + ("; ".join(parts) or ("no data" if en else "无数据")))
        else:
            s = r["stats"] or {}
            text = ("no data" if en else "无数据") if s.get("mean") is None else \
                f"min {s['min']:.6g} / mean {s['mean']:.6g} / max {s['max']:.6g}"
            lines.append(f"  {'raster' if en else '栅格'} {r['name']}: {text}")
    return lines


def _short(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def verdict_lines(verdict: dict, crossings: list | None = None, lang: str = "zh", max_deciding: int = 8) -> list[str]:
    """The verdict, its deciding clauses and any crossings as summary lines.

    A citation whose quoted words were not checked against the original text
    (``verified`` false) is marked ``（条文待核）`` / ``(citation unverified)``.
    """
    from .labels import unverified_mark
    from .rules.industry import catalogue_label
    from .verdict import DECISION_LABELS, kind_label

    en = lang == "en"
    labels = DECISION_LABELS["en" if en else "zh"]
    overall = verdict.get("overall", "")
    lines = [f"  {'Verdict' if en else '结论'}: {labels.get(overall, overall)} [{overall}]"]
    ind = verdict.get("industry")
    if ind:
        lines.append(f"  {'Industry' if en else '行业'}: {ind['name']} ({ind['code']}, "
                     f"{catalogue_label(ind, lang) or (ind['scheme'] if en else ind['scheme_label'])}; "
                     f"{ind['matched_by']} <- {ind['query']!r})")
    elif overall:
        lines.append("  Industry: not given (area-based findings, decision review)" if en
                     else "  行业: 未指定（按占地给出需人工核对的结论，可用 --industry 指定项目类别）")
    findings = {f["id"]: f for f in verdict.get("findings", [])}
    deciding = [findings[i] for i in verdict.get("deciding", []) if i in findings]
    if overall == "review":  # text clauses: a count and the first few, the JSON has them all
        max_deciding = min(max_deciding, 3)
    for f in deciding[:max_deciding]:
        rule = f.get("rule_en") if en and f.get("rule_en") else f.get("rule", "")
        cite = f" (…{f['citation'][-50:]})" if len(f.get("citation") or "") > 50 else f" ({f['citation']})" if f.get("citation") else ""
        if cite and f.get("verified") is False:
            cite += unverified_mark(lang)
        lines.append(f"   - [{f['decision']}] {kind_label(f['kind'], lang)} {f['name']}: {_short(rule)}{cite}")
        if f.get("follow_up") and not en:
            lines.append(f"     后续: {_short(f['follow_up'], 90)}")
    if verdict.get("national_major") is None and any(f.get("reason") == "national_major" for f in deciding):
        lines.append("   (national major project? say --national-major yes|no)" if en
                     else "   （是否国家重大项目？请用 --national-major yes|no 说明）")
    if len(deciding) > max_deciding:
        lines.append(f"   ... {len(deciding) - max_deciding} {'more deciding findings in the JSON report' if en else '条判定依据见 JSON 报告'}")
    counts = verdict.get("counts")
    if counts:  # not_applicable counted apart: what did not apply is not what complies
        lines.append("  " + ("findings" if en else "全部条款") + ": " + " | ".join(
            f"{labels.get(d, d)} {counts[d]}" for d in counts))
    for c in crossings or []:
        e, x = c["entry"], c["exit"]
        area = "" if c.get("area_m2") is None else f", {'area' if en else '占地'} {c['area_m2'] / 1e4:.4f} ha"
        lines.append(
            f"  {'crosses' if en else '穿越'} {c['zone'] if en else c['zone_label']} {c['name']}: "
            f"{'in' if en else '入'} {e['lon']:.6f},{e['lat']:.6f} (X {e['x_northing']:.2f}, Y {e['y_easting']:.2f}) "
            f"{'out' if en else '出'} {x['lon']:.6f},{x['lat']:.6f} (X {x['x_northing']:.2f}, Y {x['y_easting']:.2f}) {c['gk_crs']}, "
            f"{'length' if en else '长度'} {c['length_m']:.1f} m{area}"
        )
    return lines
