"""Static map figure of a screening for EIA documents (matplotlib, Agg; PNG/PDF, 300 dpi).

The map is drawn in the site's 3-degree Gauss-Kruger zone (``result.project["gk_crs"]``)
so the scale bar's metres are metres: control units in the conventional colours
(:mod:`gisplan.render.palette`), the redline hatched, protected areas and
water-source zones outlined, the site, the search ring, the nearest sensitive
features with their position, a north arrow (true north, which differs from grid
north by the meridian convergence), a Chinese legend, a title, the CRS note and
an inset locating the site in its county. Nothing here reads the store.
"""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle

from ..geo.crs import CGCS2000, gk_central_meridian, transform_geometry, transformer
from ..errors import InputError
from ..three_lines import nearby_to_mark
from .eia_tables import is_demo
from .fonts import cjk_font, mpl_rc
from .labels import labels, zone_label
from .palette import COUNTY_LINE_COLOUR, RESOURCE_COLOURS, SEAT_COLOUR
from .palette import (
    BUFFER_COLOUR,
    CATEGORY_COLOURS,
    FARMLAND_COLOUR,
    FARMLAND_HATCH,
    PROTECTED_COLOURS,
    REDLINE_COLOUR,
    REDLINE_HATCH,
    SITE_COLOUR,
    URBAN_COLOURS,
    WATER_COLOURS,
)

__all__ = ["MAP_DPI", "MAP_FIGSIZE", "nice_scale_length", "static_map", "static_map_png", "write_static_map"]

#: Figure size in inches (16 x 12.2 cm, the text width of an A4 report page).
MAP_FIGSIZE = (6.3, 4.8)
#: Print resolution.
MAP_DPI = 300
_SUFFIXES = (".png", ".pdf")
_HALO = [patheffects.withStroke(linewidth=2.2, foreground="white")]
_MAIN_BOX = (0.015, 0.075, 0.655, 0.84)  # left, bottom, width, height (figure fraction)
_INSET_BOX = (0.695, 0.56, 0.29, 0.33)
#: Legend type (font size, line spacing, handle height), from roomy to tight: the first that ends above the notes.
_LEGEND_STEPS = ((7, 0.5, 1.1), (6.2, 0.25, 0.9), (5.6, 0.15, 0.8))
#: Top of the CRS and demo notes at the foot of the figure (figure fraction).
_NOTES_TOP = 0.055
#: Fill opacity of the control units over a raster underlay (0.6 without one): the land cover shows through.
UNIT_ALPHA_OVER_RASTER = 0.2
#: Fill opacity of the control units over basemap tiles: the streets and names show through.
UNIT_ALPHA_OVER_TILES = 0.3


def nice_scale_length(width_m: float) -> float:
    """A round scale-bar length (m) of at most a fifth of the map width (1-2-5 series).

    Examples
    --------
    >>> nice_scale_length(12_000), nice_scale_length(1_800)
    (2000, 200)
    """
    target = max(width_m / 5.0, 1.0)
    exp = 10 ** math.floor(math.log10(target))
    for step in (5, 2, 1):
        if step * exp <= target:
            return step * exp
    return exp  # pragma: no cover


def _to_gk(frame: gpd.GeoDataFrame | None, crs: str) -> gpd.GeoDataFrame | None:
    if frame is None or not len(frame):
        return None
    frame = frame if frame.crs is not None else frame.set_crs(CGCS2000)
    return frame.to_crs(crs)


def _extent(result, fp_gk, crs: str, aspect: float) -> tuple[float, float, float, float]:
    """Map window in GK metres: the site, padded, with the nearest sensitive features."""
    minx, miny, maxx, maxy = shapely.bounds(fp_gk)
    size = max(maxx - minx, maxy - miny, 1.0)
    pad = max(0.45 * size, 600.0)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    near = nearby_to_mark(result)
    if len(near):
        reach = max(3.0 * size, 3500.0)
        pts = [p for p, d in zip(near["feature_point"], near["distance_m"]) if d <= reach]
        if pts:
            xy = np.array(pts, dtype=float)
            x, y = transformer(CGCS2000, crs).transform(xy[:, 0], xy[:, 1])
            margin = 0.08 * size + 300.0
            minx, maxx = min(minx, float(np.min(x)) - margin), max(maxx, float(np.max(x)) + margin)
            miny, maxy = min(miny, float(np.min(y)) - margin), max(maxy, float(np.max(y)) + margin)
    w, h = maxx - minx, maxy - miny
    if w / h < aspect:  # widen to the axes' shape so the map fills it
        extra = (h * aspect - w) / 2
        minx, maxx = minx - extra, maxx + extra
    else:
        extra = (w / aspect - h) / 2
        miny, maxy = miny - extra, maxy + extra
    return minx, miny, maxx, maxy


