"""Builders of good and bad site files, shared by the tests (the one place for them).

``write_site`` writes one geometry as a site file, ``write_sites`` several for a batch, ``row_of_boxes`` makes
small squares for them; ``conftest.site_file`` is ``write_site`` as a fixture.

Every builder is a plain function ``make_<case>(tmp_path) -> Path`` writing its
file(s) under ``tmp_path`` and returning the path to give to gisplan. The two
virtual-path cases return a ``str`` (``pathlib`` would collapse the ``//`` of
the URL inside them).

``BAD_SITE_CASES`` maps case names to the builders of inputs that must fail;
``BAD_SITE_EXPECT`` gives the error class and a fragment of the one-line message
for each; cases in ``FOOTPRINT_CASES`` read fine and fail only in
``footprint()`` (no ``--radius`` / ``--width``), i.e. when screening.
"""

from __future__ import annotations

import json
import random
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely

from gisplan.errors import CRSInputError, InputError, SiteError

# A small site in Yanji (延吉), Yanbian, and the places next to it.
YANJI_BOX = (129.45, 42.86, 129.50, 42.90)
NORTH_KOREA = (129.8, 42.3)
RUSSIA = (131.3, 43.0)
GBK_NAMES = ["延吉市重点管控单元1", "图们市一般管控单元2"]


# --------------------------------------------------------------------------- helpers


def _feature(geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _polygon(coords) -> dict:
    return {"type": "Polygon", "coordinates": [[list(c) for c in coords]]}


def _box_coords(x0, y0, x1, y1):
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]


def write_geojson(path: Path, features: list[dict], raw: str | None = None) -> Path:
    """Write a FeatureCollection (or ``raw`` text, for NaN/Infinity literals)."""
    text = (
        raw if raw is not None else json.dumps({"type": "FeatureCollection", "features": features})
    )
    path.write_text(text, encoding="utf-8")
    return path


def write_site(path: Path, geom, name: str | None = "测试项目", *, crs="EPSG:4490", **to_file) -> Path:
    """Write one geometry as a one-feature site file (format by suffix: GeoJSON, GeoPackage, shapefile).

    ``name`` goes into the ``name`` field (``None``: no attribute at all); ``crs`` is the geometry's CRS
    (CGCS2000 lon/lat by default); ``to_file`` passes on to :meth:`GeoDataFrame.to_file` (``layer=``,
    ``driver=``). Returns ``path``.
    """
    columns = {"name": [name]} if name is not None else {}
    gpd.GeoDataFrame(columns, geometry=[geom], crs=crs).to_file(path, **to_file)
    return path


def write_sites(path: Path, ids, geoms=None, *, id_field: str = "sid", crs="EPSG:4490", **to_file) -> Path:
    """Write several sites (one feature each, identified by ``id_field``) for ``gisplan batch``; returns ``path``.

    Without ``geoms``, the sites are :func:`row_of_boxes` (small squares in unit A of the fixture store).
    """
    ids = list(ids)
    geoms = row_of_boxes(len(ids)) if geoms is None else list(geoms)
    gpd.GeoDataFrame({id_field: ids}, geometry=geoms, crs=crs).to_file(path, **to_file)
    return path


def row_of_boxes(n: int, x0: float = 129.45, y0: float = 42.85, size: float = 0.0005, step: float = 0.001) -> list:
    """``n`` small lon/lat squares of side ``size`` (degrees) in a row eastwards from (``x0``, ``y0``), ``step`` apart."""
    return [shapely.box(x0 + i * step, y0, x0 + size + i * step, y0 + size) for i in range(n)]


def write_shapefile(directory: Path, stem: str, frame: gpd.GeoDataFrame, **kwargs) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.shp"
    frame.to_file(path, driver="ESRI Shapefile", **kwargs)
    return path


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


def yanji_frame(crs="EPSG:4490", n: int = 1) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = YANJI_BOX
    geoms = [shapely.box(x0 + i * 0.1, y0, x1 + i * 0.1, y1) for i in range(n)]
    return gpd.GeoDataFrame({"name": [f"site {i + 1}" for i in range(n)]}, geometry=geoms, crs=crs)


def zip_files(zip_path: Path, files: dict[str, Path | bytes]) -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            data = content if isinstance(content, bytes) else Path(content).read_bytes()
            zf.writestr(name, data)
    return zip_path


