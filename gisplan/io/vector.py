"""Safe reading of the vector files agencies and engineers deliver.

Supported: ESRI shapefiles (``.shp``), zip archives holding one (or a GeoPackage,
GeoJSON or KML; ``.kmz`` too), GeoPackages (``.gpkg``), GeoJSON (``.geojson``,
``.json``), KML (``.kml``) and ESRI file geodatabases (``.gdb`` folders, or zipped,
read by GDAL's OpenFileGDB driver). Everything goes through :func:`read_vector`, which

- refuses URLs, GDAL virtual paths and anything but an existing non-empty local file;
- checks each file's signature before GDAL sees it, so that a renamed file of
  another kind (say a GDAL VRT named ``.geojson``) is never opened;
- extracts zip archives only after checking every member, into a private
  temporary directory removed before returning;
- opens a ``.gdb`` folder only when it is a plain folder of regular files (no
  symbolic links, no sub-folders, within the zip size and count limits) holding
  the geodatabase's system catalogue;
- parses KML with defusedxml first (no DTDs, entities or external references);
- decides the text encoding of shapefiles (``.cpg``, else a look at the raw
  ``.dbf`` bytes: UTF-8 or GB18030);
- turns every failure into a one-line :class:`gisplan.errors.InputError`.
"""

from __future__ import annotations

import codecs
import os
import sqlite3
import tempfile
import warnings
from contextlib import closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._lazy import lazy_module
from ..errors import InputError
from .safety import (
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
    check_kml,
    check_local_path,
    check_path_text,
    one_line,
    safe_extract_zip,
)

# GDAL (pyogrio imports geopandas and pandas with it) loads on first use: read_gpkg_arrays needs neither
if TYPE_CHECKING:  # the type checker sees the modules; at run time they load on first use
    import geopandas as gpd
    import pandas as pd
    import pyogrio
else:
    gpd = lazy_module("geopandas")
    pd = lazy_module("pandas")
    pyogrio = lazy_module("pyogrio")

__all__ = ["VectorData", "VectorArrays", "read_vector", "read_gpkg_arrays", "feature_count", "SUPPORTED_SUFFIXES",
           "GB18030_WARNING"]

#: File name suffixes read_vector accepts, and the kind of dataset each names.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".shp": "shapefile",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".kml": "kml",
    ".zip": "zip",
    ".kmz": "zip",
    ".gdb": "filegdb",
}

#: The warning added when a shapefile's text was decoded as GB18030 by guess.
GB18030_WARNING = "no .cpg: text decoded as GB18030 (GBK); pass --encoding to override"

_DRIVERS: dict[str, tuple[str, ...]] = {
    "shapefile": ("ESRI Shapefile",),
    "gpkg": ("GPKG",),
    "geojson": ("GeoJSON", "GeoJSONSeq", "ESRIJSON", "TopoJSON"),
    "kml": ("LIBKML", "KML"),
    "filegdb": ("OpenFileGDB",),
}
#: The system catalogue every file geodatabase holds, and its first bytes (format version 3 or 4).
_GDB_CATALOGUE = "a00000001.gdbtable"
_GDB_MAGIC = (b"\x03\x00\x00\x00", b"\x04\x00\x00\x00")
_FORMAT_NAMES = {"LIBKML": "KML"}
_TABLE_SUFFIXES = (".csv", ".txt", ".xls", ".xlsx", ".ods", ".dbf")
_SHP_MAGIC = b"\x00\x00\x27\x0a"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DBF_SNIFF_BYTES = 16 * 1024 * 1024
_IGNORED_WARNINGS = (
    "invalid value encountered",  # NaN coordinates: sites.py reports them
    "Several features with id =",  # GDAL renumbers duplicate GeoJSON ids: gisplan never uses feature ids
)
#: GDAL warnings said in gisplan's words (a fragment of GDAL's text -> the message, given the file's name).
_TRANSLATED_WARNINGS = {
    "couldn't be converted correctly from": "{display}: some text could not be decoded and was replaced; "
                                            "pass `encoding` (e.g. GB18030) if names look wrong",
    "parsed incompletely": "{display}: some attribute values do not match their field's type and were cut short",
    "not successfully written": "{display}: some attribute values could not be read",
}


