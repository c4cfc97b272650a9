"""The tables of an EIA "与三线一单符合性分析" section, built once from a screening result.

The DOCX and XLSX renderers both draw these :class:`Table` objects, so the two
files always say the same. Cells keep raw values (floats stay floats, for Excel);
:func:`format_cell` turns them into the text printed in Word.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from .._version import __version__
from ..geodesy import position_phrase
from ..labels import unverified_mark
from .labels import category_label, decision_label, kind_label, labels, zone_label

__all__ = [
    "Table",
    "eia_tables",
    "footer_lines",
    "format_cell",
    "format_ha",
    "format_pct",
    "is_demo",
    "location_text",
    "marked_citation",
    "verdict_shape",
    "counts_text",
]

#: Cell formats: how a raw value is printed (Word) and its Excel number format.
FORMATS = {
    "text": (None, "@"),
    "ha": ("{:.4f}", "0.0000"),
    "pct": ("{:.2%}", "0.00%"),
    "m": ("{:,.0f}", "#,##0"),
}
#: Decisions of the access-list shape (issue 4), strictest first; "conflict"/"clear" are the area verdict.
#: ``not_applicable`` (a clause that does not concern the project) is never an overall verdict and never "相符".
ACCESS_VERDICTS = ("prohibited", "restricted", "review", "allowed", "not_applicable")
_FUNCTION_WORDS = {
    "水源涵养": "water conservation", "生物多样性": "biodiversity maintenance", "水土保持": "soil and water conservation",
    "防风固沙": "windbreak and sand fixation", "水土流失": "soil-erosion control", "土地沙化": "desertification control",
    "石漠化": "rocky-desertification control", "盐渍化": "salinisation control", "海岸": "coastal stability",
    "湿地": "wetland protection", "森林": "forest ecosystem protection",
}
_FUNCTION_ZH = {"生物多样性": "生物多样性维护", "水土流失": "水土流失防控", "土地沙化": "土地沙化防控",
                "石漠化": "石漠化防控", "盐渍化": "盐渍化防控", "海岸": "海岸生态稳定", "湿地": "湿地保护",
                "森林": "森林生态保护"}


@dataclass
class Table:
    """One report table.

    Attributes
    ----------
    key : str
        Stable identifier (``summary``, ``units``, ``compliance``, ``position``,
        ``hits``, ``clauses``, ``sources``); XLSX sheet order follows the list.
    title : str
        Caption (``表 N`` is added by the DOCX renderer).
    columns : list of str
        Header cells.
    formats : list of str
        Per column, a key of :data:`FORMATS`.
    rows : list of list
        Raw cell values.
    total : list, optional
        A total row (printed bold), or None.
    """

    key: str
    title: str
    columns: list[str]
    formats: list[str]
    rows: list[list] = field(default_factory=list)
    total: list | None = None

    def text_rows(self) -> list[list[str]]:
        """Rows (and the total row) as printed text."""
        rows = self.rows + ([self.total] if self.total else [])
        return [[format_cell(v, f) for v, f in zip(row, self.formats)] for row in rows]


def format_cell(value, fmt: str = "text") -> str:
    """The printed text of a cell value (``—`` for missing values)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    pattern = FORMATS.get(fmt, FORMATS["text"])[0]
    if pattern and isinstance(value, (int, float)):
        return pattern.format(value)
    return str(value)


def format_ha(m2: float) -> str:
    """Square metres as hectares, the way every table prints them (4 decimals)."""
    return format_cell(m2 / 1e4, "ha")


def format_pct(share: float) -> str:
    """A share (0-1) as the tables print it."""
    return format_cell(share, "pct")


def is_demo(result) -> bool:
    """True when the store's layers are the synthetic demo (the report says so)."""
    return any("synthetic" in str(v) for v in (result.store_info or {}).get("layers", {}).values())


