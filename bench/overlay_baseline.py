"""What an analyst would write with geopandas for a batch screening: read, project, overlay, sum.

Per site: its area, the areas in each control-unit category and in the
redline, protected-area and water-source layers, all ellipsoidal (computed in
GRS80 Albers equal-area, where planar areas are ellipsoidal areas), written
to a CSV (UTF-8 with BOM). Only geopandas and pandas: it runs as a script
(``bench_batch.py --whole-process`` times it as a whole process) or is
imported for the in-process comparison.

    python bench/overlay_baseline.py SITES.gpkg UNITS.gpkg REDLINE.gpkg PROTECTED.gpkg WATER.gpkg OUT.csv
"""

from __future__ import annotations

import sys

import geopandas as gpd
import pandas as pd

#: GRS80 Albers equal-area for China (the plane gisplan measures in).
EQUAL_AREA = "+proj=aea +lat_0=0 +lon_0=105 +lat_1=25 +lat_2=47 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs"
CATEGORY_COLUMNS = {"优先保护单元": "priority_m2", "重点管控单元": "key_m2", "一般管控单元": "general_m2"}


def baseline(sites_path, sources: dict, out) -> pd.DataFrame:
    """The table: ``site_id``, areas (m²) by category and zone layer, ``outside_m2``, ``zone_hit``."""
    sites = gpd.read_file(sites_path).to_crs(EQUAL_AREA)
    sites["area_m2"] = sites.area
    table = sites[["site_id", "area_m2"]].copy()
    units = gpd.read_file(sources["control_units"]).to_crs(EQUAL_AREA)
    ov = gpd.overlay(sites[["site_id", "geometry"]], units[["GKDYLB", "geometry"]], how="intersection",
                     keep_geom_type=True)
    ov["a"] = ov.area
    piv = ov.pivot_table(index="site_id", columns="GKDYLB", values="a", aggfunc="sum")
    piv = piv.rename(columns=CATEGORY_COLUMNS).reindex(columns=list(CATEGORY_COLUMNS.values()))
    table = table.merge(piv, left_on="site_id", right_index=True, how="left")
    for kind, col in (("eco_redline", "redline_m2"), ("protected_areas", "protected_m2"), ("water_sources", "water_m2")):
        layer = gpd.read_file(sources[kind]).to_crs(EQUAL_AREA)
        ov = gpd.overlay(sites[["site_id", "geometry"]], layer[["geometry"]], how="intersection", keep_geom_type=True)
        ov["a"] = ov.area
        table = table.merge(ov.groupby("site_id")["a"].sum().rename(col), left_on="site_id", right_index=True,
                            how="left")
    table = table.fillna(0.0)
    table["outside_m2"] = (table["area_m2"] - table[list(CATEGORY_COLUMNS.values())].sum(axis=1)).clip(lower=0)
    table["zone_hit"] = table[["redline_m2", "protected_m2", "water_m2"]].sum(axis=1) > 0.01
    table.to_csv(out, index=False, encoding="utf-8-sig")
    return table


def main(argv: list[str]) -> None:
    sites, units, redline, protected, water, out = argv
    baseline(sites, {"control_units": units, "eco_redline": redline, "protected_areas": protected,
                     "water_sources": water}, out)


if __name__ == "__main__":
    main(sys.argv[1:])
