"""Benchmark: what a partition costs on a Dask worker, and what the client costs per site.

For the demo store and the province-scale store of ``bench_batch.py`` it writes
N synthetic polygon sites (5-100 ha) inside the store's units and measures,
on a local cluster of W worker processes (one thread each):

- the run as ``gisplan batch --engine dask`` does it (``dask_batch``), in both modes (the
  workers load their chunks from the spill; this process reads and sends the windows),
  against the local engine (``stream_batch``) on the same sites: wall times, this
  process's CPU per site, and the tables compared;
- each of P partitions screened on a worker: CPU seconds and wall seconds in the
  task, cold (first partition on a worker: the store opened, its pieces read) and
  warm (the same partitions again);
- the scheduler's overhead per task (1,000 empty tasks) and the bytes sent per site;
- the client's own work per site (read a window, sort, write the part, join).

The national estimate in ``docs/`` is worked out from these figures. Wall
times on a shared machine are noisy; CPU seconds per site are the figure to
extrapolate from.

    python bench/bench_dask.py                                 # 20,000 sites, 8 partitions, 2 workers
    python bench/bench_dask.py --sites 2000 --units 200 --spacing 200   # smoke
"""

from __future__ import annotations

import argparse
import logging
import pickle
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[1]
OPTIONS = dict(radius=None, width=None, industry="C26", industry_field=None, national_major=None, raster_stats=())


def _timed_partition(frame, spec, version):
    """On a worker: screen one partition, return (sites, CPU s, wall s, the table)."""
    import time

    from gisplan.engine.dask_batch import _screen_partition

    c, t = time.process_time(), time.perf_counter()
    _, table = _screen_partition((np.arange(len(frame)), frame), spec, version, "site_id", OPTIONS)
    return len(frame), time.process_time() - c, time.perf_counter() - t, table


def _noop(x):
    return x


def _rss_mib() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def province_store(work: Path, units: int, spacing: float) -> tuple[Path, tuple]:
    """The store of bench_batch.py (synthetic Jilin-like province) and the box to put sites in."""
    from bench_batch import BOX, province_layers

    from gisplan.importer import import_layer

    store = work / "province.gpkg"
    if not store.exists():
        layers = province_layers(units, spacing, 1, 7)[:4]
        for kind, frame in zip(("control_units", "eco_redline", "protected_areas", "water_sources"), layers):
            src = work / f"{kind}.gpkg"
            frame.to_file(src, driver="GPKG")
            import_layer(store, kind, src)
    x0, y0, x1, y1 = BOX
    return store, (x0 + 0.1, y0 + 0.1, x1 - 0.1, y1 - 0.1)


def demo_store(work: Path) -> tuple[Path, tuple]:
    from gisplan.demo.run import build_demo_store

    store = REPO / "layers" / "demo_yanbian.gpkg"
    if not store.exists():
        store = work / "demo.gpkg"
        if not store.exists():
            build_demo_store(store)
    return store, (128.2, 42.2, 130.6, 43.8)


