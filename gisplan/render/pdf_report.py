"""PDF report: the DOCX's content (the same blocks, :mod:`gisplan.render.report_content`) laid out with fpdf2.

Why fpdf2: it is pure Python (its dependencies, fontTools and Pillow, come with
matplotlib already), embeds and subsets OpenType CJK fonts with CFF outlines
such as Noto Sans CJK (Debian ``fonts-noto-cjk``), and draws tables with
repeated headings, merged cells and character wrapping for Chinese. ReportLab
cannot embed CFF-outline OpenType fonts (its CID fonts for Chinese are not
embedded at all), and converting the DOCX with LibreOffice would make an office
suite a runtime dependency of the pip install.

The CJK font is embedded as a subset (only the characters used), so every PDF
reader shows the Chinese text, and text stays selectable and searchable. The
map is the same PNG as the DOCX's figure: a caller that writes both draws it
once (``figure_png``).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

from ..errors import InputError
from ..io.outputs import atomic_output, check_output_path, store_of, xml_safe
from .eia_tables import Table, footer_lines
from .labels import labels
from .report_content import report_blocks, report_title

__all__ = ["pdf_report", "write_pdf"]

_FAMILY = "cjk"
_PAGE_W, _MARGIN_LR, _MARGIN_TOP, _MARGIN_BOTTOM = 210.0, 25.0, 25.0, 22.0
_TEXT_W = _PAGE_W - 2 * _MARGIN_LR
_BODY_PT, _TABLE_PT, _TITLE_PT, _HEADING_PT = 10.5, 8.5, 15.0, 12.0
_ALERT_RGB = (192, 0, 0)
_CELL_PAD = 1.0  # mm, left and right of a table cell's text
_HEADER_FILL = (217, 217, 217)
_SECTION_FILL = (242, 242, 242)


def _clean(text) -> str:
    return xml_safe(str(text)) if text is not None else ""


#: Runs kept on one line (codes, numbers with their decimals, EPSG:4552, file names); any other character
#: (a Chinese character, a bracket) is a place a line may break.
_UNBREAKABLE = re.compile(r"[A-Za-z0-9_.:/%°²+\-]+|\s+|.", re.S)
#: Punctuation that never starts a line (禁则): it stays at the end of the line before.
_NO_LINE_START = set("。，、；：？！）》」』”’】〕…%·")


def wrap_lines(text: str, width: float, measure) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` the way Chinese is set: between any two characters,
    never inside a run of Latin letters and digits (a code, a number, ``EPSG:4552``), and never before
    closing punctuation. ``measure(s)`` gives the width of a string; explicit line breaks are kept.

    Examples
    --------
    >>> wrap_lines("单元 ZH22240610007、ZH22240620001。", 15, len)
    ['单元 ', 'ZH22240610007、', 'ZH22240620001。']
    """
    out: list[str] = []
    sizes: dict[str, float] = {}
    width -= measure("，")  # room for the closing punctuation kept at a line's end
    for paragraph in str(text).split("\n"):
        line, used = "", 0.0
        for token in _UNBREAKABLE.findall(paragraph):
            size = sizes.get(token)
            if size is None:
                size = sizes[token] = measure(token)
            if line and used + size > width and token not in _NO_LINE_START and not token.isspace():
                out.append(line)
                line, used = token, size
            else:
                line, used = line + token, used + size
        out.append(line)
    return out


