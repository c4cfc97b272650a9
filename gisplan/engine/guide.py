"""Siting guidance (选址引导): where may a project of one type go? The verdict as a map.

The store's control-unit area is cut into *faces* on which every layer is
constant: control units x redline x protected-area zones x water-source levels
x element zones x basic farmland / urban boundary (those the store has). Each
face is decided as a small site lying wholly inside it would be: through the
one verdict function of single screenings and batch rows
(:func:`gisplan.rules.decide.decide`, by way of
:func:`gisplan.rules.decide.decide_sites` in exactly one place,
:func:`_face_verdict`), never by a rule engine of its own.

How the faces are cut, per control unit, in the equal-area plane of the store's
pieces (:data:`gisplan.geo.crs.EQUAL_AREA`, where planar area is the ellipsoidal
area gisplan reports everywhere): the unit's outline and the outlines of every
piece of every other layer touching it are noded together (``union_all`` of the
lines) and polygonized; each polygon inside the unit is given the features
whose pieces hold its interior point, and polygons with the same features are
merged. Polygonizing a noded set of lines yields a partition, so the faces of a
unit tile it: no gap, no overlap.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..geo.crs import CGCS2000
from ..errors import InputError
from ..geo.geometry import from_equal_area, polygonal_part
from ..labels import DECISION_LABELS
from ..vocab import (
    CATEGORY_LABELS_ZH,
    ELEMENT_KINDS,
    KIND_LABELS_ZH,
    LEVEL_LABELS_ZH,
    PLANNING_KINDS,
    ZONE_LABELS_ZH,
)

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["guide", "guide_faces", "guide_many", "GuideFaces", "VERDICT_ORDER", "ZONE_KINDS", "county_code",
           "select_units"]

#: The four verdicts of a face, strictest first (the codes of screening).
VERDICT_ORDER = ("prohibited", "restricted", "review", "allowed")
#: Statutory zone layers a face is cut by (as the batch weighs them).
ZONE_KINDS = ("eco_redline", "protected_areas", "water_sources")
#: A small site wholly inside a face: the area (m²) its decision is weighed with. Any area above
#: MIN_OVERLAP_M2 decides the same (every overlap is the whole site); a face's own area is not used,
#: so a sliver face is decided as the small site inside it would be.
_SITE_M2 = 400.0
_CODE = re.compile(r"^ZH(\d{6})[123]\d{4}$")
_WORKERS = 2


def county_code(unit_code) -> str:
    """The 6-digit county-level administrative code in a unit code (``ZH`` + 6 digits + ...), ``""`` if odd.

    Examples
    --------
    >>> county_code("ZH22240120003"), county_code("X1")
    ('222401', '')
    """
    m = _CODE.match(str(unit_code or ""))
    return m.group(1) if m else ""


@dataclass
class GuideFaces:
    """The faces of a store's control units, before any verdict (one industry or many share them).

    Attributes
    ----------
    geoms_ea : ndarray of Polygon/MultiPolygon
        Faces in the equal-area plane.
    unit : ndarray of int
        Control-unit feature id of each face.
    members : list of dict
        Per face, ``{kind: tuple of feature ids}`` of the other layers covering it (kinds absent: none).
    kinds : tuple of str
        The layers the faces were cut by (besides the control units).
    """

    geoms_ea: np.ndarray
    unit: np.ndarray
    members: list
    kinds: tuple
    area_m2: np.ndarray = field(init=False)

    def __post_init__(self):
        self.area_m2 = shapely.area(self.geoms_ea) if len(self.geoms_ea) else np.zeros(0)

    def __len__(self) -> int:
        return len(self.unit)


def _cut_kinds(store) -> tuple[str, ...]:
    """The layers a face must be constant in: the batch's zone, planning and element layers the store has."""
    from ..batch import _element_kinds  # the element kinds the batch's decision weighs

    wanted = [k for k in (*ZONE_KINDS, *PLANNING_KINDS) if store.has(k)]
    wanted += [k for k in _element_kinds(store) if store.has(k)]
    return tuple(wanted)


