"""A batch that streams: sites read, screened and written chunk by chunk, resumable.

``gisplan batch`` screens a large sites file (shapefile, GeoPackage, GeoJSON,
FileGDB layer) in chunks of ``chunk_size`` features with
:func:`gisplan.batch.screen_sites` against one store snapshot, writes each chunk
as a part file in a folder beside the output (``.OUT.parts-XXXX``, one per run)
and records each finished chunk in a manifest. When all chunks are done the
parts are joined into the output in one atomic write and the folder is removed.
A run that was killed continues with ``resume=True`` from its finished chunks;
the output is the same as an uninterrupted run's (rows are independent of the
chunk they were screened in). Memory holds one chunk of sites and the store
pieces that chunk reads (dropped before the next chunk), not the whole file.

By default (``order="hilbert"``) the chunks are cut along a Hilbert curve
through the centres of *all* the sites (:mod:`gisplan.engine.spill`: one pass
for the centres, one to spill the rows by chunk), so that a chunk covers one
region and loads only that region's store pieces, even when the file lists its
sites in no spatial order; the parts are merged back into input order at the
end (:mod:`gisplan.engine.merge`). ``order="input"`` keeps chunks of
consecutive rows (each screened in Hilbert order). Zips, KML, corner tables
and DXF plans are read whole (one chunk).
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from ..errors import InputError
from .spill import curve_keys, hilbert_distance

__all__ = ["stream_batch", "hilbert_order", "hilbert_distance", "DEFAULT_CHUNK_SIZE"]

#: Sites per chunk when none is given.
DEFAULT_CHUNK_SIZE = 50_000
_MANIFEST = "manifest.json"


def _parts_prefix(out: Path) -> str:
    return f".{out.name}.parts-"


def _claim(folder: Path):
    """A lock held while a run writes into ``folder`` (released by the OS if the process dies), or None if taken."""
    from filelock import FileLock, Timeout

    lock = FileLock(str(folder / "run.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return None
    return lock


def _own_private_folder(folder: Path) -> bool:
    """Whether ``folder`` is a real folder of this user that no one else may write into.

    Only such a parts folder is resumed or removed: its parts and spill (which
    is unpickled) were written by this user's runs, not planted by another user
    of a shared output folder. (Without POSIX owners, as on Windows: any folder.)
    """
    if not hasattr(os, "getuid"):
        return True
    import stat

    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _resumable(out: Path, key: str):
    """The unfinished run of the same inputs beside ``out`` with the most finished chunks, claimed: (folder, done, lock).

    Only this user's private parts folders count (:func:`_own_private_folder`).
    """
    best = None
    for folder in sorted(out.parent.glob(_parts_prefix(out) + "*")):
        if not _own_private_folder(folder):
            continue
        try:
            manifest = json.loads((folder / _MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if manifest.get("key") != key:
            continue
        lock = _claim(folder)
        if lock is None:  # another run is writing it now
            continue
        done = [int(k) for k in manifest.get("done", [])]
        if best is None or len(done) > len(best[1]):
            if best is not None:
                best[2].release()
            best = (folder, done, lock)
        else:
            lock.release()
    return best


def _new_parts_dir(out: Path):
    import tempfile

    from ..errors import OutputError
    from ..io.outputs import make_folder, os_error_reason

    make_folder(out.parent, str(out))
    try:
        folder = Path(tempfile.mkdtemp(prefix=_parts_prefix(out), dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot write {out}: {os_error_reason(exc)}") from exc
    return folder, _claim(folder)


def _drop_unclaimed(out: Path, keep: Path | None) -> None:
    """After a finished run: unfinished runs of the same output that nobody is writing are obsolete."""
    for folder in out.parent.glob(_parts_prefix(out) + "*"):
        if folder == keep or not _own_private_folder(folder):  # another user's run is not ours to remove
            continue
        lock = _claim(folder)
        if lock is not None:
            lock.release()
            shutil.rmtree(folder, ignore_errors=True)


def _fingerprint(sites, store, options: dict, chunk_size: int, total) -> str:
    """What a partial run was for: the sites file (path, size, time), the store version and the options."""
    def stat_key(p) -> list:  # a file replaced or edited in place changes its inode or ctime (no tool sets it back)
        st = os.stat(p)
        return [os.path.realpath(p), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]

    store_path = getattr(store, "path", store)
    version = getattr(store, "identity", None)  # a PostGIS store: its content identity (not its import counter)
    data = {"sites": stat_key(sites), "store": stat_key(store_path) if version is None else [str(store_path), version],
            "options": options,
            "chunk_size": chunk_size, "total": total}
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data), encoding="utf-8")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _join(parts: list[Path], out: Path, suffix: str, protect) -> None:
    """The parts, in order, as one output written atomically."""
    from ..io.outputs import atomic_output

    with atomic_output(out, create=suffix == ".csv", protect_also=protect) as tmp:
        if suffix == ".csv":
            with open(tmp, "wb") as dst:
                for i, part in enumerate(parts):
                    with open(part, "rb") as src:
                        if i:  # one BOM and one header: those of the first part
                            src.readline()
                        shutil.copyfileobj(src, dst)
        elif suffix == ".parquet":
            _join_parquet(parts, tmp)
        else:
            import pyogrio

            for i, part in enumerate(parts):
                frame = pyogrio.read_dataframe(part, layer="screening")
                pyogrio.write_dataframe(frame, tmp, layer="screening", driver="GPKG", promote_to_multi=True,
                                        append=bool(i))


def _join_parquet(parts: list[Path], tmp: Path) -> None:
    """GeoParquet parts as one file, a part at a time: one schema for all, the "geo" metadata's bbox over all."""
    import pyarrow.parquet as pq

    from .merge import joined_parquet_schema

    schema = joined_parquet_schema(parts)
    with pq.ParquetWriter(tmp, schema) as writer:
        for part in parts:
            writer.write_table(pq.read_table(part).cast(schema))


