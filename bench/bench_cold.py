"""Benchmark: where people wait for one screening, before and after a change, in one run.

Three figures, each a whole process (start-up, imports and all) timed from the
outside, the code BEFORE (a git commit, unpacked with ``git archive`` into a
temporary folder and put first on ``PYTHONPATH``) and AFTER (this working tree)
run alternately, so both meet the same machine load:

1. ``gisplan screen SITE --store STORE --industry 化工 --json out.json``;
2. the same with ``--docx --png --html-map`` (the map drawn once for the PNG and the DOCX);
3. the web page's report downloads after a screening: a worker process as
   ``gisplan serve`` runs one (``engine.init_worker``, ``engine.screen_upload``),
   then ``engine.render_output`` of ``report.docx`` and then ``report.pdf``
   (which reuses the PNG map the DOCX drew), each timed inside the worker; and
   the PDF alone in a fresh worker (it draws the map itself).

Printed: medians of ``--runs`` runs, wall-clock and CPU (user + system) seconds,
the ratio BEFORE/AFTER of the medians, and the load average at the start and the
end (these machines are shared: compare the ratios, not seconds; on a loaded
machine the CPU seconds are the steadier figure). The worker's start is
printed as wall seconds and the CPU it took (``init_worker``, the store opened). The JSON report and the terminal summary of command 1
must be the same before and after (bar the time stamp), or the bench exits 1.

    python bench/bench_cold.py                        # before = merge-base with main, 7 runs
    python bench/bench_cold.py --before 59840f5 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"

#: Run inside a worker-like process: init, screen, then the timed downloads (JSON on stdout).
_WORKER = r"""
import json, sys, time
t0 = time.perf_counter()
from gisplan.serve import engine
store, versions, site, out, order = sys.argv[1:6]
engine.init_worker(store, versions)
t1 = time.perf_counter()
times = {"init": (t1 - t0, time.process_time())}
got = engine.screen_upload(site, "site.geojson", {"buffer": 5000.0, "industry": "化工"})
assert "error" not in got, got
kept = got.get("pickle") or got.get("result")
for name in order.split(","):
    s, c = time.perf_counter(), time.process_time()
    answer = engine.render_output(kept, got["store"]["sha256"], out, name, "zh")
    assert answer.get("file") == name, answer
    times[name] = (time.perf_counter() - s, time.process_time() - c)
print(json.dumps(times))
"""


def _env(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), MPLBACKEND="Agg")
    env.pop("GISPLAN_DEBUG", None)
    # as on a user's machine: modules compiled once and their bytecode kept (a sandbox may set this to 1,
    # which makes every start compile all of gisplan again); the untimed first run writes the caches
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _timed(cmd: list[str], env: dict, cwd: Path) -> tuple[tuple[float, float], subprocess.CompletedProcess]:
    """((wall seconds, CPU seconds of the child), the finished process)."""
    t, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (time.perf_counter() - t, cpu), done


def _same_json(a: Path, b: Path) -> bool:
    x, y = json.loads(a.read_text(encoding="utf-8")), json.loads(b.read_text(encoding="utf-8"))
    x.pop("generated_at", None), y.pop("generated_at", None)
    return x == y


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=None, help="git commit of the code before (default: merge-base with main)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--store", type=Path, default=None, help="default: the demo store, built in the work folder")
    ap.add_argument("--site", type=Path, default=SITE)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--skip-serve", action="store_true", help="only the two command lines")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-bench-cold-"))
    work.mkdir(parents=True, exist_ok=True)
    before_ref = args.before or subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=REPO, capture_output=True,
                                               text=True, check=True).stdout.strip()
    before = work / "before"
    if not (before / "gisplan").is_dir():
        before.mkdir(exist_ok=True)
        archive = subprocess.run(["git", "archive", before_ref], cwd=REPO, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
    store = args.store
    if store is None:
        store = work / "demo.gpkg"
        if not store.is_file():
            from gisplan.demo.run import build_demo_store

            build_demo_store(store)
    trees = {"before": before, "after": REPO}
    py = sys.executable
    load0 = os.getloadavg()
    print(f"before = {before_ref[:12]}, after = working tree {REPO}; site {args.site.name}, store {store.name}, "
          f"{args.runs} runs; load average {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}")
    base = [py, "-m", "gisplan.cli", "screen", str(args.site), "--store", str(store), "--industry", "化工"]
    figures: dict[str, dict[str, list[tuple[float, float]]]] = {}  # (wall, CPU) seconds
    ok = True
    for side in ("before", "after"):  # untimed: bytecode caches written, store checks remembered, files in the page cache
        _timed(base + ["--json", str(work / f"warm-{side}.json")], _env(trees[side]), work)
    for run in range(args.runs):
        for side in (("before", "after") if run % 2 == 0 else ("after", "before")):
            out = work / side
            out.mkdir(exist_ok=True)
            env = _env(trees[side])
            seconds, done = _timed(base + ["--json", str(out / "out.json")], env, work)
            assert done.returncode == 0, done.stderr[-2000:]
            (out / "summary.txt").write_text(done.stdout, encoding="utf-8")
            figures.setdefault("screen --json", {}).setdefault(side, []).append(seconds)
            seconds, done = _timed(base + ["--json", str(out / "m.json"), "--docx", str(out / "r.docx"), "--png",
                                           str(out / "r.png"), "--html-map", str(out / "m.html"), "--quiet"], env, work)
            assert done.returncode == 0, done.stderr[-2000:]
            figures.setdefault("screen --docx --png --html-map", {}).setdefault(side, []).append(seconds)
            if args.skip_serve:
                continue
            for order in ("report.docx,report.pdf", "report.pdf"):
                folder = Path(tempfile.mkdtemp(prefix=f"{side}-", dir=work))
                upload = folder / "upload.geojson"
                upload.write_bytes(args.site.read_bytes())
                _, done = _timed([py, "-c", _WORKER, str(store), str(folder / "stores"), str(upload),
                                  str(folder / "outputs" / "s1" / "files"), order], env, work)
                assert done.returncode == 0, done.stderr[-3000:]
                times = json.loads(done.stdout.strip().splitlines()[-1])
                label = "page: DOCX, then PDF" if "," in order else "page: PDF alone"
                for name in order.split(","):
                    key = f"{label}: {name.split('.')[1].upper()}"
                    figures.setdefault(key, {}).setdefault(side, []).append(times[name])
                if "," in order:
                    figures.setdefault("page: worker start (init_worker)", {}).setdefault(side, []).append(times["init"])
        if run == 0:
            same = _same_json(work / "before" / "out.json", work / "after" / "out.json")
            same_text = (work / "before" / "summary.txt").read_text(encoding="utf-8") == \
                (work / "after" / "summary.txt").read_text(encoding="utf-8")
            print(f"JSON report the same before and after: {same}; terminal summary the same: {same_text}")
            ok = same and same_text
    load1 = os.getloadavg()
    print(f"{'medians':38s} {'wall: before':>12s} {'after':>7s} {'ratio':>7s}   {'CPU: before':>11s} {'after':>7s} "
          f"{'ratio':>7s}")
    for name, sides in figures.items():
        (bw, bc), (aw, ac) = ([statistics.median(t[k] for t in sides[s]) for k in (0, 1)] for s in ("before", "after"))
        print(f"{name:38s} {bw:11.2f}s {aw:6.2f}s {bw / aw:6.2f}x   {bc:10.2f}s {ac:6.2f}s {bc / ac:6.2f}x")
    print(f"load average at the end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