def select_units(store, county: str | None = None) -> np.ndarray:
    """Feature ids of the control units to cut (all, or those of one county).

    Parameters
    ----------
    county : str, optional
        A 6-digit county-level code (as in the unit codes, e.g. ``222401``) or a
        county name as the store holds it (``延吉市``).

    Raises
    ------
    InputError
        The store has no control units, or no unit of that county.
    """
    if not store.has("control_units"):
        raise InputError("the store has no control units layer: siting guidance needs one "
                         "(import it with `gisplan layers import`)")
    cols = store.attribute_columns("control_units", ["feature_id", "code", "county"])
    fids = np.asarray(cols["feature_id"], dtype=np.int64)
    if county is None or str(county).strip() == "":
        return fids
    want = str(county).strip()
    codes = np.array([county_code(c) for c in cols["code"]], dtype=object)
    names = np.array([str(c or "") for c in cols["county"]], dtype=object)
    sel = (codes == want) | (names == want)
    if not sel.any():
        known = sorted({f"{c} {n}".strip() for c, n in zip(codes, names) if c or n})
        raise InputError(f"county {want!r} is not in the store (it holds: {', '.join(known[:12])}"
                         f"{' ...' if len(known) > 12 else ''})")
    return fids[sel]


def _interior_points(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A point strictly inside each polygon, and whether one was found.

    ``point_on_surface`` can land on the edge of a very thin polygon; then the centre of its largest
    inscribed circle is taken. A polygon of (nearly) no width may have neither (``sure`` False).
    """
    pts = shapely.point_on_surface(polys)
    sure = shapely.within(pts, polys)
    if not sure.all():
        bad = np.flatnonzero(~sure)
        centre = shapely.get_point(shapely.maximum_inscribed_circle(polys[bad]), 0)
        ok = shapely.within(centre, polys[bad])
        pts[bad[ok]] = centre[ok]
        sure[bad[ok]] = True
    return pts, sure


def _covered(polys: np.ndarray, pts: np.ndarray, sure: np.ndarray, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(polygon index, geometry index)`` pairs: which of ``geoms`` cover each face of the partition.

    A face lies wholly inside or wholly outside each geometry whose outline is a line of the partition:
    its interior point decides; a face without a sure interior point goes by where most of its area lies.
    """
    tree = shapely.STRtree(geoms)
    qp, qg = tree.query(pts, predicate="within")
    keep = sure[qp]
    qp, qg = qp[keep], qg[keep]
    unsure = np.flatnonzero(~sure)
    if len(unsure):
        up, ug = tree.query(polys[unsure], predicate="intersects")
        if len(up):
            share = shapely.area(shapely.intersection(polys[unsure[up]], geoms[ug]))
            most = share > 0.5 * shapely.area(polys[unsure[up]])
            qp = np.concatenate([qp, unsure[up[most]]])
            qg = np.concatenate([qg, ug[most]])
    return qp, qg


def _sliver_owner(polys: np.ndarray) -> np.ndarray:
    """For each face, the face whose members it takes: itself, or for a sliver (below
    :data:`~gisplan.constants.MIN_OVERLAP_M2`, what screening counts as boundary contact, not
    occupation) the neighbour it shares the longest edge with. Slivers are noding residue along nearly
    coincident outlines; merged into a neighbour the faces still tile the unit."""
    from ..constants import MIN_OVERLAP_M2

    into = np.arange(len(polys))
    area = shapely.area(polys)
    small = area < MIN_OVERLAP_M2
    if not small.any() or small.all():
        return into
    big = np.flatnonzero(~small)
    tree = shapely.STRtree(polys[big])
    for i in np.flatnonzero(small).tolist():
        cand = big[tree.query(polys[i], predicate="intersects")]
        if len(cand):
            shared = shapely.length(shapely.intersection(shapely.boundary(polys[i]), shapely.boundary(polys[cand])))
            into[i] = int(cand[int(np.argmax(shared))])
    return into


def _unit_faces(unit_pieces: np.ndarray, layers: list[tuple]) -> list[tuple]:
    """One unit's faces: ``[(geometry, {kind: feature ids}), ...]`` (equal-area plane), same members merged.

    The lines noded are the unit's pieces' outlines and those of every other layer's pieces whose interior
    meets the unit; a piece identical to one already taken (element zones are
    often the units themselves) adds no line. Every piece outline is then a line of the partition, so a
    face's interior point lies inside or outside each piece, never on its edge.
    """
    unit = shapely.union_all(unit_pieces)
    shapely.prepare(unit)
    seen = set(shapely.to_wkb(unit_pieces).tolist())
    lines = shapely.boundary(unit_pieces).tolist()
    found = []
    for kind, index in layers:
        idx = index.candidates(unit)
        if not len(idx):
            continue
        geoms = index.geoms(idx)
        keep = shapely.intersects(unit, geoms)  # the unit prepared: fast
        # (pieces that only touch the unit add lines outside it, which cut no face of it)
        if not keep.any():
            continue
        idx, geoms = idx[keep], geoms[keep]
        found.append((kind, geoms, index.feature[idx]))
        wkb = shapely.to_wkb(geoms).tolist()
        new = [i for i, w in enumerate(wkb) if w not in seen]
        seen.update(wkb)
        if new:
            lines.extend(shapely.boundary(geoms[new]).tolist())
    if len(found) == 0:
        return [(unit, {})]
    noded = shapely.union_all(np.asarray(lines, dtype=object))
    polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    polys = polys[shapely.area(polys) > 0]  # rings of no area (repeated points) bound nothing
    if len(polys) == 0:  # pragma: no cover - a unit's own outline always closes
        return [(unit, {})]
    pts, sure = _interior_points(polys)
    inside = np.zeros(len(polys), dtype=bool)
    inside[_covered(polys, pts, sure, np.array([unit], dtype=object))[0]] = True
    polys, pts, sure = polys[inside], pts[inside], sure[inside]
    members: list[dict] = [{} for _ in range(len(polys))]
    for kind, geoms, feats in found:
        qp, qg = _covered(polys, pts, sure, geoms)
        for p in np.unique(qp).tolist():
            members[p][kind] = tuple(sorted(set(feats[qg[qp == p]].tolist())))
    into = _sliver_owner(polys)
    groups: dict[tuple, list[int]] = {}
    for i in range(len(members)):
        groups.setdefault(tuple(sorted(members[into[i]].items())), []).append(i)
    out = []
    for key, idx in groups.items():
        geom = polys[idx[0]] if len(idx) == 1 else polygonal_part(shapely.union_all(polys[idx]))
        if not geom.is_empty and geom.area > 0:
            out.append((geom, dict(key)))
    return out


def guide_faces(store, county: str | None = None, *, workers: int = _WORKERS) -> GuideFaces:
    """Cut the store's control units (or one county's) into faces where every layer is constant.

    Parameters
    ----------
    store : Store
    county : str, optional
        County code (6 digits) or name: only its units (see :func:`select_units`).
    workers : int
        Threads cutting units (GEOS releases the GIL).

    Returns
    -------
    GuideFaces
    """
    units = select_units(store, county)
    kinds = _cut_kinds(store)
    uindex = store.index("control_units")
    layers = [(k, store.index(k)) for k in kinds]
    for _, index in [("control_units", uindex), *layers]:
        _ = index.box_tree  # built before threads share it
    order = np.argsort(uindex.feature, kind="stable")
    feats = uindex.feature[order]
    starts = np.searchsorted(feats, units, side="left")
    ends = np.searchsorted(feats, units, side="right")

    def one(j: int) -> list[tuple]:
        idx = order[starts[j]:ends[j]]
        if not len(idx):
            return []
        return _unit_faces(uindex.geoms(idx), layers)

    if workers <= 1:
        results = [one(j) for j in range(len(units))]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(one, range(len(units))))
    geoms, unit_of, members = [], [], []
    for u, faces in zip(units.tolist(), results):
        for g, m in faces:
            geoms.append(g)
            unit_of.append(u)
            members.append(m)
    return GuideFaces(np.asarray(geoms, dtype=object), np.asarray(unit_of, dtype=np.int64), members, kinds)


