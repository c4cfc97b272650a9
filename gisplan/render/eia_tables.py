"""The tables of an EIA "与三线一单符合性分析" section, built once from a screening result.

The DOCX and XLSX renderers both draw these :class:`Table` objects, so the two
files always say the same. Cells keep raw values (floats stay floats, for Excel);
:func:`format_cell` turns them into the text printed in Word.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


from ..geo.geodesy import position_phrase
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
]

#: Cell formats: how a raw value is printed (Word) and its Excel number format.
FORMATS = {
    "text": (None, "@"),
    "ha": ("{:.4f}", "0.0000"),
    "pct": ("{:.2%}", "0.00%"),
    "m": ("{:,.0f}", "#,##0"),
    "m1": ("{:,.1f}", "#,##0.0"),
    "xy": ("{:.3f}", "0.000"),
    "deg": ("{:.6f}", "0.000000"),
    "count": ("{:d}", "0"),
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
    sections : dict of int to str
        Full-width heading rows: ``{i: text}`` is printed before body row ``i``
        (``i == len(rows)`` after the last); groups of findings use them.
    note : str
        A line printed under the table (what the table leaves out, the coordinate system ...).
    """

    key: str
    title: str
    columns: list[str]
    formats: list[str]
    rows: list[list] = field(default_factory=list)
    total: list | None = None
    sections: dict[int, str] = field(default_factory=dict)
    note: str = ""

    def text_rows(self) -> list[list[str]]:
        """Rows (and the total row) as printed text."""
        rows = self.rows + ([self.total] if self.total else [])
        return [[format_cell(v, f) for v, f in zip(row, self.formats)] for row in rows]


def format_cell(value, fmt: str = "text") -> str:
    """The printed text of a cell value (``—`` for missing values)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    pattern = FORMATS.get(fmt, FORMATS["text"])[0]
    if pattern and isinstance(value, (int, float)) and not isinstance(value, bool):
        return pattern.format(int(value) if fmt == "count" else value)
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


def _national_major_text(value, lang: str) -> str:
    if lang == "en":
        return {True: "yes", False: "no"}.get(value, "not stated (findings that depend on it are review)")
    return {True: "是", False: "否"}.get(value, "未说明（取决于此的判定为需人工核对）")


def industry_candidates_text(ind: dict | None, lang: str = "zh") -> str:
    """The other catalogue items the project type's words match ("" when they match one)."""
    others = [c for c in (ind or {}).get("candidates") or [] if not c.get("chosen")]
    if not others:
        return ""
    def item(c):
        n = c.get("catalogue_item")
        if lang == "en":
            return f"{c['code']} {c['name']}"
        return f"{'名录第' + str(n) + '项 ' if n is not None else ''}{c['code']} {c['name']}"
    listed = ("；" if lang == "zh" else "; ").join(item(c) for c in others)
    if lang == "en":
        return f"the words {ind.get('query')!r} also match: {listed}"
    return f"按「{ind.get('query')}」匹配；该词还可对应：{listed}"


def _summary(result, L: dict, lang: str) -> Table:
    p = result.project
    verdict = result.verdict or {}
    ind = verdict.get("industry")
    industry = industry_text(ind, lang)
    also = industry_candidates_text(ind, lang)
    if also:
        industry += ("。" if lang == "zh" else ". ") + also
    nature = p.get("construction_nature")
    if lang == "en":
        from ..project_info import CONSTRUCTION_NATURES_EN

        nature_text = CONSTRUCTION_NATURES_EN.get(nature, nature) if nature else None
    else:
        nature_text = p.get("construction_nature_label") or nature
    from .labels import crs_label, how_read

    rows = [
        [L["name"], project_name(result, lang)],
        [L["builder"], p.get("builder") or "—"],
        [L["project_code"], p.get("project_code") or "—"],
        [L["nature"], nature_text or "—"],
        [L["industry"], industry],
        [L["national_major"], _national_major_text((result.params or {}).get("national_major"), lang)],
        [L["location"], location_text(result, lang)],
        [L["site_kind"], _site_kind(result, L)],
        [L["area"], _area_text(p["area_m2"], lang)],
        [L["area_gk"].format(crs=p["gk_crs"]), _area_text(p["area_gk_m2"], lang)],
        [L["outside"], _area_text(p.get("outside_coverage_m2", 0.0), lang)],
        [L["crs"], crs_label(p.get("source_crs"), lang)],
        [L["crs_note"], how_read(p, lang)],
        [L["source"], site_file_name(p) or ("程序传入的几何图形" if lang == "zh" else "geometry given")],
    ]
    return Table("summary", L["t_summary"], [L["item"], L["value"]], ["text", "text"], rows)


