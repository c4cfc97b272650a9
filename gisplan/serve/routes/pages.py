"""The reviewer's page: ``/``, its static files, the offline API reference (``/docs``) and the words it shares
with the reports (``/api/labels``)."""

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from ..http import ApiError, leaflet_file, static_file

__all__ = ["router"]

router = APIRouter()


@router.get("/", include_in_schema=False)
async def page():
    return FileResponse(static_file("index.html"), media_type="text/html; charset=utf-8")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon():
    return Response(status_code=204)


@router.get("/docs", include_in_schema=False)
async def docs():
    return FileResponse(static_file("docs.html"), media_type="text/html; charset=utf-8")


@router.get("/static/{name}", include_in_schema=False)
async def static(name: str):
    if name in ("app.js", "i18n.js", "map.js", "app.css", "index.html", "docs.js", "guide.js"):
        return FileResponse(static_file(name))
    if name in ("leaflet.js", "leaflet.css"):
        return FileResponse(leaflet_file(name))
    raise ApiError(404, "not found")


@router.get("/api/labels")
async def labels_():
    """The words the page shares with the reports: decisions (gisplan.labels), map colours, the form's choices."""
    from ...engine.single import OUTSIDE_LABEL
    from ...finding_groups import GROUP_ORDER, group_label
    from ...labels import DECISION_LABELS
    from ...project_info import CONSTRUCTION_NATURES, CONSTRUCTION_NATURES_EN
    from ...render import palette
    from ...vocab import ELEMENT_KINDS
    from ..messages import crs_choices

    # a site wholly outside the data: `review` in the JSON, but no verdict is given (the page and record say so)
    decisions = {lang: dict(words, outside=OUTSIDE_LABEL if lang == "zh" else "outside the data: no verdict given")
                 for lang, words in DECISION_LABELS.items()}
    return {"decisions": decisions, "crs": crs_choices(),
            "groups": {k: {"zh": group_label(k, "zh"), "en": group_label(k, "en")}
                       for k in (*GROUP_ORDER, *ELEMENT_KINDS)},
            "natures": [{"value": k, "zh": zh, "en": CONSTRUCTION_NATURES_EN[k]}
                        for k, zh in CONSTRUCTION_NATURES.items()],
            "colours": {"category": palette.CATEGORY_COLOURS, "redline": palette.REDLINE_COLOUR,
                        "site": palette.SITE_COLOUR, "protected": palette.PROTECTED_COLOURS,
                        "water": palette.WATER_COLOURS}}