# -- the verdict of a face: the batch's decision --------------------------------------------------------

def _own_law_splits(store, cases: list[tuple]) -> dict:
    """``{(case, redline fid): (0.0, [(kind, fid), ...])}`` for cases in the redline and in zones following
    their own laws (142号 一、（一）): a small site inside such a face has no redline part outside them."""
    from ..store.gpkg import attribute_columns
    from ..verdict import OWN_LAW_KINDS, follows_own_law, present_optional_columns

    pa_types: dict[int, str] = {}
    if store.has("protected_areas") and "pa_type" in present_optional_columns(store, "protected_areas"):
        t = attribute_columns(store, "protected_areas", ["feature_id", "pa_type"])
        pa_types = {int(f): v for f, v in zip(t["feature_id"], t["pa_type"]) if isinstance(v, str)}
    levels: dict[int, str] = {}
    if store.has("water_sources"):
        t = attribute_columns(store, "water_sources", ["feature_id", "level"])
        levels = {int(f): v for f, v in zip(t["feature_id"], t["level"]) if isinstance(v, str)}
    out = {}
    for i, (_, members, _) in enumerate(cases):
        m = dict(members)
        red = m.get("eco_redline", ())
        if not red:
            continue
        own = [(k, f) for k in OWN_LAW_KINDS for f in m.get(k, ())
               if follows_own_law(k, pa_types.get(f), levels.get(f))]
        if own:
            for r in red:
                out[(i, int(r))] = (0.0, own)
    return out