#: Formats of sites given as geometry (no file behind them).
_GEOMETRY_FORMATS = ("shapely", "GeoDataFrame", "GeoSeries")


def site_file_name(project: dict) -> str:
    """The file the site was read from (its name only), or ``""`` for geometry given in code."""
    if project.get("format") in _GEOMETRY_FORMATS:
        return ""
    return _file_name(project.get("source"))


def project_name(result, lang: str = "zh") -> str:
    """The project's name as a report prints it: the form's or the site's name, else the file's, else 本项目."""
    p = result.project
    stem = site_file_name(p).rsplit(".", 1)[0]
    return p.get("name") or stem or ("本项目" if lang == "zh" else "The project")


def _file_name(path) -> str:
    """The file name of a path (a report never shows the folders of the machine that made it)."""
    if not path:
        return ""
    text = str(path)
    return text.replace("\\", "/").rsplit("/", 1)[-1]


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
        shown = [f.get("decision") for f in findings if f.get("decision") in order]
        if not shown:  # every rule there is not applicable (folded): never "complies"
            return "不适用" if lang == "zh" else "not applicable"
        return decision_label(min(shown, key=order.__getitem__), lang)
    return L["inconsistent"] if hit else L["consistent"]


def _units_sentence(result, L: dict, lang: str) -> str:
    cu = result.control_units
    if not len(cu):
        return "项目不在图层库的环境管控单元范围内" if lang == "zh" else "the site lies outside the store's control units"
    items = [f"{u['code']}（{u['name']}，{category_label(u['category'])}，占 {format_pct(u['share_of_project'])}）" if lang == "zh"
             else f"{u['code']} ({u['name']}, {category_label(u['category'], 'en').lower()}, {format_pct(u['share_of_project'])})"
             for _, u in cu.iterrows()]
    return ("项目位于环境管控单元 " + "、".join(items)) if lang == "zh" else ("the site lies in control unit(s) " + ", ".join(items))


#: Element kinds of the quality baseline (环境质量底线) and of the resource-use limit (资源利用上线).
_QUALITY_KINDS = ("air_zones", "water_zones", "soil_zones")
_RESOURCE_KINDS = ("resource_zones",)


def _zone_list(result, kinds: tuple[str, ...], lang: str) -> tuple[list[str], list[str]]:
    """(what the site lies in, per kind; kinds the store lacks) for the compliance table's rows."""
    from .labels import kind_label as words

    layers = (getattr(result, "store", None) or {}).get("layers", {}) or {}
    rows = list(getattr(result, "element_rows", None) or [])
    found, missing = [], []
    for kind in kinds:
        if kind not in layers and not any(r["kind"] == kind for r in rows):
            missing.append(words(kind, lang) if lang == "zh" else words(kind, lang).lower())
            continue
        labels = list(dict.fromkeys((r["zone_label"] if lang == "zh" else zone_label(r["zone"], None, "en"))
                                    for r in rows if r["kind"] == kind))
        if lang == "zh":
            found.append(f"{words(kind)}：{'、'.join(labels)}" if labels else f"{words(kind)}：不在库内该类分区范围内")
        else:
            found.append(f"{words(kind, 'en').lower()}: {', '.join(labels)}" if labels
                         else f"{words(kind, 'en').lower()}: in none of the store's zones")
    return found, missing