def measure(name: str, store: Path, bounds, client, args, work: Path) -> dict:
    from bench_stream import write_sites

    from gisplan.engine.dask_batch import _store_version, spatial_partitions
    from gisplan.engine.stream import stream_batch
    from gisplan.sites import read_site_frame

    sites = work / f"sites_{name}_{args.sites}.gpkg"
    if isinstance(bounds, Path):  # a sites file of the store's own (the first N features)
        import pyogrio

        pyogrio.write_dataframe(read_site_frame(bounds, window=(0, args.sites))[0], sites, layer="sites")
    elif not sites.exists():
        write_sites(sites, args.sites, bounds)
    spec, version = str(store), _store_version(str(store))
    # the client's work per site: read, sort into partitions, write a part, join
    t = time.perf_counter()
    frame, _, _ = read_site_frame(sites)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    parts = spatial_partitions(frame, args.partitions)
    t_sort = time.perf_counter() - t
    sent = sum(len(pickle.dumps(frame.iloc[p])) for p in parts)
    # partitions on the workers: the first round opens the store and reads pieces (cold), the second is warm
    rounds = []
    for _ in range(2):
        futures = [client.submit(_timed_partition, frame.iloc[p], spec, version, pure=False) for p in parts]
        t = time.perf_counter()
        res = client.gather(futures)
        rounds.append((res, time.perf_counter() - t))
    (cold, t_cold), (warm, t_warm) = rounds
    rss = sorted(round(v) for v in client.run(_rss_mib).values())
    # the fixed cost of a partition: one site, warm, ten times
    ones = [client.submit(_timed_partition, frame.iloc[[i]], spec, version, pure=False) for i in range(10)]
    one = client.gather(ones)
    fixed_cpu, fixed_wall = float(np.median([r[1] for r in one])), float(np.median([r[2] for r in one]))
    n = len(frame)
    cpu_cold, cpu_warm = sum(r[1] for r in cold), sum(r[1] for r in warm)
    back = sum(len(pickle.dumps(r[3])) for r in warm)
    # the client's side of a window: the tables put back in input order and written as a part
    import pandas as pd

    from gisplan.batch import write_batch

    t = time.perf_counter()
    table = pd.concat([r[3] for r in warm], ignore_index=True)
    table = table.iloc[np.argsort(np.concatenate(parts), kind="stable")].reset_index(drop=True)
    write_batch(table, work / "client_write.csv")
    t_write = time.perf_counter() - t
    # whole runs: the Dask engine in both modes and the local engine, same sites, same output
    runs = {mode: _dask_run(mode, sites, store, work / f"dask_{name}_{mode}.csv", client, args)
            for mode in ("spill", "client")}
    out_d, out_l = work / f"dask_{name}_spill.csv", work / f"local_{name}.csv"
    out_l.unlink(missing_ok=True)
    t_local, same = None, None
    if not args.skip_local:
        t = time.perf_counter()
        stream_batch(sites, store, out_l, id_field="site_id", chunk_size=args.chunk_size, progress=False, **OPTIONS)
        t_local = time.perf_counter() - t
        same = out_d.read_bytes() == out_l.read_bytes()
    modes_same = out_d.read_bytes() == (work / f"dask_{name}_client.csv").read_bytes()
    fig = {
        "store": name, "sites": n, "partitions": len(parts),
        "cpu_ms_per_site_cold": 1e3 * cpu_cold / n, "cpu_ms_per_site_warm": 1e3 * cpu_warm / n,
        "partition_cpu_s_warm": [round(r[1], 2) for r in warm], "partition_wall_s_warm": [round(r[2], 2) for r in warm],
        "partition_fixed_cpu_ms": 1e3 * fixed_cpu, "partition_fixed_wall_ms": 1e3 * fixed_wall,
        "worker_rss_mib": rss, "round_wall_s_cold": t_cold, "round_wall_s_warm": t_warm,
        "read_ms_per_site": 1e3 * t_read / n, "sort_ms_per_site": 1e3 * t_sort / n,
        "client_write_ms_per_site": 1e3 * t_write / n,
        "bytes_sent_per_site": sent / n, "bytes_back_per_site": back / n,
        "run_local_s": t_local, "spill_csv_equals_local": same, "spill_csv_equals_client_mode": modes_same,
        **{f"{k}_{mode}": v for mode, r in runs.items() for k, v in r.items()},
    }
    for k, v in fig.items():
        print(f"  {name:8s} {k:26s} {v if not isinstance(v, float) else round(v, 3)}")
    return fig


