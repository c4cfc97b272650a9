"""Rows of CSV and XLSX tables, read safely: one reader for corner-point tables and access lists.

Checks before parsing: a local regular file (no URLs, GDAL virtual paths),
at most :data:`MAX_TABLE_BYTES`; XLSX members checked for zip bombs and odd
paths before openpyxl opens the workbook, macros never run (cell values only);
at most :data:`MAX_TABLE_ROWS` rows; CSV text UTF-8 (with or without BOM),
else GB18030, or the encoding given.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import zipfile
from pathlib import Path

from ..errors import InputError
from .safety import check_local_path, check_zip_members, one_line

__all__ = ["MAX_TABLE_BYTES", "MAX_TABLE_ROWS", "checked_table_path", "csv_rows", "xlsx_sheets"]

#: Largest table file accepted (bytes).
MAX_TABLE_BYTES = 50 * 1024**2
#: Most rows read from a table.
MAX_TABLE_ROWS = 200_000


def checked_table_path(path) -> tuple[str, Path]:
    """The path as shown in messages and the checked local file (size limit included)."""
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    local = check_local_path(path)
    if local.stat().st_size > MAX_TABLE_BYTES:
        raise InputError(f"{display} is larger than {MAX_TABLE_BYTES // 1024**2} MiB; refused")
    return display, local


def csv_rows(path: Path, display: str, encoding: str | None, notes: list[str]) -> tuple[list[list], str]:
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise InputError(f"{display} is not a text table (binary content; UTF-16 is not supported)")
    if encoding:
        try:
            codecs.lookup(encoding)
            text = raw.decode(encoding)
        except LookupError as exc:
            raise InputError(f"unknown text encoding {encoding!r} (try gbk, gb18030 or utf-8)") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"cannot decode {display} as {encoding}; pass another `encoding`") from exc
        used = encoding
    elif raw.startswith(codecs.BOM_UTF8):
        text, used = raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    else:
        try:
            text, used = raw.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            try:
                text, used = raw.decode("gb18030"), "GB18030"
                notes.append("CSV text is not UTF-8: decoded as GB18030 (GBK); pass --encoding to override")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"cannot decode {display} as UTF-8 or GB18030; pass `encoding`"
                ) from exc
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|，")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    if delimiter == "，":
        text = text.replace("，", ",")
        delimiter = ","
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for i, row in enumerate(reader):
            if i >= MAX_TABLE_ROWS:
                raise InputError(f"{display} has more than {MAX_TABLE_ROWS} rows; refused")
            rows.append(row)
    except csv.Error as exc:
        raise InputError(f"{display} is not a readable CSV table: {one_line(exc)}") from exc
    return rows, used


def xlsx_sheets(path: Path, display: str, notes: list[str], *, expand_merged: bool = False) -> dict[str, list[list]]:
    try:
        with zipfile.ZipFile(path) as zf:
            check_zip_members(zf)  # zip bombs, odd members: before openpyxl sees it
            names = {n.lower() for n in zf.namelist()}
    except zipfile.BadZipFile as exc:
        raise InputError(f"{display} is not an XLSX workbook (not a zip archive); .xls is not supported: save as .xlsx or .csv") from exc
    if any(n.endswith("vbaproject.bin") for n in names):
        notes.append(f"{Path(display).name} contains macros: ignored (never run); only cell values were read")
    import openpyxl

    try:
        # merged cells are known only to a full (not read-only) workbook
        wb = openpyxl.load_workbook(path, read_only=not expand_merged, data_only=True, keep_vba=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds
        raise InputError(f"cannot read {display} as an XLSX workbook: {one_line(exc)}") from exc
    out: dict[str, list[list]] = {}
    try:
        for ws in wb.worksheets:
            rows = []
            try:  # read-only sheets are parsed here, row by row: a damaged sheet fails here, not at load
                for i, row in enumerate(ws.iter_rows(values_only=True)):
                    if i >= MAX_TABLE_ROWS:
                        raise InputError(f"{display} sheet {ws.title!r} has more than {MAX_TABLE_ROWS} rows; refused")
                    rows.append(list(row))
                if expand_merged:
                    _expand_merged(ws, rows)
            except InputError:
                raise
            except Exception as exc:  # ParseError (broken XML), ValueError (a cell that is not its type) ...
                what = "broken XML: " if type(exc).__name__ == "ParseError" else "a cell does not hold its type: "
                raise InputError(f"cannot read {display} as an XLSX workbook: sheet {ws.title!r} is damaged "
                                 f"({what}{one_line(exc)})") from exc
            out[ws.title] = rows
    finally:
        if hasattr(wb, "close"):
            wb.close()
    return out


def _expand_merged(ws, rows: list[list]) -> None:
    """Give every cell of a merged range the value of its top-left cell (bureaus merge a unit code over its rows)."""
    for rng in ws.merged_cells.ranges:
        top = ws.cell(rng.min_row, rng.min_col).value
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                if r - 1 < len(rows) and c - 1 < len(rows[r - 1]):
                    rows[r - 1][c - 1] = top
