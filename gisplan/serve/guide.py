"""Siting guidance for the page (``GET /api/guide``): faces and totals as GeoJSON, computed in a worker.

Kept in the worker per store snapshot and parameters (industry, national-major, county): a store replaced
by any tool is cut and decided anew; the same question on the same data is answered from the cache.
"""

from __future__ import annotations

import json

__all__ = ["guide_json", "CACHE_ENTRIES"]

#: Answers kept per worker (each a few MB of GeoJSON for a province); the oldest goes first.
CACHE_ENTRIES = 8


def guide_json(industry: str, national_major: bool | None = None, county: str | None = None) -> dict:
    """The faces of ``industry`` (simplified for display, a coverage: shared edges stay shared) and the area
    totals, as GeoJSON text: ``{"json": text}``, or ``{"error", "status"}`` for bad input."""
    from . import engine

    def run() -> dict:
        from ..engine.guide import guide
        from ..render.guide_map import GUIDE_COLOURS, _display
        from ..render.guide_tables import VERDICT_WORDS, guide_totals

        store = engine._store()
        kept: dict = engine._STATE.setdefault("guide", {})
        key = (str(industry).strip(), national_major, (county or "").strip() or None)
        found = kept.get(key)
        if found is not None and found[0] is store:
            return {"json": found[1]}
        frame = guide(store, key[0], national_major=national_major, county=key[2])
        shown = _display(frame)
        props = ["county", "county_code", "unit_code", "unit_name", "unit_category", "zones", "element_zones",
                 "verdict", "verdict_label", "deciding"]
        features = [{"type": "Feature", "geometry": geom.__geo_interface__,
                     "properties": {**{p: row[p] for p in props}, "area_km2": round(float(row["area_m2"]) / 1e6, 6)}}
                    for row, geom in zip(shown.to_dict("records"), shown.geometry)]
        info = engine._STATE.get("info") or {}
        doc = {"type": "FeatureCollection", "features": features, "industry": key[0],
               "industry_label": str(frame["industry"].iloc[0]) if len(frame) else "",
               "national_major": national_major, "county": key[2],
               "legend": [{"verdict": v, "label": VERDICT_WORDS[v], "colour": GUIDE_COLOURS[v]} for v in VERDICT_WORDS],
               "totals": guide_totals({key[0]: frame})[0],
               "demo": any("synthetic" in str(v) for v in (info.get("layers") or {}).values())}
        text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        for old in [k for k, v in kept.items() if v[0] is not store]:  # answers of a replaced store
            kept.pop(old)
        while len(kept) >= CACHE_ENTRIES:
            kept.pop(next(iter(kept)))
        kept[key] = (store, text)
        return {"json": text}

    return engine._guard(run, {})
