"""The store the server screens against: its layers (``/api/layers``), its zoning as the drawing map's backdrop
(``/api/backdrop``) and a control unit's card (``/api/units/{code}``)."""

import re

from fastapi import APIRouter, Request

from .. import engine
from ..context import CurrentUser, context_of
from ..http import ApiError, json_maybe_gzip, packed_text

__all__ = ["router"]

router = APIRouter()


@router.get("/api/layers")
async def layers(request: Request, user: CurrentUser):
    """The store: name, SHA-256, layer versions and a per-kind summary."""
    out = await context_of(request).pool.call(engine.store_info)
    if "error" in out:
        raise ApiError(out["status"], out["error"])
    return out


@router.get("/api/backdrop")
async def backdrop(request: Request, user: CurrentUser):
    """The store's control units, simplified (GeoJSON), for the drawing map."""
    out = await context_of(request).pool.call(engine.backdrop_json)  # kept per store version by the worker
    if "error" in out:
        raise ApiError(out["status"], out["error"])
    return json_maybe_gzip(request, packed_text(request.app.state, "backdrop", out["json"]))


@router.get("/api/units/{code}")
async def unit(request: Request, code: str, user: CurrentUser):
    """A control unit's card: code, name, category, county, area and its access-list clauses by dimension."""
    if not re.fullmatch(r"[\w\-.]{1,40}", code):
        raise ApiError(404, f"no control unit {code[:40]}")
    out = await context_of(request).pool.call(engine.unit_card, code)
    if "error" in out:
        raise ApiError(out["status"], out["error"])
    return out
