"""The change map of ``gisplan layers diff``: a static PNG (matplotlib) and an offline HTML map (folium).

Colours: area that became priority protection green, area that left priority
protection red, other category changes amber, area no longer in any unit grey,
area newly in a unit blue; redline gained/lost dark green /
dark red hatching, protected areas gained/lost purple / brown outlines. The new
units are drawn as thin grey outlines for orientation.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import geopandas as gpd
import numpy as np

from .diff import LayerDiff
from .output import atomic_path, check_suffix, write_text_atomic

__all__ = ["CHANGE_STYLE", "write_change_png", "write_change_html"]

#: change -> (fill colour, edge colour, hatch, Chinese label, English label)
CHANGE_STYLE = {
    "gained_priority": ("#1a9641", "#1a9641", "", "调入优先保护", "became priority"),
    "lost_priority": ("#d7191c", "#d7191c", "", "调出优先保护", "left priority"),
    "recategorised": ("#fdae61", "#e08214", "", "其他类别变化", "other category change"),
    "uncovered": ("#bdbdbd", "#636363", "", "移出管控单元", "no longer in any unit"),
    "newly_covered": ("#6baed6", "#2171b5", "", "新纳入管控单元", "newly in a unit"),
    "redline_gained": ("none", "#00441b", "////", "生态保护红线 新增", "redline gained"),
    "redline_lost": ("none", "#67000d", "\\\\\\\\", "生态保护红线 减少", "redline lost"),
    "protected_gained": ("none", "#6a1b9a", "", "自然保护地 新增", "protected area gained"),
    "protected_lost": ("none", "#8c510a", "", "自然保护地 减少", "protected area lost"),
}


def _aspect(frame: gpd.GeoDataFrame) -> float:
    lat = float(np.mean(frame.total_bounds[[1, 3]])) if len(frame) else 0.0
    return 1.0 / max(np.cos(np.radians(lat)), 0.1)


def write_change_png(diff: LayerDiff, units: gpd.GeoDataFrame, path: str | os.PathLike, *, dpi: int = 200) -> Path:
    """Draw the changed areas over the new units' outlines and write a PNG (atomically).

    Parameters
    ----------
    diff : LayerDiff
    units : GeoDataFrame
        The new version's control units (CGCS2000 lon/lat), drawn as outlines.
    path : path
        Ends in ``.png``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from ..render.fonts import mpl_rc

    path = check_suffix(path, ".png", "--png")
    with matplotlib.rc_context(mpl_rc()):
        fig, ax = plt.subplots(figsize=(9, 9))
        units.boundary.plot(ax=ax, color="#9e9e9e", linewidth=0.3, zorder=1)
        handles = []
        for change, (fill, edge, hatch, zh, en) in CHANGE_STYLE.items():
            sub = diff.changes[diff.changes["change"] == change]
            if sub.empty:
                continue
            area = float(sub["area_km2"].sum())
            sub.plot(ax=ax, facecolor=fill, edgecolor=edge, hatch=hatch or None, linewidth=0.8,
                     alpha=0.85 if fill != "none" else 1.0, zorder=3 if fill == "none" else 2)
            handles.append(Patch(facecolor=fill, edgecolor=edge, hatch=hatch or None, label=f"{zh} {en}: {area:,.2f} km²"))
        if not handles:
            handles.append(Patch(facecolor="none", edgecolor="#9e9e9e", label="无变化 no change"))
        ax.set_aspect(_aspect(units))
        ax.set_title(f"管控分区变化图 zoning changes\n{Path(diff.old).name} → {Path(diff.new).name}", fontsize=11)
        ax.set_xlabel("经度 longitude (°E)")
        ax.set_ylabel("纬度 latitude (°N)")
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8, frameon=False)
        ax.grid(color="#eeeeee", linewidth=0.5)
        fig.text(0.01, 0.01, "CGCS2000 (EPSG:4490); areas ellipsoidal", fontsize=7, color="#666666")
        fig.tight_layout()
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format="png")
        plt.close(fig)
    return path


def write_change_html(diff: LayerDiff, units: gpd.GeoDataFrame, path: str | os.PathLike) -> Path:
    """Write the change map as one self-contained HTML page (no network), atomically."""
    import folium

    from ..render.html_map import _OfflineMap, offline_html

    path = check_suffix(path, ".html", "--html-map")
    b = units.total_bounds if len(units) else diff.changes.total_bounds
    m = _OfflineMap(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=8, tiles=None, control_scale=True)
    outline = units[["geometry"]].copy()
    outline["geometry"] = outline.geometry.simplify(0.0002, preserve_topology=True)  # ~20 m: orientation only
    outline["code"] = units["code"].map(lambda v: html.escape(str(v))) if "code" in units else ""
    folium.GeoJson(outline.to_json(drop_id=True), name="管控单元 (新) units",
                   style_function=lambda f: {"color": "#9e9e9e", "weight": 0.6, "fillOpacity": 0.0},
                   tooltip=folium.GeoJsonTooltip(fields=["code"], aliases=["单元编码"])).add_to(m)
    for change, (fill, edge, _hatch, zh, en) in CHANGE_STYLE.items():
        sub = diff.changes[diff.changes["change"] == change]
        if sub.empty:
            continue
        sub = sub.copy()
        sub["label"] = f"{zh} {en}"
        sub["area_km2"] = sub["area_km2"].round(3)
        style = {"color": edge, "weight": 1.5, "fillColor": fill if fill != "none" else edge,
                 "fillOpacity": 0.6 if fill != "none" else 0.1}
        folium.GeoJson(sub[["label", "from", "to", "area_km2", "geometry"]].to_json(drop_id=True), name=f"{zh} {en}",
                       style_function=lambda f, s=style: s,
                       tooltip=folium.GeoJsonTooltip(fields=["label", "area_km2"], aliases=["变化", "面积 km²"])).add_to(m)
    m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
    folium.LayerControl(collapsed=False).add_to(m)
    write_text_atomic(path, offline_html(m.get_root().render()))
    return path
