"""The page's project form (项目名称, 建设单位, 项目代码, 建设性质) put on a screening result.

The form's vocabulary and checks belong to :mod:`gisplan.project_info` (the
report's side of issue 21). Until that module is in this branch, a minimal
stand-in here takes the same five natures of construction and writes the same
keys into the result's ``project`` object: ``builder``, ``project_code``,
``construction_nature`` (code), ``construction_nature_label`` (Chinese) and
``name`` when the form names the project. When :mod:`gisplan.project_info`
is present it is used instead (its checks, its warnings).
"""

from __future__ import annotations

__all__ = ["FORM_KEYS", "NATURES", "form_fields", "apply_project_form"]

#: The form fields of ``POST /api/screen`` that name the project.
FORM_KEYS = ("project_name", "builder", "project_code", "construction_nature")

#: Natures of construction (code -> zh, en), as the page lists them (stand-in for gisplan.project_info).
NATURES = {"new": ("新建", "new"), "reconstruction": ("改建", "reconstruction"), "expansion": ("扩建", "expansion"),
           "renovation": ("技术改造", "technical renovation"), "relocation": ("迁建", "relocation")}


def form_fields(opts: dict) -> dict:
    """The project form's values given in ``opts`` (empty ones left out)."""
    return {k: str(opts[k]).strip() for k in FORM_KEYS if opts.get(k) not in (None, "") and str(opts[k]).strip()}


def _project_form(fields: dict) -> tuple[dict, list[str]]:
    try:
        from ..project_info import project_form
    except ImportError:  # the stand-in (see the module docstring)
        from ..errors import InputError

        nature = fields.get("construction_nature")
        if nature is not None and nature not in NATURES:
            found = [k for k, (zh, en) in NATURES.items() if nature in (zh, en)]
            if not found:
                raise InputError(f"`construction_nature` {nature!r} is not one of "
                                 + ", ".join(f"{k} ({zh})" for k, (zh, _) in NATURES.items())) from None
            nature = found[0]
        out = {"builder": fields.get("builder"), "project_code": fields.get("project_code"),
               "construction_nature": nature, "construction_nature_label": NATURES[nature][0] if nature else None}
        if fields.get("project_name"):
            out["name"] = fields["project_name"]
        return out, []
    return project_form(name=fields.get("project_name"), builder=fields.get("builder"),
                        project_code=fields.get("project_code"),
                        construction_nature_value=fields.get("construction_nature"))


def apply_project_form(result, opts: dict) -> dict:
    """Write the form's fields into ``result.project`` (keys the screening already set are kept).

    Without any field given, ``result`` is left as it is.

    Returns
    -------
    dict
        The fields as recorded (``project_name``, ``builder``, ``project_code``, ``construction_nature``).

    Raises
    ------
    InputError
        A nature of construction that is none of the five, or text that is too long.
    """
    fields = form_fields(opts)
    if not fields:  # nothing given: the result stays exactly what the screening made
        return {k: None for k in FORM_KEYS}
    values, warnings = _project_form(fields)
    project = result.project
    for key, value in values.items():
        if key == "name":
            if value:
                project["name"] = value
        elif project.get(key) is None:
            project[key] = value
    for w in warnings:
        if w not in result.warnings:
            result.warnings.append(w)
    return {k: fields.get(k) for k in FORM_KEYS}
