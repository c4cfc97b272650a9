"""Write the EIA outputs of one screening (DOCX, PDF, XLSX, PNG) drawing the map once."""

from __future__ import annotations

import os
from pathlib import Path

from .labels import check_lang

__all__ = ["write_eia_outputs"]


def write_eia_outputs(
    result,
    *,
    docx: str | os.PathLike | None = None,
    xlsx: str | os.PathLike | None = None,
    png: str | os.PathLike | None = None,
    pdf: str | os.PathLike | None = None,
    lang: str = "zh",
    raster: str | None = None,
    basemap=None,
) -> list[Path]:
    """Write whichever of the DOCX report, XLSX tables, PNG map and PDF report are asked for.

    The map is drawn once and shared by the PNG, the DOCX's figure and the PDF's.

    Parameters
    ----------
    result : ScreeningResult
    docx, xlsx, png, pdf : path, optional
        Output files; ``None`` skips one. ``pdf`` is the whole report (the DOCX's
        content); :meth:`ScreeningResult.to_png` with a ``.pdf`` path writes the map alone.
    lang : {"zh", "en"}
    raster : str, optional
        A raster of the store drawn under the zoning of the map (PNG, PDF and the DOCX's figure).
    basemap : str or BasemapSpec, optional
        The basemap under the map, as ``gisplan serve --basemap`` takes it
        (:func:`gisplan.render.basemap.basemap_spec`): ``offline``, a tile URL, an
        MBTiles/PMTiles file. Default: none.

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    check_lang(lang)
    written: list[Path] = []
    png_bytes = None
    if png or docx or pdf:
        from .static_map import static_map_png, write_static_map

        if png:
            written.append(write_static_map(result, png, lang=lang, raster=raster, basemap=basemap))
            png_bytes = Path(png).read_bytes()
        else:
            png_bytes = static_map_png(result, lang=lang, raster=raster, basemap=basemap)
    if docx:
        from .docx_report import write_docx

        written.insert(0, write_docx(result, docx, lang=lang, figure_png=png_bytes))
    if xlsx:
        from .xlsx_report import write_xlsx

        written.insert(1 if docx else 0, write_xlsx(result, xlsx, lang=lang))
    if pdf:
        from .pdf_report import write_pdf

        written.append(write_pdf(result, pdf, lang=lang, figure_png=png_bytes))
    return written
