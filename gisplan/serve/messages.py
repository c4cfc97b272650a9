"""What the page says, in its own words: library messages mapped to page messages in Chinese and English.

The library's messages stay as they are: they are English and name API
parameters (```source_crs```), which is right for a script or the command
line. The page has fields, not parameters, and speaks the reader's language.
:func:`page_message` recognises a library message (or a server refusal) and
returns ``{"code", "zh", "en"}``: the same facts, naming the page's field
(“坐标系”, “点位半径”) and the file as the user named it. A message nobody
foresaw gets a plain page message of its kind (never English in Chinese
mode); its English form keeps the library's words with the parameters
renamed to the page's fields.

:func:`crs_choices` lists the coordinate systems the page's “坐标系” field
offers, with the words the messages use to name them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["FIELDS", "MESSAGES", "NOTES", "crs_choices", "crs_choice_label", "crs_note_words", "page_message", "page_note"]

#: The page's fields, as messages name them.
FIELDS = {
    "source_crs": ("“坐标系”", "the “CRS” field"),
    "radius": ("“点位半径”", "“Point radius”"),
    "width": ("“线路宽度”", "“Corridor width”"),
    "buffer": ("“周边搜索距离”", "“Search distance”"),
    "industry": ("“行业”", "“Industry”"),
    "layer": ("“图层或工作表”", "“Layer or sheet”"),
    "encoding": ("“文字编码”", "“Text encoding”"),
    "dxf_layer": ("“图层或工作表”", "“Layer or sheet”"),
    "national_major": ("“国家重大项目”", "“National major project”"),
    "project_name": ("“项目名称”", "“Project name”"),
    "builder": ("“建设单位”", "“Builder”"),
    "project_code": ("“项目代码”", "“Project code”"),
    "construction_nature": ("“建设性质”", "“Nature of construction”"),
}


def crs_choice_label(epsg: int | None, lang: str = "zh") -> str:
    """How the “坐标系” field names a CGCS2000 3-degree Gauss-Kruger system (EPSG:4513-4554).

    Examples
    --------
    >>> crs_choice_label(4531), crs_choice_label(4552), crs_choice_label(4552, "en")
    ('CGCS2000 3度带 第43带', 'CGCS2000 3度带 中央经线 129°E', 'CGCS2000 3-degree GK, central meridian 129°E')
    """
    if epsg is not None and 4513 <= epsg <= 4533:
        zone = epsg - 4513 + 25
        return f"CGCS2000 3度带 第{zone}带" if lang == "zh" else f"CGCS2000 3-degree GK zone {zone}"
    if epsg is not None and 4534 <= epsg <= 4554:
        cm = 75 + 3 * (epsg - 4534)
        return f"CGCS2000 3度带 中央经线 {cm}°E" if lang == "zh" else f"CGCS2000 3-degree GK, central meridian {cm}°E"
    names = {4490: ("CGCS2000 经纬度", "CGCS2000 longitude/latitude"), 4326: ("WGS84 经纬度", "WGS84 longitude/latitude")}
    if epsg in names:
        return names[epsg][0 if lang == "zh" else 1]
    return f"EPSG:{epsg}"


def crs_choices() -> list[dict]:
    """The choices of the page's “坐标系” field: ``{"value", "zh", "en", "group"}``, in the order shown.

    ``value`` is what the field sends (``""`` for "as the file says"); ``group``
    is ``common``, ``zone`` (3-degree zones with the zone number in the easting)
    or ``cm`` (by central meridian, no zone number).
    """
    out = [
        {"value": "", "zh": "自动（按文件或坐标数值判断）", "en": "Automatic (as the file says, or by the numbers)",
         "group": "common"},
        {"value": "EPSG:4490", "zh": crs_choice_label(4490), "en": crs_choice_label(4490, "en"), "group": "common"},
        {"value": "EPSG:4326", "zh": crs_choice_label(4326), "en": crs_choice_label(4326, "en"), "group": "common"},
        {"value": "gcj02", "zh": "GCJ-02 经纬度（高德、腾讯地图）", "en": "GCJ-02 longitude/latitude (AMap, Tencent)",
         "group": "common"},
        {"value": "bd09", "zh": "BD-09 经纬度（百度地图）", "en": "BD-09 longitude/latitude (Baidu)", "group": "common"},
    ]
    out += [{"value": f"EPSG:{e}", "zh": crs_choice_label(e), "en": crs_choice_label(e, "en"), "group": "zone"}
            for e in range(4513, 4534)]
    out += [{"value": f"EPSG:{e}", "zh": crs_choice_label(e), "en": crs_choice_label(e, "en"), "group": "cm"}
            for e in range(4534, 4555)]
    return out


@dataclass(frozen=True)
class _Message:
    code: str
    pattern: re.Pattern
    zh: str
    en: str


def _m(code: str, pattern: str, zh: str, en: str) -> _Message:
    return _Message(code, re.compile(pattern, re.S), zh, en)


_CRS_ZH, _CRS_EN = FIELDS["source_crs"]
_LAYER_ZH, _LAYER_EN = FIELDS["layer"]
_ENC_ZH, _ENC_EN = FIELDS["encoding"]

#: Library messages (errors and notes) the page can meet, and what the page says instead.
#: ``{file}`` is the file as the user named it; other fields are the pattern's named groups,
#: or values derived from them by :func:`_derive`.
MESSAGES: list[_Message] = [
    # ---- coordinate systems
    _m("crs_no_prj", r"no \.prj: the shapefile's coordinate system is unknown",
       f"Shapefile“{{file}}”缺少 .prj 文件，坐标系未知：请在{_CRS_ZH}中选择它的坐标系（如 CGCS2000 经纬度，或 CGCS2000 3度带 第43带）。",
       f"The shapefile “{{file}}” has no .prj file, so its coordinate system is unknown: choose it in {_CRS_EN} "
       "(e.g. CGCS2000 longitude/latitude, or CGCS2000 3-degree GK zone 43)."),
    _m("crs_missing", r"the (?P<fmt>.+?) data has no coordinate system",
       f"文件“{{file}}”未注明坐标系：请在{_CRS_ZH}中选择（如 CGCS2000 经纬度）。",
       f"“{{file}}” does not say its coordinate system: choose it in {_CRS_EN} (e.g. CGCS2000 longitude/latitude)."),
    _m("crs_projected_read_as_lonlat",
       r"coordinates look projected \(x=(?P<x>\S+), y=(?P<y>\S+) is not longitude/latitude\) but were read as (?P<label>.+?); "
       r"pass `source_crs` \((?P<hint>.*)\)",
       f"坐标数值（x={{x}}，y={{y}}）是投影坐标（米），不是经纬度：请在{_CRS_ZH}中选择{{crs_zh}}。",
       f"The coordinates (x={{x}}, y={{y}}) are projected metres, not longitude/latitude: choose {{crs_en}} in {_CRS_EN}."),
    _m("crs_lonlat_read_as_projected",
       r"coordinates look like longitude/latitude \(x=(?P<x>\S+), y=(?P<y>\S+)\) but the CRS is projected \((?P<label>.+?)\)",
       f"坐标数值（x={{x}}，y={{y}}）是经纬度，而坐标系为投影坐标（{{label}}）：请在{_CRS_ZH}中选择“CGCS2000 经纬度”。",
       f"The coordinates (x={{x}}, y={{y}}) are longitude/latitude but the coordinate system is projected ({{label}}): "
       f"choose “CGCS2000 longitude/latitude” in {_CRS_EN}."),
    _m("crs_latlon_swapped", r"coordinates look like latitude/longitude swapped \(x=(?P<x>\S+), y=(?P<y>\S+)\)",
       "坐标的经度、纬度顺序颠倒（x={x}，y={y}）：请把经度放在前、纬度放在后。",
       "Latitude and longitude look swapped (x={x}, y={y}): give the longitude first."),
    _m("crs_ne_swapped", r"coordinates look like northing/easting swapped \(x=(?P<x>\S+), y=(?P<y>\S+)\)",
       "北坐标与东坐标顺序颠倒（x={x}，y={y}）：测量坐标中 X 为北坐标、Y 为东坐标，请检查两列的顺序。",
       "Northing and easting look swapped (x={x}, y={y}): in surveying X is the northing; check the order of the columns."),
    _m("crs_gk_no_zone", r"in Gauss-Kruger metres without zone prefix: the zone is unknown",
       f"坐标为高斯-克吕格投影米制坐标，东坐标不带带号，无法判断投影带：请在{_CRS_ZH}中选择对应的“CGCS2000 3度带 中央经线”（如 中央经线 129°E）。",
       f"The coordinates are Gauss-Kruger metres without the zone number in the easting, so the zone is unknown: "
       f"choose the matching “CGCS2000 3-degree GK, central meridian” in {_CRS_EN} (e.g. 129°E)."),
    _m("crs_gk_mixed_zones", r"eastings carry different zone prefixes \((?P<zones>[^)]*)\)",
       "东坐标的带号不一致（{zones}）：一个选址应位于同一投影带内，请检查坐标。",
       "The eastings carry different zone numbers ({zones}): one site lies in one zone; check the coordinates."),
    _m("crs_zone_contradicts",
       r"the eastings' zone prefix (?P<zone>\d+) \(central meridian (?P<cm>[\d.]+)E\) contradicts (?P<given>.+?) \(central meridian",
       f"东坐标带号为第{{zone}}带（中央经线 {{cm}}°E），与{_CRS_ZH}中所选不符：请改选“{{zone_zh}}”，或选“自动”。",
       f"The eastings carry zone {{zone}} (central meridian {{cm}}°E), which contradicts {_CRS_EN}: choose “{{zone_en}}” "
       "or “Automatic”."),
    _m("crs_no_prefix_but_zone_crs",
       r"the eastings have no zone prefix but (?P<given>.+?) expects one \(false easting \d+\); use the CRS without prefix or `cm` (?P<cm>[\d.]+)",
       f"东坐标不带带号，而{_CRS_ZH}中所选的坐标系要求带号：请改选“{{cm_zh}}”。",
       f"The eastings have no zone number but the system chosen in {_CRS_EN} expects one: choose “{{cm_en}}”."),
    _m("crs_metres_not_gk", r"the (?P<fmt>.+?) holds Gauss-Kruger metres but (?P<given>.+?) is not a Gauss-Kruger CRS",
       f"文件中的坐标为高斯-克吕格米制坐标，而{_CRS_ZH}中所选的不是高斯-克吕格投影：请改选对应的 CGCS2000 3度带，或选“自动”。",
       f"The file holds Gauss-Kruger metres but the system chosen in {_CRS_EN} is not Gauss-Kruger: choose the matching "
       "CGCS2000 3-degree zone, or “Automatic”."),
    _m("crs_lonlat_given_metres", r"`source_crs` (?P<given>\S+) means longitude/latitude, but the (?P<fmt>.+?) holds metres",
       f"{_CRS_ZH}中选择的是经纬度，但文件中的坐标是米制坐标：请改选对应的 CGCS2000 3度带，或选“自动”。",
       f"{_CRS_EN[0].upper() + _CRS_EN[1:]} says longitude/latitude, but the file holds metres: choose the matching "
       "CGCS2000 3-degree zone, or “Automatic”."),
    _m("crs_lonlat_given_projected_file", r"`source_crs` (?P<given>\S+) means longitude/latitude, but the file is in (?P<label>.+?);",
       f"{_CRS_ZH}中选择的是经纬度，但文件注明的坐标系为 {{label}}：请将{_CRS_ZH}改为“自动”。",
       f"{_CRS_EN[0].upper() + _CRS_EN[1:]} says longitude/latitude, but the file says {{label}}: set {_CRS_EN} to “Automatic”."),
    _m("crs_web_given_projected", r"(?P<label>\S+) coordinates are longitude/latitude, but the site's numbers are projected",
       f"{_CRS_ZH}中选择的 {{label}} 是经纬度，但文件中的坐标是米制坐标：请改选对应的 CGCS2000 3度带，或选“自动”。",
       f"{{label}} is longitude/latitude, but the file holds metres: choose the matching CGCS2000 3-degree zone in "
       f"{_CRS_EN}, or “Automatic”."),
    _m("crs_unknown", r"unknown coordinate reference system (?P<value>.+)$",
       f"{_CRS_ZH}中填写的 {{value}} 无法识别：请从列表中选择，或填写 EPSG 代码（如 EPSG:4490）。",
       f"{_CRS_EN[0].upper() + _CRS_EN[1:]} holds {{value}}, which is not a known coordinate system: choose one from the "
       "list or give an EPSG code (e.g. EPSG:4490)."),
    _m("crs_bad_zone", r"zone (?P<zone>\d+) is not a Gauss-Kruger zone of China",
       "第{zone}带不是我国的高斯-克吕格投影带（3度带为第25至45带）：请检查东坐标的带号。",
       "Zone {zone} is not a Gauss-Kruger zone of China (3-degree zones 25-45): check the zone number of the eastings."),
    _m("crs_towgs84", r"`towgs84`",
       "该坐标系的七参数设置有误：本页面不设七参数，请改用命令行 gisplan screen 的 --towgs84 选项。",
       "The datum-shift parameters do not fit this coordinate system: the page has no such field; use the --towgs84 "
       "option of gisplan screen."),
    _m("crs_cm", r"`cm` (?P<cm>\S+)",
       f"中央经线 {{cm}} 与文件或{_CRS_ZH}不符：请在{_CRS_ZH}中选择对应的 CGCS2000 3度带。",
       f"Central meridian {{cm}} contradicts the file or {_CRS_EN}: choose the matching CGCS2000 3-degree zone."),
    # ---- where the site is
    _m("site_outside_china", r"the site \(near (?P<lon>[-\d.]+), (?P<lat>[-\d.]+)\) lies outside China",
       f"选址（约 东经 {{lon}}°，北纬 {{lat}}°）位于中国境外：请检查坐标和{_CRS_ZH}。",
       f"The site (near {{lon}}°E, {{lat}}°N) lies outside China: check the coordinates and {_CRS_EN}."),
    _m("site_nan", r"the site has NaN \(not-a-number\) coordinates",
       "选址中有无效的坐标数值（非数字）：文件可能已损坏或导出有误。",
       "The site has not-a-number coordinates: the file is damaged or was exported wrongly."),
    _m("site_inf", r"the site has infinite coordinates",
       "选址中有无穷大的坐标数值：文件可能已损坏或导出有误。",
       "The site has infinite coordinates: the file is damaged or was exported wrongly."),
    _m("gk_out_of_range_row", r"row (?P<row>\d+), column (?P<col>.+?): (?P<what>northing|easting) (?P<value>[\d,.\-]+) m is",
       "第{row}行“{col}”列：{what_zh} {value} 米超出我国高斯-克吕格坐标的范围，请检查数字位数。",
       "Row {row}, column “{col}”: {what} {value} m is outside China's Gauss-Kruger range; check the digits."),
    _m("gk_out_of_range", r"(?P<what>northing|easting) (?P<value>[\d,.\-]+) m is",
       "{what_zh} {value} 米超出我国高斯-克吕格坐标的范围，请检查坐标。",
       "The {what} {value} m is outside China's Gauss-Kruger range; check the coordinates."),
    _m("dxf_local_coordinates", r"the drawing's coordinates \(x (?P<x>[-\d.]+)\.\.(?P<x2>[-\d.]+), y (?P<y>[-\d.]+)\.\.(?P<y2>[-\d.]+)\) are not Gauss-Kruger",
       "图纸“{file}”中的坐标（x {x}～{x2}，y {y}～{y2}）不是高斯-克吕格米制坐标（可能是图纸的局部坐标）：请向设计单位索取 CGCS2000 高斯-克吕格坐标的总平面图。",
       "The drawing's coordinates (x {x}..{x2}, y {y}..{y2}) are not Gauss-Kruger metres (local drawing coordinates?): "
       "ask for the plan in CGCS2000 Gauss-Kruger coordinates."),
    # ---- radius, width, footprint
    _m("radius_missing", r"a point site needs `radius`",
       f"选址是点：请在{FIELDS['radius'][0]}中填写半径（米）。",
       f"The site is a point: fill in {FIELDS['radius'][1]} (metres)."),
    _m("width_missing", r"a line site needs `width`",
       f"选址是线：请在{FIELDS['width'][0]}中填写线路总宽度（米）。",
       f"The site is a line: fill in {FIELDS['width'][1]} (metres, total corridor width)."),
    _m("distance_too_large", r"`(?P<what>radius|width|buffer)` (?P<value>[\d.e+]+) m is above the (?P<limit>[\d.]+) km",
       "{what_zh}为 {value} 米，超过 {limit} 千米的上限：请检查数值（单位为米）。",
       "{what_en} is {value} m, above the {limit} km limit: check the value (it is in metres)."),
    _m("distance_too_small", r"`(?P<what>radius|width)` (?P<value>[-\d.e+]+) m is below the (?P<limit>[\d.]+) m minimum",
       "{what_zh}为 {value} 米，小于 {limit} 米的下限：请检查数值（单位为米）。",
       "{what_en} is {value} m, below the {limit} m minimum: check the value (it is in metres)."),
    _m("distance_not_number", r"`(?P<what>radius|width)`.*; got (?P<value>.+)$",
       "{what_zh}应为以米为单位的数字，现为 {value}。",
       "{what_en} must be a number of metres, not {value}."),
    _m("buffer_bad", r"`buffer` must be a non-negative number",
       f"{FIELDS['buffer'][0]}应为不小于 0 的数字（米）。", f"{FIELDS['buffer'][1]} must be a number of metres, 0 or more."),
    _m("footprint_too_small", r"covers (?P<area>[\d.e+\-]+) m², below the (?P<limit>[\d.]+) m² minimum footprint",
       f"选址面积仅 {{area}} 平方米，小于 {{limit}} 平方米：请检查坐标、{FIELDS['radius'][0]}和{FIELDS['width'][0]}。",
       f"The site covers {{area}} m², below the {{limit}} m² minimum: check the coordinates, {FIELDS['radius'][1]} "
       f"and {FIELDS['width'][1]}."),
    _m("site_degenerate", r"the site has no usable features",
       "选址中没有可用的图形（只有无面积的退化多边形）。", "The site has no usable features (only polygons without area)."),
    _m("no_geometry_features", r"none of (?:the |its )?(?P<n>\d+) features(?: of .+?)? has a geometry",
       "文件“{file}”的 {n} 个要素都没有图形。", "None of the {n} features of “{file}” has a geometry."),
    _m("no_features", r" has no features$", "文件“{file}”中没有任何要素。", "“{file}” has no features."),
    # ---- industry
    _m("industry_empty", r"`industry` is empty", f"{FIELDS['industry'][0]}为空：请填写行业代码或名称（如 C26 或 公路）。",
       f"{FIELDS['industry'][1]} is empty: give a code or a name (e.g. C26 or road)."),
    _m("industry_item_range", r"`industry` (?P<q>.+?): the 2021 catalogue has items 1-(?P<n>\d+), not (?P<k>\d+)",
       "《建设项目环境影响评价分类管理名录（2021年版）》共 {n} 项，没有第{k}项：请检查“行业”。",
       "The 2021 EIA catalogue has items 1-{n}, not {k}: check “Industry”."),
    _m("industry_old_code", r"(?P<q>.+?) is gisplan's old numbering, not a catalogue item",
       "“{q}”是旧的编号，不是名录条目：请从“行业”的下拉列表中选择（名录条目的编号形如 EIA2021-44）。",
       "“{q}” is an old numbering, not a catalogue item: choose from the list under “Industry” (items are EIA2021-<n>)."),
    _m("industry_ambiguous", r"`industry` '(?P<q>.+?)' (?:is ambiguous|matches no single entry)",
       f"{FIELDS['industry'][0]}中的“{{q}}”对应多个条目：请从下拉列表中选定一项。",
       f"“{{q}}” in {FIELDS['industry'][1]} matches several entries: choose one from the list."),
    _m("industry_unknown", r"`industry` '(?P<q>.+?)' matches no entry",
       f"{FIELDS['industry'][0]}中的“{{q}}”没有对应的行业：请换个说法，或从下拉列表中选择（如 C26、公路、化学原料制造）。",
       f"“{{q}}” in {FIELDS['industry'][1]} matches no entry: try other words or choose from the list."),
    # ---- the project form (gisplan.project_info checks it in gisplan.screen)
    _m("form_nature", r"`construction_nature` (?P<value>'.*?'|\".*?\") is not one of",
       f"{FIELDS['construction_nature'][0]}只能是 新建、改建、扩建、技术改造 或 迁建，所填的“{{value}}”不在其中：请从列表中选择。",
       f"{FIELDS['construction_nature'][1]} must be new, reconstruction, expansion, technical renovation or "
       "relocation; “{value}” is none of them: choose one from the list."),
    _m("form_too_long", r"`(?P<what>project_name|builder|project_code|construction_nature)` is longer than (?P<n>\d+) characters",
       "{what_zh}超过 {n} 个字：请缩短后再筛查。", "{what_en} is longer than {n} characters: shorten it and screen again."),
    _m("form_not_text", r"`(?P<what>project_name|builder|project_code|construction_nature)` must be text",
       "{what_zh}的内容无法识别：请重新填写。", "{what_en} could not be read: fill it in again."),
    # ---- files: type, format, layers
    _m("file_empty", r"(?:the uploaded file .+ is empty|is empty \(0 bytes\))",
       "文件“{file}”是空的（0 字节）。", "“{file}” is empty (0 bytes)."),
    _m("file_unsupported", r"unsupported file type (?P<suffix>'[^']*'|\S+)",
       "不支持文件“{file}”的类型：请上传 GeoJSON、Shapefile（.zip）、GeoPackage、KML/KMZ、拐点坐标表（CSV/XLSX）或 DXF。",
       "“{file}” is not a supported type: give GeoJSON, a zipped shapefile, GeoPackage, KML/KMZ, a corner table "
       "(CSV/XLSX) or DXF."),
    _m("file_is_table", r"is a table \((?P<suffix>[^)]*)\), not a map layer",
       "文件“{file}”是表格，没有图形：拐点坐标表请用 CSV 或 XLSX 格式上传。",
       "“{file}” is a table without geometry: upload corner tables as CSV or XLSX."),
    _m("file_no_geometry", r"has no geometry: a table, not a map layer|has no layer with geometry",
       "文件“{file}”中没有带图形的图层。", "“{file}” has no layer with geometry."),
    _m("zip_not_readable", r"is not a readable zip archive", "文件“{file}”不是有效的 ZIP 压缩包（可能已损坏）。",
       "“{file}” is not a readable zip archive (damaged?)."),
    _m("zip_refused", r"zip member (?P<member>'.*?'|\".*?\") (?:has an absolute path|points outside|contains a drive letter|contains a NUL|is a symbolic link|appears twice|unpacks to more)",
       "压缩包“{file}”中的 {member} 路径或内容不安全，已拒绝读取。",
       "The zip “{file}” holds an unsafe member {member}; refused."),
    _m("zip_encrypted", r"zip member (?P<member>.+?) is encrypted", "压缩包“{file}”中的 {member} 已加密，无法读取。",
       "The zip “{file}” holds an encrypted member {member}; it cannot be read."),
    _m("zip_too_big", r"zip (?:has \d+ members|unpacks to more than)|is compressed \d+ times",
       "压缩包“{file}”解压后过大或文件过多（疑似压缩炸弹），已拒绝读取。",
       "The zip “{file}” unpacks to too much or too many files (a zip bomb?); refused."),
    _m("zip_no_dataset", r"holds no shapefile, GeoPackage, GeoJSON or KML",
       "压缩包“{file}”中没有 Shapefile、GeoPackage、GeoJSON 或 KML 文件。",
       "The zip “{file}” holds no shapefile, GeoPackage, GeoJSON or KML."),
    _m("zip_several", r"holds several datasets: (?P<names>.+?); choose one with `layer`",
       f"压缩包“{{file}}”中有多个数据文件（{{names}}）：请在{_LAYER_ZH}中填写要读取的文件名（不含扩展名）。",
       f"The zip “{{file}}” holds several datasets ({{names}}): give the one to read in {_LAYER_EN} (name without extension)."),
    _m("zip_no_such", r"has no (?:shapefile|single dataset named) (?P<layer>'.*?'|\S+)[;:] it holds: (?P<names>.+)$",
       f"压缩包“{{file}}”中没有名为 {{layer}} 的数据：其中有 {{names}}，请修改{_LAYER_ZH}。",
       f"The zip “{{file}}” has no dataset {{layer}}; it holds {{names}}: change {_LAYER_EN}."),
    _m("layers_several", r"has several layers: (?P<names>.+?); choose one with `layer`",
       f"文件“{{file}}”包含多个图层（{{names}}）：请在{_LAYER_ZH}中填写要读取的图层。",
       f"“{{file}}” has several layers ({{names}}): give the one to read in {_LAYER_EN}."),
    _m("layer_no_such", r"has no layer (?P<layer>'.*?'|\S+); its layers: (?P<names>.+)$",
       f"文件“{{file}}”中没有图层 {{layer}}：其图层为 {{names}}，请修改{_LAYER_ZH}。",
       f"“{{file}}” has no layer {{layer}}; its layers: {{names}}: change {_LAYER_EN}."),
    _m("layers_none", r" has no layers$", "文件“{file}”中没有图层。", "“{file}” has no layers."),
    _m("shx_missing", r"the \.shx file is missing",
       "Shapefile“{file}”缺少 .shx 文件：Shapefile 由 .shp、.shx、.dbf、.prj、.cpg 等多个文件组成，请将它们一起打包成 ZIP 上传。",
       "The shapefile “{file}” lacks its .shx file: a shapefile is several files (.shp, .shx, .dbf, .prj, .cpg); "
       "upload them together in one zip."),
    _m("kml_xxe", r"KML with a DTD or entities is refused", "KML 文件“{file}”含有 DTD 或实体声明，出于安全原因拒绝读取。",
       "The KML “{file}” has a DTD or entities; refused for safety."),
    _m("kml_bad_xml", r"is not well-formed XML \(KML\)", "文件“{file}”不是格式正确的 KML（XML 有误）。",
       "“{file}” is not well-formed KML (bad XML)."),
    _m("kml_not_kml", r"is XML but not KML", "文件“{file}”是 XML，但不是 KML。", "“{file}” is XML but not KML."),
    _m("not_format", r"is not (?:a shapefile|a GeoPackage|GeoJSON|a file geodatabase|(?:an? )?\w+) \((?:bad \.shp header|no SQLite header|it does not start|GDAL reads it as|no |bad )",
       "文件“{file}”的内容与其扩展名不符（文件已损坏或扩展名有误）。",
       "The content of “{file}” does not match its extension (damaged, or a wrong extension)."),
    _m("too_large_memory", r"is too large to read into memory|needs more memory than this server allows",
       "文件“{file}”太大，服务器内存不足以读取。", "“{file}” is too large to read into this server's memory."),
    _m("decode_text", r"cannot decode (?:the text of )?.+? as (?P<enc>[\w\-]+(?: or [\w\-]+)?)",
       f"无法按 {{enc}} 编码读取文件“{{file}}”中的文字：请在{_ENC_ZH}中改选（如 GBK 或 UTF-8）。",
       f"The text of “{{file}}” cannot be decoded as {{enc}}: choose another {_ENC_EN} (e.g. GBK or UTF-8)."),
    _m("encoding_unknown", r"unknown text encoding (?P<enc>.+?) \(",
       f"{_ENC_ZH}中的 {{enc}} 不是已知的编码：请填写 GBK、GB18030 或 UTF-8。",
       f"{_ENC_EN[0].upper() + _ENC_EN[1:]} holds {{enc}}, not a known encoding: give GBK, GB18030 or UTF-8."),
    # ---- corner tables
    _m("table_no_columns", r"has no coordinate columns",
       "坐标表“{file}”中找不到坐标列：表头应为 X/Y（北坐标/东坐标）、纵坐标X/横坐标Y 或 经度/纬度。",
       "The table “{file}” has no coordinate columns: headers should be X/Y (northing/easting) or longitude/latitude."),
    _m("table_no_values", r"has coordinate columns \((?P<cols>.+?)\) but no values|has no coordinate rows",
       "坐标表“{file}”中没有坐标数值。", "The table “{file}” has no coordinate values."),
    _m("table_cell_empty", r"row (?P<row>\d+), column (?P<col>.+?): empty while the other coordinate is given",
       "坐标表第{row}行“{col}”列为空，而另一坐标已填写：请补全。",
       "Row {row}, column “{col}” is empty while the other coordinate is given: fill it in."),
    _m("table_cell_unreadable", r"row (?P<row>\d+), column (?P<col>.+?): (?:cannot read (?P<v1>.+?) as a coordinate|(?P<v2>.+?) is neither metres nor degrees|(?P<v3>.+?) is not an angle in degrees)",
       "坐标表第{row}行“{col}”列的数值 {value} 不是有效的坐标。",
       "Row {row}, column “{col}”: {value} is not a coordinate."),
    _m("table_mixed_units", r"mixed units: row (?P<r1>\d+), column (?P<c1>.+?) is in (?P<u1>\w+) but row (?P<r2>\d+), column (?P<c2>.+?) is in (?P<u2>\w+)",
       "坐标表中单位不一致：第{r1}行为{u1_zh}，第{r2}行为{u2_zh}：整张表应使用同一种单位。",
       "Mixed units: row {r1} is in {u1}, row {r2} in {u2}; give one unit for the whole table."),
    _m("table_headers_swapped", r"column (?P<a>.+?) holds latitudes and (?P<b>.+?) longitudes",
       "坐标表中“{a}”列为纬度、“{b}”列为经度（表头颠倒？）：请更正表头。",
       "Column “{a}” holds latitudes and “{b}” longitudes (swapped headers?): fix the headers."),
    _m("table_ring_points", r"\(rows (?P<r1>\d+)-(?P<r2>\d+)\) has (?P<n>\d+) distinct point\(s\); a ring needs at least 3",
       "坐标表第{r1}至{r2}行只有 {n} 个不同的点：一个地块至少需要 3 个拐点。",
       "Rows {r1}-{r2} have {n} distinct point(s); a parcel needs at least 3 corners."),
    _m("table_not_corner", r"not a corner-point table", "文件“{file}”不是拐点坐标表（应为 CSV 或 XLSX）。",
       "“{file}” is not a corner table (CSV or XLSX)."),
    _m("table_no_sheets", r"has no worksheets", "工作簿“{file}”中没有工作表。", "The workbook “{file}” has no worksheets."),
    _m("table_no_sheet", r"has no sheet (?P<sheet>'.*?'|\S+); its sheets: (?P<names>.+)$",
       f"工作簿“{{file}}”中没有工作表 {{sheet}}：其工作表为 {{names}}，请修改{_LAYER_ZH}。",
       f"The workbook “{{file}}” has no sheet {{sheet}}; its sheets: {{names}}: change {_LAYER_EN}."),
    _m("table_too_many_rows", r"more than (?P<n>\d+) rows; refused", "表格“{file}”超过 {n} 行，已拒绝读取。",
       "The table “{file}” has more than {n} rows; refused."),
    _m("table_binary", r"is not a text table", "文件“{file}”不是文本表格（可能是二进制文件或 UTF-16 编码，后者不支持）。",
       "“{file}” is not a text table (binary, or UTF-16 which is not supported)."),
    _m("table_bad_csv", r"is not a readable CSV table", "文件“{file}”不是有效的 CSV 表格。", "“{file}” is not a readable CSV table."),
    _m("table_not_xlsx", r"is not an XLSX workbook", "文件“{file}”不是 XLSX 工作簿（不支持 .xls，请另存为 .xlsx 或 .csv）。",
       "“{file}” is not an XLSX workbook (.xls is not supported: save as .xlsx or .csv)."),
    _m("table_bad_xlsx", r"cannot read .+ as an XLSX workbook", "无法读取工作簿“{file}”（文件可能已损坏）。",
       "“{file}” cannot be read as an XLSX workbook (damaged?)."),
    # ---- DXF
    _m("dxf_dwg", r"is a DWG drawing, not DXF", "文件“{file}”是 DWG 图纸：请在 CAD 中另存为 DXF 后上传。",
       "“{file}” is a DWG drawing: save it as DXF in CAD and upload that."),
    _m("dxf_not_dxf", r"is not a DXF file|cannot read .+ as DXF", "文件“{file}”不是有效的 DXF 图纸。", "“{file}” is not a readable DXF drawing."),
    _m("dxf_empty", r"the drawing's model space is empty", "图纸“{file}”的模型空间是空的。", "The drawing “{file}” has an empty model space."),
    _m("dxf_no_layer", r"has no entities on layer (?P<layer>'.*?'|\S+); layers found: (?P<names>.+)$",
       f"图纸“{{file}}”的图层 {{layer}} 上没有图形：图纸中的图层为 {{names}}，请修改{_LAYER_ZH}。",
       f"The drawing “{{file}}” has nothing on layer {{layer}}; its layers: {{names}}: change {_LAYER_EN}."),
    _m("dxf_no_closed", r"no closed polyline or hatch on (?P<where>.+?) \(found: (?P<found>.*?)\); layers in the drawing: (?P<names>.+)$",
       f"图纸“{{file}}”中没有闭合多段线或填充（图层：{{names}}）：请在{_LAYER_ZH}中填写用地红线所在的图层，或在 CAD 中闭合用地边界。",
       f"The drawing “{{file}}” has no closed polyline or hatch (layers: {{names}}): give the layer of the site boundary "
       f"in {_LAYER_EN}, or close the boundary in CAD."),
    _m("file_too_large", r"is larger than (?P<n>\d+) MiB", "文件“{file}”超过 {n} MB，已拒绝读取。", "“{file}” is larger than {n} MB; refused."),
    _m("file_unreadable", r"^cannot read ", "无法读取文件“{file}”：文件已损坏，或格式不受支持。",
       "“{file}” cannot be read: it is damaged or not a supported format."),
    # ---- store and server
    _m("store_replaced", r"the store was being replaced; try again", "数据正在更新，请稍后再试。",
       "The data is being updated; try again in a moment."),
    _m("store_version_gone", r"(?:is no longer kept in the data folder|was re-imported since this screening)",
       "这次筛查所用的数据版本已不在服务器上，无法再生成它的地图和报告：请重新筛查。",
       "The data version this screening used is no longer kept, so its map and reports cannot be drawn: screen the site again."),
    _m("store_missing", r"^store not found", "服务器找不到数据库，请联系管理员。", "The server cannot find its data store; tell the administrator."),
    _m("upload_too_large", r"the upload is larger than the limit of (?P<n>[\d.]+) MB",
       "文件超过 {n} MB 的上传上限。", "The file is larger than the upload limit of {n} MB."),
    _m("time_limit", r"took longer than the time limit \((?P<n>[\d.]+) s\)",
       "筛查超过了 {n} 秒的时限，已停止：请缩小选址范围或稍后再试。",
       "The screening took longer than the time limit of {n} s and was stopped: try a smaller site or later."),
    _m("csrf", r"missing or wrong CSRF token", "页面已过期，请刷新页面后重试。", "The page has expired; reload it and try again."),
    _m("login_needed", r"log in first|unknown API token", "请先登录。", "Log in first."),
    _m("login_wrong", r"wrong user name or password", "用户名或密码错误。", "Wrong user name or password."),
    _m("login_blocked", r"too many failed logins", "登录失败次数过多，请几分钟后再试。", "Too many failed logins; wait a few minutes and try again."),
    _m("login_local", r"has one local user and no logins", "本服务器只有一个本机用户，无需登录。", "This server has one local user and no logins."),
    _m("not_yours", r"belongs to another user", "这次筛查属于其他用户，无权查看。", "This screening belongs to another user."),
    _m("admin_only", r"only an admin may do this", "只有管理员可以执行此操作。", "Only an administrator may do this."),
    _m("loopback_only", r"answers only to loopback", "本服务器只接受本机访问。", "This server answers only on this machine."),
    _m("no_screening", r"no such screening", "没有这次筛查的记录。", "There is no such screening."),
    _m("no_unit", r"no control unit (?P<code>\S+)", "没有编码为 {code} 的环境管控单元。", "There is no control unit {code}."),
    _m("not_found", r"^not found$", "找不到请求的内容。", "Not found."),
    _m("invalid_request", r"^invalid request: (?P<detail>.+)$", "提交的内容有误：请检查各栏的填写（数值栏只能填数字）。",
       "The form is not valid: check the fields (numbers only in the number fields)."),
    _m("internal", r"^internal error", "服务器内部错误，请稍后再试；如仍出错，请联系管理员。",
       "Internal server error; try again later, and tell the administrator if it persists."),
]

#: Notes (warnings and details of reading, result warnings) the page shows, and their words.
NOTES: list[_Message] = [
    _m("note_lonlat_given", r"(?P<fmt>\S+) is lon/lat by its standard, but --source-crs (?P<label>.+?) was given",
       f"{{fmt}} 按标准为经纬度，但{_CRS_ZH}中选择了 {{label}}：已按 {{label}} 读取。",
       f"{{fmt}} is longitude/latitude by its standard, but {_CRS_EN} says {{label}}: read as {{label}}."),
    _m("note_crs_differs", r"--source-crs (?P<label>.+?) differs from the file's CRS \((?P<file_crs>.+?)\)",
       f"{_CRS_ZH}中选择的 {{label}} 与文件注明的 {{file_crs}} 不同：已按 {{label}} 读取。",
       f"{_CRS_EN[0].upper() + _CRS_EN[1:]} ({{label}}) differs from the file's ({{file_crs}}): read as {{label}}."),
    _m("note_legacy_datum", r"WARNING: (?P<label>.+?) is on the (?P<datum>.+?) datum and no --towgs84",
       "注意：坐标系 {label} 采用 {datum_zh} 基准，未提供七参数，无法准确转换到 CGCS2000，位置可能偏差数十米（最大约 100 米）。",
       "Warning: {label} is on the {datum} datum and no datum-shift parameters were given: positions may be off by "
       "tens of metres (up to about 100 m)."),
    _m("note_dxf_layer_ignored", r"--dxf-layer ignored", f"选址不是 DXF 图纸，{_LAYER_ZH}未使用。",
       f"The site is not a DXF drawing: {_LAYER_EN} not used."),
    _m("note_web_hint", r"mention '(?P<word>.+?)': if the coordinates were taken from that web map they are (?P<web>\S+),",
       f"文件名或字段中出现“{{word}}”：如果坐标取自该网络地图，则为 {{web}} 坐标，与 CGCS2000 相差数百米，请在{_CRS_ZH}中选择 {{web}}。",
       f"The file name or its fields mention “{{word}}”: coordinates taken from that web map are {{web}}, offset by "
       f"hundreds of metres; then choose {{web}} in {_CRS_EN}."),
    _m("note_share_outside_china", r"(?P<share>[\d.]+) % of the site lies outside China",
       "选址有 {share}% 位于中国境外（仅境内部分有数据）。", "{share} % of the site lies outside China (only the part inside has data)."),
    _m("note_repaired", r"repaired (?P<n>\d+) invalid polygon\(s\)", "已修复 {n} 个自相交等无效的多边形。",
       "Repaired {n} invalid polygon(s) (self-intersections)."),
    _m("note_empty_features", r"(?P<n>\d+) of (?P<total>\d+) features have no geometry", "{total} 个要素中有 {n} 个没有图形，已略去。",
       "{n} of {total} features have no geometry; dropped."),
    _m("note_radius_ignored", r"--radius ignored", f"选址中没有点，{FIELDS['radius'][0]}未使用。",
       f"The site has no points: {FIELDS['radius'][1]} not used."),
    _m("note_width_ignored", r"--width ignored", f"选址中没有线，{FIELDS['width'][0]}未使用。",
       f"The site has no lines: {FIELDS['width'][1]} not used."),
    _m("note_dxf_errors", r"the DXF has (?P<n>\d+) structural error", "DXF 图纸有 {n} 处结构错误，已按修复模式读取。",
       "The DXF has {n} structural error(s); read in recovery mode."),
    _m("note_dxf_units", r"the drawing's units are (?P<units>.+?) \(\$INSUNITS\)", "图纸单位为 {units}，坐标按米读取。",
       "The drawing's units are {units}; coordinates read as metres."),
    _m("note_gb18030", r"CSV text is not UTF-8: decoded as GB18030", "CSV 文字不是 UTF-8 编码，已按 GB18030（GBK）读取。",
       "The CSV text is not UTF-8: read as GB18030 (GBK)."),
    _m("note_macros", r"contains macros: ignored", "工作簿中含有宏，已忽略（不会运行），只读取单元格的数值。",
       "The workbook contains macros: ignored (never run); only cell values were read."),
    _m("note_sheet", r"read sheet (?P<sheet>'.*?'|\S+); other sheets with coordinates ignored: (?P<names>.+?) \(",
       f"读取了工作表 {{sheet}}；其他含坐标的工作表（{{names}}）未读取，可在{_LAYER_ZH}中指定。",
       f"Read sheet {{sheet}}; other sheets with coordinates ({{names}}) were not read: choose one in {_LAYER_EN}."),
    _m("note_title_rows", r"rows 1-(?P<h>\d+) above the header ignored", "表头上方的第1至{h}行（标题）已略去。",
       "Rows 1-{h} above the header (title) ignored."),
    _m("note_rows_ignored", r"rows without coordinates ignored: (?P<rows>.+)$", "没有坐标的行已略去：{rows}。",
       "Rows without coordinates ignored: {rows}."),
    _m("note_degrees_columns", r"columns (?P<a>.+?)/(?P<b>.+?) hold degrees: read (?P<c>.+?) as (?P<what>longitude|latitude)",
       "“{a}”/“{b}”列为经纬度：按数值判断读取了经度和纬度。", "Columns “{a}”/“{b}” hold degrees: longitude and latitude read by their values."),
    _m("note_eastings_first", r"column (?P<a>.+?) holds eastings and (?P<b>.+?) northings",
       "“{a}”列为东坐标、“{b}”列为北坐标（测量中 X 为北坐标）：已按数值读取，请核对坐标表。",
       "Column “{a}” holds eastings and “{b}” northings (in surveying X is the northing): read by their values; check the table."),
    _m("note_duplicates", r"(?P<n>\d+) duplicate consecutive point\(s\) dropped", "已去掉 {n} 个连续重复的点。",
       "{n} duplicate consecutive point(s) dropped."),
    _m("note_unclosed", r"(?P<n>\d+) ring\(s\) not closed in the table", "坐标表中有 {n} 个地块首尾点不一致，已自动闭合。",
       "{n} parcel(s) not closed in the table (last point ≠ first): closed them."),
    _m("note_outside_coverage_all", r"the site lies wholly outside the store's control units \((?P<ha>[\d.]+) ha",
       "选址全部位于本系统的环境管控单元数据范围之外（{ha} 公顷）。",
       "The site lies wholly outside the control units held here ({ha} ha not covered)."),
    _m("note_outside_coverage_part", r"(?P<ha>[\d.]+) ha \((?P<pct>[\d.]+%)\) of the site lies outside the store's control units",
       "选址有 {ha} 公顷（{pct}）位于本系统的环境管控单元数据范围之外。",
       "{ha} ha ({pct}) of the site lies outside the control units held here."),
    _m("note_units_overlap", r"control units overlap each other under the site",
       "选址范围内的环境管控单元互相重叠：各单元面积之和大于选址面积，请核对数据。",
       "Control units overlap each other under the site: their areas add up to more than the site."),
    _m("note_no_layer", r"the store has no (?P<kind>\w+) layer", "本系统缺少{kind_zh}图层：结论为需人工核对。",
       "The data has no {kind_en} layer: the verdict is review."),
    _m("note_raster_outside", r"raster (?P<name>.+?): (?P<ha>[\d.]+) ha \((?P<pct>[\d.]+%)\) of the site lies outside the raster",
       "栅格“{name}”：选址有 {ha} 公顷（{pct}）位于栅格范围外或无数据处，未计入统计。",
       "Raster “{name}”: {ha} ha ({pct}) of the site lies outside the raster or on its no-data cells (not counted)."),
    _m("note_raster_file", r"raster (?P<name>.+?): file .+ (?:is missing|differs from the imported one)",
       "栅格“{name}”的文件缺失或与导入时不同，其统计未列入。",
       "Raster “{name}”: its file is missing or differs from the imported one; its statistics are left out."),
    _m("note_project_code", r"project code (?P<code>'.*?'|\".*?\") does not have the shape of an investment project code",
       f"{FIELDS['project_code'][0]}中所填的“{{code}}”不是投资项目统一代码的格式（年份-行政区划代码-行业代码-项目类型-流水号，"
       "如 2024-222401-44-01-012345）：已按所填记录，请核对。",
       f"{FIELDS['project_code'][1]} “{{code}}” does not have the shape of an investment project code "
       "(YYYY-AAAAAA-II-TT-NNNNNN, e.g. 2024-222401-44-01-012345): kept as given; check it."),
    _m("note_archive_member", r"^read (?P<member>.+) from the archive$", "读取了压缩包中的 {member}。", "Read {member} from the archive."),
    _m("note_features", r"^(?P<n>\d+) feature\(s\)(?:, layer (?P<layer>.+))?$", "{n} 个要素{layer_zh}。", "{n} feature(s){layer_en}."),
    _m("note_corner_table", r"corner table: (?P<rings>\d+) ring\(s\), (?P<points>\d+) point\(s\) read",
       "拐点坐标表：{rings} 个地块，{points} 个拐点。", "Corner table: {rings} parcel(s), {points} point(s) read."),
    _m("note_dxf_summary", r"^DXF: (?P<n>\d+) polygon\(s\) from .+? on layer\(s\) (?P<layers>.+?); layers in the drawing",
       "DXF 图纸：从图层 {layers} 读取了 {n} 个闭合图形。", "DXF: {n} polygon(s) read from layer(s) {layers}."),
]

_KIND_WORDS = {
    "control_units": ("环境管控单元", "control units"), "eco_redline": ("生态保护红线", "ecological redline"),
    "protected_areas": ("自然保护地", "protected areas"), "water_sources": ("饮用水水源保护区", "drinking-water source zones"),
}
_DATUMS_ZH = {"Xian 1980": "西安 1980", "Beijing 1954": "北京 1954"}
_UNITS_ZH = {"metres": "米制坐标", "degrees": "经纬度", "deg": "经纬度", "m": "米制坐标"}


def _derive(code: str, groups: dict) -> dict:
    """Values the templates need besides the pattern's groups."""
    g = {k: (v if v is not None else "") for k, v in groups.items()}
    if code == "crs_projected_read_as_lonlat":
        zone = re.search(r"zone (\d+)", g.get("hint", ""))
        cm = re.search(r"EPSG:(\d+) for (\d+)E", g.get("hint", "")) or re.search(r"(EPSG:4552) for 129E", g.get("hint", ""))
        if zone:
            epsg = 4513 + int(zone.group(1)) - 25
            g["crs_zh"], g["crs_en"] = f"“{crs_choice_label(epsg)}”", f"“{crs_choice_label(epsg, 'en')}”"
        elif cm or "EPSG:4534" in g.get("hint", ""):
            g["crs_zh"] = "对应中央经线的“CGCS2000 3度带 中央经线”（东坐标不带带号）"
            g["crs_en"] = "the matching “CGCS2000 3-degree GK, central meridian” (eastings without zone number)"
        else:
            g["crs_zh"], g["crs_en"] = "对应的 CGCS2000 3度带", "the matching CGCS2000 3-degree zone"
    if code == "crs_zone_contradicts":
        epsg = 4513 + int(g["zone"]) - 25
        g["zone_zh"], g["zone_en"] = crs_choice_label(epsg), crs_choice_label(epsg, "en")
    if code == "crs_no_prefix_but_zone_crs":
        epsg = 4534 + (int(float(g["cm"])) - 75) // 3
        g["cm_zh"], g["cm_en"] = crs_choice_label(epsg), crs_choice_label(epsg, "en")
    if code in ("form_too_long", "form_not_text"):
        g["what_zh"], g["what_en"] = FIELDS[g["what"]]
    if code in ("form_nature", "note_project_code"):  # the value as typed, without Python's quotes
        key = "value" if code == "form_nature" else "code"
        g[key] = g[key][1:-1]
    if code in ("distance_too_large", "distance_too_small", "distance_not_number"):
        g["what_zh"], g["what_en"] = FIELDS.get(g.get("what", ""), ("数值", "the value"))
    if code in ("gk_out_of_range", "gk_out_of_range_row"):
        g["what_zh"] = "北坐标" if g.get("what") == "northing" else "东坐标"
    if code == "table_cell_unreadable":
        g["value"] = g.get("v1") or g.get("v2") or g.get("v3") or ""
    if code == "table_mixed_units":
        g["u1_zh"], g["u2_zh"] = _UNITS_ZH.get(g["u1"], g["u1"]), _UNITS_ZH.get(g["u2"], g["u2"])
    if code == "note_legacy_datum":
        g["datum_zh"] = _DATUMS_ZH.get(g["datum"], g["datum"])
    if code == "note_no_layer":
        g["kind_zh"], g["kind_en"] = _KIND_WORDS.get(g["kind"], ("相应", g["kind"].replace("_", " ")))
    if code == "note_features":
        layer = g.get("layer", "")
        g["layer_zh"], g["layer_en"] = ((f"（图层 {layer}）", f", layer {layer}") if layer else ("", ""))
    return g


