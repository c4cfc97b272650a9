"""Chunks along a Hilbert curve over a whole sites file, read back from one spill file.

A streamed batch (:mod:`gisplan.engine.stream`) of a file whose sites come in no
spatial order would load most of the store's pieces again for every chunk. So
the chunks are cut along a Hilbert curve over the whole file:

1. :func:`curve_chunks` reads the file once, window by window (the batch's own
   reader, :func:`gisplan.sites.read_site_table`), keeping only each site's
   bounding-box centre, and gives every site the chunk of its place on the curve
   (chunk ``k``: the ``k``-th run of ``chunk_size`` sites in curve order);
2. :func:`spill_chunks` reads the file a second time, window by window, and
   appends each window's rows, split by chunk, to one spill file: one record per
   (window, chunk), indexed by offset. A chunk is then read back with
   :func:`load_chunk` in a few seeks, whatever the input format (shapefile,
   GeoPackage, GeoJSON, FileGDB), without reading the file again.

Memory holds a few numbers per site (centre, curve key, chunk) and one window of
rows. Each chunk's rows stay in input order (records are appended window after
window), with their input positions, so that the parts can be merged back into
input order (:mod:`gisplan.engine.merge`).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

import numpy as np

from ..tables import SiteTable

__all__ = ["hilbert_distance", "curve_keys", "curve_chunks", "spill_chunks", "load_chunk", "SPILL", "SPILL_INDEX"]

#: The spill file and its index in a run's parts folder.
SPILL = "spill.bin"
SPILL_INDEX = "spill.json"
_LEVEL = 16  # cells of the curve's grid per side: 2**16


def hilbert_distance(x: np.ndarray, y: np.ndarray, level: int = 16) -> np.ndarray:
    """Distance along a Hilbert curve of cells (``x``, ``y``) of a 2**level grid (the classic xy-to-d walk, vectorised).

    Examples
    --------
    >>> hilbert_distance(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 0]), level=1).tolist()
    [0, 1, 2, 3]
    """
    x = np.asarray(x, dtype=np.int64).copy()
    y = np.asarray(y, dtype=np.int64).copy()
    d = np.zeros(len(x), dtype=np.int64)
    s = 1 << (level - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx  # rotate the quadrant so the curve joins up
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        x &= s - 1
        y &= s - 1
        s >>= 1
    return d


def curve_keys(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Hilbert distance of each centre on a 2**16 grid over the centres' bounds (-1 where unknown).

    Parameters
    ----------
    cx, cy : ndarray of float
        Bounding-box centres (NaN for a site without geometry).

    Returns
    -------
    ndarray of int64
    """
    key = np.full(len(cx), -1, dtype=np.int64)
    known = np.isfinite(cx) & np.isfinite(cy)
    if not known.any():
        return key
    cells = (1 << _LEVEL) - 1
    x0, x1, y0, y1 = cx[known].min(), cx[known].max(), cy[known].min(), cy[known].max()
    gx = np.rint((cx[known] - x0) / ((x1 - x0) or 1.0) * cells)
    gy = np.rint((cy[known] - y0) / ((y1 - y0) or 1.0) * cells)
    key[known] = hilbert_distance(gx, gy, _LEVEL)
    return key


