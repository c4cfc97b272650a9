"""Project types: GB/T 4754-2017 industries and EIA catalogue (2021) categories.

The table ``data/industries.csv`` holds the 20 sections and all 97 two-digit
divisions of the national economic industry classification (GB/T 4754-2017),
common groups and classes, and the categories of the EIA classification
catalogue (建设项目环境影响评价分类管理名录, 2021) a reviewer types, each with
the GB codes it falls under and the attributes the statutory rules and access
lists test (``pollutes_water``, ``linear_infrastructure`` ...).

:func:`match_industry` turns what a user typed into one entry: exact code,
exact name or alias, a unique prefix, or one clearly closest spelling
(:mod:`difflib`); anything else is an :class:`~gisplan.errors.InputError`
listing the closest entries.
"""

from __future__ import annotations

import csv
import difflib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from ..errors import InputError

__all__ = ["Industry", "IndustryMatch", "FLAGS", "industries", "match_industry", "selector_matches"]

#: Boolean attributes of an entry (columns of the table).
FLAGS = (
    "pollutes_water", "discharges_pollutants", "severe_water_pollution", "heavy_polluting", "heavy_metal",
    "linear_infrastructure", "water_supply_related", "flood_control", "research_monitoring",
    "ecological_restoration", "tourism_facility", "mining", "production_facility", "sewage_outfall",
    "national_major_eligible", "mineral_exploration", "aquaculture", "not_construction", "sewage_treatment",
)
SCHEME_LABELS = {
    "gb4754_section": "GB/T 4754-2017 门类",
    "gb4754_division": "GB/T 4754-2017 大类",
    "gb4754_group": "GB/T 4754-2017 中类",
    "gb4754_class": "GB/T 4754-2017 小类",
    "eia2021": "建设项目环境影响评价分类管理名录（2021年版）",
}
#: When one name is an entry of several schemes, the catalogue category wins.
_SCHEME_RANK = {"eia2021": 0, "gb4754_class": 1, "gb4754_group": 2, "gb4754_division": 3, "gb4754_section": 4}
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

    @property
    def scheme_label(self) -> str:
        """The classification the entry belongs to, in Chinese."""
        return SCHEME_LABELS.get(self.scheme, self.scheme)

    def to_dict(self) -> dict:
        """Plain data for the JSON report."""
        return {"code": self.code, "name": self.name, "scheme": self.scheme, "scheme_label": self.scheme_label,
                "gb_codes": list(self.gb_codes), "attributes": sorted(self.flags)}


@dataclass(frozen=True)
class IndustryMatch:
    """What :func:`match_industry` took for a query, and how."""

    query: str
    industry: Industry
    matched_by: str  # "code", "name", "alias", "prefix", "close spelling"

    def to_dict(self) -> dict:
        """``{"query", "matched_by", "code", "name", ...}`` for the report."""
        return {"query": self.query, "matched_by": self.matched_by, **self.industry.to_dict()}

    def describe(self, lang: str = "zh") -> str:
        """One line such as ``化学原料制造 (EIA-020, 名录2021; 按名称)``."""
        i = self.industry
        if lang == "en":
            return f"{i.name} ({i.code}, {i.scheme}; matched by {self.matched_by} from {self.query!r})"
        how = {"code": "按代码", "name": "按名称", "alias": "按别名", "prefix": "按前缀", "close spelling": "按相近写法"}
        return f"{i.name}（{i.code}，{i.scheme_label}；{how.get(self.matched_by, self.matched_by)}匹配「{self.query}」）"


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).strip().upper().replace(" ", "")


@lru_cache(maxsize=1)
def industries() -> tuple[Industry, ...]:
    """All entries of the shipped table (cached)."""
    text = resources.files("gisplan.rules").joinpath("data/industries.csv").read_text(encoding="utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        out.append(Industry(
            code=row["code"], name=row["name"], scheme=row["scheme"],
            gb_codes=tuple(c for c in row["gb_codes"].split(";") if c),
            aliases=tuple(a for a in row["aliases"].split(";") if a),
            eia_section=row["eia_section"],
            flags=frozenset(f for f in FLAGS if row.get(f) == "1"),
        ))
    return tuple(out)


def _pick(entries: list[Industry]) -> list[Industry]:
    best = min(_SCHEME_RANK[e.scheme] for e in entries)
    return [e for e in entries if _SCHEME_RANK[e.scheme] == best]