def _dask_run(mode: str, sites: Path, store: Path, out: Path, client, args) -> dict:
    """One ``dask_batch`` run, the workers reading the spill (``spill``) or this process the windows (``client``).

    The client's CPU is this process's (with a local cluster the scheduler runs here too: it is included).
    """
    from gisplan.engine import dask_batch as engine

    out.unlink(missing_ok=True)
    real = engine._workers_see
    if mode == "client":
        engine._workers_see = lambda *a: False
    try:
        c, t = time.process_time(), time.perf_counter()
        engine.dask_batch(sites, store, out, id_field="site_id", scheduler=client.scheduler.address,
                          partitions=args.partitions if mode == "client" else args.task_partitions,
                          chunk_size=args.chunk_size, progress=False, **OPTIONS)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    finally:
        engine._workers_see = real
    n = args.sites
    return {"run_dask_s": wall, "client_cpu_ms_per_site": 1e3 * cpu / n, "client_cpu_s": cpu}


def per_kind(store: Path, sites: Path) -> dict:
    """CPU ms per site of ``screen_batch`` for the polygons, points and lines of a sites file, one process."""
    import psutil

    from gisplan.batch import screen_batch
    from gisplan.sites import read_site_frame
    from gisplan.store.gpkg import Store

    snapshot = Store(store)
    frame, _, _ = read_site_frame(sites, window=(10_000, 8_000))
    opts = dict(id_field="site_id", progress=False, **OPTIONS)
    screen_batch(frame.iloc[:50], snapshot, **opts)  # the store opened, PROJ set up
    fig = {}
    for kind, n in (("Polygon", 2000), ("Point", 300), ("LineString", 200)):
        sub = frame[frame.geom_type == kind].iloc[:n]
        if len(sub):
            c = time.process_time()
            screen_batch(sub, snapshot, **opts)
            fig[kind] = 1e3 * (time.process_time() - c) / len(sub)
    c = time.process_time()
    screen_batch(frame.iloc[[0]], snapshot, **opts)
    fig["fixed_ms"] = 1e3 * (time.process_time() - c)
    fig["rss_mib"] = psutil.Process().memory_info().rss / 2**20
    fig["mix"] = frame.geom_type.value_counts(normalize=True).round(3).to_dict()
    print("CPU ms per site by kind:", {k: round(v, 3) if isinstance(v, float) else v for k, v in fig.items()})
    return fig


def task_overhead(client, n: int = 1000) -> float:
    """Seconds of scheduler and transport overhead per task (empty tasks, submitted at once)."""
    client.gather([client.submit(_noop, i, pure=False) for i in range(50)])  # warm up
    t = time.perf_counter()
    client.gather([client.submit(_noop, i, pure=False) for i in range(n)])
    return (time.perf_counter() - t) / n


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, default=20_000)
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--task-partitions", type=int, default=None,
                    help="partitions per --chunk-size of the spill mode (default: tasks of 4,000 sites)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--spacing", type=float, default=30.0)
    ap.add_argument("--stores", nargs="+", default=["demo", "province"])
    ap.add_argument("--store", type=Path, help="another store (e.g. a national one) ...")
    ap.add_argument("--store-sites", type=Path, help="... and the sites file whose first --sites features to use")
    ap.add_argument("--kinds", action="store_true", help="only the CPU cost per site kind of --store/--store-sites")
    ap.add_argument("--skip-local", action="store_true", help="no local-engine run (a large store)")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    if args.kinds:
        return [per_kind(args.store, args.store_sites)]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-dask-"))
    work.mkdir(parents=True, exist_ok=True)
    from distributed import Client, LocalCluster

    figures = []
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        over = task_overhead(client)
        print(f"scheduler overhead per task (1,000 empty tasks, {args.workers} workers): {1e3 * over:.2f} ms")
        names = args.stores if args.store is None else ["other"]
        for name in names:
            if name == "other":
                store, bounds = args.store, args.store_sites
            else:
                store, bounds = demo_store(work) if name == "demo" else province_store(work, args.units, args.spacing)
            figures.append(measure(name, store, bounds, client, args, work) | {"task_overhead_ms": 1e3 * over})
    return figures


if __name__ == "__main__":
    main()