_FALLBACK = {
    400: ("input", "无法使用文件“{file}”：文件内容或所填参数不符合要求，请检查文件和各栏的填写。",
          "“{file}” cannot be used: {detail}"),
    401: ("login_needed", "请先登录。", "Log in first."),
    403: ("refused", "无权执行此操作。", "Refused: {detail}"),
    404: ("not_found", "找不到请求的内容。", "Not found."),
    413: ("upload_too_large", "文件超过上传上限。", "The file is larger than the upload limit."),
    422: ("invalid_request", "提交的内容有误：请检查各栏的填写。", "The form is not valid: {detail}"),
    429: ("login_blocked", "请求过于频繁，请稍后再试。", "Too many requests; wait a little and try again."),
    504: ("time_limit", "处理超时，请稍后再试。", "The request took too long; try again later."),
}
_PAGE_WORDS = {"`source_crs`": _CRS_EN, "`layer`": _LAYER_EN, "`encoding`": _ENC_EN, "`radius`": FIELDS["radius"][1],
               "`width`": FIELDS["width"][1], "`buffer`": FIELDS["buffer"][1], "`industry`": FIELDS["industry"][1],
               "`dxf_layer`": _LAYER_EN, "`cm`": _CRS_EN, "`project_name`": FIELDS["project_name"][1],
               "`builder`": FIELDS["builder"][1], "`project_code`": FIELDS["project_code"][1],
               "`construction_nature`": FIELDS["construction_nature"][1]}


