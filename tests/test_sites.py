"""Tests of gisplan.sites: reading, checking and footprints of project sites."""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from gisplan.geo.crs import GEOD
from gisplan.errors import cli_message
from gisplan.errors import CRSInputError, InputError, SiteError
from gisplan.sites import Site, china_boundary, footprint, read_site, site_from_geometry

try:  # tests/ on sys.path (pytest's default rootdir-less import mode)
    import _site_fixtures as fx
except ImportError:  # pragma: no cover - tests/ is a package
    from tests import _site_fixtures as fx


def geodesic_area(geom) -> float:
    area, _ = GEOD.geometry_area_perimeter(shapely.orient_polygons(geom))
    return abs(area)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("case", sorted(fx.BAD_SITE_CASES))
def test_bad_site_raises_typed_one_line_error(case, tmp_path):
    path = fx.BAD_SITE_CASES[case](tmp_path)
    cls, fragment = fx.BAD_SITE_EXPECT[case]
    with pytest.raises(cls) as info:
        site = read_site(path)
        assert case in fx.FOOTPRINT_CASES, "read_site should have raised"
        footprint(site)
    message = str(info.value)
    assert fragment in cli_message(message)  # the CLI shows the flags ...
    assert not re.search(r"(^|\s)--[a-z]", message)  # ... the library names none (issue 10)
    assert "\n" not in message


def test_every_bad_case_has_an_expectation():
    assert set(fx.BAD_SITE_CASES) == set(fx.BAD_SITE_EXPECT)
    assert fx.FOOTPRINT_CASES <= set(fx.BAD_SITE_CASES)


def test_north_korea_and_russia_are_outside_but_yanji_inside():
    boundary = china_boundary()
    assert boundary is china_boundary()  # loaded once
    assert not boundary.intersects(shapely.Point(fx.NORTH_KOREA))
    assert not boundary.intersects(shapely.Point(fx.RUSSIA))
    assert boundary.contains(shapely.box(*fx.YANJI_BOX))
    with pytest.raises(SiteError, match="outside China"):
        site_from_geometry(shapely.Point(fx.NORTH_KOREA))


def test_partly_outside_china_is_a_warning_with_the_share():
    site = site_from_geometry(shapely.box(130.4, 42.5, 130.7, 42.7))  # Hunchun / Tumen river
    notes = [w for w in site.warnings if "outside China" in w]
    assert len(notes) == 1
    share = float(re.match(r"([\d.]+) %", notes[0]).group(1))
    assert 40 < share < 55


def test_swapped_message_tells_the_fix():
    with pytest.raises(SiteError) as info:
        site_from_geometry(shapely.Point(43.1, 129.5))
    assert str(info.value) == (
        "coordinates look like latitude/longitude swapped (x=43.1, y=129.5): give longitude first"
    )


def test_projected_metres_claiming_lonlat_suggest_source_crs():
    with pytest.raises(SiteError, match=r"look projected .*`source_crs` .*EPSG:4530"):
        site_from_geometry(shapely.Point(42544231.8, 4856191.7))
    with pytest.raises(SiteError, match=r"look projected .*EPSG:4534-4554"):
        site_from_geometry(shapely.Point(544231.8, 4856191.7))


def test_lonlat_numbers_with_projected_crs():
    with pytest.raises(
        SiteError, match="look like longitude/latitude .* projected \\(EPSG:4530\\)"
    ):
        site_from_geometry(shapely.Point(126.55, 43.84), crs="EPSG:4530")


def test_northing_easting_swapped():
    x, y = Transformer.from_crs(4490, 4530, always_xy=True).transform(126.55, 43.84)
    assert site_from_geometry(shapely.Point(x, y), crs="EPSG:4530").kind == "point"
    with pytest.raises(SiteError, match="northing/easting swapped"):
        site_from_geometry(shapely.Point(y, x), crs="EPSG:4530")


def test_unknown_source_crs(tmp_path):
    with pytest.raises(CRSInputError, match="unknown coordinate reference system"):
        read_site(fx.make_shapefile_no_prj(tmp_path), source_crs="EPSG:999999")


# --------------------------------------------------------------------------- good inputs


