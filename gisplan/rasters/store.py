"""Import raster layers (land cover, DEM ...) beside a store and read their register.

A raster is kept as a Cloud-Optimized GeoTIFF in ``STORE.rasters/NAME.<sha256[:16]>.tif``
(named by its content; registers written before that name it ``NAME.tif``) and
registered in the store table ``gisplan_rasters`` (written through the store's
locked, atomic transaction). A file the store registers is never replaced: a
re-import adds the new file, registers it and then removes the file no longer
registered, so an import that fails or is killed at any moment leaves the store
and its raster as they were.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..errors import GisplanError, InputError, StoreError
from ..store.files import forget_temp

__all__ = ["RASTER_TABLE", "MAX_CELLS", "import_raster", "raster_dir", "raster_records", "read_class_table"]

RASTER_TABLE = "gisplan_rasters"
#: Largest raster accepted (cells), checked on the header before any pixel is read.
MAX_CELLS = 200_000_000
RASTER_COLUMNS = ["name", "kind", "file", "crs_wkt", "sha256", "nodata", "classes", "width", "height",
                  "imported_at", "version"]
_NAME = re.compile(r"^[\w\-]{1,64}$")
#: A raster file of a store: ``NAME.tif`` (older registers) or ``NAME.<16 hex digits of its SHA-256>.tif``.
_RASTER_FILE = re.compile(r"^[\w\-]{1,64}(\.[0-9a-f]{16})?\.tif$")


def raster_dir(store_path: str | os.PathLike) -> Path:
    """The folder holding a store's rasters: ``STORE.rasters`` beside the store file."""
    p = Path(store_path)
    return p.with_name(p.name + ".rasters")


