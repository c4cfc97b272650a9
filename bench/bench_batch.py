"""Benchmark: ``gisplan batch`` against a plain geopandas-overlay script doing the same work.

Both run in this one process on the same province-scale synthetic layers
(default: 1,100 control units with a vertex every ~30 m, about 2 M vertices,
plus redline, protected-area and water-source layers, and 2,000 sites), and
must produce the same numbers. The figure that matters is the ratio
baseline / gisplan (these machines are noisy: absolute seconds are not).

    python bench/bench_batch.py                      # full scale
    python bench/bench_batch.py --units 60 --sites 100 --spacing 200   # smoke
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.batch import screen_batch, write_batch
from gisplan.crs import CGCS2000, EQUAL_AREA
from gisplan.importer import import_layer

BOX = (123.0, 43.0, 129.5, 46.2)  # about 185,000 km² of Jilin-like land, clear of the national border
M_PER_DEG = 111_320.0


def make_units(n: int, spacing_m: float, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Voronoi control units over BOX, edges densified to ``spacing_m``."""
    x0, y0, x1, y1 = BOX
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=shapely.box(*BOX)))
    cells = shapely.intersection(cells, shapely.box(*BOX))
    cells = shapely.segmentize(cells, spacing_m / M_PER_DEG)
    cat = rng.choice(["1", "2", "3"], size=len(cells), p=[0.62, 0.17, 0.21])
    label = {"1": "优先保护单元", "2": "重点管控单元", "3": "一般管控单元"}
    codes = [f"ZH220{(i % 90) + 100:03d}{c}{i:04d}" for i, c in enumerate(cat)]
    return gpd.GeoDataFrame({"HJGKDYBM": codes, "HJGKDYMC": [f"单元{i}" for i in range(len(cells))],
                             "GKDYLB": [label[c] for c in cat]}, geometry=cells, crs=CGCS2000)


def make_zones(units: gpd.GeoDataFrame, rng: np.random.Generator):
    pri = units[units["GKDYLB"] == "优先保护单元"].sample(frac=0.4, random_state=1)
    redline = gpd.GeoDataFrame({"name": [f"红线{i}" for i in range(len(pri))]},
                               geometry=shapely.buffer(pri.geometry.values, -0.01), crs=CGCS2000)
    redline = redline[~redline.is_empty]
    centres = shapely.points(rng.uniform(BOX[0], BOX[2], 60), rng.uniform(BOX[1], BOX[3], 60))
    prot = []
    for i, c in enumerate(centres[:30]):
        core, buf, exp = (shapely.buffer(c, r, quad_segs=64) for r in (0.03, 0.06, 0.1))
        prot += [(f"保护区{i}", "核心区", core), (f"保护区{i}", "缓冲区", buf - core), (f"保护区{i}", "实验区", exp - buf)]
    water = []
    for i, c in enumerate(centres[30:]):
        l1, l2, q = (shapely.buffer(c, r, quad_segs=64) for r in (0.005, 0.02, 0.04))
        water += [(f"水源{i}", "一级保护区", l1), (f"水源{i}", "二级保护区", l2 - l1), (f"水源{i}", "准保护区", q - l2)]
    pa = gpd.GeoDataFrame(pd.DataFrame(prot, columns=["name", "GNFQ", "geometry"]), crs=CGCS2000)
    ws = gpd.GeoDataFrame(pd.DataFrame(water, columns=["name", "BHQJB", "geometry"]), crs=CGCS2000)
    return redline, pa, ws


