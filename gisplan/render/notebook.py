"""A screening result in Jupyter: HTML summary, GeoDataFrames, quick plot (no store queries).

:class:`~gisplan.screening.ScreeningResult` calls these from thin methods
(``_repr_html_``, ``units``, ``hits_frame``, ``nearby_frame``, ``explore``, ``plot``).
"""

from __future__ import annotations

import html
import math

import geopandas as gpd
import pandas as pd
import shapely

from ..geo.crs import CGCS2000
from ..vocab import CATEGORY_LABELS_ZH, KIND_LABELS_ZH

__all__ = ["hits_frame", "nearby_frame", "plot_result", "summary_html", "summary_repr", "units_frame"]

_CSS = """<style>
.gisplan-summary table {border-collapse: collapse; margin: 4px 0 10px 0; font-size: 12px;}
.gisplan-summary th, .gisplan-summary td {border: 1px solid #ccc; padding: 2px 6px; text-align: left;}
.gisplan-summary td.num {text-align: right; font-variant-numeric: tabular-nums;}
.gisplan-summary .conflict {color: #b30000; font-weight: bold;}
.gisplan-summary .clear {color: #006d2c; font-weight: bold;}
.gisplan-summary .warn {color: #8a5a00;}
</style>"""


def _e(value) -> str:
    """Escaped text of a cell (None/NaN as an empty cell)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value))


def _ha(m2) -> str:
    return "" if m2 is None or (isinstance(m2, float) and math.isnan(m2)) else f"{float(m2) / 1e4:,.4f}"


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    if not rows:
        return "<p><i>无 (none)</i></p>"
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _verdict_html(verdict: dict) -> str:
    """The verdict whatever its detail: overall decision, then each finding's message."""
    verdict = verdict or {}
    overall = str(verdict.get("overall", ""))
    css = "conflict" if overall == "conflict" else "clear" if overall == "clear" else ""
    out = f'<p>结论 (verdict): <span class="{css}">{_e(overall)}</span></p>'
    items = []
    for f in verdict.get("findings") or []:
        text = f.get("message") if isinstance(f, dict) else f
        if isinstance(f, dict) and not text:
            text = " ".join(str(f.get(k, "")) for k in ("decision", "kind", "name") if f.get(k))
        items.append(f"<li>{_e(text)}</li>")
    return out + (f"<ul>{''.join(items)}</ul>" if items else "")


def summary_html(result) -> str:
    """An HTML summary of a screening result for notebooks; all text is escaped.

    Parameters
    ----------
    result : ScreeningResult

    Returns
    -------
    str
        Site name, areas (ha, ellipsoidal and GK-zone), control-unit table,
        zone hits, nearby features with EIA position phrases, verdict, warnings.
    """
    p = result.project
    name = p.get("name") or p.get("source") or "site"
    cat = result.by_category
    from ..report import coverage_headline

    headline = coverage_headline(getattr(result, "coverage", None), "zh")
    parts = [_CSS, '<div class="gisplan-summary">',
             f"<h4>三线一单筛查 · {_e(name)}</h4>",
             *([f'<p style="color:#c00000;font-weight:bold">{_e(headline)}</p>'] if headline else []),
             _table(["面积 (ha, 椭球面)", f"面积 (ha, {_e(p.get('gk_crs', 'GK'))} 高斯平面)",
                     "优先保护 (ha)", "重点管控 (ha)", "一般管控 (ha)", "单元范围外 (ha)"],
                    [[_ha(p.get("area_m2")), _ha(p.get("area_gk_m2")), _ha(cat["priority"]), _ha(cat["key"]),
                      _ha(cat["general"]), _ha(p.get("outside_coverage_m2"))]], numeric=set(range(6)))]
    cu = result.control_units
    parts.append("<b>环境管控单元 (control units)</b>")
    parts.append(_table(
        ["单元编码", "单元名称", "管控类别", "区县", "占用 (ha)", "占项目比例"],
        [[_e(u["code"]), _e(u["name"]), _e(u.get("category_label") or CATEGORY_LABELS_ZH.get(u["category"], u["category"])),
          _e(u.get("county")), _ha(u["overlap_m2"]), f"{float(u['share_of_project']):.1%}"] for _, u in cu.iterrows()],
        numeric={4, 5},
    ))
    parts.append("<b>占用敏感区 (zone hits)</b>")
    parts.append(_table(
        ["类型", "名称", "分区/级别", "占用 (ha)", "占项目比例"],
        [[_e(KIND_LABELS_ZH.get(h["kind"], h["kind"])), _e(h["name"]), _e(h["zone_label"]), _ha(h["overlap_m2"]),
          f"{float(h['share_of_project']):.1%}"] for _, h in result.hits.iterrows()],
        numeric={3, 4},
    ))
    buf = (result.params or {}).get("buffer_m")
    parts.append(f"<b>周边敏感区 (nearby{f', within {buf / 1000:g} km' if buf else ''})</b>")
    parts.append(_table(
        ["类型", "名称", "分区/级别", "方位与距离", "距离 (m)"],
        [[_e(KIND_LABELS_ZH.get(n["kind"], n["kind"])), _e(n["name"]), _e(n["zone_label"]), _e(n["position"]),
          f"{float(n['distance_m']):,.0f}"] for _, n in result.nearby.iterrows()],
        numeric={4},
    ))
    layers = (getattr(result, "store", None) or {}).get("layers") or {}
    if any(k in layers for k in ("basic_farmland", "urban_boundary")):
        from .eia_tables import _three_lines
        from .labels import labels

        table = _three_lines(result, labels("zh"), "zh")
        parts.append("<b>三区三线 (three control lines)</b>")
        parts.append(_table(list(table.columns), [[_e(c) for c in row] for row in table.text_rows()],
                            numeric={2, 3, 6}))
    parts.append(_verdict_html(result.verdict))
    if result.warnings:
        parts.append('<ul class="warn">' + "".join(f"<li>警告: {_e(w)}</li>" for w in result.warnings) + "</ul>")
    parts.append('<p style="font-size:10px;color:#666">面积为 CGCS2000/GRS80 椭球面面积与所在 3 度带高斯平面面积；'
                 "距离为大地线距离。</p></div>")
    return "".join(parts)