def _clip(frame: gpd.GeoDataFrame | None, box) -> gpd.GeoDataFrame | None:
    if frame is None or not len(frame):
        return None
    geoms = shapely.clip_by_rect(np.asarray(frame.geometry.values, dtype=object), *box)
    keep = ~shapely.is_empty(geoms)
    if not keep.any():
        return None
    out = frame.loc[keep].copy()
    out = out.set_geometry(list(geoms[keep]), crs=frame.crs)
    return out


def _true_north_angle(lon: float, lat: float, crs: str) -> float:
    """Angle (degrees, counter-clockwise from the map's +y axis) of true north at a point."""
    x, y = transformer(CGCS2000, crs).transform([lon, lon], [lat, lat + 0.01])
    return math.degrees(math.atan2(-(x[1] - x[0]), y[1] - y[0]))


def _north_arrow(ax, angle_deg: float, label: str) -> None:
    cx, cy, r = 0.92, 0.86, 0.055
    a = math.radians(angle_deg)

    def rot(px, py):
        return (cx + px * math.cos(a) - py * math.sin(a), cy + px * math.sin(a) + py * math.cos(a))

    tip, left, right, base = rot(0, r), rot(-0.45 * r, -r), rot(0.45 * r, -r), rot(0, -0.55 * r)
    ax.add_patch(Polygon([tip, left, base], closed=True, transform=ax.transAxes, facecolor="black", edgecolor="black", lw=0.6, zorder=20))
    ax.add_patch(Polygon([tip, right, base], closed=True, transform=ax.transAxes, facecolor="white", edgecolor="black", lw=0.6, zorder=20))
    lx, ly = rot(0, r + 0.035)
    ax.text(lx, ly, label, transform=ax.transAxes, ha="center", va="center", fontsize=9, weight="bold", zorder=21, path_effects=_HALO)


def _scale_bar(ax, box, unit: str) -> None:
    minx, miny, maxx, maxy = box
    w, h = maxx - minx, maxy - miny
    length = nice_scale_length(w)
    x0, y0, bh = minx + 0.05 * w, miny + 0.055 * h, 0.014 * h
    ax.add_patch(Rectangle((x0 - 0.02 * w, y0 - 0.035 * h), length + 0.06 * w, 0.105 * h, facecolor="white",
                           edgecolor="none", alpha=0.8, zorder=18))
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, bh, facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", lw=0.6, zorder=19))
    div, unit = (1000.0, unit) if length >= 1000 else (1.0, "m")
    # the middle label only when the bar is long enough for three labels (its length is 8-20 % of the map width)
    for frac in (0, 0.5, 1) if length >= 0.16 * w else (0, 1):
        value = length * frac / div
        text = f"{value:g}" if frac < 1 else f"{value:g} {unit}"
        ax.text(x0 + frac * length, y0 + bh + 0.012 * h, text, ha="center", va="bottom", fontsize=6.5, zorder=20)


def _plot(frame, ax, **kw) -> None:
    if frame is not None and len(frame):
        frame.plot(ax=ax, **kw)


