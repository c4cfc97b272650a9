"""Statutory zone rules (redline, nature-reserve zones, water-source levels) as data.

The rules live in ``data/statutory_rules.yaml`` (versioned); this module loads
and checks them and decides one zone for one project type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from ..errors import InputError
from .industry import Industry, selector_matches

__all__ = ["ZoneRule", "RuleSet", "load_rules", "default_rules", "RULE_LISTS"]

#: The lists of a zone and the decision each stands for.
RULE_LISTS = {"prohibited": "prohibited", "special_permit": "restricted", "allowed": "allowed"}
_DECISIONS = ("prohibited", "restricted", "allowed")


@dataclass(frozen=True)
class ZoneRule:
    """One rule item: the decision it gives, its text and citation."""

    id: str
    decision: str
    text: str
    source: str
    article: str
    text_en: str = ""
    when: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        """``source article`` as one string."""
        return f"{self.source}{self.article}"


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

    def decide(self, industry: Industry | None) -> ZoneRule:
        """The rule deciding this zone for ``industry``.

        Without an industry the zone's summary comes back with decision
        ``review``: the area-based finding a reviewer must judge.
        """
        if industry is None:
            return self.summary
        for name in self.precedence:
            for rule in self.lists.get(name, ()):
                if selector_matches(list(rule.when), industry):
                    return rule
        return self.otherwise


class RuleSet:
    """The statutory rules of one rules file."""

    def __init__(self, data: dict, path: str):
        self.path = path
        self.version = str(data.get("version", ""))
        self.updated = str(data.get("updated", ""))
        precedence = tuple(data.get("precedence") or RULE_LISTS)
        if set(precedence) != set(RULE_LISTS):
            raise InputError(f"{path}: precedence must list {', '.join(RULE_LISTS)}")
        self.zones: dict[tuple[str, str], ZoneRules] = {}
        for kind, zones in (data.get("zones") or {}).items():
            for zone, spec in (zones or {}).items():
                self.zones[(kind, zone)] = _zone(kind, zone, spec, precedence, path)

    def get(self, kind: str, zone: str) -> ZoneRules | None:
        """Rules for a layer kind and zone code, or None when the file has none."""
        return self.zones.get((kind, zone))

    def describe(self) -> str:
        """``statutory_rules.yaml version 2025.1 (2025-01-15)``."""
        return f"{Path(self.path).name} version {self.version} ({self.updated})"


def _flow(text) -> str:
    """Folded YAML text as one line: no space between two Chinese characters, one elsewhere."""
    text = re.sub(r"(?<=[^\x00-\x7f])\s+(?=[^\x00-\x7f])", "", str(text or ""))
    return " ".join(text.split())


def _rule(spec: dict, decision: str, where: str) -> ZoneRule:
    if not isinstance(spec, dict) or not spec.get("text"):
        raise InputError(f"{where}: a rule needs a text")
    cite = spec.get("citation") or {}
    if not cite.get("source"):
        raise InputError(f"{where}: rule {spec.get('id', '?')} has no citation source")
    when = spec.get("when") or ()
    if isinstance(when, str):
        when = (when,)
    return ZoneRule(id=str(spec.get("id", where)), decision=decision, text=_flow(spec["text"]),
                    source=str(cite["source"]), article=str(cite.get("article", "")),
                    text_en=_flow(spec.get("text_en", "")), when=tuple(str(w) for w in when))


def _zone(kind: str, zone: str, spec: dict, precedence: tuple[str, ...], path: str) -> ZoneRules:
    where = f"{path}: zones.{kind}.{zone}"
    lists = {}
    for name, decision in RULE_LISTS.items():
        items = spec.get(name) or []
        lists[name] = tuple(_rule(item, decision, f"{where}.{name}") for item in items)
    other = spec.get("otherwise") or {}
    decision = other.get("decision")
    if decision not in _DECISIONS:
        raise InputError(f"{where}.otherwise: decision must be one of {', '.join(_DECISIONS)}, got {decision!r}")
    summary = _rule({"id": f"{kind}.{zone}.summary", "text": spec.get("summary", ""), "text_en": spec.get("summary_en", ""),
                     "citation": spec.get("citation")}, "review", where)
    return ZoneRules(kind=kind, zone=zone, label=str(spec.get("label", zone)), label_en=str(spec.get("label_en", zone)),
                     summary=summary, lists=lists, otherwise=_rule(other, decision, f"{where}.otherwise"),
                     precedence=precedence)


def load_rules(path: str | Path) -> RuleSet:
    """Load and check a statutory rules file (YAML).

    Raises
    ------
    InputError
        For a missing file, bad YAML or a rule without text or citation.
    """
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except FileNotFoundError:
        raise InputError(f"rules file not found: {path}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(data, dict) or "zones" not in data:
        raise InputError(f"{path}: not a gisplan statutory rules file (no zones)")
    return RuleSet(data, str(path))


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The shipped rules file (cached)."""
    ref = resources.files("gisplan.rules").joinpath("data/statutory_rules.yaml")
    with resources.as_file(ref) as path:
        return load_rules(path)
