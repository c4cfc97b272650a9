"""The only glue between the web server and the screening engine.

Everything here runs in a worker process of :mod:`gisplan.serve.pool`: the store
is opened once per worker (and reopened, with a new checksum, when its file is
replaced). Functions return plain data; a typed :class:`~gisplan.errors.GisplanError`
comes back as ``{"error": one line, "status": 400}`` with server paths removed,
anything else as ``{"error": "internal error ...", "status": 500}`` -- never a traceback.

The store is held with :func:`gisplan.open_store` (one per worker process).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from ..errors import GisplanError, StoreError
from ..store.files import pause_hook

__all__ = ["init_worker", "read_upload", "screen_upload", "screen_and_record", "render_output", "import_layer_file",
           "import_rules_file", "store_info", "backdrop", "backdrop_json", "after_call", "ping", "site_geojson",
           "unit_card", "offline_features", "offline_json", "understood", "search_text", "record_verdict",
           "project_fields", "NATIONAL_MAJOR", "PROJECT_KEYS"]

#: Accepted values of the ``national_major`` field and what is passed on.
NATIONAL_MAJOR = {"yes": True, "no": False, "unknown": None, "": None}
_READ_KEYS = ("source_crs", "layer", "encoding", "cm", "towgs84", "dxf_layer")

_STATE: dict = {"path": None, "versions": None, "resident": None, "store": None, "info": None, "kept": {},
                "records": {}}


def ping() -> int:
    """A no-op (warms a worker); returns its process id."""
    return os.getpid()


def init_worker(store_path: str, versions_dir: str | None = None) -> None:
    """Worker initializer: remember the store (and where its versions are kept) and open it once."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    _exit_with_parent()
    _STATE["path"] = _store_location(store_path)
    _STATE["versions"] = Path(versions_dir) if versions_dir else None
    if versions_dir:
        _share_data_dir(Path(versions_dir).parent)
    try:
        _store()
    except GisplanError:
        pass  # reported on the first request
    _prewarm_reports()
    after_call()  # no database transaction held while the worker waits for its first request


def _prewarm_reports() -> None:
    """Load once per worker what every report download needs, so that the first one does not wait for it.

    The renderers and their libraries (matplotlib, python-docx, fpdf2 with the
    font subsetter), the CJK font found and registered with matplotlib (its
    outlines read by drawing one label), the PDF's font faces located, and the
    current store version kept for drawing opened, with its file and tables
    checked against their checksums. Anything failing here is left for the
    request itself to report.
    """
    try:
        import fontTools.subset  # noqa: F401  (fpdf2 imports it when a PDF is written)
        import fpdf  # noqa: F401

        from ..render import docx_report, pdf_report, static_map  # noqa: F401
        from ..render.fonts import cjk_font, mpl_rc, pdf_faces

        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        with matplotlib.rc_context(mpl_rc(cjk_font())):
            figure = Figure(figsize=(1, 1), dpi=50)
            figure.text(0.5, 0.5, "环评 图例 1:50,000")
            FigureCanvasAgg(figure).draw()
        pdf_faces()
        info = _STATE.get("info")
        if info and _STATE["versions"] is not None:
            _version(info["sha256"]).verify()
    except Exception:  # noqa: BLE001 - a missing font or library is reported by the download that needs it
        pass


