"""Interactive HTML map of a screening (folium), with a blank basemap by default.

The saved page carries vendored Leaflet and leaflet-measure inline (folium would
load them from CDNs), so it opens with no network. Basemap options and the
GCJ-02 display shift live in :mod:`gisplan.render.basemap`.
"""

from __future__ import annotations

import html
import os
import re
from importlib import resources
from pathlib import Path
from typing import ClassVar

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from ..geo.crs import CGCS2000
from ..geo.geometry import from_equal_area, to_equal_area
from ..three_lines import nearby_to_mark
from ..vocab import (
    ELEMENT_KINDS,
    ELEMENT_ZONE_LABELS_ZH,
    KIND_LABELS_ZH,
    LEVEL_LABELS_ZH,
    URBAN_ZONE_LABELS_ZH,
    ZONE_LABELS_ZH,
)
from .basemap import Basemap, BasemapSpec, display_geoms, resolve_basemap
from .labels import category_label, kind_label, zone_label
from .palette import COUNTY_LINE_COLOUR, ELEMENT_KIND_COLOURS, FARMLAND_COLOUR, RESOURCE_COLOURS, SEAT_COLOUR, URBAN_COLOURS
from .palette import (
    BUFFER_COLOUR,
    CATEGORY_COLOURS,
    PROTECTED_COLOURS,
    REDLINE_COLOUR,
    SITE_COLOUR,
    WATER_COLOURS,
)

__all__ = ["html_map", "offline_html", "write_html_map"]

_ASSET = "gisplan-asset:"


class _OfflineMap(folium.Map):
    """A folium Map whose only scripts and styles are vendored Leaflet files (inlined on save)."""

    default_js: ClassVar[list] = [("leaflet", _ASSET + "leaflet.js")]
    default_css: ClassVar[list] = [("leaflet_css", _ASSET + "leaflet.css")]

    def _repr_html_(self, **kwargs) -> str:
        """The map in a notebook: an iframe of the self-contained page (no CDN needed)."""
        page = offline_html(self.get_root().render(**kwargs))
        return (
            '<div style="width:100%;"><div style="position:relative;width:100%;height:0;padding-bottom:60%;">'
            f'<iframe srcdoc="{html.escape(page)}" style="position:absolute;width:100%;height:100%;left:0;top:0;'
            'border:none !important;" allowfullscreen></iframe></div></div>'
        )


class _MetricScale(MacroElement):
    """A metric-only scale bar (folium's control_scale shows feet and miles too)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)


class _MeasureControl(folium.plugins.MeasureControl):
    default_js: ClassVar[list] = [("leaflet_measure_js", _ASSET + "leaflet-measure.cn.js")]
    default_css: ClassVar[list] = [("leaflet_measure_css", _ASSET + "leaflet-measure.css")]


class _MeasureControlEn(_MeasureControl):
    """The measuring tool in English (the same npm package's English build)."""

    default_js: ClassVar[list] = [("leaflet_measure_js", _ASSET + "leaflet-measure.js")]


class _FitWhenSized(folium.map.FitBounds):
    """Fit the map to its bounds once its frame has a size.

    A map in a frame the page hides while it loads (a tab switched away) has no
    size: fitting then gives a NaN view and the map stays broken. This checks
    every 150 ms until the frame is laid out, then fits as
    :class:`folium.map.FitBounds` does at once. It also drops Leaflet's own
    link from the credits corner (an English word on a Chinese map; the
    tiles' credit stays).
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function fit() {
            var map = {{ this._parent.get_name() }}, box = map.getContainer();
            if (!(box.clientWidth > 0 && box.clientHeight > 0)) { setTimeout(fit, 150); return; }
            map.invalidateSize(false);
            map.fitBounds({{ this.bounds|tojson }}, {{ this.options|tojson }});
        })();
        // no "Leaflet" link in the corner: an English word on a Chinese map (the tiles' own credit stays)
        if ({{ this._parent.get_name() }}.attributionControl) {
            {{ this._parent.get_name() }}.attributionControl.setPrefix(false);
        }
        {% endmacro %}
    """)


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