@dataclass
class VectorData:
    """A vector layer read into memory, with how it was read.

    Attributes
    ----------
    frame : geopandas.GeoDataFrame
        The features; ``frame.crs`` is None when the source declares no CRS.
    format : str
        "ESRI Shapefile", "GPKG", "GeoJSON", "KML", ... (the format of the file
        inside a zip for zipped data).
    encoding : str or None
        The text encoding used (given, from the ``.cpg``, or guessed), if known.
    layer : str or None
        The layer read, or None for several KML folders read together.
    warnings : list of str
        One-line warnings for the user.
    path : str
        The path as given.
    member : str or None
        For a zip archive, the member read (relative path inside the archive).
    crs_problem : str or None
        Why the file's own CRS statement could not be used (a shapefile's
        ``.prj`` that is not a coordinate system); ``frame.crs`` is None then.
    """

    frame: gpd.GeoDataFrame
    format: str
    encoding: str | None
    layer: str | None
    warnings: list[str] = field(default_factory=list)
    path: str = ""
    member: str | None = None
    crs_problem: str | None = None


def read_vector(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    encoding: str | None = None,
    window: tuple[int, int] | None = None,
) -> VectorData:
    """Read a local vector file safely.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.shp``, ``.zip`` (or ``.kmz``), ``.gpkg``, ``.geojson``/``.json`` or
        ``.kml`` file. URLs and GDAL virtual paths (``/vsi...``) are refused.
    layer : str, optional
        The layer of a GeoPackage or KML with several layers, or, in a zip with
        several datasets, the file name without extension (e.g. the shapefile stem).
    encoding : str, optional
        Text encoding of a shapefile's ``.dbf`` (e.g. ``gbk``, ``gb18030``,
        ``utf-8``), overriding the ``.cpg`` and the guess.
    window : (int, int), optional
        ``(skip, count)``: read only these features (a streamed batch); for a
        single-layer shapefile, GeoPackage, GeoJSON or FileGDB layer, see
        :func:`feature_count`.

    Returns
    -------
    VectorData
        The features in memory (independent of any temporary files) and how they
        were read.

    Raises
    ------
    InputError
        With a one-line message for every file that cannot be used: missing,
        directory, empty, unsupported type, garbage, unsafe zip, KML with a DTD,
        no features, no geometry, several layers and no ``layer``, or any GDAL error.

    Examples
    --------
    >>> data = read_vector("site.shp")  # doctest: +SKIP
    >>> data.frame.crs, data.encoding, data.warnings  # doctest: +SKIP
    (<Projected CRS: EPSG:4530 ...>, 'GB18030', ['no .cpg: text decoded as GB18030 ...'])
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    text = check_path_text(path)
    if Path(text).expanduser().suffix.lower() == ".gdb" and Path(text).expanduser().is_dir():
        local = check_gdb_folder(Path(text).expanduser(), display)
        return _read_file(local, display, "filegdb", layer, encoding, window)
    local = check_local_path(path)
    if encoding is not None:
        encoding = _check_encoding(encoding)
    kind = _kind_of(local, display)
    if kind == "zip":
        if window is not None:
            raise InputError(f"{display}: a zip archive is read whole, not in windows")
        return _read_zip(local, display, layer, encoding)
    return _read_file(local, display, kind, layer, encoding, window)


def feature_count(path: str | os.PathLike[str], *, layer: str | None = None) -> int | None:
    """Number of features of a file that :func:`read_vector` can read in windows, else None.

    Shapefiles, GeoPackages, GeoJSON and FileGDB layers (one layer, or the one
    ``layer`` names) can be streamed; zips, KML, tables and DXF are read whole.
    """
    text = check_path_text(path)
    suffix = Path(text).suffix.lower()
    if suffix not in (".shp", ".gpkg", ".geojson", ".json", ".gdb"):
        return None
    if suffix == ".gpkg":
        counted = _gpkg_feature_count(Path(text).expanduser(), layer)
        if counted is not None:
            return counted
    try:
        local = Path(text).expanduser()
        layers = pyogrio.list_layers(local)
        if layer is None and len(layers) != 1:
            return None
        info = pyogrio.read_info(local, layer=layer or layers[0][0])
        count = int(info.get("features", -1))
    except Exception:  # unreadable here: the whole-file reader says why
        return None
    return count if count >= 0 else None


# --------------------------------------------------------------------------- GeoPackages without GDAL


@dataclass
class VectorArrays:
    """A vector layer read into plain arrays (no frames): what a CSV batch needs of its sites.

    Attributes
    ----------
    geometry : ndarray of shapely geometries
        One per feature (None for a feature without geometry), as GDAL reads them.
    columns : dict
        Attribute name -> ndarray, in the file's column order, with the values
        and dtypes a frame read by :func:`read_vector` holds (``int64`` for
        whole-number columns without nulls, ``float64`` with NaN for numbers
        with nulls, ``object`` with NaN for missing text).
    crs : str or pyproj.CRS
        ``EPSG:<code>`` of the layer (the CRS itself from the plain GeoJSON reader).
    format, encoding, layer, warnings, path :
        As :class:`VectorData`.
    """

    geometry: np.ndarray
    columns: dict
    crs: object
    format: str
    encoding: str | None
    layer: str | None
    warnings: list[str] = field(default_factory=list)
    path: str = ""
    member: str | None = None


#: GeoPackage column types read without GDAL, and the kind of value each holds.
_GPKG_TYPES = {"TEXT": "text", "INTEGER": "int", "INT": "int", "MEDIUMINT": "int", "SMALLINT": "int",
               "TINYINT": "int", "REAL": "float", "FLOAT": "float", "DOUBLE": "float"}
_GPKG_GEOMETRY_TYPES = {"GEOMETRY", "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING",
                        "MULTIPOLYGON", "GEOMETRYCOLLECTION"}
_GPKG_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


class _NotPlain(Exception):
    """The GeoPackage holds something only GDAL reads as gisplan expects: use :func:`read_vector`."""


def read_gpkg_arrays(path: str | os.PathLike[str], *, layer: str | None = None, encoding: str | None = None,
                     window: tuple[int, int] | None = None) -> VectorArrays | None:
    """Read a plain GeoPackage layer with SQLite and shapely alone (no GDAL, pandas or geopandas).

    The same checks as :func:`read_vector` come first (local file, SQLite
    signature); the values and geometries are those :func:`read_vector` gives.
    Anything out of the ordinary returns None, and the caller reads the file with
    :func:`read_vector` (which also words every refusal): several layers,
    another layer than the one named exactly, an SRS other than an EPSG code,
    M values, curve or extended geometry types, empty-geometry flags, columns
    other than text, integer and real numbers, text cells holding numbers, an
    empty layer or window, a layer without any geometry.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.gpkg`` file.
    layer : str, optional
        The layer, named exactly.
    encoding : str, optional
        Must be None (a GeoPackage is UTF-8).
    window : (int, int), optional
        ``(skip, count)`` features, in feature-id order (as GDAL reads them).

    Returns
    -------
    VectorArrays or None
    """
    display = os.fspath(path) if not isinstance(path, bytes) else os.fsdecode(path)
    text = check_path_text(path)
    if encoding is not None or Path(text).suffix.lower() != ".gpkg":
        return None
    local = check_local_path(path)
    _sniff(local, "gpkg", display)
    try:
        with closing(_open_sqlite(local)) as con:
            chosen, geometry, crs, columns = _gpkg_read(con, layer, window)
    except (_NotPlain, sqlite3.Error, ValueError, TypeError, OverflowError):
        return None
    return VectorArrays(geometry=geometry, columns=columns, crs=crs, format="GPKG", encoding="UTF-8",
                        layer=chosen, path=display)


def _open_sqlite(path: Path) -> sqlite3.Connection:
    """Read-only connection (never writes, reads a WAL if there is one)."""
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def _gpkg_layers(con: sqlite3.Connection) -> list[tuple]:
    """(table, data type, geometry column, geometry type, srs id, z, m) of every content row."""
    return con.execute(
        "SELECT c.table_name, c.data_type, g.column_name, g.geometry_type_name, g.srs_id, g.z, g.m "
        "FROM gpkg_contents c LEFT JOIN gpkg_geometry_columns g ON g.table_name = c.table_name").fetchall()


def _gpkg_layer(con: sqlite3.Connection, layer: str | None) -> tuple:
    """The one features layer read without GDAL, or _NotPlain."""
    rows = _gpkg_layers(con)
    if any(r[1] not in ("features", "attributes") for r in rows):
        raise _NotPlain("tiles or other contents")
    picked = [r for r in rows if r[0] == layer] if layer is not None else rows
    if len(picked) != 1 or picked[0][1] != "features" or picked[0][2] is None:
        raise _NotPlain("layer choice")
    return picked[0]


def _gpkg_feature_count(path: Path, layer: str | None) -> int | None:
    """Features of the layer :func:`read_gpkg_arrays` would read, or None (ask GDAL)."""
    try:
        with closing(_open_sqlite(path)) as con:
            table = _gpkg_layer(con, layer)[0]
            return int(con.execute(f"SELECT COUNT(*) FROM {_sql_name(table)}").fetchone()[0])
    except (_NotPlain, sqlite3.Error, OSError):
        return None


def _sql_name(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _gpkg_read(con: sqlite3.Connection, layer: str | None, window) -> tuple[str, np.ndarray, str, dict]:
    table, _, geom_col, geom_type, srs_id, _z, m = _gpkg_layer(con, layer)
    if m or str(geom_type).upper() not in _GPKG_GEOMETRY_TYPES:
        raise _NotPlain("M values or curves")
    srs = con.execute("SELECT organization, organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                      (srs_id,)).fetchone()
    if srs is None or str(srs[0]).upper() != "EPSG" or not isinstance(srs[1], int) or srs[1] <= 0:
        raise _NotPlain("SRS without an EPSG code")
    info = con.execute(f"PRAGMA table_info({_sql_name(table)})").fetchall()
    pk = [r[1] for r in info if r[5] and str(r[2]).upper() == "INTEGER"]
    if len(pk) != 1 or sum(1 for r in info if r[5]) != 1:
        raise _NotPlain("no integer feature id")
    fields = [(r[1], _GPKG_TYPES.get(str(r[2]).split("(")[0].strip().upper())) for r in info
              if r[1] not in (pk[0], geom_col)]
    if any(kind is None for _, kind in fields):
        raise _NotPlain("column types GDAL converts")
    names = ", ".join(_sql_name(c) for c in [geom_col, *(f for f, _ in fields)])
    sql = f"SELECT {names} FROM {_sql_name(table)} ORDER BY {_sql_name(pk[0])}"
    if window is not None:
        sql += f" LIMIT {int(window[1])} OFFSET {int(window[0])}"
    rows = con.execute(sql).fetchall()
    if not rows:
        raise _NotPlain("no features")
    geometry = _gpkg_geometries([r[0] for r in rows])
    columns = {name: _gpkg_column([r[i + 1] for r in rows], kind) for i, (name, kind) in enumerate(fields)}
    return table, geometry, f"EPSG:{srs[1]}", columns


def _gpkg_geometries(blobs: list) -> np.ndarray:
    """Shapely geometries of GeoPackage geometry blobs (header, optional envelope, ISO WKB)."""
    import shapely

    wkb = np.full(len(blobs), None, dtype=object)
    for i, blob in enumerate(blobs):
        if blob is None:
            continue
        if not isinstance(blob, bytes) or len(blob) < 8 or blob[:2] != b"GP":
            raise _NotPlain("not a GeoPackage geometry")
        flags = blob[3]
        if flags & 0x30:  # extended type, or the empty-geometry flag
            raise _NotPlain("extended or empty geometry")
        envelope = _GPKG_ENVELOPE_BYTES.get((flags >> 1) & 7)
        if envelope is None:
            raise _NotPlain("bad envelope")
        wkb[i] = blob[8 + envelope:]
    if all(w is None for w in wkb):
        raise _NotPlain("no geometry")
    try:
        return shapely.from_wkb(wkb, on_invalid="raise")
    except Exception as exc:  # curves and the like: GDAL reads them
        raise _NotPlain(str(exc)) from None


def _gpkg_column(values: list, kind: str) -> np.ndarray:
    """A column as the frame :func:`read_vector` gives holds it (missing values NaN, as pyogrio reads them)."""
    nan = float("nan")
    if kind == "text":
        if any(v is not None and not isinstance(v, str) for v in values):
            raise _NotPlain("text column holding numbers")
        if all(v is None for v in values):  # GDAL gives such a column as None throughout
            return np.full(len(values), None, dtype=object)
        return np.array([nan if v is None else v for v in values], dtype=object)
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))) for v in values):
        raise _NotPlain("number column holding text")
    if kind == "int":
        if any(isinstance(v, float) for v in values):
            raise _NotPlain("integer column holding reals")
        if all(v is not None for v in values):
            return np.array(values, dtype=np.int64)
    return np.array([nan if v is None else float(v) for v in values], dtype=np.float64)


# --------------------------------------------------------------------------- kinds


def _check_encoding(encoding: str) -> str:
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise InputError(f"unknown text encoding {encoding!r} (try gbk, gb18030 or utf-8)") from exc
    return encoding


def _kind_of(path: Path, display: str) -> str:
    suffix = path.suffix.lower()
    kind = SUPPORTED_SUFFIXES.get(suffix)
    if kind is not None:
        return kind
    supported = ", ".join(SUPPORTED_SUFFIXES)
    if suffix in _TABLE_SUFFIXES:
        raise InputError(
            f"{display} is a table ({suffix}), not a map layer: it has no geometry; "
            f"give one of {supported}"
        )
    raise InputError(
        f"unsupported file type {suffix or '(no suffix)'!r} ({display}); give one of {supported}"
    )


def check_gdb_folder(folder: Path, display: str) -> Path:
    """Check that ``folder`` is a plain file geodatabase folder and return it resolved.

    Raises
    ------
    InputError
        For a symbolic link (the folder or anything in it), a sub-folder, more
        files or bytes than a zip may unpack to, or a missing/garbled system catalogue.
    """
    if folder.is_symlink():
        raise InputError(f"{display} is a symbolic link; give the geodatabase folder itself")
    resolved = folder.resolve()
    check_path_text(str(resolved))
    total, count = 0, 0
    for entry in os.scandir(resolved):
        if entry.is_symlink():
            raise InputError(f"{display} holds a symbolic link ({entry.name}); refused")
        if entry.is_dir(follow_symlinks=False):
            raise InputError(f"{display} holds a sub-folder ({entry.name}): not a file geodatabase; refused")
        if not entry.is_file(follow_symlinks=False):
            raise InputError(f"{display} holds a special file ({entry.name}); refused")
        count += 1
        total += entry.stat(follow_symlinks=False).st_size
        if count > MAX_ZIP_MEMBERS * 20 or total > MAX_ZIP_TOTAL_BYTES:
            raise InputError(f"{display} is larger than gisplan reads ({count} files, {total} bytes); refused")
    catalogue = resolved / _GDB_CATALOGUE
    if not catalogue.is_file():
        raise InputError(f"{display} is not a file geodatabase (no {_GDB_CATALOGUE})")
    with open(catalogue, "rb") as fh:
        if fh.read(4) not in _GDB_MAGIC:
            raise InputError(f"{display} is not a file geodatabase (bad {_GDB_CATALOGUE} header)")
    return resolved


def _sniff(path: Path, kind: str, display: str) -> None:
    """Refuse a file whose first bytes do not match its suffix."""
    if kind == "filegdb":
        check_gdb_folder(path, display)
        return
    with open(path, "rb") as fh:
        head = fh.read(256)
    if kind == "shapefile":
        if not head.startswith(_SHP_MAGIC) or path.stat().st_size < 100:
            raise InputError(f"{display} is not a shapefile (bad .shp header)")
    elif kind == "gpkg":
        if not head.startswith(_SQLITE_MAGIC):
            raise InputError(f"{display} is not a GeoPackage (no SQLite header)")
    elif kind == "geojson":
        text = head.removeprefix(codecs.BOM_UTF8).lstrip()
        if text[:1] not in (b"{", b"\x1e"):
            raise InputError(f"{display} is not GeoJSON (it does not start with '{{')")
    elif kind == "kml":
        check_kml(path, display)


# --------------------------------------------------------------------------- files


def _read_file(
    path: Path, display: str, kind: str, layer: str | None, encoding: str | None,
    window: tuple[int, int] | None = None,
) -> VectorData:
    _sniff(path, kind, display)
    notes: list[str] = []
    read_encoding, reported = encoding, encoding
    crs_problem = None
    if kind == "shapefile":
        notes += _check_shapefile_parts(path, display)
        read_encoding, reported, guessed = _shapefile_encoding(path, encoding)
        notes += guessed
    try:
        frame, driver, chosen = _read_any(path, display, kind, layer, read_encoding, notes, window)
    except InputError:
        prj = _sidecar(path, ".prj") if kind == "shapefile" else None
        if prj is None or _prj_readable(prj):
            raise
        # GDAL stops at a damaged .prj: read the features without it, and say the .prj is unusable
        with tempfile.TemporaryDirectory(prefix="gisplan-noprj-") as tmp:
            bare = _without_prj(path, Path(tmp))
            frame, driver, chosen = _read_any(bare, display, kind, layer, read_encoding, notes, window)
        crs_problem = _prj_message(display)
    if kind == "shapefile" and crs_problem is None and frame.crs is None:
        prj = _sidecar(path, ".prj")
        if prj is not None and prj.stat().st_size > 0:
            crs_problem = _prj_message(display)
    if driver not in _DRIVERS[kind]:
        raise InputError(f"{display} is not {_kind_label(kind)} (GDAL reads it as {driver})")
    if kind != "shapefile" and reported is None:
        reported = "UTF-8"  # GeoJSON, KML and GeoPackage text is UTF-8 by specification
    _check_frame(frame, display)
    return VectorData(
        frame=frame,
        format=_FORMAT_NAMES.get(driver, driver),
        encoding=reported,
        layer=chosen,
        warnings=notes,
        path=display,
        crs_problem=crs_problem,
    )


def _read_any(path: Path, display: str, kind: str, layer: str | None, encoding: str | None, notes: list[str],
              window: tuple[int, int] | None):
    """(frame, driver, layer chosen) of a file: every KML folder, else the one layer chosen."""
    layers = _list_layers(path, display)
    if kind == "kml" and layer is None:
        frame, driver = _read_kml_layers(path, display, layers)
        return frame, driver, None
    chosen = _choose_layer(layers, layer, display)
    frame, driver = _read_layer(path, display, chosen, encoding, notes, window)
    return frame, driver, chosen


def _prj_message(display: str) -> str:
    return (f"the .prj of {Path(display).name} is not a coordinate system gisplan can read "
            "(damaged or not a .prj at all)")


def _prj_readable(prj: Path) -> bool:
    """Whether a ``.prj`` holds a coordinate system PROJ understands (WKT, ESRI WKT)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    text = prj.read_bytes()[:1 << 20].decode("utf-8", errors="replace").strip()
    try:
        CRS.from_user_input(text)
    except (CRSError, ValueError, TypeError):
        return False
    return True


