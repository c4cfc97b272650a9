"""Access-list clauses (生态环境准入清单) in the store: import, tiers, judgement.

A clause is one requirement of one dimension (空间布局约束 / 污染物排放管控 /
环境风险防控 / 资源开发效率要求) at one tier:

- ``province``, ``city``, ``county``: ``scope`` is an administrative code
  (220000, 222400, 222401) or a name the unit layer carries;
- ``basin``: ``scope`` is the basin's name; ``admin_codes`` lists the
  administrative codes the basin covers (or units carry a basin attribute);
- ``category``: every unit of ``category`` (priority / key / general);
- ``unit``: ``scope`` is the unit code.

``category`` also narrows a province/basin/city/county clause to units of one
category (e.g. Yanbian's requirements for all its priority units). A unit's
clauses are its own and those of every tier above it (province → basin →
city → county → unit), the Jilin "1+2+11+1233" scheme.

Clauses are text as issued; a reviewer judges them (decision ``review``). A
clause may also carry ``applies_to`` (industry selector, see
:func:`gisplan.rules.industry.selector_matches`) and ``decision``
(prohibited / restricted / allowed): then it decides by itself for the
industries it names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .._lazy import lazy_module
from ..errors import InputError, MappingError
from ..vocab import normalise_value, to_simplified, unit_code_is_regular
from .industry import Industry, selector_matches, split_tokens

if TYPE_CHECKING:  # the type checker sees the modules; at run time they load on first use
    import pandas as pd
else:
    pd = lazy_module("pandas")  # loaded when a list is read or built, not by importing the rules

__all__ = [
    "ACCESS_TABLE", "COLUMNS", "DIMENSIONS", "DIMENSION_LABELS_EN", "TIERS", "TIER_LABELS_ZH",
    "ATTRIBUTE_FIELDS", "AccessList", "AccessImportReport", "read_clause_table", "import_access_list",
    "clauses_from_unit_attributes", "write_clauses", "judge_clause",
]

ACCESS_TABLE = "gisplan_access_list"
COLUMNS = ["clause_id", "tier", "scope", "scope_name", "category", "admin_codes", "dimension", "text",
           "source", "article", "applies_to", "decision", "demo", "origin", "source_row", "element_zone"]
DIMENSIONS = {
    "spatial_layout": "空间布局约束",
    "pollutant_emission": "污染物排放管控",
    "risk_prevention": "环境风险防控",
    "resource_efficiency": "资源开发效率要求",
}
DIMENSION_LABELS_EN = {
    "spatial_layout": "spatial layout constraints",
    "pollutant_emission": "pollutant emission control",
    "risk_prevention": "environmental risk prevention",
    "resource_efficiency": "resource-use efficiency",
}
#: Attribute fields of unit layers that carry the four dimensions (as delivered).
ATTRIBUTE_FIELDS = {
    "spatial_layout": ("KJBJYS", "KJBJYQ", "空间布局约束"),
    "pollutant_emission": ("PWWPFGK", "WRWPFGK", "污染物排放管控"),
    "risk_prevention": ("HJFXFK", "环境风险防控"),
    "resource_efficiency": ("ZYKFXLYQ", "ZYLYXLYQ", "资源开发效率要求", "资源利用效率要求"),
}
TIERS = ("province", "basin", "city", "county", "category", "unit")
TIER_LABELS_ZH = {"province": "省级", "basin": "流域", "city": "市（州）级", "county": "县（市）级",
                  "category": "分类", "unit": "单元"}
_TIER_VALUES = {
    "province": "province", "省": "province", "省级": "province", "全省": "province", "省级总体": "province",
    "basin": "basin", "流域": "basin", "流域级": "basin",
    "city": "city", "市": "city", "市级": "city", "市州": "city", "市（州）": "city", "市(州)": "city", "地市": "city", "州": "city",
    "county": "county", "县": "county", "县级": "county", "县区": "county", "区县": "county", "县（市、区）": "county",
    "category": "category", "分类": "category", "类别": "category",
    "unit": "unit", "单元": "unit", "管控单元": "unit", "环境管控单元": "unit",
}
_DIMENSION_VALUES = {
    **{k: k for k in DIMENSIONS},
    "空间布局约束": "spatial_layout", "空间布局": "spatial_layout", "空间布局要求": "spatial_layout",
    "污染物排放管控": "pollutant_emission", "污染物排放": "pollutant_emission", "污染物排放管控要求": "pollutant_emission",
    "环境风险防控": "risk_prevention", "环境风险": "risk_prevention", "环境风险防控要求": "risk_prevention",
    "资源开发效率要求": "resource_efficiency", "资源利用效率要求": "resource_efficiency",
    "资源开发利用效率": "resource_efficiency", "资源利用效率": "resource_efficiency", "资源开发效率": "resource_efficiency",
    **{f: d for d, fs in ATTRIBUTE_FIELDS.items() for f in fs},
}
_DECISION_VALUES = {"prohibited": "prohibited", "禁止": "prohibited", "restricted": "restricted", "限制": "restricted",
                    "有条件允许": "restricted", "allowed": "allowed", "允许": "allowed", "": ""}
#: Column aliases of published tables (case-insensitive), per clause field.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "unit_code": ("unit_code", "环境管控单元编码", "管控单元编码", "单元编码", "环境管控单元代码", "HJGKDYBM", "HJZHGKDYBM", "GKDYBM"),
    "unit_name": ("unit_name", "环境管控单元名称", "管控单元名称", "单元名称", "HJGKDYMC", "HJZHGKDYMC"),
    "tier": ("tier", "层级", "清单层级", "管控层级"),
    "scope": ("scope", "适用范围", "适用区域", "行政区", "行政区名称", "流域名称"),
    "admin_codes": ("admin_codes", "行政区划代码", "区划代码", "行政区代码", "XZQDM"),
    "category": ("category", "管控单元类别", "环境管控单元类别", "单元类别", "管控单元分类", "GKDYLB", "ZHGKDYFL"),
    "dimension": ("dimension", "管控维度", "清单类型", "维度", "管控要求类型"),
    "text": ("text", "管控要求", "准入要求", "清单内容", "管控要求内容", "生态环境准入要求"),
    "source": ("source", "文件", "依据", "文件名称", "来源", "出处", "发布文件"),
    "article": ("article", "条款", "条目", "条文", "条款号", "序号"),
    "applies_to": ("applies_to", "适用行业", "涉及行业"),
    "decision": ("decision", "判定"),
    "element_zone": ("element_zone", "要素分区", "适用要素分区", "适用管控分区", "要素管控分区"),
}
_CARRY = ("unit_code", "unit_name", "tier", "scope", "admin_codes", "category", "source")


@dataclass
class AccessImportReport:
    """What an access-list import did."""

    source: str
    clauses: int
    mapping: dict[str, str]
    by_tier: dict[str, int]
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Human-readable lines for the CLI."""
        tiers = ", ".join(f"{k} {v}" for k, v in self.by_tier.items())
        out = [f"imported {self.clauses} access-list clause(s) from {self.source} ({tiers})",
               "  columns: " + ", ".join(f"{k}<-{v}" for k, v in self.mapping.items())]
        return out + [f"  warning: {w}" for w in self.warnings]