def _face_verdict(store, cases: list[tuple], industry: str | None, national_major: bool | None):
    """The verdict of each case (unit, members, urban_outside) as a small site wholly inside it gets it.

    The one place a face is decided: the verdict function of single screenings and batch rows
    (:func:`gisplan.rules.decide.decide_sites`, each case through :func:`gisplan.rules.decide.decide`) on the case's overlaps: its control unit, the zone and planning features covering
    it, where it lies in the element zones, whether it lies outside every urban-boundary feature, and the
    layers the store lacks. Returns ``(verdicts, industry labels, deciding citations, counts)``.
    """
    from ..batch import element_sites
    from ..rules.decide import decide_sites

    n = len(cases)
    pairs, element_pairs = [], []
    by_kind: dict[str, tuple[list, list]] = {}
    for i, (unit, members, _) in enumerate(cases):
        s, f = by_kind.setdefault("control_units", ([], []))
        s.append(i)
        f.append(unit)
        for kind, fids in members:
            s, f = by_kind.setdefault(kind, ([], []))
            s.extend([i] * len(fids))
            f.extend(fids)
    for kind, (s, f) in by_kind.items():
        entry = (kind, np.asarray(s, dtype=np.int64), np.asarray(f, dtype=np.int64), np.full(len(s), _SITE_M2))
        (element_pairs if kind in ELEMENT_KINDS else pairs).append(entry)
    ok = np.ones(n, dtype=bool)
    area = np.full(n, _SITE_M2)
    outside = np.zeros(n)  # every face lies inside a control unit
    missing = [k for k in ("control_units", *ZONE_KINDS) if not store.has(k)]
    # the area outside every urban-boundary feature: the whole small site or none of it
    urban = np.array([_SITE_M2 if c[2] else 0.0 for c in cases]) if store.has("urban_boundary") else None
    verdicts, labels, deciding, errors, counts = decide_sites(
        store, ok, outside, pairs, [industry] * n, national_major=national_major,
        redline_split=_own_law_splits(store, cases), missing_kinds=missing,
        elements=element_sites(store, element_pairs, area, outside, ok), urban_outside=urban)
    bad = next((e for e in errors if e), None)
    if bad:
        raise InputError(bad)
    return verdicts, labels, deciding, counts


# -- attributes and frames -----------------------------------------------------------------------------