def _share_data_dir(data_dir: Path) -> None:
    """Hold the data folder's serving lock shared while this worker lives (see ``gisplan.serve.app.claim_data_dir``):
    a server restarted after a ``kill -9`` does not clear uploads while this worker may still commit one."""
    try:
        import fcntl

        fd = os.open(data_dir / ".serve.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except (ImportError, OSError):
        return
    _STATE["data_lock"] = fd


def _exit_with_parent(poll_s: float = 2.0) -> None:
    """End this worker when the server process is gone (e.g. ``kill -9``): no orphans holding the store."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll_s)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="gisplan-parent-watch", daemon=True).start()


def file_sha256(path: Path) -> str:
    """SHA-256 hex of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _DatabaseStore(str):
    """A PostGIS store's URL as the worker holds it: ``name`` is the URL without password."""

    @property
    def name(self) -> str:
        from ..store.spec import shown_store

        return shown_store(self)


def _store_location(spec: str):
    from ..store.spec import is_pg_store_url

    return _DatabaseStore(spec) if is_pg_store_url(spec) else Path(spec)


def _store():
    """The worker's current store snapshot (``open_store``: reopened when the file is replaced).

    The checksum and layer versions in ``_STATE["info"]`` belong to the snapshot returned.
    """
    from ..resident import open_store

    path = _STATE["path"]
    if isinstance(path, _DatabaseStore):
        return _database_store(path)
    if path is None or not path.is_file():
        raise StoreError(f"store not found: {path.name if path else '?'}")
    if _STATE["resident"] is None:
        _STATE["resident"] = open_store(path)
    resident = _STATE["resident"]
    snapshot = resident.snapshot()
    key = resident.reloads_seen
    if _STATE["store"] is not snapshot:
        digest = file_sha256(path)
        if _STATE["versions"] is not None:
            _keep_version(path, digest, key)
        if resident.snapshot() is not snapshot or resident.reloads_seen != key:
            raise StoreError("the store was being replaced; try again")
        _STATE.update(store=snapshot, info={"name": path.name, "sha256": digest, "layers": snapshot.versions()})
    return snapshot


def _database_store(url: _DatabaseStore):
    """A PostGIS store's snapshot; its "checksum" is the store's content identity (a digest of every table's rows,
    recorded by the import and checked when a table is read), so a report is drawn only from the same data."""
    from ..resident import open_store

    if _STATE["resident"] is None:
        _STATE["resident"] = open_store(url)
    snapshot = _STATE["resident"].snapshot()
    if _STATE["store"] is not snapshot:
        _STATE.update(store=snapshot, info={"name": url.name, "sha256": snapshot.identity,
                                            "layers": snapshot.versions()})
    return snapshot


def after_call() -> None:
    """After every call of the worker: end a PostGIS snapshot's transaction (no idle-in-transaction between
    requests); the snapshot stays, and its next read locks the same table versions again."""
    resident = _STATE.get("resident")
    if resident is not None:
        try:
            resident.release()
        except Exception:  # a broken connection: the next call reopens
            pass


def _keep_version(path: Path, digest: str, key: tuple) -> None:
    """Keep this version of the store as ``<versions>/<sha256>.gpkg``: a real copy (reflink where the file system
    can, else a copy), one per content, checked against ``digest``.

    Reports are drawn later from the very version a screening read, even after
    the store was replaced by a new import or edited in place by another tool
    (a hard link would change with it).
    """
    folder = _STATE["versions"]
    target = folder / f"{digest}.gpkg"
    if target.exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{digest}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        clone_file(path, tmp)
        if file_sha256(tmp) != digest:
            raise StoreError("the store was being replaced; try again") from None
        os.replace(tmp, target)
        _keep_rasters(path, target)
    finally:
        tmp.unlink(missing_ok=True)


def clone_file(source: Path, target: Path) -> None:
    """Copy ``source`` to the new file ``target``: a reflink (shared blocks, copy on write) where the file
    system supports it (Btrfs, XFS, ...), else a plain copy. Never a hard link: the copy must not change
    when the source is edited in place."""
    import fcntl
    import shutil

    ficlone = 0x40049409  # _IOW(0x94, 9, int) from linux/fs.h
    with open(source, "rb") as src, open(target, "xb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), ficlone, src.fileno())
            return
        except OSError:  # another file system, or no reflinks: copy the bytes
            pass
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())


def _keep_rasters(path: Path, target: Path) -> None:
    """Keep the store's raster files beside the kept version (reflinks or copies; checksummed when read)."""
    from ..rasters.store import raster_dir

    src, dst = raster_dir(path), raster_dir(target)
    if not src.is_dir():
        return
    dst.mkdir(exist_ok=True)
    for file in src.glob("*.tif"):
        if file.name.startswith(".") or (dst / file.name).exists():
            continue
        tmp = dst / f".{file.name}.{os.getpid()}.tmp"
        tmp.unlink(missing_ok=True)
        try:
            clone_file(file, tmp)
            os.replace(tmp, dst / file.name)
        finally:
            tmp.unlink(missing_ok=True)


def _version(digest: str):
    """The kept store version ``digest`` (opened once per worker), for drawing reports."""
    from ..store.gpkg import Store

    kept = _STATE["kept"]
    if isinstance(_STATE["path"], _DatabaseStore):  # a database keeps no old versions: only the current one
        current = _store()
        if _STATE["info"]["sha256"] != digest:
            raise StoreError("the store was re-imported since this screening; its map and reports cannot be drawn "
                             "from the version it read (screen the site again)")
        return current
    if digest not in kept:
        folder = _STATE["versions"]
        file = folder / f"{digest}.gpkg" if folder is not None else None
        if file is None or not file.is_file():
            raise StoreError(f"the store version this screening read (sha256 {digest[:12]}...) is no longer kept "
                             "in the data folder; its map and reports cannot be drawn")
        if file_sha256(file) != digest:
            raise StoreError(f"the kept copy of the store version this screening read (sha256 {digest[:12]}...) "
                             "was changed in the data folder; its map and reports cannot be drawn")
        if len(kept) >= 4:
            kept.pop(next(iter(kept)))
        kept[digest] = Store(file)
    return kept[digest]


def _attach_context(result, digest: str) -> None:
    """Give a kept result its map context again, read from the store version it was screened on."""
    from ..screening import attach_map_context

    attach_map_context(result, _version(digest))


def _kept_result(sid: str, data_dir: str, store_sha256: str, again: dict | None):
    """The recorded result of screening ``sid``, read back from its JSON (:meth:`ScreeningResult.from_dict`).

    A screening recorded pickled (by an older gisplan) is read from its pickle
    once -- our own record, written by ``screen_upload`` then -- and its JSON
    record section kept in the pickle's place. When there is neither, or the
    pickle cannot be loaded (another gisplan version) or the JSON is damaged, ``again`` (the kept
    upload, its client name, the parameters, the original ``generated_at`` and
    store name) screens it once more on the same store version.
    """
    from ..result import ScreeningResult
    from ..result_record import record_of

    record = _record(data_dir)
    kept = record.result_data(sid)
    if kept is None:
        raise StoreError("no such screening in the record")
    text, record_text, pickled = kept
    if record_text:
        try:
            data = json.loads(text)
            data["record"] = json.loads(record_text)
            return ScreeningResult.from_dict(data)
        except (ValueError, TypeError, KeyError, AttributeError):  # a damaged record: screened again, as a pickle
            if not again:
                raise
            return _rescreen(again, store_sha256)
    try:
        if not pickled:
            raise ValueError("no kept result")
        import pickle

        result = pickle.loads(pickled)  # our own record, written by screen_upload of an older gisplan
        section = json.dumps(record_of(result), ensure_ascii=False)
    except Exception:
        if not again:
            raise
        return _rescreen(again, store_sha256)
    record.keep_result_record(sid, section)  # read once: JSON from now on
    return result


_ABS_PATH = re.compile(r"(?<![\w:/])/(?:[^\s/'\"]+/)+([^\s/'\"]+)")


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _server_roots(replacements: dict[str, str]) -> tuple[str, ...]:
    """Folders of this server whose paths never show: the known ones, gisplan's temp folders, Python's."""
    import sys
    import tempfile

    roots = {os.path.join(tempfile.gettempdir(), "gisplan-"), sys.prefix + os.sep, sys.base_prefix + os.sep,
             str(Path(__file__).resolve().parents[2]) + os.sep}
    roots |= {old.rstrip(os.sep) + os.sep for old in replacements if old and old.startswith(os.sep)}
    return tuple(sorted(roots, key=len, reverse=True))


def scrub(message: str, replacements: dict[str, str]) -> str:
    """One line with server paths replaced (known paths by names, any other by its last part).

    Quoted text (a zip member's name, a layer or field name the user gave) is
    the user's, shown as it is, unless it is a path in one of this server's
    own folders.
    """
    text = " ".join(str(message).split())
    for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    roots = _server_roots(replacements)
    out, last = [], 0
    for m in _QUOTED.finditer(text):
        out.append(_ABS_PATH.sub(r"\1", text[last:m.start()]))
        quoted = m.group(0)
        inner = quoted[1:-1]
        out.append(quoted[0] + _ABS_PATH.sub(r"\1", inner) + quoted[-1] if inner.startswith(roots) else quoted)
        last = m.end()
    out.append(_ABS_PATH.sub(r"\1", text[last:]))
    return "".join(out)


def _guard(fn, replacements: dict[str, str], *args, **kwargs) -> dict:
    replacements = dict(replacements)
    if _STATE["path"] is not None:
        replacements.setdefault(str(_STATE["path"]), _STATE["path"].name)
    try:
        return fn(*args, **kwargs)
    except GisplanError as exc:
        return {"error": scrub(str(exc), replacements), "status": 400}
    except MemoryError:
        return {"error": "the input needs more memory than this server allows", "status": 400}
    except Exception as exc:  # an unforeseen failure: one line, no traceback, no path
        if os.environ.get("GISPLAN_DEBUG"):
            raise
        return {"error": scrub(f"internal error: {type(exc).__name__}: {exc}", replacements), "status": 500}


def _read_options(opts: dict) -> dict:
    return {k: opts.get(k) for k in _READ_KEYS if opts.get(k) not in (None, "")}


def _read(path: str, client_name: str, opts: dict):
    from ..sites import read_site
    from .fastread import read_site_fast

    # plain GeoJSON without GDAL (the same Site; anything else, or any doubt, through read_site)
    site = read_site_fast(path, opts) or read_site(path, **_read_options(opts))
    # never the server's path in results or reports: the client's file name instead
    names = {path: client_name, str(Path(path).parent) + os.sep: "", Path(path).stem: Path(client_name).stem}
    site.path = client_name
    site.crs_note = scrub(site.crs_note, names)
    site.warnings[:] = [scrub(w, names) for w in site.warnings]
    site.details[:] = [scrub(d, names) for d in site.details]
    return site


def _site_geojson(site) -> dict:
    import shapely

    return {"type": "Feature", "properties": {"name": site.name or ""},
            "geometry": shapely.geometry.mapping(site.geometry)}


def _upload_names(path: str, client_name: str) -> dict[str, str]:
    """Server names of an upload and what to say instead: the file as the user named it, never a generated name."""
    p = Path(path)
    return {path: client_name, str(p.parent): "", p.name: client_name, p.stem: Path(client_name).stem}


def read_upload(path: str, client_name: str, opts: dict) -> dict:
    """What ``gisplan read`` says of an uploaded site, with its geometry (GeoJSON) for the preview.

    ``lines`` and ``warnings`` are the library's (English, as ``gisplan read``);
    ``understood`` is the same in the page's words (see :func:`understood`).
    """
    def run() -> dict:
        from ..sites import describe_site

        site = _read(path, client_name, opts)
        return {"lines": describe_site(site), "warnings": list(site.warnings), "name": site.name or "",
                "kind": site.kind, "format": site.format, "source_crs": site.source_crs,
                "crs_note": site.crs_note, "geojson": _site_geojson(site), "understood": understood(site, client_name)}

    return _guard(run, _upload_names(path, client_name))


#: Formats as the page names them (``Site.format`` -> zh, en).
FORMAT_WORDS = {"ESRI Shapefile": ("Shapefile", "shapefile"), "GPKG": ("GeoPackage", "GeoPackage"),
                "GeoJSON": ("GeoJSON", "GeoJSON"), "KML": ("KML", "KML"), "LIBKML": ("KML", "KML"),
                "DXF": ("DXF 图纸", "DXF drawing"), "OpenFileGDB": ("文件地理数据库", "file geodatabase"),
                "CSV corner table": ("拐点坐标表（CSV）", "corner table (CSV)"),
                "XLSX corner table": ("拐点坐标表（XLSX）", "corner table (XLSX)")}


def understood(site, client_name: str) -> dict:
    """What was understood of a site, as the page shows it (both languages; numbers as numbers).

    Returns
    -------
    dict
        ``file``, ``name``, ``format`` and ``crs`` (``{"zh", "en"}``), ``kind``,
        ``parts`` (count per point/line/polygon), ``vertices``, ``area_m2``
        (ellipsoidal) and ``area_gk_m2`` with ``gk_crs`` for polygons,
        ``length_m`` (geodesic) for lines, ``bounds`` (lon/lat), ``details`` and
        ``warnings`` (lists of ``{"code", "zh", "en"}``).
    """
    import shapely

    from ..geo.crs import CGCS2000, GEOD, gk_epsg_for_lon, transform_geometry
    from ..geo.geometry import to_equal_area
    from .messages import crs_note_words, page_note

    parts = {"point": 0, "line": 0, "polygon": 0}
    for p in site.parts:
        parts[("point", "line", "polygon")[int(shapely.get_dimensions(p))]] += 1
    out = {"file": client_name, "name": site.name or "", "kind": site.kind, "source_crs": site.source_crs,
           "format": dict(zip(("zh", "en"), FORMAT_WORDS.get(site.format, (site.format, site.format)))),
           "crs": crs_note_words(site.crs_note, site.source_crs), "parts": parts,
           "vertices": int(shapely.get_num_coordinates(site.geometry)),
           "bounds": [float(v) for v in site.geometry.bounds],
           "details": [page_note(d, file=client_name) for d in site.details],
           "warnings": [page_note(w, file=client_name) for w in site.warnings]}
    polys = [p for p in site.parts if shapely.get_dimensions(p) == 2]
    if polys:
        area = shapely.union_all(polys)
        gk = f"EPSG:{gk_epsg_for_lon(float(area.centroid.x))}"
        out.update(area_m2=float(shapely.area(to_equal_area(area))), gk_crs=gk,
                   area_gk_m2=float(shapely.area(transform_geometry(area, CGCS2000, gk))))
    lines = [p for p in site.parts if shapely.get_dimensions(p) == 1]
    if lines:
        out["length_m"] = float(sum(GEOD.geometry_length(p) for p in lines))
    return out


#: The form fields of ``POST /api/screen`` that name the project, as :func:`gisplan.screen` takes them.
PROJECT_KEYS = ("project_name", "builder", "project_code", "construction_nature")


def project_fields(opts: dict) -> dict:
    """The project form's fields of ``opts`` as :func:`gisplan.screen`'s keywords (None where not given).

    The screening checks them (a nature of construction that is none of the five,
    text over 200 characters: :class:`~gisplan.errors.InputError`) and writes them
    into the result's ``project`` object.
    """
    out = {}
    for key in PROJECT_KEYS:
        value = opts.get(key)
        out[key] = value.strip() or None if isinstance(value, str) else value
    return out


def _keep_store_name(result, info: dict) -> None:
    """The store's file name (not its server path) and checksum in the result."""
    result.store = dict(result.store, path=info["name"], sha256=info["sha256"])


def screen_upload(path: str, client_name: str, opts: dict) -> dict:
    """Read and screen an uploaded site against the worker's store.

    Returns
    -------
    dict
        ``json`` (exactly ``gisplan screen --json``), ``record`` (the JSON of the
        ``record`` section of ``to_dict(full=True)``: with ``json``, what reports
        are rendered from later), ``verdict``, ``site_name``, ``store`` (name,
        sha256, layer versions), ``params``; or ``error`` and ``status``.
    """
    def run() -> dict:
        from ..screening import screen

        t0 = time.perf_counter()
        store = _store()
        info = dict(_STATE["info"])
        site = _read(path, client_name, opts)
        major = NATIONAL_MAJOR.get(str(opts.get("national_major") or "").lower())
        form = project_fields(opts)
        result = screen(site, store, radius=opts.get("radius"), width=opts.get("width"),
                        buffer=opts.get("buffer", 5000.0), industry=opts.get("industry") or None,
                        national_major=major, **form, context=False)  # maps read it from the kept version
        _keep_store_name(result, info)
        params = {k: opts.get(k) for k in (*_READ_KEYS, "radius", "width", "buffer", "industry", "national_major")}
        params["national_major_applied"] = True
        params.update(form)
        text = result.to_json()
        verdict = record_verdict(result.verdict.get("overall"), result.coverage)
        from ..result_record import record_of

        return {"json": text, "record": json.dumps(record_of(result), ensure_ascii=False),
                "verdict": verdict, "site_name": result.project.get("name") or site.name or Path(client_name).stem,
                "store": info, "params": params, "seconds": time.perf_counter() - t0,
                "search": search_text(result, params)}

    return _guard(run, _upload_names(path, client_name))


def record_verdict(overall: str | None, coverage: dict | None) -> str:
    """The verdict the record lists: ``outside`` for a site wholly outside the store's data (no verdict is given
    there, though the JSON's ``overall`` stays ``review``), else the overall decision.

    Examples
    --------
    >>> record_verdict("review", {"status": "outside"}), record_verdict("allowed", {"status": "inside"})
    ('outside', 'allowed')
    """
    if (coverage or {}).get("status") == "outside":
        return "outside"
    return overall or "review"


def search_text(result, params: dict) -> str:
    """What the record is searched by for one screening (see :func:`gisplan.serve.record.search_words`)."""
    from .record import search_words

    light = {"project": result.project, "verdict": {"overall": result.verdict.get("overall"),
                                                    "industry": result.verdict.get("industry")},
             "coverage": result.coverage,
             "control_units": [{"code": r.get("code")} for r in result.unit_rows or []]}
    return search_words(light, params)


def _record(data_dir: str):
    """The worker's connection to the record of ``data_dir`` (opened once)."""
    from .record import Record

    records = _STATE["records"]
    if data_dir not in records:
        records[data_dir] = Record(data_dir)
    return records[data_dir]


def _syncer():
    """The worker's one thread for fsync calls (they release the GIL)."""
    if _STATE.get("syncer") is None:
        from concurrent.futures import ThreadPoolExecutor

        _STATE["syncer"] = ThreadPoolExecutor(1, thread_name_prefix="gisplan-fsync")
    return _STATE["syncer"]


def screen_and_record(sid: str, upload: str, client_name: str, opts: dict, user: str, ip: str, data_dir: str,
                      deadline: float, limit_s: float) -> dict:
    """Screen a kept upload and store the screening in the record, all in this worker.

    The upload (already written by the server under its generated name) is
    fsync'ed with its folder (on a helper thread, while the site is screened), then the row (parameters, store name, layer
    versions and checksum, result JSON and its record section) and its audit line are
    committed in one transaction (``synchronous=FULL``): when this returns,
    the screening survives a ``kill -9`` of the server or a power cut. Nothing
    is committed once ``deadline`` (``time.monotonic()``, shared by the
    processes of this machine) has passed: the server answers 504 then, so the
    record never holds a screening whose requester was told it failed.

    Parameters
    ----------
    sid : str
        The screening id (also the upload's file name).
    upload, client_name : str
        The kept upload's path and the client's file name (the only name results show).
    opts : dict
        Reading and screening options, as :func:`screen_upload`.
    user, ip : str
        Who asked, for the record and the audit line.
    data_dir : str
        The record's folder.
    deadline, limit_s : float
        When the time limit runs out (``time.monotonic()``) and the limit itself (for the message).

    Returns
    -------
    dict
        ``body`` (``{"id": sid, ...}`` then exactly the JSON of ``gisplan screen --json``),
        ``engine_s``, ``record_s``; or ``error`` and ``status``.
    """
    from .record import fsync_file

    synced = _syncer().submit(fsync_file, Path(upload))  # the disk works while the site is screened
    out = screen_upload(upload, client_name, opts)
    pause_hook("screened")
    if "error" in out:
        synced.exception()  # wait, whatever happened (the server removes the upload next)
        return out

    def commit() -> dict:
        t0 = time.perf_counter()
        synced.result()
        if time.monotonic() > deadline:
            return {"error": f"the screening took longer than the time limit ({limit_s:g} s)", "status": 504}
        record = _record(data_dir)
        record.add_screening(sid=sid, user=user, site_name=out["site_name"], client_filename=client_name,
                             upload=Path(upload), params=out["params"], store_name=out["store"]["name"],
                             store_versions=out["store"]["layers"], store_sha256=out["store"]["sha256"],
                             verdict=out["verdict"], result_json=out["json"], result_record=out["record"], ip=ip,
                             search=out.get("search", ""))
        text = out["json"].lstrip()
        body = '{"id": ' + json.dumps(sid) + (", " + text[1:] if text.strip() != "{}" else "}")
        return {"body": body, "engine_s": out["seconds"], "record_s": time.perf_counter() - t0}

    return _guard(commit, {upload: client_name, str(Path(upload).parent): "", data_dir: ""})


def _write_atomic(target: Path, write) -> None:
    """``write(tmp_path)``, fsync, then link it in as ``target`` (readers never see half a file).

    A rendered file is never replaced: when ``target`` exists already (another
    worker rendered it first), the new rendering is dropped and the first one stays.
    """
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp{target.suffix}")
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def _render_lock(folder: Path):
    """One renderer at a time per screening (``flock`` on ``outputs/<id>/.render.lock``), across workers."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the link above still keeps the first file
        yield
        return
    fd = os.open(folder / ".render.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def render_output(sid: str, data_dir: str, store_sha256: str, out_dir: str, name: str, lang: str,
                  again: dict | None = None, basemap=None) -> dict:
    """Render one output (``report.docx|xlsx|png|pdf``, ``map.html`` or ``layers.gpkg|kmz``) of the recorded
    screening ``sid`` of the record in ``data_dir`` into ``out_dir``.

    A file once written is never rewritten, so every later download is identical.
    The result is read back from the record's JSON (see :func:`_kept_result`:
    an older record's pickle is read once, an unreadable one screened again
    with ``again``). The map context (features around the site) is read from
    the store version ``store_sha256`` kept in the data folder: never from a
    newer store. ``basemap`` (a :class:`~gisplan.render.basemap.BasemapSpec`)
    is drawn under the HTML map and the PNG map. ``report.pdf`` is the whole
    report (:meth:`~gisplan.result.ScreeningResult.to_pdf`); the DOCX and the PDF
    take the PNG map of the same folder as their figure (rendered first when missing).
    """
    def run() -> dict:
        target_dir = Path(out_dir)
        target = target_dir / name
        if target.is_file():
            return {"file": name}
        with _render_lock(target_dir.parent):  # concurrent first downloads: one renders, the others wait
            if target.is_file():
                return {"file": name}
            return render()

    def render() -> dict:
        target_dir = Path(out_dir)
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / name
        result = _kept_result(sid, data_dir, store_sha256, again)
        _attach_context(result, store_sha256)
        pause_hook("render")
        if name in ("report.docx", "report.pdf"):  # the map drawn once: the PNG, the DOCX's and the PDF's figure
            png = target_dir / "report.png"
            if not png.is_file():
                _render(result, png, lang, basemap)
            figure = png.read_bytes()
            if name == "report.docx":
                from ..render.docx_report import write_docx

                _write_atomic(target, lambda tmp: write_docx(result, tmp, lang=lang, figure_png=figure))
            else:
                _write_atomic(target, lambda tmp: result.to_pdf(tmp, lang=lang, figure_png=figure))
        else:
            _render(result, target, lang, basemap)
        return {"file": name}

    return _guard(run, {str(Path(out_dir).parent.parent.parent): ""})


def _rescreen(again: dict, store_sha256: str):
    """Screen a kept upload again on the kept store version, as it was first screened."""
    from ..screening import screen

    params = again["params"]
    site = _read(again["upload"], again["client"], params)
    result = screen(site, _version(store_sha256), radius=params.get("radius"), width=params.get("width"),
                    buffer=params.get("buffer") or 5000.0, industry=params.get("industry") or None,
                    national_major=NATIONAL_MAJOR.get(str(params.get("national_major") or "").lower()),
                    **project_fields(params))
    result.generated_at = again["generated_at"]
    _keep_store_name(result, {"name": again["store_name"], "sha256": store_sha256})
    return result


def _render(result, target: Path, lang: str, basemap=None) -> None:
    if target.name == "map.html":
        from ..render.html_map import write_html_map

        _write_atomic(target, lambda tmp: write_html_map(result, tmp, lang=lang, basemap=basemap))
    elif target.suffix == ".png":
        from ..render.static_map import write_static_map

        _write_atomic(target, lambda tmp: write_static_map(result, tmp, lang=lang, basemap=basemap))
    elif target.suffix == ".xlsx":
        from ..render.xlsx_report import write_xlsx

        _write_atomic(target, lambda tmp: write_xlsx(result, tmp, lang=lang))
    elif target.name in ("layers.gpkg", "layers.kmz"):
        from ..render.layers_out import write_layers

        _write_atomic(target, lambda tmp: write_layers(result, tmp))
    else:  # pragma: no cover - the app only asks for the names above
        raise ValueError(f"unknown output {target.name}")


def store_info() -> dict:
    """The store's name, checksum, layer versions and per-kind summary."""
    def run() -> dict:
        store = _store()
        table = store.summary()
        rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in table.to_dict("records")]
        return dict(_STATE["info"], summary=rows)

    return _guard(run, {})