# ----------------------------------------------------------------------------- reading tables


def _clean(value) -> str:
    """Cell text as issued (no width folding: clause texts keep their punctuation)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value).strip()
    if re.fullmatch(r"\d+\.0", text):
        text = text[:-2]
    return text


def _key(text: str) -> str:
    """A header or vocabulary value folded for lookup (NFKC, case, Traditional -> Simplified characters)."""
    text = unicodedata.normalize("NFKC", text).strip()
    return text.lower() if text.isascii() else to_simplified(text)


def _table_rows(path, sheet: str | None) -> list[list[str]]:
    """Cell texts of the table (one sheet, merged cells expanded), read by the shared safe reader."""
    from ..io.rows import checked_table_path, csv_rows, xlsx_sheets

    display, local = checked_table_path(path)
    notes: list[str] = []
    if local.suffix.lower() in (".xlsx", ".xlsm"):
        sheets = xlsx_sheets(local, display, notes, expand_merged=True)
        if sheet is not None and sheet not in sheets:
            raise InputError(f"{local.name}: no sheet {sheet!r} (sheets: {', '.join(sheets)})")
        rows = sheets[sheet] if sheet is not None else next(iter(sheets.values()), [])
    else:
        rows, _ = csv_rows(local, display, None, notes)
    return [[_clean(c) for c in r] for r in rows]


def _known(col: str) -> str | None:
    low = _key(col).lower()
    for key, aliases in COLUMN_ALIASES.items():
        if low in (a.lower() for a in aliases):
            return key
    for dim, aliases in ATTRIBUTE_FIELDS.items():
        if low in (a.lower() for a in aliases) or col == DIMENSIONS[dim]:
            return f"wide:{dim}"
    return None


def read_clause_table(path: str | Path, *, sheet: str | None = None,
                      mapping: dict[str, str] | None = None) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """Read an access-list table (XLSX or CSV) as published.

    Two layouts are understood: long (one clause per row, a 管控维度 column and a
    管控要求 column) and wide (one row per unit or area with a column per
    dimension: 空间布局约束, 污染物排放管控 ... or KJBJYS, PWWPFGK ...). A title
    row above the header is skipped; merged cells are expanded.

    Parameters
    ----------
    path : str or Path
        ``.xlsx`` or ``.csv`` (UTF-8 or GB18030).
    sheet : str, optional
        Sheet of a workbook (default: the first).
    mapping : dict, optional
        Clause field (``unit_code``, ``dimension``, ``text`` ... or a dimension
        code for a wide table) -> source column, for columns the aliases miss.

    Returns
    -------
    clauses : DataFrame
        :data:`COLUMNS` (``clause_id`` and ``origin`` filled by the caller).
    used : dict
        Clause field -> source column.
    warnings : list of str

    Raises
    ------
    InputError
        For an unreadable file, a missing column, or bad rows (every bad row
        named by its row number in the file).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"access-list table not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _table_rows(path, sheet)
    elif suffix in (".csv", ".txt"):
        if sheet:
            raise InputError("`sheet` applies to XLSX workbooks only")
        rows = _table_rows(path, None)
    else:
        raise InputError(f"{path.name}: access-list tables must be .xlsx or .csv")
    mapping = dict(mapping or {})
    header_at = None
    for i, row in enumerate(rows[:15]):
        names = [c for c in row if c]
        if any(c in mapping.values() for c in names) or sum(_known(c) is not None for c in names) >= 2:
            header_at = i
            break
    if header_at is None and mapping:
        header_at = next((i for i, row in enumerate(rows) if any(row)), None)
    if header_at is None:
        raise InputError(f"{path.name}: no header row with access-list columns (e.g. 环境管控单元编码, 管控维度, 管控要求) "
                         "in the first 15 rows; name columns with `map` FIELD=SRCFIELD")
    header = rows[header_at]
    used: dict[str, int] = {}
    for key, src in mapping.items():
        if key not in COLUMN_ALIASES and key not in DIMENSIONS:
            raise MappingError(f"`map` {key}=...: access lists have no field {key!r} "
                               f"(fields: {', '.join([*COLUMN_ALIASES, *DIMENSIONS])})")
        if src not in header:
            raise MappingError(f"`map` {key}={src}: the table has no column {src!r} (columns: {', '.join(c for c in header if c)})")
        used[key if key in COLUMN_ALIASES else f"wide:{key}"] = header.index(src)
    for j, col in enumerate(header):
        key = _known(col) if col else None
        if key and key not in used and j not in used.values():
            used[key] = j
    wide = {k[5:]: j for k, j in used.items() if k.startswith("wide:")}
    if "text" not in used and not wide:
        raise InputError(f"{path.name}: no 管控要求/准入要求 column and no dimension columns (空间布局约束 ...); "
                         "name it with `map` text=SRCFIELD")
    if "text" in used and "dimension" not in used:
        raise InputError(f"{path.name}: no 管控维度/清单类型 column; name it with `map` dimension=SRCFIELD")
    records, errors, warnings = [], [], []
    for i, row in enumerate(rows[header_at + 1:], start=header_at + 2):
        cell = {k: (row[j] if j < len(row) else "") for k, j in used.items()}
        if not any(cell.values()):
            continue
        items = [(d, cell[f"wide:{d}"]) for d in wide if cell[f"wide:{d}"]] if wide else [(cell.get("dimension", ""), cell.get("text", ""))]
        if wide and not items:
            errors.append(f"row {i}: no requirement text in any dimension column")
            continue
        for dim_raw, text in items:
            try:
                records.append(_record(cell, dim_raw, text, i))
            except InputError as exc:
                errors.append(f"row {i}: {exc}")
    if errors:
        more = f"; ... and {len(errors) - 8} more" if len(errors) > 8 else ""
        raise InputError(f"{path.name}: {len(errors)} bad row(s): " + "; ".join(errors[:8]) + more)
    if not records:
        raise InputError(f"{path.name}: no clauses below the header row")
    frame = pd.DataFrame(records, columns=COLUMNS)
    odd = frame[(frame["tier"] == "unit") & ~frame["scope"].map(unit_code_is_regular)]
    if len(odd):
        warnings.append(f"{odd['scope'].nunique()} unit code(s) do not follow ZH+county code+category digit+serial, "
                        f"e.g. {odd['scope'].iloc[0]!r} (row {odd['source_row'].iloc[0]})")
    return frame, {k.replace("wide:", ""): header[j] for k, j in used.items()}, warnings


