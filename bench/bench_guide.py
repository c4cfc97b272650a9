"""Benchmark: siting guidance (``gisplan guide``), time and peak memory.

On the demo store and on the province-scale synthetic store of ``bench_batch.py`` (about 1,100 units,
~2 M vertices, redline, protected areas, water sources; built once by ``bench_dask.province_store``):

- cutting the faces (``guide_faces``), for the whole store and for one county;
- deciding them for one industry and for four (``guide`` / ``guide_many``: the faces cut once);
- the baseline, in the same process: the batch screening (``screen_sites``) of as many 20 m sites as there
  are faces, one inside each face: what deciding the same places site by site costs. The ratio
  guide / baseline is the figure to compare (these machines are noisy: not the seconds).

Peak memory is the resident set's rise above where the step started, sampled every 10 ms (GEOS and PROJ
allocate outside Python, so tracemalloc would not see them).

    python bench/bench_guide.py                        # demo store and the province store (1,100 units)
    python bench/bench_guide.py --skip-province        # the demo store only
    python bench/bench_guide.py --units 200 --spacing 200   # a smaller province store (smoke)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

INDUSTRIES = ("化工", "房地产", "公路", "光伏")


class PeakRSS:
    """The resident set's peak above its value at entry (MiB), sampled in a thread."""

    def __enter__(self):
        import psutil

        self._proc = psutil.Process()
        self.start = self._proc.memory_info().rss
        self.peak = self.start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        self.mib = (self.peak - self.start) / 2**20


def timed(fn, *args, **kwargs):
    with PeakRSS() as mem:
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        wall = time.perf_counter() - t
    return out, wall, mem.mib


def baseline_sites(faces):
    """One 20 m box (lon/lat) inside each face that has room for it (the batch's baseline sites)."""
    import geopandas as gpd

    from gisplan.geo.crs import CGCS2000
    from gisplan.geo.geometry import from_equal_area

    room = shapely.buffer(faces.geoms_ea, -15.0)
    ok = ~shapely.is_empty(room)
    pts = shapely.point_on_surface(room[ok])
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    boxes = from_equal_area(shapely.box(x - 10, y - 10, x + 10, y + 10))
    return gpd.GeoDataFrame({"site_id": [f"F{i:06d}" for i in range(len(boxes))]}, geometry=list(boxes), crs=CGCS2000)


def measure(name: str, store_path: Path, county: str | None) -> list[str]:
    from gisplan.batch import screen_sites
    from gisplan.engine.guide import guide, guide_faces, guide_many
    from gisplan.store.gpkg import Store

    lines = [f"== {name}: {store_path.name}" + (f", county {county}" if county else "")]
    with Store(store_path) as store:
        faces, t_cut, m_cut = timed(guide_faces, store, county)
        units = len(np.unique(faces.unit))
        lines.append(f"  cut: {units} units -> {len(faces)} faces, {faces.area_m2.sum() / 1e6:,.1f} km²: "
                     f"{t_cut:.2f} s, peak +{m_cut:.0f} MiB")
        one, t_one, m_one = timed(guide, store, INDUSTRIES[0], county=county, faces=faces)
        lines.append(f"  decide 1 industry ({INDUSTRIES[0]}): {t_one:.2f} s, peak +{m_one:.0f} MiB")
        many, t_many, m_many = timed(guide_many, store, INDUSTRIES, county=county)
        lines.append(f"  cut + decide {len(INDUSTRIES)} industries (guide_many): {t_many:.2f} s, peak +{m_many:.0f} MiB")
        sites = baseline_sites(faces)
        table, t_base, m_base = timed(screen_sites, sites, store, id_field="site_id", industry=INDUSTRIES[0],
                                      progress=False)
        lines.append(f"  baseline: batch of {len(sites)} 20 m sites, one per face ({INDUSTRIES[0]}): {t_base:.2f} s, "
                     f"peak +{m_base:.0f} MiB")
        lines.append(f"  ratio (cut + decide 1 industry) / baseline: {(t_cut + t_one) / t_base:.2f}")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=1100)
    ap.add_argument("--spacing", type=float, default=30.0, help="vertex spacing of unit edges (m)")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the province store here (reused next time)")
    ap.add_argument("--skip-province", action="store_true")
    ap.add_argument("--county", default=None, help="the province county to time alone (default: the first)")
    args = ap.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="gisplan-bench-guide-"))
    work.mkdir(parents=True, exist_ok=True)
    from bench_dask import demo_store, province_store

    demo, _ = demo_store(work)
    out = measure("demo store", demo, None)
    out += measure("demo store, one county", demo, "222401")
    if not args.skip_province:
        store, _ = province_store(work, args.units, args.spacing)
        from gisplan.engine.guide import county_code
        from gisplan.store.gpkg import Store

        with Store(store) as s:
            codes = sorted({county_code(c) for c in s.attribute_columns("control_units", ["code"])["code"]} - {""})
        county = args.county or codes[0]
        out += measure("province store, one county", store, county)
        out += measure("province store", store, None)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
