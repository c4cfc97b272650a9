"""The verdict: may this project be built here, and by which clause or rule.

For each control unit the site occupies, the access-list clauses of the unit
and of every tier above it (:class:`gisplan.rules.access_list.AccessList`);
for each redline, protected-area and water-source zone it occupies, the
statutory rule for the project type (:mod:`gisplan.rules.statutory`). Each
finding has a decision:

- ``prohibited``: a rule or clause forbids this project type here;
- ``restricted``: allowed with conditions (approval, demonstration, limits);
- ``review``: a text clause a machine cannot judge, a zone hit without a
  project type, a unit without a list in the store, or land outside coverage;
- ``allowed``: a rule or clause that applies to this project type allows it;
- ``not_applicable``: the clause or rule does not concern this project type
  (it names another industry, zone or attribute). Never "complies".

The overall verdict is the strictest finding (prohibited > restricted >
review > allowed > not_applicable); ``deciding`` names the findings that set
it. ``not_applicable`` findings are counted apart and never make the overall
verdict: when nothing but them was found (no rule or clause applies), the
overall verdict is ``review`` with a finding saying so
(``verdict:nothing_applies``), never ``allowed``.

:class:`VerdictEngine` decides units and zones for one project type;
:func:`gisplan.rules.decide.decide` puts a site's verdict together from them
(the one function single screenings and batches share).
"""

from __future__ import annotations

from ._lazy import lazy_module
from .constants import MIN_OVERLAP_M2
from .errors import InputError
from .labels import DECISION_LABELS as _WORDS
from .rules.access_list import (
    DIMENSION_LABELS_EN,
    DIMENSIONS,
    TIER_LABELS_ZH,
    AccessList,
    judge_clause,
    mentions,
)
from .rules.element_zones import ElementSite, StoreElements, adjust_finding
from .rules.industry import IndustryMatch, match_industry, with_element_attributes
from .rules.statutory import FOLLOW_UP_DECISIONS, RuleSet, ZoneRule, default_rules
from .vocab import UNZONED, strictest_zone_for_unzoned
from .vocab import (
    CATEGORY_LABELS_ZH,
    KIND_LABELS_ZH,
    LEVEL_LABELS_ZH,
    OPTIONAL,
    PA_LEVEL_LABELS_ZH,
    PA_TYPE_LABELS_ZH,
    PLANNING_KINDS,
    URBAN_OUTSIDE_ZONE,
    ZONE_LABELS_ZH,
)

pd = lazy_module("pandas")  # frames for single screenings and access lists; a batch without them never loads it

__all__ = [
    "VerdictEngine", "missing_layer_findings", "strictest", "DECISIONS", "DECISION_LABELS",
    "PROHIBITED", "RESTRICTED", "REVIEW", "ALLOWED", "NOT_APPLICABLE", "CONFLICT", "CLEAR", "MIN_OVERLAP_M2",
    "OWN_LAW_KINDS", "follows_own_law", "overall_decision", "nothing_applies_finding", "zone_finding_key",
    "URBAN_OUTSIDE_NAME",
]

PROHIBITED, RESTRICTED, REVIEW, ALLOWED = "prohibited", "restricted", "review", "allowed"
NOT_APPLICABLE = "not_applicable"
DECISIONS = (PROHIBITED, RESTRICTED, REVIEW, ALLOWED, NOT_APPLICABLE)
_RANK = {NOT_APPLICABLE: -1, ALLOWED: 0, REVIEW: 1, RESTRICTED: 2, PROHIBITED: 3}
#: The words of each decision (one wording everywhere: :mod:`gisplan.labels`).
DECISION_LABELS = {lang: {d: _WORDS[lang][d] for d in DECISIONS} for lang in ("zh", "en")}
_ZONE_WORDS = {**ZONE_LABELS_ZH, **LEVEL_LABELS_ZH}
#: Zone kinds that follow their own laws inside the redline (自然资发〔2022〕142号 一、（一）).
OWN_LAW_KINDS = ("protected_areas", "water_sources")
#: Kept for callers of the area-only verdict of issue 2 (no longer produced).
CONFLICT = "conflict"
CLEAR = "clear"
_NO_LIST = "该环境管控单元的生态环境准入清单未入库，须对照发布的准入清单逐条核对。"
_NO_LIST_EN = "No access list for this unit in the store: check the published list clause by clause."


_MISSING = "库内缺少{label}图层，无法判定项目与其关系，须人工核对。"
_MISSING_EN = "The store has no {kind} layer: the site cannot be checked against it; review."


