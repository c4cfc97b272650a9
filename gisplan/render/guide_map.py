"""Maps of siting guidance (选址引导): the faces coloured by verdict, with a Chinese legend.

A PNG (matplotlib, in the 3-degree Gauss-Kruger zone of the area's centre, CJK font, north arrow, scale bar,
the bundled county boundaries and seats as on the page's offline basemap, 示例 on demo data) and a
self-contained HTML map (folium, one layer per industry, clicking a face shows why: its unit, zones,
verdict and the deciding clause or rule).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from ..geo.crs import CGCS2000, gk_central_meridian, gk_epsg_for_lon
from ..engine.guide import VERDICT_ORDER
from .guide_tables import VERDICT_WORDS

__all__ = ["GUIDE_COLOURS", "guide_figure", "write_guide_png", "guide_html", "write_guide_html"]

#: Verdict colours: red prohibited, orange restricted, grey-blue review, green allowed.
GUIDE_COLOURS = {"prohibited": "#c62828", "restricted": "#f39c12", "review": "#8e9bb0", "allowed": "#2e8b57"}
_DEMO_NOTE = "示例数据（合成），非官方"
_HTML_TOLERANCE_M = 15.0  # display simplification of the HTML map's faces (shared edges kept shared)


def _is_demo(store_info: dict | None) -> bool:
    return any("synthetic" in str(v) for v in ((store_info or {}).get("layers") or {}).values())


def _title(frame, industry: str) -> str:
    label = str(frame["industry"].iloc[0]) if len(frame) and "industry" in frame else ""
    name = label.split(" ", 1)[1] if " " in label else label
    if len(name) > 28:
        name = name[:27] + "…"
    return f"选址引导图：{industry}" + (f"（{name}）" if name and name != industry else "")


def guide_figure(frame: gpd.GeoDataFrame, *, industry: str, store_info: dict | None = None):
    """The PNG figure of one industry's faces (a matplotlib Figure, not yet saved)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib import rc_context

    from .fonts import cjk_font, mpl_rc
    from .offline_basemap import boundaries_as_drawn, offline_basemap
    from .palette import COUNTY_LINE_COLOUR, SEAT_COLOUR
    from .static_map import _HALO, _north_arrow, _scale_bar, _true_north_angle

    minx, miny, maxx, maxy = frame.total_bounds
    lon, lat = (minx + maxx) / 2, (miny + maxy) / 2
    crs = f"EPSG:{gk_epsg_for_lon(lon)}"
    gk = frame.to_crs(crs)
    font = cjk_font()
    with rc_context(mpl_rc(font)):
        fig = Figure(figsize=(8.27, 7.6), dpi=150, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        canvas.draw_idle = lambda *args, **kwargs: None
        ax = fig.add_axes((0.03, 0.17, 0.94, 0.75))
        total = float(frame["area_m2"].sum())
        handles = []
        for verdict in VERDICT_ORDER:
            part = gk[gk["verdict"] == verdict]
            area = float(frame.loc[frame["verdict"] == verdict, "area_m2"].sum())
            if len(part):
                part.plot(ax=ax, color=GUIDE_COLOURS[verdict], linewidth=0, zorder=2)
            share = area / total if total else 0.0
            handles.append(Patch(facecolor=GUIDE_COLOURS[verdict], edgecolor="#555555", linewidth=0.4,
                                 label=f"{VERDICT_WORDS[verdict]}  {area / 1e6:,.1f} km²（{share:.1%}）"))
        # the control units' outline (the faces' outer edge), thin
        units = gk.dissolve(by="unit_code") if len(gk) < 20000 else None
        if units is not None:
            units.boundary.plot(ax=ax, color="white", linewidth=0.25, zorder=3)
        b = gk.total_bounds
        pad = 0.04 * max(b[2] - b[0], b[3] - b[1])
        box = (b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad)
        found = offline_basemap((minx - 0.1, miny - 0.1, maxx + 0.1, maxy + 0.1),
                                as_published=boundaries_as_drawn(store_info))
        if len(found["counties"]):
            lines = gpd.GeoDataFrame(geometry=found["counties"].to_crs(crs).boundary.values, crs=crs)
            lines = lines.clip(shapely.box(*box))
            if len(lines):
                lines.plot(ax=ax, color=COUNTY_LINE_COLOUR, linewidth=0.8, linestyle=(0, (6, 2, 1, 2)), zorder=4)
                handles.append(Line2D([], [], color=COUNTY_LINE_COLOUR, lw=0.8, linestyle=(0, (6, 2, 1, 2)),
                                      label="县级界线"))
        seats = found["seats"].to_crs(crs) if len(found["seats"]) else found["seats"]
        where = shapely.union_all(units.geometry.values) if units is not None else shapely.box(*box)
        shapely.prepare(where)
        shown = 0
        for _, r in seats.iterrows():
            x, y = r.geometry.x, r.geometry.y
            if where.contains(r.geometry):  # the seats of the counties shown, not their neighbours'
                ax.plot([x], [y], marker="s", markersize=3, color=SEAT_COLOUR, zorder=6)
                ax.text(x, y + 0.01 * (box[3] - box[1]), r["name"], fontsize=6.5, ha="center", va="bottom", zorder=6,
                        path_effects=_HALO)
                shown += 1
        if shown:
            handles.append(Line2D([], [], color=SEAT_COLOUR, marker="s", markersize=3, lw=0, label="县级驻地"))
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("")
        ax.set_ylabel("")
        _north_arrow(ax, _true_north_angle(lon, lat, crs), "北")
        _scale_bar(ax, box, "km")
        fig.text(0.5, 0.955, _title(frame, industry), ha="center", va="center", fontsize=12, weight="bold")
        fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=7.5, frameon=False,
                   bbox_to_anchor=(0.5, 0.03), title="判定（小型项目位于该区域时的准入判定）", title_fontsize=8)
        fig.text(0.015, 0.012, f"坐标系：CGCS2000 / 3° 高斯-克吕格 EPSG:{crs.split(':')[1]}（中央经线 "
                 f"{gk_central_meridian(lon):g}°E）；面积为椭球面面积", ha="left", va="bottom", fontsize=6)
        if _is_demo(store_info):
            fig.text(0.985, 0.012, _DEMO_NOTE, ha="right", va="bottom", fontsize=7, color="#b22222")
            ax.text(0.5, 0.5, "示例", transform=ax.transAxes, fontsize=90, color="#b22222", alpha=0.12, ha="center",
                    va="center", rotation=30, zorder=30)
    return fig


