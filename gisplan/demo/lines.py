"""Synthetic permanent basic farmland and urban development boundary (示例) for the demo store.

The two planning layers of the three control lines (三条控制线) beside the demo's
redline, generated from a seed on the demo's other layers:

- ``urban_boundary``: around each county seat a wobbly 城镇集中建设区, a wedge of
  城镇弹性发展区 beyond it and a small 特别用途区 inside it, kept off the redline,
  the protected areas and the water-source zones;
- ``basic_farmland``: protection blocks (保护片块) in the countryside 3-25 km from
  each seat, each cut into 图斑 by field roads, kept off the redline, the
  protected areas, the water-source zones, the urban boundary and the sample
  project sites (so the sites keep their verdicts) -- except one block placed
  on purpose across the edge of the redline in 汪清县: the conflict
  ``gisplan layers check`` reports (the three lines must not overlap).

Codes are a demo convention (county code + 3-digit block + 2-digit patch), every
name carries 示例 and no figure is official. :func:`planning_layers` is called by
:func:`gisplan.demo.zoning.build_demo_layers`; it does not read the demo module.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import shapely

from ..geo.crs import CGCS2000, EQUAL_AREA, transform_geometry

__all__ = ["planning_layers", "CONFLICT_COUNTY", "CONFLICT_MARK"]

#: The county whose one farmland block crosses the redline on purpose, and what its name says.
CONFLICT_COUNTY = "222424"
CONFLICT_MARK = "（示例：与生态保护红线重叠）"
#: Radius (m) of each seat's concentrated construction zone (延吉 larger: the prefecture seat).
_URBAN_RADIUS = {"222401": 5200.0}
_URBAN_RADIUS_DEFAULT = 2600.0
#: Farmland blocks per county, their distance from the seat (m) and the land classes drawn.
_BLOCKS_PER_COUNTY = 18
_RING_M = (3000.0, 25000.0)
_LAND_CLASSES = ("旱地", "旱地", "旱地", "水田", "水田", "水浇地")
_ROAD_M = 8.0  # field roads between the patches of a block
#: The ``source`` of every synthetic feature (as :data:`gisplan.demo.zoning.DEMO_SOURCE`).
_SOURCE = "synthetic demo (gisplan), not official"


def _to_ea(geoms):
    return transform_geometry(geoms, CGCS2000, EQUAL_AREA)


def _from_ea(geoms):
    return transform_geometry(geoms, EQUAL_AREA, CGCS2000)


def _polygonal(geom):
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 1.0]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _blob(x: float, y: float, radius: float, rng: np.random.Generator, n: int = 96) -> shapely.Polygon:
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    amps, phases = rng.uniform(0.3, 1.0, 3) * 0.12, rng.uniform(0.0, 2 * np.pi, 3)
    k = np.arange(2, 5)[:, None]
    r = radius * (1.0 + (amps[:, None] * np.cos(k * theta + phases[:, None])).sum(axis=0))
    return shapely.Polygon(np.column_stack([x + r * np.cos(theta), y + r * np.sin(theta)]))


def _wedge(x: float, y: float, radius: float, start: float, width: float) -> shapely.Polygon:
    angles = np.linspace(start, start + width, 24)
    pts = [(x, y)] + [(x + radius * math.cos(a), y + radius * math.sin(a)) for a in angles]
    return shapely.Polygon(pts)


def _rect(cx: float, cy: float, w: float, h: float, angle: float) -> shapely.Polygon:
    ca, sa = math.cos(angle), math.sin(angle)
    pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return shapely.Polygon([(cx + px * ca - py * sa, cy + px * sa + py * ca) for px, py in pts])


def _patches(cx: float, cy: float, w: float, h: float, angle: float, cols: int, rows: int) -> list:
    """A block cut into ``cols`` x ``rows`` patches (图斑) by field roads."""
    out = []
    pw, ph = (w - (cols - 1) * _ROAD_M) / cols, (h - (rows - 1) * _ROAD_M) / rows
    ca, sa = math.cos(angle), math.sin(angle)
    for i in range(cols):
        for j in range(rows):
            ox = -w / 2 + pw / 2 + i * (pw + _ROAD_M)
            oy = -h / 2 + ph / 2 + j * (ph + _ROAD_M)
            out.append(_rect(cx + ox * ca - oy * sa, cy + ox * sa + oy * ca, pw, ph, angle))
    return out


def _urban(counties, avoid_ea, avoid_m: float, prefecture_ea, rng, parks_ea=()) -> tuple[list[tuple], object]:
    """The urban-boundary rows (name, zone, zone_label, code, geometry EA) and their union.

    ``parks_ea``: sites (industrial parks) that lie in the concentrated construction zone of the
    nearest seat (a separate part of it when they are away from the town).
    """
    labels = {"concentrated": "城镇集中建设区", "flexible": "城镇弹性发展区", "special": "特别用途区"}
    rows = []
    for adcode, name, seat in counties:
        x, y = _to_ea(shapely.Point(*seat)).coords[0]
        radius = _URBAN_RADIUS.get(adcode, _URBAN_RADIUS_DEFAULT)
        core = _blob(x, y, radius, rng)
        outer = _blob(x, y, radius * 1.45, rng)
        start = rng.uniform(0.0, 2 * np.pi)
        flexible = shapely.difference(shapely.intersection(outer, _wedge(x, y, radius * 2.0, start, math.radians(140))),
                                      core)
        a = start + math.pi + rng.uniform(-0.6, 0.6)
        special = shapely.intersection(_blob(x + 0.55 * radius * math.cos(a), y + 0.55 * radius * math.sin(a),
                                             0.22 * radius, rng), core)
        core = shapely.difference(core, special)
        for park in parks_ea:
            nearest = min(counties, key=lambda c: shapely.distance(park, _to_ea(shapely.Point(*c[2]))))
            if nearest[0] == adcode:
                c = shapely.centroid(park)
                core = shapely.union_all([core, _blob(c.x, c.y, 1300.0, rng)])
        window = shapely.buffer(shapely.envelope(shapely.union_all([core, flexible, outer])), 200.0)
        local_avoid = shapely.buffer(shapely.intersection(avoid_ea, window), avoid_m)  # buffered near the seat only
        for k, (zone, geom) in enumerate((("concentrated", core), ("flexible", flexible), ("special", special)), 1):
            geom = _polygonal(shapely.intersection(shapely.difference(geom, local_avoid), prefecture_ea))
            if not geom.is_empty:
                rows.append((f"{name}{labels[zone]}（示例）", zone, labels[zone], f"{adcode}CZKFBJ{k:02d}", geom))
    union = shapely.union_all([r[-1] for r in rows]) if rows else shapely.Polygon()
    return rows, union


def _conflict_block(redline_ea, county_ea, keep_off, rng) -> list:
    """One patch across the edge of the redline's largest part in the county (the planted conflict)."""
    parts = [p for p in shapely.get_parts(shapely.intersection(redline_ea, county_ea)) if p.geom_type == "Polygon"]
    for part in sorted(parts, key=lambda p: -p.area):
        ring = part.exterior
        for f in np.linspace(0.05, 0.95, 19):
            p = ring.interpolate(f, normalized=True)
            block = _patches(p.x, p.y, 700.0, 450.0, rng.uniform(0, math.pi), 1, 1)
            whole = shapely.union_all(block)
            inside = shapely.area(shapely.intersection(whole, redline_ea)) / whole.area
            if 0.2 < inside < 0.8 and county_ea.contains(whole) and not whole.intersects(keep_off):
                return block
    raise RuntimeError("no place for the planted farmland-redline conflict")


