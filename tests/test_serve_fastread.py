"""The server's GeoJSON fast path gives exactly what GDAL's reading gives, or declines.

Every comparison is against :func:`gisplan.io.read_vector` / :func:`gisplan.sites.read_site`
(GDAL through pyogrio), never against the fast path itself.
"""

from __future__ import annotations

import codecs
import copy
import json
from pathlib import Path

import pytest
import shapely

from gisplan.io.vector import read_vector
from gisplan.serve import engine
from gisplan.serve.fastread import read_plain_geojson, read_site_fast
from gisplan.sites import NAME_FIELDS, read_site

REPO = Path(__file__).resolve().parents[1]
SAMPLES = sorted((REPO / "data" / "sites").glob("*.geojson"))
BASE = json.loads((REPO / "data" / "sites" / "industrial_park_yanji.geojson").read_text(encoding="utf-8"))


def _variant(change) -> dict:
    obj = copy.deepcopy(BASE)
    change(obj)
    return obj


def _set(obj: dict, path: tuple, value) -> None:
    *head, last = path
    for key in head:
        obj = obj[key]
    obj[last] = value


def _feature_props(obj: dict, props: dict) -> None:
    obj["features"][0]["properties"] = props


# (label, how the sample is changed): all within the fast path
TAKEN = {
    "as bundled": lambda o: None,
    "text feature id": lambda o: _set(o, ("features", 0, "id"), "F-1"),
    "integer feature id": lambda o: _set(o, ("features", 0, "id"), 7),
    "no layer name": lambda o: o.pop("name"),
    "legacy crs CGCS2000": lambda o: _set(o, ("crs",), {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}}),
    "legacy crs EPSG:4490": lambda o: _set(o, ("crs",), {"type": "name", "properties": {"name": "EPSG:4490"}}),
    "legacy crs CRS84": lambda o: _set(o, ("crs",), {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}),
    "legacy crs WGS84": lambda o: _set(o, ("crs",), {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}),
    "mixed property types": lambda o: _feature_props(o, {"名称": "延吉 园区", "n": 3, "x": 1.5, "b": True, "z": None,
                                                        "d": "2024-01-02", "nested": {"a": [1, 2]}}),
    "no properties": lambda o: _feature_props(o, {}),
    "web-map hint in a field name": lambda o: _feature_props(o, {"name": "site", "gcj_x": 1}),
}