def _without_prj(shp: Path, folder: Path) -> Path:
    """The shapefile's parts but its ``.prj``, linked (or copied) into ``folder``; the new ``.shp`` path."""
    import shutil

    for part in shp.parent.iterdir():
        if part.stem == shp.stem and part.suffix.lower() != ".prj" and part.is_file():
            target = folder / part.name
            try:
                os.symlink(part.resolve(), target)
            except OSError:
                shutil.copyfile(part, target)
    return folder / shp.name


def _kind_label(kind: str) -> str:
    return {"shapefile": "a shapefile", "gpkg": "a GeoPackage", "geojson": "GeoJSON", "kml": "KML",
            "filegdb": "a file geodatabase"}[kind]


def _sidecar(shp: Path, suffix: str) -> Path | None:
    """The sidecar file ``stem + suffix`` next to a shapefile, matching case-insensitively."""
    exact = shp.with_suffix(suffix)
    if exact.is_file():
        return exact
    wanted = (shp.stem + suffix).lower()
    for candidate in shp.parent.iterdir():
        if candidate.name.lower() == wanted and candidate.is_file():
            return candidate
    return None


def _check_shapefile_parts(shp: Path, display: str) -> list[str]:
    if _sidecar(shp, ".shx") is None:
        raise InputError(
            f"{display}: the .shx file is missing (a shapefile is several files: "
            ".shp, .shx, .dbf, .prj, .cpg; copy them all)"
        )
    if _sidecar(shp, ".dbf") is None:
        return [f"{Path(display).name}: no .dbf, so the features have no attributes"]
    return []