# The legend folds into a small button at the lower right (open it to read it): the drawing stays clear.
_LEGEND = """
<details class="gisplan-legend" style="position: fixed; bottom: 24px; right: 10px; z-index: 9999; background: white;
            padding: 4px 8px; border: 1px solid #999; border-radius: 3px; font: 12px/1.5 sans-serif;
            max-width: 260px; max-height: 70%; overflow: auto;">
<summary style="cursor: pointer; font-weight: bold;">{title}</summary>{rows}
<span style="font-size: 10px; color: #666;">{note}</span>
</details>"""
_EN_ELEMENT_KINDS = {"air_zones": "air control zones", "water_zones": "water control zones",
                     "soil_zones": "soil control zones", "resource_zones": "resource-use zones"}


def _swatch(fill: str, line: str, dash: bool = False, fill_opacity: float = 0.7) -> str:
    border = f"2px {'dashed' if dash else 'solid'} {line}"
    bg = "transparent" if fill == "none" else fill
    return (f'<span style="display:inline-block;width:14px;height:10px;background:{bg};opacity:{fill_opacity};'
            f'border:{border};margin-right:4px;vertical-align:middle"></span>')


def _legend_html(ctx: dict, buffer_m: float, basemap: Basemap | None, synthetic: bool = False, lang: str = "zh",
                 offline: bool = False) -> str:
    """Legend rows for the three categories, the zone kinds present, the site and ring, the basemap."""
    zh = lang == "zh"
    rows = [(_swatch(CATEGORY_COLOURS[c], "#666"), category_label(c, lang)) for c in ("priority", "key", "general")]
    if _present(ctx, "eco_redline"):
        rows.append((_swatch("none", REDLINE_COLOUR, dash=True, fill_opacity=1.0), kind_label("eco_redline", lang)))
    pa = ctx.get("protected_areas")
    if _present(ctx, "protected_areas"):
        for zone in dict.fromkeys(pa["zone"]):
            rows.append((_swatch("none", PROTECTED_COLOURS.get(zone, "#8e44ad")),
                         f"自然保护地 {ZONE_LABELS_ZH.get(zone, zone)}" if zh else f"protected area, {zone_label(zone, lang=lang)}"))
    ws = ctx.get("water_sources")
    if _present(ctx, "water_sources"):
        for level in ("level1", "level2", "quasi"):
            if (ws["level"] == level).any():
                rows.append((_swatch(WATER_COLOURS[level], WATER_COLOURS[level]),
                             f"水源 {LEVEL_LABELS_ZH[level]}" if zh else f"water source, {zone_label(level, lang=lang)}"))
    if _present(ctx, "basic_farmland"):
        rows.append((_swatch(FARMLAND_COLOUR, FARMLAND_COLOUR, fill_opacity=0.35), kind_label("basic_farmland", lang)))
    if _present(ctx, "urban_boundary"):
        for zone in dict.fromkeys(ctx["urban_boundary"]["zone"]):
            rows.append((_swatch("none", URBAN_COLOURS.get(zone, URBAN_COLOURS["boundary"]), dash=True),
                         _urban_zone_words(zone, lang)))
    for kind in ELEMENT_KINDS:  # element zones: resource zones by type, the tiling kinds as one outline each
        if _present(ctx, kind):
            zones = dict.fromkeys(ctx[kind]["zone"]) if kind == "resource_zones" else [None]
            for zone in zones:
                colour = RESOURCE_COLOURS.get(zone, ELEMENT_KIND_COLOURS[kind]) if zone else ELEMENT_KIND_COLOURS[kind]
                if zh:
                    label = ELEMENT_ZONE_LABELS_ZH[kind].get(zone, zone) if zone else f"{KIND_LABELS_ZH[kind]}（图层默认隐藏）"
                else:
                    label = str(zone).replace("_", " ") if zone else f"{_EN_ELEMENT_KINDS[kind]} (hidden at first)"
                rows.append((_swatch("none", colour, dash=True), label))
    rows.append((_swatch("none", SITE_COLOUR), "项目范围" if zh else "project site"))
    if buffer_m > 0:
        rows.append((_swatch("none", BUFFER_COLOUR, dash=True),
                     f"{buffer_m / 1000:g} km 检索范围" if zh else f"{buffer_m / 1000:g} km search radius"))
    if offline:
        rows.append((_swatch("none", COUNTY_LINE_COLOUR, dash=True), "县级界线" if zh else "county boundary"))
    note = "坐标系 CGCS2000" if zh else "CRS: CGCS2000"
    if basemap is not None and basemap.crs == "gcj02":
        note = ("数据 CGCS2000；为对齐 GCJ-02 底图，叠加层已偏移显示（仅供显示，量算误差 < 1%）" if zh else
                "data in CGCS2000, shifted on screen to line up with the GCJ-02 basemap (display only)")
    if offline:
        from .offline_basemap import OFFLINE_SOURCE_NOTE

        note += "；" + OFFLINE_SOURCE_NOTE[0] if zh else "; " + OFFLINE_SOURCE_NOTE[1]
    if synthetic:
        note += " · 示例数据为合成，非官方成果" if zh else " · synthetic demo data, not official"
    body = "<div>" + "<br>".join(f"{sw}{html.escape(label)}" for sw, label in rows) + "</div>"
    return _LEGEND.format(title="图例" if zh else "Legend", rows=body, note=html.escape(note))


