"""A batch on a Dask cluster: the sites screened in spatial chunks, one store per worker.

``gisplan batch --engine dask`` screens every chunk on a worker with the kernel
of the local engine (:mod:`gisplan.engine.stream`). Each worker process opens the
store once (:func:`gisplan.resident.open_store` on the store spec it is given: a
path the workers can read, or a URL) and keeps it for every chunk; a store that
differs from the one the run started with is refused (no mixed versions in one
table). Two modes:

- **The workers read the spill** (when every worker sees the output's folder at
  the same path, checked with a probe file: :func:`_workers_see`). This process
  cuts the sites file into chunks along a Hilbert curve over the whole file and
  spills their rows into the run's parts folder (:mod:`gisplan.engine.spill`,
  the local engine's own spill; chunks of ``ceil(chunk_size / partitions)``
  sites, or :data:`DEFAULT_TASK_SITES`), then submits one task per chunk: the
  worker loads its chunk from the spill, screens it and writes ``part-K`` with
  its positions (atomically); only the verdict counts come back. No site data go
  through this process or between workers, and no task depends on another. A
  bounded number of tasks is in flight; finished chunks are recorded in the
  manifest as they come, and the parts are merged into input order at the end
  (:mod:`gisplan.engine.merge`).
- **This process reads the windows** (the fallback): it reads the file in the
  windows of ``chunk_size`` features of the local engine, splits each window into
  spatially compact partitions (Hilbert order of the sites' centres), sends them
  to the workers, puts the rows back in input order and writes the window's part;
  the parts are joined at the end. (Reading the windows and writing the parts on
  the workers through chained tasks is implemented but switched off: see
  ``_WORKERS_READ``.)

Either way the output is the local engine's, row for row (the CSV byte for
byte), and ``resume=True`` continues a killed run — of either engine, with the
same chunks — from its finished chunks, in the mode it started in.

Without a scheduler address a :class:`distributed.LocalCluster` is started
(worker processes, one thread each, no dashboard, the machine's memory split
between the workers). Dask is an optional dependency: ``pip install 'gisplan[dask]'``.
"""

from __future__ import annotations

import operator
import os
import shutil
import sys
import threading
import time
from collections import Counter, deque
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import ClusterError, GisplanError, InputError, StoreError
from ..extras import install_hint

__all__ = ["dask_batch", "spatial_partitions", "worker_store_opens", "worker_spill_chunks", "ClusterError",
           "DEFAULT_WORKERS", "DEFAULT_TASK_SITES", "CONNECT_TIMEOUT_S", "INSTALL_HINT"]

#: Workers of the local cluster started when no scheduler is given.
DEFAULT_WORKERS = 2
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 5
#: Seconds a partition waits when the local cluster has no worker left (all died) before the run fails.
NO_WORKERS_TIMEOUT_S = 120
#: Seconds without any task running on the cluster, while a run waits for one, before it gives up.
STALL_TIMEOUT_S = 300.0
_STALL_CHECK_S = 10.0
#: How to get the optional packages.
INSTALL_HINT = install_hint("dask")
#: Partitions per worker thread in a window when none is asked for (some slack to balance the load).
_PARTITIONS_PER_THREAD = 2
#: Whether the workers read the windows (and write the parts) when they see the files. Off: in 3 of about
#: 10 test runs on a 2-core machine under heavy load such a run hung (a partition the scheduler held as running
#: on an idle worker, after a worker-to-worker transfer of its sites); this process reads and writes until that
#: is understood. The path is kept and was tested equal to the local engine.
_WORKERS_READ = False
#: Most windows in flight (read, screened or written) beyond the one being finished.
_MAX_AHEAD = 16
#: Fewest sites per partition when the number is chosen automatically (a partition has a fixed cost).
_MIN_PARTITION_SITES = 2000
#: Sites per task when the workers read their sites from the spill and ``partitions`` is not given: a task's
#: fixed cost (tens of ms: store snapshot, a part file written, a scheduler round trip) stays a few per cent of
#: its ~1 s of screening, the chunk a compact piece of the curve, and the count independent of the cluster's
#: size (so that a run resumes on another cluster). Fewer would multiply parts and the merge's reads.
DEFAULT_TASK_SITES = 4000
#: Tasks in flight per worker thread in the spill mode (enough that no worker waits for the client).
_TASKS_PER_THREAD = 2


