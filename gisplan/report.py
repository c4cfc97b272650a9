"""Render a screening result as JSON data and as a short human summary (no queries here)."""

from __future__ import annotations

import json
import math
import os

from ._version import __version__
from .three_lines import three_lines_of
from .vocab import ELEMENT_KINDS, KIND_LABELS_ZH, PLANNING_KINDS

__all__ = ["result_to_dict", "result_to_json", "summary_text", "verdict_lines", "coverage_headline", "follow_up_text",
           "project_form_lines", "industry_line", "three_lines_line"]


def clean(value):
    """``value`` as JSON data: NaN as None, tuples as lists, numpy scalars as Python numbers."""
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return clean(value.item())
    return value


def _records(frame, columns) -> list[dict]:
    return [clean({c: row[c] for c in columns}) for _, row in frame.iterrows()]


def _table(result, rows_attr: str, frame_attr: str, columns: list[str]) -> list[dict]:
    """Records of a result table: from its plain rows when it has them (no pandas), else from the frame."""
    rows = getattr(result, rows_attr, None)
    if rows is not None:
        return [clean({c: r.get(c) for c in columns}) for r in rows]
    return _records(getattr(result, frame_attr), columns)


def result_to_dict(result) -> dict:
    """The JSON report of a :class:`~gisplan.screening.ScreeningResult` as plain data."""
    unit_cols = ["code", "name", "category", "category_label", "county", "overlap_m2", "overlap_gk_m2", "share_of_project"]
    hit_cols = ["kind", "name", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"]
    near_cols = ["kind", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction", "position", "site_point", "feature_point"]
    return clean({
        "gisplan_version": __version__,
        "generated_at": result.generated_at,
        "units_note": "areas are ellipsoidal m² on CGCS2000/GRS80; *_gk_m2 are planimetric in the site's 3-degree Gauss-Kruger zone; distances are geodesic metres",
        "project": result.project,
        "coverage": dict(getattr(result, "coverage", None) or {}),
        "parameters": result.params,
        "store": result.store_info,
        "control_units": _table(result, "unit_rows", "control_units", unit_cols),
        "by_category": result.by_category,
        "by_category_gk": result.by_category_gk,
        "hits": _table(result, "hit_rows", "hits", hit_cols),
        "nearby": _table(result, "nearby_rows", "nearby", near_cols),
        "three_lines": three_lines_of(result),
        "verdict": result.verdict.to_dict() if hasattr(result.verdict, "to_dict") else result.verdict,
        **({"crossings": list(result.crossings)} if getattr(result, "project", {}).get("site_kind") in ("line", "mixed") else {}),
        **({"rasters": list(result.rasters)} if getattr(result, "rasters", None) else {}),
        **element_zones_dict(result),
        "warnings": list(result.warnings),
    })


_ELEMENT_COLS = ["kind", "name", "code", "zone", "zone_label", "overlap_m2", "overlap_gk_m2", "share_of_project"]
_ELEMENT_NEAR_COLS = ["kind", "name", "zone", "zone_label", "distance_m", "azimuth_deg", "direction", "position"]


def element_zones_dict(result) -> dict:
    """``{"element_zones": {"hits", "nearby", "by_zone"}}`` when the store has element layers (else empty).

    ``by_zone`` sums the overlap (ellipsoidal and GK m²) per kind and zone type.
    """
    rows = list(getattr(result, "element_rows", None) or [])
    near = list(getattr(result, "element_nearby_rows", None) or [])
    layers = (getattr(result, "store", None) or {}).get("layers", {}) or {}
    if not rows and not near and not any(k in layers for k in ELEMENT_KINDS):
        return {}
    by_zone: dict[tuple[str, str], dict] = {}
    for r in rows:
        z = by_zone.setdefault((r["kind"], r["zone"]), {"kind": r["kind"], "zone": r["zone"], "zone_label": r["zone_label"],
                                                        "overlap_m2": 0.0, "overlap_gk_m2": 0.0, "features": 0})
        z["overlap_m2"] += r["overlap_m2"]
        z["overlap_gk_m2"] += r["overlap_gk_m2"]
        z["features"] += 1
    return {"element_zones": clean({
        "hits": [{c: r.get(c) for c in _ELEMENT_COLS} for r in rows],
        "nearby": [{c: r.get(c) for c in _ELEMENT_NEAR_COLS} for r in near],
        "by_zone": list(by_zone.values()),
        "layers": [k for k in ELEMENT_KINDS if k in layers],
    })}


def result_to_json(result, path: str | os.PathLike | None = None, *, full: bool = False) -> str:
    """JSON text of the report (UTF-8, Chinese kept readable); written to ``path`` when given.

    ``full``: with the ``record`` section a result is read back from
    (:meth:`~gisplan.result.ScreeningResult.to_dict`).
    """
    text = json.dumps(result.to_dict(full=True) if full else result_to_dict(result), ensure_ascii=False, indent=2)
    if path is not None:
        from .io.outputs import store_of, write_text

        write_text(path, text, protect_also=store_of(result))
    return text


def coverage_headline(coverage: dict | None, lang: str = "zh") -> str:
    """The line every human output puts first when the site is not wholly inside the store's data ("" when it is).

    Examples
    --------
    >>> coverage_headline({"status": "outside", "extent_label": "延吉市、图们市"})
    '选址不在本系统数据范围（延吉市、图们市）内：数据范围外，不作判定。'
    >>> coverage_headline({"status": "partial", "outside_m2": 600000.0, "outside_share": 0.5236, "extent_label": "敦化市"})
    '选址有 60.0000 ha（52.36%）位于本系统数据范围（敦化市）外：该部分未作判定，须对照所在地“三线一单”成果核对。'
    >>> coverage_headline({"status": "inside"})
    ''
    """
    c = coverage or {}
    status, extent = c.get("status"), c.get("extent_label") or ("库内环境管控单元范围" if lang != "en" else "the store")
    en = lang == "en"
    if status == "outside":
        return (f"The site lies outside the data of this store ({extent}): no verdict is given." if en
                else f"选址不在本系统数据范围（{extent}）内：数据范围外，不作判定。")
    if status == "partial":
        ha, share = (c.get("outside_m2") or 0.0) / 1e4, c.get("outside_share") or 0.0
        return (f"{ha:.4f} ha ({share:.2%}) of the site lies outside the data of this store ({extent}): "
                "that part is not judged; check it against the local zoning." if en else
                f"选址有 {ha:.4f} ha（{share:.2%}）位于本系统数据范围（{extent}）外：该部分未作判定，须对照所在地“三线一单”成果核对。")
    if status == "unknown":
        return ("The store has no control units: the data range is unknown and the verdict is review." if en
                else "图层库无环境管控单元图层：数据范围未知，结论须人工核对。")
    return ""


def project_form_lines(project: dict, lang: str = "zh") -> list[str]:
    """The project form's fields given (建设单位, 项目代码, 建设性质) as one terminal line (none when none given)."""
    from .project_info import CONSTRUCTION_NATURES_EN

    en = lang == "en"
    parts = []
    if project.get("builder"):
        parts.append(f"{'builder' if en else '建设单位'} {project['builder']}")
    if project.get("project_code"):
        parts.append(f"{'project code' if en else '项目代码'} {project['project_code']}")
    if project.get("construction_nature"):
        nature = (CONSTRUCTION_NATURES_EN.get(project["construction_nature"], project["construction_nature"]) if en
                  else project.get("construction_nature_label") or project["construction_nature"])
        parts.append(f"{'construction' if en else '建设性质'} {nature}")
    return ["  " + ("; " if en else "；").join(parts)] if parts else []


def summary_text(result, lang: str = "zh") -> str:
    """A few lines for the terminal: area, units, hits, nearby, verdict (``lang`` "zh" or "en").

    A site outside the store's data says so on the first line; a wholly outside
    one gets no unit, zone or verdict lines (there is nothing to judge them on).
    """
    en = lang == "en"
    p = result.project
    coverage = getattr(result, "coverage", None) or {}
    headline = coverage_headline(coverage, lang)
    lines = [f"{'NOTE' if en else '注意'}: {headline}"] if headline else []
    lines.append(
        (f"{'Project' if en else '项目'} {p.get('name') or p.get('source')}: {p['area_m2'] / 1e4:.2f} ha "
         f"({'ellipsoidal' if en else '椭球面'}), {p['area_gk_m2'] / 1e4:.2f} ha ({p['gk_crs']} {'GK plane' if en else '高斯平面'})"),
    )
    lines += project_form_lines(p, lang)
    if coverage.get("status") == "outside":
        lines.append(f"  {'Verdict' if en else '结论'}: {'outside the data, not judged' if en else '数据范围外，不作判定'}")
        lines += [f"  {'warning' if en else '警告'}: {w}" for w in result.warnings]
        return "\n".join(lines)
    cat = result.by_category
    names = ("priority", "key", "general", "outside") if en else ("优先保护", "重点管控", "一般管控", "范围外")
    lines.append(
        f"  {names[0]} {cat['priority'] / 1e4:.2f} ha | {names[1]} {cat['key'] / 1e4:.2f} ha | "
        f"{names[2]} {cat['general'] / 1e4:.2f} ha | {names[3]} {p['outside_coverage_m2'] / 1e4:.2f} ha"
    )
    for u in _table_rows(result.unit_rows):
        label = u["category"] if en else u["category_label"]
        lines.append(f"  {u['code']} {u['name']} ({label}): {u['overlap_m2'] / 1e4:.2f} ha, {u['share_of_project']:.1%}")
    planning = _planning_in_store(result)
    for h in _table_rows(result.hit_rows):
        if h["kind"] in PLANNING_KINDS:  # the three-lines line below says it once
            continue
        kind = h["kind"].replace("_", " ") if en else KIND_LABELS_ZH[h["kind"]]
        lines.append(f"  {'occupies' if en else '占用'} {kind} {h['name']} {h['zone'] if en else h['zone_label']}: {h['overlap_m2'] / 1e4:.2f} ha")
    for n in _table_rows(result.nearby_rows):
        if n["kind"] in PLANNING_KINDS:
            continue
        kind = n["kind"].replace("_", " ") if en else KIND_LABELS_ZH[n["kind"]]
        where = f"{n['distance_m'] / 1000:.1f} km {n['azimuth_deg']:.0f}°" if en else n["position"]
        lines.append(f"  {'nearby' if en else '周边'} {kind} {n['name']} {n['zone'] if en else n['zone_label']}: {where}")
    for r in getattr(result, "element_rows", None) or []:
        kind = r["kind"].replace("_", " ") if en else KIND_LABELS_ZH[r["kind"]]
        lines.append(f"  {'in' if en else '位于'} {kind} {r['name']} {r['zone'] if en else r['zone_label']}: "
                     f"{r['overlap_m2'] / 1e4:.2f} ha, {r['share_of_project']:.1%}")
    if planning:
        lines.append(three_lines_line(three_lines_of(result), lang))
    lines += raster_lines(getattr(result, "rasters", []), lang)
    lines += verdict_lines(result.verdict, getattr(result, "crossings", []), lang)
    lines += [f"  {'warning' if en else '警告'}: {w}" for w in result.warnings]
    return "\n".join(lines)


def _table_rows(rows: list[dict]) -> list[dict]:
    """A result's rows as its frames hold them (a missing cell is NaN), without building the frames."""
    return [_NanDict(r) for r in rows]


class _NanDict(dict):
    def __missing__(self, key):
        return math.nan


def _planning_in_store(result) -> list[str]:
    layers = (getattr(result, "store", None) or {}).get("layers") or {}
    return [k for k in PLANNING_KINDS if k in layers]


def three_lines_line(lines: list[dict], lang: str = "zh") -> str:
    """The three control lines in one terminal line (``三区三线: 生态保护红线 不涉及（最近 西侧 3.8 km）；…``).

    Examples
    --------
    >>> three_lines_line([{"line": "basic_farmland", "label": "永久基本农田", "status": "partial", "occupied_m2": 12345.0,
    ...                    "share": 0.25, "features": [{}, {}], "nearest": None}])
    '  三区三线: 永久基本农田 占用 1.23 ha（25.0%，2 个图斑）'
    """
    en = lang == "en"
    parts = []
    for ln in lines:
        label = ln["line"].replace("_", " ") if en else ln["label"]
        status = ln["status"]
        if status == "no_layer":
            parts.append(f"{label} {'not in the store' if en else '图层未载入'}")
        elif status == "outside":
            near = ln.get("nearest")
            where = (f" ({near['distance_m'] / 1000:.1f} km {near['azimuth_deg']:.0f}°)" if en else f"（最近 {near['position']}）") \
                if near else ""
            word = ("outside" if en else "位于其外") if ln["line"] == "urban_boundary" else ("outside" if en else "不涉及")
            parts.append(f"{label} {word}{where}")
        elif ln["line"] == "urban_boundary":
            word = ("inside" if en else "位于其内") if status == "inside" else ("partly inside" if en else "部分位于其内")
            parts.append(f"{label} {word} {ln['occupied_m2'] / 1e4:.2f} ha ({ln['share']:.1%})" if en
                         else f"{label} {word} {ln['occupied_m2'] / 1e4:.2f} ha（{ln['share']:.1%}）")
        else:
            n = len(ln.get("features") or [])
            extra = (f", {n} patches" if en else f"，{n} 个图斑") if ln["line"] == "basic_farmland" else ""
            parts.append(f"{label} {'occupies' if en else '占用'} {ln['occupied_m2'] / 1e4:.2f} ha"
                         + (f" ({ln['share']:.1%}{extra})" if en else f"（{ln['share']:.1%}{extra}）"))
    return ("  three control lines: " if en else "  三区三线: ") + ("; " if en else "；").join(parts)


def raster_lines(rasters: list, lang: str = "zh") -> list[str]:
    """Terminal lines of the raster statistics: class areas or min/mean/max per raster."""
    en = lang == "en"
    lines = []
    for r in rasters:
        if r["kind"] == "classified":
            parts = [f"{c['label'] or c['value']} {c['area_m2'] / 1e4:.2f} ha ({c['share']:.1%})" for c in r["classes"]]
            lines.append(f"  {'raster' if en else '栅格'} {r['name']}: " + ("; ".join(parts) or ("no data" if en else "无数据")))
        else:
            s = r["stats"] or {}
            text = ("no data" if en else "无数据") if s.get("mean") is None else \
                f"min {s['min']:.6g} / mean {s['mean']:.6g} / max {s['max']:.6g}"
            lines.append(f"  {'raster' if en else '栅格'} {r['name']}: {text}")
    return lines


def _short(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def follow_up_text(finding: dict, lang: str = "zh") -> str:
    """What follows from a finding (its rule data's ``follow_up``), as one phrase; "" when it has none.

    ``follow_up`` may be text, a dict (``text`` or ``text_en``, optional
    ``citation``, ``basis``) or a list of them; nothing is invented here.

    Examples
    --------
    >>> follow_up_text({"follow_up": {"text": "编制穿越生态保护红线专章", "citation": "自然资发〔2022〕142号"}})
    '编制穿越生态保护红线专章（自然资发〔2022〕142号）'
    >>> follow_up_text({"follow_up": ["建议调整选址"]}), follow_up_text({})
    ('建议调整选址', '')
    """
    value = finding.get("follow_up") if hasattr(finding, "get") else None
    items = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in items:
        if not item:
            continue
        if isinstance(item, dict):
            text = (item.get("text_en") if lang == "en" else None) or item.get("text") or item.get("label") or ""
            where = item.get("citation") or ""
            if not where and item.get("basis") == "practice":
                where = "practice" if lang == "en" else "行业惯例"
            if text:
                out.append(f"{text} ({where})" if where and lang == "en" else f"{text}（{where}）" if where else str(text))
        else:
            out.append(str(item))
    return ("; " if lang == "en" else "；").join(dict.fromkeys(out))


def industry_line(ind: dict, lang: str = "zh") -> list[str]:
    """The project type taken and, when the words matched several catalogue items, the others in one line."""
    from .rules.industry import catalogue_label

    en = lang == "en"
    lines = [f"  {'Industry' if en else '行业'}: {ind['name']} ({ind['code']}, "
             f"{catalogue_label(ind, lang) or (ind['scheme'] if en else ind['scheme_label'])}; "
             f"{ind['matched_by']} <- {ind['query']!r})"]
    others = [c for c in ind.get("candidates") or [] if not c.get("chosen")]
    if others:
        listed = ", ".join(c["code"] for c in others) if en else "、".join(c["code"] for c in others)
        lines.append(f"  ({ind['query']!r} also matches {listed}: give the code with --industry to choose)" if en
                     else f"  （「{ind['query']}」还可对应 {listed}：如非所指，请用 --industry 给出编码）")
    return lines


def verdict_lines(verdict: dict, crossings: list | None = None, lang: str = "zh", max_deciding: int = 8) -> list[str]:
    """The verdict, its deciding clauses by group and any crossings as summary lines.

    The deciding findings are listed under their group
    (:func:`gisplan.finding_groups.group_findings`: statutory zones and the
    access list's four dimensions), each group with its counts per decision; a
    prohibited or restricted finding is followed by what its rule data says
    follows from it (``follow_up``). A citation whose quoted words were not
    checked against the original text (``verified`` false) is marked
    ``（条文待核）`` / ``(citation unverified)``.
    """
    from .finding_groups import decision_counts_text, group_findings
    from .labels import unverified_mark
    from .verdict import DECISION_LABELS, kind_label

    en = lang == "en"
    labels = DECISION_LABELS["en" if en else "zh"]
    overall = verdict.get("overall", "")
    lines = [f"  {'Verdict' if en else '结论'}: {labels.get(overall, overall)} [{overall}]"]
    ind = verdict.get("industry")
    if ind:
        lines += industry_line(ind, lang)
    elif overall:
        lines.append("  Industry: not given (area-based findings, decision review)" if en
                     else "  行业: 未指定（按占地给出需人工核对的结论，可用 --industry 指定项目类别）")
    findings = list(verdict.get("findings", []))
    deciding_ids = set(verdict.get("deciding", []))
    if overall == "review":  # text clauses: a count and the first few, the JSON has them all
        max_deciding = min(max_deciding, 3)
    shown = 0
    deciding_total = sum(1 for f in findings if f.get("id") in deciding_ids)
    for g in group_findings(findings, lang):
        lines.append(f"  {g['label']}: {decision_counts_text(g['counts'], lang)}")
        for i in g["findings"]:
            f = findings[i]
            if f.get("id") not in deciding_ids or shown >= max_deciding:
                continue
            shown += 1
            rule = f.get("rule_en") if en and f.get("rule_en") else f.get("rule", "")
            cite = f" (…{f['citation'][-50:]})" if len(f.get("citation") or "") > 50 else f" ({f['citation']})" if f.get("citation") else ""
            if cite and f.get("verified") is False:
                cite += unverified_mark(lang)
            lines.append(f"   - [{f['decision']}] {kind_label(f['kind'], lang)} {f['name']}: {_short(rule)}{cite}")
            follow = follow_up_text(f, lang) if f.get("decision") in ("prohibited", "restricted") else ""
            if follow:
                lines.append(f"     {'next' if en else '后续'}: {follow}")
    if verdict.get("national_major") is None and any(f.get("reason") == "national_major" for f in findings
                                                       if f.get("id") in deciding_ids):
        lines.append("   (national major project? say --national-major yes|no)" if en
                     else "   （是否国家重大项目？请用 --national-major yes|no 说明）")
    if deciding_total > shown:
        lines.append(f"   ... {deciding_total - shown} {'more deciding findings in the JSON report' if en else '条判定依据见 JSON 报告'}")
    counts = verdict.get("counts")
    if counts:  # not_applicable counted apart: what did not apply is not what complies
        lines.append("  " + ("findings" if en else "全部条款") + ": " + " | ".join(
            f"{labels.get(d, d)} {counts[d]}" for d in counts))
    for c in crossings or []:
        e, x = c["entry"], c["exit"]
        area = "" if c.get("area_m2") is None else f", {'area' if en else '占地'} {c['area_m2'] / 1e4:.4f} ha"
        lines.append(
            f"  {'crosses' if en else '穿越'} {c['zone'] if en else c['zone_label']} {c['name']}: "
            f"{'in' if en else '入'} {e['lon']:.6f},{e['lat']:.6f} (X {e['x_northing']:.2f}, Y {e['y_easting']:.2f}) "
            f"{'out' if en else '出'} {x['lon']:.6f},{x['lat']:.6f} (X {x['x_northing']:.2f}, Y {x['y_easting']:.2f}) {c['gk_crs']}, "
            f"{'length' if en else '长度'} {c['length_m']:.1f} m{area}"
        )
    return lines