# (label, change): each must be declined (left to GDAL)
DECLINED = {
    "3-D coordinates": lambda o: _set(o, ("features", 0, "geometry"), {"type": "Point", "coordinates": [129.5, 42.9, 100.0]}),
    "unclosed ring": lambda o: _set(o, ("features", 0, "geometry"), {
        "type": "Polygon", "coordinates": [[[129.5, 42.9], [129.6, 42.9], [129.6, 43.0], [129.5, 43.0]]]}),
    "geometry collection": lambda o: _set(o, ("features", 0, "geometry"), {
        "type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [129.5, 42.9]}]}),
    "null geometry": lambda o: _set(o, ("features", 0, "geometry"), None),
    "NaN coordinate": lambda o: _set(o, ("features", 0, "geometry"), {"type": "Point", "coordinates": [float("nan"), 42.9]}),
    "projected legacy crs": lambda o: _set(o, ("crs",), {"type": "name", "properties": {"name": "EPSG:4530"}}),
    "bbox member": lambda o: _set(o, ("bbox",), [129, 42, 130, 43]),
    "date-like name": lambda o: _feature_props(o, {"name": "2024-01-02"}),
    "number as name": lambda o: _feature_props(o, {"name": 12}),
    "names differing in case": lambda o: _feature_props(o, {"Name": "a", "name": "b"}),
    "text id beside an id property": lambda o: (_set(o, ("features", 0, "id"), "F-1"), _feature_props(o, {"id": "p"})),
    "a property called geometry": lambda o: _feature_props(o, {"geometry": "x"}),
    "a single Feature": lambda o: o.update(type="Feature"),
}


def _write(tmp_path: Path, obj: dict, name: str = "site.geojson", bom: bool = False) -> Path:
    path = tmp_path / name
    data = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    path.write_bytes((codecs.BOM_UTF8 if bom else b"") + data)
    return path


def _same_vector_data(fast, slow) -> None:
    assert (fast.format, fast.encoding, fast.layer, fast.warnings, fast.path, fast.member) == \
        (slow.format, slow.encoding, slow.layer, slow.warnings, slow.path, slow.member)
    assert list(fast.frame.columns) == list(slow.frame.columns)
    assert [list(r) for r in fast.rows] == [[c for c in slow.frame.columns if c != slow.frame.geometry.name]] * len(slow.frame)
    assert fast.frame.geometry.name == slow.frame.geometry.name
    assert fast.frame.crs == slow.frame.crs
    assert len(fast.frame) == len(slow.frame)
    for a, b in zip(fast.frame.geometry.values, slow.frame.geometry.values):
        assert shapely.to_wkb(a) == shapely.to_wkb(b)  # the very same coordinates
    names = [c for c in slow.frame.columns if c.casefold() in {n.casefold() for n in NAME_FIELDS}]
    for column in names:
        assert [None if v is None else str(v) for v in fast.frame[column]] == \
            [None if v is None or v != v else str(v) for v in slow.frame[column]]


def _same_site(fast, slow) -> None:
    assert shapely.to_wkb(fast.geometry) == shapely.to_wkb(slow.geometry)
    for attr in ("name", "path", "format", "source_crs", "crs_note", "warnings", "details", "kind"):
        assert getattr(fast, attr) == getattr(slow, attr), attr


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_bundled_samples_read_as_gdal_reads_them(sample):
    fast = read_plain_geojson(sample)
    assert fast is not None
    _same_vector_data(fast, read_vector(sample))
    _same_site(read_site_fast(sample, {}), read_site(sample))


@pytest.mark.parametrize("label", sorted(TAKEN))
def test_variants_within_the_fast_path_read_as_gdal_reads_them(label, tmp_path):
    path = _write(tmp_path, _variant(TAKEN[label]))
    fast = read_plain_geojson(path)
    assert fast is not None, label
    _same_vector_data(fast, read_vector(path))
    _same_site(read_site_fast(path, {}), read_site(path))


@pytest.mark.parametrize("label", sorted(DECLINED))
def test_anything_else_is_left_to_gdal(label, tmp_path):
    path = _write(tmp_path, _variant(DECLINED[label]))
    assert read_plain_geojson(path) is None, label


def test_a_byte_order_mark_or_a_reading_option_is_left_to_gdal(tmp_path):
    assert read_plain_geojson(_write(tmp_path, BASE, bom=True)) is None
    path = _write(tmp_path, BASE, name="plain.geojson")
    assert read_plain_geojson(path) is not None
    assert read_site_fast(path, {"source_crs": "EPSG:4490"}) is None
    assert read_site_fast(path, {"encoding": "utf-8"}) is None


def test_the_engine_answers_the_same_json_either_way(demo_store, tmp_path, monkeypatch):
    """Screening JSON through the fast path equals the JSON through GDAL (bar the time stamp)."""
    from gisplan.serve import fastread

    saved = dict(engine._STATE)
    try:
        engine.init_worker(str(demo_store), str(tmp_path / "stores"))
        variants = [(p.name, json.loads(p.read_text(encoding="utf-8"))) for p in SAMPLES if p.stem != "batch_sites"]
        variants.append(("named.geojson", _variant(TAKEN["mixed property types"])))
        for name, obj in variants:
            upload = _write(tmp_path, obj, name="0123456789abcdef.geojson")
            opts = {"buffer": 5000.0, "radius": 300, "width": 40}
            fast = engine.screen_upload(str(upload), name, opts)
            with monkeypatch.context() as m:
                m.setattr(fastread, "read_site_fast", lambda *a: None)
                slow = engine.screen_upload(str(upload), name, opts)
            assert "error" not in fast and "error" not in slow, (fast, slow)
            a, b = json.loads(fast["json"]), json.loads(slow["json"])
            a.pop("generated_at"), b.pop("generated_at")
            assert a == b, name
            upload.unlink()
    finally:
        engine._STATE.clear()
        engine._STATE.update(saved)