def verdict_shape(verdict: dict) -> str:
    """``"access"`` for the access-list verdict (issue 4), ``"area"`` for conflict/clear."""
    return "access" if str((verdict or {}).get("overall")) in ACCESS_VERDICTS else "area"


def _counties(result) -> list[str]:
    names: list[str] = []
    county = getattr(result, "county", None)
    if county is not None and len(county) and "county" in county.columns:
        names = [str(c) for c in county["county"] if isinstance(c, str) and c]
    if not names and len(result.control_units):
        names = [str(c) for c in result.control_units["county"].dropna().unique() if str(c)]
    return list(dict.fromkeys(names))


def location_text(result, lang: str = "zh") -> str:
    """County (when known) and centroid, e.g. ``延吉市；东经 129.630922°，北纬 42.898009°``."""
    lon, lat = result.project["centroid"]
    counties = _counties(result)
    if lang == "zh":
        where = "、".join(counties)
        xy = f"东经 {lon:.6f}°，北纬 {lat:.6f}°"
        return f"{where}；{xy}" if where else xy
    xy = f"E {lon:.6f}°, N {lat:.6f}°"
    return f"{', '.join(counties)}; {xy}" if counties else xy


def _area_text(m2: float, lang: str) -> str:
    return f"{format_ha(m2)} ha（{m2:,.2f} m²）" if lang == "zh" else f"{format_ha(m2)} ha ({m2:,.2f} m²)"


def _site_kind(result, L: dict) -> str:
    kind = result.project.get("site_kind")
    if kind == "point" and result.params.get("radius_m"):
        return L["kind_point"].format(r=result.params["radius_m"])
    if kind == "line" and result.params.get("width_m"):
        return L["kind_line"].format(w=result.params["width_m"])
    return L["kind_polygon"] if kind in (None, "polygon") else str(kind)


def industry_text(ind: dict | None, lang: str = "zh") -> str:
    """The project type as given, with its catalogue item (``公路（EIA2021-130；名录第130项（五十二、…））``)."""
    from ..rules.industry import catalogue_label

    if not ind:
        return "未指定（按占地判定）" if lang == "zh" else "not given (area-based findings)"
    where = catalogue_label(ind, lang) or (ind.get("scheme_label") if lang == "zh" else ind.get("scheme")) or ""
    if lang == "zh":
        return f"{ind.get('name', '')}（{ind.get('code', '')}；{where}）"
    return f"{ind.get('name', '')} ({ind.get('code', '')}; {where})"


def _summary(result, L: dict, lang: str) -> Table:
    p = result.project
    rows = [
        [L["name"], p.get("name") or p.get("source") or "—"],
        [L["location"], location_text(result, lang)],
        [L["site_kind"], _site_kind(result, L)],
        [L["area"], _area_text(p["area_m2"], lang)],
        [L["area_gk"].format(crs=p["gk_crs"]), _area_text(p["area_gk_m2"], lang)],
        [L["outside"], _area_text(p.get("outside_coverage_m2", 0.0), lang)],
        [L["industry"], industry_text((result.verdict or {}).get("industry"), lang)],
        [L["crs"], p.get("source_crs") or "—"],
        [L["crs_note"], p.get("crs_note") or "—"],
        [L["source"], p.get("source") or "—"],
    ]
    return Table("summary", L["t_summary"], [L["item"], L["value"]], ["text", "text"], rows)


def _units(result, L: dict, lang: str) -> Table:
    cu = result.control_units
    rows = [[u["code"], u["name"], category_label(u["category"], lang), u["county"],
             u["overlap_m2"] / 1e4, u["overlap_gk_m2"] / 1e4, u["share_of_project"]] for _, u in cu.iterrows()]
    total = None
    if len(cu) > 1:
        total = [L["total"], "", "", "", float(cu["overlap_m2"].sum()) / 1e4, float(cu["overlap_gk_m2"].sum()) / 1e4,
                 float(cu["share_of_project"].sum())]
    return Table("units", L["t_units"],
                 [L["code"], L["unit_name"], L["category"], L["county"], L["overlap_ha"], L["overlap_gk_ha"], L["share"]],
                 ["text", "text", "text", "text", "ha", "ha", "pct"], rows, total)