def planning_layers(layers: dict, counties, prefecture, avoid_sites, seed: int,
                    urban_sites=()) -> dict[str, gpd.GeoDataFrame]:
    """Synthetic ``basic_farmland`` and ``urban_boundary`` layers (示例) on the demo's other layers.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        The demo's ``control_units``, ``eco_redline``, ``protected_areas`` and ``water_sources``.
    counties : list of (adcode, name, (lon, lat) of the seat)
    prefecture : shapely geometry
        The prefecture outline (lon/lat).
    avoid_sites : list of shapely geometries
        The sample project sites (lon/lat): no farmland within 300 m of them.
    seed : int
        The demo's seed; this generator uses its own stream (``seed + 2``), so the other layers stay as they were.
    urban_sites : list of shapely geometries
        Sample sites (lon/lat) that lie in a concentrated construction zone (the industrial park).

    Returns
    -------
    dict of str to GeoDataFrame
        ``basic_farmland`` (``name``, ``code``, ``land_class``, ``township``) and ``urban_boundary``
        (``name``, ``zone``, ``zone_label``, ``code``), EPSG:4490, with a ``source`` column.
    """
    rng = np.random.default_rng(seed + 2)
    prefecture_ea = _polygonal(_to_ea(prefecture))
    red_ea = shapely.union_all(_to_ea(np.asarray(layers["eco_redline"].geometry.values, dtype=object)))
    zones_ea = shapely.union_all(_to_ea(np.asarray(list(layers["protected_areas"].geometry.values)
                                                   + list(layers["water_sources"].geometry.values), dtype=object)))
    strict = shapely.union_all([red_ea, zones_ea])
    parks = list(_to_ea(np.asarray(urban_sites, dtype=object))) if len(urban_sites) else []
    urban_rows, urban_ea = _urban(counties, strict, 60.0, prefecture_ea, rng, parks)
    sites_ea = shapely.union_all(_to_ea(np.asarray(avoid_sites, dtype=object)))
    for g in (strict, urban_ea, sites_ea):
        shapely.prepare(g)

    def kept_off(outline) -> bool:  # distances, not buffers of the large layers (much faster)
        return bool(shapely.dwithin(strict, outline, 80.0) or shapely.dwithin(urban_ea, outline, 150.0)
                    or shapely.dwithin(sites_ea, outline, 300.0))

    units = layers["control_units"]
    farm_rows = []
    placed: list = []
    for adcode, name, seat in counties:
        county_ea = _polygonal(shapely.union_all(_to_ea(np.asarray(units[units.county == name].geometry.values,
                                                                   dtype=object))))
        inner = shapely.buffer(county_ea, -800.0)
        shapely.prepare(inner)
        x0, y0 = _to_ea(shapely.Point(*seat)).coords[0]
        made, tries = 0, 0
        while made < _BLOCKS_PER_COUNTY and tries < 4000:
            tries += 1
            d = math.sqrt(rng.uniform(_RING_M[0] ** 2, _RING_M[1] ** 2))
            a = rng.uniform(0.0, 2 * np.pi)
            cx, cy = x0 + d * math.cos(a), y0 + d * math.sin(a)
            w, h = rng.uniform(700.0, 1500.0), rng.uniform(400.0, 900.0)
            cols, rows = int(rng.integers(1, 4)), int(rng.integers(1, 3))
            angle = rng.uniform(0.0, math.pi)
            outline = _rect(cx, cy, w, h, angle)
            if (not inner.contains(outline) or kept_off(outline)
                    or (placed and shapely.dwithin(np.asarray(placed, dtype=object), outline, 200.0).any())):
                continue
            made += 1
            placed.append(outline)
            for k, patch in enumerate(_patches(cx, cy, w, h, angle, cols, rows), 1):
                code = f"{adcode}{made:03d}{k:02d}"
                farm_rows.append((f"{code}（示例）", code, _LAND_CLASSES[int(rng.integers(len(_LAND_CLASSES)))], "",
                                  patch))
        if adcode == CONFLICT_COUNTY:
            off = shapely.union_all([shapely.buffer(zones_ea, 80.0), shapely.buffer(urban_ea, 150.0),
                                     shapely.buffer(sites_ea, 300.0), *[shapely.buffer(p, 200.0) for p in placed]])
            for k, patch in enumerate(_conflict_block(red_ea, county_ea, off, rng), 1):
                code = f"{adcode}900{k:02d}"
                farm_rows.append((f"{code}{CONFLICT_MARK}", code, "旱地", "", patch))

    def frame(rows: list, names: tuple[str, ...]) -> gpd.GeoDataFrame:
        geoms = list(_from_ea(np.asarray([r[-1] for r in rows], dtype=object)))
        data = {n: [r[i] for r in rows] for i, n in enumerate(names)}
        data["source"] = [_SOURCE] * len(rows)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)

    return {"basic_farmland": frame(farm_rows, ("name", "code", "land_class", "township")),
            "urban_boundary": frame(urban_rows, ("name", "zone", "zone_label", "code"))}