def missing_layer_findings(kinds) -> list[dict]:
    """One ``review`` finding per layer kind the store lacks: a verdict never says ``allowed`` without it.

    Parameters
    ----------
    kinds : iterable of str
        Layer kinds (:data:`gisplan.vocab.KINDS`) missing from the store.

    Returns
    -------
    list of dict
        Findings with id ``layer:<kind>:missing``.
    """
    return [{"kind": "coverage", "name": f"缺少图层：{KIND_LABELS_ZH.get(k, k)}", "zone": "missing_layer",
             "zone_label": "图层缺失", "decision": REVIEW, "rule": _MISSING.format(label=KIND_LABELS_ZH.get(k, k)),
             "rule_en": _MISSING_EN.format(kind=k), "citation": "", "source": "", "article": "",
             "id": f"layer:{k}:missing", "tier": "", "dimension": "", "dimension_label": "", "reason": "missing_layer",
             "overlap_m2": 0.0} for k in kinds]


def strictest(decisions) -> str:
    """The strictest of some decisions (``allowed`` for none; ``not_applicable`` only when all are)."""
    return max(decisions, key=_RANK.__getitem__, default=ALLOWED)


def overall_decision(decisions) -> str:
    """The overall verdict of some findings' decisions: the strictest, but never from ``not_applicable`` alone.

    When no decision other than ``not_applicable`` is there (nothing applies to
    the project, or nothing was found), the answer is ``review``: what did not
    apply is no evidence of compliance.

    Examples
    --------
    >>> overall_decision(["not_applicable", "allowed"]), overall_decision(["not_applicable"]), overall_decision([])
    ('allowed', 'review', 'review')
    """
    decisions = list(decisions)
    best = strictest(decisions)
    return REVIEW if best == NOT_APPLICABLE or not decisions else best


_NOTHING = ("未发现适用于本项目类型的规则或条款：所涉准入清单条款和法定管控规则均不涉及本项目类型（不适用）。"
            "不适用不等于相符，须人工核对本项目是否另受其他要求约束。")
_NOTHING_EN = ("No rule or clause applies to this project type: every access-list clause and statutory rule weighed "
               "concerns other types (not applicable). Not applicable is not compliance: check what else may bind it.")


#: The name of the finding on a site's part outside every urban-boundary feature.
URBAN_OUTSIDE_NAME = "城镇开发边界外"


def zone_finding_key(rule_id: str, kind: str, name: str, zone: str) -> str:
    """The id of a zone feature's finding in a verdict: one per rule and feature, or, for the planning kinds
    (basic farmland, urban boundary: often many small features), one per rule and zone.

    Examples
    --------
    >>> zone_finding_key("redline.default", "eco_redline", "长白山红线", "redline")
    'redline.default@eco_redline:长白山红线:redline'
    >>> zone_finding_key("farmland.default", "basic_farmland", "2224050001", "farmland")
    'farmland.default@basic_farmland:*:farmland'
    """
    return f"{rule_id}@{kind}:{'*' if kind in PLANNING_KINDS else name}:{zone}"


def nothing_applies_finding() -> dict:
    """The ``review`` finding of a verdict whose findings are all ``not_applicable`` (or none)."""
    return {"kind": "coverage", "name": "未发现适用条款", "zone": "nothing_applies", "zone_label": "无适用条款",
            "decision": REVIEW, "rule": _NOTHING, "rule_en": _NOTHING_EN, "citation": "", "source": "", "article": "",
            "id": "verdict:nothing_applies", "tier": "", "dimension": "", "dimension_label": "",
            "reason": "nothing_applies"}


def _text(value) -> str:
    """A text attribute, or ``""`` for None / NaN / other values."""
    return value if isinstance(value, str) else ""


def _at(values: tuple, i: int):
    """``values[i]``, or None past its end."""
    return values[i] if len(values) > i else None


#: Protected-area types inside the redline that follow their own laws: 142号 一、（一） names
#: 自然保护区、风景名胜区 (an area of unknown type is judged as a reserve, see :func:`follows_own_law`).
OWN_LAW_PA_TYPES = ("nature_reserve", "scenic_area")
#: Water-source levels that are 饮用水水源保护区: levels 1 and 2 (水污染防治法 art. 63 para. 1 draws the
#: quasi zone 在饮用水水源保护区外围, outside them).
OWN_LAW_WATER_LEVELS = ("level1", "level2")