def leading_function(kind: str, name: str, lang: str = "zh") -> str:
    """The leading ecological function of a zone, read from its name (``—`` when not stated)."""
    if kind == "water_sources":
        return "饮用水水源保护" if lang == "zh" else "drinking-water supply"
    for word, en in _FUNCTION_WORDS.items():
        if word in str(name):
            return _FUNCTION_ZH.get(word, word) if lang == "zh" else en
    return "—"


def _hit_sentence(h, L: dict, lang: str) -> str:
    ha = format_ha(h["overlap_m2"])
    if lang == "zh":
        zone = "" if h["zone"] == "redline" else zone_label(h["zone"], h["zone_label"]) + " "
        return f"占用{kind_label(h['kind'])}「{h['name']}」{zone}{ha} ha（占项目 {format_pct(h['share_of_project'])}）"
    zone = "" if h["zone"] == "redline" else f"{zone_label(h['zone'], None, 'en')}; "
    return (f"occupies {ha} ha of {kind_label(h['kind'], 'en').lower()} \"{h['name']}\" "
            f"({zone}{format_pct(h['share_of_project'])} of the site)")


def _near_phrase(n, lang: str) -> str:
    if lang == "zh":
        return str(n["position"])
    return position_phrase(float(n["azimuth_deg"]), float(n["distance_m"]), "en")


def _kind_sentence(result, kinds: tuple[str, ...], L: dict, lang: str) -> tuple[str, bool]:
    """What the site does with some zone kinds: occupies them, or how far the nearest is."""
    hits = result.hits[result.hits["kind"].isin(kinds)]
    parts = [_hit_sentence(h, L, lang) for _, h in hits.iterrows()]
    names = ("、" if lang == "zh" else " or ").join(kind_label(k, lang) if lang == "zh" else kind_label(k, lang).lower() for k in kinds)
    if not parts:
        parts.append(f"项目不占用{names}" if lang == "zh" else f"the site does not occupy any {names}")
    near = result.nearby[result.nearby["kind"].isin(kinds)]
    buf_km = (result.params.get("buffer_m") or 0) / 1000
    for kind in kinds:
        sub = near[near["kind"] == kind]
        if len(sub):
            n = sub.iloc[0]
            zone = "" if n["zone"] == "redline" else zone_label(n["zone"], n["zone_label"])
            parts.append(f"最近的{kind_label(kind)}「{n['name']}」{zone}位于项目{_near_phrase(n, lang)}"
                         if lang == "zh" else
                         f"the nearest {kind_label(kind, 'en').lower()} \"{n['name']}\" lies {_near_phrase(n, lang)}")
        elif not (hits["kind"] == kind).any() and buf_km:
            parts.append(f"{buf_km:g} km 范围内无{kind_label(kind)}" if lang == "zh"
                         else f"no {kind_label(kind, 'en').lower()} within {buf_km:g} km")
    sep = "；" if lang == "zh" else "; "
    return sep.join(parts) + ("。" if lang == "zh" else "."), len(hits) > 0


def _kind_decision(result, kinds: tuple[str, ...], hit: bool, L: dict, lang: str) -> str:
    findings = [f for f in (result.verdict or {}).get("findings", []) if f.get("kind") in kinds]
    if findings and verdict_shape(result.verdict) == "access":
        order = {d: i for i, d in enumerate(ACCESS_VERDICTS)}
        worst = min((f.get("decision") for f in findings), key=lambda d: order.get(d, 99))
        return decision_label(worst, lang)
    return L["inconsistent"] if hit else L["consistent"]


