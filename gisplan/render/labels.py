"""Chinese and English wording of report tables, map legends and verdicts.

Chinese follows the wording of EIA reports (与"三线一单"符合性分析); English is a
plain translation for reviewers who do not read Chinese.
"""

from __future__ import annotations

from ..errors import InputError
from ..labels import DECISION_LABELS, decision_words
from ..vocab import CATEGORY_LABELS_ZH, KIND_LABELS_ZH, LEVEL_LABELS_ZH, ZONE_LABELS_ZH

__all__ = ["LANGS", "category_label", "check_lang", "decision_label", "kind_label", "labels", "zone_label"]

LANGS = ("zh", "en")

_ZH = {
    "section": "与“三线一单”符合性分析",
    "t_summary": "项目概况",
    "t_units": "项目涉及环境管控单元",
    "t_compliance": "项目与“三线一单”符合性分析",
    "t_position": "项目与周边生态环境敏感区位置关系",
    "t_hits": "项目占用生态环境敏感区情况",
    "t_clauses": "项目与生态环境准入清单符合性",
    "t_sources": "数据来源与参数",
    "fig_caption": "项目与环境管控单元位置关系图",
    "item": "项目", "value": "内容",
    "name": "项目名称", "location": "位置", "county": "所在区县", "centroid": "中心点坐标 (CGCS2000)",
    "site_kind": "项目范围", "area": "占地面积（椭球面）", "area_gk": "占地面积（高斯平面，{crs}）",
    "outside": "管控单元范围外面积", "industry": "项目类别", "crs": "坐标系", "crs_note": "坐标读取方式", "source": "范围文件",
    "kind_polygon": "面（用地红线）", "kind_point": "点，按半径 {r:g} m 圆形范围", "kind_line": "线，按宽度 {w:g} m 廊道",
    "code": "单元编码", "unit_name": "单元名称", "category": "管控类别", "overlap_ha": "占用面积 (ha，椭球面)",
    "overlap_gk_ha": "占用面积 (ha，高斯平面)", "share": "占项目面积比例", "total": "合计",
    "three_lines": "三线一单", "project_status": "本项目情况", "consistency": "相符性",
    "row_redline": "生态保护红线", "row_quality": "环境质量底线", "row_resource": "资源利用上线", "row_access": "生态环境准入清单",
    "feature_name": "名称", "kind": "类型", "function": "主导功能", "level": "级别/分区",
    "direction": "方位", "distance_m": "最近距离 (m)", "position": "与项目位置关系",
    "clause": "准入要求（条款及依据）", "applies": "是否适用 / 相符性",
    "layer": "图层", "version": "版本（要素数、来源校验、导入时间）",
    "param": "参数", "gisplan_version": "gisplan 版本", "generated": "生成时间", "store": "图层库",
    "overall": "筛查结论", "warnings": "注意事项", "none": "无",
    "consistent": "相符", "inconsistent": "不相符", "to_assess": "需结合相关资料分析",
    "occupies": "占用 {ha} ha", "inside": "项目位于其内",
    "unknown_function": "—",
    "footer": "gisplan {version} · 生成于 {date} · 参数：{params}",
    "footer_layers": "图层版本：{layers}",
    "demo_note": "注：图层为合成示例数据，非官方成果，仅用于演示。",
    "ha": "ha", "m2": "m²",
    # map
    "map_title": "{name}与“三线一单”环境管控单元位置关系图",
    "legend_site": "项目范围", "legend_buffer": "{km:g} km 范围", "legend_redline": "生态保护红线",
    "legend_protected": "自然保护地", "legend_water": "饮用水水源保护区", "north": "北",
    "crs_map": "坐标系：CGCS2000 / 3度带高斯-克吕格投影 {epsg}（中央经线 {cm}°E）",
    "inset_title": "项目在{county}的位置", "inset_title_plain": "项目区位",
    "scale_unit": "km", "demo_map": "示例数据（合成），非官方",
}

