"""Statutory zone rules (redline, nature-reserve zones, water-source levels) as data.

The rules live in ``data/statutory_rules.yaml`` (versioned); this module loads
and checks them and decides one zone for one project type.

Every rule carries its citations: the document (title and edition), the
article, the exact words it relies on (``quote``) and whether those words were
checked against the original text kept in ``docs/reference/`` (``verified``).
A rule is verified only when all its citations are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import InputError
from ..vocab import PA_TYPE_GROUP, PA_TYPE_LABELS_ZH
from .industry import Industry, selector_matches

__all__ = ["Cite", "ZoneRule", "ZoneRules", "RuleSet", "load_rules", "default_rules", "RULE_LISTS",
           "FOLLOW_UP_DECISIONS"]

#: The lists of a zone and the decision each stands for.
RULE_LISTS = {"prohibited": "prohibited", "special_permit": "restricted", "review": "review", "allowed": "allowed",
              "not_applicable": "not_applicable"}
_DECISIONS = ("prohibited", "restricted", "review", "allowed", "not_applicable")
_DEFAULT_PRECEDENCE = ("prohibited", "special_permit", "review", "allowed", "not_applicable")
#: Decisions whose findings say what follows from them (``follow_up``).
FOLLOW_UP_DECISIONS = ("prohibited", "restricted")


@dataclass(frozen=True)
class Cite:
    """One citation: document, edition, article, the quoted words and whether they were checked."""

    document: str
    article: str
    quote: str = ""
    edition: str = ""
    verified: bool = False
    doc_id: str = ""
    reference: str = ""

    @property
    def citation(self) -> str:
        """``《水污染防治法》（2017年修正）第六十六条`` style."""
        edition = f"（{self.edition}）" if self.edition else ""
        return f"{self.document}{edition}{self.article}"

    def to_dict(self) -> dict:
        """Plain data for the JSON report."""
        return {"document": self.document, "edition": self.edition, "article": self.article,
                "quote": self.quote, "verified": self.verified}


@dataclass(frozen=True)
class ZoneRule:
    """One rule item: the decision it gives, its text and citations."""

    id: str
    decision: str
    text: str
    source: str
    article: str
    text_en: str = ""
    when: tuple[str, ...] = ()
    cites: tuple[Cite, ...] = ()
    unless: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    follow_up: str = ""
    #: Decided by its own text whatever the national-major answer (e.g. 基本农田保护条例 art. 17's bans).
    final: bool = False

    @property
    def citation(self) -> str:
        """All citations as one string (``；`` between documents)."""
        if self.cites:
            by_doc: dict[str, list[str]] = {}
            for c in self.cites:
                by_doc.setdefault(Cite(c.document, "", edition=c.edition).citation, []).append(c.article)
            return "；".join(doc + "，".join(dict.fromkeys(a for a in arts if a)) for doc, arts in by_doc.items())
        return f"{self.source}{self.article}"

    @property
    def verified(self) -> bool:
        """True when every quoted text was checked against the original."""
        return bool(self.cites) and all(c.verified for c in self.cites)

    @property
    def quote(self) -> str:
        """The quoted words of all citations (`` / `` between them)."""
        return " / ".join(c.quote for c in self.cites if c.quote)

    def matches(self, industry: Industry, pa_level: str | None = None, pa_type: str | None = None,
                zone: str | None = None) -> bool:
        """Whether the rule's ``when`` selects the industry and its ``unless`` does not.

        A rule with ``levels`` (protected-area levels such as ``national``) applies
        only to an area whose level is known and listed; one with ``types`` only to
        protected areas of those types (an area of unknown type counts as a nature
        reserve); one with ``zones`` only where the delivered zone is one of them
        (e.g. a scenic area's ``core_scenic``).
        """
        if self.levels and (pa_level or "") not in self.levels:
            return False
        if self.types and (pa_type or "nature_reserve") not in self.types:
            return False
        if self.zones and (zone or "") not in self.zones:
            return False
        return selector_matches(list(self.when), industry) and not (
            self.unless and selector_matches(list(self.unless), industry))


@dataclass(frozen=True)
class NationalMajor:
    """National major projects may occupy the zone with approval (the redline: part 二 of 自然资发〔2022〕142号;
    permanent basic farmland: 土地管理法 art. 35).

    ``yes`` (decision restricted) applies when the user says the project is a
    national major project, ``unknown`` (decision review) when nobody said;
    with ``no`` the zone's other rules decide. With ``other`` (decision review)
    the exception is the text's for the listed types (``when``) only: a
    declared national major project of another type gets ``other`` instead of
    ``yes`` (the text names some types "等" and leaves the rest to a reviewer).
    """

    when: tuple[str, ...]
    yes: ZoneRule
    unknown: ZoneRule
    other: ZoneRule | None = None


@dataclass(frozen=True)
class ZoneRules:
    """Everything the rules file says about one zone (e.g. water_sources/level2)."""

    kind: str
    zone: str
    label: str
    label_en: str
    summary: ZoneRule
    lists: dict[str, tuple[ZoneRule, ...]]
    otherwise: ZoneRule
    precedence: tuple[str, ...]
    national_major: NationalMajor | None = None
    own_law: ZoneRule | None = None
    applies_to: tuple[str, ...] = ()

    def applies(self, pa_type: str | None) -> bool:
        """Whether these rules are the law of a protected area of type ``pa_type``.

        Zones with ``applies_to`` (protected-area types whose law the citations
        are) apply to those types; an empty ``pa_type`` (type not in the store)
        is taken as the zone's own scheme (a reserve's three zones, the two zones
        of national parks and reserves).
        """
        return not self.applies_to or not pa_type or pa_type in self.applies_to

    def decide(self, industry: Industry | None, national_major: bool | None = None,
               pa_level: str | None = None, pa_type: str | None = None, zone: str | None = None) -> ZoneRule:
        """The rule deciding this zone for ``industry``.

        Without an industry the zone's summary comes back with decision
        ``review``: the area-based finding a reviewer must judge.

        Parameters
        ----------
        industry : Industry or None
        national_major : bool or None
            Whether the project is a national major project (国家重大项目);
            None when unknown. Only zones with a ``national_major`` rule use it.
            Declared True, any project type's ``prohibited`` (or ``review``)
            becomes ``restricted`` with the approval conditions: part 二 turns
            on whether the project is named in central documents or approved
            plans, whatever its type (where the zone's exception names types,
            ``other``: only those types; another type's ``prohibited`` becomes
            ``review``). Undeclared (None), a type that may be one (``when``)
            gets ``review`` instead of ``prohibited``; other types keep the
            zone's decision, as with False. A ``final`` rule (a ban the text
            sets whatever the project's standing) is never changed.
        pa_level : str or None
            The protected area's level (``national``, ``provincial`` ...), for
            rules that differ by level (``levels``); None when unknown.
        pa_type : str or None
            The protected area's type, for rules that differ by type (``types``).
        zone : str or None
            The zone as delivered (``core_scenic``, ``unzoned`` ...), for rules
            that apply in some zones only (``zones``).
        """
        if industry is None:
            return self.summary
        base = self.otherwise
        for name in self.precedence:
            hit = next((rule for rule in self.lists.get(name, ()) if rule.matches(industry, pa_level, pa_type, zone)),
                       None)
            if hit is not None:
                base = hit
                break
        nm = self.national_major
        if nm is None or base.final:
            return base
        if national_major is True and base.decision in ("prohibited", "review"):
            if nm.other is None or selector_matches(list(nm.when), industry):
                return nm.yes
            return nm.other if base.decision == "prohibited" else base
        if national_major is None and base.decision == "prohibited" and selector_matches(list(nm.when), industry):
            return nm.unknown
        return base


class RuleSet:
    """The statutory rules of one rules file."""

    def __init__(self, data: dict, path: str):
        self.path = path
        self.version = str(data.get("version", ""))
        self.updated = str(data.get("updated", ""))
        precedence = tuple(data.get("precedence") or _DEFAULT_PRECEDENCE)
        if not set(precedence) <= set(RULE_LISTS) or len(set(precedence)) != len(precedence):
            raise InputError(f"{path}: precedence must list some of {', '.join(RULE_LISTS)}, each once")
        if "not_applicable" not in precedence:  # files written before the list existed: it comes last
            precedence += ("not_applicable",)
        self.documents = _documents(data.get("documents") or {}, path)
        self.follow_up = _follow_up_defaults(data.get("follow_up") or {}, path)
        self.zones: dict[tuple[str, str], ZoneRules] = {}
        for kind, zones in (data.get("zones") or {}).items():
            for zone, spec in (zones or {}).items():
                self.zones[(kind, zone)] = _zone(kind, zone, spec, precedence, path, self.documents,
                                                 self.follow_up.get("statutory", {}))

    def get(self, kind: str, zone: str) -> ZoneRules | None:
        """Rules for a layer kind and zone code, or None when the file has none."""
        return self.zones.get((kind, zone))

    def access_follow_up(self, decision: str) -> str:
        """What follows from an access-list clause's ``prohibited`` / ``restricted`` finding (``""`` otherwise).

        The clause texts are the bureau's; what follows from a decision is the
        rules file's (``follow_up.access_list``), one text per decision.
        """
        return self.follow_up.get("access_list", {}).get(decision, "") if decision in FOLLOW_UP_DECISIONS else ""

    def element_kinds(self) -> tuple[str, ...]:
        """Element-zone layer kinds the file has statutory rules for (e.g. ``resource_zones``)."""
        from ..vocab import ELEMENT_KINDS

        return tuple(k for k in ELEMENT_KINDS if any(kind == k for kind, _ in self.zones))

    def for_protected_area(self, zone: str, pa_type: str | None) -> tuple[ZoneRules | None, str]:
        """The rules of a protected-area zone given the area's type, and how they were chosen.

        Parameters
        ----------
        zone : str
            The zone code as stored (``core``, ``general_control``, ``unzoned`` ...).
        pa_type : str or None
            The area's type code (``nature_reserve``, ``scenic_area`` ...); None or
            empty when the store does not say.

        Returns
        -------
        rules : ZoneRules or None
            The zone's rules when they are the law of that type; else the type's
            whole-area rules (``type:<pa_type>``, then ``type:<group>``); None
            when the file has neither.
        how : str
            ``zone`` (the zone's rules), ``type`` (the type's whole-area rules
            because the zone's rules are another type's law) or ``none``.
        """
        zr = self.zones.get(("protected_areas", zone))
        if zr is not None and zr.applies(pa_type):
            return zr, "zone"
        for key in (f"type:{pa_type}", f"type:{PA_TYPE_GROUP.get(str(pa_type or ''), '')}"):
            whole = self.zones.get(("protected_areas", key))
            if pa_type and whole is not None and whole.applies(pa_type):
                return whole, "type"
        return None, "none"

    def describe(self) -> str:
        """``statutory_rules.yaml version 2025.1 (2025-01-15)``."""
        return f"{Path(self.path).name} version {self.version} ({self.updated})"

    def all_rules(self) -> list[ZoneRule]:
        """Every rule of the file (summaries, list items, defaults, national-major and own-law rules)."""
        out: list[ZoneRule] = []
        for zr in self.zones.values():
            out += [zr.summary, zr.otherwise, *(r for items in zr.lists.values() for r in items)]
            if zr.national_major is not None:
                out += [zr.national_major.yes, zr.national_major.unknown]
                if zr.national_major.other is not None:
                    out.append(zr.national_major.other)
            if zr.own_law is not None:
                out.append(zr.own_law)
        return out


def _flow(text) -> str:
    """Folded YAML text as one line: no space between two Chinese characters, one elsewhere."""
    text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", str(text or ""))
    return " ".join(text.split())


def _documents(spec: dict, path: str) -> dict[str, dict]:
    out = {}
    for key, doc in spec.items():
        if not isinstance(doc, dict) or not doc.get("title"):
            raise InputError(f"{path}: documents.{key} needs a title")
        out[str(key)] = {"title": str(doc["title"]), "edition": str(doc.get("edition") or ""),
                         "reference": str(doc.get("reference") or "")}
    return out


def _cites(spec: dict, where: str, documents: dict[str, dict]) -> tuple[Cite, ...]:
    out = []
    for i, c in enumerate(spec.get("cites") or ()):
        if not isinstance(c, dict) or c.get("doc") not in documents:
            raise InputError(f"{where}: cites[{i}] names no known document (doc: one of {', '.join(documents)})")
        doc = documents[c["doc"]]
        verified = c.get("verified")
        if not isinstance(verified, bool):
            raise InputError(f"{where}: cites[{i}] needs verified: true or false")
        quote = _flow(c.get("quote", ""))
        if verified and not (quote and doc["reference"]):
            raise InputError(f"{where}: cites[{i}] is verified but has no quote or its document no reference text")
        out.append(Cite(document=doc["title"], article=str(c.get("article", "")), quote=quote,
                        edition=doc["edition"], verified=verified, doc_id=str(c["doc"]), reference=doc["reference"]))
    return tuple(out)


def _follow_up_defaults(spec: dict, path: str) -> dict[str, dict[str, str]]:
    """``follow_up``: per source (``statutory``, ``access_list``), the default text per decision."""
    out: dict[str, dict[str, str]] = {}
    for source, texts in spec.items():
        if source not in ("statutory", "access_list") or not isinstance(texts, dict):
            raise InputError(f"{path}: follow_up.{source}: expected statutory or access_list, each a map of decisions")
        bad = [d for d in texts if d not in FOLLOW_UP_DECISIONS]
        if bad:
            raise InputError(f"{path}: follow_up.{source}: decisions must be {' or '.join(FOLLOW_UP_DECISIONS)}, "
                             f"got {', '.join(map(str, bad))}")
        out[source] = {d: _flow(t) for d, t in texts.items()}
    return out


def _rule(spec: dict, decision: str, where: str, documents: dict[str, dict],
          follow_up: dict[str, str] | None = None) -> ZoneRule:
    if not isinstance(spec, dict) or not spec.get("text"):
        raise InputError(f"{where}: a rule needs a text")
    cites = _cites(spec, where, documents)
    cite = spec.get("citation") or {}
    if not cites and not cite.get("source"):
        raise InputError(f"{where}: rule {spec.get('id', '?')} has no citation (cites or citation.source)")
    source = "；".join(dict.fromkeys(c.document for c in cites)) if cites else str(cite["source"])
    article = "；".join(c.article for c in cites if c.article) if cites else str(cite.get("article", ""))

    def tokens(value) -> tuple[str, ...]:
        value = value or ()
        return (value,) if isinstance(value, str) else tuple(str(w) for w in value)

    then = _flow(spec.get("follow_up", "")) or (
        (follow_up or {}).get(decision, "") if decision in FOLLOW_UP_DECISIONS else "")
    return ZoneRule(id=str(spec.get("id", where)), decision=decision, text=_flow(spec["text"]),
                    source=source, article=article, text_en=_flow(spec.get("text_en", "")),
                    when=tokens(spec.get("when")), cites=cites, unless=tokens(spec.get("unless")),
                    levels=tokens(spec.get("levels")), types=tokens(spec.get("types")), zones=tokens(spec.get("zones")),
                    follow_up=then, final=bool(spec.get("final", False)))


def _zone(kind: str, zone: str, spec: dict, precedence: tuple[str, ...], path: str,
          documents: dict[str, dict], follow_up: dict[str, str] | None = None) -> ZoneRules:
    where = f"{path}: zones.{kind}.{zone}"
    lists = {}
    for name, decision in RULE_LISTS.items():
        items = spec.get(name) or []
        lists[name] = tuple(_rule(item, decision, f"{where}.{name}", documents, follow_up) for item in items)
    other = spec.get("otherwise") or {}
    decision = other.get("decision")
    if decision not in _DECISIONS:
        raise InputError(f"{where}.otherwise: decision must be one of {', '.join(_DECISIONS)}, got {decision!r}")
    summary_spec = spec.get("summary", "")
    if not isinstance(summary_spec, dict):  # the old form: summary text plus the zone's citation
        summary_spec = {"text": summary_spec, "text_en": spec.get("summary_en", ""), "citation": spec.get("citation")}
    summary = _rule({"id": f"{kind}.{zone}.summary", **summary_spec}, "review", f"{where}.summary", documents)
    nm = spec.get("national_major")
    national_major = None
    if nm:
        national_major = NationalMajor(
            when=tuple(nm.get("when") or ()),
            yes=_rule({"id": nm.get("id", f"{kind}.{zone}.national_major"), **(nm.get("if_major") or {})},
                      "restricted", f"{where}.national_major.yes", documents, follow_up),
            unknown=_rule({"id": nm.get("id", f"{kind}.{zone}.national_major") + ".unknown", **(nm.get("if_unknown") or {})},
                          "review", f"{where}.national_major.unknown", documents),
            other=_rule({"id": nm.get("id", f"{kind}.{zone}.national_major") + ".other", **nm["if_major_other"]},
                        "review", f"{where}.national_major.other", documents) if nm.get("if_major_other") else None,
        )
    own = spec.get("own_law")
    own_law = _rule({"id": f"{kind}.{zone}.own_law", **own}, "review", f"{where}.own_law", documents) if own else None
    applies_to = spec.get("applies_to") or ()
    applies_to = (applies_to,) if isinstance(applies_to, str) else tuple(str(t) for t in applies_to)
    unknown = [t for t in applies_to if t not in PA_TYPE_LABELS_ZH]
    if unknown:
        raise InputError(f"{where}.applies_to: unknown protected-area type(s) {', '.join(unknown)} "
                         f"(one of {', '.join(PA_TYPE_LABELS_ZH)})")
    return ZoneRules(kind=kind, zone=zone, label=str(spec.get("label", zone)), label_en=str(spec.get("label_en", zone)),
                     summary=summary, lists=lists,
                     otherwise=_rule(other, decision, f"{where}.otherwise", documents, follow_up),
                     precedence=precedence, national_major=national_major, own_law=own_law, applies_to=applies_to)


def load_rules(path: str | Path) -> RuleSet:
    """Load and check a statutory rules file (YAML).

    Raises
    ------
    InputError
        For a missing file, bad YAML, a rule without text or citation, or a
        citation marked verified without a quote and a reference text.
    """
    from ..user_cache import parsed_text_cached

    path = Path(path)
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"rules file not found: {path}") from None
    except OSError as exc:
        raise InputError(f"cannot read the rules file {path}: {exc.strerror or exc}") from None
    data = parsed_text_cached(text, "statutory-rules-yaml-1", lambda b: _parse_yaml(b, path))
    if not isinstance(data, dict) or "zones" not in data:
        raise InputError(f"{path}: not a gisplan statutory rules file (no zones)")
    return RuleSet(data, str(path))


def _parse_yaml(text: bytes, path: Path):
    """The YAML document in ``text`` (imported here: a process with cached rules never loads the YAML parser)."""
    import yaml

    try:
        return yaml.load(text.decode("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The shipped rules file (cached)."""
    ref = resources.files("gisplan.rules").joinpath("data/statutory_rules.yaml")
    with resources.as_file(ref) as path:
        return load_rules(path)