def _units_sentence(result, L: dict, lang: str) -> str:
    cu = result.control_units
    if not len(cu):
        return "项目不在图层库的环境管控单元范围内" if lang == "zh" else "the site lies outside the store's control units"
    items = [f"{u['code']}（{u['name']}，{category_label(u['category'])}，占 {format_pct(u['share_of_project'])}）" if lang == "zh"
             else f"{u['code']} ({u['name']}, {category_label(u['category'], 'en').lower()}, {format_pct(u['share_of_project'])})"
             for _, u in cu.iterrows()]
    return ("项目位于环境管控单元 " + "、".join(items)) if lang == "zh" else ("the site lies in control unit(s) " + ", ".join(items))


def _compliance(result, L: dict, lang: str) -> Table:
    red_text, red_hit = _kind_sentence(result, ("eco_redline", "protected_areas"), L, lang)
    ws_text, ws_hit = _kind_sentence(result, ("water_sources",), L, lang)
    units = _units_sentence(result, L, lang)
    area = format_ha(result.project["area_m2"])
    if lang == "zh":
        quality = (f"{units}；{ws_text}大气、水环境质量底线分区数据未纳入本次筛查，项目污染物排放须满足所在单元污染物排放管控要求。")
        resource = (f"项目用地 {area} ha（椭球面）；能源、水资源利用上线及高污染燃料禁燃区、地下水超采区等分区数据未纳入本次筛查。")
    else:
        quality = (f"{units}; {ws_text} Air and water quality zones are not in this screening; emissions must meet "
                   "the unit's pollutant-emission requirements.")
        resource = (f"The site uses {area} ha of land (ellipsoidal); energy and water caps, no-burn zones and "
                    "groundwater over-extraction zones are not in this screening.")
    verdict = result.verdict or {}
    n = len(verdict.get("findings", []))
    n_na = sum(f.get("decision") == "not_applicable" for f in verdict.get("findings", []))
    if verdict_shape(verdict) == "access":
        na = (f"，其中 {n_na} 条不适用于本项目" if lang == "zh" else f", {n_na} of them not applicable") if n_na else ""
        access = (f"{units}；按所在单元及上级准入清单逐条判定，共 {n} 条判定依据{na}（见表“{L['t_clauses']}”）。"
                  if lang == "zh" else
                  f"{units}; checked clause by clause against the unit's and upper tiers' lists: {n} finding(s){na}.")
        access_dec = decision_label(verdict.get("overall"), lang)
    else:
        access = (f"{units}；须按所在单元准入清单（空间布局约束、污染物排放管控、环境风险防控、资源开发效率要求）逐条对照。"
                  if lang == "zh" else
                  f"{units}; check the unit's access list (spatial layout, emissions, environmental risk, resource efficiency) clause by clause.")
        access_dec = decision_label("review", lang) if not red_hit and not ws_hit else L["inconsistent"]
    if lang == "en":
        red_text, quality, access = (t[:1].upper() + t[1:] for t in (red_text, quality, access))
    rows = [
        [L["row_redline"], red_text, _kind_decision(result, ("eco_redline", "protected_areas"), red_hit, L, lang)],
        [L["row_quality"], quality, L["inconsistent"] if ws_hit else L["to_assess"]],
        [L["row_resource"], resource, L["to_assess"]],
        [L["row_access"], access, access_dec],
    ]
    return Table("compliance", L["t_compliance"], [L["three_lines"], L["project_status"], L["consistency"]],
                 ["text"] * 3, rows)


def _position(result, L: dict, lang: str) -> Table:
    rows = []
    for _, h in result.hits.iterrows():
        where = L["inside"] if h["share_of_project"] >= 0.9999 else L["occupies"].format(ha=format_ha(h["overlap_m2"]))
        rows.append([h["name"], kind_label(h["kind"], lang), leading_function(h["kind"], h["name"], lang),
                     zone_label(h["zone"], h["zone_label"], lang), "—", None, where])
    for _, n in result.nearby.iterrows():
        direction = n["direction"] if lang == "zh" else _near_phrase(n, "en").split()[-1]
        rows.append([n["name"], kind_label(n["kind"], lang), leading_function(n["kind"], n["name"], lang),
                     zone_label(n["zone"], n["zone_label"], lang), direction, float(n["distance_m"]), _near_phrase(n, lang)])
    return Table("position", L["t_position"],
                 [L["feature_name"], L["kind"], L["function"], L["level"], L["direction"], L["distance_m"], L["position"]],
                 ["text", "text", "text", "text", "text", "m", "text"], rows)


