"""The overlay layers as a DXF drawing for CAD: Gauss-Kruger metres of the site's zone, Chinese layer names.

- Coordinates: CGCS2000 3-degree Gauss-Kruger (the zone of the JSON's ``gk_crs``,
  e.g. EPSG:4552, central meridian 129°E, no zone prefix), metres; CAD's x is the
  easting and y the northing (surveyors' Y and X), so the drawing is north-up.
- One CAD layer per kind: 项目用地范围, 占用-环境管控单元, 占用-生态保护红线 ...,
  线路穿越段, 线路穿越出入点, 周边敏感区距离, 周边-环境管控单元 ..., 图面说明.
- Pieces are outlined and hatched (ANSI31) in the static map's colours (true colour),
  with a text label (code or name, area in hectares); the context is outlined only.
- Text uses the style ``GISPLAN_CJK`` with the TrueType font ``simsun.ttc`` (宋体, on
  every Chinese Windows; AutoCAD substitutes it elsewhere).
- DXF R2010 (AC1024): UTF-8 text, read by AutoCAD 2010+, LibreCAD, QGIS/GDAL and ezdxf.

Names a DXF layer cannot hold (``< > / \\ " : ; ? * | = ```, control characters)
are written with their full-width forms (``／``, ``：`` ...) so they stay legible;
text labels lose control characters, and ``%`` is written as ``%%%`` so CAD does
not read ``%%c``-style codes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import shapely

from ..io.outputs import encodable
from ..vocab import ELEMENT_KINDS, KIND_LABELS_ZH
from .layer_styles import CROSSING_STYLE, NEARBY_STYLE, SITE_STYLE, zone_style

__all__ = ["write_dxf", "cad_layer_name", "cad_text", "TEXT_STYLE", "TEXT_FONT"]

TEXT_STYLE = "GISPLAN_CJK"
TEXT_FONT = "simsun.ttc"
_FULL_WIDTH = {"<": "＜", ">": "＞", "/": "／", "\\": "＼", '"': "＂", ":": "：", ";": "；", "?": "？", "*": "＊",
               "|": "｜", "=": "＝", "`": "｀"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def cad_layer_name(name: str) -> str:
    """A DXF layer name for ``name``: characters CAD refuses become their full-width forms.

    Examples
    --------
    >>> cad_layer_name("占用-水源地/一级:A")
    '占用-水源地／一级：A'
    """
    text = _CONTROL.sub(" ", encodable(str(name)))
    text = "".join(_FULL_WIDTH.get(ch, ch) for ch in text).strip() or "未命名"
    return text[:255]


def cad_text(text) -> str:
    """Label text CAD shows as written: control characters out, ``%`` escaped (``%%%`` is one percent sign).

    Examples
    --------
    >>> cad_text("覆盖率 50%\\n第2行")
    '覆盖率 50%%% 第2行'
    """
    text = _CONTROL.sub(" ", encodable("" if text is None else str(text)))
    return text.replace("%", "%%%")


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


_LINETYPES = {"solid": "CONTINUOUS", "dash": "DASHED", "dot": "DOT", "dashdot": "DASHDOT"}


class _Drawing:
    def __init__(self, layers, scale: float):
        import ezdxf

        self.doc = ezdxf.new("R2010", setup=True, units=6)  # metres; setup: standard linetypes
        self.doc.header["$MEASUREMENT"] = 1
        style = self.doc.styles.add(TEXT_STYLE, font=TEXT_FONT)
        style.set_extended_font_data(family="宋体")
        self.msp = self.doc.modelspace()
        self.scale = scale  # a length that reads well at the drawing's size (text height, hatch spacing)
        self.layers = layers

    def layer(self, name: str, style) -> str:
        name = cad_layer_name(name)
        if name not in self.doc.layers:
            lay = self.doc.layers.add(name)
            lay.rgb = _rgb(style.outline)
            lay.dxf.linetype = _LINETYPES.get(style.dash, "CONTINUOUS")
        return name

    def attribs(self, layer: str, colour: str, dash: str = "solid") -> dict:
        return {"layer": layer, "true_color": _true_color(colour), "linetype": _LINETYPES.get(dash, "CONTINUOUS"),
                "ltscale": self.scale / 4}

    def outline(self, geom, layer: str, colour: str, dash: str = "solid") -> None:
        for part in shapely.get_parts(geom):
            if part.geom_type == "Polygon":
                for ring in [part.exterior, *part.interiors]:
                    self.msp.add_lwpolyline(np.asarray(ring.coords)[:-1, :2], close=True,
                                            dxfattribs=self.attribs(layer, colour, dash))
            elif part.geom_type == "LineString":
                self.msp.add_lwpolyline(np.asarray(part.coords)[:, :2], dxfattribs=self.attribs(layer, colour, dash))

    def hatch(self, geom, layer: str, colour: str, angle: float = 0.0) -> None:
        from ezdxf import const

        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon":
                continue
            # line spacing: a fifth of the part's mean width (a 60 m corridor gets 12 m), at most the label height
            width = 2.0 * part.area / max(part.exterior.length, 1e-9)
            spacing = min(max(width / 5.0, 0.5), self.scale / 2.0)
            h = self.msp.add_hatch(dxfattribs={"layer": layer, "true_color": _true_color(colour)})
            h.set_pattern_fill("ANSI31", scale=spacing / 3.175, angle=angle)  # ANSI31: lines 3.175 units apart
            h.paths.add_polyline_path(np.asarray(part.exterior.coords)[:-1, :2], is_closed=True,
                                      flags=const.BOUNDARY_PATH_EXTERNAL)
            for ring in part.interiors:
                h.paths.add_polyline_path(np.asarray(ring.coords)[:-1, :2], is_closed=True,
                                          flags=const.BOUNDARY_PATH_DEFAULT)

    def text(self, lines: list[str], x: float, y: float, layer: str, colour: str = "#222222",
             height: float | None = None) -> None:
        from ezdxf.enums import TextEntityAlignment

        height = height or self.scale / 2.0
        lines = [cad_text(t) for t in lines if t]
        for i, line in enumerate(lines):  # one TEXT per line: the entity every CAD program reads alike
            dy = (len(lines) / 2 - i - 0.5) * height * 1.5
            t = self.msp.add_text(line, height=height, dxfattribs={"layer": layer, "style": TEXT_STYLE,
                                                                    "true_color": _true_color(colour)})
            t.set_placement((x, y + dy), align=TextEntityAlignment.MIDDLE_CENTER)


def _true_color(colour: str) -> int:
    from ezdxf import colors

    return colors.rgb2int(_rgb(colour))


def _drawing_scale(geoms) -> float:
    """A length that reads well at the drawing's size: 1/25 of the sites' extent (at least 2 m); labels are half of it."""
    minx, miny, maxx, maxy = shapely.total_bounds(np.asarray(geoms, dtype=object))
    return max(max(maxx - minx, maxy - miny) / 25.0, 2.0)


def gk_coordinates(geoms, gk_crs: str):
    """Geometries from CGCS2000 lon/lat to ``gk_crs`` metres (x easting, y northing: CAD's axes)."""
    from ..geo.crs import CGCS2000, transformer

    tf = transformer(CGCS2000, gk_crs)
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: np.column_stack(tf.transform(xy[:, 0], xy[:, 1])))


