"""XLSX workbook of a screening: the DOCX report's tables, one sheet each (openpyxl).

Numbers stay numbers (hectares, shares as percentages, metres) with Excel number
formats matching what the DOCX prints. Nothing here reads the store.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..errors import InputError
from ..io.outputs import atomic_output, check_output_path, defuse_cell, store_of, xml_safe
from .eia_tables import FORMATS, Table, eia_tables, footer_lines

__all__ = ["defuse_sheet", "sheet_name", "write_xlsx", "xlsx_report"]

_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_FONT = "等线"  # Excel's default CJK UI font; Excel substitutes when missing


def sheet_name(title: str) -> str:
    """A valid sheet name from a table title (max 31 characters, no ``[]:*?/\\``)."""
    return re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet"


def _width(values) -> float:
    longest = max((sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(v)) for v in values), default=8)
    return float(min(max(longest + 2, 8), 60))


def _clean(value):
    """Cell text XML can hold (control characters replaced); other values unchanged."""
    return xml_safe(value) if isinstance(value, str) else value


def defuse_sheet(ws) -> None:
    """Text cells that would start a formula are stored as plain text (Excel's quote prefix).

    openpyxl writes a ``str`` starting with ``=`` as a live formula; here such a
    cell (and one starting with ``+ - @``, tab or CR, OWASP) becomes an inline
    string marked ``quotePrefix``, as when a user types a leading apostrophe in
    Excel: shown as typed, never evaluated. Numbers stay numbers.
    """
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and defuse_cell(cell.value) is not cell.value:
                cell.data_type = "s"
                cell.quotePrefix = True


_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")


def _section_row(ws, text: str, ncols: int) -> None:
    """A full-width heading row (a group of findings): merged across the table's columns, bold, shaded."""
    ws.append([_clean(text)])
    r = ws.max_row
    if ncols > 1:
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
    cell = ws.cell(r, 1)
    cell.font = Font(name=_FONT, bold=True)
    cell.fill = _SECTION_FILL
    cell.alignment = Alignment(vertical="top", wrap_text=False)


def _sheet(wb: Workbook, table: Table) -> None:
    ws = wb.create_sheet(sheet_name(table.title))
    ws.append([_clean(c) for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(name=_FONT, bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    rows = table.rows + ([table.total] if table.total else [])
    for i, row in enumerate(rows):
        if i in table.sections:  # a group heading: its own row, across the columns
            _section_row(ws, table.sections[i], len(table.columns))
        ws.append([None if v is None else _clean(v) for v in row])
        for j, cell in enumerate(ws[ws.max_row]):
            fmt = table.formats[j]
            cell.number_format = FORMATS.get(fmt, FORMATS["text"])[1] if isinstance(cell.value, (int, float)) else "@"
            cell.font = Font(name=_FONT, bold=i >= len(table.rows))
            cell.alignment = Alignment(vertical="top", wrap_text=fmt == "text")
    for i in sorted(k for k in table.sections if k >= len(rows)):
        _section_row(ws, table.sections[i], len(table.columns))
    if table.note:
        ws.append([])
        ws.append([_clean(table.note)])
        ws.cell(ws.max_row, 1).alignment = Alignment(vertical="top", wrap_text=False)
    for j, name in enumerate(table.columns, start=1):
        values = [name] + [r[j - 1] for r in rows]
        ws.column_dimensions[get_column_letter(j)].width = _width(values)
    ws.freeze_panes = "A2"
    defuse_sheet(ws)


def xlsx_report(result, *, lang: str = "zh") -> Workbook:
    """The workbook: one sheet per report table, the footer lines at the end of the last.

    Parameters
    ----------
    result : ScreeningResult
    lang : {"zh", "en"}

    Returns
    -------
    openpyxl.Workbook
    """
    wb = Workbook()
    wb.remove(wb.active)
    for table in eia_tables(result, lang):
        _sheet(wb, table)
    ws = wb.worksheets[-1]
    ws.append([])
    for line in footer_lines(result, lang):
        ws.append([_clean(line)])
    defuse_sheet(ws)
    wb.properties.creator = "gisplan"
    return wb


def write_xlsx(result, path: str | os.PathLike, *, lang: str = "zh") -> Path:
    """Write :func:`xlsx_report` to ``path`` (``.xlsx``), atomically.

    Raises
    ------
    InputError
        When ``path`` does not end in ``.xlsx``.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"`xlsx` must end in .xlsx, got {path.name!r}")
    check_output_path(path, protect_also=store_of(result))  # refuse before building
    wb = xlsx_report(result, lang=lang)
    with atomic_output(path, protect_also=store_of(result)) as tmp:
        wb.save(tmp)
    return path
