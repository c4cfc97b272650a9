"""Interactive HTML map of a screening (folium), with a blank basemap by default."""

from __future__ import annotations

import os
from pathlib import Path

import re
from importlib import resources

import folium
import folium.plugins
import geopandas as gpd
import shapely

from ..crs import CGCS2000
from ..geometry import from_equal_area, to_equal_area
from ..vocab import CATEGORY_LABELS_ZH, KIND_LABELS_ZH
from .palette import (
    BUFFER_COLOUR,
    CATEGORY_COLOURS,
    PROTECTED_COLOURS,
    REDLINE_COLOUR,
    SITE_COLOUR,
    WATER_COLOURS,
)

__all__ = ["html_map", "write_html_map", "offline_html"]

_ASSET = "gisplan-asset:"


class _OfflineMap(folium.Map):
    """A folium Map whose only scripts and styles are vendored Leaflet files (inlined on save)."""

    default_js = [("leaflet", _ASSET + "leaflet.js")]
    default_css = [("leaflet_css", _ASSET + "leaflet.css")]


class _MeasureControl(folium.plugins.MeasureControl):
    default_js = [("leaflet_measure_js", _ASSET + "leaflet-measure.cn.js")]
    default_css = [("leaflet_measure_css", _ASSET + "leaflet-measure.css")]


def _asset(name: str) -> str:
    return resources.files("gisplan.render").joinpath("static", name).read_text(encoding="utf-8")


def offline_html(html: str) -> str:
    """Replace references to vendored assets by their inline content.

    Raises
    ------
    RuntimeError
        If a script or stylesheet would still be fetched from the network.
    """
    html = re.sub(
        r'<script src="' + _ASSET + r'([\w.\-]+)"></script>',
        lambda m: "<script>" + _asset(m.group(1)).replace("</script", "<\\/script") + "</script>",
        html,
    )
    html = re.sub(
        r'<link rel="stylesheet" href="' + _ASSET + r'([\w.\-]+)"\s*/?>',
        lambda m: "<style>" + _asset(m.group(1)) + "</style>",
        html,
    )
    remote = re.findall(r'<(?:script|link)[^>]+(?:src|href)="(https?:[^"]+)"', html)
    if remote or _ASSET in html:
        raise RuntimeError(f"HTML map would load from the network: {remote[:3]}")
    return html


_LEGEND = """
<div style="position: fixed; bottom: 44px; left: 12px; z-index: 9999; background: white;
            padding: 8px 10px; border: 1px solid #999; font: 12px/1.5 sans-serif;">
<b>图例</b><br>{rows}
<span style="font-size: 10px; color: #666;">CGCS2000 · 示例数据为合成</span>
</div>"""


def _legend_html() -> str:
    items = [(CATEGORY_COLOURS["priority"], "优先保护单元"), (CATEGORY_COLOURS["key"], "重点管控单元"),
             (CATEGORY_COLOURS["general"], "一般管控单元"), (REDLINE_COLOUR, "生态保护红线"),
             (PROTECTED_COLOURS["core"], "自然保护地"), (WATER_COLOURS["level2"], "饮用水水源保护区"),
             (SITE_COLOUR, "项目范围")]
    rows = "".join(
        f'<span style="display:inline-block;width:14px;height:10px;background:{c};opacity:.7;margin-right:4px"></span>{t}<br>'
        for c, t in items
    )
    return _LEGEND.format(rows=rows)


def _geojson(frame: gpd.GeoDataFrame, name: str, style, fields: list[str], aliases: list[str]) -> folium.GeoJson:
    styled = [c for c in ("category", "zone", "level") if c in frame.columns and c not in fields]
    frame = frame[fields + styled + ["geometry"]].copy()
    for col in fields:
        if frame[col].dtype.kind == "f":
            frame[col] = frame[col].round(2)
    return folium.GeoJson(
        frame.to_json(drop_id=True),
        name=name,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields[:2], aliases=aliases[:2]),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    )


