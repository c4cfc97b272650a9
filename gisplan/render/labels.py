"""Chinese and English wording of report tables, map legends and verdicts.

Chinese follows the wording of EIA reports (与"三线一单"符合性分析); English is a
plain translation for reviewers who do not read Chinese.
"""

from __future__ import annotations

from ..errors import InputError
from ..labels import DECISION_LABELS, decision_words
from ..vocab import CATEGORY_LABELS_ZH, KIND_LABELS_ZH, LEVEL_LABELS_ZH, URBAN_ZONE_LABELS_ZH, ZONE_LABELS_ZH

__all__ = ["LANGS", "category_label", "check_lang", "decision_label", "kind_label", "labels", "zone_label", "crs_label",
           "how_read"]

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
    "outside": "管控单元范围外面积", "industry": "建设项目行业类别", "crs": "坐标系", "crs_note": "坐标读取方式",
    "source": "范围文件", "builder": "建设单位", "project_code": "项目代码", "nature": "建设性质",
    "national_major": "国家重大项目", "group": "类别", "t_groups": "项目与管控要求符合性判定汇总",
    "t_crossings": "线性工程穿越生态保护红线及保护区情况",
    "kind_polygon": "面（用地红线）", "kind_point": "点，按半径 {r:g} m 圆形范围", "kind_line": "线，按宽度 {w:g} m 廊道",
    "code": "单元编码", "unit_name": "单元名称", "category": "管控类别", "overlap_ha": "占用面积 (ha，椭球面)",
    "overlap_gk_ha": "占用面积 (ha，高斯平面)", "share": "占项目面积比例", "total": "合计",
    "three_lines": "三线一单", "project_status": "本项目情况", "consistency": "相符性",
    "row_redline": "生态保护红线", "row_quality": "环境质量底线", "row_resource": "资源利用上线", "row_access": "生态环境准入清单",
    "feature_name": "名称", "kind": "类型", "function": "主导功能", "level": "级别/分区",
    "direction": "方位", "distance_m": "最近距离 (m)", "position": "与项目位置关系",
    "clause": "准入要求（条款及依据）", "applies": "是否适用 / 相符性",
    "layer": "图层", "version": "版本（要素数、来源校验、导入时间）",
    "param": "筛查参数", "gisplan_version": "软件版本（gisplan）", "generated": "生成时间", "store": "图层库",
    "overall": "筛查结论", "warnings": "注意事项", "none": "无",
    "consistent": "相符", "inconsistent": "不相符", "to_assess": "需结合相关资料分析",
    "occupies": "占用 {ha} ha", "inside": "项目位于其内",
    "unknown_function": "—",
    "footer": "gisplan {version} 生成于 {date}；参数：{params}",
    "footer_layers": "图层库：{store}（各图层版本见“数据来源与参数”表）",
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
    "outside": "Area outside the control units", "industry": "Project type (EIA catalogue)", "crs": "Coordinate system",
    "crs_note": "How coordinates were read", "source": "Site file", "builder": "Developer", "project_code": "Project code",
    "nature": "Nature of construction", "national_major": "National major project", "group": "Group",
    "t_groups": "Findings by group", "t_crossings": "Crossings of the redline and protected zones",
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
    "footer_layers": "Layer store: {store} (layer versions in the sources table)",
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
    "basic_farmland": "Permanent basic farmland",
    "urban_boundary": "Urban development boundary",
}
_CATEGORIES_EN = {"priority": "Priority protection", "key": "Key control", "general": "General control"}
_ZONES_EN = {
    "core": "core zone", "buffer": "buffer zone", "experimental": "experimental zone",
    "core_protection": "core protection zone", "general_control": "general control zone",
    "core_scenic": "core scenic zone", "other_scenic": "other scenic zone",
    "level1": "level 1 zone", "level2": "level 2 zone", "quasi": "quasi-protection zone", "redline": "redline",
    "priority": "priority protection unit", "key": "key control unit", "general": "general control unit",
    "farmland": "permanent basic farmland", "concentrated": "concentrated construction zone",
    "flexible": "flexible development zone", "special": "special-use zone", "boundary": "urban boundary (not zoned)",
    "outside": "outside the urban boundary",
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
        return {**ZONE_LABELS_ZH, **LEVEL_LABELS_ZH, **CATEGORY_LABELS_ZH, **URBAN_ZONE_LABELS_ZH, "redline": "生态保护红线",
                "farmland": "永久基本农田", "outside": "城镇开发边界外"}.get(zone, str(zone))
    return _ZONES_EN.get(zone, str(delivered or zone))


def decision_label(decision: str, lang: str = "zh") -> str:
    """A verdict or finding decision as words; unknown decisions are shown as they are."""
    return decision_words(decision, "zh" if lang == "zh" else "en")


def crs_label(crs: str | None, lang: str = "zh") -> str:
    """A CRS as a reviewer names it (``CGCS2000 3度带高斯-克吕格投影 第42带（EPSG:4530）``); ``—`` when none.

    Examples
    --------
    >>> crs_label("EPSG:4552")
    'CGCS2000 3度带高斯-克吕格投影，中央经线 129°E（EPSG:4552）'
    >>> crs_label("EPSG:4490")
    'CGCS2000 地理坐标（经纬度，EPSG:4490）'
    """
    import re

    if not crs:
        return "—"
    text = str(crs)
    m = re.fullmatch(r"(?i)EPSG:(\d+)", text.strip())
    if not m:
        words = {"gcj02": "GCJ-02（高德、腾讯地图坐标）", "bd09": "BD-09（百度地图坐标）"}
        return words.get(text.lower(), text) if lang == "zh" else text
    code = int(m.group(1))
    try:
        from pyproj import CRS

        name = CRS.from_epsg(code).name
    except Exception:  # an EPSG code pyproj does not know: shown as it is
        return text
    if lang != "zh":
        return f"{name} ({text})"
    datum = {"CGCS2000": "CGCS2000", "China Geodetic Coordinate System 2000": "CGCS2000", "Xian 1980": "西安1980",
             "Beijing 1954": "北京1954", "WGS 84": "WGS84", "New Beijing": "新北京54"}
    base, _, proj = name.partition(" / ")
    base_zh = datum.get(base.strip(), base.strip())
    if not proj:
        return f"{base_zh} 地理坐标（经纬度，{text}）"
    width = "3度带" if proj.startswith("3-degree") else "6度带"
    zone = re.search(r"zone (\d+)", proj)
    cm = re.search(r"CM (\d+)E", proj)
    if "Gauss-Kruger" in proj and zone:
        return f"{base_zh} {width}高斯-克吕格投影 第{zone.group(1)}带（{text}）"
    if "Gauss-Kruger" in proj and cm:
        return f"{base_zh} {width}高斯-克吕格投影，中央经线 {cm.group(1)}°E（{text}）"
    utm = re.search(r"UTM zone (\d+)N", proj)
    if utm:
        return f"{base_zh} UTM 投影 第{utm.group(1)}带（{text}）"
    return f"{base_zh} 投影坐标（{text}）"


_FORMATS_ZH = {"shapely": "程序传入的几何图形", "GeoDataFrame": "程序传入的几何图形", "GeoJSON": "GeoJSON 文件", "KML": "KML 文件", "ESRI Shapefile": "Shapefile 文件", "GPKG": "GeoPackage 文件",
               "DXF": "CAD（DXF）图", "geometry": "几何对象"}


def how_read(project: dict, lang: str = "zh") -> str:
    """How the site's coordinates were read, in words (the note gisplan keeps, rendered for a report).

    Examples
    --------
    >>> how_read({"format": "GeoJSON", "crs_note": "GeoJSON is lon/lat by RFC 7946; read as CGCS2000"})
    'GeoJSON 文件，按规范为经纬度，按 CGCS2000 读取（WGS84 与 CGCS2000 相差厘米级）'
    """
    note = str(project.get("crs_note") or "")
    if lang != "zh":
        return note or "—"
    fmt = str(project.get("format") or "")
    what = _FORMATS_ZH.get(fmt) or ("拐点坐标表" if "corner table" in fmt else (f"{fmt} 文件" if fmt else "范围文件"))
    low = note.lower()
    parts = [what]
    if "rfc 7946" in low or "kml is wgs84" in low:
        parts.append("按规范为经纬度，按 CGCS2000 读取（WGS84 与 CGCS2000 相差厘米级）")
    elif "gcj-02" in low or "bd-09" in low:
        parts.append("由网络地图坐标（" + ("GCJ-02" if "gcj-02" in low else "BD-09") + "）转换为 CGCS2000")
    elif "detected from the easting prefix" in low:
        parts.append("按横坐标（Y）的带号判定投影带；X 为北坐标，Y 为东坐标")
    elif "(given)" in low or "--cm" in low:
        parts.append("按指定的坐标系读取" + ("（由中央经线确定）" if "--cm" in low else ""))
    elif "in degrees" in low:
        parts.append("经纬度（度），按 CGCS2000 读取")
    elif low.startswith("from "):
        parts.append("按文件自带的坐标系说明读取")
    elif note:
        parts.append("坐标系按文件读取")
    if "towgs84" in low or "bursa" in low:
        parts.append("按给定的七参数转换为 CGCS2000")
    elif "reprojected" in low and not any("转换" in p for p in parts):
        parts.append("已转换为 CGCS2000 经纬度")
    return "，".join(parts)