def make_sites(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Irregular polygons of 5-100 ha with 12-40 vertices."""
    x0, y0, x1, y1 = BOX
    geoms = []
    for cx, cy in zip(rng.uniform(x0 + 0.1, x1 - 0.1, n), rng.uniform(y0 + 0.1, y1 - 0.1, n)):
        k = int(rng.integers(12, 40))
        ang = np.sort(rng.uniform(0, 2 * np.pi, k))
        r = np.sqrt(rng.uniform(5e4, 1e6) / np.pi) * rng.uniform(0.7, 1.3, k)
        xs = cx + r * np.cos(ang) / (M_PER_DEG * np.cos(np.radians(cy)))
        ys = cy + r * np.sin(ang) / M_PER_DEG
        geoms.append(shapely.Polygon(np.column_stack([xs, ys])))
    return gpd.GeoDataFrame({"site_id": [f"S{i:05d}" for i in range(n)]}, geometry=geoms, crs=CGCS2000)


def province_layers(units: int, spacing_m: float, sites: int, seed: int):
    """The province-scale synthetic layers and sites every bench uses: (units, redline, reserves, water, sites)."""
    rng = np.random.default_rng(seed)
    unit_frame = make_units(units, spacing_m, rng)
    redline, pa, ws = make_zones(unit_frame, rng)
    return unit_frame, redline, pa, ws, make_sites(sites, rng)


def baseline(sites_path: Path, sources: dict[str, Path], out: Path) -> pd.DataFrame:
    """What an analyst would write with geopandas: read, project, overlay, sum."""
    sites = gpd.read_file(sites_path).to_crs(EQUAL_AREA)
    sites["area_m2"] = sites.area
    table = sites[["site_id", "area_m2"]].copy()
    units = gpd.read_file(sources["control_units"]).to_crs(EQUAL_AREA)
    ov = gpd.overlay(sites[["site_id", "geometry"]], units[["GKDYLB", "geometry"]], how="intersection", keep_geom_type=True)
    ov["a"] = ov.area
    piv = ov.pivot_table(index="site_id", columns="GKDYLB", values="a", aggfunc="sum")
    names = {"优先保护单元": "priority_m2", "重点管控单元": "key_m2", "一般管控单元": "general_m2"}
    piv = piv.rename(columns=names).reindex(columns=list(names.values()))
    table = table.merge(piv, left_on="site_id", right_index=True, how="left")
    for kind, col in (("eco_redline", "redline_m2"), ("protected_areas", "protected_m2"), ("water_sources", "water_m2")):
        layer = gpd.read_file(sources[kind]).to_crs(EQUAL_AREA)
        ov = gpd.overlay(sites[["site_id", "geometry"]], layer[["geometry"]], how="intersection", keep_geom_type=True)
        ov["a"] = ov.area
        table = table.merge(ov.groupby("site_id")["a"].sum().rename(col), left_on="site_id", right_index=True, how="left")
    table = table.fillna(0.0)
    table["outside_m2"] = (table["area_m2"] - table[["priority_m2", "key_m2", "general_m2"]].sum(axis=1)).clip(lower=0)
    table["zone_hit"] = table[["redline_m2", "protected_m2", "water_m2"]].sum(axis=1) > 0.01
    table.to_csv(out, index=False, encoding="utf-8-sig")
    return table


def gisplan_run(sites_path: Path, store: Path, out: Path) -> pd.DataFrame:
    """What ``gisplan batch`` does (the command switches the cyclic garbage collector off, as here)."""
    import gc

    gc.disable()
    try:
        table = screen_batch(sites_path, store, id_field="site_id", progress=False)
        write_batch(table, out)
    finally:
        gc.enable()
    return pd.DataFrame(table.drop(columns="geometry"))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--spacing", type=float, default=30.0, help="vertex spacing of unit edges (m)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each job after the first")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    units, redline, pa, ws, sites = province_layers(args.units, args.spacing, args.sites, args.seed)
    sources = {}
    for kind, frame in (("control_units", units), ("eco_redline", redline), ("protected_areas", pa), ("water_sources", ws)):
        sources[kind] = work / f"{kind}.gpkg"
        frame.to_file(sources[kind], driver="GPKG")
    sites.to_file(work / "sites.gpkg", driver="GPKG")
    vertices = int(shapely.get_num_coordinates(units.geometry.values).sum())
    print(f"layers: {len(units)} units, {vertices:,} unit vertices; {len(redline)} redline, {len(pa)} protected, {len(ws)} water features; {len(sites)} sites")

    store = work / "store.gpkg"
    if store.exists():
        store.unlink()
    t = time.perf_counter()
    for kind, src in sources.items():
        import_layer(store, kind, src)
    t_import = time.perf_counter() - t

    # First runs pay one-off costs (imports, PROJ/GDAL start-up, China outline);
    # then alternate the two jobs and compare medians.
    t = time.perf_counter()
    base = baseline(work / "sites.gpkg", sources, work / "baseline.csv")
    t_base_cold = time.perf_counter() - t
    t = time.perf_counter()
    ours = gisplan_run(work / "sites.gpkg", store, work / "gisplan.csv")
    t_ours_cold = time.perf_counter() - t
    base_times, ours_times = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        baseline(work / "sites.gpkg", sources, work / "baseline.csv")
        base_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        gisplan_run(work / "sites.gpkg", store, work / "gisplan.csv")
        ours_times.append(time.perf_counter() - t)
    t_base, t_ours = float(np.median(base_times)), float(np.median(ours_times))

    merged = base.merge(ours, on="site_id", suffixes=("_base", "_gisplan"))
    worst = 0.0
    for col in ("area_m2", "priority_m2", "key_m2", "general_m2", "redline_m2", "protected_m2", "water_m2"):
        diff = (merged[f"{col}_base"] - merged[f"{col}_gisplan"]).abs()
        worst = max(worst, float((diff / merged["area_m2_base"]).max()))
    # gisplan's verdict weighs rules and clauses; the baseline knows areas only: compare zone hits
    ours_hit = merged[["redline_m2_gisplan", "protected_m2_gisplan", "water_m2_gisplan"]].sum(axis=1) > 0.01
    same_zone_hits = bool((merged["zone_hit"] == ours_hit).all())
    ratio = t_base / t_ours
    print(f"store import (once): {t_import:.1f} s")
    print(f"first run:  geopandas overlay script {t_base_cold:.2f} s, gisplan batch {t_ours_cold:.2f} s, ratio {t_base_cold / t_ours_cold:.1f}x")
    print(f"median of {args.repeat}: geopandas overlay script {t_base:.2f} s, gisplan batch {t_ours:.2f} s")
    print(f"ratio (baseline / gisplan, whole batch job: read sites, screen, write table): {ratio:.1f}x")
    print(f"agreement: worst area difference {worst:.2e} of site area; zone hits equal: {same_zone_hits}")
    return {"ratio": ratio, "ratio_cold": t_base_cold / t_ours_cold, "worst_rel_diff": worst, "same_zone_hits": same_zone_hits, "t_base": t_base, "t_ours": t_ours}


if __name__ == "__main__":
    main()