def follows_own_law(kind: str, pa_type: str | None = None, zone: str | None = None) -> bool:
    """Whether a zone inside the redline follows its own laws instead of the redline's (142号 一、（一））.

    The notice names nature reserves, scenic areas and drinking-water source zones
    ("等区域"); other protected-area types (national parks, forest or wetland
    parks ...) are not named, so inside the redline both the redline's and their
    own rules apply. A protected area of unknown type counts as a nature reserve,
    as everywhere else. The drinking-water source protection zones are levels 1
    and 2: the quasi zone lies outside them (水污染防治法 art. 63 para. 1), so in
    a quasi zone inside the redline the redline's rules decide and art. 67
    applies beside them.

    Parameters
    ----------
    kind : str
        Layer kind.
    pa_type : str, optional
        A protected area's type.
    zone : str, optional
        A water-source zone's level (``level1``, ``level2``, ``quasi``); an
        unknown level does not follow its own law (the redline decides).

    Examples
    --------
    >>> follows_own_law("water_sources", zone="level2"), follows_own_law("water_sources", zone="quasi")
    (True, False)
    >>> follows_own_law("protected_areas", "forest_park"), follows_own_law("protected_areas", None)
    (False, True)
    """
    if kind == "water_sources":
        return zone in OWN_LAW_WATER_LEVELS
    return kind == "protected_areas" and (not pa_type or pa_type in OWN_LAW_PA_TYPES)


def _as_match(industry) -> IndustryMatch | None:
    if industry is None or industry == "":
        return None
    if isinstance(industry, IndustryMatch):
        return industry
    return match_industry(str(industry))