def _centres(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import shapely

    b = shapely.bounds(np.asarray(geoms, dtype=object))
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def curve_chunks(sites, reading: dict, windows: list[tuple[int, int]], chunk_size: int) -> tuple[np.ndarray, dict]:
    """Each site's chunk along a Hilbert curve through all the sites' centres (one pass over the file).

    Parameters
    ----------
    sites : path
        The sites file (read by :func:`gisplan.sites.read_site_table`).
    reading : dict
        The reading options (``source_crs``, ``layer``, ``encoding``, ...).
    windows : list of (int, int)
        ``(skip, count)`` windows covering the file in input order.
    chunk_size : int
        Sites per chunk.

    Returns
    -------
    chunk_of : ndarray of int64
        For each site (input position), its chunk.
    dtypes : dict
        Column name -> the dtypes (``dtype.str``) its windows were read with.
    """
    total = windows[-1][0] + windows[-1][1]
    cx, cy = np.full(total, np.nan), np.full(total, np.nan)
    dtypes: dict[str, set] = {}
    for start, count in windows:
        table = _read_window(sites, reading, start, count)
        cx[start:start + count], cy[start:start + count] = _centres(table.geometry)
        for name, values in table.columns.items():
            dtypes.setdefault(name, set()).add(np.asarray(values).dtype.str)
    order = np.argsort(curve_keys(cx, cy), kind="stable")  # ties (and unknown centres) keep input order
    chunk_of = np.empty(total, dtype=np.int64)
    chunk_of[order] = np.arange(total, dtype=np.int64) // chunk_size
    return chunk_of, {k: sorted(v) for k, v in dtypes.items()}


def _read_window(sites, reading: dict, start: int, count: int) -> SiteTable:
    """Features ``start`` to ``start + count`` of the sites file; refused if the file no longer has them."""
    from ..errors import InputError
    from ..sites import read_site_table

    table, _note, _ = read_site_table(sites, window=(start, count), **reading)
    if len(table) != count:
        raise InputError(f"{sites}: features {start}-{start + count - 1} read as {len(table)}; "
                         "was the file changed during the run?")
    return table


def plan_digest(chunk_of: np.ndarray) -> str:
    """A fingerprint of the chunk of every site (a resumed run checks it is cutting the same chunks)."""
    return hashlib.sha256(np.ascontiguousarray(chunk_of, dtype="<i8").tobytes()).hexdigest()


def spill_chunks(sites, reading: dict, windows: list[tuple[int, int]], chunk_of: np.ndarray, dtypes: dict,
                 folder: Path) -> dict:
    """Write every site's row into the spill file of ``folder``, grouped by chunk (a second pass over the file).

    The index (:data:`SPILL_INDEX`) is written last, atomically: a run killed
    while spilling leaves no index and spills again.

    Returns
    -------
    dict
        The index: ``records`` (per chunk, the ``[offset, length]`` of its
        records), ``dtypes`` and ``digest`` (:func:`plan_digest`).
    """
    import shapely

    n_chunks = int(chunk_of.max()) + 1 if len(chunk_of) else 0
    records: list[list[list[int]]] = [[] for _ in range(n_chunks)]
    with open(folder / SPILL, "wb") as fh:
        for start, count in windows:
            table = _read_window(sites, reading, start, count)
            positions = np.arange(start, start + count, dtype=np.int64)
            of = chunk_of[positions]
            by_chunk = np.argsort(of, kind="stable")  # rows of one chunk together, in input order
            bounds = np.flatnonzero(np.diff(of[by_chunk])) + 1
            wkb = shapely.to_wkb(np.asarray(table.geometry, dtype=object))
            for rows in np.split(by_chunk, bounds):
                record = pickle.dumps((positions[rows], wkb[rows], {k: np.asarray(v)[rows] for k, v in table.columns.items()},
                                       table.crs), protocol=pickle.HIGHEST_PROTOCOL)
                records[int(of[rows[0]])].append([fh.tell(), len(record)])
                fh.write(record)
        fh.flush()
        os.fsync(fh.fileno())
    index = {"records": records, "dtypes": dtypes, "digest": plan_digest(chunk_of)}
    tmp = folder / (SPILL_INDEX + ".tmp")
    tmp.write_text(json.dumps(index), encoding="utf-8")
    os.replace(tmp, folder / SPILL_INDEX)
    return index


def read_spill_index(folder: Path) -> dict | None:
    """The spill index of a parts folder, or None when the spill was not finished."""
    try:
        return json.loads((folder / SPILL_INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_chunk(folder: Path, index: dict, k: int) -> tuple[SiteTable, np.ndarray]:
    """Chunk ``k`` from the spill: its sites (in input order) and their input positions.

    A column read as whole numbers in some windows and as reals in others (a
    number column with empty cells in only some windows) is given as reals, as
    reading the whole file gives it.
    """
    import shapely

    pieces = []
    with open(folder / SPILL, "rb") as fh:
        for offset, length in index["records"][k]:
            fh.seek(offset)
            pieces.append(pickle.loads(fh.read(length)))
    positions = np.concatenate([p[0] for p in pieces])
    geometry = np.asarray(shapely.from_wkb(np.concatenate([p[1] for p in pieces])), dtype=object)
    columns = {name: _whole_file_dtype(np.concatenate([p[2][name] for p in pieces]), index["dtypes"].get(name, []))
               for name in pieces[0][2]}
    return SiteTable(geometry, columns, pieces[0][3]), positions


def _whole_file_dtype(values: np.ndarray, seen: list[str]) -> np.ndarray:
    """``values`` as the whole file's read holds them: whole numbers as reals when some window read reals."""
    kinds = {np.dtype(s).kind for s in seen}
    if values.dtype.kind in "iu" and "f" in kinds and kinds <= {"i", "u", "f"}:
        return values.astype(np.float64)
    return values