def _layers(ax, result, crs: str, box, unit_alpha: float = 0.6) -> None:
    ctx = result.context or {}
    units = _clip(_to_gk(ctx.get("control_units"), crs), box)
    if units is not None:
        colours = units["category"].map(CATEGORY_COLOURS).fillna("#bbbbbb")
        units.plot(ax=ax, color=list(colours), alpha=unit_alpha, edgecolor="none", zorder=1)
        units.boundary.plot(ax=ax, color="#7a7a7a", linewidth=0.5, zorder=2)
        pieces = result.pieces[result.pieces["kind"] == "control_units"] if len(result.pieces) else result.pieces
        codes = dict(zip(result.control_units["feature_id"], result.control_units["code"]))
        for fid, geom in zip(pieces.get("feature_id", []), _to_gk(pieces, crs).geometry if len(pieces) else []):
            p = geom.representative_point()  # the code is written inside the part of the site it covers
            ax.text(p.x, p.y, str(codes.get(fid, "")), fontsize=6, ha="center", va="center", color="#333333",
                    path_effects=_HALO, zorder=15)
    farm = _clip(_to_gk(ctx.get("basic_farmland"), crs), box)
    # a square grid (田), never the redline's diagonal cross: the two stay apart in colour and in a grey print
    _plot(farm, ax, facecolor="none", edgecolor=FARMLAND_COLOUR, hatch=FARMLAND_HATCH, linewidth=0.5, zorder=3)
    red = _clip(_to_gk(ctx.get("eco_redline"), crs), box)
    _plot(red, ax, facecolor="none", edgecolor=REDLINE_COLOUR, hatch=REDLINE_HATCH, linewidth=0.0, zorder=4)
    if red is not None:  # a heavy dashed outline over the hatch: never read as a (green) priority unit
        red.boundary.plot(ax=ax, color=REDLINE_COLOUR, linewidth=1.4, linestyle=(0, (4, 2)), zorder=4.1)
    urban = _clip(_to_gk(ctx.get("urban_boundary"), crs), box)
    if urban is not None:
        for zone, sub in urban.groupby("zone"):
            sub.boundary.plot(ax=ax, color=URBAN_COLOURS.get(zone, URBAN_COLOURS["boundary"]), linewidth=1.4,
                              linestyle=(0, (7, 2.5)), zorder=6)
    pa = _clip(_to_gk(ctx.get("protected_areas"), crs), box)
    if pa is not None:
        for zone, sub in pa.groupby("zone"):
            sub.boundary.plot(ax=ax, color=PROTECTED_COLOURS.get(zone, "#8e44ad"), linewidth=1.3, zorder=5)
    ws = _clip(_to_gk(ctx.get("water_sources"), crs), box)
    if ws is not None:
        for level, sub in ws.groupby("level"):
            colour = WATER_COLOURS.get(level, "#3182bd")
            sub.plot(ax=ax, facecolor=colour, alpha=0.18, edgecolor="none", zorder=5)
            sub.boundary.plot(ax=ax, color=colour, linewidth=1.2, linestyle="--", zorder=6)
    rz = _clip(_to_gk(ctx.get("resource_zones"), crs), box)  # element zones: only the resource-limit ones drawn
    if rz is not None:
        for zone, sub in rz.groupby("zone"):
            sub.boundary.plot(ax=ax, color=RESOURCE_COLOURS.get(zone, "#c51b7d"), linewidth=1.1,
                              linestyle=(0, (6, 2, 1, 2)), zorder=6)


def _planning_handles(result, L: dict, crs: str, box) -> list:
    """Legend entries of basic farmland and the urban boundary's zones, when the map shows them."""
    from ..vocab import URBAN_ZONE_LABELS_ZH

    en = L["north"] != "北"
    ctx = result.context or {}
    handles = []
    farm = _clip(_to_gk(ctx.get("basic_farmland"), crs), box)
    if farm is not None and len(farm):
        handles.append(Patch(facecolor="none", edgecolor=FARMLAND_COLOUR, hatch=FARMLAND_HATCH, lw=0.5,
                             label="Permanent basic farmland" if en else "永久基本农田"))
    urban = _clip(_to_gk(ctx.get("urban_boundary"), crs), box)
    for zone in (dict.fromkeys(urban["zone"]) if urban is not None and len(urban) else []):
        if en:  # two lines when long: the legend column is narrow
            label = "Urban development boundary" if zone == "boundary" else \
                textwrap.fill(f"Urban boundary: {zone_label(zone, lang='en')}", 30)
        else:
            label = URBAN_ZONE_LABELS_ZH.get(zone, zone)
        if not en and not label.startswith("城镇"):
            label = "城镇开发边界" + label
        handles.append(Line2D([], [], color=URBAN_COLOURS.get(zone, URBAN_COLOURS["boundary"]), lw=1.4,
                              linestyle=(0, (3, 1.5)), label=label))  # shorter dashes: a legend line is short
    return handles


