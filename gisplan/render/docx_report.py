"""DOCX report: the "与三线一单符合性分析" section of an EIA report (python-docx).

Tables follow the layouts EIA reports use (see :mod:`gisplan.render.eia_tables`);
East Asian text is set in 宋体 (headings 黑体) through ``w:eastAsia`` in every run,
with SimSun / Noto CJK named as alternatives in the font table, so Word and
LibreOffice both find a CJK font. Nothing here reads the store.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from ..errors import InputError
from ..io.outputs import atomic_output, check_output_path, store_of, xml_safe
from .eia_tables import Table, footer_lines
from .fonts import DOCX_EAST_ASIA_FALLBACKS, DOCX_EAST_ASIA_FONT
from .labels import labels
from .report_content import report_blocks, report_title

__all__ = ["HEADING_EAST_ASIA_FONT", "LATIN_FONT", "ALERT_RGB", "docx_report", "write_docx"]

LATIN_FONT = "Times New Roman"
HEADING_EAST_ASIA_FONT = "黑体"
_HEADING_FALLBACKS = ("SimHei", "Noto Sans CJK SC")
BODY_PT = 10.5  # 五号
#: The red of the line at the top of a report on a site outside the store's data.
ALERT_RGB = RGBColor(0xC0, 0x00, 0x00)
TABLE_PT = 9.0  # 小五
_TEXT_WIDTH_CM = 16.0
#: Column widths (cm) per table; text-heavy columns are left-aligned.
_WIDTHS = {
    "summary": [4.2, 11.8],
    "units": [3.0, 4.4, 2.2, 1.6, 1.6, 1.6, 1.6],
    "compliance": [2.8, 10.2, 3.0],
    "position": [3.6, 2.4, 2.0, 1.8, 1.2, 1.8, 3.2],
    "hits": [3.0, 4.8, 2.2, 2.0, 2.0, 2.0],
    "clauses": [6.4, 6.4, 3.2],
    "sources": [4.2, 11.8],
    "groups": [4.6, 2.3, 2.3, 2.3, 1.9, 2.6],
    "element_zones": [2.6, 3.2, 3.4, 2.4, 2.4, 2.0],
    "crossings": [0.8, 2.6, 1.2, 2.2, 2.2, 2.0, 1.8, 1.6, 1.6],
    "three_lines": [2.3, 3.8, 2.0, 1.7, 3.2, 1.3, 1.7],
}
_LEFT_COLUMNS = {"summary": {1}, "compliance": {1}, "clauses": {0, 1}, "sources": {1}, "units": {1}, "position": {0}, "hits": {1},
                 "groups": {0}, "crossings": {1}, "three_lines": {1, 4}}


def _set_fonts(rpr_owner, east_asia: str = DOCX_EAST_ASIA_FONT, latin: str = LATIN_FONT) -> None:
    """Set ``w:rFonts`` (ascii/hAnsi Latin, eastAsia CJK) on a run, style or rPr element."""
    el = getattr(rpr_owner, "_element", rpr_owner)
    rpr = el.get_or_add_rPr() if hasattr(el, "get_or_add_rPr") else el
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {nsdecls('w')}/>")
        rpr.insert(0, fonts)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:hint"), "eastAsia")


def _font_table(doc) -> None:
    """Name the CJK fonts in the font table, with their alternative names (fallbacks)."""
    from lxml import etree

    part = next(r.target_part for r in doc.part.rels.values() if r.reltype.endswith("/fontTable"))
    root = etree.fromstring(part.blob)
    w = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    present = {f.get(f"{{{w}}}name") for f in root.findall(f"{{{w}}}font")}
    for name, alts, family in ((DOCX_EAST_ASIA_FONT, DOCX_EAST_ASIA_FALLBACKS, "roman"),
                               (HEADING_EAST_ASIA_FONT, _HEADING_FALLBACKS, "modern")):
        if name in present:
            continue
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": ",".join(alts)})
        etree.SubElement(font, f"{{{w}}}charset", {f"{{{w}}}val": "86"})  # GB2312
        etree.SubElement(font, f"{{{w}}}family", {f"{{{w}}}val": family})
        etree.SubElement(font, f"{{{w}}}pitch", {f"{{{w}}}val": "variable"})
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _styles(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_PT)
    _set_fonts(normal.element)
    normal.paragraph_format.space_after = Pt(4)
    normal.paragraph_format.line_spacing = 1.25
    for name, size in (("Heading 1", 15), ("Heading 2", 12), ("Caption", 10.5)):
        style = doc.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        _set_fonts(style.element, HEADING_EAST_ASIA_FONT if name.startswith("Heading") else DOCX_EAST_ASIA_FONT)
        style.paragraph_format.space_before = Pt(10 if name != "Caption" else 6)
        style.paragraph_format.space_after = Pt(6 if name != "Caption" else 3)


def _run(paragraph, text: str, *, bold: bool = False, size: float | None = None, east_asia: str = DOCX_EAST_ASIA_FONT):
    run = paragraph.add_run(xml_safe(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    run.font.name = LATIN_FONT
    _set_fonts(run, east_asia)
    return run


def _para(doc_or_cell, text: str = "", *, style: str | None = None, bold: bool = False, size: float | None = None,
          align=None, east_asia: str = DOCX_EAST_ASIA_FONT):
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        _run(p, text, bold=bold, size=size, east_asia=east_asia)
    if align is not None:
        p.alignment = align
    return p


def _heading(doc, text: str, level: int):
    p = doc.add_paragraph(style=f"Heading {level}")
    _run(p, text, bold=True, east_asia=HEADING_EAST_ASIA_FONT)
    return p


def _shade(cell, fill: str = "D9D9D9") -> None:
    cell._tc.get_or_add_tcPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def _cell_text(cell, text: str, *, bold: bool = False, left: bool = False) -> None:
    p = cell.paragraphs[0]
    p.paragraph_format.space_after = Pt(0)
    p.paragraph_format.line_spacing = 1.0
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT if left else WD_ALIGN_PARAGRAPH.CENTER
    _run(p, text, bold=bold, size=TABLE_PT)


def _set_widths(table, widths_cm: list[float]) -> None:
    """Fixed column widths that both Word (cell widths) and LibreOffice (grid) honour."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_cm):
        col.set(qn("w:w"), str(int(Cm(w).twips)))
    for row in table.rows:
        for j, cell in enumerate(row.cells):
            cell.width = Cm(widths_cm[j])