def _listing(entries) -> str:
    return "; ".join(f"{e.code} {e.name}" for e in entries)


def match_industry(query: str) -> IndustryMatch:
    """Find the industry entry a user meant.

    Parameters
    ----------
    query : str
        A code (``C26``, ``26``, ``4411``, ``EIA-020``), a name or alias
        (``化学原料制造``, ``火电``), a prefix (``光伏``) or a near spelling.

    Returns
    -------
    IndustryMatch

    Raises
    ------
    InputError
        For an ambiguous or unknown query, listing the closest entries.

    Examples
    --------
    >>> match_industry("化学原料制造").industry.code
    'EIA-020'
    >>> match_industry("C26").industry.name
    '化学原料和化学制品制造业'
    """
    q = _norm(query)
    if not q:
        raise InputError("--industry is empty; give a code or a name, e.g. C26 or 化学原料制造")
    table = industries()
    by_code = [e for e in table if _norm(e.code) == q or (q.isdigit() and len(e.code) > 1 and _norm(e.code)[1:] == q)]
    if len(by_code) == 1:
        return IndustryMatch(query, by_code[0], "code")
    for how, key in (("name", lambda e: (e.name,)), ("alias", lambda e: e.aliases)):
        hits = [e for e in table if q in {_norm(k) for k in key(e)}]
        if hits:
            hits = _pick(hits)
            if len(hits) == 1:
                return IndustryMatch(query, hits[0], how)
            raise InputError(f"--industry {query!r} is ambiguous: {_listing(hits)}")
    prefix = [e for e in table if _norm(e.name).startswith(q) or any(_norm(a).startswith(q) for a in e.aliases)]
    if len(prefix) == 1:
        return IndustryMatch(query, prefix[0], "prefix")
    if len(prefix) > 1:
        raise InputError(f"--industry {query!r} is ambiguous; it begins {len(prefix)} entries: {_listing(prefix[:8])}"
                         + (" ..." if len(prefix) > 8 else ""))
    names: dict[str, Industry] = {}
    for e in sorted(table, key=lambda e: _SCHEME_RANK[e.scheme], reverse=True):
        for k in (e.name, *e.aliases):
            names[_norm(k)] = e
    scored = sorted(((difflib.SequenceMatcher(None, q, k).ratio(), k) for k in names), reverse=True)
    close = [(s, names[k]) for s, k in scored if s >= _CLOSE_CUTOFF]
    distinct = list(dict.fromkeys(e for _, e in close))
    if close and close[0][0] >= _CLOSE_TAKE:
        others = [s for s, e in close if e is not close[0][1]]
        if not others or close[0][0] - others[0] >= _CLOSE_MARGIN:
            return IndustryMatch(query, close[0][1], "close spelling")
    if distinct:
        raise InputError(f"--industry {query!r} matches no single entry; closest: {_listing(distinct[:5])} "
                         "(`gisplan rules industries` lists them all)")
    raise InputError(f"--industry {query!r} matches no entry and none is close "
                     "(`gisplan rules industries` lists them all; codes like C26 or names like 化学原料制造)")


def selector_matches(selector: str | list[str] | tuple[str, ...], industry: Industry) -> bool:
    """Whether an industry falls under a selector.

    A selector is a list of tokens (or one string separated by ``;``, ``,``
    ``、`` or spaces); any token matching is enough:

    - ``*``: every industry;
    - ``@flag``: an attribute such as ``@pollutes_water``; ``@a+@b``: all of them;
    - a GB code prefix (``C``, ``C26``, ``D4411``): the entry's code or one of
      its GB codes starts with it (an EIA category carries its GB codes);
    - a name: the entry's name or an alias.

    Examples
    --------
    >>> chem = match_industry("化学原料制造").industry
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
    own = _norm(industry.code)
    if t == own or t in {_norm(n) for n in (industry.name, *industry.aliases)}:
        return True
    codes = [_norm(c) for c in industry.gb_codes] + ([own] if industry.scheme != "eia2021" else [])
    return t[0].isalpha() and t.isascii() and any(c.startswith(t) for c in codes)


def split_tokens(text: str) -> list[str]:
    """Split a selector string on ``;`` ``,`` ``，`` ``、`` ``；`` and whitespace."""
    import re

    return [t for t in re.split(r"[;,，、；\s]+", str(text or "")) if t]