def _hits(result, L: dict, lang: str) -> Table:
    rows = [[kind_label(h["kind"], lang), h["name"], zone_label(h["zone"], h["zone_label"], lang),
             h["overlap_m2"] / 1e4, h["overlap_gk_m2"] / 1e4, h["share_of_project"]] for _, h in result.hits.iterrows()]
    return Table("hits", L["t_hits"],
                 [L["kind"], L["feature_name"], L["level"], L["overlap_ha"], L["overlap_gk_ha"], L["share"]],
                 ["text", "text", "text", "ha", "ha", "pct"], rows)


def _rasters(result, lang: str) -> Table:
    """Class areas (classified rasters) and min/mean/max (continuous ones) inside the site."""
    zh = lang == "zh"
    rows = []
    for r in result.rasters:
        if r["kind"] == "classified":
            rows += [[r["name"], c["label"] or str(c["value"]), str(c["value"]), c["area_m2"] / 1e4, c["share"]]
                     for c in r["classes"]]
        else:
            names = ("最小值", "平均值（按覆盖面积加权）", "最大值") if zh else ("min", "mean (coverage-area weighted)", "max")
            rows += [[r["name"], n, (r["stats"] or {}).get(k), None, None] for n, k in zip(names, ("min", "mean", "max"))]
    columns = (["栅格图层", "类别/统计量", "值", "面积（ha，椭球面）", "占项目比例"] if zh
               else ["Raster", "Class / statistic", "Value", "Area (ha, ellipsoidal)", "Share of site"])
    return Table("rasters", "项目占地类型（栅格图层）" if zh else "Land taken by class (raster layers)", columns,
                 ["text", "text", "text", "ha", "pct"], rows)


def _element_zones(result, lang: str) -> Table:
    """Area of the site in each element zone (要素分区) it overlaps, per kind and zone type."""
    from ..vocab import KIND_LABELS_ZH

    zh = lang == "zh"
    sums: dict[tuple[str, str], list] = {}
    for r in getattr(result, "element_rows", None) or []:
        row = sums.setdefault((r["kind"], r["zone"]), [KIND_LABELS_ZH.get(r["kind"], r["kind"]) if zh else
                                                       r["kind"].replace("_", " "), r["zone_label"] if zh else r["zone"],
                                                       [], 0.0, 0.0, 0.0])
        row[2].append(r.get("code") or r["name"])
        row[3] += r["overlap_m2"] / 1e4
        row[4] += r["overlap_gk_m2"] / 1e4
        row[5] += r["share_of_project"]
    rows = [[k, z, "、".join(dict.fromkeys(codes)), a, agk, sh] for k, z, codes, a, agk, sh in sums.values()]
    columns = (["要素", "要素分区", "分区编码", "占用面积（ha，椭球面）", "占用面积（ha，高斯平面）", "占项目比例"] if zh
               else ["Element", "Zone", "Zone codes", "Area (ha, ellipsoidal)", "Area (ha, GK plane)", "Share of site"])
    return Table("element_zones", "项目所在要素分区（环境质量底线、资源利用上线）" if zh
                 else "Element zones the site lies in (quality baseline, resource limit)", columns,
                 ["text", "text", "text", "ha", "ha", "pct"], rows)


