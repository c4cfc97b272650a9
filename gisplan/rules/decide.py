"""The one place a verdict is decided: a site's overlaps in, the verdict out.

A single screening (:func:`gisplan.screen`) and every row of a batch
(:func:`gisplan.batch.screen_sites`) describe what a site overlaps as a
:class:`SiteOverlaps` and hand it to :func:`decide` with the
:class:`~gisplan.verdict.VerdictEngine` of the project type: the same
findings, the same overall decision, the same deciding rule. A batch row
keeps its summary (:func:`verdict_summary`: the overall decision, the first
deciding citation, the findings per decision).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..constants import MIN_OVERLAP_M2
from ..errors import InputError
from ..labels import unverified_mark
from ..verdict import (
    DECISION_LABELS,
    DECISIONS,
    REVIEW,
    VerdictEngine,
    missing_layer_findings,
    nothing_applies_finding,
    overall_decision,
    strictest,
    urban_outside_hit,
    zone_finding_key,
)
from ..vocab import FARMLAND_ZONE

__all__ = ["SiteOverlaps", "decide", "verdict_summary", "decide_sites", "batch_attributes"]

_OUTSIDE = "项目部分位于本系统环境管控单元数据范围外，范围外部分须对照所在地的环境管控单元及生态环境准入清单核对。"
_OUTSIDE_EN = "Part of the site lies outside the store's control units: check that part against the local units and lists."
_OUTSIDE_ALL = ("选址全部位于本系统环境管控单元数据范围外，本系统不作判定；须对照所在地的环境管控单元及生态环境准入清单"
                "核对。")
_OUTSIDE_ALL_EN = ("The site lies wholly outside the store's control units: gisplan gives no verdict; check it against "
                   "the local units and lists.")
#: The batch ``deciding`` cell of findings without a citation, in words.
_DECIDING_WORDS = {"verdict:nothing_applies": "未发现适用于本项目类型的规则或条款（不适用不等于相符）"}
_RANK = {d: -i for i, d in enumerate(DECISIONS)}  # prohibited 0 > restricted -1 > ... > not_applicable -4


@dataclass(frozen=True)
class SiteOverlaps:
    """What one site overlaps in a store: everything its verdict is decided from.

    Attributes
    ----------
    units : tuple of dict
        Control units the site occupies: ``code``, ``name``, ``category``,
        ``county``, ``overlap_m2``, ``feature_id`` (None when not known).
    hits : tuple of dict
        Zone features it occupies (redline, protected areas, water sources,
        basic farmland, urban boundary): ``kind``, ``name``, ``zone``,
        ``zone_label``, ``overlap_m2``, optional ``pa_type``, ``pa_level``,
        ``code``; a redline hit may carry ``redline_rest_m2`` and
        ``own_law_zones`` (its part outside zones that follow their own laws,
        自然资发〔2022〕142号 一、（一）).
    outside_m2 : float
        Site area outside the store's control units
        (:func:`gisplan.engine.coverage.outside_coverage`).
    has_units : bool
        Whether the store has control units (without them their extent is unknown).
    missing_kinds : tuple of str
        Layer kinds the verdict needs that the store lacks (a ``review`` finding each).
    elements : ElementSite, optional
        Where the site lies in the element zones (None: not computed).
    urban_outside_m2 : float, optional
        Site area outside every urban-boundary feature (None: the store has no
        urban-boundary layer).
    """

    units: tuple = ()
    hits: tuple = ()
    outside_m2: float = 0.0
    has_units: bool = True
    missing_kinds: tuple = ()
    elements: object = None
    urban_outside_m2: float | None = None


def decide(site: SiteOverlaps, engine: VerdictEngine) -> dict:
    """The verdict of one site: every finding, the overall decision and what decides it.

    For each control unit the site occupies, the access-list clauses of the
    unit and the tiers above it; for each zone feature, the statutory rule of
    the project type; the part outside the store's control units and each
    missing layer are ``review``. The overall decision is the strictest
    finding, never ``allowed`` from ``not_applicable`` findings alone.

    Parameters
    ----------
    site : SiteOverlaps
        What the site overlaps.
    engine : VerdictEngine
        The project type, rules and access list (one per store and project
        type; it keeps what it decided per unit and zone).

    Returns
    -------
    dict
        The JSON report's ``verdict``: ``overall``, ``overall_label``,
        ``industry``, ``findings`` (strictest first), ``features``,
        ``deciding``, ``counts``, ``national_major``, ``unverified_citations``,
        ``rules``. Planning kinds (basic farmland, urban boundary) give one
        finding per rule and zone (:func:`~gisplan.verdict.zone_finding_key`),
        naming the features and summing their areas.

    Examples
    --------
    >>> v = decide(SiteOverlaps(has_units=False), VerdictEngine(None, "公路"))
    >>> v["overall"], v["deciding"]
    ('review', ['verdict:nothing_applies'])
    """
    findings: dict[str, dict] = {}
    features = []
    elements = site.elements
    for u in site.units:
        fid = u.get("feature_id")
        unit_found = engine.unit_findings(u["code"], name=u["name"], category=u["category"], county=u.get("county", ""),
                                          feature_id=None if fid is None or fid != fid else int(fid))
        unit_found = engine.element_findings(unit_found, elements)
        for f in unit_found:
            if f["id"] in findings:
                findings[f["id"]]["units"] = sorted(set(findings[f["id"]]["units"]) | {u["code"]})
            else:
                findings[f["id"]] = dict(f, units=[u["code"]])
        decision = strictest(f["decision"] for f in unit_found)
        features.append({"kind": "control_units", "name": u["name"], "code": u["code"], "zone": u["category"],
                         "overlap_m2": float(u["overlap_m2"]), "decision": decision,
                         "deciding": [f["id"] for f in unit_found if f["decision"] == decision]})
    hits = list(site.hits)
    if site.urban_outside_m2 is not None and site.urban_outside_m2 > MIN_OVERLAP_M2:
        hits.append(urban_outside_hit(site.urban_outside_m2))
    for h in hits:
        f = engine.zone_finding(h["kind"], h["name"], h["zone"], h.get("zone_label", ""),
                                pa_type=h.get("pa_type"), pa_level=h.get("pa_level"))
        f = dict(f, overlap_m2=float(h["overlap_m2"]))
        f = engine.own_law_finding(f, _rest(h.get("redline_rest_m2")), h.get("own_law_zones"))
        fid = zone_finding_key(f["id"], h["kind"], h["name"], h["zone"])
        if fid in findings:  # a planning kind: one finding per zone, its features named in it
            findings[fid] = _merged_planning_finding(findings[fid], h["name"], float(h["overlap_m2"]))
        else:
            findings[fid] = dict(f, id=fid, rule_id=f["id"])
        features.append({"kind": h["kind"], "name": h["name"], "code": h.get("code") or "", "zone": h["zone"],
                         "overlap_m2": float(h["overlap_m2"]), "decision": f["decision"], "deciding": [fid]})
    if site.has_units and site.outside_m2 > 0:
        wholly = not site.units  # no control unit touched: the whole site is outside the data
        findings["coverage:outside"] = {"kind": "coverage", "name": "库内管控单元范围外", "zone": "outside",
                                        "zone_label": "范围外", "decision": REVIEW,
                                        "rule": _OUTSIDE_ALL if wholly else _OUTSIDE,
                                        "rule_en": _OUTSIDE_ALL_EN if wholly else _OUTSIDE_EN,
                                        "citation": "", "source": "", "article": "", "id": "coverage:outside",
                                        "tier": "", "dimension": "", "dimension_label": "",
                                        "overlap_m2": float(site.outside_m2)}
    for f in engine.statutory_element_findings(elements):
        findings[f["id"]] = f
        features.append({"kind": f["kind"], "name": f["name"], "code": "", "zone": f["zone"],
                         "overlap_m2": f["overlap_m2"], "decision": f["decision"], "deciding": [f["id"]]})
    for f in missing_layer_findings(site.missing_kinds):
        findings[f["id"]] = f
    if overall_decision(f["decision"] for f in findings.values()) != strictest(
            f["decision"] for f in findings.values()) or not findings:
        f = nothing_applies_finding()
        findings[f["id"]] = f
    listed = sorted(findings.values(), key=lambda f: -_RANK[f["decision"]])  # stable: found order within a decision
    overall = overall_decision(f["decision"] for f in listed)
    return {
        "overall": overall,
        "overall_label": DECISION_LABELS["zh"][overall],
        "industry": engine.match.to_dict() if engine.match else None,
        "findings": listed,
        "features": features,
        "deciding": [f["id"] for f in listed if f["decision"] == overall] if listed else [],
        "counts": {d: sum(f["decision"] == d for f in listed) for d in DECISIONS},
        "national_major": engine.national_major,
        "unverified_citations": sum(f.get("verified") is False for f in listed),
        "rules": engine.rules_info(),
    }


def verdict_summary(verdict: dict) -> tuple[str, str, dict]:
    """A batch row's summary of a verdict: the overall decision, the first deciding citation, findings per decision.

    The citation is the first deciding finding's (with the unverified mark when
    it could not be checked against the original), or, for a finding without
    one, its words (what a reviewer reads, never an internal id).

    Examples
    --------
    >>> verdict_summary(decide(SiteOverlaps(has_units=False), VerdictEngine(None, "公路")))[:2]
    ('review', '未发现适用于本项目类型的规则或条款（不适用不等于相符）')
    """
    overall = verdict["overall"]
    first = next((f for f in verdict["findings"] if f["decision"] == overall), None)
    cite = ""
    if first is not None:
        rule_id = first.get("rule_id") or first["id"]
        # a finding without a citation (outside the data, a missing layer, a unit without clauses): its words
        cite = first.get("citation") or _DECIDING_WORDS.get(rule_id) or first.get("rule") or rule_id
        if first.get("citation") and first.get("verified") is False:
            cite += unverified_mark("zh")
    return overall, cite, dict(verdict["counts"])


def _rest(value) -> float | None:
    """A redline_rest_m2 cell as a float, None when not computed."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if value != value else value