def _element_handles(result, L: dict, crs: str | None = None, box=None) -> list:
    """Legend entries of the element zones: resource zones drawn (in the map's window when given), and the
    zones the site lies in (text)."""
    from ..vocab import ELEMENT_ZONE_LABELS_ZH

    en = L["north"] != "北"
    handles = []
    rz = (result.context or {}).get("resource_zones")
    if box is not None and crs:
        rz = _clip(_to_gk(rz, crs), box)
    for zone in (dict.fromkeys(rz["zone"]) if rz is not None and len(rz) else []):
        label = zone.replace("_", " ") if en else ELEMENT_ZONE_LABELS_ZH["resource_zones"].get(zone, zone)
        handles.append(Line2D([], [], color=RESOURCE_COLOURS.get(zone, "#c51b7d"), lw=1.1,
                              linestyle=(0, (6, 2, 1, 2)), label=label))
    inside = dict.fromkeys((r["kind"], r["zone"]) for r in getattr(result, "element_rows", None) or [])
    if inside:
        names = [f"{k.split('_')[0]}: {z}" if en else ELEMENT_ZONE_LABELS_ZH[k].get(z, z) for k, z in inside]
        title = "site in element zones:" if en else "项目所在要素分区："
        handles.append(Patch(facecolor="none", edgecolor="none", label=title + "\n" + "\n".join(names)))
    return handles


def _site(ax, result, crs: str, lang: str) -> object:
    fp_gk = transform_geometry(result.footprint, CGCS2000, crs)
    gpd.GeoSeries([fp_gk], crs=crs).plot(ax=ax, facecolor=SITE_COLOUR, alpha=0.08, edgecolor="none", zorder=9)
    gpd.GeoSeries([fp_gk], crs=crs).boundary.plot(ax=ax, color=SITE_COLOUR, linewidth=1.6, zorder=10)
    kind = result.project.get("site_kind")
    if kind in ("point", "line"):
        raw = gpd.GeoSeries([transform_geometry(result.site.geometry, CGCS2000, crs)], crs=crs)
        if kind == "point":
            raw.plot(ax=ax, color=SITE_COLOUR, markersize=12, marker="o", zorder=11)
        else:
            raw.plot(ax=ax, color=SITE_COLOUR, linewidth=0.8, linestyle="-.", zorder=11)
    buf = result.params.get("buffer_m") or 0
    if buf > 0:
        from ..geo.geometry import from_equal_area, to_equal_area

        ring = from_equal_area(shapely.buffer(to_equal_area(result.footprint), buf, quad_segs=24))
        gpd.GeoSeries([transform_geometry(ring, CGCS2000, crs)], crs=crs).boundary.plot(
            ax=ax, color=BUFFER_COLOUR, linewidth=0.9, linestyle=(0, (5, 3)), zorder=8)
    return fp_gk


def _nearby_marks(ax, result, crs: str, box, lang: str) -> None:
    """The nearest feature of each kind: a dotted line from the site and its position."""
    near = result.nearby
    if not len(near):
        return
    from ..geo.geodesy import position_phrase

    tf = transformer(CGCS2000, crs)
    minx, miny, maxx, maxy = box
    for _, n in nearby_to_mark(result).drop_duplicates("kind").iterrows():
        (sx, fx), (sy, fy) = tf.transform([n["site_point"][0], n["feature_point"][0]], [n["site_point"][1], n["feature_point"][1]])
        if not (minx <= fx <= maxx and miny <= fy <= maxy):
            continue
        ax.plot([sx, fx], [sy, fy], color="#222222", linewidth=0.8, linestyle=":", zorder=12)
        text = n["position"] if lang == "zh" else position_phrase(float(n["azimuth_deg"]), float(n["distance_m"]), "en")
        ax.text((sx + fx) / 2, (sy + fy) / 2, text, fontsize=6.5, ha="center", va="bottom", zorder=16, path_effects=_HALO)