def _record(cell: dict, dim_raw: str, text: str, row: int) -> dict:
    dimension = _DIMENSION_VALUES.get(_key(dim_raw)) or _DIMENSION_VALUES.get(dim_raw)
    if not dim_raw:
        raise InputError("empty 管控维度 (dimension)")
    if dimension is None:
        raise InputError(f"unknown 管控维度 {dim_raw!r} (expected {', '.join(DIMENSIONS.values())})")
    if not text:
        raise InputError("empty 管控要求 (clause text)")
    category = ""
    if cell.get("category"):
        try:
            category = normalise_value("category", cell["category"], "管控单元类别")
        except MappingError as exc:
            raise InputError(str(exc)) from None
    decision_raw = cell.get("decision", "")
    decision = _DECISION_VALUES.get(_key(decision_raw))
    if decision is None:
        raise InputError(f"unknown 判定 {decision_raw!r} (expected prohibited/restricted/allowed or 禁止/限制/允许)")
    applies = cell.get("applies_to", "")
    if decision and not applies:
        raise InputError(f"判定 {decision_raw!r} given without 适用行业 (which industries it decides)")
    tier, scope = _tier_and_scope(cell)
    element_zone = ""
    if cell.get("element_zone"):
        from .element_zones import parse_element_tag, tag_text

        element_zone = tag_text(parse_element_tag(cell["element_zone"]))  # InputError names the tag
    if category and tier == "unit":
        category = ""  # a unit's own category is in the layer
    return {"clause_id": "", "tier": tier, "scope": scope,
            "scope_name": cell.get("unit_name", "") if tier == "unit" else cell.get("scope", "") or scope,
            "category": category, "admin_codes": ";".join(split_tokens(cell.get("admin_codes", ""))),
            "dimension": dimension, "text": text, "source": cell.get("source", ""), "article": cell.get("article", ""),
            "applies_to": ";".join(split_tokens(applies)), "decision": decision, "demo": 0, "origin": "", "source_row": row,
            "element_zone": element_zone}


