"""Where a site lies relative to the three control lines of territorial spatial planning (三条控制线).

The ecological protection redline (生态保护红线), permanent basic farmland
(永久基本农田) and the urban development boundary (城镇开发边界): for each, whether
the store has the layer, how much of the site lies inside it (ellipsoidal m²
and share), which features and zones it occupies, and, when the site lies
wholly outside, the nearest feature within the search distance with its
direction. One function, :func:`three_lines`, feeds the JSON (``three_lines``),
the DOCX/PDF/XLSX table 项目与三区三线位置关系 and the web page; it reads
only the screening's rows, never the store.
"""

from __future__ import annotations

from .constants import MIN_OVERLAP_M2
from .vocab import KIND_LABELS_ZH, PLANNING_KINDS, THREE_LINES

__all__ = ["three_lines", "three_lines_of", "nearby_to_mark", "STATUS_LABELS_ZH"]

#: How a site lies relative to one line, in words.
STATUS_LABELS_ZH = {"inside": "位于其内", "partial": "部分位于其内", "outside": "不涉及（位于其外）",
                    "no_layer": "图层库未载入该图层，未作分析"}


def _inside_status(area_m2: float, occupied_m2: float) -> str:
    """``inside``, ``partial`` or ``outside``: the rounding of the coverage test (1 m² or 1e-7 of the site)."""
    if occupied_m2 <= MIN_OVERLAP_M2:
        return "outside"
    rest = area_m2 - occupied_m2
    return "inside" if rest < max(1.0, 1e-7 * area_m2) else "partial"


def three_lines(hit_rows, nearby_rows, area_m2: float, layers, buffer_m: float | None = None) -> list[dict]:
    """The site and each of the three control lines.

    Parameters
    ----------
    hit_rows : list of dict
        The screening's zone hits (``kind``, ``name``, ``zone``, ``zone_label``,
        ``overlap_m2``, ``overlap_gk_m2``, ``share_of_project``, ``code``).
    nearby_rows : list of dict
        The screening's nearby features (``kind``, ``name``, ``distance_m``,
        ``azimuth_deg``, ``direction``, ``position``), nearest first.
    area_m2 : float
        The site's ellipsoidal area.
    layers : iterable of str
        The layer kinds of the store the screening read.
    buffer_m : float, optional
        The search distance of the nearby features.

    Returns
    -------
    list of dict
        One per line (redline, basic farmland, urban boundary): ``line`` (the
        layer kind), ``label``, ``in_store``, ``status`` (``inside``,
        ``partial``, ``outside`` or ``no_layer``), ``status_label``,
        ``occupied_m2``, ``occupied_gk_m2``, ``share``, ``outside_m2`` (the
        site's area outside the line), ``features`` (name, code, zone,
        zone_label, overlap_m2 of each feature occupied), ``zones`` (area per
        zone or land class: urban planning zones, farmland land classes),
        ``nearest`` (when the site lies wholly outside: the nearest feature
        within ``buffer_m``, else None) and ``buffer_m``.

    Examples
    --------
    >>> rows = three_lines([{"kind": "basic_farmland", "name": "2224010001", "zone": "farmland",
    ...                      "zone_label": "永久基本农田（水田）", "overlap_m2": 400.0, "overlap_gk_m2": 400.2,
    ...                      "share_of_project": 0.4}], [], 1000.0, ["eco_redline", "basic_farmland"], 5000.0)
    >>> [(r["line"], r["status"]) for r in rows]
    [('eco_redline', 'outside'), ('basic_farmland', 'partial'), ('urban_boundary', 'no_layer')]
    """
    layers = set(layers or ())
    out = []
    for kind in THREE_LINES:
        hits = [h for h in hit_rows if h.get("kind") == kind]
        occupied = float(sum(float(h.get("overlap_m2") or 0.0) for h in hits))
        occupied_gk = float(sum(float(h.get("overlap_gk_m2") or 0.0) for h in hits
                                if h.get("overlap_gk_m2") == h.get("overlap_gk_m2")))
        in_store = kind in layers or bool(hits)
        status = _inside_status(area_m2, occupied) if in_store else "no_layer"
        zones: dict[str, dict] = {}
        for h in hits:
            z = zones.setdefault(str(h.get("zone_label") or h.get("zone") or ""), {
                "zone": h.get("zone"), "zone_label": h.get("zone_label"), "overlap_m2": 0.0, "share": 0.0})
            z["overlap_m2"] += float(h.get("overlap_m2") or 0.0)
            z["share"] = z["overlap_m2"] / area_m2 if area_m2 else 0.0
        nearest = None
        if status == "outside":
            near = next((n for n in nearby_rows if n.get("kind") == kind), None)
            if near is not None:
                nearest = {k: near.get(k) for k in ("name", "code", "zone", "zone_label", "distance_m", "azimuth_deg",
                                                     "direction", "position")}
        out.append({
            "line": kind, "label": KIND_LABELS_ZH[kind], "in_store": in_store, "status": status,
            "status_label": STATUS_LABELS_ZH[status],
            "occupied_m2": occupied if in_store else None, "occupied_gk_m2": occupied_gk if in_store else None,
            "share": (occupied / area_m2 if area_m2 else 0.0) if in_store else None,
            "outside_m2": (0.0 if status == "inside" else max(area_m2 - occupied, 0.0)) if in_store else None,
            "features": [{k: h.get(k) for k in ("name", "code", "zone", "zone_label", "overlap_m2")} for h in hits],
            "zones": list(zones.values()),
            "nearest": nearest,
            "buffer_m": buffer_m,
        })
    return out


def three_lines_of(result) -> list[dict]:
    """:func:`three_lines` of a :class:`~gisplan.result.ScreeningResult` (its rows, store layers and search distance).

    A result read back from JSON gives them as the screening wrote them (its ``recorded`` copy).
    """
    recorded = (getattr(result, "recorded", None) or {}).get("three_lines")
    if recorded is not None:
        return [dict(line) for line in recorded]
    layers = ((getattr(result, "store", None) or {}).get("layers") or {}).keys()
    params = getattr(result, "parameters", None) or {}
    return three_lines(list(getattr(result, "hit_rows", None) or []), list(getattr(result, "nearby_rows", None) or []),
                       float(result.project["area_m2"]), layers, params.get("buffer_m"))


def nearby_to_mark(result):
    """The nearby features a map marks with a distance line: all but the "nearest other" basic-farmland patch or
    urban-boundary zone of a site that lies (partly) in one, as :func:`three_lines` gives the nearest feature only
    for a site outside the line. A frame as ``result.nearby``."""
    near = result.nearby
    if not len(near) or not len(result.hits):
        return near
    inside = set(result.hits["kind"]) & set(PLANNING_KINDS)
    return near[~near["kind"].isin(inside)]
