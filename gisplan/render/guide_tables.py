"""Area totals of siting guidance (选址引导): per county and in all, per verdict (km², share), for one
industry or many; as terminal text, an XLSX workbook (Chinese headers) and JSON.

Nothing here reads the store: the input is the faces :func:`gisplan.engine.guide.guide` returns.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..engine.guide import VERDICT_ORDER
from ..labels import DECISION_LABELS

__all__ = ["guide_totals", "totals_text", "write_totals_xlsx", "write_totals_json", "VERDICT_WORDS", "TOTAL_WORD"]

#: The verdict words of tables and legends (the screening's wording, :mod:`gisplan.labels`).
VERDICT_WORDS = {v: DECISION_LABELS["zh"][v] for v in VERDICT_ORDER}
TOTAL_WORD = "合计"


def guide_totals(frames: dict) -> list[dict]:
    """Per industry, per county and in all: the area (km²) and share of each verdict.

    Parameters
    ----------
    frames : dict
        ``{industry query: faces GeoDataFrame}`` (:func:`gisplan.engine.guide.guide_many`).

    Returns
    -------
    list of dict
        One entry per industry: ``query``, ``industry`` (catalogue entry), ``counties`` (a list of
        ``{county, county_code, area_km2, verdicts: {verdict: {area_km2, share}}}``, by county code)
        and ``total`` (the same for all counties together, ``county`` = 合计).
    """
    out = []
    for query, frame in frames.items():
        keys = sorted({(str(c), str(n)) for c, n in zip(frame["county_code"], frame["county"])})
        counties = []
        for code, name in keys:
            sel = (frame["county_code"] == code) & (frame["county"] == name)
            counties.append(_entry(frame[sel], name, code))
        label = str(frame["industry"].iloc[0]) if len(frame) else ""
        out.append({"query": query, "industry": label, "counties": counties, "total": _entry(frame, TOTAL_WORD, "")})
    return out


def _entry(frame, county: str, code: str) -> dict:
    total = float(frame["area_m2"].sum())
    by = frame.groupby("verdict")["area_m2"].sum().to_dict() if len(frame) else {}
    verdicts = {v: {"area_km2": float(by.get(v, 0.0)) / 1e6, "share": float(by.get(v, 0.0)) / total if total else 0.0}
                for v in VERDICT_ORDER}
    return {"county": county, "county_code": code, "area_km2": total / 1e6, "verdicts": verdicts}


def _cell(entry: dict, verdict: str) -> str:
    v = entry["verdicts"][verdict]
    return f"{v['area_km2']:,.2f} km² ({v['share']:.1%})"


def totals_text(totals: list[dict]) -> list[str]:
    """The terminal lines: per industry, one line per county and the total, every verdict's km² and share."""
    lines = []
    for ind in totals:
        lines.append(f"选址引导：{ind['query']}（{ind['industry']}）")
        for entry in ind["counties"] + [ind["total"]]:
            place = entry["county"] if not entry["county_code"] else f"{entry['county']}（{entry['county_code']}）" \
                if entry["county"] != entry["county_code"] else entry["county"]
            parts = "；".join(f"{VERDICT_WORDS[v]} {_cell(entry, v)}" for v in VERDICT_ORDER)
            lines.append(f"  {place}：面积 {entry['area_km2']:,.2f} km²；{parts}")
    return lines


def write_totals_json(totals: list[dict], path: str | os.PathLike, *, store: str = "", national_major=None,
                      demo: bool = False, protect=()) -> Path:
    """The totals as JSON (UTF-8), written atomically."""
    from ..io.outputs import write_text

    doc = {"kind": "gisplan.guide_totals", "store": store, "national_major": national_major, "demo": demo,
           "verdicts": {v: VERDICT_WORDS[v] for v in VERDICT_ORDER}, "industries": totals}
    return write_text(path, json.dumps(doc, ensure_ascii=False, indent=2) + "\n", protect_also=protect)