_EN = {
    "section": "Compliance with the \"three lines, one list\" zoning",
    "t_summary": "Project site",
    "t_units": "Environmental control units occupied",
    "t_compliance": "Compliance with the three lines and one list",
    "t_position": "Position of nearby ecologically sensitive areas",
    "t_hits": "Sensitive areas occupied by the site",
    "t_clauses": "Compliance with the ecological-environment access list",
    "t_sources": "Data sources and parameters",
    "fig_caption": "The site and the environmental control units",
    "item": "Item", "value": "Value",
    "name": "Project", "location": "Location", "county": "County", "centroid": "Centroid (CGCS2000)",
    "site_kind": "Site", "area": "Area (ellipsoidal)", "area_gk": "Area (Gauss-Kruger plane, {crs})",
    "outside": "Area outside the control units", "industry": "Project type", "crs": "Coordinate system", "crs_note": "How coordinates were read",
    "source": "Site file",
    "kind_polygon": "polygon (land boundary)", "kind_point": "point, disc of radius {r:g} m",
    "kind_line": "line, corridor {w:g} m wide",
    "code": "Unit code", "unit_name": "Unit name", "category": "Category", "overlap_ha": "Overlap (ha, ellipsoidal)",
    "overlap_gk_ha": "Overlap (ha, GK plane)", "share": "Share of site", "total": "Total",
    "three_lines": "Three lines, one list", "project_status": "This project", "consistency": "Compliance",
    "row_redline": "Ecological protection redline", "row_quality": "Environmental quality baseline",
    "row_resource": "Resource-use upper limit", "row_access": "Ecological-environment access list",
    "feature_name": "Name", "kind": "Type", "function": "Leading function", "level": "Level / zone",
    "direction": "Direction", "distance_m": "Nearest distance (m)", "position": "Position relative to the site",
    "clause": "Requirement (clause and source)", "applies": "Applies / compliance",
    "layer": "Layer", "version": "Version (features, source checksum, import time)",
    "param": "Parameter", "gisplan_version": "gisplan version", "generated": "Generated", "store": "Layer store",
    "overall": "Screening result", "warnings": "Warnings", "none": "none",
    "consistent": "complies", "inconsistent": "does not comply", "to_assess": "to be assessed with further data",
    "occupies": "occupies {ha} ha", "inside": "site lies inside",
    "unknown_function": "—",
    "footer": "gisplan {version} · generated {date} · parameters: {params}",
    "footer_layers": "Layer versions: {layers}",
    "demo_note": "Note: the layers are synthetic demo data, not official results.",
    "ha": "ha", "m2": "m²",
    "map_title": "{name}: location relative to the environmental control units",
    "legend_site": "Project site", "legend_buffer": "{km:g} km search radius", "legend_redline": "Ecological redline",
    "legend_protected": "Protected area", "legend_water": "Drinking-water source zone", "north": "N",
    "crs_map": "CRS: CGCS2000 / 3-degree Gauss-Kruger {epsg} (central meridian {cm}°E)",
    "inset_title": "Site in {county}", "inset_title_plain": "Site location",
    "scale_unit": "km", "demo_map": "synthetic demo data, not official",
}

_KINDS_EN = {
    "control_units": "Environmental control unit",
    "eco_redline": "Ecological protection redline",
    "protected_areas": "Protected area",
    "water_sources": "Drinking-water source protection zone",
}
_CATEGORIES_EN = {"priority": "Priority protection", "key": "Key control", "general": "General control"}
_ZONES_EN = {
    "core": "core zone", "buffer": "buffer zone", "experimental": "experimental zone",
    "core_protection": "core protection zone", "general_control": "general control zone",
    "core_scenic": "core scenic zone", "other_scenic": "other scenic zone",
    "level1": "level 1 zone", "level2": "level 2 zone", "quasi": "quasi-protection zone", "redline": "redline",
    "priority": "priority protection unit", "key": "key control unit", "general": "general control unit",
}
#: One wording per decision, defined once in :mod:`gisplan.labels` (the verdict uses it too).
_DECISIONS = DECISION_LABELS


def check_lang(lang: str) -> str:
    """Return ``lang`` when it is a supported report language.

    Raises
    ------
    InputError
        For any other value.
    """
    if lang not in LANGS:
        raise InputError(f"`lang` must be one of {', '.join(LANGS)}, got {lang!r}")
    return lang


def labels(lang: str = "zh") -> dict[str, str]:
    """All table, legend and footer wording in ``lang`` (``"zh"`` or ``"en"``)."""
    return dict(_ZH if check_lang(lang) == "zh" else _EN)


def kind_label(kind: str, lang: str = "zh") -> str:
    """Layer kind as words, e.g. ``生态保护红线``."""
    table = KIND_LABELS_ZH if lang == "zh" else _KINDS_EN
    return table.get(kind, str(kind))


def category_label(category: str, lang: str = "zh") -> str:
    """Control-unit category as words, e.g. ``优先保护单元``."""
    table = CATEGORY_LABELS_ZH if lang == "zh" else _CATEGORIES_EN
    return table.get(category, str(category))


def zone_label(zone: str, delivered: str | None = None, lang: str = "zh") -> str:
    """Protected-area zone or water-source level as words (the delivered label in Chinese)."""
    if lang == "zh":
        if delivered:
            return str(delivered)
        return {**ZONE_LABELS_ZH, **LEVEL_LABELS_ZH, **CATEGORY_LABELS_ZH, "redline": "生态保护红线"}.get(zone, str(zone))
    return _ZONES_EN.get(zone, str(delivered or zone))


def decision_label(decision: str, lang: str = "zh") -> str:
    """A verdict or finding decision as words; unknown decisions are shown as they are."""
    return decision_words(decision, "zh" if lang == "zh" else "en")