# --------------------------------------------------------------------------- partitions


def spatial_partitions(frame, n: int) -> list[np.ndarray]:
    """Row positions of ``frame`` in at most ``n`` spatially compact groups of near-equal size.

    The rows are sorted along the local engine's Hilbert curve (level 16, over the
    frame's own extent, :func:`gisplan.engine.stream.hilbert_order`) through the
    centres of their bounding boxes and cut into ``n`` runs; rows without a
    location (empty or missing geometry) come first.

    Parameters
    ----------
    frame : GeoDataFrame
        The sites.
    n : int
        Partitions wanted (fewer when there are fewer rows).

    Returns
    -------
    list of numpy.ndarray
        Positions (``iloc``) of the rows of each partition; together each row once.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> f = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0), shapely.Point(9, 9), shapely.Point(0.1, 0), None])
    >>> [p.tolist() for p in spatial_partitions(f, 2)]
    [[3, 0], [2, 1]]
    """
    from .stream import hilbert_order

    if n < 1:
        raise InputError(f"{_opt('partitions')} must be at least 1, got {n!r}")
    order = hilbert_order(frame.geometry.values)  # the local engine's curve (gisplan.engine.spill.curve_keys)
    return [part for part in np.array_split(order, min(n, len(order))) if len(part)]


def _opt(name: str) -> str:
    from ..errors import option

    return option(name)


# --------------------------------------------------------------------------- the worker side

_STORES: dict = {}
_OPENS: Counter = Counter()
_STORES_LOCK = threading.Lock()


def _store_version(spec: str):
    """What identifies the version of a store file (size, modification time); None for a URL."""
    if "://" in spec:
        return None
    try:
        st = os.stat(spec)
    except OSError as exc:
        raise StoreError(f"store not found: {spec} ({exc.strerror})") from None
    return (st.st_size, st.st_mtime_ns)


def _worker_store(spec: str, version):
    """This process's store for ``spec``: opened once, reopened only when the file was replaced."""
    from ..resident import open_store

    with _STORES_LOCK:
        if version is not None and _store_version(spec) != tuple(version):
            raise StoreError(f"the store {spec} on this worker is not the one the run started with "
                             "(replaced meanwhile, or another copy): run again")
        resident = _STORES.get(spec)
        if resident is None:
            resident = _STORES[spec] = open_store(spec)
            _OPENS[spec] += 1
            return resident.snapshot()
        seen = resident.reloads_seen
        store = resident.snapshot()
        if resident.reloads_seen != seen:
            _OPENS[spec] += 1
        return store


def worker_store_opens() -> dict[str, int]:
    """How often this process opened each store (run on the workers: ``client.run(worker_store_opens)``).

    Returns
    -------
    dict
        Store spec -> number of times it was opened (1 unless the file was replaced).
    """
    with _STORES_LOCK:
        return dict(_OPENS)


def _read_partitions(sites, window, reading: dict, n: int) -> list[tuple[np.ndarray, object]]:
    """Read one window of the sites file and split it into exactly ``n`` spatial partitions (some maybe empty).

    Runs on a worker when the workers see the sites file, else on the client.
    """
    from ..sites import read_site_frame

    frame, _note, _ = read_site_frame(sites, window=window, **reading)
    if len(frame) == 0:
        raise InputError("the sites file has no features")
    parts = spatial_partitions(frame, n)
    parts += [np.zeros(0, dtype=np.int64)] * (n - len(parts))
    return [(p, frame.iloc[p]) for p in parts]


def _screen_partition(part: tuple, spec: str, version, id_field: str, options: dict):
    """Screen one partition ``(positions, frame)`` on a worker against its store (the local engine's kernel).

    Returns ``(positions, table)``; the table is None for an empty partition.
    """
    from ..batch import screen_batch

    positions, frame = part
    if len(frame) == 0:
        return positions, None
    return positions, screen_batch(frame, _worker_store(spec, version), id_field=id_field, progress=False, **options)


_SPILL_CHUNKS: Counter = Counter()


def worker_spill_chunks() -> dict[str, int]:
    """How many chunks this process screened from a spill, per parts folder (``client.run(worker_spill_chunks)``).

    Returns
    -------
    dict
        Parts folder -> chunks loaded from its spill, screened and written here.
    """
    with _STORES_LOCK:
        return dict(_SPILL_CHUNKS)