class _GBKZipInfo(zipfile.ZipInfo):
    """A ZipInfo storing its name in GBK without the UTF-8 flag (as Chinese Windows does)."""

    def _encodeFilenameFlags(self):  # noqa: N802 - CPython's name
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


# --------------------------------------------------------------------------- bad inputs


def make_empty_file(tmp_path: Path) -> Path:
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    return path


def make_missing_file(tmp_path: Path) -> Path:
    return tmp_path / "does_not_exist.shp"


def make_directory(tmp_path: Path) -> Path:
    path = tmp_path / "folder.shp"
    path.mkdir()
    return path


def _garbage(tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    # deterministic bytes that cannot pass for any format's header
    path.write_bytes(b"\x8f\x00GARBAGE" + random.Random(name).randbytes(4086))
    return path


def make_garbage_shp(tmp_path: Path) -> Path:
    shp = _garbage(tmp_path, "garbage.shp")
    _garbage(tmp_path, "garbage.shx")
    _garbage(tmp_path, "garbage.dbf")
    return shp


def make_garbage_geojson(tmp_path: Path) -> Path:
    return _garbage(tmp_path, "garbage.geojson")


def make_garbage_gpkg(tmp_path: Path) -> Path:
    return _garbage(tmp_path, "garbage.gpkg")


def make_garbage_kml(tmp_path: Path) -> Path:
    return _garbage(tmp_path, "garbage.kml")


def make_garbage_zip(tmp_path: Path) -> Path:
    return _garbage(tmp_path, "garbage.zip")


def make_no_features(tmp_path: Path) -> Path:
    return write_geojson(tmp_path / "no_features.geojson", [])


def make_null_geometries(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "null_geoms.geojson", [_feature(None, name="a"), _feature(None, name="b")]
    )


def make_non_spatial_csv(tmp_path: Path) -> Path:
    """A plain attribute table: no coordinate columns at all."""
    path = tmp_path / "table.csv"
    path.write_text("名称,面积,备注\n厂区,12.5,一期\n仓库,3.2,二期\n", encoding="utf-8")
    return path


def make_gpkg_table_only(tmp_path: Path) -> Path:
    import pandas as pd
    import pyogrio

    path = tmp_path / "table_only.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1, 2]}), path, layer="attributes", driver="GPKG")
    return path


def make_missing_shx(tmp_path: Path) -> Path:
    shp = write_shapefile(tmp_path / "noshx", "site", yanji_frame())
    shp.with_suffix(".shx").unlink()
    return shp


def make_geojson_is_vrt(tmp_path: Path) -> Path:
    """A GDAL VRT pointing at a remote file, disguised as GeoJSON."""
    path = tmp_path / "disguised.geojson"
    path.write_text(
        '<OGRVRTDataSource><OGRVRTLayer name="x">'
        "<SrcDataSource>/vsicurl/http://example.com/x.geojson</SrcDataSource>"
        "</OGRVRTLayer></OGRVRTDataSource>",
        encoding="utf-8",
    )
    return path


def make_nan_coordinate(tmp_path: Path) -> Path:
    raw = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[129.45,42.86],[129.5,NaN],'
        "[129.5,42.9],[129.45,42.86]]]}}]}"
    )
    return write_geojson(tmp_path / "nan.geojson", [], raw=raw)


