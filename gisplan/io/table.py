"""Corner-point tables (拐点坐标表) in CSV and XLSX, as EIA documents list site boundaries.

A table has a header row (possibly under a title row) naming a point column
(点号/序号/...), a pair of coordinate columns and optionally a parcel column
(地块/地块号/parcel/ring ...). Coordinate pairs recognised, in this order:

- ``X`` / ``Y`` (surveying convention: **X is the northing, Y the easting**),
- ``N`` / ``E`` (北坐标/东坐标, northing/easting),
- ``经度`` / ``纬度`` (东经/北纬, lon/lat).

Headers name the pair in many ways (``X坐标(m)``, ``纵坐标X``/``横坐标Y``,
``北坐标``/``东坐标``). A table without a header (as pasted from a document)
is read when its rows hold ``X Y`` or ``点号 X Y``: by the surveying convention,
X is the northing, and the reading is said in a warning. Columns may be separated
by commas, semicolons, tabs or (a ``.txt`` or pasted table) spaces.

Values are numbers or text: Gauss-Kruger metres (with or without the zone
prefix in the easting), decimal degrees or DMS (see :func:`gisplan.geo.coords.parse_angle`).
Rings are told apart by the parcel column or by blank rows; each ring is
closed (with a warning when the table did not repeat its first point) and
consecutive duplicate points are dropped (with a warning).

Nothing here decides the CRS: :func:`read_table` returns the rings in
``(easting or longitude, northing or latitude)`` order with the unit found;
:mod:`gisplan.sites` decides the CRS.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..geo.coords import parse_angle, parse_number
from ..errors import InputError, SiteError
from .rows import MAX_TABLE_BYTES, checked_table_path, csv_rows, xlsx_sheets

__all__ = ["TABLE_SUFFIXES", "Ring", "TableData", "read_table", "MAX_TABLE_BYTES", "GK_NORTHING_RANGE", "gk_range_problem",
           "split_blank_separated"]

#: Suffixes read as corner-point tables (``.txt``: a table pasted as text, tab- or space-separated).
TABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

#: Northings (m) of China in a Gauss-Kruger (or UTM) plane, false northing 0: from
#: about 3.5 N (Zengmu Reef, 387 km) to 53.6 N (Mohe, 5,943 km off the central meridian), with margin.
GK_NORTHING_RANGE = (300_000.0, 6_100_000.0)
#: Eastings (m, zone prefix removed, false easting 500 km): 3-degree zones within
#: about 2.3 degrees of the central meridian (a neighbouring zone's CRS is sometimes
#: used near a zone edge); 6-degree zones and eastings without prefix (zone width unknown) wider.
_GK_EASTING_3DEG = (250_000.0, 750_000.0)
_GK_EASTING_WIDE = (150_000.0, 850_000.0)

_HEADER_SCAN_ROWS = 20
_ROLES: dict[str, tuple[str, ...]] = {
    "id": ("点号", "序号", "点名", "界址点号", "界址点", "拐点号", "拐点编号", "拐点", "编号", "点",
           "点位", "id", "no", "no.", "point", "pt", "pointid", "pointno"),
    "parcel": ("地块", "地块号", "地块编号", "地块名称", "地块名", "宗地", "宗地号", "区块", "片区",
               "圈号", "环", "parcel", "parcelid", "ring", "part", "polygon", "block"),
    "x": ("x",),
    "y": ("y",),
    "n": ("n", "north", "northing", "北", "北向", "纵", "n(x)", "x(n)", "纵x", "x纵", "北x", "x北", "纵向x"),
    "e": ("e", "east", "easting", "东", "东向", "横", "e(y)", "y(e)", "横y", "y横", "东y", "y东", "横向y"),
    "lon": ("经度", "东经", "经", "lon", "lng", "long", "longitude"),
    "lat": ("纬度", "北纬", "纬", "lat", "latitude"),
}
_LOOKUP = {alias: role for role, aliases in _ROLES.items() for alias in aliases}
_BRACKETS = re.compile(r"\(.*?\)|\[.*?\]|【.*?】")
_NOISE = re.compile(r"坐标|值|[\s_\-:/]|\(m\)|\(米\)|\(°\)|\(度\)")


@dataclass
class Ring:
    """One ring of a corner table.

    Attributes
    ----------
    parcel : str
        The parcel label (from the parcel column, or ``"1"``, ``"2"`` ... by blank rows).
    rows : tuple of int
        First and last row number (as a spreadsheet shows them) of the ring.
    coords : numpy.ndarray
        ``(n, 2)`` closed ring, x = easting or longitude, y = northing or latitude.
    """

    parcel: str
    rows: tuple[int, int]
    coords: np.ndarray


@dataclass
class TableData:
    """A corner table read into rings, with how it was read.

    Attributes
    ----------
    rings : list of Ring
    unit : str
        ``"metres"`` or ``"degrees"``.
    format : str
        ``"CSV"`` or ``"XLSX"``.
    columns : str
        Which columns were used and how, for messages.
    parcel_column : str or None
        The parcel column's header, when there is one.
    encoding : str or None
        CSV text encoding.
    sheet : str or None
        The XLSX sheet read.
    points : int
        Number of points read (before closing rings).
    warnings : list of str
    path : str
    """

    rings: list[Ring]
    unit: str
    format: str
    columns: str
    parcel_column: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    points: int = 0
    warnings: list[str] = field(default_factory=list)
    path: str = ""


def read_table(path, *, sheet: str | None = None, encoding: str | None = None) -> TableData:
    """Read a corner-point table (CSV or XLSX) into rings.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.csv`` (UTF-8 with or without BOM, GBK/GB18030), ``.xlsx`` or
        ``.xlsm`` file (macros are never run, only cell values are read).
    sheet : str, optional
        The XLSX sheet (default: the first one with coordinate columns).
    encoding : str, optional
        CSV text encoding (default: UTF-8 if it decodes, else GB18030).

    Returns
    -------
    TableData

    Raises
    ------
    InputError
        Unreadable file, no coordinate columns ("it has no geometry"), a cell
        that is not a coordinate (naming its row and column), mixed units.
    SiteError
        A ring with fewer than 3 distinct points.
    """
    display, local = checked_table_path(path)
    suffix = local.suffix.lower()
    notes: list[str] = []
    if suffix in (".csv", ".txt"):
        rows, used_encoding = csv_rows(local, display, encoding, notes)
        rows = split_blank_separated(rows)
        fmt, sheet_name = "CSV", None
    elif suffix in (".xlsx", ".xlsm"):
        rows_by_sheet = xlsx_sheets(local, display, notes)
        sheet_name, rows = _choose_sheet(rows_by_sheet, sheet, display, notes)
        fmt, used_encoding = "XLSX", None
    else:
        raise InputError(f"{display}: not a corner-point table ({', '.join(TABLE_SUFFIXES)})")
    data = _parse_rows(rows, display, notes)
    data.format, data.encoding, data.sheet, data.path = fmt, used_encoding, sheet_name, display
    return data


# --------------------------------------------------------------------------- files


def _choose_sheet(sheets: dict[str, list[list]], wanted: str | None, display: str, notes: list[str]) -> tuple[str, list[list]]:
    if not sheets:
        raise InputError(f"{display} has no worksheets")
    if wanted is not None:
        for name, rows in sheets.items():
            if name == wanted or name.casefold() == wanted.casefold():
                return name, rows
        raise InputError(f"{display} has no sheet {wanted!r}; its sheets: {', '.join(sheets)}")
    with_coords = [name for name, rows in sheets.items() if _find_header(rows) is not None]
    if not with_coords:
        name = next(iter(sheets))
        return name, sheets[name]
    if len(with_coords) > 1:
        notes.append(f"read sheet {with_coords[0]!r}; other sheets with coordinates ignored: "
                     f"{', '.join(with_coords[1:])} (choose with --layer)")
    return with_coords[0], sheets[with_coords[0]]


# --------------------------------------------------------------------------- header


def _norm(header) -> str:
    text = unicodedata.normalize("NFKC", str(header or "")).strip().lower()
    text = _NOISE.sub("", text)
    bare = _BRACKETS.sub("", text)
    return bare or text


def _roles(row: list) -> dict[str, int]:
    roles: dict[str, int] = {}
    for j, cell in enumerate(row):
        if cell is None or str(cell).strip() == "":
            continue
        text = unicodedata.normalize("NFKC", str(cell)).strip().lower().replace(" ", "")
        role = _LOOKUP.get(text) or _LOOKUP.get(_norm(cell))
        if role and role not in roles:
            roles[role] = j
    return roles


def _pair(roles: dict[str, int]) -> tuple[str, str] | None:
    for a, b in (("x", "y"), ("n", "e"), ("lon", "lat")):
        if a in roles and b in roles:
            return a, b
    return None


def _find_header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:_HEADER_SCAN_ROWS]):
        roles = _roles(row)
        if _pair(roles) is not None:
            return i, roles
    return None


# --------------------------------------------------------------------------- values


def _cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def split_blank_separated(rows: list[list]) -> list[list]:
    """Rows of a table whose columns are separated by spaces or tabs (a table pasted as text) split into cells.

    Only when no row has more than one cell (no comma, semicolon or tab was
    found between columns); other tables are returned as they are.

    Examples
    --------
    >>> split_blank_separated([["点号  X   Y"], ["J1 4701949.54 42496010.27"], []])
    [['点号', 'X', 'Y'], ['J1', '4701949.54', '42496010.27'], []]
    >>> split_blank_separated([["点号", "X", "Y"]])
    [['点号', 'X', 'Y']]
    """
    if any(len([c for c in row if _cell_text(c)]) > 1 for row in rows):
        return rows
    return [str(row[0]).split() if row and _cell_text(row[0]) else [] for row in rows]


def _coordinate_like(cell) -> bool:
    """A cell that reads as one coordinate (metres, degrees or DMS), not a point number."""
    text = _cell_text(cell)
    number = parse_number(cell)
    if number is not None:
        if abs(number) >= 1000:
            return True
        return "." in text and 0 < abs(number) <= 180  # 42.835 is a latitude; 12 is a point number
    angle = parse_angle(cell, packed=False)
    return angle is not None and bool(np.isfinite(angle)) and any(ch in text for ch in "°′'″\"度分秒")


def _headerless(rows: list[list], notes: list[str]) -> tuple[int, dict[str, int], list] | None:
    """A table without a header: (点号,) X, Y by the surveying convention (X the northing), or None.

    The data rows (title rows of one cell above them are skipped) have 2 cells
    (X, Y) or 3 (point, X, Y); the columns are then read as a header ``X, Y``
    would be read (an easting found in the X column is still detected and said).
    """
    start = 0
    while start < min(len(rows), _HEADER_SCAN_ROWS):
        cells = [c for c in rows[start] if _cell_text(c)]
        if len(cells) > 1:
            break
        start += 1
    data = [[c for c in row if _cell_text(c)] for row in rows[start:] if any(_cell_text(c) for c in row)]
    if not data:
        return None
    width = len(data[0])
    if width not in (2, 3) or any(len(r) != width for r in data[:3]):
        return None
    first = data[0]
    if width == 2 and not all(_coordinate_like(c) for c in first):
        return None
    if width == 3 and (_coordinate_like(first[0]) or not all(_coordinate_like(c) for c in first[1:])):
        return None
    roles = {"x": width - 2, "y": width - 1, **({"id": 0} if width == 3 else {})}
    header = (["点号"] if width == 3 else []) + ["X", "Y"]
    notes.append("no header: columns read as " + ("point, " if width == 3 else "") +
                 "X (northing), Y (easting) by the surveying convention; add a header (点号,X,Y) if they are not")
    return start - 1, roles, header


def _parse_rows(rows: list[list], display: str, notes: list[str]) -> TableData:
    found = _find_header(rows)
    header = rows[found[0]] if found is not None else None
    if found is None:
        headerless = _headerless(rows, notes)
        if headerless is not None:
            found, header = headerless[:2], headerless[2]
            rows = [list(r) for r in rows]
            for i in range(found[0] + 1, len(rows)):  # cells in the columns the roles name (blanks dropped)
                cells = [c for c in rows[i] if _cell_text(c)]
                rows[i] = cells if cells else rows[i]
    if found is None:
        headers = next((r for r in rows if any(_cell_text(c) for c in r)), [])
        shown = ", ".join(_cell_text(c) for c in headers if _cell_text(c))[:120] or "nothing"
        raise InputError(
            f"{Path(display).name} has no coordinate columns (X/Y, N/E, 经度/纬度, lon/lat), "
            f"so it has no geometry; its first row: {shown}"
        )
    h, roles = found
    a, b = _pair(roles)
    col_a, col_b = roles[a], roles[b]
    name_a, name_b = _cell_text(header[col_a]), _cell_text(header[col_b])
    parcel_col = roles.get("parcel")
    if h > 0 and header is rows[h]:
        notes.append(f"rows 1-{h} above the header ignored (title)")
    elif h >= 0 and header is not rows[h]:
        notes.append(f"rows 1-{h + 1} above the coordinates ignored (title)")
    angle_columns = a == "lon"
    records: list[tuple[int, str | None, float, float, str]] = []  # row, parcel, a, b, kind
    kinds: dict[str, tuple[int, str]] = {}
    ignored: list[int] = []
    last_parcel: str | None = None
    for i in range(h + 1, len(rows)):
        row = rows[i]
        rownum = i + 1
        va = _cell_text(row[col_a]) if col_a < len(row) else ""
        vb = _cell_text(row[col_b]) if col_b < len(row) else ""
        if parcel_col is not None and parcel_col < len(row) and _cell_text(row[parcel_col]):
            last_parcel = _cell_text(row[parcel_col])
        if not va and not vb:
            if any(_cell_text(c) for c in row):
                ignored.append(rownum)
            records.append((rownum, None, np.nan, np.nan, "blank"))
            continue
        for value, name in ((va, name_a), (vb, name_b)):
            if not value:
                raise InputError(f"{Path(display).name} row {rownum}, column {name}: empty while the other coordinate is given")
        pa, ka = _value(row[col_a], angle_columns, display, rownum, name_a)
        pb, kb = _value(row[col_b], angle_columns, display, rownum, name_b)
        for kind, name in ((ka, name_a), (kb, name_b)):
            unit = "metres" if kind == "m" else "degrees"
            kinds.setdefault(unit, (rownum, name))
        if len(kinds) > 1:
            (u1, (r1, c1)), (u2, (r2, c2)) = sorted(kinds.items(), key=lambda kv: kv[1][0])
            raise InputError(
                f"{Path(display).name}: mixed units: row {r1}, column {c1} is in {u1} but "
                f"row {r2}, column {c2} is in {u2}; give one unit for the whole table"
            )
        records.append((rownum, last_parcel, pa, pb, ka))
    if not kinds:
        raise InputError(f"{Path(display).name} has coordinate columns ({name_a}, {name_b}) but no values, so it has no geometry")
    unit = next(iter(kinds))
    if ignored:
        notes.append(f"rows without coordinates ignored: {_rows_text(ignored)}")
    # (easting or lon, northing or lat)
    if a in ("x", "n"):
        east_first = False  # column a is the northing
    else:
        east_first = True  # lon first
    desc, east_first = _orientation(records, a, unit, name_a, name_b, east_first, notes, display)
    if unit == "metres":
        _check_gk_range(records, east_first, name_a, name_b, display)
    rings, points = _rings(records, east_first, parcel_col is not None, display, notes)
    return TableData(
        rings=rings,
        unit=unit,
        format="",
        columns=desc + (f"; parcels by column {_cell_text(header[parcel_col])}" if parcel_col is not None else ""),
        parcel_column=_cell_text(header[parcel_col]) if parcel_col is not None else None,
        points=points,
        warnings=notes,
    )


def _value(cell, angle_columns: bool, display: str, rownum: int, name: str) -> tuple[float, str]:
    """(value, 'm' or 'deg') of one coordinate cell."""
    number = parse_number(cell)
    if number is not None and not angle_columns:
        if abs(number) <= 180:
            return number, "deg"
        if abs(number) >= 1000:
            return number, "m"
        raise InputError(f"{Path(display).name} row {rownum}, column {name}: {_cell_text(cell)} is neither metres nor degrees")
    angle = parse_angle(cell, packed=angle_columns)
    if angle is None or not np.isfinite(angle):
        raise InputError(f"{Path(display).name} row {rownum}, column {name}: cannot read {_cell_text(cell)[:40]!r} as a coordinate")
    if angle_columns and abs(angle) > 180:
        raise InputError(f"{Path(display).name} row {rownum}, column {name}: {_cell_text(cell)} is not an angle in degrees")
    return angle, "deg"


def _orientation(records, a, unit, name_a, name_b, east_first, notes, display) -> tuple[str, bool]:
    """Describe the columns; detect an easting (or longitude) in the northing column."""
    vals = np.array([(r[2], r[3]) for r in records if r[4] != "blank"])
    first, second = vals[:, 0], vals[:, 1]
    if unit == "degrees":
        # degrees: longitude is the one in China's longitude range
        lon_like = lambda v: bool(np.all((v >= 70) & (v <= 140)))  # noqa: E731
        lat_like = lambda v: bool(np.all((v >= 0) & (v <= 56)))  # noqa: E731
        if lon_like(first) and lat_like(second):
            chosen = True
        elif lat_like(first) and lon_like(second):
            chosen = False
        else:
            chosen = east_first
        if a == "x" and chosen:
            notes.append(f"columns {name_a}/{name_b} hold degrees: read {name_a} as longitude, {name_b} as latitude (by their values)")
        elif a == "x":
            notes.append(f"columns {name_a}/{name_b} hold degrees: read {name_a} as latitude, {name_b} as longitude (by their values)")
        elif a == "lon" and not chosen:
            raise InputError(
                f"{Path(display).name}: column {name_a} holds latitudes and {name_b} longitudes "
                "(swapped headers?); fix the headers"
            )
        lon_col, lat_col = (name_a, name_b) if chosen else (name_b, name_a)
        return f"longitude = {lon_col}, latitude = {lat_col} (degrees)", chosen
    # metres: the easting carries the zone prefix (8 digits) or is below 1e6; the northing is 1e6-7e6 in China
    def east_like(v):
        return bool(np.all(((v >= 1.2e7) & (v < 4.6e7)) | ((v > 0) & (v < 1e6))))

    def north_like(v):
        return bool(np.all((v >= 1e6) & (v < 7e6)))

    north_col, east_col = name_a, name_b
    if not east_first and east_like(first) and north_like(second):
        notes.append(
            f"column {name_a} holds eastings and {name_b} northings (in surveying X is the "
            f"northing): read {name_a} as easting, {name_b} as northing; check the table"
        )
        return f"easting = {name_a}, northing = {name_b} (metres; swapped, see warning)", True
    if not east_first:
        return f"northing = {north_col}, easting = {east_col} (metres; X is the northing)", False
    return f"easting = {name_a}, northing = {name_b} (metres)", True


def _m(value: float) -> str:
    return f"{value:,.0f}" if abs(value) < 1e12 else f"{value:.3g}"


def gk_range_problem(easting: float, northing: float) -> str | None:
    """Why a Gauss-Kruger point cannot lie in China, or None when it can.

    Parameters
    ----------
    easting : float
        Metres, with or without the zone prefix (``42543434.8`` or ``543434.8``).
    northing : float
        Metres from the equator.

    Returns
    -------
    str or None
        E.g. ``"northing 47,528,478 m is outside China's Gauss-Kruger range (300,000..6,100,000 m)"``.

    Examples
    --------
    >>> gk_range_problem(42543434.8, 4855075.3) is None
    True
    >>> gk_range_problem(42543434.8, 47528478.0)[:8]
    'northing'
    """
    lo, hi = GK_NORTHING_RANGE
    if not (np.isfinite(northing) and lo <= northing <= hi):
        return f"northing {_m(northing)} m is outside China's Gauss-Kruger range ({lo:,.0f}..{hi:,.0f} m)"
    if not np.isfinite(easting):
        return f"easting {easting} is not a number"
    zone = int(easting // 1_000_000) if 1e7 <= easting < 1e8 else None
    if zone is not None and not (13 <= zone <= 23 or 25 <= zone <= 45):
        return (f"easting {_m(easting)} m has zone prefix {zone}, not a Gauss-Kruger zone of China "
                "(6-degree 13-23, 3-degree 25-45)")
    if zone is None and easting >= 1e6:
        return f"easting {_m(easting)} m is neither a zone-prefixed (8 digits) nor a plain (6 digits) Gauss-Kruger easting"
    lo_e, hi_e = _GK_EASTING_3DEG if zone is not None and zone >= 25 else _GK_EASTING_WIDE
    rest = easting - (zone or 0) * 1_000_000
    if not lo_e <= rest <= hi_e:
        return (f"easting {_m(easting)} m is {_m(abs(rest - 500_000) / 1000)} km from the central meridian, "
                f"outside a Gauss-Kruger zone ({lo_e:,.0f}..{hi_e:,.0f} m without the zone prefix)")
    return None


def _check_gk_range(records, east_first: bool, name_a: str, name_b: str, display: str) -> None:
    """Refuse metres no Gauss-Kruger point in China can have (a digit too many, 1e300)."""
    east_col, north_col = (name_a, name_b) if east_first else (name_b, name_a)
    for rownum, _, va, vb, kind in records:
        if kind == "blank":
            continue
        east, north = (va, vb) if east_first else (vb, va)
        problem = gk_range_problem(east, north)
        if problem:
            col = north_col if problem.startswith("northing") else east_col
            raise SiteError(f"{Path(display).name} row {rownum}, column {col}: {problem}; check the digits")


def _rows_text(rows: list[int]) -> str:
    return ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")


def _rings(records, east_first: bool, by_parcel: bool, display: str, notes: list[str]) -> tuple[list[Ring], int]:
    groups: list[tuple[str, list[tuple[int, float, float]]]] = []
    current: list[tuple[int, float, float]] = []
    current_parcel: str | None = None
    points = 0

    def flush():
        nonlocal current
        if current:
            label = current_parcel if (by_parcel and current_parcel) else str(len(groups) + 1)
            groups.append((label, current))
        current = []

    for rownum, parcel, va, vb, kind in records:
        if kind == "blank":
            flush()
            continue
        if by_parcel and parcel != current_parcel:
            flush()
        current_parcel = parcel
        x, y = (va, vb) if east_first else (vb, va)
        current.append((rownum, x, y))
        points += 1
    flush()
    if not groups:
        raise InputError(f"{Path(display).name} has no coordinate rows, so it has no geometry")
    rings: list[Ring] = []
    unclosed: list[str] = []
    dropped = 0
    name = Path(display).name
    for label, pts in groups:
        rows = (pts[0][0], pts[-1][0])
        xy = np.array([(p[1], p[2]) for p in pts], dtype=float)
        keep = np.ones(len(xy), dtype=bool)
        keep[1:] = np.any(np.abs(np.diff(xy, axis=0)) > 1e-9, axis=1)
        dropped += int((~keep).sum())
        xy = xy[keep]
        closed = len(xy) > 1 and np.allclose(xy[0], xy[-1], rtol=0, atol=1e-9)
        distinct = len(xy) - (1 if closed else 0)
        what = f"parcel {label}" if by_parcel else f"ring {label}"
        if distinct < 3:
            raise SiteError(
                f"{name}: {what} (rows {rows[0]}-{rows[1]}) has {distinct} distinct point(s); "
                "a ring needs at least 3"
            )
        if not closed:
            unclosed.append(what)
            xy = np.vstack([xy, xy[:1]])
        rings.append(Ring(parcel=label, rows=rows, coords=xy))
    if dropped:
        notes.append(f"{dropped} duplicate consecutive point(s) dropped")
    if unclosed:
        notes.append(
            f"{len(unclosed)} ring(s) not closed in the table (last point ≠ first): closed them "
            f"({', '.join(unclosed[:5])}{' ...' if len(unclosed) > 5 else ''})"
        )
    return rings, points