def _screen_spill_chunk(folder: str, records: list, dtypes: dict, k: int, suffix: str, spec: str, version,
                        id_field: str, options: dict) -> dict:
    """On a worker: chunk ``k`` loaded from the spill of ``folder``, screened, written as ``part-K`` with its positions.

    The chunk is screened as the local engine screens it
    (:func:`gisplan.engine.stream._screen_chunk`); the part and its positions
    file are written in a private folder and renamed into place (positions
    first), so a part is never seen half written.

    Parameters
    ----------
    folder : str
        The run's parts folder (the same path on every worker).
    records : list
        Chunk ``k``'s ``[offset, length]`` records in the spill.
    dtypes : dict
        The spill index's column dtypes.
    k : int
        The chunk.
    suffix : str
        The output format (``.csv``, ``.gpkg``, ``.parquet``).
    spec, version
        The store as the workers open it, and its version (:func:`_store_version`).
    id_field : str
        Field identifying the sites.
    options : dict
        As :func:`gisplan.batch.screen_sites`.

    Returns
    -------
    dict
        Sites per verdict.
    """
    import tempfile

    from .merge import positions_path, write_part
    from .spill import load_chunk
    from .stream import _screen_chunk

    parts = Path(folder)
    sites, positions = load_chunk(parts, {"records": {k: records}, "dtypes": dtypes}, k)
    table = _screen_chunk(sites, _worker_store(spec, version), id_field, "hilbert", options)
    part = parts / f"part-{k:06d}{suffix}"
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".writing-{k:06d}-", dir=parts))
        try:
            write_part(table, tmp / part.name, positions)
            os.replace(positions_path(tmp / part.name), positions_path(part))
            os.replace(tmp / part.name, part)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as exc:
        from ..errors import OutputError
        from ..io.outputs import os_error_reason

        raise OutputError(f"a Dask worker cannot write {part}: {os_error_reason(exc)}") from None
    with _STORES_LOCK:
        _SPILL_CHUNKS[folder] += 1
    return dict(Counter(table["verdict"].tolist()))


def _token_of(path: str) -> str | None:
    """The text of a small probe file as this process sees it, or None."""
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read(64)
    except (OSError, ValueError):
        return None


def _absolute(path):
    """A local file's absolute path (workers may run elsewhere); anything else (a URL, a virtual path) as given."""
    if isinstance(path, (str, os.PathLike)) and os.path.exists(path):
        return os.path.abspath(path)
    return path


def _file_stamp(path) -> tuple | None:
    """(size, modification time) of a file as this process sees it, or None."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return (st.st_size, st.st_mtime_ns)


# --------------------------------------------------------------------------- the client side


def _require_dask() -> None:
    from ..extras import require_extra

    require_extra("dask", "the Dask engine")


@contextmanager
def _cluster(scheduler: str | None, n_workers: int):
    """A client of the scheduler at ``scheduler``, or of a local cluster of ``n_workers`` processes."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise InputError(f"cannot reach the Dask scheduler {scheduler!r} ({_opt('scheduler')}): {reason}") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask

    # partitions that no worker is left to run fail after a while instead of waiting for ever
    with dask.config.set({"distributed.scheduler.no-workers-timeout": f"{NO_WORKERS_TIMEOUT_S}s"}):
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               memory_limit="auto", silence_logs=logging.ERROR)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


def _in_order(results: list):
    """One window's table from its partitions' ``(positions, table)``, in the window's row order."""
    import pandas as pd

    kept = [(where, table) for where, table in results if table is not None]
    table = pd.concat([t for _, t in kept], ignore_index=True)
    back = np.argsort(np.concatenate([w for w, _ in kept]), kind="stable")
    return table.iloc[back].reset_index(drop=True)


def _write_window(results: list, part: str) -> dict:
    """On a worker: one window's part file written from its partitions; the sites per verdict."""
    from ..batch import write_batch

    table = _in_order(results)
    write_batch(table, part)
    return dict(Counter(table["verdict"].tolist()))