def make_infinite_coordinate(tmp_path: Path) -> Path:
    raw = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"Polygon","coordinates":[[[129.45,42.86],[129.5,Infinity],'
        "[129.5,42.9],[129.45,42.86]]]}}]}"
    )
    return write_geojson(tmp_path / "inf.geojson", [], raw=raw)


def make_swapped_latlon(tmp_path: Path) -> Path:
    coords = [(y, x) for x, y in _box_coords(129.45, 43.10, 129.50, 43.14)]
    return write_geojson(tmp_path / "swapped.geojson", [_feature(_polygon(coords))])


def make_projected_as_lonlat(tmp_path: Path) -> Path:
    """GK zone 42 metres (with zone prefix) in a GeoJSON, which means lon/lat."""
    coords = _box_coords(42544000.0, 4856000.0, 42544500.0, 4856400.0)
    return write_geojson(tmp_path / "projected.geojson", [_feature(_polygon(coords))])


def make_outside_china_north_korea(tmp_path: Path) -> Path:
    x, y = NORTH_KOREA
    feats = [_feature(_polygon(_box_coords(x - 0.01, y - 0.01, x + 0.01, y + 0.01)), name="NK")]
    return write_geojson(tmp_path / "north_korea.geojson", feats)


def make_outside_china_russia(tmp_path: Path) -> Path:
    x, y = RUSSIA
    return write_geojson(
        tmp_path / "russia.geojson", [_feature({"type": "Point", "coordinates": [x, y]}, name="RU")]
    )


def make_shapefile_no_prj(tmp_path: Path) -> Path:
    shp = write_shapefile(tmp_path / "noprj", "site", yanji_frame())
    shp.with_suffix(".prj").unlink()
    return shp


def make_gpkg_several_layers(tmp_path: Path) -> Path:
    path = tmp_path / "layers.gpkg"
    yanji_frame().to_file(path, layer="red_line", driver="GPKG")
    yanji_frame(n=2).to_file(path, layer="alternatives", driver="GPKG", mode="a")
    return path


def make_zip_slip(tmp_path: Path) -> Path:
    return zip_files(tmp_path / "slip.zip", {"../evil.shp": b"\x00\x00\x27\x0a" + b"\x00" * 96})


def make_zip_absolute(tmp_path: Path) -> Path:
    return zip_files(tmp_path / "absolute.zip", {"/tmp/gisplan_evil.shp": b"x" * 100})


def make_zip_drive_letter(tmp_path: Path) -> Path:
    return zip_files(tmp_path / "drive.zip", {"C:\\Windows\\evil.shp": b"x" * 100})


def make_zip_bomb(tmp_path: Path) -> Path:
    """One member of 5 MiB of zeros: deflate compresses it about 1000 times."""
    return zip_files(tmp_path / "bomb.zip", {"bomb.shp": b"\x00" * (5 * 1024 * 1024)})


def make_zip_symlink(tmp_path: Path) -> Path:
    path = tmp_path / "symlink.zip"
    info = zipfile.ZipInfo("site.shp")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    return path


def make_zip_encrypted(tmp_path: Path) -> Path:
    """A zip whose member has the 'encrypted' flag set (headers patched)."""
    path = zip_files(tmp_path / "encrypted.zip", {"site.geojson": b'{"type":"FeatureCollection"}'})
    data = bytearray(path.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        data[start + flag_offset] |= 0x01
    path.write_bytes(bytes(data))
    return path


def make_zip_too_many_members(tmp_path: Path) -> Path:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(1001):
            zf.writestr(f"f{i}.txt", b"x")
    return path


def make_zip_several_shapefiles(tmp_path: Path) -> Path:
    files: dict[str, Path | bytes] = {}
    for stem in ("red_line", "alternative"):
        shp = write_shapefile(tmp_path / f"src_{stem}", stem, yanji_frame())
        files.update({p.name: p for p in shapefile_parts(shp)})
    return zip_files(tmp_path / "several.zip", files)


def make_zip_without_data(tmp_path: Path) -> Path:
    return zip_files(tmp_path / "readme_only.zip", {"readme.txt": "说明".encode()})


def make_kml_xxe(tmp_path: Path) -> Path:
    path = tmp_path / "xxe.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&xxe;</name>'
        "<Point><coordinates>129.47,42.88</coordinates></Point></Placemark></Document></kml>\n",
        encoding="utf-8",
    )
    return path


def make_kml_billion_laughs(tmp_path: Path) -> Path:
    path = tmp_path / "laughs.kml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;">]>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>&b;</name></Document></kml>\n',
        encoding="utf-8",
    )
    return path


def make_vsicurl_path(tmp_path: Path) -> str:
    return "/vsicurl/http://example.com/x.geojson"


def make_vsizip_path(tmp_path: Path) -> str:
    return "/vsizip/../../etc/x.zip"


def make_http_url(tmp_path: Path) -> str:
    return "https://example.com/site.geojson"


def make_point_site(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "well.geojson",
        [_feature({"type": "Point", "coordinates": [129.47, 42.88]}, name="水井")],
    )


def make_line_site(tmp_path: Path) -> Path:
    line = {
        "type": "LineString",
        "coordinates": [[129.40, 42.85], [129.50, 42.90], [129.60, 42.88]],
    }
    return write_geojson(tmp_path / "road.geojson", [_feature(line, name="道路")])


