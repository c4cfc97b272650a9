"""Siting guidance (选址引导, ``/api/guide``): the store's faces with the verdict a project type gets there and
the area totals per county, for the page's map."""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from ..context import CurrentUser, context_of
from ..http import ApiError, json_maybe_gzip, packed_text

__all__ = ["router"]

router = APIRouter()


@router.get("/api/guide")
async def guide(request: Request, user: CurrentUser, industry: str,
                national_major: Annotated[str | None, Query(pattern="^(yes|no)$")] = None,
                county: Annotated[str | None, Query(max_length=40)] = None):
    """Siting guidance (选址引导): the store's faces with the verdict ``industry`` gets there (GeoJSON,
    simplified for display) and the area totals per county; kept per store version and parameters."""
    from ..guide import guide_json

    if not industry.strip() or len(industry) > 100:
        raise ApiError(400, "industry: give a project type (e.g. 化工, 公路, 光伏)")
    major = None if national_major is None else national_major == "yes"
    out = await context_of(request).pool.call(guide_json, industry.strip(), major, county)
    if "error" in out:
        raise ApiError(out["status"], out["error"])
    return json_maybe_gzip(request, packed_text(request.app.state, "guide", out["json"]))