def _inset(fig, result, crs: str, box, L: dict) -> None:
    ax = fig.add_axes(_INSET_BOX)
    county = _to_gk(getattr(result, "county", None), crs)
    if county is not None:
        names = "、".join(str(c) for c in county["county"])
        geoms = np.asarray(county.geometry.values, dtype=object)
        b = shapely.total_bounds(geoms)
        simple = shapely.simplify(geoms, max(b[2] - b[0], b[3] - b[1]) / 400)
        gpd.GeoSeries(list(simple), crs=crs).plot(ax=ax, facecolor="#eeeeee", edgecolor="#333333", linewidth=0.7)
        title = L["inset_title"].format(county=names)
    else:
        units = _to_gk((result.context or {}).get("control_units"), crs)
        if units is not None:
            units.plot(ax=ax, facecolor="#eeeeee", edgecolor="#999999", linewidth=0.3)
        title = L["inset_title_plain"]
    minx, miny, maxx, maxy = box
    ax.add_patch(Rectangle((minx, miny), maxx - minx, maxy - miny, facecolor="none", edgecolor="#d7301f", linewidth=0.9, zorder=5))
    c = transform_geometry(shapely.centroid(result.footprint), CGCS2000, crs)
    ax.plot([c.x], [c.y], marker="*", color="#d7301f", markersize=8, markeredgecolor="white", markeredgewidth=0.4, zorder=6)
    ax.set_aspect("equal", adjustable="datalim")
    _frame_only(ax, 0.6)
    ax.set_title(title, fontsize=7.5, pad=2)


def _legend(fig, result, L: dict, crs: str, box, basemap_handles: list | None = None) -> None:
    handles = [Patch(facecolor=CATEGORY_COLOURS[c], alpha=0.6, edgecolor="#7a7a7a", lw=0.5,
                     label=labels_category(c, L)) for c in ("priority", "key", "general")]
    handles += [
        Patch(facecolor="none", edgecolor=REDLINE_COLOUR, hatch=REDLINE_HATCH, lw=1.4, linestyle="--",
              label=L["legend_redline"]),
        Patch(facecolor="none", edgecolor=PROTECTED_COLOURS["core"], lw=1.3, label=L["legend_protected"]),
        Patch(facecolor=WATER_COLOURS["level2"] + "2e", edgecolor=WATER_COLOURS["level2"], lw=1.2, linestyle="--",
              label=L["legend_water"]),
        Patch(facecolor=SITE_COLOUR + "14", edgecolor=SITE_COLOUR, lw=1.6, label=L["legend_site"]),
    ]
    handles += _planning_handles(result, L, crs, box)
    handles += _element_handles(result, L, crs, box)
    if basemap_handles:
        handles += basemap_handles
    buf = result.params.get("buffer_m") or 0
    if buf > 0:
        handles.append(Line2D([], [], color=BUFFER_COLOUR, lw=0.9, linestyle=(0, (5, 3)), label=L["legend_buffer"].format(km=buf / 1000)))
    lines = sum(1 + str(h.get_label()).count("\n") for h in handles)
    top = 0.52 if lines > 11 else 0.50
    renderer = fig.canvas.get_renderer()
    # set closer and smaller, step by step, until a long legend (planning lines, element zones, basemap) ends
    # above the notes at the foot of the figure
    for fontsize, spacing, height in _LEGEND_STEPS[0 if lines <= 11 else 1:]:
        legend = fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.69, top), fontsize=fontsize,
                            frameon=False, title=("图例" if L["north"] == "北" else "Legend"), title_fontsize=8,
                            handlelength=2.2, handleheight=height, labelspacing=spacing, alignment="left")
        bottom = fig.transFigure.inverted().transform(legend.get_window_extent(renderer))[0][1]
        if bottom >= _NOTES_TOP or fontsize == _LEGEND_STEPS[-1][0]:
            break
        legend.remove()


def labels_category(category: str, L: dict) -> str:
    """Legend text of a control-unit category."""
    from .labels import category_label

    return category_label(category, "zh" if L["north"] == "北" else "en")