class VerdictEngine:
    """Decides units and zones for one project type against one store (cached per unit/zone).

    Parameters
    ----------
    store : Store or None
        Source of the access list and the unit attributes tiers match on.
    industry : str, IndustryMatch or None
        The project type; None gives area-based ``review`` findings.
    rules : RuleSet, optional
        Statutory rules (default: the shipped file).
    access : AccessList, optional
        Clauses (default: the store's ``gisplan_access_list``).
    national_major : bool or None
        Whether the project is a national major project (国家重大项目, part 二 of
        自然资发〔2022〕142号); None (the default) when unknown.
    """

    def __init__(self, store=None, industry=None, *, rules: RuleSet | None = None, access: AccessList | None = None,
                 national_major: bool | None = None):
        if national_major not in (None, True, False):
            raise InputError(f"national_major must be True, False or None, got {national_major!r}")
        self.national_major = national_major
        self.match = _as_match(industry)
        self.industry = with_element_attributes(self.match)  # + burns_high_pollution_fuel, voc ... when known
        self.rules = rules or default_rules()
        self.access = access if access is not None else (AccessList.from_store(store) if store is not None else None)
        self._units_frame = None
        self._store = store
        self._unit_cache: dict[str, list[dict]] = {}
        self._zone_cache: dict[tuple[str, str], dict] = {}
        self._elements: StoreElements | None = None
        self._rules_info: dict | None = None

    # -- element zones ------------------------------------------------------------
    def store_elements(self) -> StoreElements:
        """The store's element layers and the zone types they hold (read once)."""
        if self._elements is None:
            self._elements = StoreElements.from_store(self._store)
        return self._elements

    def element_findings(self, found: list[dict], site: ElementSite | None) -> list[dict]:
        """Unit findings with their element-zone clauses decided by where the site lies, and their follow-up.

        A clause finding that ends ``prohibited`` or ``restricted`` carries
        ``follow_up`` (the rules file's text for access-list clauses of that
        decision); any other has none.
        """
        if any(f.get("element_zone") for f in found):
            elements = self.store_elements()
            found = [adjust_finding(f, site, elements) for f in found]
        return [self._access_follow_up(f) for f in found]

    def _access_follow_up(self, finding: dict) -> dict:
        then = self.rules.access_follow_up(finding.get("decision", "")) if finding.get("kind") == "access_list" else ""
        if then:
            return dict(finding, follow_up=then)
        if "follow_up" in finding:
            return {k: v for k, v in finding.items() if k != "follow_up"}
        return finding

    def statutory_element_findings(self, site: ElementSite | None) -> list[dict]:
        """The statutory findings of the element zones the site lies in (e.g. a no-burn zone, 大气污染防治法 art. 38).

        One finding per zone type the rules file has rules for (``resource_zones``
        ``no_burn`` ...) and the site overlaps by more than
        :data:`MIN_OVERLAP_M2`; none without a computed site.
        """
        if site is None:
            return []
        out = []
        for kind, zone, overlap in site.zones:
            zr = self.rules.get(kind, zone)
            if zr is None or overlap <= MIN_OVERLAP_M2:
                continue
            key = (kind, zone)
            if key not in self._zone_cache:
                self._zone_cache[key] = self._decided(zr, kind, zone)
            f = {"kind": kind, "name": zr.label, "zone": zone, "zone_label": zr.label, "tier": "statutory",
                 "dimension": "", "dimension_label": "", **self._zone_cache[key], "overlap_m2": float(overlap)}
            out.append(dict(f, id=f"{f['id']}@{kind}:{zone}", rule_id=f["id"]))
        return out

    # -- units ------------------------------------------------------------------
    def _unit_attrs(self, feature_id: int | None, fallback: dict) -> dict:
        if feature_id is None or self._store is None or not self._store.has("control_units"):
            return fallback
        if self._units_frame is None:  # feature id -> text attributes (read without frames where the store can)
            lean = getattr(self._store, "text_attributes", None)
            if lean is not None:
                self._units_frame = lean("control_units")
            else:
                frame = self._store.read("control_units")
                records = frame.drop(columns=frame.geometry.name).to_dict("records")
                self._units_frame = {int(i): {k: v for k, v in r.items() if isinstance(v, str)}
                                     for i, r in zip(frame.index.tolist(), records)}
        return dict(self._units_frame[int(feature_id)])

    def unit_findings(self, code: str, name: str, category: str, county: str = "", feature_id: int | None = None) -> list[dict]:
        """Findings of one unit: one per applicable clause, or one ``review`` when it has none."""
        if code in self._unit_cache:
            return self._unit_cache[code]
        clauses = []
        if self.access is not None:  # tiers may match any text attribute of the unit (PROV, CITY, basin ...)
            unit = self._unit_attrs(feature_id, {"code": code, "name": name, "category": category, "county": county})
            unit.update(code=code, category=category)
            clauses = self.access.for_unit(unit)
        if not clauses:
            found = [{
                "kind": "control_units", "name": name, "zone": category,
                "zone_label": CATEGORY_LABELS_ZH.get(category, category), "decision": REVIEW,
                "rule": _NO_LIST, "rule_en": _NO_LIST_EN, "citation": "", "source": "", "article": "",
                "id": f"unit:{code}:no_list", "tier": "unit", "dimension": "", "dimension_label": "",
                "units": [code], "reason": "no_list", "demo": False,
            }]
        else:
            found = []
            for c in clauses:
                decision, reason = judge_clause(c, self.industry)
                found.append({
                    "kind": "access_list", "name": c.scope_name or c.scope, "zone": c.tier,
                    "zone_label": TIER_LABELS_ZH.get(c.tier, c.tier) + ("·" + CATEGORY_LABELS_ZH[c.category] if c.category else ""),
                    "decision": decision, "rule": c.text, "citation": f"{c.source}{(' ' + c.article) if c.article else ''}",
                    "source": c.source, "article": c.article, "id": c.clause_id, "tier": c.tier,
                    "dimension": c.dimension, "dimension_label": DIMENSIONS.get(c.dimension, c.dimension),
                    "dimension_label_en": DIMENSION_LABELS_EN.get(c.dimension, c.dimension),
                    "units": [code], "reason": reason, "demo": c.demo,
                    "mentions_industry": mentions(c.text, self.industry),
                    **({"element_zone": c.element_zone} if c.element_zone else {}),
                })
        self._unit_cache[code] = found
        return found

    def unit_decision(self, code: str, **kw) -> str:
        """The strictest decision of a unit's clauses."""
        return strictest(f["decision"] for f in self.unit_findings(code, **kw))

    # -- zones ------------------------------------------------------------------
    def zone_finding(self, kind: str, name: str, zone: str, zone_label: str = "", *,
                     pa_type: str | None = None, pa_level: str | None = None) -> dict:
        """The statutory finding of one zone feature for the project type.

        For a protected area the rules are those of its type (``pa_type``): the
        reserve regulations' zones apply to nature reserves, the two-zone rules
        to national parks and reserves, a nature park (forest, wetland, scenic
        area ...) is judged by its type's whole-area rules whatever zone the
        delivery names; an area of unknown type is judged by its zone's rules.
        Rules that differ by level (a national reserve's core zone) use
        ``pa_level``. An area delivered without internal zones (``unzoned``) is
        judged as the strictest zone of its type (a nature reserve's core zone),
        and the finding says that the zoning is not in the store: nothing is
        allowed by omission.
        """
        if kind == "protected_areas":
            return self._protected_finding(name, zone, zone_label, _text(pa_type), _text(pa_level))
        key = (kind, zone)
        if key not in self._zone_cache:
            zr = self.rules.get(kind, zone)
            self._zone_cache[key] = self._decided(zr, kind, zone)
        base = self._zone_cache[key]
        return {"kind": kind, "name": name, "zone": zone, "zone_label": zone_label or zone,
                "tier": "statutory", "dimension": "", "dimension_label": "", **base}

    def _decided(self, zr, kind: str, zone: str, pa_level: str = "", missing: str = "", pa_type: str = "",
                 delivered_zone: str = "") -> dict:
        """The finding fields of one zone's rules for the project type (``review`` when the file has none)."""
        if zr is None:
            what = missing or f"{kind}/{zone}"
            return {"decision": REVIEW, "rule": f"规则文件未载 {what} 的管控规则，须人工核对。",
                    "rule_en": f"No statutory rule for {kind}/{zone}: review.", "citation": "",
                    "source": "", "article": "", "id": f"{kind}.{zone}.missing", "reason": "no_rule"}
        rule = zr.decide(self.industry, self.national_major, pa_level or None, pa_type=pa_type or None,
                         zone=delivered_zone or zone)
        reason = "no_industry" if self.industry is None else "national_major" if ".national_major" in rule.id \
            else "rule"
        return {**_rule_fields(rule), "reason": reason}

    def _protected_finding(self, name: str, zone: str, zone_label: str, pa_type: str, pa_level: str) -> dict:
        """:meth:`zone_finding` of a protected area, by its type and level."""
        judged = strictest_zone_for_unzoned(pa_type) if zone == UNZONED else zone
        key = ("protected_areas", zone, pa_type, pa_level)
        if key not in self._zone_cache:
            zr, how = self.rules.for_protected_area(judged, pa_type)
            type_label = PA_TYPE_LABELS_ZH.get(pa_type, pa_type)
            base = self._decided(zr, "protected_areas", judged, pa_level,
                                 missing=f"{type_label}{_ZONE_WORDS.get(judged, judged)}", pa_type=pa_type,
                                 delivered_zone=zone)
            note = note_en = ""
            if zone == UNZONED:
                label = _ZONE_WORDS.get(judged, judged) if how == "zone" else f"{zr.label if zr else type_label}整体"
                how_judged = f"按最严格的{label}判定" if how == "zone" else f"按{label}的规定判定"
                if how == "zone" and judged == "core":  # a reserve: the regulations say so themselves
                    how_judged += "（《中华人民共和国自然保护区条例》第三十条：自然保护区的内部未分区的，依照本条例有关核心区和缓冲区的规定管理）"
                note = f"库内该自然保护地未载功能分区（整体边界），{how_judged}；须按批准的功能分区核对。"
                note_en = (f"The store holds no internal zoning for this protected area: judged as "
                           f"{'its strictest zone (' + judged + ')' if how == 'zone' else 'the whole ' + pa_type}; "
                           "check against the approved zoning. ")
            elif how == "type":
                note = (f"该保护地为{type_label}：{_ZONE_WORDS.get(zone, zone_label or zone)}的分区管控规定不适用于该类型，"
                        f"按{zr.label}的规定判定。")
                note_en = (f"This protected area is a {pa_type}: the zone rules for {zone} are not its law; "
                           f"judged by the rules for the {zr.label_en}. ")
            if note:
                base = dict(base, rule=note + base.get("rule", ""), rule_en=note_en + (base.get("rule_en") or ""))
            if zone == UNZONED:
                base = dict(base, reason="unzoned", judged_as=judged)
            self._zone_cache[key] = base
        out = {"kind": "protected_areas", "name": name, "zone": zone,
               "zone_label": zone_label or ZONE_LABELS_ZH.get(zone, zone),
               "tier": "statutory", "dimension": "", "dimension_label": "", **self._zone_cache[key]}
        if pa_type or pa_level:
            out.update(pa_type=pa_type, pa_level=pa_level,
                       pa_label=PA_LEVEL_LABELS_ZH.get(pa_level, pa_level) + PA_TYPE_LABELS_ZH.get(pa_type, pa_type))
        return out

    def own_law_finding(self, finding: dict, rest_m2: float | None, own_zones) -> dict:
        """A redline finding, limited to the part of the site not in zones that follow their own laws.

        自然资发〔2022〕142号 一、（一）: nature reserves, scenic areas and water-source
        zones inside the redline follow their own laws. ``rest_m2`` is the area of
        (site ∩ redline) outside those zones (None: not computed, the finding
        stays as it is); ``own_zones`` the ``(kind, name, zone[, pa_type, pa_level])``
        of the zones covering the rest of it (see :func:`follows_own_law`). When the rest is below :data:`MIN_OVERLAP_M2` the
        finding is replaced by one saying the zones' own laws decide, with the
        strictest decision of those zones' findings; otherwise the redline
        finding stays, for ``rest_m2`` only.
        """
        own_zones = [tuple(z) for z in (own_zones or ())]
        if rest_m2 is None or not own_zones or finding.get("kind") != "eco_redline":
            return finding
        zr = self.rules.get("eco_redline", finding.get("zone", "redline"))
        names = "、".join(dict.fromkeys(f"{z[1]}{_ZONE_WORDS.get(z[2], z[2])}" for z in own_zones))
        if rest_m2 > MIN_OVERLAP_M2:
            within = float(finding.get("overlap_m2", 0.0)) - float(rest_m2)
            note = f"（项目在红线内另有 {within / 1e4:.4f} ha 位于{names}内，依照其法律法规执行，见该区域的判定）"
            return dict(finding, overlap_m2=float(rest_m2), rule=f"{finding.get('rule', '')}{note}", own_law_m2=within)
        decided = [self.zone_finding(*z[:3], pa_type=_at(z, 3), pa_level=_at(z, 4)) for z in own_zones]
        if zr is None or zr.own_law is None:
            return finding
        own = _rule_fields(zr.own_law)
        worst = max(decided, key=lambda f: _RANK[f["decision"]])
        own.update(decision=worst["decision"], rule=f"{own['rule']}（涉及：{names}）", reason="own_law",
                   own_law_m2=float(finding.get("overlap_m2", 0.0)))
        if worst.get("follow_up") and worst["decision"] in FOLLOW_UP_DECISIONS:
            own["follow_up"] = f"{worst['follow_up']}（依{worst.get('name', '')}{worst.get('zone_label', '')}的判定）"
        return {**{k: v for k, v in finding.items() if k != "follow_up"}, **own}

    def rules_info(self) -> dict:
        """The verdict's ``rules``: the statutory rules file and the access list weighed (read once)."""
        if self._rules_info is None:
            self._rules_info = {
                "statutory": self.rules.describe(),
                "access_list_clauses": len(self.access) if self.access is not None else 0,
                "access_list_demo": bool(self.access is not None and self.access.has_demo())}
        return dict(self._rules_info)


