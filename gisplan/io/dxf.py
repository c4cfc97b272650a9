"""CAD site plans (DXF): closed polylines and hatch boundaries as site polygons.

Designers send the red line (用地红线) as a DXF drawn in Gauss-Kruger metres
(CAD x = easting, y = northing). :func:`read_dxf` reads it with ezdxf in recover
mode (after a size check; DXF is plain text or a binary DXF, never code) and
collects, from model space:

- closed ``LWPOLYLINE`` and 2D/3D ``POLYLINE`` entities (also those whose last
  vertex repeats the first), arcs (bulges) flattened to 1 cm;
- ``HATCH`` boundary paths (polyline and edge paths), flattened to 1 cm, with
  inner paths as holes.

Open polylines, text, blocks and everything else are counted and left out.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely

from ..errors import InputError, SiteError
from .safety import check_local_path, one_line

__all__ = ["DxfData", "read_dxf", "MAX_DXF_BYTES"]

#: Largest DXF accepted (bytes).
MAX_DXF_BYTES = 100 * 1024**2
#: Flattening tolerance for arcs and splines (drawing units, metres).
FLATTEN = 0.01
_INSUNITS = {0: "unitless", 1: "inches", 2: "feet", 4: "millimetres", 5: "centimetres", 6: "metres", 7: "kilometres"}


@dataclass
class DxfData:
    """Polygons read from a DXF, with how they were read.

    Attributes
    ----------
    polygons : list of shapely.Polygon
        In drawing coordinates (x = easting, y = northing).
    layers_found : list of str
        All layers holding entities in model space.
    layers_used : list of str
        Layers the polygons came from.
    entities : collections.Counter
        Entities read, by type (``LWPOLYLINE``, ``POLYLINE``, ``HATCH``).
    skipped : collections.Counter
        Entities left out on the chosen layers (e.g. ``open LWPOLYLINE``, ``TEXT``).
    units : str
        The drawing's $INSUNITS.
    warnings : list of str
    path : str
    """

    polygons: list
    layers_found: list[str]
    layers_used: list[str]
    entities: Counter
    skipped: Counter
    units: str
    warnings: list[str] = field(default_factory=list)
    path: str = ""

    def summary(self) -> str:
        """One line: what was read."""
        read = ", ".join(f"{n} {k}" for k, n in sorted(self.entities.items()))
        text = f"DXF: {len(self.polygons)} polygon(s) from {read} on layer(s) {', '.join(self.layers_used)}"
        text += f"; layers in the drawing: {', '.join(self.layers_found)}"
        if self.skipped:
            text += "; left out: " + ", ".join(f"{n} {k}" for k, n in sorted(self.skipped.items()))
        return text + f"; units {self.units}"


def read_dxf(path, *, layer: str | None = None) -> DxfData:
    """Read the closed shapes of a DXF site plan.

    Parameters
    ----------
    path : str or os.PathLike
        A local ``.dxf`` file (at most :data:`MAX_DXF_BYTES`).
    layer : str, optional
        Read only this layer (case-insensitive); default: all layers.

    Returns
    -------
    DxfData

    Raises
    ------
    InputError
        Unreadable or oversized file, unknown layer (naming the layers found).
    SiteError
        No closed polyline or hatch (naming the layers and what was found).
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    local = check_local_path(path)
    size = local.stat().st_size
    if size > MAX_DXF_BYTES:
        raise InputError(f"{display} is larger than {MAX_DXF_BYTES // 1024**2} MiB; refused")
    with open(local, "rb") as fh:
        head = fh.read(64)
    if head.lstrip()[:1] not in (b"0", b"9") and not head.startswith(b"AutoCAD Binary DXF"):
        if head.startswith(b"AC10"):
            raise InputError(f"{display} is a DWG drawing, not DXF: save it as DXF in CAD")
        raise InputError(f"{display} is not a DXF file")
    import ezdxf
    from ezdxf import recover

    try:
        doc, auditor = recover.readfile(str(local))
    except (ezdxf.DXFStructureError, OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read {display} as DXF: {one_line(exc)}") from exc
    notes: list[str] = []
    if auditor.has_errors:
        notes.append(f"the DXF has {len(auditor.errors)} structural error(s); read in recover mode")
    msp = doc.modelspace()
    by_layer: dict[str, list] = {}
    for entity in msp:
        by_layer.setdefault(entity.dxf.get("layer", "0"), []).append(entity)
    layers_found = sorted(by_layer)
    if not layers_found:
        raise SiteError(f"{Path(display).name}: the drawing's model space is empty")
    if layer is not None:
        chosen = [n for n in layers_found if n == layer] or [n for n in layers_found if n.casefold() == layer.casefold()]
        if not chosen:
            raise InputError(f"{Path(display).name} has no entities on layer {layer!r}; layers found: {', '.join(layers_found)}")
    else:
        chosen = layers_found
    polygons: list = []
    used: list[str] = []
    entities: Counter = Counter()
    skipped: Counter = Counter()
    for name in chosen:
        got = 0
        for entity in by_layer[name]:
            kind = entity.dxftype()
            polys = _polygons_of(entity, kind, skipped)
            if polys:
                entities[kind] += 1
                polygons.extend(polys)
                got += 1
        if got:
            used.append(name)
    units = _INSUNITS.get(int(doc.header.get("$INSUNITS", 0) or 0), "other")
    if not polygons:
        where = f"layer {chosen[0]!r}" if layer is not None else "any layer"
        found = ", ".join(f"{n} {k}" for k, n in sorted(skipped.items())) or "nothing"
        raise SiteError(
            f"{Path(display).name}: no closed polyline or hatch on {where} (found: {found}); "
            f"layers in the drawing: {', '.join(layers_found)}"
        )
    if units not in ("metres", "unitless"):
        notes.append(f"the drawing's units are {units} ($INSUNITS); coordinates read as metres")
    return DxfData(polygons, layers_found, used, entities, skipped, units, notes, display)


def _polygons_of(entity, kind: str, skipped: Counter) -> list:
    from ezdxf import path as ezpath

    if kind == "LWPOLYLINE" or (kind == "POLYLINE" and (entity.is_2d_polyline or entity.is_3d_polyline)):
        points = np.array([(v.x, v.y) for v in ezpath.make_path(entity).flattening(FLATTEN)], dtype=float)
        closed = bool(entity.closed) or (len(points) > 2 and np.allclose(points[0], points[-1]))
        if not closed:
            skipped[f"open {kind}"] += 1
            return []
        poly = _ring_polygon(points)
        if poly is None:
            skipped[f"degenerate {kind}"] += 1
            return []
        return [poly]
    if kind == "HATCH":
        rings = []
        for p in ezpath.from_hatch(entity):
            pts = np.array([(v.x, v.y) for v in p.flattening(FLATTEN)], dtype=float)
            poly = _ring_polygon(pts)
            if poly is not None:
                rings.append(poly)
        if not rings:
            skipped["HATCH without boundary"] += 1
            return []
        return _nest(rings)
    skipped[kind] += 1
    return []


def _ring_polygon(points: np.ndarray):
    if len(points) < 3:
        return None
    if not np.allclose(points[0], points[-1]):
        points = np.vstack([points, points[:1]])
    if len(np.unique(points[:-1], axis=0)) < 3:
        return None
    poly = shapely.Polygon(points)
    return poly if poly.area > 0 else None


def _nest(rings: list) -> list:
    """Largest rings are shells; rings inside a shell are its holes (even-odd, one level)."""
    rings = sorted(rings, key=lambda p: -p.area)
    shells: list[tuple[shapely.Polygon, list]] = []
    for ring in rings:
        for shell, holes in shells:
            if shell.contains(ring):
                holes.append(ring.exterior.coords)
                break
        else:
            shells.append((ring, []))
    return [shapely.Polygon(shell.exterior.coords, holes) for shell, holes in shells]
