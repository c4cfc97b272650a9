"""Project types: GB/T 4754-2017 industries and the EIA catalogue (2021) items.

The table ``data/industries.csv`` holds the 20 sections and all 97 two-digit
divisions of the national economic industry classification (GB/T 4754-2017),
common groups and classes; every item (1-173) of the EIA classification
catalogue (建设项目环境影响评价分类管理名录（2021年版）) as printed, with its
number, section and the GB codes printed after it (code ``EIA2021-<n>``,
built from ``docs/reference/eia_catalogue_2021.txt`` by
``tools/build_catalogue.py``); and a few kinds of gisplan's own that the
statutory rules need and the catalogue has no item for (``GP-...``). Each
entry carries the attributes the statutory rules and access lists test
(``pollutes_water``, ``linear_infrastructure`` ...).

:func:`match_industry` turns what a user typed into one entry: exact code or
catalogue item (``EIA2021-130``, ``名录第130项``), exact name or alias, a
unique prefix, or one clearly closest spelling (:mod:`difflib`); anything else
is an :class:`~gisplan.errors.InputError` listing the closest entries. An alias
may name one part of a catalogue item (``光伏`` of item 90, 陆上风力发电；
太阳能发电；...): the match then carries only that part's GB codes.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from ..errors import InputError

__all__ = ["Industry", "IndustryMatch", "FLAGS", "ELEMENT_ATTRIBUTES", "element_attributes", "with_element_attributes",
           "industries", "match_industry", "selector_matches", "catalogue_label",
           "CATALOGUE_ITEMS", "suggest", "industry_candidates"]

#: Boolean attributes of an entry (columns of the table).
FLAGS = (
    "pollutes_water", "discharges_pollutants", "severe_water_pollution", "heavy_polluting", "heavy_metal",
    "linear_infrastructure", "water_supply_related", "flood_control", "research_monitoring",
    "ecological_restoration", "tourism_facility", "mining", "production_facility", "sewage_outfall",
    "national_major_eligible", "mineral_exploration", "aquaculture", "not_construction", "sewage_treatment",
    "nonpoint_farming", "hazardous_goods_storage", "building",
)
#: Attributes the element-zone clauses test (高污染燃料, VOCs, 重金属, 排水, 取用地下水): known yes, known
#: no, or unknown (``data/industry_attributes.csv``; an unknown one keeps such a clause ``review``).
ELEMENT_ATTRIBUTES = ("burns_high_pollution_fuel", "voc", "heavy_metals", "discharges_water", "uses_groundwater")
#: Boolean flags of the industry table that settle an element attribute when set (never when unset).
_ATTRIBUTE_FROM_FLAG = {"heavy_metals": "heavy_metal", "discharges_water": "pollutes_water"}
#: Items of the 2021 catalogue (建设项目环境影响评价分类管理名录（2021年版）).
CATALOGUE_ITEMS = 173
SCHEME_LABELS = {
    "gb4754_section": "GB/T 4754-2017 门类",
    "gb4754_division": "GB/T 4754-2017 大类",
    "gb4754_group": "GB/T 4754-2017 中类",
    "gb4754_class": "GB/T 4754-2017 小类",
    "eia2021": "建设项目环境影响评价分类管理名录（2021年版）",
    "gisplan": "gisplan 自定类别（非名录条目）",
}
#: When one name or alias is an entry of several schemes, a catalogue item (or a
#: gisplan kind) wins over GB/T 4754 entries; between those two it is ambiguous.
_SCHEME_RANK = {"eia2021": 0, "gisplan": 0, "gb4754_class": 1, "gb4754_group": 2, "gb4754_division": 3,
                "gb4754_section": 4}
_OLD_CODE = re.compile(r"^EIA-?\d{1,3}$")
_ITEM_REF = re.compile(r"^(?:名录第?(\d{1,3})项?|第(\d{1,3})项|EIA2021-?(\d{1,3}))$")
_CLOSE_CUTOFF = 0.6
_CLOSE_TAKE = 0.75
_CLOSE_MARGIN = 0.1


@dataclass(frozen=True)
class Industry:
    """One entry of the industry table."""

    code: str
    name: str
    scheme: str
    gb_codes: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    eia_section: str = ""
    flags: frozenset[str] = field(default_factory=frozenset)
    catalogue_item: int | None = None
    catalogue_section: str = ""
    catalogue_text: str = ""
    gb_note: str = ""
    unknown_attributes: frozenset[str] = field(default_factory=frozenset)

    @property
    def scheme_label(self) -> str:
        """The classification the entry belongs to, in Chinese."""
        return SCHEME_LABELS.get(self.scheme, self.scheme)

    def to_dict(self) -> dict:
        """Plain data for the JSON report."""
        return {"code": self.code, "name": self.name, "scheme": self.scheme, "scheme_label": self.scheme_label,
                "catalogue_item": self.catalogue_item, "catalogue_section": self.catalogue_section,
                "gb_codes": list(self.gb_codes), "attributes": sorted(self.flags),
                **({"attributes_unknown": sorted(self.unknown_attributes)} if self.unknown_attributes else {})}


def catalogue_label(industry: Industry | dict | None, lang: str = "zh") -> str:
    """Where an entry stands in the 2021 catalogue, or ``""`` for any other entry.

    Parameters
    ----------
    industry : Industry, dict or None
        An entry, or its :meth:`Industry.to_dict` (as in ``verdict.industry``).
    lang : str
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        ``名录第130项（五十二、交通运输业、管道运输业）`` or
        ``catalogue item 130 (五十二、交通运输业、管道运输业)``.

    Examples
    --------
    >>> catalogue_label(match_industry("公路").industry)
    '名录第130项（五十二、交通运输业、管道运输业）'
    >>> catalogue_label(match_industry("C26").industry)
    ''
    """
    if industry is None:
        return ""
    get = industry.get if isinstance(industry, dict) else lambda k, d=None: getattr(industry, k, d)
    item, section = get("catalogue_item"), get("catalogue_section", "") or ""
    if item is None:
        return ""
    if lang == "en":
        return f"catalogue item {item}" + (f" ({section})" if section else "")
    return f"名录第{item}项" + (f"（{section}）" if section else "")


@dataclass(frozen=True)
class IndustryMatch:
    """What :func:`match_industry` took for a query, and how."""

    query: str
    industry: Industry
    matched_by: str  # "code", "catalogue item", "name", "alias", "prefix", "close spelling"

    def to_dict(self) -> dict:
        """``{"query", "matched_by", "code", "name", "catalogue_item", ...}`` for the report."""
        return {"query": self.query, "matched_by": self.matched_by, **self.industry.to_dict()}

    def describe(self, lang: str = "zh") -> str:
        """One line such as ``等级公路（…）（名录第130项，EIA2021-130；按别名匹配「公路」）``."""
        i = self.industry
        where = catalogue_label(i, lang) if i.catalogue_item is not None else ""
        if lang == "en":
            where = f"catalogue item {i.catalogue_item}, " if where else f"{i.scheme}, "
            return f"{i.name} ({where}{i.code}; matched by {self.matched_by} from {self.query!r})"
        how = {"code": "按代码", "catalogue item": "按名录项号", "name": "按名称", "alias": "按别名",
               "prefix": "按前缀", "close spelling": "按相近写法"}
        where = f"名录第{i.catalogue_item}项，" if where else f"{i.scheme_label}，"
        return f"{i.name}（{where}{i.code}；{how.get(self.matched_by, self.matched_by)}匹配「{self.query}」）"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().upper().replace(" ", "")


@lru_cache(maxsize=1)
def industries() -> tuple[Industry, ...]:
    """All entries of the shipped table (cached)."""
    text = resources.files("gisplan.rules").joinpath("data/industries.csv").read_text(encoding="utf-8-sig")
    out = []
    for row in csv.DictReader(text.splitlines()):
        item = row.get("catalogue_item") or ""
        out.append(Industry(
            code=row["code"], name=row["name"], scheme=row["scheme"],
            gb_codes=tuple(c for c in row["gb_codes"].split(";") if c),
            aliases=tuple(a for a in row["aliases"].split(";") if a),
            eia_section=row["eia_section"],
            flags=frozenset(f for f in FLAGS if row.get(f) == "1"),
            catalogue_item=int(item) if item else None,
            catalogue_section=row.get("catalogue_section") or "",
            catalogue_text=row.get("catalogue_text") or "",
            gb_note=row.get("gb_note") or "",
        ))
    return tuple(out)


def _alias(alias: str) -> tuple[str, tuple[str, ...] | None]:
    """``光伏@D4416`` -> ``("光伏", ("D4416",))``: an alias that names one part of an item."""
    text, _, codes = alias.partition("@")
    return text, (tuple(codes.split("+")) if codes else None)


@lru_cache(maxsize=1)
def _keys() -> tuple[tuple[str, Industry, str, tuple[str, ...] | None], ...]:
    """Every name and alias: (normalised text, entry, "name" or "alias", GB codes of the part or None)."""
    out = []
    for e in industries():
        out.append((_norm(e.name), e, "name", None))
        for a in e.aliases:
            text, codes = _alias(a)
            out.append((_norm(text), e, "alias", codes))
    return tuple(out)


def _taken(query: str, entry: Industry, how: str, codes: tuple[str, ...] | None) -> IndustryMatch:
    return IndustryMatch(query, replace(entry, gb_codes=codes) if codes else entry, how)


def _listing(entries) -> str:
    return "; ".join(f"{e.code} {e.name}" for e in entries)


def _old_code_error(query: str) -> InputError:
    road = next((e for e in industries() if e.catalogue_item == 130), None)
    example = f" (公路 is {road.code})" if road else ""
    return InputError(f"{query.strip()} is gisplan's old numbering, not a catalogue item; "
                      f"catalogue items are EIA2021-<n>{example}")


def _catalogue_item(query: str, q: str) -> IndustryMatch | None:
    m = _ITEM_REF.match(q)
    if not m:
        return None
    n = int(next(g for g in m.groups() if g))
    hits = [e for e in industries() if e.catalogue_item == n]
    if not hits:
        raise InputError(f"`industry` {query!r}: the 2021 catalogue has items 1-{CATALOGUE_ITEMS}, not {n}")
    return IndustryMatch(query, hits[0], "code" if q.startswith("EIA2021") else "catalogue item")


def match_industry(query: str) -> IndustryMatch:
    """Find the industry entry a user meant.

    Parameters
    ----------
    query : str
        A code (``C26``, ``26``, ``4411``, ``EIA2021-130``), a catalogue item
        (``名录第130项``, ``名录130``, ``第130项``), a name or alias
        (``化学原料和化学制品制造业``, ``公路``, ``火电``), a prefix or a near
        spelling.

    Returns
    -------
    IndustryMatch

    Raises
    ------
    InputError
        For an ambiguous or unknown query, listing the closest entries; for
        gisplan's old codes ``EIA-001`` .. ``EIA-092``, which are no catalogue
        items.

    Examples
    --------
    >>> match_industry("公路").industry.code
    'EIA2021-130'
    >>> match_industry("名录第130项").industry.catalogue_section
    '五十二、交通运输业、管道运输业'
    >>> match_industry("光伏").industry.gb_codes
    ('D4416',)
    >>> match_industry("C26").industry.name
    '化学原料和化学制品制造业'
    """
    q = _norm(query)
    if not q:
        raise InputError("`industry` is empty; give a code or a name, e.g. C26 or 公路")
    if _OLD_CODE.match(q):
        raise _old_code_error(query)
    item = _catalogue_item(query, q)
    if item:
        return item
    table = industries()
    by_code = [e for e in table if _norm(e.code) == q or (q.isdigit() and len(e.code) > 1 and _norm(e.code)[1:] == q
                                                          and e.scheme.startswith("gb4754"))]
    if len(by_code) == 1:
        return IndustryMatch(query, by_code[0], "code")
    exact = [(e, how, codes) for k, e, how, codes in _keys() if k == q]
    if exact:
        best = min(_SCHEME_RANK[e.scheme] for e, _, _ in exact)
        exact = [x for x in exact if _SCHEME_RANK[x[0].scheme] == best]
        entries = list(dict.fromkeys(e for e, _, _ in exact))
        if len(entries) > 1:
            raise InputError(f"`industry` {query!r} is ambiguous: {_listing(entries)}")
        e, how, codes = min(exact, key=lambda x: x[1] != "name")
        return _taken(query, e, how, codes)
    prefix = [(e, codes) for k, e, _, codes in _keys() if k.startswith(q)]
    entries = list(dict.fromkeys(e for e, _ in prefix))
    if len(entries) == 1:
        parts = {codes for _, codes in prefix}
        return _taken(query, entries[0], "prefix", parts.pop() if len(parts) == 1 else None)
    if len(entries) > 1:
        raise InputError(f"`industry` {query!r} is ambiguous; it begins {len(entries)} entries: "
                         f"{_listing(entries[:8])}" + (" ..." if len(entries) > 8 else ""))
    names: dict[str, tuple[Industry, tuple[str, ...] | None]] = {}
    for k, e, _, codes in sorted(_keys(), key=lambda x: _SCHEME_RANK[x[1].scheme], reverse=True):
        names[k] = (e, codes)
    scored = sorted(((difflib.SequenceMatcher(None, q, k).ratio(), k) for k in names), reverse=True)
    close = [(s, names[k]) for s, k in scored if s >= _CLOSE_CUTOFF]
    distinct = list(dict.fromkeys(e for _, (e, _) in close))
    if close and close[0][0] >= _CLOSE_TAKE:
        top = close[0][1][0]
        others = [s for s, (e, _) in close if e is not top]
        if not others or close[0][0] - others[0] >= _CLOSE_MARGIN:
            return _taken(query, top, "close spelling", close[0][1][1])
    if distinct:
        raise InputError(f"`industry` {query!r} matches no single entry; closest: {_listing(distinct[:5])} "
                         "(`gisplan rules industries` lists them all)")
    raise InputError(f"`industry` {query!r} matches no entry and none is close "
                     "(`gisplan rules industries` lists them all; codes like C26 or names like 化学原料制造)")


def selector_matches(selector: str | list[str] | tuple[str, ...], industry: Industry) -> bool:
    """Whether an industry falls under a selector.

    A selector is a list of tokens (or one string separated by ``;``, ``,``
    ``、`` or spaces); any token matching is enough:

    - ``*``: every industry;
    - ``@flag``: an attribute such as ``@pollutes_water``; ``@a+@b``: all of them;
    - ``?attribute``: an element attribute (:data:`ELEMENT_ATTRIBUTES`) the project
      type leaves unknown (``?burns_high_pollution_fuel``);
    - a GB code prefix (``C``, ``C26``, ``D4411``): one of the entry's GB codes
      (or a GB entry's own code) starts with it (a catalogue item carries the
      GB codes printed after it);
    - a name: the entry's name or an alias.

    Examples
    --------
    >>> chem = match_industry("化工").industry
    >>> selector_matches("C26;@linear_infrastructure", chem), selector_matches("@linear_infrastructure", chem)
    (True, False)
    """
    tokens = selector if isinstance(selector, (list, tuple)) else split_tokens(selector)
    return any(all(_token_matches(part, industry) for part in str(t).split("+") if part.strip())
               for t in tokens if str(t).strip())


def _token_matches(token: str, industry: Industry) -> bool:
    t = _norm(token)
    if t == "*":
        return True
    if t.startswith("@"):
        return t[1:].lower() in industry.flags
    if t.startswith("?"):
        return t[1:].lower() in industry.unknown_attributes
    own = _norm(industry.code)
    if t == own or t in {_norm(n) for n in (industry.name, *(_alias(a)[0] for a in industry.aliases))}:
        return True
    codes = [_norm(c) for c in industry.gb_codes] + ([own] if industry.scheme.startswith("gb4754") else [])
    return t[0].isalpha() and t.isascii() and any(c.startswith(t) for c in codes)


def split_tokens(text: str) -> list[str]:
    """Split a selector string on ``;`` ``,`` ``，`` ``、`` ``；`` and whitespace."""
    import re

    return [t for t in re.split(r"[;,，、；\s]+", str(text or "")) if t]


@lru_cache(maxsize=1)
def _attribute_rows() -> tuple[dict[tuple[str, str], bool], dict[tuple[str, str], bool]]:
    """The attribute table as ``{(alias, attribute): value}`` and ``{(code prefix, attribute): value}``."""
    text = resources.files("gisplan.rules").joinpath("data/industry_attributes.csv").read_text(encoding="utf-8-sig")
    by_alias, by_code = {}, {}
    for row in csv.DictReader(text.splitlines()):
        how, _, key = row["key"].partition(":")
        target = by_alias if how == "alias" else by_code
        target[(_norm(key), row["attribute"])] = row["value"].strip() == "1"
    return by_alias, by_code


def _code_value(code: str, attribute: str, by_code: dict) -> bool | None:
    """The value of the longest code prefix with a row for ``attribute`` (None: no row)."""
    code = _norm(code)
    for n in range(len(code), 0, -1):
        value = by_code.get((code[:n], attribute))
        if value is not None:
            return value
    return None


def element_attributes(match: IndustryMatch | Industry) -> dict[str, bool | None]:
    """Each element attribute of a project type: True, False or None (unknown).

    The name typed wins (``燃煤锅炉`` burns coal although its catalogue item, heat
    supply, may burn gas); then the entry's GB codes: an attribute is known only
    when every code of the entry has the same value (a catalogue item covering
    several industries is unknown unless they agree); a set flag of the industry
    table (``heavy_metal``, ``pollutes_water``) settles it as True.

    Examples
    --------
    >>> element_attributes(match_industry("燃煤锅炉"))["burns_high_pollution_fuel"]
    True
    >>> element_attributes(match_industry("光伏"))["burns_high_pollution_fuel"]
    False
    >>> element_attributes(match_industry("房地产"))["burns_high_pollution_fuel"] is None
    True
    """
    industry = match.industry if isinstance(match, IndustryMatch) else match
    query = _norm(match.query) if isinstance(match, IndustryMatch) else ""
    by_alias, by_code = _attribute_rows()
    codes = list(industry.gb_codes) or [industry.code]
    out: dict[str, bool | None] = {}
    for attribute in ELEMENT_ATTRIBUTES:
        flag = _ATTRIBUTE_FROM_FLAG.get(attribute)
        if (query, attribute) in by_alias:
            out[attribute] = by_alias[(query, attribute)]
        elif flag and flag in industry.flags:
            out[attribute] = True
        else:
            values = {_code_value(c, attribute, by_code) for c in codes}
            out[attribute] = values.pop() if len(values) == 1 else None
    return out


def with_element_attributes(match: IndustryMatch | None) -> Industry | None:
    """The matched entry with its known-true element attributes added to its flags, unknown ones recorded.

    A selector ``@burns_high_pollution_fuel`` then matches an entry known to burn
    such fuel; :func:`gisplan.rules.access_list.judge_clause` keeps a clause
    ``review`` when it tests an attribute in ``unknown_attributes``.
    """
    if match is None:
        return None
    values = element_attributes(match)
    yes = frozenset(a for a, v in values.items() if v is True)
    unknown = frozenset(a for a, v in values.items() if v is None)
    return replace(match.industry, flags=match.industry.flags | yes, unknown_attributes=unknown)



#: How a suggestion matched, best first (:func:`suggest`).
_SUGGEST_RANK = {"code": 0, "name": 1, "alias": 1, "prefix": 2, "contains": 3, "close spelling": 4}


def suggest(query: str, limit: int = 10, *, catalogue_only: bool = False) -> list[dict]:
    """Entries whose code, name or alias match what a user is typing (a type-ahead), best first.

    Parameters
    ----------
    query : str
        What was typed so far (a code, catalogue item, part of a name or alias).
    limit : int
        Most entries returned.
    catalogue_only : bool
        Only items of the 2021 catalogue and gisplan's own kinds (no GB/T 4754 entries).

    Returns
    -------
    list of dict
        ``{"code", "name", "catalogue_item", "catalogue_section", "scheme", "scheme_label", "matched_by",
        "label"}``; ``matched_by`` is ``code``, ``name``, ``alias``, ``prefix``, ``contains`` or
        ``close spelling``; ``label`` the line a list shows (``名录第44项 EIA2021-44 基础化学原料制造；…``).
        Catalogue items come before GB/T 4754 entries of the same rank. Empty for an empty query.

    Examples
    --------
    >>> [c["code"] for c in suggest("化工")]
    ['EIA2021-44', 'EIA2021-70', 'EIA2021-42', 'EIA2021-138']
    >>> suggest("名录第130项")[0]["catalogue_item"]
    130
    """
    q = _norm(query or "")
    if not q or limit <= 0:
        return []
    found: dict[str, tuple[tuple, Industry, str]] = {}

    def take(entry: Industry, how: str) -> None:
        if catalogue_only and entry.scheme not in ("eia2021", "gisplan"):
            return
        key = (_SUGGEST_RANK[how], _SCHEME_RANK[entry.scheme], entry.catalogue_item or 10_000, entry.code)
        if entry.code not in found or key < found[entry.code][0]:
            found[entry.code] = (key, entry, how)

    m = _ITEM_REF.match(q)
    if m:
        n = int(next(g for g in m.groups() if g))
        for e in industries():
            if e.catalogue_item == n:
                take(e, "code")
    for e in industries():
        if _norm(e.code) == q:
            take(e, "code")
    for k, e, how, _ in _keys():
        if k == q:
            take(e, how)
        elif k.startswith(q):
            take(e, "prefix")
        elif q in k and not _negated(k, q):
            take(e, "contains")
    if not found:
        for k, e, _, _ in _keys():
            if difflib.SequenceMatcher(None, q, k).ratio() >= _CLOSE_CUTOFF:
                take(e, "close spelling")
    ranked = sorted(found.values(), key=lambda x: x[0])[:limit]
    return [_suggestion(e, how) for _, e, how in ranked]


def _negated(key: str, q: str) -> bool:
    """Whether every place ``q`` occurs in ``key`` follows 非 (``非公路休闲车`` is no road)."""
    at = [i for i in range(len(key)) if key.startswith(q, i)]
    return bool(at) and all(i > 0 and key[i - 1] == "非" for i in at)


def _suggestion(entry: Industry, how: str) -> dict:
    where = f"名录第{entry.catalogue_item}项 " if entry.catalogue_item is not None else ""
    return {"code": entry.code, "name": entry.name, "catalogue_item": entry.catalogue_item,
            "catalogue_section": entry.catalogue_section, "scheme": entry.scheme, "scheme_label": entry.scheme_label,
            "matched_by": how, "label": f"{where}{entry.code} {entry.name}"}


def industry_candidates(match: IndustryMatch, limit: int = 10) -> list[dict]:
    """The entries the words of a match could also mean, when they match more than one (else ``[]``).

    Only a match made by words (name, alias, prefix, close spelling) has
    candidates: a code or a catalogue item number means one entry. The
    candidates are catalogue items (and gisplan's kinds) when the entry taken is
    one, GB/T 4754 entries otherwise; the entry taken is among them, marked
    ``chosen``.

    Returns
    -------
    list of dict
        ``{"code", "name", "catalogue_item", "chosen"}``.

    Examples
    --------
    >>> [(c["code"], c["chosen"]) for c in industry_candidates(match_industry("化工"))][:2]
    [('EIA2021-44', True), ('EIA2021-70', False)]
    >>> industry_candidates(match_industry("EIA2021-44"))
    []
    """
    if match.matched_by in ("code", "catalogue item"):
        return []
    catalogue = match.industry.scheme in ("eia2021", "gisplan")
    found = [s for s in suggest(match.query, limit=limit * 3)
             if (s["scheme"] in ("eia2021", "gisplan")) == catalogue and s["matched_by"] != "close spelling"]
    if match.matched_by == "close spelling":
        found = [s for s in suggest(match.query, limit=limit * 3) if (s["scheme"] in ("eia2021", "gisplan")) == catalogue]
    codes = list(dict.fromkeys(s["code"] for s in found))
    if match.industry.code not in codes:
        codes.insert(0, match.industry.code)
    if len(codes) < 2:
        return []
    by_code = {s["code"]: s for s in found}
    chosen = match.industry
    out = [{"code": chosen.code, "name": chosen.name, "catalogue_item": chosen.catalogue_item, "chosen": True}]
    out += [{"code": c, "name": by_code[c]["name"], "catalogue_item": by_code[c]["catalogue_item"], "chosen": False}
            for c in codes if c != chosen.code][: limit - 1]
    return out