class _Counter:
    def __init__(self):
        self.table = 0
        self.figure = 0


def _table(doc, table: Table, counter: _Counter, L: dict) -> None:
    counter.table += 1
    cap = _para(doc, f"表 {counter.table}  {table.title}" if L["north"] == "北" else f"Table {counter.table}. {table.title}",
                style="Caption", align=WD_ALIGN_PARAGRAPH.CENTER)
    cap.paragraph_format.keep_with_next = True
    rows = table.text_rows()
    sections = sorted(table.sections.items())
    t = doc.add_table(rows=1 + len(rows) + len(sections), cols=len(table.columns))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _WIDTHS.get(table.key) or [_TEXT_WIDTH_CM / len(table.columns)] * len(table.columns)
    left = _LEFT_COLUMNS.get(table.key, set())
    header = t.rows[0]
    header._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")}/>'))  # repeat on each page
    for j, name in enumerate(table.columns):
        _cell_text(header.cells[j], name, bold=True)
        _shade(header.cells[j])
    n_body = len(table.rows)
    at = 1
    heads = dict(sections)
    section_rows = []
    for i, row in enumerate(rows):
        if i in heads:
            section_rows.append((at, heads.pop(i)))
            at += 1
        cells = t.rows[at].cells
        for j, text in enumerate(row):
            _cell_text(cells[j], text, bold=i >= n_body, left=j in left)
        at += 1
    for _, text in sorted(heads.items()):  # headings after the last row (a group with every finding folded)
        section_rows.append((at, text))
        at += 1
    _set_widths(t, widths)
    for r, text in section_rows:  # full-width group headings: merged, shaded
        cells = t.rows[r].cells
        merged = cells[0].merge(cells[-1])
        _cell_text(merged, text, bold=True, left=True)
        _shade(merged, "F2F2F2")
    if table.note:
        note = _para(doc, table.note, size=TABLE_PT)
        note.paragraph_format.space_after = Pt(2)
    _para(doc, "").paragraph_format.space_after = Pt(2)