def _rule_fields(rule: ZoneRule) -> dict:
    """The finding keys of a statutory rule: decision, texts, citation and its quoted words.

    A ``prohibited`` or ``restricted`` rule adds ``follow_up``: what follows from
    it for the applicant and the reviewer (from the rules file).
    """
    out = {"decision": rule.decision, "rule": rule.text, "rule_en": rule.text_en, "citation": rule.citation,
           "source": rule.source, "article": rule.article, "id": rule.id, "verified": rule.verified,
           "quote": rule.quote, "citations": [c.to_dict() for c in rule.cites]}
    if rule.decision in FOLLOW_UP_DECISIONS and rule.follow_up:
        out["follow_up"] = rule.follow_up
    return out


def urban_outside_hit(outside_m2: float) -> dict:
    """The hit row the verdict weighs for a site's part outside every urban-boundary feature."""
    return {"kind": "urban_boundary", "name": URBAN_OUTSIDE_NAME, "zone": URBAN_OUTSIDE_ZONE,
            "zone_label": URBAN_OUTSIDE_NAME, "overlap_m2": float(outside_m2), "code": ""}


def present_optional_columns(store, kind: str) -> list[str]:
    """The optional attribute columns (:data:`gisplan.vocab.OPTIONAL`) a store's layer has.

    Stores built before a field was added lack its column; they still screen,
    with the field taken as unknown.
    """
    wanted = OPTIONAL.get(kind, ())
    if not wanted:
        return []
    present = set(store.layer_columns(kind))
    out = [c for c in wanted if c in present]
    return out


def kind_label(kind: str, lang: str = "zh") -> str:
    """Chinese or English label of a finding kind."""
    if lang == "en":
        return {"access_list": "access list", "coverage": "coverage"}.get(kind, kind.replace("_", " "))
    return {"access_list": "准入清单", "coverage": "覆盖范围"}.get(kind, KIND_LABELS_ZH.get(kind, kind))