def _shapefile_encoding(
    shp: Path, encoding: str | None
) -> tuple[str | None, str | None, list[str]]:
    """(encoding to pass to pyogrio, encoding to report, warnings) for a shapefile."""
    if encoding:
        return encoding, encoding, []
    cpg = _sidecar(shp, ".cpg")
    if cpg is not None:
        text = cpg.read_bytes()[:64].decode("ascii", errors="replace").strip()
        return None, text or None, []  # GDAL honours the .cpg itself
    dbf = _sidecar(shp, ".dbf")
    if dbf is None:
        return None, None, []
    pieces = _dbf_text_pieces(dbf)
    if _all_decode(pieces, "utf-8"):
        return "utf-8", "UTF-8", []
    if _all_decode(pieces, "gb18030"):
        return "gb18030", "GB18030", [GB18030_WARNING]
    return (
        None,
        None,
        [
            "no .cpg: text is neither UTF-8 nor GB18030; decoded as GDAL guessed; "
            "pass --encoding to override"
        ],
    )


def _all_decode(pieces: list[bytes], codec: str) -> bool:
    """True when every piece decodes (a multi-byte character cut at the end is tolerated)."""
    for piece in pieces:
        decoder = codecs.getincrementaldecoder(codec)()
        try:
            decoder.decode(piece, final=False)
        except UnicodeDecodeError:
            return False
    return True