def has_element_zones(result) -> bool:
    """Whether the screened store has element-zone layers (or the site lies in some)."""
    from ..vocab import ELEMENT_KINDS

    layers = (getattr(result, "store", None) or {}).get("layers", {}) or {}
    return bool(getattr(result, "element_rows", None)) or any(k in layers for k in ELEMENT_KINDS)


#: Finding keys drawn in their own place, or bookkeeping a reviewer does not need.
_FINDING_KEYS = {"kind", "name", "zone", "zone_label", "decision", "rule", "citation", "message", "overlap_m2",
                 "dimension", "dimension_label", "text", "clause", "id", "rule_id", "reason", "demo", "source",
                 "article", "tier", "units", "unit_code", "code", "quote", "own_law_m2", "element_zone", "element_state"}


def marked_citation(f: dict, lang: str = "zh") -> str:
    """A finding's citation, marked ``（条文待核）`` when its quoted words were not checked against the original."""
    citation = str((f.get("citation_en") if lang == "en" else None) or f.get("citation") or "")
    if citation and f.get("verified") is False:
        citation += unverified_mark(lang)
    return citation


def _finding_rule(f: dict, lang: str) -> str:
    rule = (f.get("rule_en") if lang == "en" else None) or f.get("rule") or f.get("clause") or f.get("text")
    if not rule:  # the area verdict names no clause: say which constraint it concerns
        zone = "" if f.get("zone") in (None, "", "redline") else zone_label(f["zone"], f.get("zone_label"), lang)
        rule = (f"空间布局约束：{kind_label(f.get('kind', ''))}{zone}" if lang == "zh"
                else f"Spatial layout constraint: {kind_label(f.get('kind', ''), 'en').lower()} {zone}".rstrip())
    dimension = f.get("dimension_label" if lang == "zh" else "dimension_label_en") or f.get("dimension")
    if dimension:
        rule = f"［{dimension}］{rule}" if lang == "zh" else f"[{dimension}] {rule}"
    citation = str((f.get("citation_en") if lang == "en" else None) or f.get("citation") or "")
    if citation:
        rule = f"{rule}（{citation}）" if lang == "zh" else f"{rule} ({citation})"
        if f.get("verified") is False:
            rule += unverified_mark(lang)
    return str(rule)


def _finding_row(f: dict, lang: str) -> list:
    """One access-list finding: clause with citation | what the project does | decision.

    Renders any finding dict: known keys in place, other plain values as ``key: value``.
    """
    rule = _finding_rule(f, lang)
    what = [kind_label(f["kind"], lang)] if f.get("kind") else []
    if f.get("name"):
        what.append(str(f["name"]))
    if f.get("zone") and f.get("zone") != "redline":
        what.append(zone_label(f["zone"], f.get("zone_label"), lang))
    codes = [str(c) for c in (f.get("units") or [])] or [str(f[k]) for k in ("unit_code", "code") if f.get(k)]
    if codes and not any(c in " ".join(what) for c in codes):
        what.append(("单元 " if lang == "zh" else "unit ") + "、".join(codes) if lang == "zh" else "unit " + ", ".join(codes))
    if isinstance(f.get("overlap_m2"), (int, float)) and f["overlap_m2"]:
        what.append((f"占用 {format_ha(f['overlap_m2'])} ha") if lang == "zh" else f"occupies {format_ha(f['overlap_m2'])} ha")
    if f.get("message") and lang == "zh":
        what = [str(f["message"])]
    what += [f"{k}: {v}" for k, v in f.items()
             if k not in _FINDING_KEYS and not k.endswith(("_en", "_zh", "_label"))
             and v not in (None, "") and not isinstance(v, (bool, dict, list))]
    return [rule, ("，" if lang == "zh" else ", ").join(what) or "—", decision_label(f.get("decision", ""), lang)]