def _figure(doc, png: bytes, caption: str, counter: _Counter, L: dict) -> None:
    counter.figure += 1
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.paragraph_format.keep_with_next = True
    p.add_run().add_picture(io.BytesIO(png), width=Cm(_TEXT_WIDTH_CM))
    _para(doc, f"图 {counter.figure}  {caption}" if L["north"] == "北" else f"Figure {counter.figure}. {caption}",
          style="Caption", align=WD_ALIGN_PARAGRAPH.CENTER)


def _footer(doc, result, lang: str) -> None:
    footer = doc.sections[0].footer
    first = footer.paragraphs[0]
    lines = footer_lines(result, lang)
    _run(first, lines[0], size=7)
    for line in lines[1:]:
        p = footer.add_paragraph()
        _run(p, line, size=6.5)
    page = footer.add_paragraph()
    page.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = _run(page, "", size=8)
    for xml in ('<w:fldChar %s w:fldCharType="begin"/>', '<w:instrText %s xml:space="preserve"> PAGE </w:instrText>',
                '<w:fldChar %s w:fldCharType="end"/>'):
        run._r.append(parse_xml(xml % nsdecls("w")))


def docx_report(result, *, lang: str = "zh", figure_png: bytes | None = None):
    """The DOCX report of a screening result (the blocks of :func:`gisplan.render.report_content.report_blocks`).

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}
    figure_png : bytes, optional
        The map as PNG; drawn with :func:`gisplan.render.static_map.static_map_png` when not given.

    Returns
    -------
    docx.document.Document
    """
    L = labels(lang)
    blocks = report_blocks(result, lang)
    if figure_png is None and any(b.kind == "figure" for b in blocks):
        from .static_map import static_map_png

        figure_png = static_map_png(result, lang=lang)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.5)
    section.top_margin, section.bottom_margin = Cm(2.5), Cm(2.2)
    _styles(doc)
    _font_table(doc)
    c = _Counter()
    for block in blocks:
        if block.kind == "title":
            _heading(doc, block.text, 1)
        elif block.kind == "heading":
            _heading(doc, block.text, 2)
        elif block.kind == "alert":
            p = doc.add_paragraph()
            run = _run(p, block.text, bold=True, size=12)
            run.font.color.rgb = ALERT_RGB
        elif block.kind == "verdict":
            p = _para(doc)
            _run(p, block.lead, bold=True)
            _run(p, block.text, bold=True)
        elif block.kind == "table":
            _table(doc, block.table, c, L)
        elif block.kind == "figure":
            _figure(doc, figure_png, block.text, c, L)
        else:
            _para(doc, block.text)
    _footer(doc, result, lang)
    doc.core_properties.title = xml_safe(report_title(result, lang))
    doc.core_properties.author = "gisplan"
    return doc


def write_docx(result, path: str | os.PathLike, *, lang: str = "zh", figure_png: bytes | None = None) -> Path:
    """Write :func:`docx_report` to ``path`` (``.docx``), atomically.

    Raises
    ------
    InputError
        When ``path`` does not end in ``.docx``.
    """
    path = Path(path)
    if path.suffix.lower() != ".docx":
        raise InputError(f"`docx` must end in .docx, got {path.name!r}")
    check_output_path(path, protect_also=store_of(result))  # refuse before rendering
    doc = docx_report(result, lang=lang, figure_png=figure_png)
    with atomic_output(path, protect_also=store_of(result)) as tmp:
        doc.save(str(tmp))
    return path