def _tier_and_scope(cell: dict) -> tuple[str, str]:
    code = cell.get("unit_code", "")
    raw_tier = cell.get("tier", "")
    scope = cell.get("scope", "") or cell.get("admin_codes", "")
    if raw_tier:
        tier = _TIER_VALUES.get(_key(raw_tier)) or _TIER_VALUES.get(raw_tier)
        if tier is None:
            raise InputError(f"unknown 层级 {raw_tier!r} (expected {', '.join(TIERS)} or 省级/流域/市级/县级/分类/单元)")
    elif code:
        tier = "unit"
    elif re.fullmatch(r"\d{6}", scope):
        tier = "province" if scope.endswith("0000") else "city" if scope.endswith("00") else "county"
    elif "流域" in scope:
        tier = "basin"
    elif not scope and cell.get("category"):
        tier = "category"
    else:
        raise InputError("cannot tell the tier: give a 环境管控单元编码, a 6-digit 行政区划代码, a 层级 column or a 流域 scope")
    if tier == "unit":
        if not code:
            raise InputError("unit clause without 环境管控单元编码")
        return tier, code
    if tier == "category":
        if not cell.get("category"):
            raise InputError("category clause without 管控单元类别")
        return tier, ""
    if not scope:
        raise InputError(f"{tier} clause without a scope (适用范围 or 行政区划代码)")
    if tier == "basin" and not cell.get("admin_codes"):
        pass  # units may carry a basin attribute instead
    return tier, scope