def backdrop(tolerance_deg: float = 0.002) -> dict:
    """The store's zoning, simplified, as GeoJSON (the drawing map's backdrop).

    Control units (``layer: control_units`` with ``code``, ``name``,
    ``category``, ``county``), then the redline, protected areas and water-source
    zones (``layer`` their kind, ``name``, ``zone`` or ``level``). Simplified for
    the eye (``tolerance_deg``): never used to decide anything.
    """
    def run() -> dict:
        import geopandas as gpd
        import pandas as pd

        store = _store()
        frames = []
        wanted = {"control_units": ["code", "name", "category", "county"], "eco_redline": ["name"],
                  "protected_areas": ["name", "zone"], "water_sources": ["name", "level"]}
        for kind, cols in wanted.items():
            if not store.has(kind):
                continue
            layer = store.read(kind)
            keep = [c for c in cols if c in layer.columns]
            part = gpd.GeoDataFrame(layer[keep].astype(str), geometry=layer.geometry.simplify(tolerance_deg),
                                    crs=layer.crs)
            part.insert(0, "layer", kind)
            frames.append(part)
        if not frames:
            return {"type": "FeatureCollection", "features": []}
        frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs).fillna("")
        return frame.__geo_interface__

    return _guard(run, {})


def offline_features(margin_deg: float = 0.5, tolerance_deg: float = 0.0008) -> dict:
    """The offline basemap around the store's control units, as GeoJSON for the page.

    County boundaries (``role: county``, with ``name``) and county seats
    (``role: seat``, points with ``name``), in the frame of the store's data
    (see :func:`gisplan.render.offline_basemap.offline_basemap`).
    """
    def run() -> dict:
        import shapely

        from ..render.offline_basemap import boundaries_as_drawn, offline_basemap

        store = _store()
        if not store.has("control_units"):
            return {"type": "FeatureCollection", "features": []}
        units = store.read("control_units")
        x0, y0, x1, y1 = (float(v) for v in units.total_bounds)
        found = offline_basemap((x0 - margin_deg, y0 - margin_deg, x1 + margin_deg, y1 + margin_deg),
                                as_published=boundaries_as_drawn(_STATE["info"]))
        features = []
        for _, r in found["counties"].iterrows():
            features.append({"type": "Feature", "properties": {"role": "county", "name": r["name"], "adcode": r["adcode"]},
                             "geometry": shapely.geometry.mapping(
                                 shapely.set_precision(r.geometry.boundary.simplify(tolerance_deg), 1e-5))})
        for _, r in found["seats"].iterrows():
            features.append({"type": "Feature", "properties": {"role": "seat", "name": r["name"], "adcode": r["adcode"]},
                             "geometry": shapely.geometry.mapping(r.geometry)})
        return {"type": "FeatureCollection", "features": features}

    return _guard(run, {})


