"""One DOCX report and one PNG map per site of a batch, in a folder (with a progress bar).

Each site that the batch could screen is screened again in full with
:func:`gisplan.screening.screen` (the batch table has area totals only; a report
needs units, hits, nearby features and map context). The site screened is the
batch footprint (disc or corridor already built), so its area equals the table's,
with the row's project type and the batch's ``national_major``: a report always
says what its row says (a mismatch is an error, not a report).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd

from .crs import CGCS2000
from .errors import OutputError
from .io.outputs import make_folder, os_error_reason, safe_file_stem
from .render.labels import check_lang
from .store import Store
from .stores import as_store

__all__ = ["report_stem", "row_industry", "write_site_reports"]


def report_stem(site_id, taken: set[str]) -> str:
    """A file-name stem for a site id, unique within ``taken`` (lower-cased stems used).

    Unsafe characters are replaced, and an over-long (the name with ``.docx``
    is at most :data:`~gisplan.io.outputs.MAX_NAME_BYTES` bytes) or colliding
    stem gets a short hash suffix (see :func:`gisplan.io.outputs.safe_file_stem`).

    Examples
    --------
    >>> report_stem("S001", set())
    'S001'
    >>> report_stem("S/001", {"s_001"}).startswith("S_001-")
    True
    """
    return safe_file_stem(site_id, taken, suffix=".docx")


def row_industry(label) -> str | None:
    """The project type a batch row was screened with, from its ``industry`` cell (``"EIA-020 化学原料制造"``).

    The cell starts with the entry's code, which matches that one entry again; empty means none.
    """
    if label is None or (isinstance(label, float) and label != label):
        return None
    text = str(label).strip()
    return text.split()[0] if text else None


def write_site_reports(
    table: gpd.GeoDataFrame,
    store: Store | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    id_field: str,
    buffer: float = 5000.0,
    lang: str = "zh",
    progress: bool | None = None,
    national_major: bool | None = None,
    raster: str | None = None,
) -> pd.DataFrame:
    """Write ``<id>.docx`` and ``<id>.png`` for every screened site of a batch table.

    Parameters
    ----------
    table : GeoDataFrame
        The result of :func:`gisplan.batch.screen_batch` (footprints in CGCS2000).
    store : Store or path
    out_dir : path
        Folder for the files (created).
    id_field : str
        The table's site id column (names the files).
    buffer : float
        Search distance (m) for nearby features.
    lang : {"zh", "en"}
    progress : bool, optional
        Progress bar (default: when stderr is a terminal).
    national_major : bool or None
        As given to the batch (``--national-major``).
    raster : str, optional
        A raster of the store drawn under the zoning of every map (``--map-raster``).

    Returns
    -------
    DataFrame
        One row per site: id, ``docx`` and ``png`` file names (empty when the site
        could not be screened) and the verdict.

    Raises
    ------
    RuntimeError
        When a site's report verdict differs from its row's (a bug: no report is written for it).
    """
    from tqdm.auto import tqdm

    from .render.eia_outputs import write_eia_outputs
    from .screening import screen
    from .sites import site_from_geometry

    check_lang(lang)
    store = as_store(store)
    out = Path(out_dir)
    _make_folder(out)
    show = sys.stderr.isatty() if progress is None else progress
    taken: set[str] = set()
    rows = []
    geoms = table.geometry.values
    for i in tqdm(range(len(table)), disable=not show, unit="site", desc="reports"):
        site_id = table[id_field].iloc[i]
        geom = geoms[i]
        if table["verdict"].iloc[i] == "error" or geom is None or geom.is_empty:
            rows.append({id_field: site_id, "docx": "", "png": "", "verdict": "error"})
            continue
        stem = report_stem(site_id, taken)
        site = site_from_geometry(geom, crs=CGCS2000, name=str(site_id))
        result = screen(site, store, buffer=buffer, industry=row_industry(table["industry"].iloc[i]),
                        national_major=national_major)
        if result.verdict.get("overall") != table["verdict"].iloc[i]:
            raise RuntimeError(f"site {site_id}: the report's verdict {result.verdict.get('overall')!r} differs from "
                               f"the batch row's {table['verdict'].iloc[i]!r}")
        write_eia_outputs(result, docx=out / f"{stem}.docx", png=out / f"{stem}.png", lang=lang, raster=raster)
        rows.append({id_field: site_id, "docx": f"{stem}.docx", "png": f"{stem}.png", "verdict": result.verdict.get("overall")})
    return pd.DataFrame(rows, columns=[id_field, "docx", "png", "verdict"])


def _make_folder(out: Path) -> None:
    """Create the report folder, or stop with one line (a file there, permission denied)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write reports into {out}: it is not a folder")
    try:
        make_folder(out.parent)  # said when made: a mistyped path would go unnoticed
        out.mkdir(exist_ok=True)  # the report folder itself is what was asked for
    except OutputError as exc:
        raise OutputError(f"cannot write reports into {out}: {os_error_reason(exc.__cause__ or exc)}") from exc
    except OSError as exc:
        raise OutputError(f"cannot write reports into {out}: {os_error_reason(exc)}") from exc