def test_bowtie_is_repaired_with_a_warning(tmp_path):
    site = read_site(fx.make_bowtie(tmp_path))
    assert site.kind == "polygon"
    assert site.geometry.is_valid
    assert len(site.parts) == 2
    notes = [w for w in site.warnings if w.startswith("repaired 1 invalid polygon")]
    assert len(notes) == 1 and re.search(r"area changed by [+-]\d+\.\d\d %", notes[0])
    assert site.name == "bowtie"


def test_polygon_input_keeps_only_polygonal_parts():
    # A ring that touches itself in a spike: make_valid gives a polygon and a line.
    spike = shapely.Polygon(
        [
            (129.45, 42.86),
            (129.5, 42.86),
            (129.5, 42.9),
            (129.47, 42.88),
            (129.52, 42.88),
            (129.47, 42.88),
            (129.45, 42.86),
        ]
    )
    assert not spike.is_valid
    site = site_from_geometry(spike)
    assert site.kind == "polygon"
    assert any("repaired" in w for w in site.warnings)


def test_gbk_shapefile_site(tmp_path):
    site = read_site(fx.make_gbk_shapefile(tmp_path))
    assert site.name == "、".join(fx.GBK_NAMES)
    assert "no .cpg: text decoded as GB18030 (GBK); pass --encoding to override" in site.warnings
    assert site.format == "ESRI Shapefile"
    assert site.source_crs == "EPSG:4490"
    assert site.crs_note.startswith("from the .prj: EPSG:4490")


def test_kml_with_three_placemarks_is_one_site_of_three_parts(tmp_path):
    site = read_site(fx.make_kml_three_placemarks(tmp_path))
    assert isinstance(site, Site)
    assert site.geometry.geom_type == "MultiPolygon"
    assert len(site.parts) == 3
    assert site.kind == "polygon"
    assert not site.geometry.has_z
    assert site.format == "KML"
    assert site.crs_note.startswith("KML is WGS84 lon/lat")
    assert site.name == "A、B、C"


@pytest.mark.parametrize(
    "builder", [fx.make_zipped_shapefile, fx.make_zipped_shapefile_in_subfolder]
)
def test_zipped_shapefile_site(builder, tmp_path):
    site = read_site(builder(tmp_path))
    assert site.kind == "polygon"
    assert shapely.equals(site.geometry, shapely.box(*fx.YANJI_BOX))
    assert site.path.endswith("site.zip")


def test_geojson_is_read_as_cgcs2000(tmp_path):
    site = read_site(fx.make_point_site(tmp_path))
    assert site.source_crs == "EPSG:4490"
    assert site.crs_note.startswith("GeoJSON is lon/lat by RFC 7946; read as CGCS2000")
    assert (site.geometry.x, site.geometry.y) == (129.47, 42.88)
    assert site.kind == "point" and site.name == "水井"


@pytest.mark.parametrize(
    "epsg, lonlat, zone",
    [(4530, (126.55, 43.84), 42), (4528, (120.45, 41.57), 40)],  # Jilin city; Chaoyang
)
def test_gk_zone_with_prefix_is_reprojected(epsg, lonlat, zone, tmp_path):
    shp = fx.make_gk_zone42_shapefile(tmp_path, epsg=epsg, lonlat=lonlat)
    site = read_site(shp)
    assert site.source_crs == f"EPSG:{epsg}"
    assert site.crs_note == (
        f"from the .prj: EPSG:{epsg} (CGCS2000 / 3-degree Gauss-Kruger zone {zone}), reprojected"
    )
    original = pyogrio.read_dataframe(shp).geometry.iloc[0]
    xy = shapely.get_coordinates(original)
    lon, lat = Transformer.from_crs(epsg, 4490, always_xy=True).transform(xy[:, 0], xy[:, 1])
    expected = shapely.Polygon(np.column_stack([lon, lat]))
    assert shapely.equals_exact(site.geometry, expected, tolerance=1e-9)
    c = site.geometry.centroid
    assert abs(c.x - lonlat[0]) < 1e-6 and abs(c.y - lonlat[1]) < 1e-6
    assert 39_000 < geodesic_area(site.geometry) < 41_000  # 200 m x 200 m


