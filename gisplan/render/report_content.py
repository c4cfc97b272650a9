"""The content of the report section, once, as blocks: the DOCX and the PDF both draw these.

:func:`report_blocks` decides what the report says and in which order
(headings, paragraphs, the red line at the top when the site is not wholly in
the store's data, the tables of :mod:`gisplan.render.eia_tables`, the figure);
:mod:`gisplan.render.docx_report` and :mod:`gisplan.render.pdf_report` only
lay them out. Nothing here reads the store or draws.

A site wholly outside the store's data gets the project table, the refusal,
the figure and the sources, and no judgement: there is nothing to judge it on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .eia_tables import Table, eia_tables, format_ha, is_demo, marked_citation, project_name, verdict_shape
from .labels import decision_label, labels
from .messages_zh import report_warnings

__all__ = ["Block", "report_blocks", "report_title", "coverage_of_result"]


@dataclass
class Block:
    """One piece of the report.

    Attributes
    ----------
    kind : str
        ``title``, ``heading``, ``paragraph``, ``alert`` (red, bold: the data range), ``verdict``
        (``lead`` bold, then ``text``), ``table`` or ``figure`` (``text`` is the caption).
    text : str
    lead : str
        A bold lead-in (``筛查结论：``).
    table : Table, optional
    """

    kind: str
    text: str = ""
    lead: str = ""
    table: Table | None = None


def coverage_of_result(result) -> dict:
    """The result's ``coverage`` (``{}`` for a result made before it existed)."""
    return dict(getattr(result, "coverage", None) or {})


def report_title(result, lang: str = "zh") -> str:
    """The report's title: the project's name and the section's."""
    L = labels(lang)
    name = project_name(result, lang)
    return f"{name}{L['section']}" if lang == "zh" else f"{name}: {L['section']}"


def _intro(result, L: dict, lang: str) -> str:
    from ..vocab import KIND_LABELS_ZH, PLANNING_KINDS

    layers = (getattr(result, "store", None) or {}).get("layers") or {}
    planning = [k for k in PLANNING_KINDS if k in layers]
    if lang == "zh":
        also = ("，以及" + "、".join(KIND_LABELS_ZH[k] for k in planning)) if planning else ""
        text = (f"本节根据对项目范围与环境管控单元、生态保护红线、自然保护地及饮用水水源保护区{also}的空间叠加分析编制。"
                "面积为 CGCS2000（GRS80 椭球）椭球面面积，并列出项目所在 3 度带高斯-克吕格投影平面面积；距离为椭球面测地线距离。")
    else:
        words = {"basic_farmland": "permanent basic farmland", "urban_boundary": "the urban development boundary"}
        also = (", and " + " and ".join(words[k] for k in planning)) if planning else ""
        text = ("This section reports the overlay of the project site with the environmental control units, the "
                f"ecological protection redline, protected areas and drinking-water source zones{also}. Areas are ellipsoidal "
                "(CGCS2000/GRS80) with planimetric areas in the site's 3-degree Gauss-Kruger zone beside them; distances are geodesic.")
    return text + (" " + L["demo_note"] if is_demo(result) else "")


