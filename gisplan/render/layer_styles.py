"""How the overlay layers look: one style per layer kind and zone, from the static map's palette.

The GeoPackage carries these as QGIS styles (QML in its ``layer_styles`` table, so
QGIS opens each layer styled), the KMZ as KML styles and the DXF as layer colours
and hatches: a reviewer sees the same colours in QGIS, Google Earth, CAD and the
PNG map (:mod:`gisplan.render.palette`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from ..vocab import (
    CATEGORY_LABELS_ZH,
    ELEMENT_KINDS,
    ELEMENT_ZONE_LABELS_ZH,
    FARMLAND_ZONE,
    KIND_LABELS_ZH,
    LEVEL_LABELS_ZH,
    URBAN_ZONE_LABELS_ZH,
    ZONE_LABELS_ZH,
)
from .palette import (
    CATEGORY_COLOURS,
    CROSSING_COLOUR,
    ELEMENT_KIND_COLOURS,
    FARMLAND_COLOUR,
    NEARBY_COLOUR,
    OTHER_COLOUR,
    PROTECTED_COLOURS,
    REDLINE_COLOUR,
    RESOURCE_COLOURS,
    SITE_COLOUR,
    URBAN_COLOURS,
    WATER_COLOURS,
)

__all__ = ["Style", "zone_style", "zone_categories", "class_label", "SITE_STYLE", "NEARBY_STYLE", "CROSSING_STYLE",
           "CROSSING_POINT_STYLE", "FIELD_LABELS_ZH", "layer_qml", "hex_rgba", "kml_colour"]

#: Millimetres per typographic point: the static map gives line widths in points, QGIS in millimetres.
_MM_PER_PT = 0.3528


@dataclass(frozen=True)
class Style:
    """The look of one kind of feature.

    Attributes
    ----------
    outline : str
        Outline (or line) colour, ``#rrggbb``.
    width_pt : float
        Outline (or line) width in points, as the static map draws it.
    fill : str or None
        Fill colour; None for an outline only.
    fill_alpha : float
        Opacity of the fill (0-1).
    dash : str
        ``solid``, ``dash``, ``dot`` or ``dashdot``.
    hatch : bool
        Diagonal hatching in the outline colour instead of a fill (the redline).
    label : str
        The legend entry (Chinese).
    """

    outline: str
    width_pt: float
    fill: str | None = None
    fill_alpha: float = 1.0
    dash: str = "solid"
    hatch: bool = False
    label: str = ""


SITE_STYLE = Style(SITE_COLOUR, 1.6, fill=SITE_COLOUR, fill_alpha=0.08, label="项目用地范围")
NEARBY_STYLE = Style(NEARBY_COLOUR, 0.8, dash="dot", label="与周边敏感区最近距离")
CROSSING_STYLE = Style(CROSSING_COLOUR, 2.0, label="线路穿越段")
CROSSING_POINT_STYLE = Style(CROSSING_COLOUR, 0.5, fill=CROSSING_COLOUR, label="穿越出入点")


def class_label(kind: str, cls: str) -> str:
    """The Chinese name of a feature's category, zone or level (``优先保护单元``, ``核心区``, ``一级保护区`` ...).

    A code the vocabulary does not know is returned as it is.

    Examples
    --------
    >>> class_label("control_units", "key"), class_label("water_sources", "quasi")
    ('重点管控单元', '准保护区')
    """
    cls = "" if cls is None else str(cls)
    if kind == "control_units":
        return CATEGORY_LABELS_ZH.get(cls, cls)
    if kind == "eco_redline":
        return "生态保护红线"
    if kind == "protected_areas":
        return ZONE_LABELS_ZH.get(cls, cls)
    if kind == "water_sources":
        return LEVEL_LABELS_ZH.get(cls, cls)
    if kind in ELEMENT_ZONE_LABELS_ZH:
        return ELEMENT_ZONE_LABELS_ZH[kind].get(cls, cls)
    if kind == "basic_farmland":
        return "永久基本农田"
    if kind == "urban_boundary":
        return URBAN_ZONE_LABELS_ZH.get(cls, cls)
    return cls


def zone_style(kind: str, cls: str) -> Style:
    """The style of a control unit, redline, protected-area zone, water-source level, element zone,
    basic-farmland feature or urban-boundary zone.

    As :mod:`gisplan.render.static_map` draws them: units filled by category (60 %),
    the redline hatched, protected-area zones outlined, water-source levels lightly
    filled with a dashed outline, element zones outlined dash-dotted, basic
    farmland hatched in dark gold, the urban boundary's zones outlined dashed.
    """
    label = class_label(kind, cls)
    if kind == "control_units":
        return Style("#7a7a7a", 0.5, fill=CATEGORY_COLOURS.get(cls, "#bbbbbb"), fill_alpha=0.6, label=label)
    if kind == "eco_redline":
        return Style(REDLINE_COLOUR, 0.8, hatch=True, label=label)
    if kind == "protected_areas":
        return Style(PROTECTED_COLOURS.get(cls, "#8e44ad"), 1.3, label=f"自然保护地{label}")
    if kind == "water_sources":
        colour = WATER_COLOURS.get(cls, "#3182bd")
        return Style(colour, 1.2, fill=colour, fill_alpha=0.18, dash="dash", label=f"饮用水水源{label}")
    if kind == "resource_zones":
        return Style(RESOURCE_COLOURS.get(cls, "#c51b7d"), 1.1, dash="dashdot", label=label)
    if kind in ELEMENT_KINDS:
        return Style(ELEMENT_KIND_COLOURS.get(kind, OTHER_COLOUR), 1.1, dash="dashdot", label=label)
    if kind == "basic_farmland":
        return Style(FARMLAND_COLOUR, 0.6, hatch=True, label=label)
    if kind == "urban_boundary":
        return Style(URBAN_COLOURS.get(cls, URBAN_COLOURS["boundary"]), 1.4, dash="dash",
                     label=label if label.startswith("城镇") else f"城镇开发边界{label}")
    return Style(OTHER_COLOUR, 0.8, label=label or KIND_LABELS_ZH.get(kind, kind))


def zone_categories() -> list[tuple[str, str, Style]]:
    """Every ``(kind, class, style)`` the vocabulary knows, in legend order."""
    out = [("control_units", c, zone_style("control_units", c)) for c in CATEGORY_LABELS_ZH]
    out.append(("eco_redline", "redline", zone_style("eco_redline", "redline")))
    out += [("protected_areas", z, zone_style("protected_areas", z)) for z in ZONE_LABELS_ZH]
    out += [("water_sources", v, zone_style("water_sources", v)) for v in LEVEL_LABELS_ZH]
    for kind in ELEMENT_KINDS:
        out += [(kind, z, zone_style(kind, z)) for z in ELEMENT_ZONE_LABELS_ZH[kind]]
    out.append(("basic_farmland", FARMLAND_ZONE, zone_style("basic_farmland", FARMLAND_ZONE)))
    out += [("urban_boundary", z, zone_style("urban_boundary", z)) for z in URBAN_ZONE_LABELS_ZH]
    return out


#: Field names of the layers (at most 10 characters, for shapefiles) and their Chinese names (QGIS aliases,
#: KMZ balloons).
FIELD_LABELS_ZH = {
    "site_id": "项目编号", "name": "名称", "site_kind": "选址类型", "area_m2": "面积（平方米，椭球面）",
    "area_ha": "面积（公顷，椭球面）", "area_gk_m2": "面积（平方米，高斯平面）", "gk_crs": "高斯投影坐标系",
    "verdict": "结论代码", "verdict_zh": "结论", "coverage": "数据范围状态", "industry": "项目类型", "radius_m": "点位半径（米）",
    "width_m": "线路宽度（米）", "buffer_m": "周边检索距离（米）",
    "kind": "类型代码", "kind_zh": "类型", "feature_id": "要素号", "code": "编码", "class": "类别代码",
    "class_zh": "类别（分区、级别）", "share": "占项目面积比例",
    "entry_lon": "入口经度", "entry_lat": "入口纬度", "entry_x": "入口X（北坐标，米）", "entry_y": "入口Y（东坐标，米）",
    "exit_lon": "出口经度", "exit_lat": "出口纬度", "exit_x": "出口X（北坐标，米）", "exit_y": "出口Y（东坐标，米）",
    "chainage_m": "入口里程（米）", "length_m": "穿越长度（米）", "occupy_m2": "穿越段占地（平方米）",
    "point": "出入点代码", "point_zh": "出入点", "lon": "经度", "lat": "纬度", "x_north": "X（北坐标，米）",
    "y_east": "Y（东坐标，米）", "distance_m": "最近距离（米）", "azimuth": "方位角（度）", "direction": "方位",
    "position": "相对位置",
}


# --------------------------------------------------------------------------- colours


def hex_rgba(colour: str, alpha: float = 1.0) -> str:
    """``"#4daf4a", 0.6`` -> ``"77,175,74,153"`` (QGIS colour text).

    Examples
    --------
    >>> hex_rgba("#4daf4a", 0.6)
    '77,175,74,153'
    """
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(alpha * 255)}"


def kml_colour(colour: str, alpha: float = 1.0) -> str:
    """``"#4daf4a", 0.6`` -> ``"994aaf4d"`` (KML's aabbggrr).

    Examples
    --------
    >>> kml_colour("#4daf4a", 0.6)
    '994aaf4d'
    """
    return f"{round(alpha * 255):02x}{colour[5:7]}{colour[3:5]}{colour[1:3]}".lower()


# --------------------------------------------------------------------------- QGIS styles (QML)

_QGIS_DASH = {"solid": "solid", "dash": "dash", "dot": "dot", "dashdot": "dash dot"}


def _options(parent: ET.Element, values: dict[str, str]) -> None:
    box = ET.SubElement(parent, "Option", type="Map")
    for key, value in values.items():
        ET.SubElement(box, "Option", type="QString", name=key, value=str(value))


def _symbol(parent: ET.Element, name: str, geometry: str, style: Style) -> None:
    symbol = ET.SubElement(parent, "symbol", type=geometry, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {
        "class": {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}[geometry],
        "enabled": "1", "pass": "0", "locked": "0"})
    width = f"{style.width_pt * _MM_PER_PT:.3f}"
    if geometry == "fill":
        if style.hatch:
            fill_colour, brush = hex_rgba(style.outline), "b_diagonal"
        elif style.fill:
            fill_colour, brush = hex_rgba(style.fill, style.fill_alpha), "solid"
        else:
            fill_colour, brush = "0,0,0,0", "no"
        _options(layer, {"color": fill_colour, "style": brush, "outline_color": hex_rgba(style.outline),
                         "outline_style": _QGIS_DASH[style.dash], "outline_width": width, "outline_width_unit": "MM",
                         "joinstyle": "bevel"})
    elif geometry == "line":
        _options(layer, {"line_color": hex_rgba(style.outline), "line_style": _QGIS_DASH[style.dash],
                         "line_width": width, "line_width_unit": "MM", "capstyle": "round", "joinstyle": "round"})
    else:
        _options(layer, {"name": "circle", "color": hex_rgba(style.fill or style.outline), "outline_color": "255,255,255,255",
                         "outline_width": "0.3", "outline_width_unit": "MM", "size": "2.4", "size_unit": "MM"})


def _labeling(root: ET.Element, expression: str, placement: str) -> None:
    labeling = ET.SubElement(root, "labeling", type="simple")
    settings = ET.SubElement(labeling, "settings", calloutType="simple")
    text = ET.SubElement(settings, "text-style", fieldName=expression, isExpression="1", fontSize="8",
                         fontSizeUnit="Point", textColor="34,34,34,255", textOpacity="1", fontWeight="50",
                         fontItalic="0", multilineHeight="1", blendMode="0", previewBkgrdColor="255,255,255,255")
    ET.SubElement(text, "text-buffer", bufferDraw="1", bufferSize="0.7", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="0.85", bufferNoFill="1", bufferJoinStyle="128",
                  bufferBlendMode="0")
    ET.SubElement(settings, "text-format", wrapChar="", multilineAlign="1", autoWrapLength="0", addDirectionSymbol="0")
    # 1 OverPoint (polygons: at an inner point), 2 Line (along lines), 6 cartographic around a point
    ET.SubElement(settings, "placement", placement=placement, centroidInside="1", centroidWhole="0", dist="1",
                  distUnits="MM", placementFlags="10", fitInPolygonOnly="0", offsetType="0", priority="5")
    ET.SubElement(settings, "rendering", obstacle="1", scaleVisibility="0", fontLimitPixelSize="0",
                  displayAll="0", upsidedownLabels="0", labelPerPart="0", mergeLines="0", drawLabels="1")


def layer_qml(geometry: str, *, fields: list[str], style: Style | None = None, categorized: bool = False,
              label: str | None = None) -> str:
    """A QGIS style (QML) for one overlay layer.

    Parameters
    ----------
    geometry : {"fill", "line", "marker"}
    fields : list of str
        The layer's fields (their Chinese names become QGIS aliases).
    style : Style, optional
        One symbol for every feature (site, nearby, crossings).
    categorized : bool
        One symbol per ``kind:class`` of :func:`zone_categories` (pieces, store context).
    label : str, optional
        A QGIS expression labelling each feature.

    Returns
    -------
    str
        The QML document.
    """
    root = ET.Element("qgis", version="3.22.0", styleCategories="Symbology|Labeling|Fields",
                      labelsEnabled="1" if label else "0")
    if categorized:
        renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol",
                                 attr="concat(\"kind\", ':', \"class\")", symbollevels="0", enableorderby="0",
                                 forceraster="0")
        cats = ET.SubElement(renderer, "categories")
        symbols = ET.SubElement(renderer, "symbols")
        for i, (kind, cls, st) in enumerate(zone_categories()):
            ET.SubElement(cats, "category", render="true", symbol=str(i), value=f"{kind}:{cls}", label=st.label)
            _symbol(symbols, str(i), geometry, st)
        other = len(zone_categories())
        ET.SubElement(cats, "category", render="true", symbol=str(other), value="", label="其他")
        _symbol(symbols, str(other), geometry, Style(OTHER_COLOUR, 0.8))
    else:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", enableorderby="0",
                                 forceraster="0")
        _symbol(ET.SubElement(renderer, "symbols"), "0", geometry, style or Style(OTHER_COLOUR, 0.8))
    if label:
        _labeling(root, label, {"fill": "1", "line": "2", "marker": "6"}[geometry])
    aliases = ET.SubElement(root, "aliases")
    for i, name in enumerate(fields):
        if name in FIELD_LABELS_ZH:
            ET.SubElement(aliases, "alias", field=name, index=str(i), name=FIELD_LABELS_ZH[name])
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body
