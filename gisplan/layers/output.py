"""Atomic writers for the check and diff outputs: :func:`gisplan.io.outputs.atomic_output`
(unique temporary file in the target folder + ``os.replace``, inputs never written over,
symlinks written through, FIFOs and devices refused), XLSX cells safe from formula injection."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from ..io.outputs import atomic_output, xml_safe

__all__ = ["atomic_path", "write_text_atomic", "check_suffix", "write_xlsx_sheets"]


def check_suffix(path: str | os.PathLike, suffix: str, option: str) -> Path:
    """``path`` as a Path, or InputError when it does not end in ``suffix``."""
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise InputError(f"{option} must end in {suffix}, got {p.name!r}")
    return p


def atomic_path(path: str | os.PathLike):
    """Context manager yielding a temporary path beside ``path`` that replaces it on success
    (:func:`gisplan.io.outputs.atomic_output`)."""
    return atomic_output(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_xlsx_sheets(path: str | os.PathLike, sheets: list[tuple[str, list[str], list[list]]]) -> Path:
    """Write sheets ``(title, header, rows)`` to ``path`` (``.xlsx``) atomically; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from ..render.xlsx_report import defuse_sheet, sheet_name

    path = check_suffix(path, ".xlsx", "--xlsx")
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(sheet_name(title))
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="D9D9D9")
        for row in rows:
            ws.append([v if isinstance(v, (int, float)) or v is None else xml_safe(str(v)) for v in row])
        for col, name in zip(ws.columns, header):
            width = max([len(str(name))] + [len(str(c.value or "")) for c in col[1:200]])
            ws.column_dimensions[col[0].column_letter].width = min(max(width * 1.6, 8), 60)
        ws.freeze_panes = "A2"
        defuse_sheet(ws)
    wb.properties.creator = "gisplan"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