def _three_lines_sentence(result, lang: str) -> str:
    """One sentence on the three control lines: what the site occupies, and which layers the store lacks."""
    from ..three_lines import three_lines_of

    zh = lang == "zh"
    lines = three_lines_of(result)
    occupied = [f"{ln['label']} {format_ha(ln['occupied_m2'])} ha" for ln in lines
                if ln["status"] in ("inside", "partial") and ln["line"] != "urban_boundary"]
    urban = next(ln for ln in lines if ln["line"] == "urban_boundary")
    missing = [ln["label"] for ln in lines if ln["status"] == "no_layer"]
    if zh:
        text = ("项目占用" + "、".join(occupied) + "。") if occupied else "项目不占用生态保护红线和永久基本农田。"
        if urban["status"] == "inside":
            text += "项目位于城镇开发边界内。"
        elif urban["status"] == "partial":
            text += f"项目部分位于城镇开发边界内，{format_ha(urban['outside_m2'])} ha 位于其外。"
        elif urban["status"] == "outside":
            text += "项目位于城镇开发边界外。"
        if missing:
            text += "图层库未载入" + "、".join(missing) + "图层，其位置关系未作分析，须对照所在地国土空间规划“三区三线”成果核对。"
        return text
    en = {"eco_redline": "redline", "basic_farmland": "permanent basic farmland", "urban_boundary": "urban boundary"}
    took = [f"{en[ln['line']]} {format_ha(ln['occupied_m2'])} ha" for ln in lines
            if ln["status"] in ("inside", "partial") and ln["line"] != "urban_boundary"]
    text = ("The site occupies " + ", ".join(took) + ". ") if took else "The site occupies no redline or basic farmland. "
    text += {"inside": "It lies inside the urban development boundary. ",
             "partial": "It lies partly inside the urban development boundary. ",
             "outside": "It lies outside the urban development boundary. "}.get(urban["status"], "")
    if missing:
        text += "Not in the store (not analysed): " + ", ".join(en[ln["line"]] for ln in lines if ln["status"] == "no_layer") + "."
    return text.strip()


def _category_sentence(result, lang: str) -> str:
    cat = result.by_category
    out = result.project.get("outside_coverage_m2", 0.0)
    if lang == "zh":
        return (f"项目总面积 {format_ha(result.project['area_m2'])} ha，其中优先保护单元 {format_ha(cat['priority'])} ha、"
                f"重点管控单元 {format_ha(cat['key'])} ha、一般管控单元 {format_ha(cat['general'])} ha，"
                f"管控单元范围外 {format_ha(out)} ha。")
    return (f"The site covers {format_ha(result.project['area_m2'])} ha: priority protection {format_ha(cat['priority'])} ha, "
            f"key control {format_ha(cat['key'])} ha, general control {format_ha(cat['general'])} ha, "
            f"outside the units {format_ha(out)} ha.")


def _verdict_block(result, L: dict, lang: str) -> Block:
    from ..finding_groups import group_findings

    verdict = result.verdict or {}
    overall = verdict.get("overall", "")
    text = decision_label(overall, lang)
    if verdict_shape(verdict) == "area":
        text += ("（基于空间叠加；准入清单条款须逐条核实）" if lang == "zh"
                 else " (from the spatial overlay; check the access-list clauses one by one)")
    worst = [g for g in group_findings(verdict.get("findings", []) or [], lang) if g["worst"] == overall]
    if worst and overall in ("prohibited", "restricted"):
        names = ("、" if lang == "zh" else ", ").join(g["label"] for g in worst)
        text += f"（见{names}）" if lang == "zh" else f" (see {names})"
    return Block("verdict", text=text, lead=f"{L['overall']}：" if lang == "zh" else f"{L['overall']}: ")


def _sources_paragraph(result, lang: str) -> str:
    """The citations of the findings shown (prohibited, restricted, review), once each."""
    findings = [f for f in (result.verdict or {}).get("findings", []) or []
                if f.get("citation") and f.get("decision") in ("prohibited", "restricted", "review")]
    citations = list(dict.fromkeys(marked_citation(f, lang) for f in findings))
    if not citations:
        return ""
    return ("依据：" if lang == "zh" else "Sources: ") + ("；" if lang == "zh" else "; ").join(citations)