def _zone_texts(store, kinds) -> dict:
    """Per kind, feature id -> its words in a face's ``zones`` cell (name and zone, in Chinese)."""
    from ..store.gpkg import attribute_columns
    from ..rules.element_zones import zone_label

    out = {}
    for kind in kinds:
        cols = store.layer_columns(kind)
        want = ["feature_id", "name"] + [c for c in ("zone", "level", "zone_label", "level_label") if c in cols]
        t = attribute_columns(store, kind, want)
        texts = {}
        for row in zip(*(t[c] for c in want)):
            r = dict(zip(want, row))
            name = str(r.get("name") or "")
            if kind in ELEMENT_KINDS:
                word = zone_label(kind, str(r.get("zone") or ""))
                texts[int(r["feature_id"])] = word
                continue
            if kind == "basic_farmland":
                texts[int(r["feature_id"])] = KIND_LABELS_ZH.get(kind, kind)
                continue
            zone = r.get("zone_label") or r.get("level_label") or ZONE_LABELS_ZH.get(r.get("zone") or "") \
                or LEVEL_LABELS_ZH.get(r.get("level") or "") or ""
            texts[int(r["feature_id"])] = name if kind == "eco_redline" or zone in name else f"{name}{zone}"
        out[kind] = texts
    return out


def _members_text(members: dict, texts: dict, kinds, urban_outside: bool, has_urban: bool) -> tuple[str, str]:
    """A face's statutory and planning zones, and its element zones, as two Chinese cells."""
    zone_parts, element_parts = [], []
    for kind in kinds:
        fids = members.get(kind, ())
        words = list(dict.fromkeys(texts[kind].get(int(f), "") for f in fids))
        if not words:
            continue
        part = f"{KIND_LABELS_ZH.get(kind, kind)}：{'、'.join(w for w in words if w)}"
        if kind == "basic_farmland":
            part = KIND_LABELS_ZH.get(kind, kind)
        elif kind in ELEMENT_KINDS:  # the zone's name says its element (大气环境一般管控区)
            part = "、".join(w for w in words if w)
        (element_parts if kind in ELEMENT_KINDS else zone_parts).append(part)
    if has_urban and urban_outside:
        zone_parts.append("城镇开发边界外")
    return "；".join(zone_parts) or "无", "；".join(element_parts)


def _check_industry(industry) -> str:
    if industry is None or not str(industry).strip():
        raise InputError("an industry (project type) is required for siting guidance, e.g. 化工, 公路, 光伏")
    from ..rules.industry import match_industry

    match_industry(str(industry))  # an unknown type: InputError, one line
    return str(industry).strip()


def _cases(store, faces: GuideFaces) -> tuple[list[tuple], np.ndarray]:
    """The distinct decision cases of the faces and each face's case index."""
    has_urban = store.has("urban_boundary")
    index: dict[tuple, int] = {}
    cases, of = [], np.empty(len(faces), dtype=np.int64)
    for i, (u, m) in enumerate(zip(faces.unit.tolist(), faces.members)):
        key = (int(u), tuple(sorted(m.items())), bool(has_urban and not m.get("urban_boundary")))
        if key not in index:
            index[key] = len(cases)
            cases.append(key)
        of[i] = index[key]
    return cases, of


def _base_frame(store, faces: GuideFaces) -> dict:
    """The columns every industry's faces share: county, unit, zones, area."""
    units = store.attribute_columns("control_units", ["feature_id", "code", "name", "category", "county"])
    row = {int(f): i for i, f in enumerate(units["feature_id"])}
    at = [row[int(u)] for u in faces.unit.tolist()]
    texts = _zone_texts(store, faces.kinds)
    has_urban = store.has("urban_boundary")
    zones, elements = [], []
    for m in faces.members:
        z, e = _members_text(m, texts, faces.kinds, not m.get("urban_boundary"), has_urban)
        zones.append(z)
        elements.append(e)
    codes = [str(units["code"][i] or "") for i in at]
    return {
        "county": [str(units["county"][i] or "") for i in at],
        "county_code": [county_code(c) for c in codes],
        "unit_code": codes,
        "unit_name": [str(units["name"][i] or "") for i in at],
        "unit_category": [CATEGORY_LABELS_ZH.get(units["category"][i], str(units["category"][i] or ""))
                          for i in at],
        "zones": zones,
        "element_zones": elements,
    }


