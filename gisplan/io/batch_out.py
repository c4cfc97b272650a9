"""Writing a batch table: ``.csv`` (UTF-8 with BOM, cells defused), ``.gpkg`` or ``.parquet``, atomically.

:func:`write_batch` takes the rows :func:`gisplan.batch.screen_sites` (a
:class:`~gisplan.tables.BatchTable`, written to CSV without pandas) or
:func:`gisplan.batch.screen_batch` (a GeoDataFrame) give.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError
from ..tables import BatchTable, as_column

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["write_batch", "BATCH_SUFFIXES", "batch_table_suffix"]


#: Output formats of a batch table.
BATCH_SUFFIXES = (".csv", ".gpkg", ".parquet")


def batch_table_suffix(path: str | os.PathLike) -> str:
    """The suffix of a batch table's path (``.csv``, ``.gpkg`` or ``.parquet``), its extra checked.

    Raises
    ------
    InputError
        For another suffix; :class:`~gisplan.errors.MissingExtraError` for ``.parquet``
        without the ``parquet`` extra.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in BATCH_SUFFIXES:
        raise InputError(f"`out` must end in .csv, .gpkg or .parquet, got {Path(path).name!r}")
    if suffix == ".parquet":
        from ..extras import require_extra

        require_extra("parquet", "a GeoParquet table (.parquet)")
    return suffix


def write_batch(table: gpd.GeoDataFrame | BatchTable, path: str | os.PathLike, *, protect=()) -> Path:
    """Write a batch table to ``.csv`` (UTF-8 with BOM, for Excel), ``.gpkg`` or ``.parquet`` (GeoParquet), atomically.

    The file is written whole to a unique temporary file beside ``path`` and
    renamed (:func:`gisplan.io.outputs.atomic_output`): two runs writing one path
    leave exactly one run's rows. In the CSV, text cells that would start a
    formula (``= + - @``, tab, CR) get a leading apostrophe; numbers stay numbers.

    Parameters
    ----------
    table : GeoDataFrame or BatchTable
        The result of :func:`screen_batch` (or :func:`screen_sites`: its CSV is
        written with the csv module, byte for byte what the frame gives).
    path : path
        ``.csv``, ``.gpkg`` or ``.parquet``.
    protect : iterable of paths
        Files never to write over (the store, the sites file).

    Raises
    ------
    InputError
        For another suffix; :class:`~gisplan.errors.OutputError` when the path is
        refused or cannot be written.
    """
    from .outputs import atomic_output, check_output_path

    path = Path(path)
    suffix = batch_table_suffix(path)
    check_output_path(path, protect_also=protect)
    with atomic_output(path, create=suffix == ".csv", protect_also=protect) as tmp:
        if suffix == ".csv" and isinstance(table, BatchTable) and _write_csv(table, tmp):
            return path
        if isinstance(table, BatchTable):  # GeoPackage output, or cells only pandas formats
            table = table.to_frame()
        if suffix == ".csv":
            _csv_frame(table).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".parquet":
            table.to_parquet(tmp, index=False)  # GeoParquet: WKB geometry, CRS in the "geo" metadata
        else:
            import pyogrio

            pyogrio.write_dataframe(table, tmp, layer="screening", driver="GPKG", promote_to_multi=True)
    return path


def _write_csv(table: BatchTable, path) -> bool:
    """Write ``table`` as pandas' ``to_csv`` writes its frame (see :func:`_csv_frame`), with the csv module.

    Returns False, writing nothing, when a column holds values (dates, ...) whose
    text only pandas decides: the caller then writes the frame.
    """
    import csv

    from .outputs import defuse_cell

    names = table.columns
    cells = [_csv_cells(table[c]) for c in names]
    if any(c is None for c in cells):
        return False
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow([defuse_cell(str(c)) for c in names])
        writer.writerows(zip(*cells))
    return True


def _csv_cells(values: np.ndarray) -> list | None:
    """One column's cells as pandas hands them to the csv module (None: a value only pandas formats).

    Floats as numpy's shortest text (NaN empty), whole numbers and booleans as
    they print, text defused (:func:`gisplan.io.outputs.defuse_cell`), missing
    cells empty; other objects go to the csv module as they are, as pandas passes them.
    """
    from .outputs import defuse_cell, encodable

    values = as_column(values)
    kind = values.dtype.kind
    if kind == "f":
        text = np.full(len(values), "0.0", dtype=object)  # most area cells are 0.0: numpy's text for them
        other = (values != 0) | np.signbit(values)  # -0.0 prints as "-0.0"; NaN is not 0
        text[other] = values[other].astype(str)
        text[np.isnan(values)] = ""
        return text.tolist()
    if kind in "iub":
        return values.astype(object).tolist()
    if kind != "O":
        return None
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(defuse_cell(v if v.isascii() else encodable(v)))
        elif v is None or (isinstance(v, (float, np.floating)) and v != v):
            out.append("")
        elif isinstance(v, (int, float, bool, np.integer, np.floating, np.bool_)):
            out.append(v)
        else:
            return None
    return out


def _csv_frame(table: gpd.GeoDataFrame) -> pd.DataFrame:
    """The table without geometry, text cells defused against formula injection."""
    from .outputs import defuse_cell, encodable

    def cell(value):  # lone surrogates out (the encoder cannot write them), then defused
        return defuse_cell(encodable(value))

    import pandas as pd

    frame = pd.DataFrame(table.drop(columns=table.geometry.name))
    for col in frame.columns:
        if frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].map(cell)
    frame.columns = [defuse_cell(str(c)) for c in frame.columns]
    return frame