def backdrop_json(tolerance_deg: float = 0.002) -> dict:
    """:func:`backdrop` as JSON text, kept per store snapshot (a store replaced by any tool is drawn anew)."""
    def run() -> dict:
        store = _store()
        cached = _STATE.get("backdrop")
        if cached is None or cached[0] is not store:
            out = backdrop(tolerance_deg)
            if "error" in out:
                return out
            _STATE["backdrop"] = cached = (store, json.dumps(out, ensure_ascii=False))
        return {"json": cached[1]}

    return _guard(run, {})


def offline_json(margin_deg: float = 0.5, tolerance_deg: float = 0.0008) -> dict:
    """:func:`offline_features` as JSON text, kept per store snapshot (its frame follows the store's data)."""
    def run() -> dict:
        store = _store()
        cached = _STATE.get("offline")
        if cached is None or cached[0] is not store:
            out = offline_features(margin_deg, tolerance_deg)
            if "error" in out:
                return out
            _STATE["offline"] = cached = (store, json.dumps(out, ensure_ascii=False, separators=(",", ":")))
        return {"json": cached[1]}

    return _guard(run, {})


def import_layer_file(path: str, client_name: str, kind: str, opts: dict) -> dict:
    """Import an uploaded file as layer ``kind`` of the store (admin); report lines."""
    def run() -> dict:
        from ..importer import import_layer
        from ..mapping import parse_map_options

        report = import_layer(_STATE["path"], kind, path, layer=opts.get("layer") or None,
                              mapping=parse_map_options(opts.get("map") or ()),
                              encoding=opts.get("encoding") or None, source_crs=opts.get("source_crs") or None)
        return {"lines": [scrub(line, {path: client_name}) for line in report.lines()]}

    return _guard(run, {path: client_name, str(Path(path).parent): ""})


