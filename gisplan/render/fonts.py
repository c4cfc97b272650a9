"""A CJK-capable font for matplotlib figures (Chinese labels must never render as boxes).

The font is looked up among the system fonts, preferring Noto Sans CJK SC (Debian
``fonts-noto-cjk``, installed by ``tools/bootstrap.sh``), then other Simplified
Chinese families. Nothing is downloaded; when no CJK font is found the error says
how to install one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ..errors import CJKFontError  # noqa: F401  (defined with all errors; raised here)

__all__ = ["DOCX_EAST_ASIA_FALLBACKS", "DOCX_EAST_ASIA_FONT", "CJKFont", "CJKFontError", "FontFace", "cjk_font", "mpl_rc",
           "pdf_faces"]

#: East Asian font named in DOCX run properties (w:eastAsia), as EIA reports use;
#: the font table lists :data:`DOCX_EAST_ASIA_FALLBACKS` as its alternatives.
DOCX_EAST_ASIA_FONT = "宋体"
DOCX_EAST_ASIA_FALLBACKS = ("SimSun", "Noto Serif CJK SC")

#: Families tried in order (matplotlib family names, Simplified Chinese first).
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "SimSun",
    "PingFang SC",
    "Noto Sans CJK JP",
)
#: Files known to hold them (Debian/Ubuntu paths first).
_KNOWN_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
_FILE_HINTS = ("cjk", "sourcehan", "wqy", "simhei", "simsun", "msyh", "pingfang", "notosanssc", "notoserifsc")


@dataclass(frozen=True)
class CJKFont:
    """The font used for figures.

    Attributes
    ----------
    family : str
        Matplotlib family name, e.g. ``"Noto Sans CJK SC"``.
    path : Path
        The font file (``.ttc``, ``.otf`` or ``.ttf``).
    """

    family: str
    path: Path


def _register(paths) -> None:
    from matplotlib import font_manager

    known = {Path(f.fname) for f in font_manager.fontManager.ttflist}
    for path in paths:
        p = Path(path)
        if p.is_file() and p not in known:
            try:
                font_manager.fontManager.addfont(str(p))
            except (OSError, RuntimeError, ValueError):  # unreadable font file: skip it
                continue


def _regular_files() -> dict[str, Path]:
    """Family name -> its regular (or only) font file among matplotlib's fonts."""
    from matplotlib import font_manager

    out: dict[str, Path] = {}
    for f in font_manager.fontManager.ttflist:
        if f.name not in out or (f.weight in (400, "normal", "regular") and f.style == "normal"):
            out[f.name] = Path(f.fname)
    return out


@functools.lru_cache(maxsize=1)
def cjk_font() -> CJKFont:
    """Find, register with matplotlib and return a CJK-capable font.

    Returns
    -------
    CJKFont

    Raises
    ------
    CJKFontError
        When no CJK font is installed (install Debian ``fonts-noto-cjk``).
    """
    from matplotlib import font_manager

    _register(_KNOWN_FILES)
    by_family = _regular_files()
    if not any(name in by_family for name in PREFERRED_FAMILIES):
        system = font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(fontext="otf")
        _register(p for p in system if any(h in Path(p).name.lower().replace("-", "").replace("_", "") for h in _FILE_HINTS))
        by_family = _regular_files()
    for name in PREFERRED_FAMILIES:
        if name in by_family:
            return CJKFont(name, by_family[name])
    raise CJKFontError(
        "no CJK font found for Chinese map labels; install one, e.g. "
        "`sudo apt-get install fonts-noto-cjk` (Debian/Ubuntu) or run tools/bootstrap.sh"
    )


def mpl_rc(font: CJKFont | None = None) -> dict:
    """Matplotlib rc settings that draw all text in the CJK font (for ``rc_context``)."""
    font = font or cjk_font()
    return {
        "font.family": [font.family, "DejaVu Sans"],  # names, so text keeps them outside this context
        "font.sans-serif": [font.family, "DejaVu Sans"],
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
        "svg.fonttype": "path",
    }


@dataclass(frozen=True)
class FontFace:
    """One face of a font file for PDF embedding: the file and, in a collection (.ttc), the face's number."""

    path: Path
    index: int = 0


def _face_index(path: Path, family: str) -> int:
    """The number of ``family`` in a font collection (0 for a single font, or when not found)."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(str(path), lazy=True)
    except Exception:  # an unreadable collection: the first face
        return 0
    try:
        for i, font in enumerate(collection.fonts):
            names = {n.toUnicode() for n in font["name"].names if n.nameID in (1, 16)}
            if family in names:
                return i
    finally:
        collection.close()
    return 0


@functools.lru_cache(maxsize=1)
def pdf_faces() -> tuple[FontFace, FontFace]:
    """The regular and bold CJK faces to embed in a PDF report (the bold one is the regular one when none is installed).

    Raises
    ------
    CJKFontError
        When no CJK font is installed.
    """
    font = cjk_font()
    regular = FontFace(font.path, _face_index(font.path, font.family))
    bold_path = Path(str(font.path).replace("-Regular", "-Bold"))
    bold = FontFace(bold_path, _face_index(bold_path, font.family)) if bold_path != font.path and bold_path.is_file() \
        else regular
    return regular, bold