def _frame(base: dict, faces: GuideFaces, verdict_cols: dict, geometry) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame({**base, **verdict_cols, "area_m2": faces.area_m2}, geometry=geometry, crs=CGCS2000)


def _decide(store, faces: GuideFaces, industry: str, national_major: bool | None) -> dict:
    cases, of = _cases(store, faces)
    verdicts, labels, deciding, _ = _face_verdict(store, cases, industry, national_major)
    v = np.asarray(verdicts, dtype=object)[of] if len(of) else np.zeros(0, dtype=object)
    return {"industry": [labels[0] if labels else ""] * len(of),
            "verdict": v.tolist(),
            "verdict_label": [DECISION_LABELS["zh"].get(x, x) for x in v.tolist()],
            "deciding": np.asarray(deciding, dtype=object)[of].tolist() if len(of) else []}


def guide(store, industry: str, *, national_major: bool | None = None, county: str | None = None,
          faces: GuideFaces | None = None) -> gpd.GeoDataFrame:
    """Siting guidance for one project type: the store's control-unit area as faces with verdicts.

    Parameters
    ----------
    store : Store, ResidentStore or path
    industry : str
        Project type (GB/T 4754-2017 code or name, EIA catalogue category: ``化工``, ``公路``, ``光伏`` ...).
    national_major : bool or None
        Whether the project is a national major project (None: unknown, as screening takes it).
    county : str, optional
        Only this county's units: a 6-digit code (``222401``) or a county name as stored.
    faces : GuideFaces, optional
        Faces already cut (:func:`guide_faces`), to decide several industries on the same cut.

    Returns
    -------
    GeoDataFrame
        One row per face (CGCS2000): ``county``, ``county_code``, ``unit_code``, ``unit_name``,
        ``unit_category``, ``zones`` (statutory and planning zones covering it, in Chinese),
        ``element_zones``, ``industry``, ``verdict`` (prohibited / restricted / review / allowed, what a
        small site inside it gets from a screening), ``verdict_label``, ``deciding`` (the first deciding
        clause's or rule's citation, as the batch gives it), ``area_m2`` (ellipsoidal).

    Raises
    ------
    InputError
        Unknown industry, a store without control units, a county not in the store.

    Examples
    --------
    >>> import gisplan                                                           # doctest: +SKIP
    >>> with gisplan.open_store("layers/demo_yanbian.gpkg") as store:            # doctest: +SKIP
    ...     faces = store.guide(industry="化工")
    >>> faces.groupby("verdict")["area_m2"].sum() / 1e6                          # doctest: +SKIP
    """
    if national_major not in (None, True, False):
        raise InputError(f"national_major must be True, False or None, got {national_major!r}")
    industry = _check_industry(industry)
    store = _snapshot(store)
    faces = faces if faces is not None else guide_faces(store, county)
    return _frame(_base_frame(store, faces), faces, _decide(store, faces, industry, national_major),
                  from_equal_area(faces.geoms_ea))


def guide_many(store, industries, *, national_major: bool | None = None, county: str | None = None
               ) -> dict[str, gpd.GeoDataFrame]:
    """:func:`guide` for several project types on one cut of faces: ``{industry: frame}`` in the order given."""
    names = list(dict.fromkeys(_check_industry(i) for i in industries))
    if not names:
        raise InputError("no industry given")
    store = _snapshot(store)
    faces = guide_faces(store, county)
    base = _base_frame(store, faces)
    geometry = from_equal_area(faces.geoms_ea)
    return {name: _frame(base, faces, _decide(store, faces, name, national_major), geometry) for name in names}


def _snapshot(store):
    """A store snapshot from a path, an open store or a ResidentStore (its current snapshot)."""
    if hasattr(store, "snapshot"):
        return store.snapshot()
    if hasattr(store, "index") and hasattr(store, "has"):
        return store
    from ..store.spec import as_store

    return as_store(store)
