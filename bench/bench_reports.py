"""Benchmark: rendering the report of one screening (map PNG, DOCX, whole-report PDF) on the demo store.

The map is drawn once and handed to the DOCX and the PDF (as ``gisplan screen``
and the web page do); the DOCX (python-docx) is the baseline the PDF (fpdf2,
CJK subset embedded) is compared with, in the same process. Printed per output:
the median over the runs of every sample site, and the ratios PDF/DOCX and
PDF/map (noisy machines: compare ratios, not seconds). A later issue targets
the page's PDF at 1.5 s or less.

    python bench/bench_reports.py                 # 3 runs per sample site
    python bench/bench_reports.py --runs 1        # smoke
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import gisplan
from gisplan.demo.run import DEFAULT_DATA_DIR, SAMPLE_SITE_PARAMS, build_demo_store
from gisplan.render.docx_report import docx_report
from gisplan.render.pdf_report import pdf_report
from gisplan.render.static_map import static_map_png


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-bench-reports-"))
    store = build_demo_store(work / "demo.gpkg")
    results = [gisplan.screen(DEFAULT_DATA_DIR / "sites" / f"{stem}.geojson", store, **params)
               for stem, params in SAMPLE_SITE_PARAMS.items()]
    pdf_report(results[0])  # imports and font discovery once, outside the timing
    times: dict[str, list[float]] = {"map": [], "docx": [], "pdf": []}
    for _ in range(args.runs):
        for r in results:
            t0 = time.perf_counter()
            png = static_map_png(r)
            t1 = time.perf_counter()
            docx_report(r, figure_png=png).save(str(work / "r.docx"))
            t2 = time.perf_counter()
            (work / "r.pdf").write_bytes(pdf_report(r, figure_png=png))
            t3 = time.perf_counter()
            times["map"].append(t1 - t0)
            times["docx"].append(t2 - t1)
            times["pdf"].append(t3 - t2)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:5s} median {v * 1000:7.0f} ms  (max {max(times[k]) * 1000:.0f} ms, {len(times[k])} renders)")
    print(f"PDF/DOCX {med['pdf'] / med['docx']:.2f}   PDF/map {med['pdf'] / med['map']:.2f}")
    return med


if __name__ == "__main__":
    main()
