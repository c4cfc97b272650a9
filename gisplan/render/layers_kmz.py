"""The overlay layers as a KMZ for Google Earth and 奥维互动地图 (Ovital): WGS84 lon/lat, styled, a balloon each.

One folder per layer (项目用地范围, 占用情况, 线路穿越, 周边距离, 周边管控单元及分区),
one placemark per feature, each with a Chinese description balloon (a table of
its figures). Colours are those of the static map (:mod:`gisplan.render.layer_styles`);
KML cannot hatch, so the redline is drawn as a lightly filled outline.
CGCS2000 coordinates are written as they are: WGS84 and CGCS2000 differ by centimetres.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import shapely

from ..io.outputs import encodable, xml_safe
from .layer_styles import (
    CROSSING_POINT_STYLE,
    CROSSING_STYLE,
    FIELD_LABELS_ZH,
    NEARBY_STYLE,
    SITE_STYLE,
    Style,
    kml_colour,
    zone_categories,
    zone_style,
)

__all__ = ["write_kmz", "kml_document"]

_KML_NS = "http://www.opengis.net/kml/2.2"
#: Folder name and the fields its balloons show, per layer.
_FOLDERS = {
    "site": ("项目用地范围", ["site_id", "name", "area_ha", "area_m2", "area_gk_m2", "gk_crs", "verdict_zh", "industry"]),
    "pieces": ("占用情况", ["kind_zh", "code", "name", "class_zh", "area_ha", "area_m2", "area_gk_m2", "share", "site_id"]),
    "crossings": ("线路穿越", ["kind_zh", "name", "class_zh", "length_m", "occupy_m2", "chainage_m", "entry_x", "entry_y",
                           "exit_x", "exit_y", "gk_crs", "site_id"]),
    "crossing_points": ("线路穿越出入点", ["point_zh", "kind_zh", "name", "lon", "lat", "x_north", "y_east", "gk_crs",
                                     "site_id"]),
    "nearby": ("周边敏感区距离", ["kind_zh", "code", "name", "class_zh", "position", "distance_m", "site_id"]),
    "store_context": ("周边管控单元及分区", ["kind_zh", "code", "name", "class_zh"]),
}
_DIGITS = {"area_ha": 4, "area_m2": 2, "area_gk_m2": 2, "occupy_m2": 2, "length_m": 1, "chainage_m": 1,
           "distance_m": 0, "entry_x": 3, "entry_y": 3, "exit_x": 3, "exit_y": 3, "x_north": 3, "y_east": 3,
           "lon": 8, "lat": 8}


def _text(value) -> str:
    return xml_safe(encodable("" if value is None else str(value)))


def _cell(name: str, value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if name == "share":
        return f"{float(value):.2%}"
    if name in _DIGITS:
        return f"{float(value):,.{_DIGITS[name]}f}"
    return str(value)


def _balloon(row: dict, fields: list[str]) -> str:
    cells = "".join(f"<tr><td>{html.escape(FIELD_LABELS_ZH.get(f, f))}</td><td>{html.escape(_cell(f, row.get(f)))}</td></tr>"
                    for f in fields if _cell(f, row.get(f)) != "")
    return f'<table border="1" cellpadding="3" style="border-collapse:collapse">{cells}</table>'


def _placemark_name(layer: str, row: dict) -> str:
    if layer == "site":
        return row.get("name") or row.get("site_id") or "项目"
    if layer == "pieces":
        return f"{row.get('class_zh')} {row.get('code') or row.get('name')}".strip()
    if layer == "crossings":
        return f"穿越{row.get('kind_zh')} {row.get('name')}"
    if layer == "crossing_points":
        return f"{row.get('point_zh')} {row.get('name')}"
    if layer == "nearby":
        return f"{row.get('name')} {row.get('position')}"
    return f"{row.get('code') or row.get('name')}"


def _add_style(doc: ET.Element, sid: str, style: Style, *, point: bool = False) -> None:
    el = ET.SubElement(doc, "Style", id=sid)
    if point:
        icon = ET.SubElement(el, "IconStyle")
        ET.SubElement(icon, "color").text = kml_colour(style.fill or style.outline)
        ET.SubElement(icon, "scale").text = "0.8"  # the viewer's own pin, tinted: no icon fetched from the network
        return
    line = ET.SubElement(el, "LineStyle")
    ET.SubElement(line, "color").text = kml_colour(style.outline)
    ET.SubElement(line, "width").text = f"{max(style.width_pt * 1.5, 1.0):.1f}"
    poly = ET.SubElement(el, "PolyStyle")
    if style.hatch:  # KML has no hatching: a light fill of the hatch colour
        ET.SubElement(poly, "color").text = kml_colour(style.outline, 0.25)
    elif style.fill:
        ET.SubElement(poly, "color").text = kml_colour(style.fill, style.fill_alpha)
    else:
        ET.SubElement(poly, "fill").text = "0"


def _coords(coords) -> str:
    return " ".join(f"{x:.8f},{y:.8f}" for x, y in coords)


def _geometry(parent: ET.Element, geom) -> None:
    if geom.geom_type in ("MultiPolygon", "MultiLineString", "MultiPoint", "GeometryCollection"):
        multi = ET.SubElement(parent, "MultiGeometry")
        for part in shapely.get_parts(geom):
            _geometry(multi, part)
        return
    if geom.geom_type == "Point":
        ET.SubElement(ET.SubElement(parent, "Point"), "coordinates").text = _coords([(geom.x, geom.y)])
    elif geom.geom_type == "LineString":
        line = ET.SubElement(parent, "LineString")
        ET.SubElement(line, "tessellate").text = "1"
        ET.SubElement(line, "coordinates").text = _coords(geom.coords)
    elif geom.geom_type == "Polygon":
        poly = ET.SubElement(parent, "Polygon")
        ET.SubElement(poly, "tessellate").text = "1"
        for tag, ring in [("outerBoundaryIs", geom.exterior)] + [("innerBoundaryIs", r) for r in geom.interiors]:
            lr = ET.SubElement(ET.SubElement(poly, tag), "LinearRing")
            ET.SubElement(lr, "coordinates").text = _coords(ring.coords)


def kml_document(layers) -> bytes:
    """The KML document (UTF-8 bytes) of :class:`~gisplan.render.layers_out.OverlayLayers`."""
    kml = ET.Element("kml", xmlns=_KML_NS)
    doc = ET.SubElement(kml, "Document")
    ET.SubElement(doc, "name").text = _text(layers.title or "三线一单筛查")
    ET.SubElement(doc, "description").text = ("gisplan 三线一单筛查结果。坐标为 CGCS2000 经纬度，按 WGS84 使用"
                                              "（两者相差厘米级）；面积为椭球面面积。")
    _add_style(doc, "site", SITE_STYLE)
    _add_style(doc, "nearby", NEARBY_STYLE)
    _add_style(doc, "crossing", CROSSING_STYLE)
    _add_style(doc, "crossing_point", CROSSING_POINT_STYLE, point=True)
    style_ids = {}
    for i, (kind, cls, st) in enumerate(zone_categories()):
        style_ids[(kind, cls)] = f"z{i}"
        _add_style(doc, f"z{i}", st)
    _add_style(doc, "zother", zone_style("", ""))
    for layer, (title, fields) in _FOLDERS.items():
        rows, geoms = layers.rows[layer], layers.geoms[layer]
        if not rows:
            continue
        folder = ET.SubElement(doc, "Folder")
        ET.SubElement(folder, "name").text = title
        if layer == "store_context":
            ET.SubElement(folder, "open").text = "0"
        for row, geom in zip(rows, geoms):
            pm = ET.SubElement(folder, "Placemark")
            ET.SubElement(pm, "name").text = _text(_placemark_name(layer, row))
            ET.SubElement(pm, "description").text = _text(_balloon(row, fields))
            if layer in ("pieces", "store_context"):
                sid = style_ids.get((row.get("kind"), row.get("class")), "zother")
            else:
                sid = {"site": "site", "nearby": "nearby", "crossings": "crossing",
                       "crossing_points": "crossing_point"}[layer]
            ET.SubElement(pm, "styleUrl").text = f"#{sid}"
            _geometry(pm, geom)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="utf-8", xml_declaration=False)


def write_kmz(layers, path: str | Path) -> None:
    """Write the layers as a KMZ (a zip whose first member is ``doc.kml``) to ``path``."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml_document(layers))
