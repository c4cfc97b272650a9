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

from .geo.crs import CGCS2000
from .errors import OutputError
from .io.outputs import make_folder, os_error_reason, safe_file_stem
from .render.labels import check_lang
from .store.gpkg import Store
from .store.spec import as_store

__all__ = ["report_stem", "row_industry", "write_site_reports", "project_forms", "FORM_FIELDS"]

#: The project form's keyword arguments of :func:`gisplan.screen`, as batch options name their fields.
FORM_FIELDS = ("project_name", "builder", "project_code", "construction_nature")


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


def project_forms(frame, id_field: str, fields: dict[str, str | None]) -> dict:
    """Each site's project form read from the columns of the sites file, checked before any screening.

    Parameters
    ----------
    frame : DataFrame
        The sites' attributes (as read for the batch).
    id_field : str
    fields : dict
        ``{"project_name": column or None, "builder": ..., "project_code": ..., "construction_nature": ...}``.

    Returns
    -------
    dict
        Site id -> keyword arguments of :func:`gisplan.screen` (empty cells left out).

    Raises
    ------
    InputError
        A column that is not in the file, or a cell the form refuses (naming the site).
    """
    from .errors import InputError
    from .project_info import project_form

    wanted = {k: v for k, v in fields.items() if v}
    missing = [v for v in wanted.values() if v not in frame.columns]
    if missing:
        raise InputError(f"the sites have no field {', '.join(missing)}; fields: {', '.join(map(str, frame.columns))}")
    out = {}
    for _, row in frame.iterrows():
        form = {}
        for key, column in wanted.items():
            value = row[column]
            if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
                continue
            form[key] = str(value).strip()
        try:
            project_form(name=form.get("project_name"), builder=form.get("builder"),
                         project_code=form.get("project_code"), construction_nature_value=form.get("construction_nature"))
        except InputError as exc:
            raise InputError(f"site {row[id_field]}: {exc}") from None
        out[row[id_field]] = form
    return out


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
    on_site=None,
    forms: dict | None = None,
    basemap=None,
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
    on_site : callable, optional
        Called as ``on_site(done, total)`` after each site (the QGIS plugin reports progress
        and raises there to cancel).
    forms : dict, optional
        Site id -> project form (:func:`project_forms`): 表1 of each report.
    basemap : BasemapSpec or str, optional
        Basemap under every map and DOCX figure (as :func:`gisplan.render.eia_outputs.write_eia_outputs`
        takes it; default none).

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
        if on_site is not None and i:
            on_site(i, len(table))
        if table["verdict"].iloc[i] == "error" or geom is None or geom.is_empty:
            rows.append({id_field: site_id, "docx": "", "png": "", "verdict": "error"})
            continue
        stem = report_stem(site_id, taken)
        site = site_from_geometry(geom, crs=CGCS2000, name=str(site_id))
        result = screen(site, store, buffer=buffer, industry=row_industry(table["industry"].iloc[i]),
                        national_major=national_major, **(forms or {}).get(site_id, {}))
        if result.verdict.get("overall") != table["verdict"].iloc[i]:
            raise RuntimeError(f"site {site_id}: the report's verdict {result.verdict.get('overall')!r} differs from "
                               f"the batch row's {table['verdict'].iloc[i]!r}")
        write_eia_outputs(result, docx=out / f"{stem}.docx", png=out / f"{stem}.png", lang=lang, raster=raster,
                          basemap=basemap)
        rows.append({id_field: site_id, "docx": f"{stem}.docx", "png": f"{stem}.png", "verdict": result.verdict.get("overall")})
    if on_site is not None and len(table):
        on_site(len(table), len(table))
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
