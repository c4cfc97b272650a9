"""What counts as an English word on the Chinese page (codes, units, formats and file names aside)."""

from __future__ import annotations

import re

#: Names that stay as they are in Chinese text: formats, systems, encodings, units, standards.
ALLOWED = (
    r"EPSG:\d+(?:-\d+)?", r"EIA2021-\d+", r"ZH\d{11}", r"YS\d+", r"[A-Z]\d{1,4}\b", r"CGCS2000", r"WGS84", r"GCJ-02",
    r"BD-09", r"GeoJSON", r"Shapefile", r"GeoPackage", r"KML", r"KMZ", r"CSV", r"XLSX", r"XLS", r"DXF", r"DWG", r"CAD",
    r"ZIP", r"XML", r"DTD", r"UTF-8", r"UTF-16", r"GBK", r"GB18030", r"SQLite", r"PMTiles", r"MBTiles", r"MB",
    r"\.(?:prj|shx|shp|dbf|cpg|xls|xlsx|csv|zip)\b", r"\d+(?:\.\d+)?\s*(?:km|m²|m|ha|MB|s)\b", r"°E", r"°N", r"\bkm\b",
    r"\bm²", r"\bha\b", r"gisplan screen", r"--towgs84", r"VOCs", r"GB \d+", r"HJ \d+", r"\bEPSG\b",
    r"'[^'\n]*'",  # names from the data (zip members, layers, typed values) are quoted as the library quotes them
)
_ALLOWED = re.compile("|".join(ALLOWED))
_WORD = re.compile(r"[A-Za-z]{2,}")
_CJK = re.compile(r"[\u3400-\u9fff]")


def english_words(text: str, names: tuple[str, ...] = ()) -> list[str]:
    """English words left in ``text`` once file and layer names (``names``) and the allowed names are removed."""
    for name in sorted(names, key=len, reverse=True):
        if name:
            text = text.replace(name, " ")
    text = _ALLOWED.sub(" ", text)
    return _WORD.findall(text)


def has_cjk(text: str, names: tuple[str, ...] = ()) -> bool:
    """Whether ``text`` holds Chinese characters besides those in ``names``."""
    for name in names:
        text = text.replace(name, " ")
    return bool(_CJK.search(text))
