"""Sites and batch results as plain arrays: what the batch engine reads and writes.

The batch engine (:mod:`gisplan.batch`) works on numpy arrays and shapely
geometries; GeoDataFrames are built only at the edges, when a caller gives one
or asks for one (:meth:`SiteTable.from_frame`, :meth:`BatchTable.to_frame`).
A CSV batch of a GeoPackage therefore never imports pandas or geopandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._lazy import instance_of

__all__ = ["SiteTable", "BatchTable", "as_column", "is_missing"]


def is_missing(value) -> bool:
    """Whether a cell is empty as pandas sees it (None or NaN; ``pd.NA``/``NaT`` too once pandas is loaded)."""
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(value != value)
    if isinstance(value, (str, int, np.integer, bool, np.bool_)):
        return False
    import sys

    pd = sys.modules.get("pandas")  # exotic cells come from frames: pandas is loaded then
    if pd is None:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def as_column(values) -> np.ndarray:
    """A column as pandas would hold a list of values: int64, float64 (None as NaN), bool, else object."""
    if isinstance(values, np.ndarray):
        return values
    values = list(values)
    real = [v for v in values if v is not None]
    numeric = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                  for v in real)
    if real and numeric:
        if len(real) == len(values) and all(isinstance(v, (int, np.integer)) for v in real):
            return np.array(values, dtype=np.int64)
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if real and len(real) == len(values) and all(isinstance(v, (bool, np.bool_)) for v in real):
        return np.array(values, dtype=bool)
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass
class SiteTable:
    """Sites as arrays: one geometry and one value per column for each site.

    Attributes
    ----------
    geometry : ndarray of shapely geometries
        The sites (None where a feature has none).
    columns : dict
        Attribute name -> ndarray (file order), with the dtypes a frame would hold.
    crs : str or None
        CRS of the geometries (``EPSG:4490`` when read by :func:`gisplan.sites.read_site_table`).
    """

    geometry: np.ndarray
    columns: dict = field(default_factory=dict)
    crs: str | None = None

    def __len__(self) -> int:
        return len(self.geometry)

    def __getitem__(self, name) -> np.ndarray:
        return self.columns[name]

    @classmethod
    def from_frame(cls, frame) -> SiteTable:
        """The arrays of a GeoDataFrame (its columns' values as ``Series.to_numpy`` gives them)."""
        name = frame.geometry.name
        columns = {c: frame[c].to_numpy() for c in frame.columns if c != name}
        crs = frame.crs.to_string() if frame.crs is not None else None
        return cls(np.asarray(frame.geometry.values, dtype=object), columns, crs)

    @staticmethod
    def is_frame(obj) -> bool:
        """Whether ``obj`` is a GeoDataFrame (False without importing geopandas)."""
        return instance_of(obj, "geopandas", "GeoDataFrame")


@dataclass
class BatchTable:
    """The result of a batch as arrays: the table :func:`gisplan.batch.screen_batch` returns as a frame.

    Attributes
    ----------
    base : dict
        Columns in construction order (the id column, then the batch columns).
    order : list of str
        The first columns of the table (``id_field`` and :data:`gisplan.batch.BATCH_COLUMNS`).
    extra : dict
        Columns added after them (raster statistics), in order.
    geometry : list
        Footprints in CGCS2000 (None for sites that could not be screened).
    crs : str
    """

    base: dict
    order: list
    geometry: list
    extra: dict = field(default_factory=dict)
    crs: str = "EPSG:4490"

    def __len__(self) -> int:
        return len(self.geometry)

    def __getitem__(self, name) -> np.ndarray:
        return as_column(self.extra[name] if name in self.extra else self.base[name])

    @property
    def columns(self) -> list:
        """Column names in table order (geometry not included)."""
        return list(self.order) + [c for c in self.extra if c not in self.order]

    def take(self, idx) -> BatchTable:
        """The rows at positions ``idx`` (an int array), in that order; columns keep their types."""
        idx = np.asarray(idx, dtype=np.int64)

        def pick(values):
            return values[idx] if isinstance(values, np.ndarray) else [values[i] for i in idx.tolist()]

        return BatchTable({k: pick(v) for k, v in self.base.items()}, list(self.order),
                          pick(list(self.geometry)), {k: pick(v) for k, v in self.extra.items()}, self.crs)

    def to_frame(self):
        """The table as a GeoDataFrame with a ``geometry`` column (CGCS2000)."""
        import geopandas as gpd
        import pandas as pd

        out = pd.DataFrame(self.base)
        out = out[list(self.order)]
        for col, values in self.extra.items():
            out[col] = values
        return gpd.GeoDataFrame(out, geometry=list(self.geometry), crs=self.crs)