def _merged_planning_finding(found: dict, name: str, overlap_m2: float) -> dict:
    """A planning-kind finding that covers one more feature of the same zone (names kept, areas summed)."""
    names = list(found.get("names") or [found.get("name", "")])
    if name not in names:
        names.append(name)
    first = names[0]
    if found.get("kind") == "basic_farmland":
        label = first if len(names) == 1 else f"{first}等 {len(names)} 个图斑"
    else:
        label = "、".join(names[:3]) + (f"等 {len(names)} 处" if len(names) > 3 else "")
    return dict(found, name=label, names=names, overlap_m2=float(found.get("overlap_m2") or 0.0) + float(overlap_m2))


# -- many sites -------------------------------------------------------------------------------------------------

def batch_attributes(store, kind: str) -> list[str]:
    """The attribute columns :func:`decide_sites` reads of layer ``kind`` (``feature_id`` first).

    The schema's columns and the optional ones the store's layer has
    (:func:`~gisplan.verdict.present_optional_columns`).
    """
    from ..verdict import present_optional_columns

    if kind == "control_units":
        cols = ["feature_id", "code", "name", "category", "county"]
    else:
        cols = ["feature_id", "name"] + (["zone"] if kind in ("protected_areas", "urban_boundary") else
                                         ["level"] if kind == "water_sources" else [])
    return cols + present_optional_columns(store, kind)