def write_guide_png(frame: gpd.GeoDataFrame, path: str | os.PathLike, *, industry: str, store_info: dict | None = None,
                    protect=()) -> Path:
    """Write :func:`guide_figure` as a PNG, atomically."""
    from matplotlib import rc_context

    from ..io.outputs import atomic_output
    from .fonts import mpl_rc

    fig = guide_figure(frame, industry=industry, store_info=store_info)
    with atomic_output(path, protect_also=protect) as tmp, rc_context(mpl_rc()):
        fig.savefig(tmp, format="png", dpi=150, facecolor="white")
    return Path(os.path.realpath(os.fspath(path)))


def _display(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The faces simplified for display (the faces form a coverage: shared edges stay shared)."""
    from ..geo.geometry import from_equal_area, to_equal_area

    geoms = np.asarray(frame.geometry.values, dtype=object)
    try:
        ea = to_equal_area(geoms)
        ea = np.where(np.isin(shapely.get_type_id(ea), (3, 6)), ea, shapely.Polygon())
        simple = from_equal_area(shapely.coverage_simplify(ea, _HTML_TOLERANCE_M))
    except (shapely.errors.GEOSException, TypeError):  # not a clean coverage: drawn as they are
        simple = geoms
    simple = shapely.transform(simple, lambda xy: np.round(xy, 6))  # 0.1 m: a lighter page
    shown = frame.set_geometry(list(simple), crs=CGCS2000)
    return shown[np.isin(shapely.get_type_id(np.asarray(shown.geometry.values, dtype=object)), (3, 6))
                 & ~shown.geometry.is_empty]


_LEGEND = """
<div class="gisplan-legend" style="position: fixed; bottom: 24px; right: 10px; z-index: 9999; background: white;
     padding: 6px 10px; border: 1px solid #999; border-radius: 3px; font: 12px/1.6 sans-serif; max-width: 300px;">
<b>选址引导：判定</b><br>{rows}
<span style="font-size: 11px; color: #555;">点击图斑查看所在单元、涉及区域与判定依据。</span>{note}
</div>"""


def guide_html(frames: dict, *, store_info: dict | None = None):
    """A folium map of the faces of one or more industries (one layer each; the first shown)."""
    import folium

    from .html_map import _FitWhenSized, _MetricScale, _OfflineMap
    from .offline_basemap import boundaries_as_drawn, offline_basemap
    from .palette import COUNTY_LINE_COLOUR

    first = next(iter(frames.values()))
    minx, miny, maxx, maxy = (float(v) for v in first.total_bounds)
    m = _OfflineMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=8)
    _MetricScale().add_to(m)
    found = offline_basemap((minx - 0.1, miny - 0.1, maxx + 0.1, maxy + 0.1), as_published=boundaries_as_drawn(store_info))
    if len(found["counties"]):
        lines = gpd.GeoDataFrame(geometry=found["counties"].boundary.values, crs=CGCS2000)
        folium.GeoJson(lines.to_json(drop_id=True), name="行政区划（县级）", interactive=False,
                       style_function=lambda f: {"color": COUNTY_LINE_COLOUR, "weight": 1.5, "dashArray": "8 3 2 3",
                                                 "fill": False}).add_to(m)
    fields = ["county", "unit_code", "unit_name", "zones", "verdict_label", "deciding", "area_km2"]
    aliases = ["县（市、区）", "单元编码", "单元名称", "涉及区域", "判定", "判定依据", "面积（km²）"]
    for n, (industry, frame) in enumerate(frames.items()):
        shown = _display(frame)[["county", "unit_code", "unit_name", "zones", "verdict", "verdict_label", "deciding",
                                 "area_m2", "geometry"]].copy()
        shown["area_km2"] = (shown["area_m2"] / 1e6).round(4)
        for col in ("county", "unit_code", "unit_name", "zones", "verdict_label", "deciding"):
            shown[col] = shown[col].astype(str).map(html.escape)
        shown = shown.drop(columns=["area_m2"])
        group = folium.FeatureGroup(name=f"选址引导：{html.escape(industry)}", show=n == 0)
        folium.GeoJson(
            shown.to_json(drop_id=True),
            style_function=lambda f: {"color": GUIDE_COLOURS.get(f["properties"]["verdict"], "#666666"), "weight": 0.6,
                                      "fillColor": GUIDE_COLOURS.get(f["properties"]["verdict"], "#666666"),
                                      "fillOpacity": 0.6},
            highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
            popup=folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=True, max_width=420),
            tooltip=folium.GeoJsonTooltip(fields=["verdict_label", "unit_name"], aliases=["判定", "单元"]),
        ).add_to(group)
        group.add_to(m)
    _FitWhenSized([[miny, minx], [maxy, maxx]], padding=(20, 20)).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().header.add_child(folium.Element("<style>.folium-map { min-width: 240px; min-height: 200px; }</style>"))
    rows = "".join(f'<span style="display:inline-block;width:14px;height:10px;background:{GUIDE_COLOURS[v]};'
                   f'opacity:0.8;border:1px solid #555;margin-right:6px;"></span>{VERDICT_WORDS[v]}<br>'
                   for v in VERDICT_ORDER)
    note = f'<br><span style="font-size: 11px; color: #b22222;">{_DEMO_NOTE}</span>' if _is_demo(store_info) else ""
    m.get_root().html.add_child(folium.Element(_LEGEND.format(rows=rows, note=note)))
    return m


def write_guide_html(frames: dict, path: str | os.PathLike, *, store_info: dict | None = None, protect=()) -> Path:
    """Write :func:`guide_html` as one self-contained file (no network needed), atomically."""
    from ..io.outputs import check_output_path, write_text
    from .html_map import offline_html

    check_output_path(path, protect_also=protect)
    page = offline_html(guide_html(frames, store_info=store_info).get_root().render())
    return write_text(path, page, protect_also=protect)