def _result(future, chunk: int, what: str):
    """A future's result; the cluster's own failures, and a cluster that stopped working, as one :class:`ClusterError`."""
    _wait_with_progress(future, chunk, what)
    try:
        return future.result()
    except GisplanError:
        raise
    except Exception as exc:
        if not _cluster_failure(exc):
            raise
        raise ClusterError(f"the Dask cluster failed on chunk {chunk} ({what}): {type(exc).__name__}: {exc}") from None


def _wait_with_progress(future, chunk: int, what: str) -> None:
    """Wait for ``future`` as long as the cluster works on something; refuse to wait on an idle cluster for ever."""
    from distributed import wait

    idle = 0.0
    while not future.done():
        try:
            wait([future], timeout=_STALL_CHECK_S)
        except TimeoutError:
            pass
        if future.done():
            return
        busy = any(future.client.processing().values())
        idle = 0.0 if busy else idle + _STALL_CHECK_S
        if idle >= STALL_TIMEOUT_S:
            raise ClusterError(f"the Dask cluster stopped working on chunk {chunk} ({what}): no task ran for "
                               f"{STALL_TIMEOUT_S:.0f} s (no worker left?); finished chunks are kept for `resume`")


def _dir_exists(path: str) -> bool:
    return os.path.isdir(path)