# ----------------------------------------------------------------------------- store


def write_clauses(store, clauses: pd.DataFrame, origin: str, *, clear: bool = False,
                  lock_timeout: float | None = None) -> int:
    """Put ``clauses`` into the store's access list, replacing earlier ones of the same ``origin``.

    Parameters
    ----------
    store : Store or StoreWriter
        A :class:`~gisplan.store.gpkg.Store` (the read-modify-write then runs in its
        own locked transaction) or an open transaction's writer (the clauses go
        into that transaction's atomic replacement).
    clauses : DataFrame
    origin : str
        File name or ``layer:<kind>`` the clauses came from.
    clear : bool
        Drop every clause of the list first.
    lock_timeout : float, optional
        Seconds to wait for another writer (default :data:`gisplan.store.gpkg.LOCK_TIMEOUT`).

    Returns
    -------
    int
        Clauses the store's list holds afterwards.
    """
    from ..store.gpkg import LOCK_TIMEOUT, Store

    if isinstance(store, Store):
        with store.transaction(lock_timeout=LOCK_TIMEOUT if lock_timeout is None else lock_timeout) as tx:
            return write_clauses(tx, clauses, origin, clear=clear)
    clauses = clauses.copy()
    clauses["origin"] = origin
    stem = Path(origin).stem if not origin.startswith(("layer:", "demo")) else origin
    missing = clauses["clause_id"].fillna("") == ""
    clauses.loc[missing, "clause_id"] = [f"{stem}#{r}-{d}" for r, d in
                                         zip(clauses.loc[missing, "source_row"], clauses.loc[missing, "dimension"])]
    clauses["clause_id"] = _dedupe(clauses["clause_id"].tolist())
    old = store.read_table(ACCESS_TABLE)
    if old is not None and not clear:
        old = old[old["origin"] != origin]
        clauses = pd.concat([old.reindex(columns=COLUMNS), clauses[COLUMNS]], ignore_index=True)
    frame = clauses[COLUMNS].copy()
    for col in COLUMNS:
        frame[col] = frame[col].fillna(0 if col in ("demo", "source_row") else "")
    frame["demo"] = frame["demo"].astype("int64")
    frame["source_row"] = frame["source_row"].astype("int64")
    store.write_table(ACCESS_TABLE, frame)
    return len(frame)


