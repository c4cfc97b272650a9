"""The three control lines must not overlap (三条控制线不交叉重叠): the conflict checks of ``layers check``.

The ecological protection redline, permanent basic farmland and the urban
development boundary are delimited so that none lies over another; a delivery
(or a store) where they do is reported, one problem per overlapping pair of
features and part of their intersection:

- ``redline_farmland_overlap``: a redline feature and a basic-farmland feature;
- ``redline_urban_overlap``: a redline feature and an urban-boundary feature;
- ``farmland_urban_overlap``: a basic-farmland feature and an urban-boundary feature.

Each record names the two layers (``layers``), the two features (``codes``:
the redline's name, the farmland patch's number or name, the boundary's name
and planning zone), the area (m², ellipsoidal: the equal-area plane of GRS80,
as every area of a store) and a point inside it (``location``, lon/lat). Parts
below the sliver threshold are ``sliver`` records with the same fields.
"""

from __future__ import annotations

import numpy as np
import shapely

from ..geo.geometry import from_equal_area, polygonal_part
from .source import LayerSet, column

__all__ = ["PAIRS", "THREE_LINE_CHECKS", "three_line_conflicts"]

#: (check, first layer, second layer) of each pair of lines that must not overlap.
PAIRS = (
    ("redline_farmland_overlap", "eco_redline", "basic_farmland"),
    ("redline_urban_overlap", "eco_redline", "urban_boundary"),
    ("farmland_urban_overlap", "basic_farmland", "urban_boundary"),
)
THREE_LINE_CHECKS = tuple(check for check, _, _ in PAIRS)
_WORDS = {"eco_redline": "redline", "basic_farmland": "basic farmland", "urban_boundary": "urban boundary"}
#: Below this area (m²) an intersection is rounding, not a conflict.
_NOISE_M2 = 0.01


def _names(layers: LayerSet, kind: str) -> list[str]:
    """How a feature is named in a record: redline name, farmland number (else name), boundary name and zone."""
    frame = layers.frames[kind]
    names = column(frame, "name").tolist()
    if kind == "basic_farmland":
        codes = column(frame, "code").tolist()
        return [c or n for c, n in zip(codes, names)]
    if kind == "urban_boundary":
        labels = column(frame, "zone_label").tolist()
        return [f"{n} {z}".strip() for n, z in zip(names, labels)]
    return names


def _location(geom_ea) -> list[float]:
    point = from_equal_area(np.array([shapely.point_on_surface(geom_ea)], dtype=object))[0]
    return [round(float(point.x), 6), round(float(point.y), 6)]


def three_line_conflicts(layers: LayerSet, sliver_m2: float) -> list[dict]:
    """Overlaps between the three control lines, for every pair of them the source holds.

    Parameters
    ----------
    layers : LayerSet
        A store's layers (or a delivered layer with ``--redline``).
    sliver_m2 : float
        Parts smaller than this (m²) are reported as ``sliver``.

    Returns
    -------
    list of dict
        ``{check, codes, kind, layers, area_m2, location, detail}`` per part of
        each overlap (``kind`` is the first layer of the pair).
    """
    out = []
    for check, a, b in PAIRS:
        if not (layers.has(a) and layers.has(b)):
            continue
        ea_a, ea_b = layers.ea(a), layers.ea(b)
        names_a, names_b = _names(layers, a), _names(layers, b)
        right, left = shapely.STRtree(ea_a).query(ea_b, predicate="intersects")  # (index into b, index into a)
        for j, i in sorted(zip(left.tolist(), right.tolist())):
            for part in shapely.get_parts(polygonal_part(shapely.intersection(ea_a[j], ea_b[i]))):
                area = float(shapely.area(part))
                if part.is_empty or area <= _NOISE_M2:
                    continue
                kind_of = check if area >= sliver_m2 else "sliver"
                detail = (f"{_WORDS[a]} {names_a[j]} overlaps {_WORDS[b]} {names_b[i]}: the three control lines "
                          "must not overlap" + ("" if kind_of == check else " (sliver)"))
                out.append({"check": kind_of, "codes": [str(names_a[j]), str(names_b[i])], "kind": a, "layers": [a, b],
                            "area_m2": round(area, 2), "location": _location(part), "detail": detail})
    return out
