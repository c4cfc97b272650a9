"""Benchmark: ``gisplan batch`` against a plain geopandas-overlay script doing the same work.

Both run on the same province-scale synthetic layers (default: 1,100 control
units with a vertex every ~30 m, about 2 M vertices, plus redline,
protected-area and water-source layers, and 2,000 sites) and must produce the
same numbers. The figures that matter are ratios measured side by side in one
run (these machines are shared and noisy: absolute seconds are not).

- default: both jobs in this one process (warm), alternating;
- ``--whole-process``: ``python -m gisplan.cli batch ... --out x.csv`` and
  ``python bench/overlay_baseline.py ...`` as whole processes (start-up and
  imports included), alternating;
- ``--postgis``: the same per-site category areas as one SQL query in a
  throwaway PostGIS (Debian's postgresql-15-postgis-3 through
  ``tools/pg_cluster.py``; GiST indexes, ``ST_Area(geography(ST_Intersection()))``),
  warm, against the in-process gisplan batch; skipped with a note when the
  server binaries are missing.

    python bench/bench_batch.py --whole-process --postgis --workdir /tmp/bench   # full scale
    python bench/bench_batch.py --units 60 --sites 100 --spacing 200             # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from gisplan.batch import screen_sites, write_batch
from gisplan.geo.crs import CGCS2000
from gisplan.importer import import_layer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from overlay_baseline import CATEGORY_COLUMNS, baseline  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BASELINE_SCRIPT = Path(__file__).resolve().with_name("overlay_baseline.py")
AREA_COLUMNS = ("area_m2", "priority_m2", "key_m2", "general_m2", "redline_m2", "protected_m2", "water_m2")

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


def gisplan_run(sites_path: Path, store, out: Path) -> pd.DataFrame:
    """What ``gisplan batch`` does (the command switches the cyclic garbage collector off, as here).

    ``store`` is a path (opened afresh: indexes built, pieces read) or an open
    :class:`gisplan.store.gpkg.Store` (resident: what a server keeps warm, like PostGIS's buffers).
    """
    import gc

    gc.disable()
    try:
        table = screen_sites(sites_path, store, id_field="site_id", progress=False)
        write_batch(table, out)
    finally:
        gc.enable()
    return pd.DataFrame({c: table[c] for c in table.columns})


def prepare(args, work: Path) -> tuple[dict, Path, tuple]:
    """Write the synthetic layers and sites, import the store (reused when the workdir holds the same ones)."""
    key = {"units": args.units, "spacing": args.spacing, "sites": args.sites, "seed": args.seed, "v": 2}
    stamp = work / "bench.json"
    kinds = ("control_units", "eco_redline", "protected_areas", "water_sources")
    sources = {kind: work / f"{kind}.gpkg" for kind in kinds}
    store = work / "store.gpkg"
    layers = province_layers(args.units, args.spacing, args.sites, args.seed)
    fresh = not (stamp.is_file() and json.loads(stamp.read_text()) == key and store.is_file())
    if fresh:
        for kind, frame in zip(kinds, layers[:4]):
            sources[kind].unlink(missing_ok=True)
            frame.to_file(sources[kind], driver="GPKG")
        (work / "sites.gpkg").unlink(missing_ok=True)
        layers[4].to_file(work / "sites.gpkg", driver="GPKG")
        store.unlink(missing_ok=True)
        t = time.perf_counter()
        for kind, src in sources.items():
            import_layer(store, kind, src)
        print(f"store import (once): {time.perf_counter() - t:.1f} s")
        stamp.write_text(json.dumps(key))
    units, redline, pa, ws, sites = layers
    vertices = int(shapely.get_num_coordinates(units.geometry.values).sum())
    print(f"layers: {len(units)} units, {vertices:,} unit vertices; {len(redline)} redline, {len(pa)} protected, "
          f"{len(ws)} water features; {len(sites)} sites" + ("" if fresh else " (store reused)"))
    return sources, store, layers


def agreement(base: pd.DataFrame, ours: pd.DataFrame) -> tuple[float, bool]:
    """Worst area difference (share of the site's area) and whether zone hits agree."""
    merged = base.merge(ours, on="site_id", suffixes=("_base", "_gisplan"))
    assert len(merged) == len(base) == len(ours), "the two tables hold other sites"
    worst = 0.0
    for col in AREA_COLUMNS:
        diff = (merged[f"{col}_base"].astype(float) - merged[f"{col}_gisplan"].astype(float)).abs()
        worst = max(worst, float((diff / merged["area_m2_base"]).max()))
    # gisplan's verdict weighs rules and clauses; the baseline knows areas only: compare zone hits
    ours_hit = merged[["redline_m2_gisplan", "protected_m2_gisplan", "water_m2_gisplan"]].astype(float).sum(axis=1) > 0.01
    base_hit = merged["zone_hit"].astype(str).str.lower() == "true"
    return worst, bool((base_hit == ours_hit).all())


def in_process(work: Path, sources: dict, store: Path, repeat: int) -> dict:
    """Both jobs in this process: first runs (one-off costs), then alternating, medians."""
    sites = work / "sites.gpkg"
    t = time.perf_counter()
    base = baseline(sites, sources, work / "baseline.csv")
    t_base_cold = time.perf_counter() - t
    t = time.perf_counter()
    ours = gisplan_run(sites, store, work / "gisplan.csv")
    t_ours_cold = time.perf_counter() - t
    base_times, ours_times = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        baseline(sites, sources, work / "baseline.csv")
        base_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        gisplan_run(sites, store, work / "gisplan.csv")
        ours_times.append(time.perf_counter() - t)
    t_base, t_ours = statistics.median(base_times), statistics.median(ours_times)
    worst, same_hits = agreement(base, ours)
    print(f"in-process, first run: geopandas overlay script {t_base_cold:.2f} s, gisplan batch {t_ours_cold:.2f} s, "
          f"ratio {t_base_cold / t_ours_cold:.1f}x")
    print(f"in-process, median of {repeat}: geopandas overlay script {t_base:.2f} s, gisplan batch {t_ours:.2f} s, "
          f"ratio {t_base / t_ours:.1f}x (whole batch job: read sites, screen, write table)")
    print(f"agreement: worst area difference {worst:.2e} of site area; zone hits equal: {same_hits}")
    return {"ratio": t_base / t_ours, "ratio_cold": t_base_cold / t_ours_cold, "worst_rel_diff": worst,
            "same_zone_hits": same_hits, "t_base": t_base, "t_ours": t_ours}


def _timed(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall and CPU (user + system, all threads) seconds of one process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    elapsed = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} ... failed: {r.stderr.strip()[-500:]}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_process(work: Path, sources: dict, store: Path, repeat: int) -> dict:
    """``gisplan batch`` and the geopandas script as whole processes, alternating; medians and their ratio."""
    sites = work / "sites.gpkg"
    ours_out, base_out = work / "wp_gisplan.csv", work / "wp_baseline.csv"
    ours = [sys.executable, "-m", "gisplan.cli", "batch", str(sites), "--store", str(store), "--id-field", "site_id",
            "--out", str(ours_out), "--no-progress"]
    base = [sys.executable, str(BASELINE_SCRIPT), str(sites), *(str(sources[k]) for k in (
        "control_units", "eco_redline", "protected_areas", "water_sources")), str(base_out)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    # as installed packages run: with bytecode (pip compiles it at install), kept beside the bench's files
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    _timed(ours, env), _timed(base, env)  # warm the page cache and write the bytecode, for both
    ours_runs, base_runs = [], []
    for _ in range(repeat):
        base_runs.append(_timed(base, env))
        ours_runs.append(_timed(ours, env))
    base_times, ours_times = [w for w, _ in base_runs], [w for w, _ in ours_runs]
    t_base, t_ours = statistics.median(base_times), statistics.median(ours_times)
    cpu_base, cpu_ours = statistics.median(c for _, c in base_runs), statistics.median(c for _, c in ours_runs)
    worst, same_hits = agreement(pd.read_csv(base_out, encoding="utf-8-sig"),
                                 pd.read_csv(ours_out, encoding="utf-8-sig"))
    print(f"whole process, median of {repeat} alternating runs: geopandas overlay script {t_base:.2f} s "
          f"(min {min(base_times):.2f}), gisplan batch {t_ours:.2f} s (min {min(ours_times):.2f})")
    print(f"whole-process ratio (script / gisplan batch): {t_base / t_ours:.1f}x wall; CPU time (all threads) "
          f"{cpu_base:.2f} s / {cpu_ours:.2f} s = {cpu_base / cpu_ours:.1f}x")
    print(f"agreement: worst area difference {worst:.2e} of site area, zone hits equal: {same_hits}")
    return {"wp_ratio": t_base / t_ours, "wp_base": t_base, "wp_ours": t_ours, "wp_cpu_ratio": cpu_base / cpu_ours,
            "wp_worst_rel_diff": worst, "wp_same_zone_hits": same_hits}


# ----------------------------------------------------------------------------- PostGIS

_UNITS_SQL = """
SELECT s.site_id, u.cat, SUM(ST_Area(geography(ST_Intersection(s.geom, u.geom)))) AS area
FROM sites s JOIN units u ON ST_Intersects(s.geom, u.geom)
GROUP BY s.site_id, u.cat
"""
_ZONE_SQL = """
SELECT s.site_id, SUM(ST_Area(geography(ST_Intersection(s.geom, z.geom)))) AS area
FROM sites s JOIN {table} z ON ST_Intersects(s.geom, z.geom)
GROUP BY s.site_id
"""


def _load_postgis(conn, layers) -> None:
    """Units (with their category), zone layers and sites as SRID 4490 tables with GiST indexes."""
    units, redline, pa, ws, sites = layers
    tables = [("units", "cat text", units["GKDYLB"].tolist(), units.geometry.values),
              ("redline", "name text", redline["name"].tolist(), redline.geometry.values),
              ("protected", "name text", pa["name"].tolist(), pa.geometry.values),
              ("water", "name text", ws["name"].tolist(), ws.geometry.values),
              ("sites", "site_id text", sites["site_id"].tolist(), sites.geometry.values)]
    for name, column, values, geoms in tables:
        field = column.split()[0]
        conn.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, {column}, geom geometry(Geometry, 4490))")
        wkb = shapely.to_wkb(shapely.set_srid(np.asarray(geoms, dtype=object), 4490), hex=True, include_srid=True)
        with conn.cursor().copy(f"COPY {name} ({field}, geom) FROM STDIN") as copy:
            for value, g in zip(values, wkb):
                copy.write_row((value, g))
        conn.execute(f"CREATE INDEX {name}_geom ON {name} USING GIST (geom)")
        conn.execute(f"ANALYZE {name}")


def same_query(store, site_geoms: np.ndarray, units_only: bool = False) -> dict[str, np.ndarray]:
    """What the PostGIS queries compute, done by gisplan in-process: per-site areas (m²) by unit category
    (and in the redline, protected-area and water-source layers), ellipsoidal.

    The batch's own steps: footprints to the equal-area plane, the overlay kernel in
    threads (:func:`gisplan.batch.overlap_pairs`), sums per site; no verdicts, no files.
    """
    from concurrent.futures import ThreadPoolExecutor

    from gisplan.batch import _workers, equal_area_sites, layer_indexes, overlap_pairs, unit_category_codes

    kinds = ("control_units",) if units_only else ("control_units", "eco_redline", "protected_areas", "water_sources")
    n = len(site_geoms)
    category = unit_category_codes(store)  # the cat column of PostGIS's units table
    out = {col: np.zeros(n) for col in CATEGORY_COLUMNS.values()}
    zone_col = {"eco_redline": "redline_m2", "protected_areas": "protected_m2", "water_sources": "water_m2"}
    with ThreadPoolExecutor(max_workers=_workers()) as pool:  # as screen_sites projects the footprints
        sites_ea = equal_area_sites(site_geoms, pool)
    for kind, site_of, feature_of, overlap in overlap_pairs(sites_ea, layer_indexes(store, kinds)):
        if kind == "control_units":
            cat = category[feature_of]
            for code, col in enumerate(CATEGORY_COLUMNS.values()):
                sel = cat == code
                out[col] += np.bincount(site_of[sel], weights=overlap[sel], minlength=n)
        else:
            out.setdefault(zone_col[kind], np.zeros(n))
            out[zone_col[kind]] += np.bincount(site_of, weights=overlap, minlength=n)
    return out


def postgis(work: Path, store: Path, layers, repeat: int) -> dict | None:
    """The per-site category areas in PostGIS (warm) against the in-process gisplan batch."""
    sys.path.insert(0, str(REPO / "tools"))
    import pg_cluster

    if not pg_cluster.available():
        print(f"PostGIS comparison skipped: {pg_cluster.missing_message()}")
        return None
    import psycopg

    sites = work / "sites.gpkg"
    with pg_cluster.pg_cluster() as url, psycopg.connect(url, autocommit=True) as conn:
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]
        t = time.perf_counter()
        _load_postgis(conn, layers)
        print(f"PostGIS {version}: tables loaded and indexed in {time.perf_counter() - t:.1f} s")

        def units_query():
            return conn.execute(_UNITS_SQL).fetchall()

        def all_queries():
            rows = units_query()
            for table in ("redline", "protected", "water"):
                conn.execute(_ZONE_SQL.format(table=table)).fetchall()
            return rows

        from gisplan.store.gpkg import Store

        resident = Store(store)
        site_geoms = np.asarray(layers[4].geometry.values, dtype=object)  # in memory, as PostGIS holds its sites table
        rows = units_query()  # warm: buffers, plans
        gisplan_run(sites, store, work / "gisplan.csv")
        gisplan_run(sites, resident, work / "gisplan.csv")
        same_units, same_all = same_query(resident, site_geoms, units_only=True), same_query(resident, site_geoms)
        pg_units, pg_all, ours_times, resident_times, q_units, q_all = [], [], [], [], [], []
        for _ in range(repeat):
            t = time.perf_counter()
            units_query()
            pg_units.append(time.perf_counter() - t)
            t = time.perf_counter()
            all_queries()
            pg_all.append(time.perf_counter() - t)
            t = time.perf_counter()
            same_units = same_query(resident, site_geoms, units_only=True)
            q_units.append(time.perf_counter() - t)
            t = time.perf_counter()
            same_all = same_query(resident, site_geoms)
            q_all.append(time.perf_counter() - t)
            t = time.perf_counter()
            ours = gisplan_run(sites, store, work / "gisplan.csv")
            ours_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            gisplan_run(sites, resident, work / "gisplan.csv")
            resident_times.append(time.perf_counter() - t)
    t_units, t_all, t_ours, t_res, t_q_units, t_q_all = (statistics.median(x) for x in (
        pg_units, pg_all, ours_times, resident_times, q_units, q_all))
    pg = pd.DataFrame(rows, columns=["site_id", "cat", "area"]).pivot_table(
        index="site_id", columns="cat", values="area", aggfunc="sum").rename(columns=CATEGORY_COLUMNS)
    mine = ours.set_index("site_id")
    worst = 0.0
    for col in CATEGORY_COLUMNS.values():
        diff = (pg[col].reindex(mine.index).fillna(0.0) - mine[col]).abs() / mine["area_m2"]
        worst = max(worst, float(diff.max()))
        # the same query's own figures are the batch's, to the last bit
        assert np.array_equal(same_units[col], mine[col].to_numpy()), f"same query {col} differs from the batch"
    for col in ("redline_m2", "protected_m2", "water_m2"):
        assert np.array_equal(same_all[col], mine[col].to_numpy()), f"same query {col} differs from the batch"
    print(f"PostGIS, median of {repeat} warm runs: units query {t_units:.2f} s, units + 3 zone queries {t_all:.2f} s")
    print(f"gisplan, the same queries in-process (sites in memory, resident store, areas per site and category): "
          f"units {t_q_units:.3f} s, four layers {t_q_all:.3f} s")
    print(f"same-query ratio (PostGIS / gisplan): units {t_units / t_q_units:.1f}x, four layers {t_all / t_q_all:.1f}x")
    print(f"gisplan batch in-process (read sites, screen 4 layers, verdicts, write CSV): resident store "
          f"{t_res:.3f} s, store opened per run {t_ours:.3f} s")
    print(f"PostGIS ratio (PostGIS / gisplan), resident store: units query {t_units / t_res:.1f}x, all four layers "
          f"{t_all / t_res:.1f}x; store opened per run: {t_units / t_ours:.1f}x, {t_all / t_ours:.1f}x")
    print(f"agreement with PostGIS (geodesic areas): worst {worst:.2e} of site area")
    return {"pg_units": t_units, "pg_all": t_all, "pg_ours": t_ours, "pg_resident": t_res,
            "pg_same_units": t_q_units, "pg_same_all": t_q_all, "pg_same_ratio": t_units / t_q_units,
            "pg_same_ratio_all": t_all / t_q_all,
            "pg_ratio": t_units / t_res, "pg_ratio_all": t_all / t_res, "pg_ratio_fresh": t_units / t_ours,
            "pg_worst_rel_diff": worst}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--spacing", type=float, default=30.0, help="vertex spacing of unit edges (m)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the layers and store here (reused next time)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each job after the first")
    ap.add_argument("--whole-process", action="store_true",
                    help="also time both jobs as whole processes (start-up and imports included)")
    ap.add_argument("--postgis", action="store_true", help="also compare with the same query in a throwaway PostGIS")
    ap.add_argument("--no-in-process", dest="in_process", action="store_false",
                    help="skip the in-process comparison with the geopandas script")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    # the bench's own record of verified stores (inherited by the timed processes): on a shared machine other
    # gisplan runs would push this store out of the user's cache and every run would checksum it again
    os.environ["GISPLAN_CACHE_DIR"] = str(work / "cache")
    sources, store, layers = prepare(args, work)
    out: dict = {}
    if args.in_process:
        out.update(in_process(work, sources, store, args.repeat))
    if args.whole_process:
        out.update(whole_process(work, sources, store, max(args.repeat, 5)))
    if args.postgis:
        out.update(postgis(work, store, layers, args.repeat) or {})
    return out


if __name__ == "__main__":
    main()
