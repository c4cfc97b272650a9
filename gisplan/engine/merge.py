"""Parts screened in curve order merged back into the input order, a few rows at a time.

Each part of a streamed batch whose chunks run along a Hilbert curve
(:mod:`gisplan.engine.spill`) holds its rows in input order, with their input
positions beside it (``part-K.pos.npy``). The output lists every row in input
order again:

- CSV: a k-way merge (:func:`heapq.merge`) of the parts' raw records, so the
  bytes are those the parts hold (one BOM and header, those of the first part);
  more parts than :data:`MAX_OPEN_PARTS` are merged in rounds;
- GeoParquet and GeoPackage: block by block of input positions; the rows of one
  block are a contiguous run of rows in every part (each part is sorted), read
  alone (GeoParquet parts are written in small row groups, GeoPackage rows read
  by feature id), put in order and appended.

Memory holds one block of rows (or one record per part for a CSV) and the
positions (one integer per site), never the whole output.
"""

from __future__ import annotations

import csv
import heapq
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["merge_parts", "joined_parquet_schema", "positions_path", "write_part", "MAX_OPEN_PARTS", "PART_ROW_GROUP"]

#: Most CSV parts open at once in one merge round.
MAX_OPEN_PARTS = 128
#: Rows per row group of a GeoParquet part: a block reads only the row groups it needs, at most two
#: more per part than its rows (so small: 50 parts of 4,096-row groups read 400,000 rows for a block).
PART_ROW_GROUP = 256
#: Input positions per block of a GeoParquet or GeoPackage merge.
BLOCK_ROWS = 20_000


def positions_path(part: Path) -> Path:
    """Where the input positions of ``part``'s rows are kept."""
    return part.with_name(part.name.split(".")[0] + ".pos.npy")


def write_part(table, part: Path, positions: np.ndarray) -> None:
    """Write one chunk's rows (a :class:`~gisplan.tables.BatchTable` in input order) and their positions.

    The positions are written first: a part file without them is never left
    looking finished (the manifest records a chunk only after both).
    """
    from ..batch import write_batch

    np.save(positions_path(part), np.asarray(positions, dtype=np.int64))
    if part.suffix.lower() == ".parquet":
        tmp = part.with_name(part.name + ".tmp")
        table.to_frame().to_parquet(tmp, index=False, row_group_size=PART_ROW_GROUP)
        os.replace(tmp, part)
    else:
        write_batch(table, part)


def merge_parts(parts: list[Path], out_tmp: Path, suffix: str) -> None:
    """Write the rows of ``parts`` in input order to ``out_tmp`` (``.csv``, ``.parquet`` or ``.gpkg``).

    Parameters
    ----------
    parts : list of Path
        Part files, each with its positions file (:func:`positions_path`).
    out_tmp : Path
        The file to write (a temporary file the caller renames).
    suffix : str
        The output format.
    """
    if suffix == ".csv":
        _merge_csv_rounds(parts, out_tmp)
    elif suffix == ".parquet":
        _merge_parquet(parts, out_tmp)
    else:
        _merge_gpkg(parts, out_tmp)


# --------------------------------------------------------------------------- CSV


def _raw_records(fh) -> Iterator[str]:
    """The raw text of each record of an open CSV file (the header first), quoted newlines kept.

    The csv module reads one physical line at a time until a record is complete;
    the lines it took are the record's text, exactly as written.
    """
    taken: list[str] = []

    def lines() -> Iterator[str]:
        for line in fh:
            taken.append(line)
            yield line

    for _ in csv.reader(lines()):
        yield "".join(taken)
        taken.clear()