def _dbf_text_pieces(dbf: Path, max_bytes: int = _DBF_SNIFF_BYTES) -> list[bytes]:
    """Raw bytes of the field names and of the text (C) fields of a .dbf's first records."""
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return []
        n_records = int.from_bytes(head[4:8], "little")
        header_len = int.from_bytes(head[8:10], "little")
        record_len = int.from_bytes(head[10:12], "little")
        descriptors = fh.read(max(header_len - 32, 0))
        pieces: list[bytes] = []
        fields: list[tuple[int, int]] = []
        offset = 1  # the deletion flag
        for start in range(0, len(descriptors) - 31, 32):
            desc = descriptors[start : start + 32]
            if desc[0] == 0x0D:
                break
            pieces.append(desc[:11].split(b"\x00", 1)[0])
            width = desc[16]
            if desc[11:12] in (b"C", b"c"):
                fields.append((offset, width))
            offset += width
        if not fields or record_len <= 0:
            return pieces
        fh.seek(header_len)
        count = min(n_records, max(max_bytes // record_len, 1))
        data = fh.read(count * record_len)
    for r in range(0, len(data) - record_len + 1, record_len):
        for off, width in fields:
            value = data[r + off : r + off + width].rstrip(b" \x00")
            if value and not value.isascii():
                pieces.append(value)
    return pieces


# --------------------------------------------------------------------------- GDAL


def _gdal_call(display: str, func, path: Path, **kwargs):
    """Call a pyogrio function on ``path``; every exception becomes a one-line InputError.

    The message names the file as the user gave it (never a temporary path).
    """
    try:
        return func(str(path), **kwargs)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode the text of {display} as {exc.encoding}; pass another `encoding`"
        ) from exc
    except MemoryError as exc:
        raise InputError(f"{display} is too large to read into memory") from exc
    except Exception as exc:  # DataSourceError, DataLayerError, GeometryError, ...
        detail = one_line(str(exc).replace(str(path), display).replace(str(path.parent), "."))
        raise InputError(f"cannot read {display}: {detail}") from exc


def _list_layers(path: Path, display: str) -> list[tuple[str, str | None]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = _gdal_call(display, pyogrio.list_layers, path)
    return [(str(name), None if gtype is None else str(gtype)) for name, gtype in rows]


def _choose_layer(layers: list[tuple[str, str | None]], layer: str | None, display: str) -> str:
    names = [name for name, _ in layers]
    if not names:
        raise InputError(f"{display} has no layers")
    if layer is not None:
        if layer in names:
            return layer
        folded = [n for n in names if n.casefold() == layer.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise InputError(f"{display} has no layer {layer!r}; its layers: {', '.join(names)}")
    spatial = [name for name, gtype in layers if gtype is not None]
    if len(names) == 1:
        return names[0]
    if len(spatial) == 1:
        return spatial[0]
    if not spatial:
        raise InputError(f"{display} has no layer with geometry (tables only: {', '.join(names)})")
    raise InputError(f"{display} has several layers: {', '.join(spatial)}; choose one with `layer`")


def _read_layer(
    path: Path, display: str, layer: str, encoding: str | None, notes: list[str],
    window: tuple[int, int] | None = None,
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, str]:
    info = _gdal_call(display, pyogrio.read_info, path, layer=layer, encoding=encoding)
    kwargs: dict[str, object] = {"layer": layer}
    if window is not None:
        kwargs["skip_features"], kwargs["max_features"] = int(window[0]), int(window[1])
    if encoding:
        kwargs["encoding"] = encoding
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = _gdal_call(display, pyogrio.read_dataframe, path, **kwargs)
    for item in caught:
        text = one_line(item.message)
        if any(part in text for part in _IGNORED_WARNINGS):
            continue
        text = next((msg.format(display=Path(display).name) for part, msg in _TRANSLATED_WARNINGS.items()
                     if part in text), text)
        if text not in notes:
            notes.append(text)
    return frame, str(info["driver"])


def _read_kml_layers(
    path: Path, display: str, layers: list[tuple[str, str | None]]
) -> tuple[gpd.GeoDataFrame | pd.DataFrame, str]:
    """Read every layer (one per KML Folder) and concatenate them."""
    frames = []
    driver = ""
    for name, _ in layers:
        frame, driver = _read_layer(path, display, name, None, [])
        if isinstance(frame, gpd.GeoDataFrame) and len(frame):
            frames.append(frame)
    if not driver:
        raise InputError(f"{display} has no layers")
    if not frames:
        return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326"), driver
    if len(frames) == 1:
        return frames[0], driver
    crs = frames[0].crs
    joined = pd.concat([f.to_crs(crs) if f.crs != crs else f for f in frames], ignore_index=True)
    return gpd.GeoDataFrame(joined, geometry=frames[0].geometry.name, crs=crs), driver


def _check_frame(frame: gpd.GeoDataFrame | pd.DataFrame, display: str) -> None:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        raise InputError(f"{display} has no geometry: a table, not a map layer")
    if len(frame) == 0:
        raise InputError(f"{display} has no features")
    if frame.geometry.isna().all():
        raise InputError(f"{display}: none of its {len(frame)} features has a geometry")


# --------------------------------------------------------------------------- zip


def _read_zip(path: Path, display: str, layer: str | None, encoding: str | None) -> VectorData:
    with tempfile.TemporaryDirectory(prefix="gisplan-zip-") as tmp:
        root = Path(tmp)
        files = safe_extract_zip(path, root)
        candidates = [f for f in files if _is_candidate(f, root)] + _gdb_folders(files, root)
        if not candidates:
            held = ", ".join(f.relative_to(root).as_posix() for f in files[:10]) or "nothing"
            raise InputError(
                f"{display} holds no shapefile, GeoPackage, GeoJSON or KML (it holds: {held})"
            )
        target, inner_layer = _choose_member(candidates, root, layer, display)
        member = target.relative_to(root).as_posix()
        kind = SUPPORTED_SUFFIXES[target.suffix.lower()]
        data = _read_file(target, f"{display}!{member}", kind, inner_layer, encoding)
    return replace(data, path=display, member=member)


def _is_candidate(path: Path, root: Path) -> bool:
    rel = path.relative_to(root)
    if rel.parts[0] == "__MACOSX" or path.name.startswith("._"):
        return False
    if any(p.lower().endswith(".gdb") for p in rel.parts[:-1]):
        return False  # a file inside a geodatabase folder: the folder is the candidate
    return SUPPORTED_SUFFIXES.get(path.suffix.lower()) not in (None, "zip", "filegdb")


def _gdb_folders(files: list[Path], root: Path) -> list[Path]:
    """The ``.gdb`` folders among extracted files (each holding its files directly)."""
    found: set[Path] = set()
    for f in files:
        rel = f.relative_to(root)
        if rel.parts[0] == "__MACOSX":
            continue
        parent = f.parent
        if parent != root and parent.suffix.lower() == ".gdb":
            found.add(parent)
    return sorted(found)


def _choose_member(
    candidates: list[Path], root: Path, layer: str | None, display: str
) -> tuple[Path, str | None]:
    """Pick the dataset to read from an extracted zip; return it and the layer to pass on."""
    if len(candidates) == 1:
        only = candidates[0]
        if (
            layer is not None
            and only.suffix.lower() == ".shp"
            and layer.casefold() != only.stem.casefold()
        ):
            raise InputError(f"{display} has no shapefile {layer!r}; it holds: {only.stem}")
        if only.suffix.lower() == ".shp":
            layer = None
        return only, layer
    names = sorted(c.stem for c in candidates)
    if layer is None:
        raise InputError(
            f"{display} holds several datasets: {', '.join(names)}; choose one with `layer` "
            "(the file name without extension)"
        )
    wanted = layer.casefold()
    for key in (
        lambda c: c.stem,
        lambda c: c.relative_to(root).as_posix(),
        lambda c: c.name,
        lambda c: c.relative_to(root).with_suffix("").as_posix(),
    ):
        hits = [c for c in candidates if key(c).casefold() == wanted]
        if len(hits) == 1:
            return hits[0], None
    raise InputError(
        f"{display} has no single dataset named {layer!r}; it holds: "
        + ", ".join(sorted(c.relative_to(root).as_posix() for c in candidates))
    )
