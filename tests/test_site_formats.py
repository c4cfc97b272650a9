"""Sites as reviewers receive them: corner tables, GCJ-02/BD-09, DXF, KMZ, legacy datums.

Expected coordinates are computed in the tests (pyproj, numpy), independently
of the code under test.
"""

from __future__ import annotations

import json

import numpy as np
import pyproj
import pytest
import shapely
from click.testing import CliRunner

import _site_fixtures as fx
from gisplan.geo import chinacoords
from gisplan.cli import main
from gisplan.errors import CRSInputError, InputError, SiteError
from gisplan.sites import describe_site, read_site, read_site_frame

GEOD = pyproj.Geod(ellps="GRS80")


def truth(lonlat) -> shapely.Polygon:
    return shapely.Polygon(lonlat)


def hausdorff_m(a, b, epsg: int = 4530) -> float:
    """Hausdorff distance in metres, measured in a GK plane (pyproj, independent)."""
    t = pyproj.Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    fa = shapely.transform(a, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    fb = shapely.transform(b, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))
    return float(shapely.hausdorff_distance(fa, fb))


def geod_area(geom) -> float:
    return sum(abs(GEOD.geometry_area_perimeter(shapely.orient_polygons(p))[0]) for p in shapely.get_parts(geom))


def assert_same_site(site, lonlat, epsg=4530, tol_m=0.01):
    expected = truth(lonlat)
    assert hausdorff_m(site.geometry, expected, epsg) < tol_m
    assert geod_area(site.geometry) == pytest.approx(geod_area(expected), rel=1e-6)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, fragment=""):
    assert result.exit_code == 2, (result.exit_code, result.output, result.stderr)
    err = result.stderr.strip()
    assert err and "\n" not in err and "Traceback" not in result.output + err, err
    assert fragment in err, err


# --------------------------------------------------------------------------- corner tables


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_corner_table_with_zone_prefix(tmp_path, encoding):
    path = fx.make_table_zone_prefix(tmp_path, encoding=encoding)
    site = read_site(path)
    assert site.source_crs == "EPSG:4530"
    assert "zone 42 detected from the easting prefix" in site.crs_note
    assert site.format == "CSV corner table"
    assert_same_site(site, fx.ZONE42_LONLAT)
    # the table did not repeat its first point: closed with a warning
    assert any("not closed" in w for w in site.warnings)
    if encoding == "gbk":
        assert any("GB18030" in w for w in site.warnings)