#: Inputs that must fail (with the builder writing each).
BAD_SITE_CASES = {
    "empty_file": make_empty_file,
    "missing_file": make_missing_file,
    "directory": make_directory,
    "garbage_shp": make_garbage_shp,
    "garbage_geojson": make_garbage_geojson,
    "garbage_gpkg": make_garbage_gpkg,
    "garbage_kml": make_garbage_kml,
    "garbage_zip": make_garbage_zip,
    "no_features": make_no_features,
    "null_geometries": make_null_geometries,
    "non_spatial_csv": make_non_spatial_csv,
    "gpkg_table_only": make_gpkg_table_only,
    "missing_shx": make_missing_shx,
    "geojson_is_vrt": make_geojson_is_vrt,
    "nan_coordinate": make_nan_coordinate,
    "infinite_coordinate": make_infinite_coordinate,
    "swapped_latlon": make_swapped_latlon,
    "projected_as_lonlat": make_projected_as_lonlat,
    "outside_china_north_korea": make_outside_china_north_korea,
    "outside_china_russia": make_outside_china_russia,
    "shapefile_no_prj": make_shapefile_no_prj,
    "gpkg_several_layers": make_gpkg_several_layers,
    "zip_slip": make_zip_slip,
    "zip_absolute": make_zip_absolute,
    "zip_drive_letter": make_zip_drive_letter,
    "zip_bomb": make_zip_bomb,
    "zip_symlink": make_zip_symlink,
    "zip_encrypted": make_zip_encrypted,
    "zip_too_many_members": make_zip_too_many_members,
    "zip_several_shapefiles": make_zip_several_shapefiles,
    "zip_without_data": make_zip_without_data,
    "kml_xxe": make_kml_xxe,
    "kml_billion_laughs": make_kml_billion_laughs,
    "vsicurl_path": make_vsicurl_path,
    "vsizip_path": make_vsizip_path,
    "http_url": make_http_url,
    "point_without_radius": make_point_site,
    "line_without_width": make_line_site,
}

#: Cases that read fine and fail only when the footprint is made (no --radius/--width).
FOOTPRINT_CASES = {"point_without_radius", "line_without_width"}

#: Expected error class and a fragment of the message, per bad case.
BAD_SITE_EXPECT: dict[str, tuple[type[Exception], str]] = {
    "empty_file": (InputError, "empty (0 bytes)"),
    "missing_file": (InputError, "no such file"),
    "directory": (InputError, "is a directory"),
    "garbage_shp": (InputError, "not a shapefile"),
    "garbage_geojson": (InputError, "not GeoJSON"),
    "garbage_gpkg": (InputError, "not a GeoPackage"),
    "garbage_kml": (InputError, "not well-formed XML"),
    "garbage_zip": (InputError, "not a readable zip"),
    "no_features": (InputError, "no features"),
    "null_geometries": (InputError, "has a geometry"),
    "non_spatial_csv": (InputError, "no geometry"),
    "gpkg_table_only": (InputError, "no geometry"),
    "missing_shx": (InputError, ".shx file is missing"),
    "geojson_is_vrt": (InputError, "not GeoJSON"),
    "nan_coordinate": (SiteError, "NaN"),
    "infinite_coordinate": (SiteError, "infinite"),
    "swapped_latlon": (SiteError, "latitude/longitude swapped"),
    "projected_as_lonlat": (SiteError, "look projected"),
    "outside_china_north_korea": (SiteError, "outside China"),
    "outside_china_russia": (SiteError, "outside China"),
    "shapefile_no_prj": (CRSInputError, "no .prj"),
    "gpkg_several_layers": (InputError, "several layers"),
    "zip_slip": (InputError, "../evil.shp"),
    "zip_absolute": (InputError, "absolute path"),
    "zip_drive_letter": (InputError, "absolute path"),
    "zip_bomb": (InputError, "zip bomb"),
    "zip_symlink": (InputError, "symbolic link"),
    "zip_encrypted": (InputError, "encrypted"),
    "zip_too_many_members": (InputError, "1001 members"),
    "zip_several_shapefiles": (InputError, "several datasets"),
    "zip_without_data": (InputError, "holds no shapefile"),
    "kml_xxe": (InputError, "KML with a DTD or entities is refused (XXE)"),
    "kml_billion_laughs": (InputError, "KML with a DTD or entities is refused (XXE)"),
    "vsicurl_path": (InputError, "virtual file systems and URLs are not accepted"),
    "vsizip_path": (InputError, "virtual file systems and URLs are not accepted"),
    "http_url": (InputError, "virtual file systems and URLs are not accepted"),
    "point_without_radius": (SiteError, "needs --radius"),
    "line_without_width": (SiteError, "needs --width"),
}


# --------------------------------------------------------------------------- good inputs