def _new_pdf(result, lang: str):
    from fpdf import FPDF

    from .fonts import pdf_faces

    lines = [_clean(line) for line in footer_lines(result, lang)]

    class ReportPDF(FPDF):
        def footer(self):  # noqa: D102 - fpdf2 hook: the report footer on every page
            self.set_y(-_MARGIN_BOTTOM + 4)
            self.set_font(_FAMILY, size=6.5)
            self.set_text_color(80, 80, 80)
            width = self.w - self.l_margin - self.r_margin - 2 * self.c_margin - 0.5
            for line in lines:
                self.multi_cell(0, 3.0, "\n".join(wrap_lines(line, width, self.get_string_width)), wrapmode="CHAR",
                                new_x="LMARGIN", new_y="NEXT")
            self.set_font(_FAMILY, size=8)
            self.cell(0, 4, str(self.page_no()), align="C")
            self.set_text_color(0, 0, 0)

    pdf = ReportPDF(orientation="P", unit="mm", format="A4")
    regular, bold = pdf_faces()
    pdf.add_font(_FAMILY, "", str(regular.path), collection_font_number=regular.index)
    pdf.add_font(_FAMILY, "B", str(bold.path), collection_font_number=bold.index)
    for font in pdf.fonts.values():  # the subset keeps the whole font's bounding box: no outline is run to recompute it
        if getattr(font, "ttfont", None) is not None:
            font.ttfont.recalcBBoxes = False
    pdf.set_margins(_MARGIN_LR, _MARGIN_TOP, _MARGIN_LR)
    pdf.set_auto_page_break(True, margin=_MARGIN_BOTTOM + 6)
    pdf.set_title(_clean(report_title(result, lang)))
    pdf.set_author("gisplan")
    pdf.set_creator("gisplan")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.add_page()
    return pdf


def _text(pdf, text: str, *, size: float = _BODY_PT, bold: bool = False, color=None, height: float | None = None,
          align: str = "L") -> None:
    pdf.set_font(_FAMILY, "B" if bold else "", size)
    if color:
        pdf.set_text_color(*color)
    width = pdf.w - pdf.l_margin - pdf.r_margin - 2 * pdf.c_margin - 0.5
    lines = wrap_lines(_clean(text), width, pdf.get_string_width)
    pdf.multi_cell(0, height or size * 0.55, "\n".join(lines), wrapmode="CHAR", align=align, new_x="LMARGIN",
                   new_y="NEXT")
    if color:
        pdf.set_text_color(0, 0, 0)


def _keep_room(pdf, mm: float) -> None:
    """Start a new page when less than ``mm`` is left (a heading never ends a page)."""
    if pdf.get_y() + mm > pdf.page_break_trigger:
        pdf.add_page()


def _widths(table: Table) -> list[float]:
    from .docx_report import _WIDTHS

    widths = _WIDTHS.get(table.key) or [1.0] * len(table.columns)
    total = sum(widths)
    return [w / total * _TEXT_W for w in widths]


def _table(pdf, table: Table, number: int, L: dict) -> None:
    from fpdf.fonts import FontFace

    from .docx_report import _LEFT_COLUMNS

    caption = f"表 {number}  {table.title}" if L["north"] == "北" else f"Table {number}. {table.title}"
    _keep_room(pdf, 24)
    pdf.ln(1.5)
    _text(pdf, caption, size=_BODY_PT, bold=True, align="C")
    pdf.ln(0.5)
    rows = table.text_rows()
    left = _LEFT_COLUMNS.get(table.key, set())
    n_body = len(table.rows)
    pdf.set_font(_FAMILY, "", _TABLE_PT)
    heading = FontFace(emphasis="B", fill_color=_HEADER_FILL)
    section = FontFace(emphasis="B", fill_color=_SECTION_FILL)
    total = FontFace(emphasis="B")
    widths = _widths(table)

    def fit(text: str, width: float, bold: bool = False) -> str:
        pdf.set_font(_FAMILY, "B" if bold else "", _TABLE_PT)
        lines = wrap_lines(_clean(text), width - 2 * _CELL_PAD - 0.6, pdf.get_string_width)
        pdf.set_font(_FAMILY, "", _TABLE_PT)
        return "\n".join(lines)

    with pdf.table(col_widths=widths, width=_TEXT_W, line_height=_TABLE_PT * 0.5, wrapmode="CHAR",
                   text_align="CENTER", headings_style=heading, repeat_headings=1, padding=(0.8, _CELL_PAD),
                   v_align="MIDDLE") as t:
        head = t.row()
        for j, name in enumerate(table.columns):
            head.cell(fit(name, widths[j], bold=True), align="C")
        ncols = len(table.columns)
        for i, row in enumerate(rows):
            if i in table.sections:
                t.row().cell(fit(table.sections[i], _TEXT_W, bold=True), colspan=ncols, align="L", style=section)
            r = t.row()
            for j, text in enumerate(row):
                r.cell(fit(text, widths[j], bold=i >= n_body), align="L" if j in left else "C",
                       style=total if i >= n_body else None)
        for i in sorted(k for k in table.sections if k >= len(rows)):
            t.row().cell(fit(table.sections[i], _TEXT_W, bold=True), colspan=ncols, align="L", style=section)
    if table.note:
        pdf.ln(0.5)
        _text(pdf, table.note, size=_TABLE_PT, height=_TABLE_PT * 0.5)
    pdf.ln(2)