def test_corner_table_closed_ring_and_title_row(tmp_path):
    rows = fx.gk_corners(fx.ZONE42_LONLAT)
    text = "拐点坐标表（CGCS2000）\n" + fx.corner_csv_text(rows + rows[:1], header=("序号", "X坐标(m)", "Y坐标(m)"))
    path = tmp_path / "closed.csv"
    path.write_text(text, encoding="utf-8")
    site = read_site(path)
    assert not any("not closed" in w for w in site.warnings)
    assert any("above the header" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_corner_table_without_prefix_with_cm_or_source_crs(tmp_path):
    path = fx.make_table_no_prefix(tmp_path)
    for kwargs in ({"cm": 126}, {"source_crs": "EPSG:4551"}):
        site = read_site(path, **kwargs)
        assert site.source_crs == "EPSG:4551"
        assert_same_site(site, fx.ZONE42_LONLAT)
    assert "--cm 126" in read_site(path, cm=126).crs_note


def test_prefixed_table_with_matching_crs_without_prefix(tmp_path):
    site = read_site(fx.make_table_zone_prefix(tmp_path), cm=126)
    assert site.source_crs == "EPSG:4551" and "stripped" in site.crs_note
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_zone_prefix_contradicting_source_crs(tmp_path):
    path = fx.make_table_zone_prefix(tmp_path)
    with pytest.raises(CRSInputError, match="zone prefix 42.*contradicts"):
        read_site(path, source_crs="EPSG:4552")
    with pytest.raises(CRSInputError, match="contradicts"):
        read_site(path, cm=129)


def test_swapped_x_y_columns_are_detected(tmp_path):
    rows = [(e, n) for n, e in fx.gk_corners(fx.ZONE42_LONLAT)]
    path = tmp_path / "swapped.csv"
    path.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    site = read_site(path)
    assert any("holds eastings" in w and "X is the northing" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_duplicate_consecutive_points_are_dropped(tmp_path):
    rows = fx.gk_corners(fx.ZONE42_LONLAT)
    rows.insert(2, rows[1])
    path = tmp_path / "dup.csv"
    path.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    site = read_site(path)
    assert any("1 duplicate consecutive point(s) dropped" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


@pytest.mark.parametrize("header", [("点号", "纵坐标X", "横坐标Y"), ("点号", "X坐标（北）", "Y坐标（东）"),
                                    ("界址点号", "北坐标X(m)", "东坐标Y(m)")])
def test_corner_table_headers_naming_the_axes(tmp_path, header):
    path = tmp_path / "axes.csv"
    path.write_text(fx.corner_csv_text(fx.gk_corners(fx.ZONE42_LONLAT), header=header), encoding="utf-8")
    site = read_site(path)
    assert site.source_crs == "EPSG:4530" and not any("holds eastings" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)
    r = run("read", path)  # `gisplan read` refused 点号,纵坐标X,横坐标Y before
    assert r.exit_code == 0 and f"northing = {header[1]}" in r.output


def _pasted(rows, sep: str, ids: bool = True, title: str | None = None) -> str:
    lines = [title] if title else []
    lines += [sep.join(([f"J{i + 1}"] if ids else []) + [f"{n}", f"{e}"]) for i, (n, e) in enumerate(rows)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("sep, suffix, ids, title", [("\t", ".txt", True, None), ("   ", ".csv", True, "拐点坐标表"),
                                                     (" ", ".txt", False, None), (",", ".csv", True, None)])
def test_corner_table_without_header_pasted_as_text(tmp_path, sep, suffix, ids, title):
    path = tmp_path / f"pasted{suffix}"
    path.write_text(_pasted(fx.gk_corners(fx.ZONE42_LONLAT), sep, ids, title), encoding="utf-8")
    site = read_site(path)
    assert any(w.startswith("no header:") and "X (northing), Y (easting)" in w for w in site.warnings)
    assert site.source_crs == "EPSG:4530"
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_headerless_table_with_eastings_first_is_read_and_said(tmp_path):
    rows = [(e, n) for n, e in fx.gk_corners(fx.ZONE42_LONLAT)]  # Y before X: never swapped silently
    path = tmp_path / "swapped.txt"
    path.write_text(_pasted(rows, "\t"), encoding="utf-8")
    site = read_site(path)
    assert any("holds eastings" in w for w in site.warnings) and any(w.startswith("no header:") for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_headerless_table_of_another_shape_is_refused(tmp_path):
    path = tmp_path / "four.txt"
    path.write_text("".join(f"J{i} {n} {e} 12.5\n" for i, (n, e) in enumerate(fx.gk_corners(fx.ZONE42_LONLAT))),
                    encoding="utf-8")
    with pytest.raises(InputError, match="no coordinate columns"):
        read_site(path)
    assert_one_line_error(run("read", path), "no coordinate columns")


def _dms(value: float, style: str) -> str:
    d = int(value)
    m_float = (value - d) * 60
    m = int(m_float)
    s = (m_float - m) * 60
    if style == "ascii":
        return f"{d}°{m}'{s:.4f}\""
    if style == "prime":
        return f"{d}°{m}′{s:.4f}″"
    if style == "dash":
        return f"{d}-{m}-{s:.4f}"
    return f"{d}{m:02d}{s:07.4f}"  # packed DDDMMSS.ssss


@pytest.mark.parametrize("style", ["ascii", "prime", "dash", "packed"])
def test_dms_table(tmp_path, style):
    lines = ["点号,东经,北纬"] + [
        f"{i + 1},{_dms(lon, style)},{_dms(lat, style)}" for i, (lon, lat) in enumerate(fx.ZONE42_LONLAT)
    ]
    path = tmp_path / f"dms_{style}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = read_site(path)
    assert site.source_crs == "EPSG:4490" and "degrees" in site.crs_note
    # 0.0001" is 3 mm
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_decimal_degrees_in_x_y_columns(tmp_path):
    lines = ["序号,X,Y"] + [f"{i + 1},{lat},{lon}" for i, (lon, lat) in enumerate(fx.ZONE42_LONLAT)]
    path = tmp_path / "deg.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = read_site(path)
    assert any("read X as latitude" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


def test_xlsx_multi_parcel_with_merged_parcel_cells(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    second = [(lon + 0.03, lat) for lon, lat in fx.ZONE42_LONLAT]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "拐点"
    ws.append(["某项目用地拐点坐标"])
    ws.append(["地块号", "点号", "X", "Y"])
    for label, ring in (("A", fx.ZONE42_LONLAT), ("B", second)):
        for i, (n, e) in enumerate(fx.gk_corners(ring)):
            ws.append([label if i == 0 else None, f"J{i + 1}", n, e])  # merged-cell style
    path = tmp_path / "parcels.xlsx"
    wb.save(path)
    site = read_site(path)
    assert site.format == "XLSX corner table"
    assert len(site.parts) == 2
    expected = shapely.MultiPolygon([truth(fx.ZONE42_LONLAT), truth(second)])
    assert hausdorff_m(site.geometry, expected) < 0.01
    assert geod_area(site.geometry) == pytest.approx(geod_area(expected), rel=1e-6)
    frame, note, _ = read_site_frame(path)
    assert list(frame["地块号"]) == ["A", "B"] and "zone 42" in note


def test_blank_rows_separate_rings_and_holes(tmp_path):
    outer = [(126.53, 43.82), (126.57, 43.82), (126.57, 43.85), (126.53, 43.85)]
    hole = [(126.545, 43.83), (126.555, 43.83), (126.555, 43.84), (126.545, 43.84)]
    lines = ["点号,X,Y"]
    for ring in (outer, hole):
        lines += [f"J{i},{n},{e}" for i, (n, e) in enumerate(fx.gk_corners(ring))] + [",,"]
    path = tmp_path / "hole.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = read_site(path)
    expected = shapely.Polygon(outer, [hole])
    assert hausdorff_m(site.geometry, expected) < 0.01
    assert geod_area(site.geometry) == pytest.approx(geod_area(expected), rel=1e-6)


def test_xlsm_is_read_without_macros(tmp_path):
    import zipfile

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["点号", "X", "Y"])
    for i, (n, e) in enumerate(fx.gk_corners(fx.ZONE42_LONLAT)):
        wb.active.append([i + 1, n, e])
    plain = tmp_path / "plain.xlsx"
    wb.save(plain)
    path = tmp_path / "macro.xlsm"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not run")
    site = read_site(path)
    assert any("macros: ignored (never run)" in w for w in site.warnings)
    assert_same_site(site, fx.ZONE42_LONLAT)


@pytest.mark.parametrize(
    "text, cls, fragment",
    [
        ("点号,X,Y\n1,abc,42512345\n", InputError, "row 2, column X: cannot read 'abc'"),
        ("点号,经度,纬度\n1,125.1,43.1\n2,126.1,43.1\n3,125.5,250\n", InputError, "row 4, column 纬度"),
        ("点号,X,Y\n1,500,42512345\n", InputError, "neither metres nor degrees"),
    ],
)
def test_bad_cells_name_row_and_column(tmp_path, text, cls, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(cls) as info:
        read_site(path)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_table_in_two_zones_is_refused(tmp_path):
    rows = fx.gk_corners(fx.ZONE42_LONLAT)
    rows[1] = (rows[1][0], rows[1][1] + 1_000_000)
    path = tmp_path / "zones.csv"
    path.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    with pytest.raises(SiteError, match="different zone prefixes"):
        read_site(path)


# --------------------------------------------------------------------------- GCJ-02 / BD-09


@pytest.mark.parametrize("web", ["gcj02", "bd09"])
def test_web_offset_sites_are_converted(tmp_path, web):
    forward = chinacoords.gcj02_from_cgcs2000 if web == "gcj02" else chinacoords.bd09_from_cgcs2000
    lon, lat = np.array(fx.YANJI_LONLAT).T
    wlon, wlat = forward(lon, lat)
    ring = [[float(a), float(b)] for a, b in zip(wlon, wlat)]
    path = fx.write_geojson(tmp_path / "amap.geojson", [fx._feature({"type": "Polygon", "coordinates": [ring + ring[:1]]})])
    site = read_site(path, source_crs=web)
    assert "converted to CGCS2000" in site.crs_note
    # round trip error, measured with pyproj.Geod
    got = np.asarray(site.geometry.exterior.coords)[:-1]
    _, _, dist = GEOD.inv(lon, lat, got[:, 0], got[:, 1])
    assert dist.max() < 0.5
    # read as given, the site is off by hundreds of metres
    plain = read_site(path)
    assert hausdorff_m(plain.geometry, truth(fx.YANJI_LONLAT), 4531) > 100


def test_web_offset_table_and_cli_note(tmp_path, store_path):
    lon, lat = np.array(fx.YANJI_LONLAT).T
    glon, glat = chinacoords.gcj02_from_cgcs2000(lon, lat)
    lines = ["序号,经度,纬度"] + [f"{i},{a:.8f},{b:.8f}" for i, (a, b) in enumerate(zip(glon, glat))]
    path = tmp_path / "gaode_points.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    site = read_site(path, source_crs="gcj02")
    assert hausdorff_m(site.geometry, truth(fx.YANJI_LONLAT), 4531) < 0.5
    out = tmp_path / "r.json"
    r = run("screen", path, "--store", store_path, "--source-crs", "gcj02", "--json", out, "--quiet")
    assert r.exit_code == 0, r.output + r.stderr
    assert "GCJ-02" in out.read_text(encoding="utf-8")


def test_web_map_name_hint_warns_but_does_not_convert(tmp_path):
    path = fx.make_point_site(tmp_path)
    hinted = path.rename(tmp_path / "高德_site.geojson")
    site = read_site(hinted)
    assert any("GCJ-02" in w and "--source-crs gcj02" in w for w in site.warnings)
    assert site.geometry.equals(shapely.Point(129.47, 42.88))


def test_web_offset_with_projected_numbers_is_refused(tmp_path):
    with pytest.raises(CRSInputError, match="longitude/latitude"):
        read_site(fx.make_table_zone_prefix(tmp_path), source_crs="gcj02")
    with pytest.raises(CRSInputError, match="longitude/latitude"):
        read_site(fx.make_gk_zone42_shapefile(tmp_path), source_crs="bd09")


# --------------------------------------------------------------------------- DXF


def _dxf(tmp_path, *, prefix=True, hatch=True, name="plan.dxf"):
    import ezdxf

    epsg = 4531 if prefix else 4552
    pts = [(e, n) for n, e in fx.gk_corners(fx.YANJI_LONLAT, epsg)]
    doc = ezdxf.new()
    msp = doc.modelspace()
    msp.add_lwpolyline(pts, dxfattribs={"layer": "红线"}, close=True)
    msp.add_lwpolyline(pts[:2], dxfattribs={"layer": "道路"})  # open: left out
    msp.add_text("用地红线", dxfattribs={"layer": "标注"})
    if hatch:
        x0, y0 = pts[0]
        h = msp.add_hatch(dxfattribs={"layer": "填充"})
        h.paths.add_polyline_path([(x0 - 300, y0 - 300), (x0 - 200, y0 - 300), (x0 - 200, y0 - 200), (x0 - 300, y0 - 200)], is_closed=True)
    path = tmp_path / name
    doc.saveas(path)
    return path, pts


def test_dxf_closed_polyline_on_layer(tmp_path):
    path, _ = _dxf(tmp_path)
    site = read_site(path, dxf_layer="红线")
    assert site.format == "DXF" and site.source_crs == "EPSG:4531"
    assert_same_site(site, fx.YANJI_LONLAT, epsg=4531)
    summary = " ".join(site.details)
    assert "1 LWPOLYLINE" in summary and "红线" in summary and "标注" in summary


def test_dxf_all_layers_reads_hatch_too(tmp_path):
    path, pts = _dxf(tmp_path)
    site = read_site(path)
    assert len(site.parts) == 2
    assert "1 HATCH" in " ".join(site.details)


def test_dxf_without_prefix_needs_cm(tmp_path):
    path, _ = _dxf(tmp_path, prefix=False, hatch=False)
    with pytest.raises(CRSInputError, match="`cm`"):
        read_site(path)
    site = read_site(path, cm=129)
    assert_same_site(site, fx.YANJI_LONLAT, epsg=4531)


def test_dxf_unknown_layer_lists_layers(tmp_path):
    path, _ = _dxf(tmp_path)
    with pytest.raises(InputError, match="layers found: 0|layers found: 填充"):
        read_site(path, dxf_layer="nope")


def test_dxf_local_coordinates_are_refused(tmp_path):
    import ezdxf

    doc = ezdxf.new()
    doc.modelspace().add_lwpolyline([(0, 0), (100, 0), (100, 50)], close=True)
    path = tmp_path / "local.dxf"
    doc.saveas(path)
    with pytest.raises(SiteError, match="not Gauss-Kruger metres"):
        read_site(path)


def test_dwg_renamed_is_refused(tmp_path):
    path = tmp_path / "plan.dxf"
    path.write_bytes(b"AC1032" + b"\x00" * 200)
    with pytest.raises(InputError, match="not a DXF|DWG"):
        read_site(path)


# --------------------------------------------------------------------------- KMZ, KML, zip folders


def test_kmz_with_several_placemarks(tmp_path):
    kml = fx.make_kml_three_placemarks(tmp_path)
    path = fx.zip_files(tmp_path / "site.kmz", {"doc.kml": kml})
    site = read_site(path)
    assert site.format == "KML" and len(site.parts) == 3
    assert "doc.kml" in " ".join(site.details)
    expected = shapely.union_all([shapely.box(x0, 42.86, x0 + 0.02, 42.88) for x0 in (129.40, 129.45, 129.50)])
    assert hausdorff_m(site.geometry, expected, 4531) < 0.01


def test_shapefile_in_nested_zip_folder(tmp_path):
    site = read_site(fx.make_zipped_shapefile_in_subfolder(tmp_path))
    assert site.geometry.equals(shapely.box(*fx.YANJI_BOX))


# --------------------------------------------------------------------------- legacy datums


def _bursa_wolf(lon, lat, params, src_ellps):
    """Independent position-vector Bursa-Wolf: src geodetic -> GRS80 geodetic (numpy, pyproj geocent)."""
    dx, dy, dz, rx, ry, rz, s = params
    deg = "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad +step +proj=cart"
    to_xyz = pyproj.Transformer.from_pipeline(f"{deg} +ellps={src_ellps}")
    from_xyz = pyproj.Transformer.from_pipeline(f"{deg} +ellps=GRS80")
    x, y, z = to_xyz.transform(lon, lat, np.zeros_like(lon))
    sec = np.pi / 180 / 3600
    rx, ry, rz = rx * sec, ry * sec, rz * sec
    k = 1 + s * 1e-6
    x2 = dx + k * (x - rz * y + ry * z)
    y2 = dy + k * (rz * x + y - rx * z)
    z2 = dz + k * (-ry * x + rx * y + z)
    lon2, lat2, _ = from_xyz.transform(x2, y2, z2, direction="INVERSE")
    return lon2, lat2


PARAMS = (-25.0, 120.0, 85.0, 0.5, -0.3, 1.2, 2.5)


@pytest.mark.parametrize("epsg, ellps", [(2367, "IAU76"), (2419, "krass")])  # Xian 1980 / Beijing 1954 zone 43
def test_legacy_datum_with_towgs84(tmp_path, epsg, ellps):
    # a parcel whose numbers are GK metres on the legacy datum
    proj = pyproj.Transformer.from_crs(pyproj.CRS.from_epsg(epsg).geodetic_crs, f"EPSG:{epsg}", always_xy=True)
    legacy_lonlat = fx.YANJI_LONLAT
    rows = []
    for lon, lat in legacy_lonlat:
        e, n = proj.transform(lon, lat)
        rows.append((round(n, 4), round(e, 4)))
    path = tmp_path / "legacy.csv"
    path.write_text(fx.corner_csv_text(rows), encoding="utf-8")
    lon, lat = np.array(legacy_lonlat).T
    elon, elat = _bursa_wolf(lon, lat, PARAMS, ellps)
    expected = shapely.Polygon(np.column_stack([elon, elat]))

    site = read_site(path, source_crs=f"EPSG:{epsg}", towgs84=",".join(map(str, PARAMS)))
    assert "--towgs84" in site.crs_note
    assert not any("WARNING" in w for w in site.warnings)
    assert hausdorff_m(site.geometry, expected, 4531) < 0.01

    plain = read_site(path, source_crs=f"EPSG:{epsg}")
    assert any(w.startswith("WARNING") and "tens of metres" in w and "--towgs84" in w for w in plain.warnings)
    assert "NO datum shift" in plain.crs_note
    assert hausdorff_m(plain.geometry, expected, 4531) > 1  # the datum shift was not applied


def test_towgs84_errors(tmp_path):
    path = fx.make_table_zone_prefix(tmp_path)
    with pytest.raises(CRSInputError, match="needs `source_crs`"):
        read_site(path, towgs84="1,2,3,0,0,0,0")
    with pytest.raises(CRSInputError, match="7 numbers"):
        read_site(path, source_crs="EPSG:2366", towgs84="1,2")
    with pytest.raises(CRSInputError, match="already CGCS2000"):
        read_site(path, source_crs="EPSG:4530", towgs84="1,2,3,0,0,0,0")


# --------------------------------------------------------------------------- read / dry run / batch


def test_describe_site(tmp_path):
    site = read_site(fx.make_table_zone_prefix(tmp_path))
    lines = describe_site(site)
    text = "\n".join(lines)
    ha = geod_area(truth(fx.ZONE42_LONLAT)) / 1e4
    assert f"{ha:.3f}" in text and "ha ellipsoidal" in text and "planimetric in EPSG:4551" in text
    assert "zone 42 detected" in text and "vertices: 6" in text and "bounds: lon 126.5" in text


def test_cli_read_and_dry_run(tmp_path, store_path):
    path = fx.make_table_zone_prefix(tmp_path)
    r = run("read", path)
    assert r.exit_code == 0, r.output + r.stderr
    assert "EPSG:4530" in r.output and "ha ellipsoidal" in r.output
    r = run("screen", path, "--store", tmp_path / "missing.gpkg", "--dry-run")
    assert r.exit_code == 0 and "dry run: nothing screened" in r.output
    r = run("screen", fx.make_table_no_prefix(tmp_path), "--store", store_path, "--cm", "126", "--dry-run")
    assert r.exit_code == 0 and "EPSG:4551" in r.output


@pytest.mark.parametrize(
    "builder, args, fragment",
    [
        (fx.make_table_zone_prefix, ["--source-crs", "EPSG:4552"], "contradicts"),
        (fx.make_table_zone_prefix, ["--cm", "127"], "--cm 127"),
        (fx.make_table_zone_prefix, ["--towgs84", "1,2"], "7 numbers"),
        (fx.make_table_no_prefix, [], "pass --cm"),
        (fx.make_table_two_points, [], "at least 3"),
        (fx.make_table_mixed_units, [], "mixed units"),
        (fx.make_dxf_open_only, [], "no closed polyline"),
    ],
)
def test_cli_bad_input_exits_2(tmp_path, store_path, builder, args, fragment):
    r = run("screen", builder(tmp_path), "--store", store_path, *args)
    assert_one_line_error(r, fragment)
    r = run("read", builder(tmp_path), *args)
    assert_one_line_error(r, fragment)


def test_batch_corner_table_one_row_per_parcel(tmp_path, store_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.append(["地块", "点号", "X", "Y"])
    boxes = {"P1": [(129.41, 42.90), (129.43, 42.90), (129.43, 42.92), (129.41, 42.92)],
             "P2": [(129.52, 42.82), (129.55, 42.82), (129.55, 42.84), (129.52, 42.84)]}
    for label, ring in boxes.items():
        for i, (n, e) in enumerate(fx.gk_corners(ring, 4531)):
            wb.active.append([label, i + 1, n, e])
    path = tmp_path / "parcels.xlsx"
    wb.save(path)
    out = tmp_path / "b.csv"
    r = run("batch", path, "--store", store_path, "--id-field", "地块", "--out", out, "--dry-run")
    assert r.exit_code == 0 and "P1" in r.output and "P2" in r.output and "zone 43" in r.output
    r = run("batch", path, "--store", store_path, "--id-field", "地块", "--out", out)
    assert r.exit_code == 0, r.output + r.stderr
    import pandas as pd

    table = pd.read_csv(out, encoding="utf-8-sig")
    assert list(table["地块"]) == ["P1", "P2"]
    for label, ring in boxes.items():
        row = table[table["地块"] == label].iloc[0]
        assert row["area_m2"] == pytest.approx(geod_area(truth(ring)), rel=1e-5)
    assert table.iloc[0]["protected_m2"] > 0  # P1 covers the test core zone


def test_api_screen_accepts_gcj02(tmp_path, store_path):
    import gisplan

    lon, lat = np.array(fx.YANJI_LONLAT).T
    glon, glat = chinacoords.gcj02_from_cgcs2000(lon, lat)
    ring = [[float(a), float(b)] for a, b in zip(glon, glat)]
    path = fx.write_geojson(tmp_path / "s.geojson", [fx._feature({"type": "Polygon", "coordinates": [ring + ring[:1]]})])
    r = gisplan.screen(path, store_path, source_crs="gcj02")
    assert "GCJ-02" in json.dumps(r.to_dict(), ensure_ascii=False)
    site = gisplan.read_site(fx.make_table_no_prefix(tmp_path), cm=126)
    assert site.source_crs == "EPSG:4551"