def _page_words(text: str) -> str:
    """A library line with its parameter names replaced by the page's fields (English mode only)."""
    for old, new in _PAGE_WORDS.items():
        text = text.replace(old, new)
    text = re.sub(r"--([a-z][a-z0-9-]*)", lambda m: _PAGE_WORDS.get(f"`{m.group(1).replace('-', '_')}`", m.group(0)), text)
    return text


def _fill(template: str, values: dict) -> str:
    return template.format_map(_Default(values))


class _Default(dict):
    def __missing__(self, key):
        return ""


def _match(catalogue: list[_Message], text: str, values: dict) -> dict | None:
    for msg in catalogue:
        found = msg.pattern.search(text)
        if found:
            g = dict(values, **_derive(msg.code, found.groupdict()))
            return {"code": msg.code, "zh": _fill(msg.zh, g), "en": _fill(msg.en, g)}
    return None


def page_message(text: str, *, status: int = 400, file: str | None = None) -> dict:
    """The page's words for a library message or a server refusal.

    Parameters
    ----------
    text : str
        The one-line message (as the API answers it in ``error``).
    status : int
        The HTTP status it is answered with (picks the fallback when nothing matches).
    file : str, optional
        The file as the user named it (the page shows this name).

    Returns
    -------
    dict
        ``code`` (a stable name the tests and the page may use), ``zh`` and ``en``.

    Examples
    --------
    >>> m = page_message("no .prj: the shapefile's coordinate system is unknown; pass `source_crs` (e.g. EPSG:4490)",
    ...                  file="用地红线.zip")
    >>> m["code"], m["zh"][:35]
    ('crs_no_prj', 'Shapefile“用地红线.zip”缺少 .prj 文件，坐标系未知')
    """
    values = {"file": file or "", "detail": _page_words(text)}
    found = _match(MESSAGES, text, values)
    if found:
        return found
    code, zh, en = _FALLBACK.get(status, ("internal", "服务器内部错误，请稍后再试；如仍出错，请联系管理员。",
                                          "Internal server error: {detail}"))
    if code == "input" and not file:
        zh = "无法使用所提交的选址：文件内容或所填参数不符合要求，请检查文件和各栏的填写。"
    return {"code": code, "zh": _fill(zh, values), "en": _fill(en, values)}