def read_class_table(path: str | os.PathLike) -> list[dict]:
    """Read a class table CSV ``value,label[,label_en]`` (UTF-8, BOM allowed).

    Returns
    -------
    list of dict
        ``{"value": int, "label": str, "label_en": str}`` per class, by value.

    Raises
    ------
    InputError
        Missing file or columns, non-integer or repeated values.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read class table {path}: {exc}") from None
    if not rows or not {"value", "label"} <= set(rows[0]):
        raise InputError(f"class table {path} needs the columns value,label[,label_en]")
    classes: dict[int, dict] = {}
    for i, r in enumerate(rows, start=2):
        text = (r.get("value") or "").strip()
        try:
            value = int(text)
        except ValueError:
            raise InputError(f"class table {path} line {i}: value {text!r} is not an integer") from None
        if value in classes:
            raise InputError(f"class table {path} line {i}: value {value} repeated")
        classes[value] = {"value": value, "label": (r.get("label") or "").strip(),
                          "label_en": (r.get("label_en") or "").strip()}
    return [classes[v] for v in sorted(classes)]


def _check_header(src, file: str) -> None:
    if src.width * src.height > MAX_CELLS:
        raise InputError(f"raster {file}: {src.width} x {src.height} cells is more than the limit of {MAX_CELLS:,}")
    if src.count != 1:
        raise InputError(f"raster {file}: {src.count} bands; only single-band rasters are accepted")
    if src.crs is None:
        raise InputError(f"raster {file} has no CRS (add a .prj/.aux.xml or assign one with gdal_edit.py -a_srs)")
    if not src.transform.is_rectilinear or src.transform.e >= 0:
        raise InputError(f"raster {file}: rotated or bottom-up grids are not supported (warp it north-up first)")


def _read_checked(file: str, classes: list[dict] | None):
    """Open and fully read ``file`` (header limits first); return (profile, data, nodata)."""
    import rasterio
    from rasterio.errors import RasterioError

    try:
        with rasterio.open(file) as src:
            _check_header(src, file)
            data = src.read(1, masked=True)
            return src.crs, src.nodata, data
    except InputError:
        raise
    except (RasterioError, OSError, ValueError) as exc:
        raise InputError(f"cannot read raster {file}: {' '.join(str(exc).split())}") from None


def _check_classes(file: str, data, classes: list[dict]) -> list[str]:
    valid = np.ma.compressed(data)
    if np.issubdtype(data.dtype, np.floating):
        if valid.size and not np.all(np.isfinite(valid) & (np.mod(valid, 1) == 0)):
            raise InputError(f"raster {file} holds non-integer values; a class table needs an integer (classified) raster")
    known = {c["value"] for c in classes}
    found = set(np.unique(valid).astype(np.int64).tolist())
    unknown = sorted(found - known)
    return [f"values {unknown[:10]} of {file} are not in the class table"] if unknown else []


def _write_cog(file: str, dest_dir: Path) -> str:
    """Copy ``file`` as a Cloud-Optimized GeoTIFF into a temp file of ``dest_dir``; return its path."""
    import rasterio
    from rasterio.errors import RasterioError
    from rasterio.shutil import copy as rio_copy

    from ..store.files import new_temp, writer_tag

    def make() -> str:
        fd, path = tempfile.mkstemp(suffix=".tif", prefix=f".import-{writer_tag()}.", dir=dest_dir)
        os.close(fd)
        return path

    tmp = new_temp(make)  # removed on a signal, whatever its moment
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the store's files are readable like the store
    try:
        with rasterio.Env() as env:
            has_cog = "COG" in env.drivers()
        if has_cog:
            rio_copy(file, tmp, driver="COG", COMPRESS="DEFLATE", OVERVIEW_RESAMPLING="NEAREST")
        else:  # older GDAL: a tiled GeoTIFF with overviews
            rio_copy(file, tmp, driver="GTiff", TILED="YES", COMPRESS="DEFLATE")
            with rasterio.open(tmp, "r+") as dst:
                dst.build_overviews([2, 4, 8, 16], rasterio.enums.Resampling.nearest)
        with rasterio.open(tmp) as check:
            check.read(1)
    except (RasterioError, OSError, ValueError) as exc:
        os.unlink(tmp)
        raise InputError(f"cannot write raster {file} as GeoTIFF: {' '.join(str(exc).split())}") from None
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_raster(store_path: str | os.PathLike, name: str, file: str, *, classes: str | None = None,
                  lock_timeout: float = 60.0) -> list[str]:
    """Import ``file`` as raster ``name`` of the store at ``store_path``.

    Parameters
    ----------
    store_path : str or Path
        The store (created when missing).
    name : str
        Raster name (letters, digits, ``_`` and ``-``).
    file : str
        A single-band raster GDAL reads (GeoTIFF ...), with a CRS.
    classes : str, optional
        Class table CSV ``value,label[,label_en]``: the raster is classified
        (integer values); without it the raster is continuous.
    lock_timeout : float
        Seconds to wait for the store's lock.

    Returns
    -------
    list of str
        Lines describing what was imported.

    Raises
    ------
    InputError
        Bad name, unreadable or corrupt raster, no CRS, too many cells,
        non-integer values with a class table.
    """
    from ..store.spec import is_pg_store_url, open_or_create

    if not _NAME.match(name or ""):
        raise InputError(f"raster name {name!r}: use 1-64 letters, digits, '_' or '-'")
    if not Path(file).is_file():
        raise InputError(f"raster file not found: {file}")
    table = read_class_table(classes) if classes else None
    crs, nodata, data = _read_checked(file, table)
    notes = _check_classes(file, data, table) if table is not None else []
    if is_pg_store_url(store_path):
        raise StoreError("rasters are kept as files beside a GeoPackage store; a PostGIS store cannot hold them")
    store = open_or_create(store_path, lock_timeout=lock_timeout)
    folder = raster_dir(store_path)
    folder.mkdir(exist_ok=True)
    tmp = _write_cog(file, folder)
    try:
        sha = _sha256(tmp)
        # named by content: the file of the version the store registers now is never replaced, so a write
        # that fails (or is killed) after this point leaves the store and its raster as they were
        stored = f"{name}.{sha[:16]}.tif"
        row = {"name": name, "kind": "classified" if table is not None else "continuous",
               "file": f"{folder.name}/{stored}", "crs_wkt": crs.to_wkt(), "sha256": sha,
               "nodata": "" if nodata is None else repr(float(nodata)),
               "classes": json.dumps(table or [], ensure_ascii=False), "width": int(data.shape[1]),
               "height": int(data.shape[0]), "imported_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        with store.transaction(lock_timeout=lock_timeout) as tx:
            old = tx.read_table(RASTER_TABLE)
            records = [] if old is None else [r for r in old.to_dict("records") if r["name"] != name]
            previous = [] if old is None else [int(r["version"]) for r in old.to_dict("records") if r["name"] == name]
            row["version"] = (previous[0] + 1) if previous else 1
            _write_register(tx, records + [row])
            os.replace(tmp, folder / stored)
        _drop_unregistered(store_path, folder)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
        forget_temp(tmp)
    valid = int(np.ma.count(data))
    lines = [f"raster {name} ({row['kind']}, version {row['version']}): {data.shape[1]} x {data.shape[0]} cells, "
             f"{valid} with data, CRS {crs.to_string()} -> {folder / stored}"]
    return lines + [f"  note: {n}" for n in notes]


def _drop_unregistered(store_path, folder: Path) -> None:
    """Remove raster files the store (as it is now, under its lock) no longer registers, and temp files of
    imports whose process is gone (best effort: a file in use elsewhere stays until the next import)."""
    from ..store.gpkg import Store
    from ..store.files import _writer_gone, store_lock

    try:
        with store_lock(store_path, 0):
            store = Store(store_path, verify=False)
            try:
                keep = {Path(r["path"]).name for r in raster_records(store)}
            finally:
                store.close()
            for f in folder.iterdir():
                if f.name.startswith(".import-"):
                    if _writer_gone(f.name[len(".import-"):].split(".", 1)[0]):
                        f.unlink(missing_ok=True)
                elif f.suffix == ".tif" and f.name not in keep and _RASTER_FILE.match(f.name):
                    f.unlink(missing_ok=True)
    except (GisplanError, OSError):
        pass  # another writer holds the lock: it cleans up after itself


def _write_register(tx, records: list[dict]) -> None:
    import pandas as pd

    frame = pd.DataFrame(records, columns=RASTER_COLUMNS)
    frame["width"] = frame["width"].astype("int64")
    frame["height"] = frame["height"].astype("int64")
    frame["version"] = frame["version"].astype("int64")
    tx.write_table(RASTER_TABLE, frame)


def raster_records(store) -> list[dict]:
    """The raster register of an open :class:`~gisplan.store.gpkg.Store` (empty list when it has none)."""
    if not store.has_table(RASTER_TABLE):
        return []
    lean = getattr(store, "table_records", None)  # the register's rows without pandas where the store can
    records = lean(RASTER_TABLE) if lean is not None else store.read_table(RASTER_TABLE).to_dict("records")
    out = []
    for r in records:
        r["classes"] = json.loads(r["classes"] or "[]")
        r["nodata"] = None if r["nodata"] in ("", None) else float(r["nodata"])
        if not _NAME.match(str(r["name"])):
            raise StoreError(f"store {store.path}: table {RASTER_TABLE} holds a bad raster name")
        stored = Path(str(r.get("file") or "")).name
        if not (_RASTER_FILE.match(stored) and stored.startswith(f"{r['name']}.")):
            stored = f"{r['name']}.tif"  # a register without a file name of this form: the raster's own name
        r["path"] = raster_dir(store.path) / stored  # beside the store wherever it was copied
        out.append(r)
    return out