def html_map(result, *, tiles: str | None = None, attribution: str | None = None) -> folium.Map:
    """A folium map of a screening result: units, redline, reserves, water zones, site, buffer.

    Parameters
    ----------
    result : ScreeningResult
    tiles : str, optional
        A tile URL template (e.g. Tianditu with your key). Blank basemap by default,
        so the map needs no network for its content.
    attribution : str, optional
        Attribution text for ``tiles``.
    """
    minx, miny, maxx, maxy = result.project["bounds"]
    m = _OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, control_scale=True, zoom_start=12)
    if tiles:
        folium.TileLayer(tiles=tiles, attr=attribution or "basemap", name="底图").add_to(m)
    ctx = result.context
    overlap = {}
    if len(result.control_units):
        overlap = dict(zip(result.control_units["feature_id"], result.control_units["overlap_m2"] / 1e4))
    units = ctx.get("control_units")
    if units is not None and len(units):
        units = units.copy()
        units["category_label"] = units["category"].map(CATEGORY_LABELS_ZH)
        units["overlap_ha"] = units["feature_id"].map(overlap).fillna(0.0)
        _geojson(
            units, KIND_LABELS_ZH["control_units"],
            lambda f: {"fillColor": CATEGORY_COLOURS.get(f["properties"]["category"], "#999"), "color": "#666", "weight": 1, "fillOpacity": 0.45},
            ["code", "name", "category_label", "overlap_ha"], ["单元编码", "单元名称", "管控类别", "占用面积 (ha)"],
        ).add_to(m)
    red = ctx.get("eco_redline")
    if red is not None and len(red):
        _geojson(red, KIND_LABELS_ZH["eco_redline"],
                 lambda f: {"color": REDLINE_COLOUR, "weight": 2, "fillColor": REDLINE_COLOUR, "fillOpacity": 0.3, "dashArray": "4 3"},
                 ["name"], ["名称"]).add_to(m)
    pa = ctx.get("protected_areas")
    if pa is not None and len(pa):
        _geojson(pa, KIND_LABELS_ZH["protected_areas"],
                 lambda f: {"color": PROTECTED_COLOURS.get(f["properties"]["zone"], "#8e44ad"), "weight": 2, "fillOpacity": 0.15},
                 ["name", "zone_label"], ["名称", "功能分区"]).add_to(m)
    ws = ctx.get("water_sources")
    if ws is not None and len(ws):
        _geojson(ws, KIND_LABELS_ZH["water_sources"],
                 lambda f: {"color": WATER_COLOURS.get(f["properties"]["level"], "#3182bd"), "weight": 2, "fillOpacity": 0.25},
                 ["name", "level_label"], ["名称", "保护区级别"]).add_to(m)
    buf = result.params.get("buffer_m") or 0
    if buf > 0:
        ring = from_equal_area(shapely.buffer(to_equal_area(result.footprint), buf, quad_segs=16))
        folium.GeoJson(
            gpd.GeoSeries([ring], crs=CGCS2000).to_json(), name=f"{buf / 1000:g} km 范围",
            style_function=lambda f: {"color": BUFFER_COLOUR, "weight": 1.5, "fill": False, "dashArray": "6 4"},
        ).add_to(m)
    site = result.footprint_frame.copy()
    site["area_ha"] = (site["area_m2"] / 1e4).round(4)
    _geojson(site, "项目范围",
             lambda f: {"color": SITE_COLOUR, "weight": 3, "fillOpacity": 0.05},
             ["name", "area_ha"], ["项目", "面积 (ha)"]).add_to(m)
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(30, 30))
    _MeasureControl(position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
                    primary_area_unit="hectares", secondary_area_unit="sqmeters").add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend_html()))
    return m


def write_html_map(result, path: str | os.PathLike, **kwargs) -> Path:
    """Write :func:`html_map` to ``path`` as one self-contained file (no network needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    html = offline_html(html_map(result, **kwargs).get_root().render())
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(html, encoding="utf-8")
    os.replace(tmp, path)
    return path