def summary_repr(result) -> str:
    """A one-line ``repr`` (the dataclass default would dump every table)."""
    p = result.project
    overall = (result.verdict or {}).get("overall")
    return (f"<ScreeningResult {p.get('name') or p.get('source') or 'site'!r}: {p.get('area_m2', 0) / 1e4:.2f} ha, "
            f"{len(result.control_units)} unit(s), {len(result.hits)} hit(s), {len(result.nearby)} nearby, "
            f"verdict {overall!r}{_coverage_note(result)}, {len(result.warnings)} warning(s)>")


def _coverage_note(result) -> str:
    status = (getattr(result, "coverage", None) or {}).get("status")
    return {"outside": " (outside the store's data: not judged)", "partial": " (partly outside the store's data)"}.get(status, "")


def units_frame(result) -> gpd.GeoDataFrame:
    """Overlapped control units with their whole geometry (CGCS2000) and the overlap columns."""
    cu = result.control_units
    ctx = (result.context or {}).get("control_units")
    geoms = {}
    if ctx is not None and len(ctx) and "feature_id" in ctx.columns:
        geoms = dict(zip(ctx["feature_id"].astype(int), ctx.geometry))
    geometry = [geoms.get(int(f)) for f in cu["feature_id"]] if len(cu) else []
    return gpd.GeoDataFrame(cu.copy(), geometry=gpd.GeoSeries(geometry, index=cu.index, crs=CGCS2000), crs=CGCS2000)


def _with_pieces(frame: pd.DataFrame, result, kinds) -> gpd.GeoDataFrame:
    pieces = result.pieces
    geoms = {}
    if pieces is not None and len(pieces):
        sel = pieces[pieces["kind"].isin(kinds)]
        geoms = {(k, int(f)): g for k, f, g in zip(sel["kind"], sel["feature_id"], sel.geometry)}
    geometry = [geoms.get((k, int(f))) for k, f in zip(frame["kind"], frame["feature_id"])] if len(frame) else []
    return gpd.GeoDataFrame(frame.copy(), geometry=gpd.GeoSeries(geometry, index=frame.index, crs=CGCS2000), crs=CGCS2000)


def hits_frame(result) -> gpd.GeoDataFrame:
    """Zone hits (redline, protected areas, water sources, basic farmland, urban boundary) with the overlap
    geometry (CGCS2000)."""
    return _with_pieces(result.hits, result, ("eco_redline", "protected_areas", "water_sources", "basic_farmland",
                                              "urban_boundary"))