def _urban_zone_words(zone: str, lang: str) -> str:
    """A legend row of the urban development boundary: its planning zone, or the boundary itself."""
    if lang == "zh":
        label = URBAN_ZONE_LABELS_ZH.get(zone, zone)
        return label if label.startswith("城镇") else f"城镇开发边界{label}"
    if zone == "boundary":
        return "Urban development boundary"
    return f"Urban development boundary, {zone_label(zone, lang=lang)}"


def _present(ctx: dict, kind: str) -> bool:
    frame = ctx.get(kind)
    return frame is not None and len(frame) > 0


def _geojson(frame: gpd.GeoDataFrame, name: str, style, fields: list[str], aliases: list[str],
             crs: str = "cgcs2000") -> folium.GeoJson:
    """A GeoJSON layer with tooltip and popup; text is HTML-escaped (popups use innerHTML)."""
    styled = [c for c in ("category", "zone", "level") if c in frame.columns and c not in fields]
    frame = frame[fields + styled + ["geometry"]].copy()
    for col in fields:
        if frame[col].dtype.kind == "f":
            frame[col] = frame[col].round(2)
        elif frame[col].dtype.kind == "O":
            frame[col] = frame[col].map(lambda v: html.escape(str(v)) if v is not None else "")
    frame["geometry"] = display_geoms(np.asarray(frame.geometry.values, dtype=object), crs)
    return folium.GeoJson(
        frame.to_json(drop_id=True),
        name=name,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=fields[:2], aliases=aliases[:2]),
        popup=folium.GeoJsonPopup(fields=fields, aliases=aliases),
    )