def test_shapefile_without_prj_with_source_crs(tmp_path):
    site = read_site(fx.make_shapefile_no_prj(tmp_path), source_crs="EPSG:4490")
    assert site.crs_note == "--source-crs EPSG:4490 (given)"
    assert site.warnings == []


def test_source_crs_differing_from_prj_wins_with_warning(tmp_path):
    shp = fx.write_shapefile(tmp_path / "p", "site", fx.yanji_frame())
    site = read_site(shp, source_crs="EPSG:4214")  # Beijing 1954 lon/lat
    assert site.source_crs == "EPSG:4214"
    assert any(
        "differs from the file's CRS (EPSG:4490): used EPSG:4214" in w for w in site.warnings
    )
    assert any("Beijing 1954" in w and "tens of metres" in w for w in site.warnings)
    # Same CRS given again: no warning.
    assert read_site(shp, source_crs="4490").warnings == []


def test_geojson_with_crs_member(tmp_path):
    x, y = Transformer.from_crs(4490, 4530, always_xy=True).transform(126.55, 43.84)
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4530"}},
        "features": [
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Point", "coordinates": [x, y]},
            }
        ],
    }
    path = tmp_path / "gk.geojson"
    path.write_text(json.dumps(doc))
    site = read_site(path)
    assert site.source_crs == "EPSG:4530"
    assert site.crs_note.startswith("from the GeoJSON crs member: EPSG:4530")
    assert abs(site.geometry.x - 126.55) < 1e-8 and abs(site.geometry.y - 43.84) < 1e-8


def test_empty_features_are_dropped_with_a_warning(tmp_path):
    feats = [
        fx._feature({"type": "Polygon", "coordinates": []}),
        fx._feature(None),
        fx._feature(fx._polygon(fx._box_coords(*fx.YANJI_BOX))),
    ]
    site = read_site(fx.write_geojson(tmp_path / "some_empty.geojson", feats))
    assert "2 of 3 features have no geometry (empty); dropped" in site.warnings
    assert site.kind == "polygon"


def test_site_from_geometry_variants():
    x, y = Transformer.from_crs(4490, 4552, always_xy=True).transform(129.47, 42.88)
    series = gpd.GeoSeries([shapely.Point(x, y)], crs="EPSG:4552")
    site = site_from_geometry(series)
    assert site.source_crs == "EPSG:4552" and site.format == "GeoSeries"
    assert abs(site.geometry.x - 129.47) < 1e-8
    frame = gpd.GeoDataFrame({"名称": ["厂区"]}, geometry=[shapely.box(*fx.YANJI_BOX)], crs=4490)
    assert site_from_geometry(frame).name == "厂区"
    collection = shapely.GeometryCollection(
        [shapely.Point(129.47, 42.88), shapely.LineString([(129.4, 42.85), (129.5, 42.9)])]
    )
    mixed = site_from_geometry(collection, name="mixed")
    assert mixed.kind == "mixed" and len(mixed.parts) == 2 and mixed.name == "mixed"
    with pytest.raises(SiteError, match="not a geometry"):
        site_from_geometry(["POINT (1 2)"])


def test_kinds():
    assert site_from_geometry(shapely.MultiPoint([(129.4, 42.8), (129.5, 42.9)])).kind == "point"
    assert site_from_geometry(shapely.LineString([(129.4, 42.8), (129.5, 42.9)])).kind == "line"
    assert site_from_geometry(shapely.box(*fx.YANJI_BOX)).kind == "polygon"


# --------------------------------------------------------------------------- footprint


@pytest.mark.parametrize("radius", [50.0, 500.0, 5_000.0, 50_000.0])
def test_geodesic_disc_area_and_radius(radius):
    site = site_from_geometry(shapely.Point(129.47, 42.88))
    disc, notes = footprint(site, radius=radius)
    assert notes == []
    assert disc.geom_type == "Polygon"
    assert geodesic_area(disc) == pytest.approx(math.pi * radius**2, rel=1e-3)
    ring = np.asarray(disc.exterior.coords)
    _, _, dist = GEOD.inv(
        np.full(len(ring), 129.47), np.full(len(ring), 42.88), ring[:, 0], ring[:, 1]
    )
    assert np.allclose(dist, radius, atol=1e-3)  # every vertex at the geodesic radius