def static_map(result, *, lang: str = "zh", raster: str | None = None, basemap=None) -> Figure:
    """The map figure of a screening result (not yet saved).

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}
        Language of title, legend and notes.
    raster : str, optional
        Name of a raster of the result's store (``gisplan layers list``) drawn
        under the zoning, with its own legend or colour bar. Default: none.
    basemap : str or BasemapSpec, optional
        ``"offline"`` (county boundaries and seats bundled with gisplan), a tile
        URL template or an MBTiles/PMTiles file (see
        :func:`gisplan.render.basemap.basemap_spec`), drawn under the zoning.
        Default: none.

    Returns
    -------
    matplotlib.figure.Figure
        Size :data:`MAP_FIGSIZE` inches, with an Agg canvas; save it inside
        ``matplotlib.rc_context(fonts.mpl_rc())`` or use :func:`write_static_map`.

    Raises
    ------
    CJKFontError
        When no CJK font is installed.
    InputError
        ``raster`` names no raster of the store, or its file differs from the imported one.
    """
    from matplotlib import rc_context

    L = labels(lang)
    crs = result.project["gk_crs"]
    font = cjk_font()
    with rc_context(mpl_rc(font)):
        fig = Figure(figsize=MAP_FIGSIZE, dpi=MAP_DPI, facecolor="white")
        canvas = FigureCanvasAgg(fig)
        # geopandas asks for a redraw after each layer it plots; the figure is drawn once, when saved
        canvas.draw_idle = lambda *args, **kwargs: None
        ax = fig.add_axes(_MAIN_BOX)
        aspect = (_MAIN_BOX[2] * MAP_FIGSIZE[0]) / (_MAIN_BOX[3] * MAP_FIGSIZE[1])
        fp_gk = transform_geometry(result.footprint, CGCS2000, crs)
        box = _extent(result, fp_gk, crs, aspect)
        under = _warp_underlay(fig, result, crs, box, raster, lang) if raster else None
        spec = _basemap_spec(basemap)
        tiles = _basemap_tiles(fig, spec, crs, box) if spec is not None and spec.kind in ("url", "file") else None
        alpha = UNIT_ALPHA_OVER_RASTER if under is not None else (UNIT_ALPHA_OVER_TILES if tiles is not None else 0.6)
        _layers(ax, result, crs, box, unit_alpha=alpha)
        basemap_handles = []
        if spec is not None and spec.kind == "offline":
            basemap_handles = _offline_basemap(ax, result, crs, box, L)
        elif tiles is not None:
            ax.imshow(tiles, extent=(box[0], box[2], box[1], box[3]), origin="upper", interpolation="bilinear",
                      zorder=0.3)
            _unit_outlines(ax, result, crs, box)
        if spec is not None and spec.kind in ("url", "file"):
            credit = (spec.attribution or ("底图" if lang == "zh" else "basemap")) if tiles is not None else \
                ("底图瓦片不可用，未绘制" if lang == "zh" else "basemap tiles unavailable: not drawn")
            ax.text(0.985, 0.015, credit, transform=ax.transAxes, ha="right", va="bottom", fontsize=5.5, zorder=25,
                    color="#444444", path_effects=_HALO)
        if under is not None:
            _unit_outlines(ax, result, crs, box)
        _site(ax, result, crs, lang)
        _nearby_marks(ax, result, crs, box, lang)
        ax.set_xlim(box[0], box[2])
        ax.set_ylim(box[1], box[3])
        ax.set_aspect("equal", adjustable="box")
        _frame_only(ax, 0.8)
        lon, lat = result.project["centroid"]
        _north_arrow(ax, _true_north_angle(lon, lat, crs), L["north"])
        _scale_bar(ax, box, L["scale_unit"])
        _inset(fig, result, crs, box, L)
        _legend(fig, result, L, crs, box, basemap_handles)
        if raster:  # drawn after every geopandas plot (each redraws the figure); zorder puts it under the zoning
            _draw_underlay(ax, under, raster, lang)
        if under is not None:
            _underlay_legend(fig, ax, under, lang)
        name = result.project.get("name") or Path(str(result.project.get("source") or "site")).stem
        title = L["map_title"].format(name=name)
        fig.text(0.5, 0.955, title, ha="center", va="center", fontsize=11 if len(title) <= 40 else 8.5, weight="bold")
        epsg = crs.split(":")[-1]
        note = L["crs_map"].format(epsg=f"EPSG:{epsg}", cm=gk_central_meridian(lon))
        fig.text(0.015, 0.035, note, ha="left", va="center", fontsize=6.5)
        if is_demo(result):
            fig.text(0.985, 0.035, L["demo_map"], ha="right", va="center", fontsize=6.5, color="#b22222")
    return fig


def _save(fig: Figure, target, fmt: str, dpi: int) -> None:
    from matplotlib import rc_context

    with rc_context(mpl_rc()):
        fig.savefig(target, format=fmt, dpi=dpi, facecolor="white")


