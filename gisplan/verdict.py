"""The screening verdict (area-based for now; rule-based decisions come later with the same shape)."""

from __future__ import annotations

import pandas as pd

from .vocab import KIND_LABELS_ZH

__all__ = ["screening_verdict", "CONFLICT", "CLEAR"]

CONFLICT = "conflict"
CLEAR = "clear"


def screening_verdict(hits: pd.DataFrame) -> dict:
    """``conflict`` when the site occupies the redline, a protected area or a water-source zone.

    Returns
    -------
    dict
        ``{"overall": "conflict"|"clear", "findings": [{"kind", "name", "zone",
        "zone_label", "decision", "overlap_m2", "message"}]}``
    """
    findings = []
    for _, h in hits.iterrows():
        findings.append({
            "kind": h["kind"], "name": h["name"], "zone": h["zone"], "zone_label": h["zone_label"],
            "decision": CONFLICT, "overlap_m2": float(h["overlap_m2"]),
            "message": f"项目占用{KIND_LABELS_ZH[h['kind']]}「{h['name']}」{h['zone_label']} {h['overlap_m2'] / 1e4:.4f} ha",
        })
    return {"overall": CONFLICT if findings else CLEAR, "findings": findings}