def _element_texts(result, units: str, ws_text: str, area: str, lang: str) -> tuple[str, str]:
    """The texts of the quality-baseline and resource-limit rows: the element zones used, or that none were."""
    quality_in, quality_missing = _zone_list(result, _QUALITY_KINDS, lang)
    resource_in, resource_missing = _zone_list(result, _RESOURCE_KINDS, lang)
    if lang == "zh":
        quality = f"{units}；{ws_text}"
        if quality_in:
            quality += "项目所在" + "；".join(quality_in) + "（见表“项目所在要素分区”）。"
        if quality_missing:
            quality += "、".join(quality_missing) + "数据未纳入本次筛查。"
        quality += "项目污染物排放须满足所在单元及分区的污染物排放管控要求。"
        resource = f"项目用地 {area} ha（椭球面）。"
        if resource_in:
            resource += "项目所在" + "；".join(resource_in) + "（高污染燃料禁燃区、地下水超采区等）。"
        else:
            resource += "高污染燃料禁燃区、地下水超采区等资源利用分区数据未纳入本次筛查。"
        resource += "能源、水资源利用总量上线须结合项目用能、用水资料分析。"
        return quality, resource
    quality = f"{units}; {ws_text} "
    if quality_in:
        quality += "Element zones: " + "; ".join(quality_in) + ". "
    if quality_missing:
        quality += ", ".join(quality_missing).capitalize() + " are not in this screening. "
    quality += "Emissions must meet the unit's and zones' pollutant-emission requirements."
    resource = f"The site uses {area} ha of land (ellipsoidal). "
    resource += ("Resource zones: " + "; ".join(resource_in) + ". ") if resource_in else \
        "No-burn and groundwater over-extraction zones are not in this screening. "
    resource += "Energy and water caps are to be assessed with the project's own data."
    return quality, resource


def _compliance(result, L: dict, lang: str) -> Table:
    red_text, red_hit = _kind_sentence(result, ("eco_redline", "protected_areas"), L, lang)
    ws_text, ws_hit = _kind_sentence(result, ("water_sources",), L, lang)
    units = _units_sentence(result, L, lang)
    area = format_ha(result.project["area_m2"])
    quality, resource = _element_texts(result, units, ws_text, area, lang)
    verdict = result.verdict or {}
    if verdict_shape(verdict) == "access":
        from ..finding_groups import FOLDED, SHOWN_DECISIONS, decision_counts_text

        decisions = [str(f.get("decision")) for f in verdict.get("findings", []) or []]
        counts = {d: decisions.count(d) for d in SHOWN_DECISIONS}
        counts[FOLDED] = sum(d not in SHOWN_DECISIONS for d in decisions)
        said = decision_counts_text(counts, lang) or ("无" if lang == "zh" else "none")
        access = (f"{units}；按所在单元及上级准入清单逐条判定（{said}，见表“{L['t_clauses']}”）。" if lang == "zh"
                  else f"{units}; checked clause by clause against the unit's and upper tiers' lists ({said}).")
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


def _statutory(frame):
    """The rows of a hits/nearby frame that are statutory zones of 三线一单 (the planning lines have their own table)."""
    from ..vocab import PLANNING_KINDS

    return frame[~frame["kind"].isin(PLANNING_KINDS)] if len(frame) else frame


def _position(result, L: dict, lang: str) -> Table:
    rows = []
    for _, h in _statutory(result.hits).iterrows():
        where = L["inside"] if h["share_of_project"] >= 0.9999 else L["occupies"].format(ha=format_ha(h["overlap_m2"]))
        rows.append([h["name"], kind_label(h["kind"], lang), leading_function(h["kind"], h["name"], lang),
                     zone_label(h["zone"], h["zone_label"], lang), "—", None, where])
    for _, n in _statutory(result.nearby).iterrows():
        direction = n["direction"] if lang == "zh" else _near_phrase(n, "en").split()[-1]
        rows.append([n["name"], kind_label(n["kind"], lang), leading_function(n["kind"], n["name"], lang),
                     zone_label(n["zone"], n["zone_label"], lang), direction, float(n["distance_m"]), _near_phrase(n, lang)])
    return Table("position", L["t_position"],
                 [L["feature_name"], L["kind"], L["function"], L["level"], L["direction"], L["distance_m"], L["position"]],
                 ["text", "text", "text", "text", "text", "m", "text"], rows)