def _affinity(workers: list, j: int, n: int) -> dict:
    """Where partition ``j`` of ``n`` (in Hilbert order) should run: the same share of every window on the same
    worker, so that a worker reads the store's pieces of about its share of the area, not of the whole country.
    A preference only: a busy or lost worker's partitions go to the others."""
    if len(workers) < 2:
        return {}
    return {"workers": [workers[j * len(workers) // n]], "allow_other_workers": True}


def _cluster_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the cluster's failure (worker lost, connection closed) rather than the screening's."""
    from distributed import TimeoutError as DaskTimeout
    from distributed.comm.core import CommClosedError
    from distributed.scheduler import KilledWorker, NoValidWorkerError

    return isinstance(exc, (KilledWorker, NoValidWorkerError, CommClosedError, DaskTimeout, TimeoutError,
                            ConnectionError))


def dask_batch(sites, store, out, *, id_field: str, scheduler: str | None = None, n_workers: int = DEFAULT_WORKERS,
               partitions: int | None = None, chunk_size: int | None = None, resume: bool = False,
               progress: bool | None = None, protect=(), **options) -> Counter:
    """Screen a sites file on a Dask cluster into ``out`` (``.csv``, ``.gpkg`` or ``.parquet``); the local engine's output.

    Parameters
    ----------
    sites : path
        The sites file, read by this process (spilled into the parts folder, or
        sent window by window when the workers do not see that folder).
    store : str or path
        The layer store as the workers open it: a path they can read (the same
        on every machine) or a database URL.
    out : path
        The output table; written once, atomically, when every chunk is done.
    id_field : str
        Field identifying the sites.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); default: a
        local cluster of ``n_workers`` processes, stopped at the end.
    n_workers : int
        Workers of the local cluster.
    partitions : int, optional
        When the workers read the spill: tasks per ``chunk_size`` sites (each task
        ``ceil(chunk_size / partitions)`` sites; default :data:`DEFAULT_TASK_SITES`).
        Else partitions per window (default: two per worker thread, at least
        2,000 sites each: a partition has a fixed cost of tens of milliseconds).
    chunk_size : int, optional
        Sites read per window (default that of the local engine); with the
        spill and no ``partitions``, also the most sites per task.
    resume : bool
        Continue a run killed midway (its finished chunks are kept beside ``out``).
    progress : bool, optional
        A progress bar (default: on a terminal).
    protect : iterable of paths
        Files the output may not replace.
    **options
        As :func:`gisplan.batch.screen_batch`.

    Returns
    -------
    collections.Counter
        Sites per verdict.

    Raises
    ------
    InputError
        Bad options, Dask missing, the scheduler unreachable.
    ClusterError
        The cluster failed under the run (the finished chunks are kept for ``resume``).
    """
    from .stream import DEFAULT_CHUNK_SIZE

    chunk_size = DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size
    if not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(f"`chunk_size` must be a positive whole number, got {chunk_size!r}")
    if partitions is not None and (not isinstance(partitions, int) or partitions < 1):
        raise InputError(f"{_opt('partitions')} must be a positive whole number, got {partitions!r}")
    if not isinstance(n_workers, int) or n_workers < 1:
        raise InputError(f"the number of workers must be a positive whole number, got {n_workers!r}")
    out = Path(out)
    from ..io.batch_out import batch_table_suffix

    batch_table_suffix(out)
    _require_dask()
    spec = _absolute(str(getattr(store, "path", store)))  # the workers' working folders are not ours
    version = _store_version(spec)
    task_sites = -(-chunk_size // partitions) if partitions is not None else min(chunk_size, DEFAULT_TASK_SITES)
    run = _Run(sites, spec, out, id_field, chunk_size, resume, options, task_sites)
    with _cluster(scheduler, n_workers) as client:
        explicit = partitions is not None
        if not explicit:
            threads = sum(client.nthreads().values()) or 1
            partitions = max(1, _PARTITIONS_PER_THREAD * threads)
        return run.execute(client, version, partitions, progress, protect, explicit=explicit)


def _workers_see(client, folder: Path) -> bool:
    """Whether every worker sees ``folder`` as this process does (a probe file written here is read there).

    The same path on another machine's own disk is not enough: the probe's
    random text must come back from every worker.
    """
    import secrets
    import tempfile

    folder = Path(os.path.abspath(folder))
    if not all(client.run(_dir_exists, str(folder)).values()):
        return False
    token = secrets.token_hex(16)
    try:
        fd, probe = tempfile.mkstemp(prefix=".gisplan-probe-", dir=folder)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token)
        return all(seen == token for seen in client.run(_token_of, probe).values())
    finally:
        os.unlink(probe)


def _interleaved(chunks: list[int], n: int, workers: int) -> list[int]:
    """``chunks`` (of ``n``) in the order that takes one from each worker's share in turn (see :func:`_share`)."""
    def rank(k: int) -> tuple[int, int]:
        w = _share(k, n, workers)
        return k - (w * n + workers - 1) // workers, w

    return sorted(chunks, key=rank)


def _share(k: int, n: int, workers: int) -> int:
    """The worker whose run of consecutive chunks along the curve chunk ``k`` of ``n`` belongs to."""
    return k * workers // n


def _wait_any(futures: list, chunks: dict) -> list:
    """The finished ones of ``futures`` (at least one); refuse to wait on an idle cluster for ever."""
    from distributed import wait

    idle = 0.0
    while True:
        try:
            wait(futures, timeout=_STALL_CHECK_S, return_when="FIRST_COMPLETED")
        except TimeoutError:
            pass
        finished = [f for f in futures if f.done()]
        if finished:
            return finished
        busy = any(futures[0].client.processing().values())
        idle = 0.0 if busy else idle + _STALL_CHECK_S
        if idle >= STALL_TIMEOUT_S:
            waiting = min(chunks[f] for f in futures)
            raise ClusterError(f"the Dask cluster stopped working on chunk {waiting} (screening from the spill): "
                               f"no task ran for {STALL_TIMEOUT_S:.0f} s (no worker left?); finished chunks are "
                               "kept for `resume`")


class _Run:
    """One run: its chunks, parts folder and manifest (those of :func:`gisplan.engine.stream.stream_batch`).

    Two ways to run: the workers load their chunks from a spill this process
    writes in the parts folder and write the parts themselves (when every worker
    sees that folder: :meth:`_screen_spilled`), or this process reads windows,
    sends their partitions and writes the parts (:meth:`_screen`).
    """

    def __init__(self, sites, spec: str, out: Path, id_field: str, chunk_size: int, resume: bool, options: dict,
                 task_sites: int):
        from ..io.vector import feature_count
        from .stream import _fingerprint

        self.sites, self.spec, self.out, self.id_field, self.resume = _absolute(sites), spec, out, id_field, resume
        self.suffix = out.suffix.lower()
        options = dict(options)
        self.reading = {k: options.pop(k, None) for k in ("source_crs", "layer", "encoding", "cm", "towgs84",
                                                          "dxf_layer")}
        self.options = options
        self.streamable = not any(self.reading[k] for k in ("cm", "towgs84", "dxf_layer"))
        total = feature_count(sites, layer=self.reading["layer"]) if self.streamable else None
        self.total, self.task_sites = total, task_sites
        self.windows = [None] if not total else [(s, min(chunk_size, total - s)) for s in range(0, total, chunk_size)]
        fixed = {**options, **self.reading, "id_field": id_field}
        # the keys of the local engine: a run of either engine resumes the other's parts (they are the same)
        self.key = _fingerprint(sites, spec, fixed, chunk_size, total)
        self.spill_key = _fingerprint(sites, spec, {**fixed, "chunks": "hilbert-curve"}, task_sites, total)

    def _part(self, k: int) -> Path:
        return self.parts_dir / f"part-{k:06d}{self.suffix}"

    def _choose(self, client):
        """(spilled?, (folder, done, lock) of the run to resume or None): the workers read the spill when they
        all see the output's folder; a resumed run goes on in the way it started."""
        from ..io.outputs import make_folder
        from .stream import _parts_prefix, _resumable

        # a new output folder is made now, so that the workers can be asked whether they see it
        make_folder(self.out.parent, str(self.out))
        spilled = bool(self.streamable and self.total) and _workers_see(client, self.out.parent)
        found = None
        if spilled and self.resume:
            found = _resumable(self.out, self.spill_key)
            if found is None:
                found = _resumable(self.out, self.key)
                spilled = found is None
        elif self.resume:
            found = _resumable(self.out, self.key)
        if self.resume and found is None and list(self.out.parent.glob(_parts_prefix(self.out) + "*")):
            raise InputError(f"the unfinished run beside {self.out.name} was for another sites file, store or options "
                             "(or is running now, or is not this user's, or its parts are not seen by every worker); "
                             "run without `resume` to start again")
        return spilled, found

    def execute(self, client, version, partitions: int, progress, protect, *, explicit: bool) -> Counter:
        from ..log import logger
        from .stream import _drop_unclaimed, _join, _merge, _new_parts_dir, _write_json

        spilled, found = self._choose(client)
        if found is not None:
            self.parts_dir, done, lock = found
        else:
            (self.parts_dir, lock), done = _new_parts_dir(self.out), []
        try:
            manifest = self.parts_dir / "manifest.json"
            if spilled:
                logger.info("dask: the workers load their chunks from the spill in %s and write the parts",
                            self.parts_dir)
                counts, n = self._screen_spilled(client, version, progress, done, manifest)
                _merge([self._part(k) for k in range(n)], self.out, self.suffix, protect)
            else:
                logger.info("dask: this process reads the windows and writes the parts")
                _write_json(manifest, {"key": self.key, "done": done, "chunks": len(self.windows)})
                counts = self._screen(client, version, partitions, progress, done, manifest, explicit)
                _join([self._part(k) for k in range(len(self.windows))], self.out, self.suffix, protect)
        finally:
            if lock is not None:
                lock.release()
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        _drop_unclaimed(self.out, self.parts_dir)
        return counts

    def _screen_spilled(self, client, version, progress, done: list, manifest_path: Path) -> tuple[Counter, int]:
        """The spill written here (or the resumed run's), one task per unfinished chunk; (sites per verdict, chunks)."""
        from tqdm.auto import tqdm

        from .stream import _curve_spill, _part_verdicts, _write_json

        index, done = _curve_spill(self.sites, self.reading, self.windows, self.task_sites, self.parts_dir, done)
        n = len(index["records"])
        manifest = {"key": self.spill_key, "done": done, "chunks": n, "digest": index["digest"]}
        _write_json(manifest_path, manifest)
        counts: Counter = Counter()
        show = sys.stderr.isatty() if progress is None else progress
        pause = float(os.environ.get("GISPLAN_TEST_CHUNK_PAUSE", "0") or 0)  # tests kill a run between chunks
        finished = {k for k in done if self._part(k).is_file()}
        done[:] = sorted(finished)
        workers = sorted(client.nthreads())  # those of now: a hint only, workers may join or leave
        todo = deque(_interleaved([k for k in range(n) if k not in finished], n, max(1, len(workers))))
        limit = max(2, _TASKS_PER_THREAD * (sum(client.nthreads().values()) or 1))
        chunks: dict = {}  # future -> chunk
        with tqdm(total=self.total or None, disable=not show, unit="site", desc="screening") as bar:
            for k in done:
                verdicts = _part_verdicts(self._part(k), self.suffix)
                counts.update(verdicts)
                bar.update(len(verdicts))
            try:
                while todo or chunks:
                    while todo and len(chunks) < limit:
                        k = todo.popleft()
                        hint = {"workers": [workers[_share(k, n, len(workers))]], "allow_other_workers": True} \
                            if len(workers) > 1 else {}
                        future = client.submit(_screen_spill_chunk, str(self.parts_dir), index["records"][k],
                                               index["dtypes"], k, self.suffix, self.spec, version, self.id_field,
                                               self.options, pure=False, **hint)
                        chunks[future] = k
                    for future in _wait_any(list(chunks), chunks):
                        k = chunks.pop(future)
                        verdicts = Counter(_result(future, k, "screening from the spill"))
                        counts.update(verdicts)
                        bar.update(sum(verdicts.values()))
                        done.append(k)
                        _write_json(manifest_path, {**manifest, "done": done})
                        if pause:
                            time.sleep(pause)
            finally:
                client.cancel(list(chunks))
        return counts, n

    def _screen(self, client, version, partitions: int, progress, done: list, manifest: Path, explicit: bool):
        from tqdm.auto import tqdm

        from ..batch import write_batch
        from .stream import _part_verdicts, _write_json

        counts: Counter = Counter()
        show = sys.stderr.isatty() if progress is None else progress
        pause = float(os.environ.get("GISPLAN_TEST_CHUNK_PAUSE", "0") or 0)  # tests kill a run between chunks
        pending: deque = deque()

        def finish(k, futures):
            if isinstance(futures, list):  # this process writes the part
                table = _in_order([_result(f, k, f"partition {j}") for j, f in enumerate(futures)])
                write_batch(table, self._part(k))
                verdicts = Counter(table["verdict"].tolist())
            else:  # a worker wrote it
                verdicts = Counter(_result(futures, k, "screening or writing its part"))
            counts.update(verdicts)
            bar.update(sum(verdicts.values()))
            done.append(k)
            _write_json(manifest, {"key": self.key, "done": done, "chunks": len(self.windows)})
            if pause:
                time.sleep(pause)

        # the workers read the windows themselves when they see the same sites file; else this process does
        stamp = _file_stamp(self.sites)
        shared = _WORKERS_READ and stamp is not None and \
            all(v == stamp for v in client.run(_file_stamp, self.sites).values())
        # ... and write the parts when they see the parts folder too (this process would be the bottleneck)
        writes = shared and all(client.run(_dir_exists, str(self.parts_dir)).values())
        # windows in flight: enough that reading a window (one task) never starves many workers
        ahead = max(2, min(_MAX_AHEAD, len(client.nthreads()) // 4 + 1)) if shared else 1
        with tqdm(total=self.total or None, disable=not show, unit="site", desc="screening") as bar:
            try:
                for k, window in enumerate(self.windows):
                    if k in done and self._part(k).is_file():
                        counts.update(_part_verdicts(self._part(k), self.suffix))
                        bar.update(window[1] if window else 0)
                        continue
                    size = window[1] if window else None
                    n = partitions if explicit or size is None else \
                        min(partitions, max(1, size // _MIN_PARTITION_SITES))
                    # every future of a window is held here until the window is finished: releasing a
                    # future that later tasks depend on can leave them waiting
                    held: list = []
                    if shared:
                        read = client.submit(_read_partitions, self.sites, window, self.reading, n, pure=False)
                        parts = [client.submit(operator.getitem, read, j, pure=False) for j in range(n)]
                        held += [read, *parts]
                    else:
                        parts = _read_partitions(self.sites, window, self.reading, n)
                    workers = sorted(client.nthreads())  # those of now: workers may join or leave
                    futures = [client.submit(_screen_partition, p, self.spec, version, self.id_field, self.options,
                                             pure=False, **_affinity(workers, j, n)) for j, p in enumerate(parts)]
                    held += futures
                    if writes:
                        futures = client.submit(_write_window, futures, str(self._part(k)), pure=False)
                    pending.append((k, futures, held))
                    while len(pending) > ahead:  # the oldest window is finished while the later ones are screened
                        finish(*pending.popleft()[:2])
                while pending:
                    finish(*pending.popleft()[:2])
            finally:
                for _, futures, held in pending:
                    client.cancel((futures if isinstance(futures, list) else [futures]) + held)
        return counts