def html_map(
    result,
    *,
    tiles: str | None = None,
    attribution: str | None = None,
    basemap: str | BasemapSpec | None = None,
    tiles_crs: str | None = None,
    raster: str | None = None,
    lang: str = "zh",
) -> folium.Map:
    """A folium map of a screening result: units, redline, reserves, water zones, site, buffer.

    The map carries its scripts inline (see :func:`offline_html`), so with the
    default blank basemap it needs no network at all.

    Parameters
    ----------
    result : ScreeningResult
    tiles : str, optional
        A tile URL template with ``{x}``, ``{y}``, ``{z}`` and your key, e.g. Tianditu
        (天地图, CGCS2000: overlays drawn as they are). Blank basemap by default.
    attribution : str, optional
        Attribution text for ``tiles``.
    basemap : {"blank", "amap", "amap-satellite"} or BasemapSpec, optional
        A named basemap instead of ``tiles``. AMap (高德) is GCJ-02: the overlays
        are shifted into GCJ-02 for display so they line up with it. A
        :class:`~gisplan.render.basemap.BasemapSpec` (what ``gisplan serve
        --basemap`` holds) draws the offline county boundaries and seats, a tile
        URL, or the server's own MBTiles/PMTiles tiles (``/api/basemap/tiles``).
    tiles_crs : {"cgcs2000", "gcj02"}, optional
        What ``tiles`` is drawn in; ``gcj02`` shifts the overlays as for AMap.
    raster : str, optional
        Name of a raster of the result's store drawn under the zoning: warped to
        Web Mercator, embedded as a PNG (no network), toggled in the layer control,
        with its own legend. Default: none.
    lang : {"zh", "en"}
        Language of the layer names, tooltips and legend.

    Returns
    -------
    folium.Map

    Raises
    ------
    InputError
        Bad basemap options (see :func:`gisplan.render.basemap.resolve_basemap`), or
        ``raster`` names no raster of the store.
    """
    zh = lang == "zh"
    spec = basemap if isinstance(basemap, BasemapSpec) else None
    if spec is not None:
        if spec.kind == "url":
            base = Basemap(spec.source, html.escape(spec.attribution or "底图"), spec.crs, spec.subdomains,
                           "底图" if zh else "basemap")
        elif spec.kind == "file":
            base = Basemap("/api/basemap/tiles/{z}/{x}/{y}", html.escape(spec.attribution or "底图"), spec.crs, "abc",
                           "底图" if zh else "basemap")
        else:
            base = None
    else:
        base = resolve_basemap(basemap, tiles, attribution, tiles_crs)
    crs = base.crs if base is not None else "cgcs2000"
    minx, miny, maxx, maxy = _view_bounds(result, crs)
    m = _OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=12)
    _MetricScale().add_to(m)
    if base is not None:
        folium.TileLayer(tiles=base.url, attr=base.attribution, name=base.name,
                         subdomains=base.subdomains, max_zoom=18).add_to(m)
    offline = spec is not None and spec.kind == "offline"
    if offline:
        _offline_layer(m, result, lang)
    under = _raster_overlay(m, result, raster, crs) if raster else None
    ctx = result.context
    overlap = {}
    if len(result.control_units):
        overlap = dict(zip(result.control_units["feature_id"], result.control_units["overlap_m2"] / 1e4))
    if _present(ctx, "control_units"):
        units = ctx["control_units"].copy()
        units["category_label"] = units["category"].map(lambda c: category_label(c, lang)).fillna(units["category"])
        units["overlap_ha"] = units["feature_id"].map(overlap).fillna(0.0)
        _geojson(
            units, kind_label("control_units", lang),
            _unit_style if under is None else _unit_style_over_raster,
            ["code", "name", "category_label", "overlap_ha"],
            ["单元编码", "单元名称", "管控类别", "占用面积 (ha)"] if zh else ["Code", "Name", "Category", "Overlap (ha)"], crs,
        ).add_to(m)
    if _present(ctx, "eco_redline"):  # dark crimson, dashed, barely filled: never taken for a (green) priority unit
        _geojson(ctx["eco_redline"], kind_label("eco_redline", lang),
                 lambda f: {"color": REDLINE_COLOUR, "weight": 3, "fillColor": REDLINE_COLOUR, "fillOpacity": 0.12,
                            "dashArray": "8 4"},
                 ["name"], ["名称" if zh else "Name"], crs).add_to(m)
    if _present(ctx, "protected_areas"):
        frame = ctx["protected_areas"] if zh else ctx["protected_areas"].assign(
            zone_label=ctx["protected_areas"]["zone"].map(lambda z: zone_label(z, lang=lang)))
        _geojson(frame, kind_label("protected_areas", lang),
                 lambda f: {"color": PROTECTED_COLOURS.get(f["properties"]["zone"], "#8e44ad"), "weight": 2, "fillOpacity": 0.15},
                 ["name", "zone_label"], ["名称", "功能分区"] if zh else ["Name", "Zone"], crs).add_to(m)
    if _present(ctx, "water_sources"):
        frame = ctx["water_sources"] if zh else ctx["water_sources"].assign(
            level_label=ctx["water_sources"]["level"].map(lambda z: zone_label(z, lang=lang)))
        _geojson(frame, kind_label("water_sources", lang),
                 lambda f: {"color": WATER_COLOURS.get(f["properties"]["level"], "#3182bd"), "weight": 2, "fillOpacity": 0.25},
                 ["name", "level_label"], ["名称", "保护区级别"] if zh else ["Name", "Level"], crs).add_to(m)
    _add_planning_layers(m, ctx, crs, lang)
    _add_element_layers(m, ctx, crs, lang)
    buf = result.params.get("buffer_m") or 0
    if buf > 0:
        ring = from_equal_area(shapely.buffer(to_equal_area(result.footprint), buf, quad_segs=16))
        folium.GeoJson(
            gpd.GeoSeries([display_geoms(ring, crs)], crs=CGCS2000).to_json(),
            name=f"{buf / 1000:g} km 检索范围" if zh else f"{buf / 1000:g} km search radius",
            style_function=lambda f: {"color": BUFFER_COLOUR, "weight": 1.5, "fill": False, "dashArray": "6 4"},
        ).add_to(m)
    _nearby_lines(nearby_to_mark(result), crs, lang).add_to(m)
    site = result.footprint_frame.copy()
    site["area_ha"] = (site["area_m2"] / 1e4).round(4)
    # the site: black with a white casing, above everything (never green or red like the zoning)
    _geojson(site, "项目范围" if zh else "Project site",
             lambda f: {"color": SITE_COLOUR, "weight": 3, "fillOpacity": 0.05},
             ["name", "area_ha"], ["项目", "面积 (ha)"] if zh else ["Project", "Area (ha)"], crs).add_to(m)
    _FitWhenSized([[miny, minx], [maxy, maxx]], padding=(30, 30)).add_to(m)
    (_MeasureControl if zh else _MeasureControlEn)(
        position="topleft", primary_length_unit="meters", secondary_length_unit="kilometers",
        primary_area_unit="hectares", secondary_area_unit="sqmeters").add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)  # a button at the upper right: the map stays clear
    # a size even in a hidden frame (a page tab switched away while it loads): fitting to bounds needs one
    m.get_root().header.add_child(folium.Element("<style>.folium-map { min-width: 240px; min-height: 200px; }</style>"))
    layers = (result.store_info or {}).get("layers") or {}
    synthetic = any("synthetic" in str(v) for v in layers.values())
    m.get_root().html.add_child(folium.Element(_legend_html(ctx, buf, base, synthetic, lang, offline)))
    if under is not None:
        m.get_root().html.add_child(folium.Element(_raster_legend_html(under)))
    return m