def hilbert_order(geoms) -> np.ndarray:
    """The order of ``geoms`` along a Hilbert curve through their bounding-box centres.

    The centres are placed on a 2**16 grid over the geometries' common bounds
    (:func:`hilbert_distance`); missing or empty geometries come first, in input
    order (the sort is stable).

    Parameters
    ----------
    geoms : array-like of shapely geometries

    Returns
    -------
    ndarray of int
        Positions of ``geoms`` in curve order.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) < 2:
        return np.arange(len(geoms))
    b = shapely.bounds(geoms)
    return np.argsort(curve_keys((b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2), kind="stable")


def _screen_chunk(sites, store, id_field: str, order: str, options: dict):
    """One chunk (a :class:`~gisplan.tables.SiteTable`) screened, in Hilbert order when asked; rows in input order."""
    from ..batch import screen_sites
    from ..tables import SiteTable

    if order != "hilbert" or len(sites) < 2:
        return screen_sites(sites, store, id_field=id_field, progress=False, **options)
    perm = hilbert_order(sites.geometry)
    ordered = SiteTable(sites.geometry[perm], {k: v[perm] for k, v in sites.columns.items()}, sites.crs)
    table = screen_sites(ordered, store, id_field=id_field, progress=False, **options)
    back = np.empty_like(perm)
    back[perm] = np.arange(len(perm))
    return table.take(back)


def stream_batch(sites, store, out, *, id_field: str, chunk_size: int = DEFAULT_CHUNK_SIZE, resume: bool = False,
                 progress: bool | None = None, protect=(), order: str = "hilbert", **options) -> Counter:
    """Screen a sites file chunk by chunk into ``out`` (``.csv``, ``.gpkg`` or ``.parquet``); resumable.

    Parameters
    ----------
    sites : path
        The sites file.
    store : Store or path
        The layer store (one snapshot serves every chunk).
    out : path
        The output table; written once, atomically, when every chunk is done.
    id_field : str
        Field identifying the sites.
    chunk_size : int
        Sites per chunk.
    resume : bool
        Continue a run killed midway (its finished chunks are kept beside ``out``);
        refused when that run was for another sites file, store or options.
    progress : bool, optional
        A progress bar with sites/s and the time left (default: on a terminal).
    protect : iterable of paths
        Files the output may not replace (the store, the sites file).
    order : {"hilbert", "input"}
        How the chunks are cut (the rows are written in input order either
        way): along a Hilbert curve through all the sites, or as runs of
        consecutive rows (each chunk screened in Hilbert order).
    **options
        As :func:`gisplan.batch.screen_batch` (radius, width, industry,
        industry_field, national_major and the reading options).

    Returns
    -------
    collections.Counter
        Sites per verdict.
    """
    from ..batch import write_batch
    from ..io.batch_out import batch_table_suffix
    from ..io.vector import feature_count
    from ..sites import read_site_table
    from ..store.spec import as_store

    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"`chunk_size` must be a positive whole number, got {chunk_size!r}")
    out = Path(out)
    suffix = batch_table_suffix(out)
    if order not in ("hilbert", "input"):
        raise InputError(f"`order` must be 'hilbert' or 'input', got {order!r}")
    store = as_store(store)
    reading = {k: options.pop(k, None) for k in ("source_crs", "layer", "encoding", "cm", "towgs84", "dxf_layer")}
    streamable = not any(reading[k] for k in ("cm", "towgs84", "dxf_layer"))
    total = feature_count(sites, layer=reading["layer"]) if streamable else None
    windows = [None] if not total else [(s, min(chunk_size, total - s)) for s in range(0, total, chunk_size)]
    curve = order == "hilbert" and len(windows) > 1  # chunks cut along a Hilbert curve over the whole file
    fixed = {**options, **reading, "id_field": id_field, **({"chunks": "hilbert-curve"} if curve else {})}
    key = _fingerprint(sites, store, fixed, chunk_size, total)
    found = _resumable(out, key) if resume else None
    if resume and found is None:
        others = list(out.parent.glob(_parts_prefix(out) + "*"))
        if others:
            raise InputError(f"the unfinished run beside {out.name} was for another sites file, store or options "
                             "(or is running now, or is not this user's); run without `resume` to start again")
    show = sys.stderr.isatty() if progress is None else progress
    if found is None and len(windows) == 1:  # one chunk: nothing to resume from, the output itself is the part
        return _single_chunk(sites, store, out, id_field, order, reading, options, windows[0], total, show, protect)
    if found is not None:
        parts_dir, done, lock = found
    else:  # each run writes its own parts: two runs on one output never mix rows
        (parts_dir, lock), done = _new_parts_dir(out), []
    manifest_path = parts_dir / _MANIFEST
    manifest = {"key": key, "done": done, "chunks": len(windows)}
    spill = None
    if curve:
        spill, done = _curve_spill(sites, reading, windows, chunk_size, parts_dir, done)
        manifest = {**manifest, "done": done, "digest": spill["digest"]}
    _write_json(manifest_path, manifest)
    counts: Counter = Counter()
    from ..batch import progress_bar

    pause = float(os.environ.get("GISPLAN_TEST_CHUNK_PAUSE", "0") or 0)  # tests kill a run between chunks
    with progress_bar(total or None, show, **_bar_size()) as bar:
        for k, window in enumerate(windows):
            part = parts_dir / f"part-{k:06d}{suffix}"
            if k in done and part.is_file():
                verdicts = _checked_part_verdicts(part, suffix, window, spill is not None)
                if verdicts is not None:
                    counts.update(verdicts)
                    bar.update(window[1] if window else 0)
                    continue
                done.remove(k)  # damaged (a power cut before it reached the disk, an edit): screened again
            if spill is not None:
                from .merge import write_part
                from .spill import load_chunk

                frame, positions = load_chunk(parts_dir, spill, k)
                table = _screen_chunk(frame, store, id_field, order, options)
                write_part(table, part, positions)
            else:
                frame, _note, _ = read_site_table(sites, window=window, **reading)  # arrays: no pandas for a CSV
                table = _screen_chunk(frame, store, id_field, order, options)
                write_batch(table, part)
            counts.update(table["verdict"].tolist())
            done.append(k)
            _write_json(manifest_path, {**manifest, "done": done})
            bar.update(len(table))
            del frame, table
            store.forget_pieces()  # the next chunk reads the pieces it needs: memory independent of the run's length
            gc.collect()  # the CLI turns the cyclic collector off: free a chunk's cycles before the next chunk
            if pause:
                time.sleep(pause)
    parts = [parts_dir / f"part-{k:06d}{suffix}" for k in range(len(windows))]
    if spill is not None:
        _merge(parts, out, suffix, protect)
    else:
        _join(parts, out, suffix, protect)
    if lock is not None:
        lock.release()
    shutil.rmtree(parts_dir, ignore_errors=True)
    _drop_unclaimed(out, parts_dir)
    return counts


def _curve_spill(sites, reading: dict, windows: list, chunk_size: int, folder: Path, done: list[int]):
    """The spill of a run whose chunks follow a Hilbert curve: the one already written in ``folder``, or a new one.

    Returns the spill index (:func:`gisplan.engine.spill.spill_chunks`) and the
    finished chunks still valid: none when the spill had to be written again and
    cut other chunks than the manifest recorded (it cannot, the cut being a
    function of the file; checked all the same).
    """
    from ..log import logger
    from .spill import curve_chunks, read_spill_index, spill_chunks

    index = read_spill_index(folder)
    if index is not None:
        return index, done
    try:
        recorded = json.loads((folder / _MANIFEST).read_text(encoding="utf-8")).get("digest")
    except (OSError, ValueError):
        recorded = None
    t = time.perf_counter()
    chunk_of, dtypes = curve_chunks(sites, reading, windows, chunk_size)
    index = spill_chunks(sites, reading, windows, chunk_of, dtypes, folder)
    logger.info("stream: %d site(s) cut into %d chunk(s) along a Hilbert curve in %.1f s",
                len(chunk_of), len(index["records"]), time.perf_counter() - t)
    return index, (done if recorded == index["digest"] else [])


def _merge(parts: list[Path], out: Path, suffix: str, protect) -> None:
    """The parts of a curve-ordered run as one output in input order, written atomically."""
    from ..io.outputs import atomic_output
    from .merge import merge_parts

    with atomic_output(out, create=suffix == ".csv", protect_also=protect) as tmp:
        merge_parts(parts, Path(tmp), suffix)


def _single_chunk(sites, store, out: Path, id_field: str, order: str, reading: dict, options: dict, window,
                  total, show: bool, protect) -> Counter:
    """A run of one chunk: screened and written straight to ``out`` (atomically), with no parts folder or lock."""
    from ..batch import progress_bar, write_batch
    from ..sites import read_site_table

    with progress_bar(total or None, show, **_bar_size()) as bar:
        frame, _note, _ = read_site_table(sites, window=window, **reading)
        table = _screen_chunk(frame, store, id_field, order, options)
        write_batch(table, out, protect=protect)
        bar.update(len(table))
    _drop_unclaimed(out, None)  # a finished run makes unfinished runs of the same output obsolete
    return Counter(table["verdict"].tolist())


def _bar_size() -> dict:
    """Nothing (tqdm sizes the bar) on a terminal that tells its size; 80 x 20 on one that says 0 x 0
    (a pty nobody sized: tqdm would draw nothing)."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return {}
    return {} if size.columns > 0 and size.lines > 0 else {"ncols": size.columns or 80, "nrows": size.lines or 20}


def _checked_part_verdicts(part: Path, suffix: str, window, curve: bool) -> list[str] | None:
    """The verdicts of a finished part when it is whole (every row of its chunk readable), else None."""
    try:
        verdicts = _part_verdicts(part, suffix)
        if curve:
            from .merge import positions_path

            expected = len(np.load(positions_path(part)))
        else:
            expected = window[1] if window else None
    except Exception:  # unreadable: truncated, damaged, not what the batch wrote
        return None
    if expected is not None and len(verdicts) != expected:
        return None
    return verdicts


def _part_verdicts(part: Path, suffix: str) -> list[str]:
    """The verdict column of a finished part (for the summary of a resumed run)."""
    if suffix == ".csv":
        import csv

        with open(part, encoding="utf-8-sig", newline="") as fh:
            return [row["verdict"] for row in csv.DictReader(fh)]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(part, columns=["verdict"]).column("verdict").to_pylist()
    import pyogrio

    return pyogrio.read_dataframe(part, layer="screening", columns=["verdict"], read_geometry=False)["verdict"].tolist()
