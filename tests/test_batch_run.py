"""gisplan.run_batch: what `gisplan batch` does, as a library call with keyword options."""

from __future__ import annotations

import csv

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

import gisplan
from gisplan.cli import main
from gisplan.errors import InputError


@pytest.fixture
def sites_file(tmp_path):
    boxes = [shapely.box(129.48, 42.86, 129.53, 42.89), shapely.box(129.41, 42.81, 129.43, 42.83),
             shapely.box(129.45, 42.90, 129.70, 42.99)]
    path = tmp_path / "sites.gpkg"
    gpd.GeoDataFrame({"site_id": ["a", "b", "c"]}, geometry=boxes, crs="EPSG:4490").to_file(path, driver="GPKG")
    return path


def _rows(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def test_run_batch_writes_what_the_command_writes(store_path, sites_file, tmp_path):
    lines = []
    run = gisplan.run_batch(sites_file, store_path, tmp_path / "lib.csv", id_field="site_id", industry="公路",
                            progress=False, say=lines.append)
    r = CliRunner().invoke(main, ["batch", str(sites_file), "--store", str(store_path), "--id-field", "site_id",
                                  "--out", str(tmp_path / "cli.csv"), "--industry", "公路", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert _rows(tmp_path / "lib.csv") == _rows(tmp_path / "cli.csv")
    verdicts = [row["verdict"] for row in _rows(tmp_path / "lib.csv")]
    assert run.counts == {v: verdicts.count(v) for v in set(verdicts)} and run.screened == 3 and run.table is None
    assert lines == [run.summary()] and run.summary().replace("lib.csv", "cli.csv") in r.output


def test_run_batch_keeps_the_table_for_layers(store_path, sites_file, tmp_path):
    run = gisplan.run_batch(sites_file, store_path, tmp_path / "t.csv", id_field="site_id", progress=False,
                            layers_out=tmp_path / "layers.gpkg")
    assert list(run.table["site_id"]) == ["a", "b", "c"] and run.layer_sites == 3
    assert (tmp_path / "layers.gpkg").stat().st_size > 0


@pytest.mark.parametrize("options,message", [
    ({"scheduler": "tcp://127.0.0.1:8786"}, "go with `engine` dask"),
    ({"report_dir": "r", "resume": True}, "kept in memory"),
    ({"map_raster": "landcover"}, "needs `report_dir`"),
    ({"project_fields": {"builder": "JSDW"}}, "need `report_dir`"),
])
def test_run_batch_refuses_before_reading(store_path, sites_file, tmp_path, options, message):
    with pytest.raises(InputError, match=message):
        gisplan.run_batch(sites_file, store_path, tmp_path / "t.csv", id_field="site_id", **options)
    assert not (tmp_path / "t.csv").exists()