def import_rules_file(path: str, client_name: str, opts: dict) -> dict:
    """Import an uploaded access list (XLSX/CSV) into the store (admin); report lines."""
    def run() -> dict:
        from ..mapping import parse_map_options
        from ..rules.access_list import import_access_list

        report = import_access_list(str(_STATE["path"]), path, sheet=opts.get("sheet") or None,
                                    mapping=parse_map_options(opts.get("map") or ()), clear=bool(opts.get("clear")))
        return {"lines": [scrub(line, {path: client_name}) for line in report.lines()]}

    return _guard(run, {path: client_name, str(Path(path).parent): ""})


def site_geojson(sid: str, data_dir: str, again: dict | None = None) -> dict:
    """The site and its screened footprint of the recorded screening ``sid``, as GeoJSON (to show a reopened
    screening).

    The recorded result holds both (an older record's pickle is read once, see
    :func:`_kept_result`); when it cannot be read (another gisplan version),
    the kept upload is read again with the recorded options (the site alone, no footprint).
    """
    def run() -> dict:
        import shapely

        try:
            result = _kept_result(sid, data_dir, "", None)
            site, footprint = result.site.geometry, result.footprint
            if site is None:
                raise ValueError("no geometry kept")
        except Exception:
            if not again:
                raise
            site, footprint = _read(again["upload"], again["client"], again["params"]).geometry, None
        features = [{"type": "Feature", "properties": {"role": "site"}, "geometry": shapely.geometry.mapping(site)}]
        if footprint is not None and not footprint.equals(site):
            features.append({"type": "Feature", "properties": {"role": "footprint"},
                             "geometry": shapely.geometry.mapping(footprint)})
        return {"type": "FeatureCollection", "features": features}

    return _guard(run, {})


