"""gisplan.open_store: one store for many screenings, reloaded when the file is replaced."""

from __future__ import annotations

import shutil
import threading

import pytest
import shapely

import gisplan
from gisplan.errors import StoreError

from conftest import rel


def test_package_completes_public_names():
    names = dir(gisplan)
    for name in ("open_store", "screen", "read_site", "screen_batch", "Store"):
        assert name in names
        assert callable(getattr(gisplan, name))
    with pytest.raises(AttributeError):
        gisplan.no_such_thing  # noqa: B018


def test_screen_equals_one_off_screening(store_path, site_file):
    site = site_file(shapely.box(129.48, 42.86, 129.53, 42.89))
    one_off = gisplan.screen(site, store_path)
    with gisplan.open_store(store_path) as store:
        r = store.screen(site)
        again = store.screen(site)
    assert store._closed
    for a, b in ((r, one_off), (again, one_off)):
        assert rel(a.project["area_m2"], b.project["area_m2"]) < 1e-12
        assert a.by_category == pytest.approx(b.by_category, rel=1e-12)
        assert a.verdict["overall"] == b.verdict["overall"]
    with pytest.raises(StoreError):
        store.screen(site)


def test_screen_many_rows_equal_single_screenings(store_path, tmp_path):
    import geopandas as gpd

    geoms = [shapely.box(129.48, 42.86, 129.53, 42.89), shapely.box(129.41, 42.81, 129.43, 42.83)]
    frame = gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=geoms, crs="EPSG:4490")
    with gisplan.open_store(store_path) as store:
        rows = store.screen_many(frame)
        singles = [store.screen(g) for g in geoms]
    assert list(rows["site_index"]) == [0, 1]
    for (_, row), single in zip(rows.iterrows(), singles):
        cat = single.by_category
        assert rel(row["priority_m2"], cat["priority"]) < 1e-9 or row["priority_m2"] == cat["priority"] == 0
        assert rel(row["area_m2"], single.project["area_m2"]) < 1e-9
        assert row["verdict"] == single.verdict["overall"]


def test_reloads_when_the_file_is_replaced(store_path, tmp_path, site_file):
    from gisplan.importer import import_layer

    path = tmp_path / "copy.gpkg"
    shutil.copy2(store_path, path)
    site = site_file(shapely.box(129.41, 42.81, 129.43, 42.83))  # in the redline
    store = gisplan.open_store(path)
    first = store.screen(site)
    assert len(first.hits[first.hits["kind"] == "eco_redline"]) == 1
    # a new import replaces the file: the redline moves away from the site
    import geopandas as gpd

    moved = gpd.GeoDataFrame({"HXMC": ["moved"]}, geometry=[shapely.box(129.55, 42.90, 129.58, 42.93)], crs="EPSG:4490")
    src = tmp_path / "red.geojson"
    moved.to_file(src, driver="GeoJSON")
    import_layer(path, "eco_redline", src)
    second = store.screen(site)
    assert len(second.hits[second.hits["kind"] == "eco_redline"]) == 0
    store.close()


def test_threads_share_one_store(store_path, site_file):
    site = site_file(shapely.box(129.48, 42.86, 129.53, 42.89))
    expected = gisplan.screen(site, store_path).by_category
    results, errors = [], []
    with gisplan.open_store(store_path) as store:
        def work():
            try:
                for _ in range(5):
                    results.append(store.screen(site).by_category)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors and len(results) == 20
    assert all(r == pytest.approx(expected, rel=1e-12) for r in results)


def test_missing_store_is_a_store_error(tmp_path):
    with pytest.raises(StoreError):
        gisplan.open_store(tmp_path / "nope.gpkg")