def counts_text(verdict: dict, lang: str = "zh") -> str:
    """Findings per decision in words (``禁止准入（不相符） 0 条，……，不适用 13 条``); ``""`` without counts.

    ``not_applicable`` is counted apart from ``allowed``: a clause that does not
    concern the project is not one it complies with.
    """
    counts = (verdict or {}).get("counts") or {}
    if not counts:
        return ""
    if lang == "zh":
        return "，".join(f"{decision_label(d, lang)} {counts[d]} 条" for d in ACCESS_VERDICTS if d in counts)
    return ", ".join(f"{decision_label(d, lang)} {counts[d]}" for d in ACCESS_VERDICTS if d in counts)


def _clauses(result, L: dict, lang: str) -> Table:
    findings = (result.verdict or {}).get("findings", []) or []
    rows = [_finding_row(f, lang) for f in findings]
    if not rows:
        for _, u in result.control_units.iterrows():
            clause = (f"环境管控单元 {u['code']}（{u['name']}）生态环境准入清单：空间布局约束、污染物排放管控、环境风险防控、资源开发效率要求"
                      if lang == "zh" else
                      f"Access list of control unit {u['code']} ({u['name']}): spatial layout, emissions, environmental risk, resource efficiency")
            what = (f"项目位于该单元（{category_label(u['category'])}），占项目面积 {format_pct(u['share_of_project'])}" if lang == "zh"
                    else f"the site lies in this unit ({category_label(u['category'], 'en').lower()}), {format_pct(u['share_of_project'])} of its area")
            rows.append([clause, what, decision_label("review", lang)])
    counts = counts_text(result.verdict or {}, lang) if findings else ""
    total = [L["total"], counts, ""] if counts else None
    return Table("clauses", L["t_clauses"], [L["clause"], L["project_status"], L["applies"]], ["text"] * 3, rows,
                 total)


def params_text(params: dict) -> str:
    """Screening parameters as one line (``buffer_m=5000, radius_m=500``), unset ones left out."""
    return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in (params or {}).items() if v is not None) or "—"


def _sources(result, L: dict, lang: str) -> Table:
    rows = [[f"{L['layer']}: {kind_label(k, lang)} ({k})", v] for k, v in (result.store_info or {}).get("layers", {}).items()]
    rows += [
        [L["store"], (result.store_info or {}).get("path", "—")],
        [L["param"], params_text(result.params)],
        [L["gisplan_version"], __version__],
        [L["generated"], result.generated_at or "—"],
    ]
    return Table("sources", L["t_sources"], [L["item"], L["value"]], ["text", "text"], rows)


def eia_tables(result, lang: str = "zh") -> list[Table]:
    """All report tables of a screening result, in report order.

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}

    Returns
    -------
    list of Table
        ``summary``, ``units``, ``compliance``, ``position``, ``hits``, ``element_zones`` (only when
        the store has element-zone layers), ``rasters`` (only when the store has rasters), ``clauses``, ``sources``.
    """
    L = labels(lang)
    rasters = [_rasters(result, lang)] if getattr(result, "rasters", None) else []
    elements = [_element_zones(result, lang)] if has_element_zones(result) else []
    return [_summary(result, L, lang), _units(result, L, lang), _compliance(result, L, lang),
            _position(result, L, lang), _hits(result, L, lang), *elements, *rasters, _clauses(result, L, lang),
            _sources(result, L, lang)]


def footer_lines(result, lang: str = "zh") -> list[str]:
    """Footer text: gisplan version, date and parameters; the store's layer versions."""
    L = labels(lang)
    date = (result.generated_at or "")[:10] or "—"
    layers = (result.store_info or {}).get("layers", {})
    layer_text = "; ".join(f"{k}: {v}" for k, v in layers.items()) or "—"
    return [L["footer"].format(version=__version__, date=date, params=params_text(result.params)),
            L["footer_layers"].format(layers=layer_text)]


def _json_default(value):  # pragma: no cover - only for odd finding values
    return str(value)


def findings_json(result) -> str:
    """The verdict as JSON text (kept in the XLSX for machines)."""
    return json.dumps(result.verdict, ensure_ascii=False, default=_json_default)