def report_blocks(result, lang: str = "zh") -> list[Block]:
    """What the report says, in order (see the module docstring).

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}

    Returns
    -------
    list of Block
    """
    from ..report import coverage_headline

    L = labels(lang)
    zh = lang == "zh"
    tables = {t.key: t for t in eia_tables(result, lang)}
    coverage = coverage_of_result(result)
    out: list[Block] = [Block("title", report_title(result, lang))]
    headline = coverage_headline(coverage, lang)
    if headline:
        out.append(Block("alert", headline))
    out.append(Block("paragraph", _intro(result, L, lang)))
    outside = coverage.get("status") == "outside"
    if not outside:
        out.append(_verdict_block(result, L, lang))
    out += [Block("heading", "1  项目概况" if zh else "1  Project site"), Block("table", table=tables["summary"])]
    if outside:
        extent = coverage.get("extent_label") or ""
        out += [
            Block("heading", "2  数据范围" if zh else "2  Data range"),
            Block("paragraph", (f"本系统图层库的数据范围为：{extent}。选址全部位于该范围外，无法依据库内图层判定其与环境管控单元、"
                                "生态保护红线、自然保护地及饮用水水源保护区的关系，本报告不作符合性判定。"
                                "请使用项目所在地发布的“三线一单”成果核对。") if zh else
                  (f"The store covers: {extent}. The site lies wholly outside it: its relation to the control units, "
                   "redline, protected areas and water-source zones cannot be judged from the store, and this report "
                   "gives no verdict. Check it against the zoning published where the site lies.")),
            Block("figure", L["fig_caption"]),
        ]
        n = 3
    else:
        out += [Block("heading", "2  项目与环境管控单元的位置关系" if zh else "2  Environmental control units"),
                Block("paragraph", _category_sentence(result, lang))]
        if tables["units"].rows:
            out.append(Block("table", table=tables["units"]))
        out += [Block("figure", L["fig_caption"]),
                Block("heading", "3  与“三线一单”符合性分析" if zh else "3  Compliance with the three lines and one list"),
                Block("table", table=tables["compliance"]),
                Block("heading", "4  与生态保护红线、自然保护地、饮用水水源保护区的位置关系" if zh
                      else "4  Redline, protected areas and water-source zones")]
        if tables["hits"].rows:
            out.append(Block("table", table=tables["hits"]))
        else:
            out.append(Block("paragraph", "项目不占用生态保护红线、自然保护地及饮用水水源保护区。" if zh
                             else "The site occupies no redline, protected area or water-source zone."))
        if "crossings" in tables:
            out.append(Block("table", table=tables["crossings"]))
        if tables["position"].rows:
            out.append(Block("table", table=tables["position"]))
        else:
            km = (result.params.get("buffer_m") or 0) / 1000
            out.append(Block("paragraph", f"项目周边 {km:g} km 范围内无生态保护红线、自然保护地及饮用水水源保护区。" if zh
                             else f"No redline, protected area or water-source zone lies within {km:g} km of the site."))
        if "element_zones" in tables:
            if tables["element_zones"].rows:
                out.append(Block("table", table=tables["element_zones"]))
            else:
                out.append(Block("paragraph", "项目不在库内任何要素分区（大气、水、土壤、资源利用）范围内。" if zh
                                 else "The site lies in none of the store's element zones (air, water, soil, resource)."))
        if "rasters" in tables:
            out.append(Block("table", table=tables["rasters"]))
        out += [Block("heading", "5  与“三区三线”的位置关系" if zh else "5  The three control lines"),
                Block("paragraph", _three_lines_sentence(result, lang)),
                Block("table", table=tables["three_lines"]),
                Block("heading", "6  与生态环境准入清单及法定保护区管控要求的符合性" if zh
                      else "6  Access list and statutory zones"),
                Block("table", table=tables["groups"]),
                Block("table", table=tables["clauses"])]
        cited = _sources_paragraph(result, lang)
        if cited:
            out.append(Block("paragraph", cited))
        n = 7
    notes = report_warnings(result.warnings, lang)
    if notes:
        out.append(Block("heading", f"{n}  {L['warnings']}"))
        out += [Block("paragraph", f"· {w}") for w in notes]
        n += 1
    out += [Block("heading", f"{n}  {L['t_sources']}"), Block("table", table=tables["sources"])]
    return out