def csv_records(path: Path) -> Iterator[str]:
    """The raw text of each data row of a CSV written by the batch (header skipped), quoted newlines kept."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = _raw_records(fh)
        next(records, None)
        yield from records


def _csv_header(path: Path) -> str:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return next(_raw_records(fh), "")


def _merge_csv(parts: list[Path], dst: Path) -> np.ndarray:
    """One k-way merge of CSV parts into ``dst`` (BOM, header, rows by input position); the merged positions."""
    positions = [np.load(positions_path(p)) for p in parts]
    streams = [zip(pos.tolist(), csv_records(p)) for p, pos in zip(parts, positions)]
    with open(dst, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(_csv_header(parts[0]))
        fh.writelines(record for _pos, record in heapq.merge(*streams, key=lambda item: item[0]))
    merged = np.concatenate(positions)
    merged.sort()
    return merged


def _merge_csv_rounds(parts: list[Path], out_tmp: Path) -> None:
    """CSV parts merged at most :data:`MAX_OPEN_PARTS` at a time, in rounds, into ``out_tmp``."""
    work = Path(tempfile.mkdtemp(prefix=".merge-", dir=out_tmp.parent))
    try:
        level = 0
        while len(parts) > MAX_OPEN_PARTS:
            merged = []
            for g in range(0, len(parts), MAX_OPEN_PARTS):
                dst = work / f"r{level:02d}g{g:06d}.csv"
                np.save(positions_path(dst), _merge_csv(parts[g:g + MAX_OPEN_PARTS], dst))
                merged.append(dst)
            parts, level = merged, level + 1
        _merge_csv(parts, out_tmp)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- blocks


def _blocks(positions: list[np.ndarray]) -> Iterator[list[tuple[int, int, int]]]:
    """For each block of :data:`BLOCK_ROWS` input positions: ``(part, first row, end row)`` of every part in it."""
    total = sum(len(p) for p in positions)
    for start in range(0, total, BLOCK_ROWS):
        end = start + BLOCK_ROWS
        runs = []
        for k, pos in enumerate(positions):
            lo, hi = np.searchsorted(pos, [start, end])
            if hi > lo:
                runs.append((k, int(lo), int(hi)))
        yield runs


def _block_order(positions: list[np.ndarray], runs: list[tuple[int, int, int]]) -> np.ndarray:
    """The order that puts a block's rows (runs concatenated) in input order."""
    return np.argsort(np.concatenate([positions[k][lo:hi] for k, lo, hi in runs]), kind="stable")


# --------------------------------------------------------------------------- GeoParquet


def joined_parquet_schema(parts: list[Path]):
    """One schema for all GeoParquet parts: types unified, the "geo" metadata's bbox and types over all parts."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = [pq.read_schema(part) for part in parts]
    geo = [json.loads(sch.metadata[b"geo"]) for sch in schemas]
    meta = geo[0]
    for name, col in meta["columns"].items():
        boxes = [g["columns"][name].get("bbox") for g in geo]
        boxes = [b for b in boxes if b and all(np.isfinite(b))]
        if boxes:
            b = np.array(boxes)
            col["bbox"] = [*b[:, :2].min(axis=0).tolist(), *b[:, 2:].max(axis=0).tolist()]
        else:
            col.pop("bbox", None)
        col["geometry_types"] = sorted({t for g in geo for t in g["columns"][name].get("geometry_types", [])})
    # a column null in one chunk (all sites without warnings) takes its type from the others
    schema = pa.unify_schemas([sch.remove_metadata() for sch in schemas], promote_options="permissive")
    return schema.with_metadata({**schemas[0].metadata, b"geo": json.dumps(meta).encode()})


def _parquet_rows(part: Path, lo: int, hi: int):
    """Rows ``lo:hi`` of a GeoParquet part, reading only the row groups that hold them."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(part)
    meta = f.metadata
    starts = np.cumsum([0] + [meta.row_group(i).num_rows for i in range(meta.num_row_groups)])
    first = int(np.searchsorted(starts, lo, side="right")) - 1
    last = int(np.searchsorted(starts, hi, side="left"))
    table = f.read_row_groups(list(range(first, last)))
    return table.slice(lo - int(starts[first]), hi - lo)


def _merge_parquet(parts: list[Path], out_tmp: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = joined_parquet_schema(parts)
    positions = [np.load(positions_path(p)) for p in parts]
    with pq.ParquetWriter(out_tmp, schema) as writer:
        for runs in _blocks(positions):
            block = pa.concat_tables([_parquet_rows(parts[k], lo, hi).cast(schema) for k, lo, hi in runs])
            writer.write_table(block.take(pa.array(_block_order(positions, runs))))
            del block
            pa.default_memory_pool().release_unused()  # else the allocator keeps each block's pages: RSS +0.3 GB


# --------------------------------------------------------------------------- GeoPackage


def _gpkg_fids(part: Path) -> np.ndarray:
    """The feature ids of a GeoPackage part in row order (the order GDAL reads them)."""
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(part.resolve().as_uri() + "?mode=ro", uri=True)) as con:
        return np.array([r[0] for r in con.execute('SELECT fid FROM "screening" ORDER BY fid')], dtype=np.int64)


def _merge_gpkg(parts: list[Path], out_tmp: Path) -> None:
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    positions = [np.load(positions_path(p)) for p in parts]
    fids = [_gpkg_fids(p) for p in parts]
    for i, runs in enumerate(_blocks(positions)):
        frames = [pyogrio.read_dataframe(parts[k], layer="screening", fids=fids[k][lo:hi]) for k, lo, hi in runs]
        block = pd.concat(frames, ignore_index=True).iloc[_block_order(positions, runs)]
        block = gpd.GeoDataFrame(block, geometry=frames[0].geometry.name, crs=frames[0].crs)
        pyogrio.write_dataframe(block, out_tmp, layer="screening", driver="GPKG", promote_to_multi=True,
                                append=bool(i))