def _hits(result, L: dict, lang: str) -> Table:
    rows = [[kind_label(h["kind"], lang), h["name"], zone_label(h["zone"], h["zone_label"], lang),
             h["overlap_m2"] / 1e4, h["overlap_gk_m2"] / 1e4, h["share_of_project"]] for _, h in _statutory(result.hits).iterrows()]
    return Table("hits", L["t_hits"],
                 [L["kind"], L["feature_name"], L["level"], L["overlap_ha"], L["overlap_gk_ha"], L["share"]],
                 ["text", "text", "text", "ha", "ha", "pct"], rows)


#: Feature names listed in one cell of the three-lines table before the rest are counted.
_LISTED_FEATURES = 8


def _three_line_features(line: dict, lang: str) -> str:
    """What the site occupies of one line: zones (or land classes) with their areas, then the features."""
    zh = lang == "zh"
    if not line["features"]:
        return "—"
    parts = []
    if line["line"] != "eco_redline":
        zones = [(z["zone_label"] if zh else zone_label(z["zone"], None, "en"), z["overlap_m2"]) for z in line["zones"]]
        parts.append(("、" if zh else ", ").join(f"{name} {format_ha(m2)} ha" for name, m2 in zones))
    names = list(dict.fromkeys(str(f["name"]) for f in line["features"]))
    shown = ("、" if zh else ", ").join(names[:_LISTED_FEATURES])
    if len(names) > _LISTED_FEATURES:
        shown += f"等 {len(names)} 个" if zh else f" and {len(names) - _LISTED_FEATURES} more"
    if line["line"] == "basic_farmland":
        shown = (f"图斑 {shown}" if zh else f"patches {shown}")
    elif line["line"] == "urban_boundary":
        shown = ""  # the boundary's features are its zones, named above
    parts.append(shown)
    return ("；" if zh else "; ").join(p for p in parts if p)


def _three_line_relation(line: dict, lang: str) -> str:
    """How the site lies relative to one line, in words (with the part outside the urban boundary)."""
    zh = lang == "zh"
    status = line["status"]
    if status == "no_layer":
        return "图层库未载入该图层，未作分析" if zh else "not in the store: not analysed"
    if status == "inside":
        return "项目位于其内" if zh else "the site lies inside"
    if status == "partial":
        rest = format_ha(line["outside_m2"] or 0.0)
        if line["line"] == "urban_boundary":
            return f"部分位于其内，其余 {rest} ha 位于城镇开发边界外" if zh else f"partly inside; {rest} ha outside it"
        return f"部分位于其内（其余 {rest} ha 在其外）" if zh else f"partly inside ({rest} ha outside)"
    near = line.get("nearest")
    if near:
        where = near["position"] if zh else position_phrase(float(near["azimuth_deg"]), float(near["distance_m"]), "en")
        return f"位于其外，最近处位于项目{where}" if zh else f"outside; the nearest lies {where}"
    km = (line.get("buffer_m") or 0) / 1000
    if zh:
        return f"位于其外（周边 {km:g} km 范围内无）" if km else "位于其外"
    return f"outside (none within {km:g} km)" if km else "outside"