def _zone_value(col: dict, fid: int, kind: str = "") -> str:
    if kind == "basic_farmland":
        return FARMLAND_ZONE
    return (col["zone"][fid] if "zone" in col else col["level"][fid] if "level" in col else None) or "redline"


def _zone_ref(kind: str, col: dict, fid: int) -> tuple:
    """``(kind, name, zone, pa_type, pa_level)`` of one zone feature (type and level empty but for protected areas)."""
    def text(name: str) -> str:
        value = col[name][fid] if name in col else None
        return "" if value is None or value != value else str(value)

    return (kind, col["name"][fid], _zone_value(col, fid, kind), text("pa_type"), text("pa_level"))


def decide_sites(store, ok, outside, pairs: list[tuple], industries: list, *, national_major: bool | None = None,
                 redline_split: dict | None = None, missing_kinds=(), elements: list | None = None,
                 urban_outside=None) -> tuple[list[str], list[str], list[str], list[str], list[dict]]:
    """Per-site verdicts of a batch: each site's :class:`SiteOverlaps` through :func:`decide`.

    Sites with the same project type, units, zones (and the same answers to
    the area thresholds: outside the units, outside the urban boundary, the
    redline's own-law split) get the same summary, decided once.

    Parameters
    ----------
    store : Store
    ok : ndarray of bool
        Sites that could be screened.
    outside : ndarray of float
        Site area outside the store's units (m²).
    pairs : list of (kind, site index, feature id, overlap m²)
        Overlaps of site pieces with features, as the batch computes them.
    industries : list of str or None
        Per site, the project type as given.
    national_major : bool or None
        Whether the projects are national major projects (None: unknown).
    redline_split : dict, optional
        ``{(site index, redline feature id): (rest m², [(kind, feature id), ...])}``:
        the part of a site's redline overlap outside protected-area and
        water-source zones and the zones covering the rest
        (:func:`gisplan.engine.single.redline_own_law`), for the sites that hit both.
    missing_kinds : iterable of str
        Layer kinds the store lacks (every site gets a ``review`` finding each).
    elements : list of ElementSite, optional
        Per site, where it lies in the element zones (:func:`gisplan.batch.element_sites`).
    urban_outside : ndarray of float, optional
        Per site, the area outside every urban-boundary feature (None: the store
        has no urban-boundary layer).

    Returns
    -------
    verdicts, industry labels, deciding citations, per-site errors (``""`` when none), per-site counts of
    findings per decision (``{}`` for a site that could not be screened)
    """
    import numpy as np

    from ..store.gpkg import attribute_columns
    from .access_list import AccessList

    n = len(ok)
    units_of: list[dict] = [{} for _ in range(n)]  # site -> {unit feature id: overlap}
    zones_of: list[dict] = [{} for _ in range(n)]  # site -> {(kind, feature id): overlap}
    attrs: dict[str, dict] = {}
    for kind in {p[0] for p in pairs}:
        cols = batch_attributes(store, kind)
        table = attribute_columns(store, kind, cols)
        ids = np.asarray(table["feature_id"], dtype=np.int64)
        attrs[kind] = {c: dict(zip(ids.tolist(), table[c])) for c in cols[1:]}
    split = {(int(a), int(b)): v for (a, b), v in (redline_split or {}).items()}
    by_kind: dict[str, list] = {}
    for kind, site_of, feature_of, overlap in pairs:
        by_kind.setdefault(kind, []).append((site_of, feature_of, overlap))
    for kind, parts in by_kind.items():
        s = np.concatenate([p[0] for p in parts]).astype(np.int64)
        f = np.concatenate([p[1] for p in parts]).astype(np.int64)
        a = np.concatenate([p[2] for p in parts])
        if len(s) == 0:
            continue
        width = int(f.max()) + 1
        uniq, inv = np.unique(s * width + f, return_inverse=True)
        sums = np.bincount(inv, weights=a)
        keep = sums > MIN_OVERLAP_M2
        for site, fid, area in zip((uniq[keep] // width).tolist(), (uniq[keep] % width).tolist(), sums[keep].tolist()):
            (units_of[site] if kind == "control_units" else zones_of[site])[(kind, fid)] = area
    has_units = store.has("control_units")
    engines: dict[str, VerdictEngine] = {}
    access = AccessList.from_store(store)
    verdicts, labels, deciding, errors, counts = [], [], [], [], []
    decided: dict[tuple, tuple[str, str, dict]] = {}
    for i in range(n):
        if not ok[i]:
            verdicts.append("error"), labels.append(""), deciding.append(""), errors.append(""), counts.append({})
            continue
        raw = industries[i]
        key = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw).strip()
        try:
            if key not in engines:
                engines[key] = VerdictEngine(store, key or None, access=access, national_major=national_major)
        except InputError as exc:
            verdicts.append("error"), labels.append(""), deciding.append(""), errors.append(str(exc)), counts.append({})
            continue
        engine = engines[key]
        col = attrs.get("control_units", {})
        units = sorted((((col["code"][fid], col["name"][fid], col["category"][fid], col["county"][fid], fid), a)
                        for (_, fid), a in units_of[i].items()), key=lambda u: u[0][0])  # by code, as ever: the batch's deciding cell
        zones = []
        for (kind, fid), a in zones_of[i].items():
            zone = _zone_ref(kind, attrs[kind], fid)
            if kind == "eco_redline" and (i, fid) in split:
                rest, own = split[(i, fid)]
                zone += (float(rest), tuple(_zone_ref(k, attrs[k], f) for k, f in own if k in attrs))
            zones.append((zone, a))
        site_elements = elements[i] if elements is not None else None
        beyond = float(urban_outside[i]) if urban_outside is not None else None
        case = (key, tuple(u for u, _ in units), tuple(z for z, _ in zones), bool(has_units and outside[i] > 0),
                site_elements, None if beyond is None else beyond > MIN_OVERLAP_M2)
        if case not in decided:  # most sites share a unit and industry with others
            site = SiteOverlaps(
                units=tuple({"code": u[0], "name": u[1], "category": u[2], "county": u[3], "feature_id": u[4],
                             "overlap_m2": a} for u, a in units),
                hits=tuple({"kind": z[0], "name": z[1], "zone": z[2], "pa_type": z[3], "pa_level": z[4],
                            "overlap_m2": a, **({"redline_rest_m2": z[5], "own_law_zones": z[6]} if len(z) > 5 else {})}
                           for z, a in zones),
                outside_m2=float(outside[i]), has_units=has_units, missing_kinds=tuple(missing_kinds),
                elements=site_elements, urban_outside_m2=beyond)
            decided[case] = verdict_summary(decide(site, engine))
        overall, cite, site_counts = decided[case]
        verdicts.append(overall)
        labels.append(f"{engine.industry.code} {engine.industry.name}" if engine.industry else "")
        deciding.append(cite)
        errors.append("")
        counts.append(site_counts)
    return verdicts, labels, deciding, errors, counts