def make_bowtie(tmp_path: Path) -> Path:
    """A self-intersecting (bow-tie) polygon in Yanji."""
    coords = [(129.45, 42.86), (129.50, 42.90), (129.50, 42.86), (129.45, 42.92), (129.45, 42.86)]
    return write_geojson(tmp_path / "bowtie.geojson", [_feature(_polygon(coords), name="bowtie")])


def make_gbk_shapefile(tmp_path: Path, cpg: bool = False) -> Path:
    """A shapefile with GBK text (Chinese names, Chinese field name), by default without .cpg."""
    frame = yanji_frame(n=2)
    frame["名称"] = GBK_NAMES
    frame["HJGKDYMC"] = GBK_NAMES
    shp = write_shapefile(tmp_path / "gbk", "units", frame.drop(columns="name"), encoding="gbk")
    if not cpg:
        shp.with_suffix(".cpg").unlink()
    return shp


def make_kml_three_placemarks(tmp_path: Path) -> Path:
    """Three disjoint polygons, two in one Folder and one in another."""

    def placemark(name, x0):
        ring = " ".join(f"{x},{y},0" for x, y in _box_coords(x0, 42.86, x0 + 0.02, 42.88))
        return (
            f"<Placemark><name>{name}</name><Polygon><outerBoundaryIs><LinearRing>"
            f"<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )

    path = tmp_path / "three.kml"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        "<name>厂区</name>"
        f"<Folder><name>一期</name>{placemark('A', 129.40)}{placemark('B', 129.45)}</Folder>"
        f"<Folder><name>二期</name>{placemark('C', 129.50)}</Folder></Document></kml>\n",
        encoding="utf-8",
    )
    return path


def make_zipped_shapefile(tmp_path: Path, subfolder: str = "") -> Path:
    shp = write_shapefile(tmp_path / "src_zip", "site", yanji_frame())
    prefix = f"{subfolder}/" if subfolder else ""
    return zip_files(tmp_path / "site.zip", {prefix + p.name: p for p in shapefile_parts(shp)})


def make_zipped_shapefile_in_subfolder(tmp_path: Path) -> Path:
    return make_zipped_shapefile(tmp_path, subfolder="交付/红线")


def make_zip_gbk_member_names(tmp_path: Path) -> Path:
    """A zip as Chinese Windows makes it: GBK member names, UTF-8 flag unset."""
    shp = write_shapefile(tmp_path / "src_gbkzip", "site", yanji_frame())
    path = tmp_path / "gbk_names.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in shapefile_parts(shp):
            info = _GBKZipInfo(f"项目/用地红线{part.suffix}")
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, part.read_bytes())
    return path


