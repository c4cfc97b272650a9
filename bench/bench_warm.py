"""Benchmark: warm single screenings with a store opened once (``gisplan.open_store``).

On the province-scale synthetic store of ``bench_batch.py`` (about 1,100 units,
~2 M vertices, redline, protected areas, water sources), ``store.screen(site)``
runs the full screening (control units, three zone kinds, nearby features with
geodesic distances, the verdict; no rendering, no map context: ``context=False``;
the default, which reads the features near each site for a map, is timed beside it) for N different sites, and the
baseline does what an analyst would per site with frames already in memory:
``geopandas.overlay`` of the one-site frame with each layer in the equal-area
plane, areas summed, plus ``sjoin_nearest``-free distance search by buffer.
Both must give the same unit areas. Printed: p50/p95 of each and the ratio of
the medians (noisy machines: compare ratios, not seconds).

    python bench/bench_warm.py                          # 2,000 sites, full scale
    python bench/bench_warm.py --units 80 --sites 100 --spacing 300   # smoke
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import province_layers  # noqa: E402

import gisplan  # noqa: E402
from gisplan.geo.crs import CGCS2000, EQUAL_AREA  # noqa: E402
from gisplan.importer import import_layer  # noqa: E402


def baseline_one(site: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame], buffer_m: float) -> dict:
    """Per-site geopandas work on in-memory equal-area frames: overlays and a buffered search."""
    out = {}
    for kind, frame in layers.items():
        ov = gpd.overlay(site, frame, how="intersection", keep_geom_type=True)
        out[kind] = ov.groupby("fid_layer")["geometry"].apply(lambda g: g.area.sum()).to_dict() if len(ov) else {}
        if kind != "control_units":
            near = frame[frame.intersects(site.geometry.iloc[0].buffer(buffer_m))]
            out[kind + "_near"] = len(near)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--sites", type=int, default=2000)
    ap.add_argument("--baseline-sites", type=int, default=200, help="sites timed for the (slow) baseline")
    ap.add_argument("--spacing", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--buffer", type=float, default=5000.0)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--preload", action=argparse.BooleanOptionalAction, default=True,
                    help="read all pieces when the store is opened (default; --no-preload: on first touch)")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-warm-"))
    work.mkdir(parents=True, exist_ok=True)
    units, redline, pa, ws, sites = province_layers(args.units, args.spacing, args.sites, args.seed)
    store_path = work / "store.gpkg"
    if store_path.exists():
        store_path.unlink()
    for kind, frame in (("control_units", units), ("eco_redline", redline), ("protected_areas", pa), ("water_sources", ws)):
        src = work / f"{kind}.gpkg"
        frame.to_file(src, driver="GPKG")
        import_layer(store_path, kind, src)
    geoms = list(sites.geometry.values)

    t = time.perf_counter()
    store = gisplan.open_store(store_path, preload=args.preload)
    t_open = time.perf_counter() - t
    sites_read = [gisplan.site_from_geometry(g, crs=CGCS2000) for g in geoms]  # reading is not the engine
    # the screening itself: no map context read (context=False; maps are not what this loop measures)
    for s in sites_read[:50]:  # warm-up: PROJ, caches (pieces are read lazily on first touch)
        store.screen(s, industry="C26", context=False)
    times = []
    results = []
    for s in sites_read:
        t = time.perf_counter()
        r = store.screen(s, industry="C26", context=False)
        times.append(time.perf_counter() - t)
        results.append(r)
    times = np.array(times) * 1e3
    # a second pass over the same sites: all pieces already read
    times2 = []
    for s in sites_read:
        t = time.perf_counter()
        store.screen(s, industry="C26", context=False)
        times2.append(time.perf_counter() - t)
    times2 = np.array(times2) * 1e3
    # the default (context=True): the features near each site and its counties' outline read for a map
    times_ctx = []
    for s in sites_read:
        t = time.perf_counter()
        store.screen(s, industry="C26")
        times_ctx.append(time.perf_counter() - t)
    times_ctx = np.array(times_ctx) * 1e3

    layers = {}
    for kind, frame in (("control_units", units), ("eco_redline", redline), ("protected_areas", pa), ("water_sources", ws)):
        f = frame.to_crs(EQUAL_AREA).reset_index(drop=True)
        f["fid_layer"] = np.arange(len(f))
        layers[kind] = f[["fid_layer", "geometry"]]
    ea_sites = sites.to_crs(EQUAL_AREA)
    base_times = []
    worst = 0.0
    for i in range(min(args.baseline_sites, len(sites))):
        one = ea_sites.iloc[[i]][["geometry"]]
        t = time.perf_counter()
        got = baseline_one(one, layers, args.buffer)
        base_times.append(time.perf_counter() - t)
        ours = {int(r["feature_id"]): r["overlap_m2"] for r in results[i].unit_rows}
        for fid, a in got["control_units"].items():
            worst = max(worst, abs(ours.get(fid, 0.0) - a) / max(results[i].project["area_m2"], 1.0))
    base_times = np.array(base_times) * 1e3
    ratio = float(np.median(base_times) / np.median(times))
    print(f"store: {len(units)} units, {int(shapely.get_num_coordinates(units.geometry.values).sum()):,} vertices; "
          f"{len(redline)} redline, {len(pa)} protected, {len(ws)} water features; {len(sites)} sites")
    print(f"open_store(preload={args.preload}): {t_open:.2f} s")
    print(f"store.screen (first pass):  p50 {np.median(times):.2f} ms, p95 {np.percentile(times, 95):.2f} ms")
    print(f"store.screen (second pass):               p50 {np.median(times2):.2f} ms, p95 {np.percentile(times2, 95):.2f} ms")
    print(f"store.screen with map context (default):  p50 {np.median(times_ctx):.2f} ms, "
          f"p95 {np.percentile(times_ctx, 95):.2f} ms")
    print(f"baseline per-site geopandas overlay ({len(base_times)} sites): p50 {np.median(base_times):.2f} ms, "
          f"p95 {np.percentile(base_times, 95):.2f} ms")
    print(f"ratio of medians (baseline / store.screen): {ratio:.1f}x; worst unit-area difference {worst:.1e} of site area")
    verdicts = pd.Series([r.verdict["overall"] for r in results]).value_counts().to_dict()
    print(f"verdicts: {verdicts}")
    return {"p50_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95)), "ratio": ratio, "worst": worst}


if __name__ == "__main__":
    main()
