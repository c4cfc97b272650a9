"""Findings grouped as a reviewer reads them: by the access list's four dimensions and the statutory zones.

One function, :func:`group_findings`, used by every output (the JSON
``verdict.groups``, the terminal summary, the DOCX, PDF and XLSX reports, the
web page through the JSON), so they all group, count and order alike:

- groups: the statutory zones (生态保护红线, 自然保护地, 饮用水水源保护区, and of the
  three control lines 永久基本农田, 城镇开发边界), the
  four dimensions of the access list (空间布局约束, 污染物排放管控, 环境风险防控,
  资源开发效率要求), access-list clauses without a dimension (and units whose
  list is not in the store), and the store's own limits (data range, missing
  layers);
- the group with the strictest finding comes first (prohibited, restricted,
  review, allowed), groups of equal strictness in the order above;
- inside a group, prohibited, restricted and review findings first, then
  allowed ones, each in the verdict's order;
- a finding whose decision is none of the four (``not_applicable`` 不适用, or any
  decision a later rule file adds) is folded: counted under ``not_applicable``,
  listed in ``folded``, never among the findings shown.
"""

from __future__ import annotations

from .labels import decision_words
from .rules.access_list import DIMENSION_LABELS_EN, DIMENSIONS
from .vocab import KIND_LABELS_ZH

__all__ = ["SHOWN_DECISIONS", "FOLDED", "GROUP_ORDER", "group_findings", "group_key", "group_label",
           "decision_counts_text"]

#: Decisions listed in a group, strictest first; any other decision is folded.
SHOWN_DECISIONS = ("prohibited", "restricted", "review", "allowed")
#: The count key of folded findings.
FOLDED = "not_applicable"
_RANK = {d: i for i, d in enumerate(SHOWN_DECISIONS)}
_STATUTORY = ("eco_redline", "protected_areas", "water_sources", "basic_farmland", "urban_boundary")
_EN = {"eco_redline": "ecological protection redline", "protected_areas": "protected areas",
       "water_sources": "drinking-water source protection zones", "basic_farmland": "permanent basic farmland",
       "urban_boundary": "urban development boundary", "access_other": "access list: other requirements",
       "coverage": "data range and layers"}
#: Group keys in their reading order (a kind outside these comes after them).
GROUP_ORDER = (*_STATUTORY, *DIMENSIONS, "access_other", "coverage")
_LABELS = {**{k: KIND_LABELS_ZH.get(k, k) for k in _STATUTORY}, **DIMENSIONS,
           "access_other": "准入清单其他要求", "coverage": "数据范围与图层"}


def group_key(finding: dict) -> str:
    """The group of one finding (a statutory zone kind, an access-list dimension, or another key).

    Examples
    --------
    >>> group_key({"kind": "access_list", "dimension": "risk_prevention"}), group_key({"kind": "eco_redline"})
    ('risk_prevention', 'eco_redline')
    >>> group_key({"kind": "control_units", "reason": "no_list"})
    'access_other'
    """
    kind = str(finding.get("kind") or "")
    if kind in _STATUTORY:
        return kind
    if kind in ("access_list", "control_units"):
        dimension = str(finding.get("dimension") or "")
        return dimension if dimension in DIMENSIONS else "access_other"
    if kind == "coverage" or not kind:
        return "coverage"
    return kind


def group_label(key: str, lang: str = "zh") -> str:
    """The heading of a group (``verdict.groups[].key``) in ``lang``.

    Examples
    --------
    >>> group_label("risk_prevention"), group_label("risk_prevention", "en"), group_label("air_zones")
    ('环境风险防控', 'environmental risk prevention', '大气环境管控分区')
    """
    return _label(key, lang)


def _label(key: str, lang: str) -> str:
    if lang == "en":
        return DIMENSION_LABELS_EN.get(key) or _EN.get(key) or key.replace("_", " ")
    return _LABELS.get(key) or KIND_LABELS_ZH.get(key, key)


def group_findings(findings, lang: str = "zh") -> list[dict]:
    """Group a verdict's findings (see the module docstring).

    Parameters
    ----------
    findings : list of dict or Finding
        ``verdict.findings`` (each with ``kind``, ``decision`` and, for clauses, ``dimension``).
    lang : {"zh", "en"}
        Language of the labels.

    Returns
    -------
    list of dict
        Per group: ``key``, ``label``, ``worst`` (strictest decision shown, or
        ``not_applicable`` when every finding is folded), ``counts`` (per
        decision of :data:`SHOWN_DECISIONS` and ``not_applicable``), ``findings``
        (indices into ``findings`` of the findings shown, strictest first) and
        ``folded`` (indices of the folded ones).

    Examples
    --------
    >>> g = group_findings([{"kind": "access_list", "dimension": "spatial_layout", "decision": "allowed"},
    ...                     {"kind": "eco_redline", "decision": "restricted"},
    ...                     {"kind": "access_list", "dimension": "spatial_layout", "decision": "not_applicable"},
    ...                     {"kind": "access_list", "dimension": "spatial_layout", "decision": "review"}])
    >>> [(x["label"], x["findings"], x["folded"]) for x in g]
    [('生态保护红线', [1], []), ('空间布局约束', [3, 0], [2])]
    >>> g[1]["counts"]
    {'prohibited': 0, 'restricted': 0, 'review': 1, 'allowed': 1, 'not_applicable': 1}
    """
    groups: dict[str, dict] = {}
    for i, f in enumerate(findings or []):
        key = group_key(f)
        g = groups.setdefault(key, {"key": key, "label": _label(key, lang), "worst": FOLDED,
                                    "counts": {**{d: 0 for d in SHOWN_DECISIONS}, FOLDED: 0},
                                    "findings": [], "folded": []})
        decision = str(f.get("decision") or "")
        if decision in _RANK:
            g["counts"][decision] += 1
            g["findings"].append(i)
        else:
            g["counts"][FOLDED] += 1
            g["folded"].append(i)
    for g in groups.values():
        g["findings"].sort(key=lambda i: _RANK[str(findings[i].get("decision"))])  # stable: verdict order kept
        if g["findings"]:
            g["worst"] = str(findings[g["findings"][0]].get("decision"))
    order = {k: i for i, k in enumerate(GROUP_ORDER)}
    return sorted(groups.values(), key=lambda g: (_RANK.get(g["worst"], len(_RANK)), order.get(g["key"], len(order)),
                                                  g["key"]))


def decision_counts_text(counts: dict, lang: str = "zh") -> str:
    """Counts per decision as one short phrase, zeros left out (``限制准入 1 条，需人工核对 4 条，不适用 3 条``).

    Examples
    --------
    >>> decision_counts_text({"prohibited": 0, "restricted": 1, "review": 4, "allowed": 0, "not_applicable": 3})
    '限制准入 1 条，需人工核对 4 条，不适用 3 条'
    """
    parts = []
    for d in (*SHOWN_DECISIONS, FOLDED):
        n = int(counts.get(d) or 0)
        if not n:
            continue
        if lang == "en":
            word = "not applicable" if d == FOLDED else d
            parts.append(f"{word} {n}")
        else:
            word = "不适用" if d == FOLDED else decision_words(d, "zh").split("（")[0]
            parts.append(f"{word} {n} 条")
    return ("，" if lang != "en" else ", ").join(parts)