def make_gk_zone42_shapefile(tmp_path: Path, epsg: int = 4530, lonlat=(126.55, 43.84)) -> Path:
    """A 200 m square in CGCS2000 3-degree GK (EPSG:4530 is zone 42, CM 126E, zone prefix)."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    x, y = t.transform(*lonlat)
    frame = gpd.GeoDataFrame(
        {"name": ["吉林 site"]},
        geometry=[shapely.box(x - 100, y - 100, x + 100, y + 100)],
        crs=f"EPSG:{epsg}",
    )
    return write_shapefile(tmp_path / f"gk{epsg}", "site", frame, encoding="utf-8")


#: Inputs that must read fine.
GOOD_SITE_CASES = {
    "bowtie": make_bowtie,
    "gbk_shapefile": make_gbk_shapefile,
    "kml_three_placemarks": make_kml_three_placemarks,
    "zipped_shapefile": make_zipped_shapefile,
    "zipped_shapefile_in_subfolder": make_zipped_shapefile_in_subfolder,
    "zip_gbk_member_names": make_zip_gbk_member_names,
    "gk_zone42_shapefile": make_gk_zone42_shapefile,
    "point_site": make_point_site,
    "line_site": make_line_site,
}


# --------------------------------------------------------------------------- sites as they arrive
# Corner-point tables, DXF plans, KMZ, legacy datums. Coordinates are computed
# here with pyproj from a lon/lat polygon (independently of gisplan).

#: A 5-vertex site near Changchun-Jilin border in zone 42 (CM 126E), lon/lat CGCS2000.
ZONE42_LONLAT = [(126.540, 43.830), (126.556, 43.831), (126.560, 43.842), (126.548, 43.849), (126.538, 43.841)]
#: A site in Yanji (zone 43, CM 129E), lon/lat CGCS2000.
YANJI_LONLAT = [(129.460, 42.870), (129.480, 42.870), (129.482, 42.885), (129.462, 42.886)]


def gk_corners(lonlat, epsg: int = 4530) -> list[tuple[float, float]]:
    """(northing X, easting Y) of lon/lat points in a GK CRS, computed with pyproj."""
    from pyproj import Transformer

    t = Transformer.from_crs("EPSG:4490", f"EPSG:{epsg}", always_xy=True)
    out = []
    for lon, lat in lonlat:
        e, n = t.transform(lon, lat)
        out.append((round(n, 3), round(e, 3)))
    return out


def corner_csv_text(rows, header=("点号", "X", "Y"), parcel=None) -> str:
    lines = [",".join(([parcel[0]] if parcel else []) + list(header))]
    for i, (a, b) in enumerate(rows):
        cells = ([parcel[1][i]] if parcel else []) + [f"J{i + 1}", f"{a}", f"{b}"]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def make_table_zone_prefix(tmp_path: Path, encoding: str = "utf-8", name: str = "corners.csv") -> Path:
    """ZONE42_LONLAT as 点号,X,Y with X = northing, Y = easting with zone prefix 42 (EPSG:4530)."""
    path = tmp_path / name
    path.write_bytes(corner_csv_text(gk_corners(ZONE42_LONLAT)).encode(encoding))
    return path


def make_table_two_points(tmp_path: Path) -> Path:
    path = tmp_path / "two_points.csv"
    path.write_text("点号,X,Y\n1,4752000.1,42544231.8\n2,4752100.2,42544300.5\n", encoding="utf-8")
    return path


def make_table_bad_cell(tmp_path: Path) -> Path:
    rows = gk_corners(ZONE42_LONLAT)
    rows[2] = (rows[2][0], "4251x345.6")
    path = tmp_path / "bad_cell.csv"
    path.write_text(corner_csv_text(rows), encoding="utf-8")
    return path


def make_table_mixed_units(tmp_path: Path) -> Path:
    rows = gk_corners(ZONE42_LONLAT)
    rows[3] = (ZONE42_LONLAT[3][1], ZONE42_LONLAT[3][0])
    path = tmp_path / "mixed.csv"
    path.write_text(corner_csv_text(rows), encoding="utf-8")
    return path


def make_table_no_prefix(tmp_path: Path) -> Path:
    """GK metres without zone prefix (EPSG:4551, CM 126E) and no CRS given."""
    path = tmp_path / "no_prefix.csv"
    path.write_text(corner_csv_text(gk_corners(ZONE42_LONLAT, 4551)), encoding="utf-8")
    return path


def make_table_odd_row(tmp_path: Path) -> Path:
    rows = gk_corners(ZONE42_LONLAT)
    text = corner_csv_text(rows).splitlines()
    text.insert(3, "J9,4850000.0,")
    path = tmp_path / "odd_row.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    return path


def make_dxf_open_only(tmp_path: Path) -> Path:
    import ezdxf

    doc = ezdxf.new()
    msp = doc.modelspace()
    pts = [(e, n) for n, e in gk_corners(YANJI_LONLAT, 4531)]
    msp.add_lwpolyline(pts, dxfattribs={"layer": "红线"}, close=False)
    msp.add_text("用地红线", dxfattribs={"layer": "标注"})
    path = tmp_path / "open.dxf"
    doc.saveas(path)
    return path


BAD_SITE_CASES.update(
    {
        "table_two_points": make_table_two_points,
        "table_bad_cell": make_table_bad_cell,
        "table_mixed_units": make_table_mixed_units,
        "table_no_prefix": make_table_no_prefix,
        "table_odd_row": make_table_odd_row,
        "dxf_open_only": make_dxf_open_only,
    }
)
BAD_SITE_EXPECT.update(
    {
        "table_two_points": (SiteError, "a ring needs at least 3"),
        "table_bad_cell": (InputError, "row 4, column Y"),
        "table_mixed_units": (InputError, "mixed units"),
        "table_no_prefix": (CRSInputError, "pass --cm"),
        "table_odd_row": (InputError, "row 4, column Y: empty"),
        "dxf_open_only": (SiteError, "no closed polyline or hatch"),
    }
)
#: Bad cases read_vector does not see (tables and DXF go to their own readers).
NOT_VECTOR_CASES = {"table_bad_cell", "table_mixed_units", "table_odd_row"}