def _offline_layer(m, result, lang: str) -> None:
    """The offline basemap (county boundaries, seats labelled) around the map, under the zoning."""
    from .offline_basemap import boundaries_as_drawn, offline_basemap

    x0, y0, x1, y1 = (float(v) for v in shapely.bounds(from_equal_area(shapely.buffer(
        to_equal_area(result.footprint), max(result.params.get("buffer_m") or 0, 5000) * 3))))
    found = offline_basemap((x0, y0, x1, y1), as_published=boundaries_as_drawn(result.store_info))
    group = folium.FeatureGroup(name="行政区划（县级）" if lang == "zh" else "County boundaries")
    counties = found["counties"]
    if len(counties):
        lines = gpd.GeoDataFrame({"name": counties["name"].map(html.escape)}, geometry=counties.boundary.values,
                                 crs=CGCS2000)
        folium.GeoJson(lines.to_json(drop_id=True), interactive=False,
                       style_function=lambda f: {"color": COUNTY_LINE_COLOUR, "weight": 1.5, "dashArray": "8 3 2 3",
                                                 "fill": False}).add_to(group)
    for _, r in found["seats"].iterrows():
        folium.CircleMarker([r.geometry.y, r.geometry.x], radius=3, color=SEAT_COLOUR, fill=True, fill_opacity=1,
                            weight=1, interactive=False,
                            tooltip=folium.Tooltip(html.escape(r["name"]), permanent=True, direction="right",
                                                   className="gisplan-seat")).add_to(group)
    group.add_to(m)