def static_map_png(result, *, lang: str = "zh", dpi: int = MAP_DPI, raster: str | None = None,
                   basemap=None) -> bytes:
    """The map as PNG bytes (for embedding in a DOCX); ``raster`` and ``basemap`` as in :func:`static_map`."""
    import io

    buf = io.BytesIO()
    _save(static_map(result, lang=lang, raster=raster, basemap=basemap), buf, "png", dpi)
    return buf.getvalue()


def write_static_map(result, path: str | os.PathLike, *, lang: str = "zh", dpi: int = MAP_DPI,
                     raster: str | None = None, basemap=None) -> Path:
    """Write the map to ``path`` (``.png`` or ``.pdf``, by suffix), atomically.

    ``raster`` names a raster of the store drawn under the zoning, ``basemap``
    the basemap under everything (see :func:`static_map`).

    Raises
    ------
    InputError
        For another suffix, or an unknown ``raster``.
    CJKFontError
        When no CJK font is installed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"map output must end in .png or .pdf, got {path.name!r}")
    from ..io.outputs import atomic_output, check_output_path, store_of

    check_output_path(path, protect_also=store_of(result))  # refuse before drawing
    fig = static_map(result, lang=lang, raster=raster, basemap=basemap)
    with atomic_output(path, protect_also=store_of(result)) as tmp:
        _save(fig, tmp, suffix[1:], dpi)
    return path


def _frame_only(ax, linewidth: float) -> None:
    """A map frame: no ticks or axis labels, spines of ``linewidth``."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    for spine in ax.spines.values():
        spine.set_linewidth(linewidth)


def _warp_underlay(fig, result, crs: str, box, raster: str, lang: str):
    """Raster ``raster`` of the store on the main map's pixel grid (None: no data on the map)."""
    from .raster_underlay import underlay_for

    width = max(1, round(_MAIN_BOX[2] * fig.get_figwidth() * fig.dpi))
    height = max(1, round(_MAIN_BOX[3] * fig.get_figheight() * fig.dpi))
    return underlay_for(result, raster, crs, box, width, height, lang=lang)


def _draw_underlay(ax, under, raster: str, lang: str) -> None:
    """Draw the underlay under the zoning, or a note that the raster has no data on the map."""
    from .raster_underlay import UNDERLAY_ALPHA

    if under is None:  # asked for but absent: say so rather than leave the reader guessing
        note = f"栅格 {raster}：图幅内无数据" if lang == "zh" else f"raster {raster}: no data in this map"
        ax.text(0.98, 0.03, note, transform=ax.transAxes, ha="right", va="bottom", fontsize=6.5, zorder=25,
                bbox={"facecolor": "white", "edgecolor": "#999999", "alpha": 0.85, "pad": 2})
        return
    minx, miny, maxx, maxy = under.bounds
    ax.imshow(under.rgba, extent=(minx, maxx, miny, maxy), origin="upper", alpha=UNDERLAY_ALPHA,
              interpolation="nearest", resample=False, zorder=0.5)


def _unit_outlines(ax, result, crs: str, box) -> None:
    """Control-unit outlines in their category colour: over a raster the faint fill alone is hard to read."""
    units = _clip(_to_gk((result.context or {}).get("control_units"), crs), box)
    if units is None:
        return
    order = {"general": 0, "key": 1, "priority": 2}  # the stricter category's colour on shared edges
    for category, sub in sorted(units.groupby("category"), key=lambda kv: order.get(kv[0], -1)):
        sub.boundary.plot(ax=ax, color=CATEGORY_COLOURS.get(category, "#7a7a7a"), linewidth=1.2, zorder=2.5)
        ax.collections[-1].set_path_effects([patheffects.withStroke(linewidth=2.4, foreground="white")])