def unit_card(code: str) -> dict:
    """One control unit of the current store as the page's unit card shows it.

    Returns
    -------
    dict
        ``code``, ``name``, ``category``, ``category_label``, ``county``,
        ``area_m2`` (ellipsoidal), ``clauses`` (the access-list clauses that
        apply to it, grouped by dimension: ``[{"dimension", "label", "label_en",
        "clauses": [{"tier", "tier_label", "scope", "text", "source", "article"}]}]``),
        ``has_list`` (whether the store holds an access list at all); or
        ``error``/``status`` 404 for an unknown code.
    """
    def run() -> dict:
        import shapely

        from ..geo.geometry import to_equal_area
        from ..rules.access_list import DIMENSION_LABELS_EN, DIMENSIONS, TIER_LABELS_ZH, AccessList
        from ..vocab import CATEGORY_LABELS_ZH

        store = _store()
        if not store.has("control_units"):
            return {"error": f"no control unit {code}", "status": 404}
        units = store.read("control_units")
        found = units[units["code"].astype(str) == code]
        if not len(found):
            return {"error": f"no control unit {code}", "status": 404}
        row = found.iloc[0]
        unit = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.drop(labels="geometry").items()}
        clauses = AccessList.from_store(store)
        groups: dict[str, list] = {}
        for c in (clauses.for_unit(unit) if clauses is not None else []):
            groups.setdefault(c.dimension or "", []).append(
                {"tier": c.tier, "tier_label": TIER_LABELS_ZH.get(c.tier, c.tier),
                 "scope": c.scope_name or c.scope, "text": c.text, "source": c.source, "article": c.article,
                 "element_zone": c.element_zone, "demo": c.demo})
        order = [*DIMENSIONS, *[d for d in groups if d not in DIMENSIONS]]
        return {"code": code, "name": str(unit.get("name") or ""), "category": str(unit.get("category") or ""),
                "category_label": CATEGORY_LABELS_ZH.get(unit.get("category"), str(unit.get("category") or "")),
                "county": str(unit.get("county") or ""),
                "area_m2": float(shapely.area(to_equal_area(row.geometry))),
                "has_list": clauses is not None,
                "clauses": [{"dimension": d, "label": DIMENSIONS.get(d, "其他要求"),
                             "label_en": DIMENSION_LABELS_EN.get(d, "other requirements"), "clauses": groups[d]}
                            for d in order if d in groups]}

    return _guard(run, {})