def _figure(pdf, png: bytes, caption: str, number: int, L: dict) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        w_px, h_px = im.size
    height = _TEXT_W * h_px / w_px
    _keep_room(pdf, height + 10)
    pdf.image(io.BytesIO(png), x=_MARGIN_LR, w=_TEXT_W, h=height)
    pdf.ln(1)
    _text(pdf, f"图 {number}  {caption}" if L["north"] == "北" else f"Figure {number}. {caption}", bold=True, align="C")
    pdf.ln(2)


def pdf_report(result, *, lang: str = "zh", figure_png: bytes | None = None, raster: str | None = None) -> bytes:
    """The PDF report of a screening result, as bytes.

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}
    figure_png : bytes, optional
        The map as PNG (as the DOCX embeds it); drawn when not given.
    raster : str, optional
        A raster of the store under the zoning of the map drawn here (ignored with ``figure_png``).

    Returns
    -------
    bytes
    """
    L = labels(lang)
    blocks = report_blocks(result, lang)
    if figure_png is None and any(b.kind == "figure" for b in blocks):
        from .static_map import static_map_png

        figure_png = static_map_png(result, lang=lang, raster=raster)
    pdf = _new_pdf(result, lang)
    tables = figures = 0
    for block in blocks:
        if block.kind == "title":
            _text(pdf, block.text, size=_TITLE_PT, bold=True, height=8, align="L")
            pdf.ln(2)
        elif block.kind == "heading":
            _keep_room(pdf, 30)
            pdf.ln(3)
            _text(pdf, block.text, size=_HEADING_PT, bold=True, height=7, align="L")
            pdf.ln(1)
        elif block.kind == "alert":
            _text(pdf, block.text, size=12, bold=True, color=_ALERT_RGB, height=6.5, align="L")
            pdf.ln(1.5)
        elif block.kind == "verdict":
            _text(pdf, block.lead + block.text, bold=True, height=6)
            pdf.ln(1)
        elif block.kind == "table":
            tables += 1
            _table(pdf, block.table, tables, L)
        elif block.kind == "figure":
            figures += 1
            _figure(pdf, figure_png, block.text, figures, L)
        else:
            _text(pdf, block.text, height=6)
            pdf.ln(1)
    return bytes(pdf.output())


def write_pdf(result, path: str | os.PathLike, *, lang: str = "zh", figure_png: bytes | None = None,
              raster: str | None = None) -> Path:
    """Write :func:`pdf_report` to ``path`` (``.pdf``), atomically.

    Raises
    ------
    InputError
        When ``path`` does not end in ``.pdf``.
    CJKFontError
        When no CJK font is installed.
    """
    path = Path(path)
    if path.suffix.lower() != ".pdf":
        raise InputError(f"`pdf` must end in .pdf, got {path.name!r}")
    check_output_path(path, protect_also=store_of(result))  # refuse before rendering
    data = pdf_report(result, lang=lang, figure_png=figure_png, raster=raster)
    with atomic_output(path, protect_also=store_of(result)) as tmp:
        Path(tmp).write_bytes(data)
    return path
