"""Render a screening result as JSON data and as a short human summary (no queries here)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from . import __version__
from .vocab import KIND_LABELS_ZH

__all__ = ["result_to_dict", "result_to_json", "summary_text"]


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
        "control_units": _records(result.control_units, unit_cols),
        "by_category": result.by_category,
        "by_category_gk": result.by_category_gk,
        "hits": _records(result.hits, hit_cols),
        "nearby": _records(result.nearby, near_cols),
        "verdict": result.verdict,
        "warnings": list(result.warnings),
    })


def result_to_json(result, path: str | os.PathLike | None = None) -> str:
    """JSON text of the report (UTF-8, Chinese kept readable); written to ``path`` when given."""
    text = json.dumps(result_to_dict(result), ensure_ascii=False, indent=2)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(str(path) + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    return text


def summary_text(result) -> str:
    """A few lines for the terminal: area, units, hits, nearby, verdict."""
    p = result.project
    lines = [
        f"项目 {p.get('name') or p.get('source')}: {p['area_m2'] / 1e4:.2f} ha (椭球面), "
        f"{p['area_gk_m2'] / 1e4:.2f} ha ({p['gk_crs']} 高斯平面)",
    ]
    cat = result.by_category
    lines.append(
        f"  优先保护 {cat['priority'] / 1e4:.2f} ha | 重点管控 {cat['key'] / 1e4:.2f} ha | "
        f"一般管控 {cat['general'] / 1e4:.2f} ha | 范围外 {p['outside_coverage_m2'] / 1e4:.2f} ha"
    )
    for _, u in result.control_units.iterrows():
        lines.append(f"  {u['code']} {u['name']} ({u['category_label']}): {u['overlap_m2'] / 1e4:.2f} ha, {u['share_of_project']:.1%}")
    for _, h in result.hits.iterrows():
        lines.append(f"  占用 {KIND_LABELS_ZH[h['kind']]} {h['name']} {h['zone_label']}: {h['overlap_m2'] / 1e4:.2f} ha")
    for _, n in result.nearby.iterrows():
        lines.append(f"  周边 {KIND_LABELS_ZH[n['kind']]} {n['name']} {n['zone_label']}: {n['position']}")
    lines.append(f"  结论: {result.verdict['overall']}")
    lines += [f"  警告: {w}" for w in result.warnings]
    return "\n".join(lines)