def _add_planning_layers(m, ctx: dict, crs: str, lang: str = "zh") -> None:
    """Permanent basic farmland (filled dark gold) and the urban development boundary (dashed, by planning zone)."""
    zh = lang == "zh"
    if _present(ctx, "basic_farmland"):
        frame = ctx["basic_farmland"].copy()
        for col in ("code", "land_class", "township"):
            if col not in frame.columns:
                frame[col] = ""
        frame = frame.fillna({"code": "", "land_class": "", "township": ""})
        _geojson(frame, kind_label("basic_farmland", lang),
                 lambda f: {"color": FARMLAND_COLOUR, "weight": 1, "fillColor": FARMLAND_COLOUR, "fillOpacity": 0.3},
                 ["name", "land_class", "township"],
                 ["图斑编号", "地类", "乡镇"] if zh else ["Parcel", "Land class", "Township"], crs).add_to(m)
    if _present(ctx, "urban_boundary"):
        frame = ctx["urban_boundary"].copy()
        if zh:
            frame["zone_label"] = frame["zone"].map(URBAN_ZONE_LABELS_ZH).fillna(frame["zone_label"])
        else:
            frame["zone_label"] = frame["zone"].map(lambda z: zone_label(z, lang=lang))
        _geojson(frame, kind_label("urban_boundary", lang),
                 lambda f: {"color": URBAN_COLOURS.get(f["properties"]["zone"], URBAN_COLOURS["boundary"]), "weight": 2.5,
                            "fillOpacity": 0.04, "dashArray": "10 5"},
                 ["name", "zone_label"], ["名称", "规划分区"] if zh else ["Name", "Planning zone"], crs).add_to(m)


def _add_element_layers(m, ctx: dict, crs: str, lang: str = "zh") -> None:
    """Element zones (要素分区) of the context, one layer per kind: resource-limit zones shown,
    the tiling air / water / soil zones hidden until chosen in the layer control."""
    zh = lang == "zh"
    for kind in ELEMENT_KINDS:
        if not _present(ctx, kind):
            continue
        name = KIND_LABELS_ZH[kind] if zh else _EN_ELEMENT_KINDS[kind]
        group = folium.FeatureGroup(name=name, show=kind == "resource_zones")
        colour_of = (lambda z: RESOURCE_COLOURS.get(z, ELEMENT_KIND_COLOURS["resource_zones"])) if kind == "resource_zones" \
            else (lambda z, c=ELEMENT_KIND_COLOURS[kind]: c)
        frame = ctx[kind].copy()
        frame["zone_label"] = frame["zone"].map(ELEMENT_ZONE_LABELS_ZH[kind]).fillna(frame["zone_label"])
        if not zh:
            frame["zone_label"] = frame["zone"].astype(str).str.replace("_", " ")
        _geojson(frame, name,
                 lambda f, colour_of=colour_of: {"color": colour_of(f["properties"]["zone"]), "weight": 2,
                                                 "fillOpacity": 0.08, "dashArray": "8 4"},
                 ["name", "zone_label", "code"], ["名称", "要素分区", "编码"] if zh else ["Name", "Zone", "Code"],
                 crs).add_to(group)
        group.add_to(m)