def nearby_frame(result) -> gpd.GeoDataFrame:
    """Nearby features with the shortest line from the site to each as geometry (CGCS2000)."""
    nb = result.nearby
    lines = [shapely.LineString([a, b]) for a, b in zip(nb["site_point"], nb["feature_point"])] if len(nb) else []
    return gpd.GeoDataFrame(nb.copy(), geometry=gpd.GeoSeries(lines, index=nb.index, crs=CGCS2000), crs=CGCS2000)


def plot_result(result, ax=None, *, with_context: bool = True):
    """A quick matplotlib map: units by category, zones, the site (CGCS2000 lon/lat).

    Parameters
    ----------
    result : ScreeningResult
    ax : matplotlib Axes, optional
    with_context : bool
        Draw the whole features near the site (``result.context``), not only those hit.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    from .palette import (
        CATEGORY_COLOURS,
        FARMLAND_COLOUR,
        FARMLAND_HATCH,
        PROTECTED_COLOURS,
        REDLINE_COLOUR,
        SITE_COLOUR,
        URBAN_COLOURS,
        WATER_COLOURS,
    )

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    ctx = result.context if with_context else {}
    units = ctx.get("control_units")
    if units is None or not len(units):
        units = units_frame(result)
    handles = []
    if len(units):
        for cat, colour in CATEGORY_COLOURS.items():
            sel = units[units["category"] == cat]
            if len(sel):
                sel.plot(ax=ax, color=colour, alpha=0.5, edgecolor="#666", linewidth=0.5)
            handles.append(Patch(facecolor=colour, alpha=0.5, edgecolor="#666", label=CATEGORY_LABELS_ZH[cat]))
    zone_styles = [
        ("eco_redline", lambda f: [REDLINE_COLOUR] * len(f), {"hatch": "///", "alpha": 0.6}),
        ("protected_areas", lambda f: [PROTECTED_COLOURS.get(z, "#8e44ad") for z in f["zone"]], {"alpha": 0.9}),
        ("water_sources", lambda f: [WATER_COLOURS.get(z, "#3182bd") for z in f["level"]], {"alpha": 0.9}),
        ("basic_farmland", lambda f: [FARMLAND_COLOUR] * len(f), {"hatch": FARMLAND_HATCH, "alpha": 0.6}),
        ("urban_boundary", lambda f: [URBAN_COLOURS.get(z, URBAN_COLOURS["boundary"]) for z in f["zone"]],
         {"linestyle": "--", "alpha": 0.9}),
    ]
    for kind, colours, style in zone_styles:
        frame = ctx.get(kind)
        if frame is None or not len(frame):
            frame = _with_pieces(result.hits[result.hits["kind"] == kind], result, (kind,))
            frame = frame[~frame.geometry.isna()]
            if "zone" in frame.columns and kind == "water_sources":
                frame = frame.assign(level=frame["zone"])
        if not len(frame):
            continue
        frame.plot(ax=ax, facecolor="none", edgecolor=colours(frame), linewidth=1.5, **style)
        handles.append(Patch(facecolor="none", edgecolor=colours(frame)[0], hatch=style.get("hatch"),
                             label=KIND_LABELS_ZH[kind]))
    site = result.footprint_frame
    site.boundary.plot(ax=ax, color=SITE_COLOUR, linewidth=2)
    handles.append(Patch(facecolor="none", edgecolor=SITE_COLOUR, linewidth=2, label="项目范围"))
    minx, miny, maxx, maxy = site.total_bounds
    pad = max(maxx - minx, maxy - miny) * 0.6 + 0.005
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect(1 / math.cos(math.radians((miny + maxy) / 2)))
    ax.xaxis.set_major_locator(MaxNLocator(4))
    ax.yaxis.set_major_locator(MaxNLocator(5))
    font = _font()
    ax.set_xlabel("经度 (CGCS2000)", fontproperties=font)
    ax.set_ylabel("纬度", fontproperties=font)
    ax.set_title(str(result.project.get("name") or "site"), fontproperties=font)
    small = font.copy()
    small.set_size(8)
    ax.legend(handles=handles, loc="upper right", prop=small, framealpha=0.9)
    return ax


def _font():
    """FontProperties with a CJK family first (so Chinese labels draw), whatever the rc settings."""
    from matplotlib.font_manager import FontProperties

    from .fonts import CJKFontError, cjk_font

    try:
        return FontProperties(family=[cjk_font().family, "DejaVu Sans"])
    except CJKFontError:  # no CJK font installed: labels fall back (boxes), the plot still works
        return FontProperties(family=["DejaVu Sans"])
