"""Tests of gisplan.io: safe reading of vector files, zips and KML."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import pyogrio
import pytest

from gisplan.errors import InputError
from gisplan.io import VectorData, read_vector, safety, vector
from gisplan.io.safety import check_path_text, member_name, one_line

try:  # tests/ on sys.path (pytest's default rootdir-less import mode)
    import _site_fixtures as fx
except ImportError:  # pragma: no cover - tests/ is a package
    from tests import _site_fixtures as fx

#: Bad cases that read_vector itself must refuse (the others fail later, in sites).
READ_ERRORS = [
    name
    for name, (cls, _) in fx.BAD_SITE_EXPECT.items()
    if cls is InputError and name not in fx.NOT_VECTOR_CASES
]


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """Point tempfile at a private directory, to see what read_vector leaves behind."""
    d = tmp_path / "tmpdir"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("case", READ_ERRORS)
def test_bad_input_is_one_line_input_error(case, tmp_path, private_tmp):
    path = fx.BAD_SITE_CASES[case](tmp_path)
    _, fragment = fx.BAD_SITE_EXPECT[case]
    with pytest.raises(InputError) as info:
        read_vector(path)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message and "Traceback" not in message
    assert list(private_tmp.iterdir()) == []  # temporary extraction removed


@pytest.mark.parametrize(
    "text",
    [
        "/vsicurl/http://example.com/x.geojson",
        "/vsizip/../../etc/x.zip",
        "/VSIZIP//tmp/x.zip/a.shp",
        "data/vsimem/x.shp",
        "http://example.com/x.geojson",
        "https://example.com/x.geojson",
        "ftp://example.com/x.shp",
        "zip://site.zip!site.shp",
        "s3://bucket/x.shp",
        "/tmp/a/http://x.shp",
    ],
)
def test_virtual_paths_and_urls_are_refused(text):
    with pytest.raises(InputError, match="virtual file systems and URLs are not accepted"):
        read_vector(text)


def test_nul_byte_in_path_is_refused():
    with pytest.raises(InputError, match="NUL byte"):
        read_vector("site\x00.geojson")


def test_local_paths_pass_the_path_check():
    assert check_path_text("C:/data/site.shp") == "C:/data/site.shp"  # a drive letter is no scheme
    assert check_path_text(Path("data") / "site.geojson") == "data/site.geojson"


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "site.dxf"
    path.write_text("0\nSECTION\n")
    with pytest.raises(InputError, match="unsupported file type '.dxf'"):
        read_vector(path)


def test_invalid_json_gdal_error_is_one_line(tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text("{ this is not json")
    with pytest.raises(InputError) as info:
        read_vector(path)
    assert str(info.value).startswith(f"cannot read {path}")
    assert "\n" not in str(info.value)


def test_any_gdal_exception_becomes_one_line_input_error(tmp_path, monkeypatch):
    path = fx.make_point_site(tmp_path)

    def boom(*args, **kwargs):
        raise pyogrio.errors.DataSourceError("first line\nsecond line\n\tthird")

    monkeypatch.setattr(vector.pyogrio, "read_dataframe", boom)
    with pytest.raises(InputError) as info:
        read_vector(path)
    assert str(info.value) == f"cannot read {path}: first line second line third"


def test_unknown_encoding_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_vector(fx.make_gbk_shapefile(tmp_path), encoding="klingon")


def test_wrong_encoding_is_one_line_error(tmp_path):
    with pytest.raises(
        InputError, match="cannot decode the text .* as utf-8; pass another `encoding`"
    ):
        read_vector(fx.make_gbk_shapefile(tmp_path), encoding="utf-8")


def test_missing_dbf_is_a_warning(tmp_path):
    shp = fx.write_shapefile(tmp_path / "nodbf", "site", fx.yanji_frame())
    shp.with_suffix(".dbf").unlink()
    data = read_vector(shp)
    assert len(data.frame) == 1
    assert any("no .dbf" in w for w in data.warnings)


# --------------------------------------------------------------------------- encodings


def test_gbk_shapefile_without_cpg_is_read_as_gb18030(tmp_path):
    shp = fx.make_gbk_shapefile(tmp_path)
    assert not shp.with_suffix(".cpg").exists()
    data = read_vector(shp)
    assert isinstance(data, VectorData)
    assert data.format == "ESRI Shapefile"
    assert data.encoding == "GB18030"
    assert list(data.frame["HJGKDYMC"]) == fx.GBK_NAMES
    assert list(data.frame["名称"]) == fx.GBK_NAMES  # a GBK field name too
    assert data.warnings == ["no .cpg: text decoded as GB18030 (GBK); pass --encoding to override"]


def test_gbk_shapefile_with_cpg_honours_it(tmp_path):
    data = read_vector(fx.make_gbk_shapefile(tmp_path, cpg=True))
    assert data.encoding == "GBK"
    assert list(data.frame["HJGKDYMC"]) == fx.GBK_NAMES
    assert data.warnings == []


def test_explicit_encoding_wins(tmp_path):
    data = read_vector(fx.make_gbk_shapefile(tmp_path), encoding="gbk")
    assert data.encoding == "gbk"
    assert list(data.frame["HJGKDYMC"]) == fx.GBK_NAMES
    assert data.warnings == []


def test_utf8_shapefile_without_cpg_is_read_as_utf8(tmp_path):
    frame = fx.yanji_frame(n=2)
    frame["name"] = fx.GBK_NAMES
    shp = fx.write_shapefile(tmp_path / "utf8", "units", frame, encoding="utf-8")
    shp.with_suffix(".cpg").unlink()
    data = read_vector(shp)
    assert data.encoding == "UTF-8"
    assert list(data.frame["name"]) == fx.GBK_NAMES
    assert data.warnings == []


def test_dbf_sniff_tolerates_a_character_cut_at_the_field_end():
    cut = "延吉市".encode()[:-1]
    assert vector._all_decode([cut], "utf-8")
    assert not vector._all_decode(["延吉市".encode("gbk")], "utf-8")


# --------------------------------------------------------------------------- zip


def test_zipped_shapefile(tmp_path, private_tmp):
    data = read_vector(fx.make_zipped_shapefile(tmp_path))
    assert data.format == "ESRI Shapefile"
    assert data.member == "site.shp"
    assert data.path.endswith("site.zip")
    assert len(data.frame) == 1 and data.frame.crs.to_epsg() == 4490
    assert list(private_tmp.iterdir()) == []  # temp dir gone ...
    assert data.frame.geometry.iloc[0].area > 0  # ... and the frame still usable


def test_zipped_shapefile_in_subfolder(tmp_path):
    data = read_vector(fx.make_zipped_shapefile_in_subfolder(tmp_path))
    assert data.member == "交付/红线/site.shp"
    assert list(data.frame["name"]) == ["site 1"]


def test_zip_with_gbk_member_names(tmp_path):
    path = fx.make_zip_gbk_member_names(tmp_path)
    with zipfile.ZipFile(path) as zf:
        raw = next(i for i in zf.infolist() if i.filename.endswith(".shp"))
        assert not raw.flag_bits & 0x800 and raw.filename != "项目/用地红线.shp"
        assert member_name(raw) == "项目/用地红线.shp"
    data = read_vector(path)
    assert data.member == "项目/用地红线.shp"
    assert len(data.frame) == 1


def test_zip_with_several_shapefiles_needs_layer(tmp_path):
    path = fx.make_zip_several_shapefiles(tmp_path)
    with pytest.raises(InputError, match="several datasets: alternative, red_line"):
        read_vector(path)
    assert read_vector(path, layer="red_line").member == "red_line.shp"
    with pytest.raises(InputError, match="no single dataset named 'nope'"):
        read_vector(path, layer="nope")


def test_zip_slip_writes_nothing_outside(tmp_path, private_tmp):
    path = fx.make_zip_slip(tmp_path)
    with pytest.raises(InputError, match=r"zip member '\.\./evil\.shp'"):
        read_vector(path)
    assert not list(tmp_path.rglob("evil.shp"))
    assert not (tmp_path.parent / "evil.shp").exists()
    assert list(private_tmp.iterdir()) == []


def test_zip_total_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(safety, "MAX_ZIP_TOTAL_BYTES", 1000)
    path = fx.zip_files(tmp_path / "big.zip", {"a.txt": b"a" * 600, "b.txt": b"b" * 600})
    with pytest.raises(InputError, match=r"unpacks to more than 1000 bytes \(at member 'b.txt'\)"):
        read_vector(path)


def test_zip_ratio_limit_spares_small_members(tmp_path):
    path = fx.zip_files(tmp_path / "small.zip", {"zeros.txt": b"\x00" * (1024 * 1024)})
    with pytest.raises(InputError, match="holds no shapefile"):  # passes the bomb check
        read_vector(path)


def test_zip_with_geojson(tmp_path):
    gj = fx.make_point_site(tmp_path)
    data = read_vector(fx.zip_files(tmp_path / "gj.zip", {"well.geojson": gj}))
    assert data.format == "GeoJSON" and data.member == "well.geojson"


def test_kmz_with_xxe_is_refused(tmp_path):
    kml = fx.make_kml_xxe(tmp_path)
    path = fx.zip_files(tmp_path / "site.kmz", {"doc.kml": kml})
    with pytest.raises(
        InputError, match=r"site.kmz!doc.kml: KML with a DTD or entities is refused \(XXE\)"
    ):
        read_vector(path)


def test_kmz_is_read(tmp_path):
    kml = fx.make_kml_three_placemarks(tmp_path)
    data = read_vector(fx.zip_files(tmp_path / "site.kmz", {"doc.kml": kml}))
    assert data.format == "KML" and len(data.frame) == 3 and data.member == "doc.kml"


def test_member_name_keeps_utf8_names():
    info = zipfile.ZipInfo("项目/a.shp")
    info.flag_bits |= 0x800
    assert member_name(info) == "项目/a.shp"


# --------------------------------------------------------------------------- GeoPackage, KML


def test_gpkg_layers(tmp_path):
    path = fx.make_gpkg_several_layers(tmp_path)
    with pytest.raises(
        InputError, match="several layers: red_line, alternatives; choose one with `layer`"
    ):
        read_vector(path)
    data = read_vector(path, layer="alternatives")
    assert data.format == "GPKG" and data.layer == "alternatives" and len(data.frame) == 2
    with pytest.raises(InputError, match="no layer 'x'; its layers: red_line, alternatives"):
        read_vector(path, layer="x")


def test_kml_folders_are_concatenated(tmp_path):
    data = read_vector(fx.make_kml_three_placemarks(tmp_path))
    assert data.format == "KML"
    assert sorted(data.frame["Name"]) == ["A", "B", "C"]
    assert data.layer is None


def test_kml_single_folder_by_layer(tmp_path):
    data = read_vector(fx.make_kml_three_placemarks(tmp_path), layer="二期")
    assert list(data.frame["Name"]) == ["C"]


def test_xml_that_is_not_kml(tmp_path):
    path = tmp_path / "x.kml"
    path.write_text("<gpx><wpt lat='42' lon='129'/></gpx>")
    with pytest.raises(InputError, match="not KML"):
        read_vector(path)


def test_one_line():
    assert one_line("a\n  b\r\nc") == "a b c"
    assert len(one_line("x" * 1000)) == 400