def write_dxf(layers, path: str | Path) -> None:
    """Write :class:`~gisplan.render.layers_out.OverlayLayers` as a DXF drawing to ``path``."""
    gk = layers.gk_crs
    projected = {name: list(gk_coordinates(layers.geoms[name], gk)) if layers.geoms[name] else []
                 for name in layers.geoms}
    reference = projected["site"] or projected["pieces"] or projected["store_context"]
    d = _Drawing(layers, _drawing_scale(reference) if reference else 10.0)
    # the context first (under everything), then pieces, site, crossings, distances
    for row, geom in zip(layers.rows["store_context"], projected["store_context"]):
        st = zone_style(row["kind"], row["class"])
        name = d.layer(f"周边-{KIND_LABELS_ZH.get(row['kind'], row['kind'])}", st)
        d.outline(geom, name, st.outline, st.dash)
    taken: dict[tuple, int] = {}  # labels of pieces that share a spot (a unit and its element zones) are stacked
    for row, geom in zip(layers.rows["pieces"], projected["pieces"]):
        st = zone_style(row["kind"], row["class"])
        name = d.layer(f"占用-{row['kind_zh']}", st)
        colour = st.fill if st.fill and not st.hatch else st.outline
        d.outline(geom, name, st.outline, st.dash)
        if row["kind"] not in ELEMENT_KINDS:  # element zones are outlined only, as on the static map
            d.hatch(geom, name, colour, angle=0.0 if row["kind"] == "control_units" else 90.0)
        p = geom.representative_point()
        spot = (round(p.x / d.scale), round(p.y / d.scale))
        below = taken.get(spot, 0)
        taken[spot] = below + 2
        d.text([row.get("code") or row.get("name"), f"{row['class_zh']} {row['area_ha']:.4f} 公顷"],
               p.x, p.y - below * d.scale * 0.75, name)
    for row, geom in zip(layers.rows["site"], projected["site"]):
        name = d.layer("项目用地范围", SITE_STYLE)
        d.outline(geom, name, SITE_STYLE.outline)
        minx, miny, maxx, maxy = geom.bounds
        d.text([row.get("name") or row.get("site_id"), f"用地面积 {row['area_ha']:.4f} 公顷（椭球面）"],
               (minx + maxx) / 2, maxy + d.scale * 1.5, name, colour=SITE_STYLE.outline)
    for row, geom in zip(layers.rows["crossings"], projected["crossings"]):
        name = d.layer("线路穿越段", CROSSING_STYLE)
        d.outline(geom, name, CROSSING_STYLE.outline)
        mid = geom.interpolate(0.5, normalized=True)
        d.text([f"穿越{row['kind_zh']} {row['length_m']:.1f} 米"], mid.x, mid.y + d.scale, name,
               colour=CROSSING_STYLE.outline)
    for row, geom in zip(layers.rows["crossing_points"], projected["crossing_points"]):
        name = d.layer("线路穿越出入点", CROSSING_STYLE)
        d.msp.add_point((geom.x, geom.y), dxfattribs=d.attribs(name, CROSSING_STYLE.outline))
        d.msp.add_circle((geom.x, geom.y), d.scale / 3, dxfattribs=d.attribs(name, CROSSING_STYLE.outline))
        d.text([f"{row['point_zh']} X={row['x_north']:.3f} Y={row['y_east']:.3f}"], geom.x, geom.y - d.scale, name,
               colour=CROSSING_STYLE.outline, height=d.scale / 3)
    for row, geom in zip(layers.rows["nearby"], projected["nearby"]):
        name = d.layer("周边敏感区距离", NEARBY_STYLE)
        d.outline(geom, name, NEARBY_STYLE.outline, NEARBY_STYLE.dash)
        mid = geom.interpolate(0.5, normalized=True)
        d.text([f"{row['name']} {row['position']}"], mid.x, mid.y, name, height=d.scale / 3)
    if reference:
        minx, miny, _, _ = shapely.total_bounds(np.asarray(reference, dtype=object))
        note = d.layer("图面说明", SITE_STYLE)
        d.text([f"坐标系：CGCS2000 3度带高斯-克吕格投影（{gk}），单位：米；图面x为东坐标Y、y为北坐标X",
                "面积：椭球面面积（CGCS2000/GRS80），高斯平面面积见属性表；由 gisplan 生成"],
               minx, miny - d.scale * 4, note, height=d.scale / 3)
        for t in d.msp.query(f'TEXT[layer=="{note}"]'):
            t.set_placement(t.dxf.align_point, align=_left())
    d.doc.saveas(path, encoding="utf-8")


def _left():
    from ezdxf.enums import TextEntityAlignment

    return TextEntityAlignment.MIDDLE_LEFT