def _three_lines(result, L: dict, lang: str) -> Table:
    """The site and the three control lines (项目与三区三线位置关系): one row per line."""
    from ..three_lines import three_lines_of

    zh = lang == "zh"
    rows = []
    for line in three_lines_of(result):
        near = line.get("nearest") or {}
        direction = (near.get("direction") if zh else _near_phrase(near, "en").split()[-1]) if near else "—"
        rows.append([kind_label(line["line"], lang), _three_line_relation(line, lang),
                     None if line["occupied_m2"] is None else line["occupied_m2"] / 1e4, line["share"],
                     _three_line_features(line, lang), direction, near.get("distance_m") if near else None])
    columns = (["控制线", "位置关系", "占用面积（ha，椭球面）", "占项目面积比例", "涉及分区或图斑", "方位", "最近距离（m）"] if zh
               else ["Control line", "Relation", "Area occupied (ha, ellipsoidal)", "Share of site", "Zones or patches",
                     "Direction", "Nearest distance (m)"])
    note = ("注：三区三线指生态保护红线、永久基本农田和城镇开发边界三条控制线；占用面积为 CGCS2000 椭球面面积；"
            "位于其外时，方位和最近距离为项目至该控制线最近处的方向和椭球面测地线距离。" if zh else
            "Note: the three control lines are the ecological redline, permanent basic farmland and the urban "
            "development boundary; areas are ellipsoidal (CGCS2000); when outside, direction and geodesic distance "
            "to the nearest point of the line.")
    return Table("three_lines", "项目与三区三线位置关系" if zh else "The site and the three control lines", columns,
                 ["text", "text", "ha", "pct", "text", "text", "m"], rows, note=note)


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
    columns = (["栅格图层（库内名称）", "类别/统计量", "值", "面积（ha，椭球面）", "占项目比例"] if zh
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
    rows = [[k, z, "\n".join(dict.fromkeys(codes)), a, agk, sh] for k, z, codes, a, agk, sh in sums.values()]
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


def marked_citation(f: dict, lang: str = "zh") -> str:
    """A finding's citation, marked ``（条文待核）`` when its quoted words were not checked against the original."""
    citation = str((f.get("citation_en") if lang == "en" else None) or f.get("citation") or "")
    if citation and f.get("verified") is False:
        citation += unverified_mark(lang)
    return citation


def _finding_rule(f: dict, lang: str, with_dimension: bool = True) -> str:
    rule = (f.get("rule_en") if lang == "en" else None) or f.get("rule") or f.get("clause") or f.get("text")
    if not rule:  # the area verdict names no clause: say which constraint it concerns
        zone = "" if f.get("zone") in (None, "", "redline") else zone_label(f["zone"], f.get("zone_label"), lang)
        rule = (f"空间布局约束：{finding_kind_label(f.get('kind', ''))}{zone}" if lang == "zh"
                else f"Spatial layout constraint: {finding_kind_label(f.get('kind', ''), 'en').lower()} {zone}".rstrip())
    dimension = f.get("dimension_label" if lang == "zh" else "dimension_label_en") or f.get("dimension")
    if dimension and with_dimension:
        rule = f"［{dimension}］{rule}" if lang == "zh" else f"[{dimension}] {rule}"
    citation = str((f.get("citation_en") if lang == "en" else None) or f.get("citation") or "")
    if citation:
        rule = f"{rule}（{citation}）" if lang == "zh" else f"{rule} ({citation})"
        if f.get("verified") is False:
            rule += unverified_mark(lang)
    return str(rule)


def finding_kind_label(kind: str, lang: str = "zh") -> str:
    """What a finding concerns, in words: a layer kind, the access list (准入清单) or the data range."""
    if kind == "access_list":
        return "生态环境准入清单" if lang == "zh" else "Access list"
    if kind == "coverage":
        return "数据范围与图层" if lang == "zh" else "Data range and layers"
    return kind_label(kind, lang)


def _finding_row(f: dict, lang: str, with_dimension: bool = True) -> list:
    """One finding: clause with citation | what the project does (and what follows from it) | decision.

    Only known keys are drawn (a rule file's bookkeeping keys never reach the report);
    ``follow_up`` (from the rule data) ends a prohibited or restricted finding.
    """
    from ..report import follow_up_text

    zh = lang == "zh"
    rule = _finding_rule(f, lang, with_dimension)
    what = [finding_kind_label(f["kind"], lang)] if f.get("kind") else []
    if f.get("name"):
        what.append(str(f["name"]))
    if f.get("zone") and f.get("zone") != "redline":
        zone = zone_label(f["zone"], f.get("zone_label"), lang)
        if zone != f.get("name"):  # a zone named by what it is (城镇开发边界外, 城镇集中建设区) is said once
            what.append(zone)
    if f.get("pa_label") and zh:
        what.append(str(f["pa_label"]))
    codes = [str(c) for c in (f.get("units") or [])] or [str(f[k]) for k in ("unit_code", "code") if f.get(k)]
    if codes and not any(c in " ".join(what) for c in codes):
        what.append(("单元 " + "、".join(codes)) if zh else "unit " + ", ".join(codes))
    if isinstance(f.get("overlap_m2"), (int, float)) and f["overlap_m2"]:
        what.append((f"占用 {format_ha(f['overlap_m2'])} ha") if zh else f"occupies {format_ha(f['overlap_m2'])} ha")
    if f.get("message") and zh:
        what = [str(f["message"])]
    text = ("，" if zh else ", ").join(what) or "—"
    follow = follow_up_text(f, lang) if f.get("decision") in ("prohibited", "restricted") else ""
    if follow:
        text += ("\n后续：" if zh else "\nNext: ") + follow
    return [rule, text, decision_label(f.get("decision", ""), lang)]


def _clauses(result, L: dict, lang: str) -> Table:
    """The findings, grouped (:func:`gisplan.finding_groups.group_findings`): a heading row per group with its
    counts, prohibited/restricted/review findings first, not-applicable ones folded into the count."""
    from ..finding_groups import FOLDED, decision_counts_text, group_findings

    findings = list((result.verdict or {}).get("findings", []) or [])
    rows: list[list] = []
    sections: dict[int, str] = {}
    folded_total = 0
    for g in group_findings(findings, lang):
        said = decision_counts_text(g["counts"], lang)
        if g["folded"]:
            said += ("；不适用条款未列出" if lang == "zh" else "; not-applicable clauses not listed")
        sections[len(rows)] = f"{g['label']}（{said}）" if lang == "zh" else f"{g['label']} ({said})"
        folded_total += g["counts"][FOLDED]
        rows += [_finding_row(findings[i], lang, with_dimension=False) for i in g["findings"]]
    if not findings:
        for _, u in result.control_units.iterrows():
            clause = (f"环境管控单元 {u['code']}（{u['name']}）生态环境准入清单：空间布局约束、污染物排放管控、环境风险防控、资源开发效率要求"
                      if lang == "zh" else
                      f"Access list of control unit {u['code']} ({u['name']}): spatial layout, emissions, environmental risk, resource efficiency")
            what = (f"项目位于该单元（{category_label(u['category'])}），占项目面积 {format_pct(u['share_of_project'])}" if lang == "zh"
                    else f"the site lies in this unit ({category_label(u['category'], 'en').lower()}), {format_pct(u['share_of_project'])} of its area")
            rows.append([clause, what, decision_label("review", lang)])
    note = ""
    if folded_total:
        note = (f"注：另有 {folded_total} 条条款对本项目不适用，未逐条列出。" if lang == "zh"
                else f"Note: {folded_total} clause(s) do not apply to this project and are not listed.")
    return Table("clauses", L["t_clauses"], [L["clause"], L["project_status"], L["applies"]], ["text"] * 3, rows,
                 sections=sections, note=note)


def _groups(result, L: dict, lang: str) -> Table:
    """Counts per decision in each group of findings (the reader's overview before the clauses)."""
    from ..finding_groups import FOLDED, SHOWN_DECISIONS, group_findings

    findings = list((result.verdict or {}).get("findings", []) or [])
    rows = [[g["label"], *[g["counts"][d] for d in SHOWN_DECISIONS], g["counts"][FOLDED]]
            for g in group_findings(findings, lang)]
    zh = lang == "zh"
    columns = ([L["group"], "禁止准入", "限制准入", "需人工核对", "允许", "不适用"] if zh
               else [L["group"], "prohibited", "restricted", "review", "allowed", "not applicable"])
    # the total row: what complied (允许) and what did not apply (不适用) side by side, zeros shown
    total = [L["total"], *[sum(r[i] for r in rows) for i in range(1, 6)]] if rows else None
    return Table("groups", L["t_groups"], columns, ["text"] + ["count"] * 5, rows, total)


def _crossings(result, L: dict, lang: str) -> Table:
    """Where a linear project enters and leaves each redline / protected / water-source zone (穿越情况)."""
    from .labels import crs_label

    zh = lang == "zh"
    rows = []
    crs = ""
    for i, c in enumerate(getattr(result, "crossings", None) or [], start=1):
        crs = crs or c.get("gk_crs", "")
        zone = zone_label(c.get("zone"), c.get("zone_label"), lang)
        where = f"{c['name']}（{zone}）" if zh else f"{c['name']} ({zone})"
        if c.get("zone") == "redline":
            where = str(c["name"])
        for which, point, first in (("entry", c["entry"], True), ("exit", c["exit"], False)):
            label = (("入点" if zh else "entry") if which == "entry" else ("出点" if zh else "exit"))
            if which == "entry" and c.get("starts_inside"):
                label += "（线路起点）" if zh else " (line starts inside)"
            if which == "exit" and c.get("ends_inside"):
                label += "（线路终点）" if zh else " (line ends inside)"
            rows.append([str(i) if first else "", where if first else "", label,
                         point["x_northing"], point["y_easting"], point["lon"], point["lat"],
                         c.get("length_m") if first else "", (c["area_m2"] / 1e4 if c.get("area_m2") is not None else None)
                         if first else ""])
    columns = (["序号", "穿越区域", "点位", "X（北坐标，m）", "Y（东坐标，m）", "经度（°）", "纬度（°）", "穿越长度（m）",
                "占用面积（ha）"] if zh else
               ["No.", "Zone crossed", "Point", "X (northing, m)", "Y (easting, m)", "Longitude (°)", "Latitude (°)",
                "Length inside (m)", "Area (ha)"])
    note = ""
    if crs:
        note = (f"注：X、Y 为 {crs_label(crs, 'zh')}平面坐标（X 为北坐标，Y 为东坐标），经纬度为 CGCS2000；"
                "穿越长度为中心线椭球面测地线长度，占用面积为廊道在该区域内的椭球面面积。" if zh else
                f"Note: X/Y in {crs_label(crs, 'en')} (X northing, Y easting); longitude/latitude CGCS2000; "
                "length along the centreline (geodesic), area of the corridor inside (ellipsoidal).")
    return Table("crossings", L["t_crossings"], columns,
                 ["text", "text", "text", "xy", "xy", "deg", "deg", "m1", "ha"], rows, note=note)


def params_text(params: dict, lang: str = "zh") -> str:
    """Screening parameters in words (``搜索半径 5000 m；廊道宽度 60 m``), unset ones left out."""
    p = params or {}
    zh = lang == "zh"
    parts = []
    for key, zh_word, en_word in (("buffer_m", "周边搜索距离", "search distance"), ("radius_m", "点位半径", "point radius"),
                                  ("width_m", "廊道宽度", "corridor width")):
        if isinstance(p.get(key), (int, float)):
            parts.append(f"{zh_word if zh else en_word} {p[key]:g} m")
    if p.get("source_crs"):
        parts.append(f"{'指定坐标系' if zh else 'source CRS'} {p['source_crs']}")
    if p.get("industry"):
        parts.append(f"{'项目类别（输入）' if zh else 'project type given'} {p['industry']}")
    if "national_major" in p:
        v = p.get("national_major")
        parts.append(f"国家重大项目：{ {True: '是', False: '否'}.get(v, '未说明') }" if zh
                     else f"national major project: { {True: 'yes', False: 'no'}.get(v, 'not stated') }")
    return ("；" if zh else "; ").join(parts) or "—"


def beijing_time(stamp: str | None) -> str:
    """An ISO time stamp as Beijing time (``2026-12-08 04:58（北京时间）``); ``—`` when not given.

    Examples
    --------
    >>> beijing_time("2026-12-07T20:58:17+00:00")
    '2026-12-08 04:58（北京时间）'
    """
    from datetime import datetime, timedelta, timezone

    if not stamp:
        return "—"
    try:
        t = datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") + "（北京时间）"


def layer_version_text(version: str, lang: str = "zh") -> str:
    """A store's layer version (``188 features, source sha256 …, imported …``) in words.

    Examples
    --------
    >>> layer_version_text("6 features, source sha256 0123456789ab, imported 2026-12-07T20:58:18+00:00")
    '6 个要素；源文件 SHA-256 0123456789ab；导入于 2026-12-08 04:58（北京时间）'
    """
    import re

    m = re.match(r"^(\d+) features, (.*), imported (\S+)$", str(version))
    if not m or lang != "zh":
        return str(version)
    n, origin, when = m.groups()
    if origin.startswith("source sha256 "):
        origin = "源文件 SHA-256 " + origin.split()[-1]
    elif "synthetic demo" in origin:
        origin = "来源：合成示例数据（非官方成果）"
    elif origin == "no source file":
        origin = "来源文件未记录"
    else:
        origin = f"来源：{_file_name(origin)}"
    return f"{n} 个要素；{origin}；导入于 {beijing_time(when)}"


def store_text(path) -> str:
    """The store as a report names it: its file name (a database URL only as its kind)."""
    text = str(path or "")
    if "://" in text:
        return text.split("://", 1)[0].replace("postgresql", "PostGIS").replace("postgres", "PostGIS") + " 数据库"
    return _file_name(text) or "—"


def _sources(result, L: dict, lang: str) -> Table:
    from .._version import __version__ as version

    layers = (result.store_info or {}).get("layers", {})
    rows = [[f"{L['layer']}：{kind_label(k, lang)}" if lang == "zh" else f"{L['layer']}: {kind_label(k, lang)}",
             layer_version_text(v, lang)] for k, v in layers.items()]
    rules = (result.verdict or {}).get("rules") or {}
    if rules.get("access_list_clauses") and lang == "zh":
        rows.append(["生态环境准入清单", f"库内条款 {rules['access_list_clauses']} 条"
                     + ("（示例清单，非官方）" if rules.get("access_list_demo") else "")])
    rows += [
        [L["store"], store_text((result.store_info or {}).get("path"))],
        [L["param"], params_text(result.params, lang)],
        [L["gisplan_version"], version],
        [L["generated"], beijing_time(result.generated_at) if lang == "zh" else (result.generated_at or "—")],
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
        ``summary``, ``units``, ``compliance``, ``position``, ``hits``, ``crossings`` (line sites that cross
        a zone), ``element_zones`` (only when the store has element-zone layers), ``rasters`` (only when the
        store has rasters), ``three_lines`` (项目与三区三线位置关系), ``groups``, ``clauses``, ``sources``.
    """
    L = labels(lang)
    rasters = [_rasters(result, lang)] if getattr(result, "rasters", None) else []
    elements = [_element_zones(result, lang)] if has_element_zones(result) else []
    crossings = [_crossings(result, L, lang)] if getattr(result, "crossings", None) else []
    return [_summary(result, L, lang), _units(result, L, lang), _compliance(result, L, lang),
            _position(result, L, lang), _hits(result, L, lang), *crossings, *elements, *rasters,
            _three_lines(result, L, lang), _groups(result, L, lang), _clauses(result, L, lang), _sources(result, L, lang)]


def footer_lines(result, lang: str = "zh") -> list[str]:
    """Footer text: gisplan version, date and store (the layer versions are in the sources table)."""
    from .._version import __version__ as version

    L = labels(lang)
    date = (beijing_time(result.generated_at)[:10] if lang == "zh" else (result.generated_at or "")[:10]) or "—"
    return [L["footer"].format(version=version, date=date, params=params_text(result.params, lang)),
            L["footer_layers"].format(store=store_text((result.store_info or {}).get("path")))]