def page_note(text: str, *, file: str | None = None) -> dict:
    """The page's words for a note of reading or screening (a warning, a detail); see :func:`page_message`.

    A note nobody foresaw is shown in Chinese as a general remark to check the
    site, and in English as the library wrote it (parameters renamed).
    """
    values = {"file": file or "", "detail": _page_words(text)}
    found = _match(NOTES, text, values) or _match(MESSAGES, text, values)
    if found:
        return found
    return {"code": "note", "zh": "读取时另有提示（详见英文界面或命令行），请核对选址。", "en": _page_words(text)}


_SOURCES_ZH = {"the .prj": ".prj 文件", "the GeoPackage": "GeoPackage 文件", "the GeoJSON crs member": "GeoJSON 文件",
               "the KML": "KML 文件"}
_SOURCES_EN = {"the .prj": "the .prj file", "the GeoPackage": "the GeoPackage", "the GeoJSON crs member": "the GeoJSON file",
               "the KML": "the KML"}


def crs_note_words(note: str, source_crs: str) -> dict:
    """How the coordinate system was decided (the library's ``crs_note``), in the page's words.

    Returns
    -------
    dict
        ``zh`` and ``en``: the system as the “坐标系” field names it, and why.

    Examples
    --------
    >>> crs_note_words("GeoJSON is lon/lat by RFC 7946; read as CGCS2000 (WGS84 and CGCS2000 differ by centimetres)",
    ...                "EPSG:4490")["zh"]
    'CGCS2000 经纬度（GeoJSON 按标准为经纬度，按 CGCS2000 读取；WGS84 与 CGCS2000 仅差厘米级）'
    """
    epsg = re.fullmatch(r"EPSG:(\d+)", source_crs or "")
    name_zh = crs_choice_label(int(epsg.group(1))) if epsg else (source_crs or "")
    name_en = crs_choice_label(int(epsg.group(1)), "en") if epsg else (source_crs or "")
    if not epsg and source_crs and not source_crs.startswith("EPSG"):
        name_zh = name_en = "（自定义坐标系）" if len(source_crs) > 40 else source_crs
        name_en = "(custom CRS)" if len(source_crs) > 40 else source_crs
    why_zh, why_en = [], []
    fmt = re.match(r"(GeoJSON|KML) is (?:lon/lat|WGS84 lon/lat)", note)
    if fmt:
        why_zh.append(f"{fmt.group(1)} 按标准为经纬度，按 CGCS2000 读取；WGS84 与 CGCS2000 仅差厘米级")
        why_en.append(f"{fmt.group(1)} is longitude/latitude by its standard, read as CGCS2000 (they differ by centimetres)")
    elif "(given)" in note:
        why_zh.append("按“坐标系”中的选择")
        why_en.append("as chosen in the “CRS” field")
    elif m := re.match(r"from (the [^:]+): ", note):
        why_zh.append("按" + _SOURCES_ZH.get(m.group(1), "文件") + "注明")
        why_en.append("as " + _SOURCES_EN.get(m.group(1), "the file") + " says")
    elif m := re.match(r"zone (\d+) detected from the easting prefix", note):
        why_zh.append(f"由东坐标的带号判断为第{m.group(1)}带；X 为北坐标，Y 为东坐标")
        why_en.append(f"zone {m.group(1)} from the zone number of the eastings; X is the northing, Y the easting")
    elif re.match(r".+ in degrees: read as CGCS2000", note):
        why_zh.append("坐标为经纬度，按 CGCS2000 读取")
        why_en.append("the numbers are degrees, read as CGCS2000")
    if m := re.search(r"zone prefix (\d+) agrees", note):
        why_zh.append(f"与东坐标带号（第{m.group(1)}带）一致")
        why_en.append(f"agrees with the zone number of the eastings ({m.group(1)})")
    if "WGS84 read as CGCS2000" in note:
        why_zh.append("WGS84 按 CGCS2000 读取（仅差厘米级）")
        why_en.append("WGS84 read as CGCS2000 (they differ by centimetres)")
    if "NO datum shift applied" in note:
        why_zh.append("未做基准转换，可能偏差数十米")
        why_en.append("no datum shift applied: may be off by tens of metres")
    elif "datum shift" in note:
        why_zh.append("已按所给七参数转换到 CGCS2000")
        why_en.append("datum shifted to CGCS2000 with the given parameters")
    if note.endswith("reprojected") or ", reprojected" in note:
        why_zh.append("已转换为 CGCS2000 经纬度")
        why_en.append("reprojected to CGCS2000 longitude/latitude")
    if not why_zh:
        why_zh.append("按文件读取")
        why_en.append("as read from the file")
    return {"zh": f"{name_zh}（{'；'.join(why_zh)}）", "en": f"{name_en} ({'; '.join(why_en)})"}
