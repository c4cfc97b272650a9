"""Load test of ``gisplan serve``: concurrent clients POSTing sites to ``/api/screen`` on loopback.

Starts a real server (uvicorn, ``--workers N`` or the server's default) on a
free loopback port with a fresh data folder, sends ``--requests`` screenings
from ``--clients`` threads (each with its own keep-alive connection), and
prints the latency p50/p95, the throughput, the errors (must be zero), and the
ratio to running ``gisplan screen SITE --store STORE --json OUT`` once per site
(a new process each time: what a script would do without the server). A
1-client run first gives the latency without queueing (``one_client``).

The client shares the machine with the server, so it is lean (``http.client``,
bodies built before the clock starts), and the CPU each request took is
measured from /proc: the server process, its workers and the client. With N
clients in a closed loop on C cores, a CPU-bound server cannot answer faster
than ``N x CPU per request / C`` (printed as ``cpu_bound_p50_floor_ms``); when
other work shares the cores, latencies are higher still (``load_avg_1min``).

Stores: ``--store FILE`` (e.g. the demo store), or by default the
province-scale synthetic store of ``bench/bench_batch.py`` (built once into
``--workdir``; ``--units``/``--spacing`` as there).

    python bench/bench_serve.py                                   # province store, 8 clients, 2,000 requests
    python bench/bench_serve.py --store layers/demo_yanbian.gpkg  # demo store, sample sites
    python bench/bench_serve.py --units 60 --spacing 200 --requests 200   # smoke
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def province_store(work: Path, units: int, spacing: float, seed: int, n_sites: int) -> tuple[Path, list[bytes]]:
    """The bench_batch layers imported into a store (cached in ``work``), and GeoJSON site payloads."""
    sys.path.insert(0, str(HERE))
    import bench_batch as bb

    from gisplan.importer import import_layer

    rng = np.random.default_rng(seed)
    store = work / f"province_{units}_{int(spacing)}.gpkg"
    if store.exists():
        from gisplan.errors import StoreError
        from gisplan.store.gpkg import Store

        try:
            Store(store)
        except StoreError:  # made by an older gisplan: build it again
            store.unlink()
    if not store.exists():
        t = time.perf_counter()
        u = bb.make_units(units, spacing, rng)
        redline, pa, ws = bb.make_zones(u, rng)
        tmp = store.with_suffix(".tmp.gpkg")
        tmp.unlink(missing_ok=True)
        for kind, frame in (("control_units", u), ("eco_redline", redline), ("protected_areas", pa), ("water_sources", ws)):
            src = work / f"{kind}.gpkg"
            frame.to_file(src, driver="GPKG")
            import_layer(tmp, kind, src)
        tmp.rename(store)
        print(f"built {store.name} in {time.perf_counter() - t:.0f} s")
    sites = bb.make_sites(n_sites, np.random.default_rng(seed + 1))
    payloads = [sites.iloc[[i]].to_json().encode("utf-8") for i in range(len(sites))]
    return store, payloads


def sample_payloads() -> list[bytes]:
    """The bundled single-site samples (batch file left out)."""
    return [p.read_bytes() for p in sorted((REPO / "data" / "sites").glob("*.geojson")) if p.stem != "batch_sites"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, data: Path, workers: int | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "gisplan.cli", "serve", "--store", str(store), "--data-dir", str(data), "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/favicon.ico", timeout=2).status_code == 204:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    stop_server(proc)
    raise SystemExit("server did not start within 120 s")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def multipart(payload: bytes, fields: dict, filename: str = "site.geojson") -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one file and plain fields, and its content type."""
    boundary = "gisplanbench" + os.urandom(8).hex()
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in fields.items()]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + payload + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def load(url: str, payloads: list[bytes], clients: int, requests: int, fields: dict) -> tuple[list[float], list[str], float]:
    """``requests`` POST /api/screen spread over ``clients`` threads; latencies (s), errors, wall time.

    A lean client (``http.client``, one keep-alive connection per thread, bodies
    built before the clock starts) so that the client, which shares the CPU
    with the server on loopback, takes as little of it as it can.
    """
    latencies: list[float] = []
    errors: list[str] = []
    timings: dict[str, list[float]] = {}
    lock = threading.Lock()
    counter = iter(range(requests))
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    bodies = [multipart(p, fields) for p in payloads]

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=120)
        try:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                body, ctype = bodies[i % len(bodies)]
                t = time.perf_counter()
                try:
                    conn.request("POST", "/api/screen", body=body, headers={"Content-Type": ctype})
                    r = conn.getresponse()
                    text = r.read()
                    dt = time.perf_counter() - t
                    ok = r.status == 200 and text.startswith(b'{"id": ')
                    problem = "" if ok else f"{r.status} {text[:200]!r}"
                    server_timing = r.getheader("server-timing", "")
                except (OSError, http.client.HTTPException) as exc:
                    dt = time.perf_counter() - t
                    problem, server_timing = f"{type(exc).__name__}: {exc}", ""
                    conn.close()
                    conn = http.client.HTTPConnection(host, int(port), timeout=120)
                with lock:
                    latencies.append(dt)
                    if problem:
                        errors.append(problem)
                    for part in server_timing.split(","):
                        name, _, dur = part.strip().partition(";dur=")
                        if dur:
                            timings.setdefault(name, []).append(float(dur))
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    load.timings = {k: round(float(np.percentile(v, 50)), 1) for k, v in timings.items()}
    return latencies, errors, time.perf_counter() - t0


