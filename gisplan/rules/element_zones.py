"""Access-list clauses that apply in one element zone (要素分区), decided by the site's location.

A clause may carry an ``element_zone`` tag such as ``resource:no_burn`` (高污染燃料禁燃区)
or ``air:key_receptor`` (大气环境受体敏感重点管控区); several tags separated by ``;``
mean "in any of these zones". With a tag the clause applies only where the site
touches that zone (overlap above :data:`~gisplan.constants.MIN_OVERLAP_M2`):

- inside: the clause's own decision (a text clause stays ``review``);
- outside: not applicable (decision ``not_applicable``, reason ``outside_element_zone``);
- the store has no layer of that element, or its layer holds no zone of that
  type, or the site lies partly outside the layer's coverage: ``review`` with a
  note saying why. A clause is never ``allowed`` by omission.

Coverage: air, water and soil zones tile the area they were delivered for, so
their union is their coverage; resource-limit zones (no-burn, groundwater,
shoreline) cover parts only, and the store's control units stand for their
coverage.

Single screenings and batches build the same :class:`ElementSite` from the
overlay kernel's overlaps, so both decide the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..constants import MIN_OVERLAP_M2
from ..errors import InputError
from ..vocab import (
    ELEMENT_KINDS,
    ELEMENT_TILING,
    ELEMENT_VOCAB,
    ELEMENT_ZONE_LABELS_ZH,
    ELEMENTS,
    KIND_LABELS_ZH,
    normalise_value,
    to_simplified,
)
from .industry import split_tokens

__all__ = ["ElementSite", "StoreElements", "parse_element_tag", "zone_label", "element_state", "adjust_finding",
           "tagged_element_kinds"]

_KIND_ELEMENT = {v: k for k, v in ELEMENTS.items()}


def zone_label(kind: str, zone: str) -> str:
    """The Chinese label of an element zone code (``resource_zones``, ``no_burn`` -> 高污染燃料禁燃区)."""
    return ELEMENT_ZONE_LABELS_ZH.get(kind, {}).get(zone, zone)


def _one_tag(token: str) -> tuple[str, str]:
    text = to_simplified(token.strip())
    element, sep, zone = text.partition(":")
    if sep and element.strip().lower() in ELEMENTS:
        kind = ELEMENTS[element.strip().lower()]
        try:
            return kind, normalise_value(ELEMENT_VOCAB[kind], zone.strip())
        except Exception:  # MappingError: re-raised below with the tag's wording
            pass
        raise InputError(f"unknown element zone {zone!r} of {element}: expected one of "
                         f"{', '.join(ELEMENT_ZONE_LABELS_ZH[kind])}")
    hits = []
    for kind in ELEMENT_KINDS:  # a Chinese zone name: 高污染燃料禁燃区, 大气环境受体敏感重点管控区 ...
        try:
            hits.append((kind, normalise_value(ELEMENT_VOCAB[kind], text)))
        except Exception:
            continue
    if len(hits) == 1:
        return hits[0]
    tags = ", ".join(f"{_KIND_ELEMENT[k]}:{z}" for k in ELEMENT_KINDS for z in ELEMENT_ZONE_LABELS_ZH[k])
    why = "is ambiguous (name the element, e.g. air:priority)" if hits else "is unknown"
    raise InputError(f"element zone {token!r} {why}; expected ELEMENT:ZONE, one of {tags}")


def parse_element_tag(text: str) -> tuple[tuple[str, str], ...]:
    """Read an ``element_zone`` tag: ``(kind, zone)`` pairs, empty for no tag.

    Parameters
    ----------
    text : str
        ``resource:no_burn``, ``air:key_receptor;air:key_high_emission`` or the
        zone's Chinese name (``高污染燃料禁燃区``, Traditional characters too).

    Raises
    ------
    InputError
        For an unknown element or zone.

    Examples
    --------
    >>> parse_element_tag("resource:no_burn")
    (('resource_zones', 'no_burn'),)
    >>> parse_element_tag("大氣環境受體敏感重點管控區")
    (('air_zones', 'key_receptor'),)
    """
    return tuple(dict.fromkeys(_one_tag(t) for t in split_tokens(str(text or "").replace("；", ";"))))


def tag_text(pairs) -> str:
    """The canonical tag text of ``(kind, zone)`` pairs (``resource:no_burn``)."""
    return ";".join(f"{_KIND_ELEMENT[k]}:{z}" for k, z in pairs)


def tagged_element_kinds(access) -> tuple[str, ...]:
    """The element kinds an access list's tags name (what a batch must overlay to decide them).

    Parameters
    ----------
    access : AccessList or None
    """
    if access is None:
        return ()
    kinds = {k for tag in access.element_zone_tags() if tag for k, _ in parse_element_tag(tag)}
    return tuple(k for k in ELEMENT_KINDS if k in kinds)


@dataclass(frozen=True)
class StoreElements:
    """Which element layers a store has and which zone types each holds."""

    zones: dict = field(default_factory=dict)  # kind -> frozenset of zone codes

    @classmethod
    def from_store(cls, store) -> StoreElements:
        """Read the zone column of each element layer the store has (empty without a store)."""
        if store is None:
            return cls({})
        from ..store.gpkg import attribute_columns

        out = {}
        for kind in ELEMENT_KINDS:
            if store.has(kind):
                zones = attribute_columns(store, kind, ["feature_id", "zone"])["zone"]  # plain lists: no pandas
                if any(z is None or z != z for z in zones):  # a gap: the frame's own wording of it
                    zones = store.attributes(kind, ["feature_id", "zone"])["zone"]
                out[kind] = frozenset(str(z) for z in zones)
        return cls(out)


@dataclass(frozen=True)
class ElementSite:
    """Where one site lies in the element zones.

    Attributes
    ----------
    area_m2 : float
        The site's area (ellipsoidal m²).
    zones : tuple of (kind, zone, overlap m²)
        Overlap per zone type (summed over the features of that type).
    outside_units_m2 : float
        Site area outside the store's control units (the coverage of resource zones).
    """

    area_m2: float
    zones: tuple = ()
    outside_units_m2: float = 0.0

    @classmethod
    def from_rows(cls, area_m2: float, rows, outside_units_m2: float = 0.0) -> ElementSite:
        """From ``(kind, zone, overlap m²)`` rows, one per overlapping feature (or piece)."""
        sums: dict[tuple[str, str], float] = {}
        for kind, zone, overlap in rows:
            sums[(kind, zone)] = sums.get((kind, zone), 0.0) + float(overlap)
        return cls(float(area_m2), tuple(sorted((k, z, a) for (k, z), a in sums.items())), float(outside_units_m2))

    def overlap(self, kind: str, zone: str) -> float:
        """Site area in zones of one type (m²)."""
        return sum(a for k, z, a in self.zones if k == kind and z == zone)

    def uncovered_m2(self, kind: str) -> float:
        """Site area outside the layer's coverage (0 below rounding)."""
        if kind in ELEMENT_TILING:
            out = self.area_m2 - sum(a for k, _, a in self.zones if k == kind)
        else:
            out = self.outside_units_m2
        return 0.0 if out < max(MIN_OVERLAP_M2, 1e-7 * self.area_m2) else out