def _view_bounds(result, crs: str) -> tuple[float, float, float, float]:
    """Bounds (display coordinates) of the site and the nearest points of nearby features."""
    geoms = [result.footprint]
    nearby = nearby_to_mark(result)
    if nearby is not None and len(nearby):
        geoms.append(shapely.multipoints([p for p in nearby["feature_point"]]))
    minx, miny, maxx, maxy = shapely.total_bounds(display_geoms(np.array(geoms, dtype=object), crs))
    return float(minx), float(miny), float(maxx), float(maxy)


def _nearby_lines(nearby, crs: str, lang: str = "zh") -> folium.FeatureGroup:
    """Shortest lines from the site to each nearby feature, labelled with the EIA position phrase."""
    group = folium.FeatureGroup(name="周边敏感区距离" if lang == "zh" else "Distances to nearby zones")
    if nearby is None or not len(nearby):
        return group
    lines = shapely.linestrings([[a, b] for a, b in zip(nearby["site_point"], nearby["feature_point"])])
    lines = display_geoms(lines, crs)
    for (_, row), line in zip(nearby.iterrows(), lines):
        if lang == "zh":
            label = html.escape(f"{KIND_LABELS_ZH.get(row['kind'], row['kind'])} {row['name']} {row['zone_label']}: {row['position']}")
        else:
            from ..geo.geodesy import position_phrase

            label = html.escape(f"{kind_label(row['kind'], lang)} {row['name']}: "
                                f"{position_phrase(float(row['azimuth_deg']), float(row['distance_m']), 'en')}")
        folium.PolyLine([(y, x) for x, y in shapely.get_coordinates(line)], color=BUFFER_COLOUR, weight=1.5,
                        dash_array="2 4", tooltip=label).add_to(group)
    return group


def write_html_map(result, path: str | os.PathLike, **kwargs) -> Path:
    """Write :func:`html_map` to ``path`` as one self-contained file (no network needed)."""
    from ..io.outputs import check_output_path, store_of, write_text

    path = Path(path)
    check_output_path(path, protect_also=store_of(result))  # refuse before rendering
    page = offline_html(html_map(result, **kwargs).get_root().render())
    write_text(path, page, protect_also=store_of(result))
    return path


#: Opacity of a raster overlay under the zoning of the HTML map.
RASTER_OPACITY = 0.7
_RASTER_PANE = "gisplanRaster"
_WEB_MERCATOR = "EPSG:3857"


def _unit_style(feature: dict) -> dict:
    return {"fillColor": CATEGORY_COLOURS.get(feature["properties"]["category"], "#999"), "color": "#666", "weight": 1,
            "fillOpacity": 0.45}


def _unit_style_over_raster(feature: dict) -> dict:
    """Over a raster: a faint fill and an outline in the category colour, so the land cover shows through."""
    colour = CATEGORY_COLOURS.get(feature["properties"]["category"], "#999")
    return {"fillColor": colour, "color": colour, "weight": 2, "fillOpacity": 0.15}


def _raster_area(result) -> tuple[float, float, float, float]:
    """Lon/lat area the raster overlay covers: the view and the search ring, with a margin for panning."""
    geoms = [result.footprint]
    buf = result.params.get("buffer_m") or 0
    if buf > 0:
        geoms.append(from_equal_area(shapely.buffer(to_equal_area(result.footprint), buf, quad_segs=8)))
    nearby = result.nearby
    if nearby is not None and len(nearby):
        geoms.append(shapely.multipoints([p for p in nearby["feature_point"]]))
    minx, miny, maxx, maxy = shapely.total_bounds(np.array(geoms, dtype=object))
    dx, dy = max(maxx - minx, 0.01) * 0.5, max(maxy - miny, 0.01) * 0.5
    return float(minx - dx), float(max(miny - dy, -85.0)), float(maxx + dx), float(min(maxy + dy, 85.0))