def write_totals_xlsx(totals: list[dict], path: str | os.PathLike, *, demo: bool = False, protect=()) -> Path:
    """The totals as an XLSX workbook: one sheet of area by county and verdict per industry, and one matrix
    of area by industry x county x verdict (what a planning bureau asks for). Headers in Chinese."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    from ..io.outputs import atomic_output
    from .xlsx_report import defuse_sheet, sheet_name

    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9D9D9")
    wb = Workbook()
    ws = wb.active
    ws.title = "行业×县×判定面积"
    head = ["行业类别", "环评类别", "县（市、区）", "行政区划代码", "面积（km²）"]
    for v in VERDICT_ORDER:
        head += [f"{VERDICT_WORDS[v]}面积（km²）", f"{VERDICT_WORDS[v]}占比"]
    ws.append(head)
    for ind in totals:
        for entry in ind["counties"] + [ind["total"]]:
            row = [ind["query"], ind["industry"], entry["county"], entry["county_code"], round(entry["area_km2"], 4)]
            for v in VERDICT_ORDER:
                row += [round(entry["verdicts"][v]["area_km2"], 4), entry["verdicts"][v]["share"]]
            ws.append(row)
    _format(ws, head, bold, fill, get_column_letter)
    for ind in totals:
        sh = wb.create_sheet(sheet_name(f"{ind['query']}"))
        sh.append([f"选址引导：{ind['query']}（{ind['industry']}）"])
        sh.append([])
        sub = ["县（市、区）", "行政区划代码", "面积（km²）"] + [f"{VERDICT_WORDS[v]}面积（km²）" for v in VERDICT_ORDER] + \
              [f"{VERDICT_WORDS[v]}占比" for v in VERDICT_ORDER]
        sh.append(sub)
        for entry in ind["counties"] + [ind["total"]]:
            sh.append([entry["county"], entry["county_code"], round(entry["area_km2"], 4)]
                      + [round(entry["verdicts"][v]["area_km2"], 4) for v in VERDICT_ORDER]
                      + [entry["verdicts"][v]["share"] for v in VERDICT_ORDER])
        sh.cell(1, 1).font = bold
        _format(sh, sub, bold, fill, get_column_letter, header_row=3)
    if demo:
        for sh in wb.worksheets:
            sh.append([])
            sh.append(["注：示例数据（合成），非官方。"])
    for sh in wb.worksheets:
        defuse_sheet(sh)
    with atomic_output(path, protect_also=protect) as tmp:
        wb.save(tmp)
    return Path(os.path.realpath(os.fspath(path)))


def _format(ws, head, bold, fill, letter, header_row: int = 1) -> None:
    for j, name in enumerate(head, start=1):
        cell = ws.cell(header_row, j)
        cell.font, cell.fill = bold, fill
        width = sum(2 if ord(ch) > 0x2E80 else 1 for ch in name) + 2
        ws.column_dimensions[letter(j)].width = max(10, min(width, 40))
        for row in ws.iter_rows(min_row=header_row + 1, min_col=j, max_col=j):
            for c in row:
                if name.endswith("占比"):
                    c.number_format = "0.0%"
                elif "km²" in name:
                    c.number_format = "#,##0.00"
    ws.freeze_panes = ws.cell(header_row + 1, 1)


def write_guide_gpkg(frames: dict, path: str | os.PathLike, *, protect=()) -> Path:
    """The faces as a GeoPackage, one layer per industry (named by the query as given), written atomically.

    Columns as :func:`gisplan.engine.guide.guide` returns them; geometry CGCS2000 (EPSG:4490), multipolygons.
    """
    import pyogrio

    from ..errors import InputError
    from ..io.outputs import atomic_output

    if Path(path).suffix.lower() != ".gpkg":
        raise InputError(f"`out` must end in .gpkg, got {Path(path).name!r}")
    taken: set[str] = set()
    with atomic_output(path, create=False, protect_also=protect) as tmp:
        for query, frame in frames.items():
            name = _layer_name(query, taken)
            pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG", promote_to_multi=True, append=bool(taken - {name}))
    return Path(os.path.realpath(os.fspath(path)))


def _layer_name(query: str, taken: set[str]) -> str:
    base = "".join(ch for ch in str(query) if ch.isalnum() or ch in "_-") or "guide"
    name, i = base, 2
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    taken.add(name)
    return name
