"""Benchmark: peak memory and speed of a streamed ``gisplan batch`` as the number of sites grows.

Writes N synthetic polygon sites (5-100 ha) spread over the demo store's
area into a GeoPackage, runs ``gisplan batch --chunk-size C`` as its own
process for each N and prints wall time, sites/s and the peak resident memory
(GNU ``time``). With streaming, peak memory should stay about
flat as N grows (one chunk of sites plus the store's pieces), not grow with N.

    python bench/bench_stream.py                         # N = 20,000 and 200,000, chunk 20,000; exit 1 if the
                                                         # peak RSS reaches 2 GiB or the 200k peak is > 1.5x the 20k peak
    python bench/bench_stream.py --sites 2000 20000      # smaller
    python bench/bench_stream.py --national bench/out/national --sites 20000 100000
        # against the national store of bench/make_national.py (its sites: points, polygons, corridors)
    python bench/bench_stream.py --national /tmp/nat --compare-order --sites 200000 --chunk-size 50000
        # sites/s and peak RSS with chunks cut along a Hilbert curve and in input order, alternating processes
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
M_PER_DEG = 111_320.0


def write_sites(path: Path, n: int, bounds, seed: int = 3) -> None:
    """``n`` irregular polygons of 5-100 ha inside ``bounds`` (lon/lat), written in blocks."""
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = bounds
    block = 50_000
    for start in range(0, n, block):
        m = min(block, n - start)
        cx, cy = rng.uniform(x0, x1, m), rng.uniform(y0, y1, m)
        r = np.sqrt(rng.uniform(5e4, 1e6, m) / np.pi)
        ang = np.linspace(0, 2 * np.pi, 13)[:-1]
        xs = cx[:, None] + r[:, None] * np.cos(ang) / (M_PER_DEG * np.cos(np.radians(cy[:, None])))
        ys = cy[:, None] + r[:, None] * np.sin(ang) / M_PER_DEG
        rings = np.stack([xs, ys], axis=-1)
        geoms = shapely.polygons(np.concatenate([rings, rings[:, :1]], axis=1))
        ids = np.array([f"S{i:07d}" for i in range(start, start + m)], dtype=object)
        from pyogrio.raw import write

        write(path, shapely.to_wkb(geoms), [ids], ["site_id"], geometry_type="Polygon", crs="EPSG:4490",
              driver="GPKG", layer="sites", append=start > 0)


def compare_order(sites: Path, store: Path, work: Path, chunk_size: int, rounds: int = 2) -> None:
    """Sites/s and peak RSS of a streamed batch in Hilbert order and in input order, in alternating processes.

    ``hilbert``: chunks cut along a Hilbert curve over the whole file (the
    default); ``input``: chunks of consecutive input rows, each screened in
    Hilbert order (the baseline). Each run is its own process (a fresh store, its
    own peak RSS, GNU ``time``); the first run warms the OS file cache.
    """
    _run_order(sites, store, work / "warm.csv", chunk_size, "input")
    results: dict[str, list[tuple[float, float]]] = {"hilbert": [], "input": []}
    for r in range(rounds):
        for order in (("hilbert", "input") if r % 2 == 0 else ("input", "hilbert")):
            results[order].append(_run_order(sites, store, work / f"{order}.csv", chunk_size, order))
            wall, rss = results[order][-1]
            print(f"  {order:7s} round {r + 1}: {wall:7.1f} s, peak RSS {rss:6.0f} MiB", flush=True)
    same = (work / "hilbert.csv").read_bytes() == (work / "input.csv").read_bytes()
    n = _count(sites)
    med = {k: (float(np.median([w for w, _ in v])), max(m for _, m in v)) for k, v in results.items()}
    print(f"{n:,} sites, chunk {chunk_size:,}: hilbert {n / med['hilbert'][0]:.0f} sites/s "
          f"(peak {med['hilbert'][1]:.0f} MiB), input {n / med['input'][0]:.0f} sites/s "
          f"(peak {med['input'][1]:.0f} MiB); input/hilbert time {med['input'][0] / med['hilbert'][0]:.2f}x "
          f"(medians of {rounds}); same table: {same}")


def _count(sites: Path) -> int:
    sys.path.insert(0, str(REPO))
    from gisplan.io.vector import feature_count

    return int(feature_count(sites))


def _run_order(sites: Path, store: Path, out: Path, chunk_size: int, order: str) -> tuple[float, float]:
    """One streamed batch in its own process: (wall seconds, peak RSS MiB)."""
    code = ("import sys, gc; gc.disable(); from gisplan.engine.stream import stream_batch; "
            "stream_batch(sys.argv[1], sys.argv[2], sys.argv[3], id_field='site_id', chunk_size=int(sys.argv[4]), "
            "order=sys.argv[5], progress=False)")
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-c", code, str(sites), str(store),
                           str(out), str(chunk_size), order], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - t
    if proc.returncode:
        print(proc.stderr)
        raise SystemExit(proc.returncode)
    return wall, int(proc.stderr.strip().rsplit("maxrss_kb=", 1)[1].split()[0]) / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sites", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--chunk-size", type=int, default=20_000)
    ap.add_argument("--store", type=Path, default=REPO / "layers" / "demo_yanbian.gpkg")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--national", type=Path, default=None,
                    help="folder of bench/make_national.py's national.gpkg: screen its kind of sites against it")
    ap.add_argument("--compare-order", action="store_true", help="Hilbert chunks against input-order chunks, alternating processes")
    ap.add_argument("--rounds", type=int, default=2, help="runs of each order with --compare-order")
    ap.add_argument("--max-rss-mib", type=float, default=2048.0,
                    help="the bound: every run's peak RSS must stay below it (exit 1 otherwise)")
    ap.add_argument("--max-growth", type=float, default=1.5,
                    help="the largest N's peak RSS may be at most this times the smallest N's (memory independent of N)")
    args = ap.parse_args(argv)
    peaks: dict[int, float] = {}
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-stream-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.national:
        args.store = args.national / "national.gpkg"
    if not args.store.exists():
        subprocess.run([sys.executable, "-m", "gisplan.cli", "demo", "--store", str(args.store),
                        "--out-dir", str(work / "maps")], check=True, capture_output=True)
    bounds = (128.2, 42.2, 130.6, 43.8)  # Yanbian, inside the demo units
    for n in args.sites:
        sites = work / f"sites_{n}.gpkg"
        if not sites.exists():
            if args.national:
                sys.path.insert(0, str(REPO / "bench"))
                from make_national import load_counties
                from make_national import write_sites as national_sites

                national_sites(sites, load_counties(), n, seed=3)
            else:
                write_sites(sites, n, bounds)
        if args.compare_order:
            compare_order(sites, args.store, work, args.chunk_size, args.rounds)
            continue
        out = work / f"out_{n}.csv"
        t = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "maxrss_kb=%M", sys.executable, "-m", "gisplan.cli", "batch", str(sites), "--store", str(args.store),
                               "--id-field", "site_id", "--out", str(out), "--chunk-size", str(args.chunk_size),
                               "--no-progress"], capture_output=True, text=True)
        wall = time.perf_counter() - t
        if proc.returncode:
            print(proc.stderr)
            raise SystemExit(proc.returncode)
        peak_kb = int(proc.stderr.strip().rsplit("maxrss_kb=", 1)[1].split()[0])  # GNU time: this process's peak
        print(f"{n:>9,} sites, chunk {args.chunk_size:,}: {wall:7.1f} s, {n / wall:8.0f} sites/s, "
              f"peak RSS {peak_kb / 1024:7.0f} MiB")
        peaks[n] = peak_kb / 1024
    if peaks:
        check_memory_bound(peaks, args.max_rss_mib, args.max_growth)


def check_memory_bound(peaks: dict[int, float], max_rss_mib: float, max_growth: float) -> None:
    """Exit 1 when a run's peak RSS reaches ``max_rss_mib`` or grows with N beyond ``max_growth``."""
    failures = [f"{n:,} sites peaked at {mib:.0f} MiB (bound {max_rss_mib:.0f} MiB)"
                for n, mib in peaks.items() if mib >= max_rss_mib]
    small, large = min(peaks), max(peaks)
    if large > small and peaks[large] > max_growth * peaks[small]:
        failures.append(f"peak RSS grew from {peaks[small]:.0f} MiB ({small:,} sites) to {peaks[large]:.0f} MiB "
                        f"({large:,} sites): more than {max_growth}x")
    if failures:
        raise SystemExit("memory bound FAILED: " + "; ".join(failures))
    print(f"memory bound met: every peak below {max_rss_mib:.0f} MiB"
          + (f", {large:,} sites within {max_growth}x the peak of {small:,}" if large > small else ""))


if __name__ == "__main__":
    main()