def raster_overlay_grid(area_lonlat: tuple[float, float, float, float], max_pixels: int):
    """Web Mercator bounds and pixel size (``width``, ``height``) of an overlay covering a lon/lat area.

    Leaflet places an image overlay linearly in Web Mercator between its corners,
    so the raster is warped to an EPSG:3857 grid (never a stretched lon/lat grid).
    """
    from rasterio.warp import transform_bounds

    bounds = transform_bounds(CGCS2000, _WEB_MERCATOR, *area_lonlat, densify_pts=21)
    w, h = bounds[2] - bounds[0], bounds[3] - bounds[1]
    scale = max_pixels / max(w, h)
    return bounds, max(1, round(w * scale)), max(1, round(h * scale))


def _raster_overlay(m: folium.Map, result, raster: str, crs: str):
    """Add raster ``raster`` of the store as an image overlay in a pane under the vector layers."""
    from pyproj import Transformer

    from .raster_underlay import MAX_HTML_PIXELS, png_data_uri, underlay_for

    bounds, width, height = raster_overlay_grid(_raster_area(result), MAX_HTML_PIXELS)
    under = underlay_for(result, raster, _WEB_MERCATOR, bounds, width, height)
    if under is None:  # asked for but absent: say so
        m.get_root().html.add_child(folium.Element(_RASTER_LEGEND.format(
            title=html.escape(f"栅格 {raster}"), rows="本图范围内无数据")))
        return None
    to_ll = Transformer.from_crs(_WEB_MERCATOR, CGCS2000, always_xy=True)
    (w, e), (s, n) = to_ll.transform([under.bounds[0], under.bounds[2]], [under.bounds[1], under.bounds[3]])
    corners = display_geoms(shapely.points([(w, s), (e, n)]), crs)  # GCJ-02 basemap: shifted like the overlays
    (w, s), (e, n) = shapely.get_coordinates(corners)
    folium.map.CustomPane(_RASTER_PANE, z_index=350).add_to(m)  # under the overlay pane (400) of the zoning
    title = f"栅格 {raster}" + ("（示例）" if under.synthetic and not _all_marked(under) else "")
    folium.raster_layers.ImageOverlay(image=png_data_uri(under.rgba), bounds=[[s, w], [n, e]], name=title,
                                      opacity=RASTER_OPACITY, pane=_RASTER_PANE, interactive=False,
                                      pixelated=under.kind == "classified").add_to(m)
    return under


def _all_marked(under) -> bool:
    return bool(under.classes) and all("示例" in label for _, label, _ in under.classes)


_RASTER_LEGEND = """
<div class="gisplan-raster-legend" style="position: fixed; bottom: 44px; right: 12px; z-index: 9999;
            background: white; padding: 8px 10px; border: 1px solid #999; font: 12px/1.5 sans-serif; max-width: 240px;">
<b>{title}</b><br>{rows}
</div>"""


def _raster_legend_html(under) -> str:
    """Legend of the raster overlay: the classes in the overlay, or a colour ramp with its stretch."""
    from matplotlib import colormaps

    from .raster_underlay import CONTINUOUS_CMAP

    title = f"栅格 {under.name}" + ("（示例）" if under.synthetic and not _all_marked(under) else "")
    if under.kind == "classified":
        body = "".join(f"{_swatch(colour, '#777', fill_opacity=RASTER_OPACITY)}{html.escape(label)}<br>"
                       for _, label, colour in under.classes)
    else:
        cmap = colormaps[CONTINUOUS_CMAP]
        stops = ", ".join("#{:02x}{:02x}{:02x}".format(*cmap(i / 4, bytes=True)[:3]) for i in range(5))
        body = (f'<span style="display:inline-block;width:140px;height:10px;opacity:{RASTER_OPACITY};'
                f'background:linear-gradient(to right, {stops})"></span><br>'
                f'<span style="font-size:11px">{under.vmin:.4g} – {under.vmax:.4g}（2%–98% 拉伸）</span>')
    return _RASTER_LEGEND.format(title=html.escape(title), rows=body)
