"""The project as a reviewer names it: 项目名称, 建设单位, 项目代码, 建设性质 (the project form).

A leaf module (it imports nothing of gisplan but the errors): the screening
(:func:`gisplan.screen`), the command line and the renderers take the form's
vocabulary from here. Nothing here decides a verdict: the form names the
project in the report (表1) and the JSON ``project`` object.

- **建设性质** (nature of construction) has five codes, as the investment
  project forms and EIA report forms list them: ``new`` 新建, ``reconstruction``
  改建, ``expansion`` 扩建, ``renovation`` 技术改造, ``relocation`` 迁建. The
  code or the Chinese word is accepted; anything else is refused.
- **项目代码** (投资项目统一代码) is issued by the national investment project
  online approval platform as ``YYYY-AAAAAA-II-TT-NNNNNN`` (year, 6-digit
  administrative code, 2-digit industry, 2-digit project type, 6-digit serial).
  A code of another shape is kept as given, with a warning (old projects and
  local systems use other numbers): a check, not a refusal.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import InputError

__all__ = ["CONSTRUCTION_NATURES", "CONSTRUCTION_NATURES_EN", "PROJECT_CODE_PATTERN", "construction_nature",
           "project_code_problem", "clean_text", "project_form"]

#: Code -> Chinese word of each nature of construction (建设性质), in the order forms list them.
CONSTRUCTION_NATURES: dict[str, str] = {
    "new": "新建",
    "reconstruction": "改建",
    "expansion": "扩建",
    "renovation": "技术改造",
    "relocation": "迁建",
}
#: Code -> English words.
CONSTRUCTION_NATURES_EN: dict[str, str] = {
    "new": "new", "reconstruction": "reconstruction", "expansion": "expansion",
    "renovation": "technical renovation", "relocation": "relocation",
}
_NATURE_WORDS = {
    **{v: k for k, v in CONSTRUCTION_NATURES.items()},
    **{v: k for k, v in CONSTRUCTION_NATURES_EN.items()},
    "技改": "renovation", "新建项目": "new", "改建项目": "reconstruction", "扩建项目": "expansion",
    "技术改造项目": "renovation", "迁建项目": "relocation", "搬迁": "relocation", "异地迁建": "relocation",
    "rebuild": "reconstruction", "rebuilt": "reconstruction", "expanded": "expansion", "relocated": "relocation",
}
#: The shape of a 投资项目统一代码: ``2020-222403-44-01-012345``.
PROJECT_CODE_PATTERN = re.compile(r"^\d{4}-\d{6}-\d{2}-\d{2}-\d{6}$")
_MAX_TEXT = 200


def clean_text(value, what: str) -> str | None:
    """A form field as one line of text (None when empty); refused when not text or over 200 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"`{what}` must be text, got {type(value).__name__}")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    if len(text) > _MAX_TEXT:
        raise InputError(f"`{what}` is longer than {_MAX_TEXT} characters")
    return text or None


def construction_nature(value) -> str | None:
    """The code of a nature of construction given as code or words (None when not given).

    Examples
    --------
    >>> construction_nature("扩建"), construction_nature("renovation"), construction_nature(None)
    ('expansion', 'renovation', None)

    Raises
    ------
    InputError
        For any other value (naming the five accepted ones).
    """
    text = clean_text(value, "construction_nature")
    if text is None:
        return None
    key = text.lower()
    if key in CONSTRUCTION_NATURES:
        return key
    code = _NATURE_WORDS.get(text) or _NATURE_WORDS.get(key)
    if code is None:
        choices = ", ".join(f"{k} ({v})" for k, v in CONSTRUCTION_NATURES.items())
        raise InputError(f"`construction_nature` {text!r} is not one of {choices}")
    return code


def project_code_problem(code: str | None) -> str | None:
    """Why a project code does not look like a 投资项目统一代码, or None when it does (or is not given).

    Examples
    --------
    >>> project_code_problem("2020-222403-44-01-012345") is None
    True
    >>> project_code_problem("延发改审批〔2020〕12号")[:12]
    'project code'
    """
    if not code:
        return None
    if PROJECT_CODE_PATTERN.match(code):
        return None
    return (f"project code {code!r} does not have the shape of an investment project code "
            "(投资项目统一代码 YYYY-AAAAAA-II-TT-NNNNNN); kept as given")


def project_form(*, name=None, builder=None, project_code=None, construction_nature_value=None) -> tuple[dict, list[str]]:
    """The project form's fields as the JSON ``project`` object holds them, and the warnings they raise.

    Returns
    -------
    fields : dict
        ``builder``, ``project_code``, ``construction_nature`` (code) and
        ``construction_nature_label`` (Chinese), and ``name`` when given.
    warnings : list of str
    """
    out: dict = {}
    warnings: list[str] = []
    name = clean_text(name, "project_name")
    if name:
        out["name"] = name
    out["builder"] = clean_text(builder, "builder")
    out["project_code"] = clean_text(project_code, "project_code")
    problem = project_code_problem(out["project_code"])
    if problem:
        warnings.append(problem)
    nature = construction_nature(construction_nature_value)
    out["construction_nature"] = nature
    out["construction_nature_label"] = CONSTRUCTION_NATURES.get(nature) if nature else None
    return out, warnings