def test_multipoint_gives_one_disc_per_point():
    site = site_from_geometry(shapely.MultiPoint([(129.4, 42.88), (129.6, 42.88)]))
    area, _ = footprint(site, radius=1000)
    assert area.geom_type == "MultiPolygon" and len(area.geoms) == 2
    assert geodesic_area(area) == pytest.approx(2 * math.pi * 1e6, rel=1e-3)


@pytest.mark.parametrize(
    "coords",
    [
        [(129.40, 42.85), (129.50, 42.90), (129.60, 42.88)],
        [(127.0, 42.0), (128.5, 43.2), (130.2, 42.9)],  # ~300 km: buffered piece by piece
    ],
)
def test_corridor_area(coords):
    width = 200.0
    site = site_from_geometry(shapely.LineString(coords))
    corridor, notes = footprint(site, width=width)
    length = GEOD.geometry_length(site.geometry)
    expected = length * width + math.pi * (width / 2) ** 2
    assert geodesic_area(corridor) == pytest.approx(expected, rel=0.01)
    assert notes == []


def test_corridor_has_round_caps():
    width = 1000.0
    site = site_from_geometry(shapely.LineString([(129.40, 42.88), (129.50, 42.88)]))
    corridor, _ = footprint(site, width=width)
    lon, lat, _ = GEOD.fwd(129.50, 42.88, 90, 0.9 * width / 2)  # beyond the east end
    assert corridor.contains(shapely.Point(lon, lat))  # a flat cap would miss it
    lon, lat, _ = GEOD.fwd(129.50, 42.88, 45, 0.9 * width / 2 * math.sqrt(2))  # the corner
    assert not corridor.contains(shapely.Point(lon, lat))  # a square cap would hold it


def test_polygon_footprint_is_the_polygon_and_radius_is_ignored():
    site = site_from_geometry(shapely.box(*fx.YANJI_BOX))
    area, notes = footprint(site, radius=500)
    assert shapely.equals(area, site.geometry)
    assert notes == ["--radius ignored: the site has no points"]


def test_mixed_site_footprint():
    polygon = shapely.box(129.40, 42.80, 129.42, 42.82)
    point = shapely.Point(129.60, 42.90)
    line = shapely.LineString([(129.70, 42.90), (129.75, 42.92)])
    site = site_from_geometry(shapely.GeometryCollection([polygon, point, line]))
    assert site.kind == "mixed"
    with pytest.raises(SiteError, match="a line site needs `width`"):
        footprint(site, radius=300)
    area, _ = footprint(site, radius=300, width=100)
    length = GEOD.geometry_length(line)
    expected = geodesic_area(polygon) + math.pi * 300**2 + length * 100 + math.pi * 50**2
    assert geodesic_area(area) == pytest.approx(expected, rel=0.01)


@pytest.mark.parametrize("radius", [None, 0, -5, float("nan"), float("inf"), "abc"])
def test_point_needs_a_positive_radius(radius):
    site = site_from_geometry(shapely.Point(129.47, 42.88))
    with pytest.raises(SiteError, match=r"^a point site needs `radius` \(metres\)"):
        footprint(site, radius=radius)


def test_buffer_sanity_limit():
    point = site_from_geometry(shapely.Point(129.47, 42.88))
    with pytest.raises(SiteError, match="`radius` 60000 m is above the 50 km sanity limit"):
        footprint(point, radius=60_000)
    line = site_from_geometry(shapely.LineString([(129.4, 42.8), (129.5, 42.9)]))
    with pytest.raises(SiteError, match="`width` 50001 m is above"):
        footprint(line, width=50_001)
    with pytest.raises(
        SiteError, match=r"^a line site needs `width` \(metres, total corridor width\)$"
    ):
        footprint(line)


def test_site_errors_are_input_errors():
    assert issubclass(SiteError, InputError) and issubclass(CRSInputError, InputError)