def element_state(pairs, site: ElementSite | None, store: StoreElements) -> tuple[str, str, str]:
    """Whether a site lies in the zones of a tag.

    Returns
    -------
    state : str
        ``inside``, ``outside``, ``missing_layer``, ``no_such_zone``,
        ``partly_outside`` or ``not_computed``.
    note, note_en : str
        Why, for the finding (empty for ``inside``).
    """
    names = "、".join(zone_label(k, z) for k, z in pairs)
    if site is None:
        return ("not_computed", f"未计算项目与{names}的位置关系，须人工核对。",
                f"The site's position relative to {tag_text(pairs)} was not computed: review.")
    if any(site.overlap(k, z) > MIN_OVERLAP_M2 for k, z in pairs):
        inside = [zone_label(k, z) for k, z in pairs if site.overlap(k, z) > MIN_OVERLAP_M2]
        return "inside", f"（项目位于{'、'.join(inside)}内）", f"(The site lies in {tag_text(pairs)}.)"
    missing = [k for k, _ in pairs if k not in store.zones]
    if missing:
        label = "、".join(KIND_LABELS_ZH[k] for k in dict.fromkeys(missing))
        return ("missing_layer", f"本条款适用于{names}，库内缺少{label}图层，无法判定项目是否位于其中，须人工核对。",
                f"The clause applies in {tag_text(pairs)}; the store has no {', '.join(dict.fromkeys(missing))} layer: review.")
    absent = [(k, z) for k, z in pairs if z not in store.zones[k]]
    if absent:
        return ("no_such_zone", f"本条款适用于{names}，库内{KIND_LABELS_ZH[absent[0][0]]}图层未载{zone_label(*absent[0])}，"
                "无法判定，须人工核对。",
                f"The clause applies in {tag_text(pairs)}; the store's layer holds no {absent[0][1]} zone: review.")
    uncovered = max(site.uncovered_m2(k) for k, _ in pairs)
    if uncovered > 0:
        return ("partly_outside", f"本条款适用于{names}；项目有 {uncovered / 1e4:.4f} ha 位于库内要素分区图层范围外，"
                "无法判定，须人工核对。",
                f"The clause applies in {tag_text(pairs)}; {uncovered / 1e4:.4f} ha of the site lie outside the "
                "element layer's coverage: review.")
    return ("outside", f"项目不在{names}内，本条款不适用。",
            f"The site is not in {tag_text(pairs)}: the clause does not apply.")


def adjust_finding(finding: dict, site: ElementSite | None, store: StoreElements) -> dict:
    """An access-list finding with its element-zone tag decided by the site's location.

    A finding without a tag, or one whose clause names other industries
    (reason ``not_applicable``), comes back unchanged.
    """
    tag = finding.get("element_zone") or ""
    if not tag or finding.get("reason") == "not_applicable":
        return finding
    pairs = parse_element_tag(tag)
    state, note, note_en = element_state(pairs, site, store)
    out = dict(finding, element_state=state)
    if state == "inside":
        out["rule"] = f"{finding.get('rule', '')}{note}"
        return out
    if state == "outside":
        out.update(decision="not_applicable", reason="outside_element_zone", rule=f"{finding.get('rule', '')}（{note}）",
                   rule_en=note_en)
        return out
    out.update(decision="review", reason=f"element_{state}", rule=f"{finding.get('rule', '')}（{note}）", rule_en=note_en)
    return out