def cli_per_site(store: Path, payloads: list[bytes], n: int, work: Path, fields: dict) -> float:
    """Mean seconds of one ``gisplan screen`` process per site."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    times = []
    for i in range(n):
        site = work / f"cli_site_{i}.geojson"
        site.write_bytes(payloads[i % len(payloads)])
        cmd = [sys.executable, "-m", "gisplan.cli", "screen", str(site), "--store", str(store), "--json",
               str(work / f"cli_{i}.json"), "--quiet"]
        for k, v in fields.items():
            cmd += [f"--{k}", str(v)]
        t = time.perf_counter()
        r = subprocess.run(cmd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        if r.returncode != 0:
            raise SystemExit(f"gisplan screen failed: {r.stderr.strip()}")
    return statistics.mean(times)


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by ``pid`` and every process of its group (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pid or int(stat.parent.name) == pid:  # fields[2]: process group
            found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / tick
    return found


def measured(url: str, pid: int, payloads: list[bytes], clients: int, requests: int, fields: dict) -> dict:
    """One load run: latencies, errors, and the CPU it took (server, its workers, this client) per request."""
    before, own = cpu_seconds(pid), os.times()
    lat, errors, wall = load(url, payloads, clients, requests, fields)
    after, mine = cpu_seconds(pid), os.times()
    used = {p: after[p] - before.get(p, 0.0) for p in after}
    n = max(1, len(lat))
    ms = np.array(lat) * 1000
    cpu = {"server_process": 1000 * used.get(pid, 0.0) / n,
           "workers": 1000 * sum(v for p, v in used.items() if p != pid) / n,
           "client": 1000 * ((mine.user - own.user) + (mine.system - own.system)) / n}
    cpu["total"] = sum(cpu.values())
    return {"clients": clients, "requests": len(lat), "errors": errors,
            "p50_ms": round(float(np.percentile(ms, 50)), 1), "p95_ms": round(float(np.percentile(ms, 95)), 1),
            "mean_ms": round(float(ms.mean()), 1), "throughput_per_s": round(len(lat) / wall, 1),
            "cpu_ms_per_request": {k: round(v, 2) for k, v in cpu.items()},
            "server_timing_p50_ms": dict(load.timings), "load_avg_1min": round(os.getloadavg()[0], 1)}


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--store", type=Path, help="Use this store and the bundled sample sites.")
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--spacing", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sites", type=int, default=200, help="distinct synthetic sites (province store)")
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--single-requests", type=int, default=300,
                    help="requests of the 1-client reference run (0: none)")
    ap.add_argument("--workers", type=int, default=None, help="server worker processes (default: the server's)")
    ap.add_argument("--cli-runs", type=int, default=5, help="`gisplan screen` processes timed for the ratio")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "gisplan-bench-serve")
    args = ap.parse_args(argv)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    fields = {"buffer": 5000}
    if args.store:
        store, payloads = args.store.resolve(), sample_payloads()
        fields.update(radius=300, width=40)  # the samples include a point and a line
    else:
        store, payloads = province_store(work, args.units, args.spacing, args.seed, args.sites)
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    proc, url = start_server(store, data, args.workers)
    try:
        _, warm_errors, _ = load(url, payloads, args.clients, min(4 * args.clients, args.requests), fields)  # warm up
        single = measured(url, proc.pid, payloads, 1, args.single_requests, fields) if args.single_requests else None
        run = measured(url, proc.pid, payloads, args.clients, args.requests, fields)
    finally:
        stop_server(proc)
        shutil.rmtree(data, ignore_errors=True)
    cli = cli_per_site(store, payloads, args.cli_runs, work, fields)
    errors = warm_errors + run.pop("errors")
    cores = os.cpu_count() or 1
    out = {"store": store.name, "store_mb": round(store.stat().st_size / 2**20, 1),
           "server_workers": args.workers or "default", "cpus": cores, **run, "errors": len(errors),
           # a closed loop of N clients on C cores, CPU-bound: p50 >= N x CPU per request / C
           "cpu_bound_p50_floor_ms": round(args.clients * run["cpu_ms_per_request"]["total"] / cores, 1),
           "cli_s_per_site": round(cli, 2), "ratio_cli_per_site_to_p50": round(cli / (run["p50_ms"] / 1000), 1)}
    if single is not None:
        errors += single.pop("errors")
        out["errors"] = len(errors)
        out["one_client"] = single
    print(json.dumps(out, indent=2))
    if errors:
        print("first errors:", *errors[:5], sep="\n  ")
    return out


if __name__ == "__main__":
    result = main()
    sys.exit(1 if result["errors"] else 0)