def _underlay_legend(fig, ax, under, lang: str) -> None:
    """Legend of the underlay in the map's lower right: its classes in view, or a colour bar."""
    from .raster_underlay import CONTINUOUS_CMAP, UNDERLAY_ALPHA

    title = under.name
    marked = under.classes and all("示例" in label or "example" in label for _, label, _ in under.classes)
    if under.synthetic and not marked:
        title += "（示例）" if lang == "zh" else " (example)"
    if under.kind == "classified":
        handles = [Patch(facecolor=colour, alpha=UNDERLAY_ALPHA, edgecolor="#777777", lw=0.3, label=label)
                   for _, label, colour in under.classes]
        leg = ax.legend(handles=handles, loc="lower right", fontsize=5.5, title=title, title_fontsize=6,
                        ncol=2 if len(handles) > 5 else 1, frameon=True, framealpha=0.85, edgecolor="#999999",
                        handlelength=1.4, handleheight=0.9, columnspacing=0.8, borderpad=0.4)
        leg.set_zorder(25)
        return
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cax = ax.inset_axes([0.66, 0.05, 0.30, 0.025], zorder=25)
    bar = fig.colorbar(ScalarMappable(Normalize(under.vmin, under.vmax), colormaps[CONTINUOUS_CMAP]), cax=cax,
                       orientation="horizontal")
    bar.ax.tick_params(labelsize=5.5, length=2, pad=1)
    bar.set_label(title, fontsize=6, labelpad=1)
    bar.ax.xaxis.set_label_position("top")


def _basemap_spec(basemap):
    """A :class:`~gisplan.render.basemap.BasemapSpec` from what :func:`static_map` was given (None: no basemap)."""
    if basemap is None:
        return None
    from .basemap import BasemapSpec, basemap_spec

    spec = basemap if isinstance(basemap, BasemapSpec) else basemap_spec(str(basemap))
    return None if spec.kind == "none" else spec


def _basemap_tiles(fig, spec, crs: str, box):
    """The basemap's tiles on the main map's grid (RGBA), or None when none could be read."""
    from .tiles import fetch_tile, open_tile_file, warp_tiles

    # half the figure's resolution is plenty under the zoning, and reads a quarter of the tiles
    width = max(1, round(_MAIN_BOX[2] * fig.get_figwidth() * fig.dpi / 2))
    height = max(1, round(_MAIN_BOX[3] * fig.get_figheight() * fig.dpi / 2))
    if spec.kind == "file":
        source = open_tile_file(spec.source)
        try:
            return warp_tiles(source.get, minzoom=source.minzoom, maxzoom=source.maxzoom, dst_crs=crs, box=box,
                              width=width, height=height, tiles_crs=spec.crs)
        finally:
            source.close()
    return warp_tiles(lambda z, x, y: fetch_tile(spec.source, z, x, y, spec.subdomains), minzoom=0, maxzoom=18,
                      dst_crs=crs, box=box, width=width, height=height, tiles_crs=spec.crs, max_tiles=24)


def _offline_basemap(ax, result, crs: str, box, L: dict) -> list:
    """County boundaries and seats (bundled) on the main map; their legend entries."""
    from .offline_basemap import boundaries_as_drawn, offline_basemap

    minx, miny, maxx, maxy = box
    lons, lats = transformer(crs, CGCS2000).transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    found = offline_basemap((min(lons), min(lats), max(lons), max(lats)),
                            as_published=boundaries_as_drawn(result.store_info))
    en = L["north"] != "北"
    handles = []
    counties = _to_gk(found["counties"], crs)
    lines = None
    if counties is not None:  # the boundaries as lines, then clipped (a clipped polygon's outline runs along the frame)
        lines = _clip(gpd.GeoDataFrame(geometry=counties.boundary.values, crs=crs), box)
    if lines is not None:
        lines.plot(ax=ax, color=COUNTY_LINE_COLOUR, linewidth=0.9, linestyle=(0, (6, 2, 1, 2)), zorder=3)
        handles.append(Line2D([], [], color=COUNTY_LINE_COLOUR, lw=0.9, linestyle=(0, (6, 2, 1, 2)),
                              label="county boundary" if en else "县级界线"))
    seats = _to_gk(found["seats"], crs)
    if seats is not None:
        inside = seats[seats.geometry.x.between(minx, maxx) & seats.geometry.y.between(miny, maxy)]
        for _, r in inside.iterrows():
            ax.plot([r.geometry.x], [r.geometry.y], marker="s", markersize=3.2, color=SEAT_COLOUR, zorder=14)
            ax.text(r.geometry.x, r.geometry.y + 0.012 * (maxy - miny), r["name"], fontsize=6.5, ha="center",
                    va="bottom", zorder=14, path_effects=_HALO)
        if len(inside):
            handles.append(Line2D([], [], color=SEAT_COLOUR, marker="s", markersize=3.2, lw=0,
                                  label="county seat" if en else "县级驻地"))
    return handles