def _dedupe(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i in ids:
        n = seen.get(i, 0)
        seen[i] = n + 1
        out.append(i if n == 0 else f"{i}.{n}")
    return out


def import_access_list(store, path: str | Path, *, sheet: str | None = None, mapping: dict[str, str] | None = None,
                       clear: bool = False, lock_timeout: float | None = None) -> AccessImportReport:
    """Import an access-list table into a store (``gisplan rules import``).

    Clauses from an earlier import of a file with the same name are replaced;
    ``clear`` drops every clause first.

    Raises
    ------
    InputError
        See :func:`read_clause_table`.
    StoreError
        The store is locked longer than ``lock_timeout`` (default
        :data:`gisplan.store.gpkg.LOCK_TIMEOUT`) or the device is full.
    """
    from ..store.gpkg import LOCK_TIMEOUT
    from ..store.spec import as_store

    store = as_store(store, verify=False)  # writes only the list
    clauses, used, warnings = read_clause_table(path, sheet=sheet, mapping=mapping)
    with store.transaction(lock_timeout=LOCK_TIMEOUT if lock_timeout is None else lock_timeout) as tx:
        if tx.has("control_units"):  # the units as they are under the lock, not as first opened
            known = set(tx.attributes("control_units", ["code"])["code"])
            unknown = sorted(set(clauses.loc[clauses["tier"] == "unit", "scope"]) - known)
            if unknown:
                warnings.append(f"{len(unknown)} unit code(s) are not in the store's control units, e.g. {unknown[0]!r}")
        else:
            warnings.append("the store has no control_units layer yet: unit codes are not checked")
        write_clauses(tx, clauses, Path(path).name, clear=clear)
    by_tier = {t: int((clauses["tier"] == t).sum()) for t in TIERS if (clauses["tier"] == t).any()}
    return AccessImportReport(str(path), len(clauses), used, by_tier, warnings)


def clauses_from_unit_attributes(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    """Clauses from a unit layer whose four dimensions come as fields (KJBJYS, PWWPFGK, HJFXFK, ZYKFXLYQ).

    Returns
    -------
    clauses : DataFrame
        One unit clause per unit and non-empty dimension field (empty when the
        layer has no such fields).
    fields : list of str
        The fields used.
    """
    by_lower = {str(c).lower(): c for c in frame.columns}
    found = {}
    for dim, names in ATTRIBUTE_FIELDS.items():
        for n in names:
            if n.lower() in by_lower:
                found[dim] = by_lower[n.lower()]
                break
    rows = []
    for i, (code, name) in enumerate(zip(frame["code"], frame["name"])):
        for dim, col in found.items():
            text = _clean(frame[col].iloc[i])
            if text:
                rows.append({"clause_id": f"layer:{code}:{dim}", "tier": "unit", "scope": code, "scope_name": name,
                             "category": "", "admin_codes": "", "dimension": dim, "text": text,
                             "source": f"{Path(source).name}（图层属性 {col}）", "article": "", "applies_to": "",
                             "decision": "", "demo": 0, "origin": "", "source_row": i + 1, "element_zone": ""})
    return pd.DataFrame(rows, columns=COLUMNS), list(found.values())


# ----------------------------------------------------------------------------- lookup and judgement


def _admin_prefix(code: str) -> str:
    code = str(code)
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


@dataclass(frozen=True)
class _Clause:
    clause_id: str
    tier: str
    scope: str
    scope_name: str
    category: str
    prefixes: tuple[str, ...]
    dimension: str
    text: str
    source: str
    article: str
    applies_to: str
    decision: str
    demo: bool
    element_zone: str = ""


class _Row:
    """One clause's cells by column name (as ``itertuples`` gives a frame's rows)."""

    def __init__(self, **cells):
        self.__dict__.update(cells)


def _filled(value):
    """A cell as ``fillna("")`` leaves it: missing (None, NaN) becomes empty text."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return value


class AccessList:
    """The store's access-list clauses, with tier lookup for units."""

    def __init__(self, frame: pd.DataFrame | None = None, *, records: list[dict] | None = None):
        if frame is not None:
            frame = frame.reindex(columns=COLUMNS).fillna("")
            rows = frame.itertuples(index=False)
            self._records = None
        else:  # plain rows (the store's table read without pandas): the same cells the frame would hold
            self._records = [{c: _filled(r.get(c)) for c in COLUMNS} for r in records or []]
            rows = (_Row(**r) for r in self._records)
        self._frame = frame
        self._by_unit: dict[str, list[_Clause]] = {}
        self._general: list[_Clause] = []
        for r in rows:
            codes = split_tokens(r.admin_codes) or ([r.scope] if re.fullmatch(r"\d{6}", str(r.scope)) else [])
            c = _Clause(str(r.clause_id), r.tier, str(r.scope), str(r.scope_name), str(r.category),
                        tuple(_admin_prefix(x) for x in codes), r.dimension, str(r.text), str(r.source),
                        str(r.article), str(r.applies_to), str(r.decision), bool(int(r.demo or 0)),
                        str(r.element_zone or ""))
            (self._by_unit.setdefault(c.scope, []) if c.tier == "unit" else self._general).append(c)

    @property
    def frame(self) -> pd.DataFrame:
        """The clauses as a table (columns :data:`COLUMNS`, missing cells empty)."""
        if self._frame is None:
            self._frame = pd.DataFrame(self._records, columns=COLUMNS)
        return self._frame

    @classmethod
    def from_store(cls, store) -> AccessList | None:
        """The store's list, or None when it has none."""
        lean = getattr(store, "table_records", None)  # without pandas where the store can
        if lean is not None:
            records = lean(ACCESS_TABLE)
            return None if not records else cls(records=records)
        frame = store.read_table(ACCESS_TABLE)
        return None if frame is None or len(frame) == 0 else cls(frame)

    def __len__(self) -> int:
        return len(self._records) if self._records is not None else len(self._frame)

    def has_demo(self) -> bool:
        """Whether any clause is a demo clause (示例)."""
        if self._records is not None:
            return any(int(r["demo"] or 0) for r in self._records)
        return bool(self._frame["demo"].astype(int).any())

    def element_zone_tags(self) -> set[str]:
        """The distinct element-zone tags of the clauses (``""`` for clauses without one)."""
        if self._records is not None:
            return {str(r["element_zone"]) for r in self._records}
        return set(self._frame["element_zone"].fillna("").astype(str))

    def for_unit(self, unit: dict) -> list[_Clause]:
        """Clauses that apply to a unit, province tier first and the unit's own last.

        Parameters
        ----------
        unit : dict
            ``code``, ``category``, ``county`` and any other attributes of the
            unit (names of province/city/basin fields are matched as text).
        """
        code = str(unit.get("code", ""))
        county = code[2:8] if unit_code_is_regular(code) else str(unit.get("county", ""))
        county = county if re.fullmatch(r"\d{6}", county) else ""
        names = {str(v) for v in unit.values() if isinstance(v, str) and v}
        out = []
        for c in self._general:
            if c.category and c.category != unit.get("category"):
                continue
            if c.tier == "category" or self._in_scope(c, county, names):
                out.append(c)
        out.sort(key=lambda c: TIERS.index(c.tier))
        return out + self._by_unit.get(code, [])

    @staticmethod
    def _in_scope(c: _Clause, county: str, names: set[str]) -> bool:
        if c.prefixes and county and any(county.startswith(p) for p in c.prefixes):
            return True
        return c.scope in names


def judge_clause(clause: _Clause, industry: Industry | None) -> tuple[str, str]:
    """The decision one clause gives for a project type, and why.

    Returns
    -------
    decision : str
        ``review`` for text clauses (or any clause when no industry is given);
        the clause's decision when its ``applies_to`` matches;
        ``not_applicable`` when it names other industries only (never
        ``allowed``: a clause that does not concern the project says nothing
        about whether it complies).
    reason : str
        ``text``, ``no_industry``, ``applies``, ``not_applicable`` or
        ``attribute_unknown`` (the clause tests an attribute of the project
        type that is not known, e.g. whether it burns high-pollution fuel:
        ``review``). A clause with an ``element_zone`` tag is then decided by
        the site's location (:func:`gisplan.rules.element_zones.adjust_finding`).
    """
    if not clause.decision:
        return "review", "text"
    if industry is None:
        return "review", "no_industry"
    if selector_matches(clause.applies_to, industry):
        return clause.decision, "applies"
    unknown = getattr(industry, "unknown_attributes", frozenset())
    if unknown and any(part.strip().lstrip("@").lower() in unknown for token in split_tokens(clause.applies_to)
                       for part in token.split("+") if part.strip().startswith("@")):
        return "review", "attribute_unknown"
    return "not_applicable", "not_applicable"


def mentions(text: str, industry: Industry | None) -> bool:
    """Whether a clause text names the industry (its name or an alias)."""
    if industry is None:
        return False
    return any(len(n) >= 2 and n in text for n in (industry.name, *industry.aliases))
