"""Atomic writers for the check and diff outputs (temporary file in the target folder + ``os.replace``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError

__all__ = ["atomic_path", "write_text_atomic", "check_suffix", "write_xlsx_sheets"]


def check_suffix(path: str | os.PathLike, suffix: str, option: str) -> Path:
    """``path`` as a Path, or InputError when it does not end in ``suffix``."""
    p = Path(path)
    if p.suffix.lower() != suffix:
        raise InputError(f"{option} must end in {suffix}, got {p.name!r}")
    return p


class atomic_path:
    """Context manager yielding a temporary path beside ``path`` (same suffix) that replaces it on success."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def __enter__(self) -> Path:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=".tmp" + self.path.suffix, dir=self.path.parent)
        os.close(fd)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
        self.tmp = Path(tmp)
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            os.replace(self.tmp, self.path)
        elif self.tmp.exists():
            self.tmp.unlink()
        return False


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_xlsx_sheets(path: str | os.PathLike, sheets: list[tuple[str, list[str], list[list]]]) -> Path:
    """Write sheets ``(title, header, rows)`` to ``path`` (``.xlsx``) atomically; numbers stay numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    from ..render.xlsx_report import sheet_name

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
            ws.append([v if isinstance(v, (int, float)) or v is None else str(v) for v in row])
        for col, name in zip(ws.columns, header):
            width = max([len(str(name))] + [len(str(c.value or "")) for c in col[1:200]])
            ws.column_dimensions[col[0].column_letter].width = min(max(width * 1.6, 8), 60)
        ws.freeze_panes = "A2"
    wb.properties.creator = "gisplan"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
