"""The page's basemap: what it draws (``/api/basemap``), the tiles of a server's MBTiles/PMTiles file and the
offline county boundaries and seats around the store."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from .. import engine
from ..context import CurrentUser, context_of
from ..http import ApiError, json_maybe_gzip, packed_text

__all__ = ["router"]

router = APIRouter()


@router.get("/api/basemap")
async def basemap_info(request: Request, user: CurrentUser):
    """The basemap the page draws: the offline vector basemap and, when configured, tiles (URL, CRS, zooms)."""
    ctx = context_of(request)
    spec, tile_file = ctx.config.basemap, ctx.tile_file
    out = {"kind": spec.kind, "crs": spec.crs, "attribution": spec.attribution}
    if spec.kind == "url":
        out.update(url=spec.source, subdomains=spec.subdomains, minzoom=0, maxzoom=18)
    elif spec.kind == "file":
        out.update(url="/api/basemap/tiles/{z}/{x}/{y}", subdomains="", minzoom=tile_file.minzoom,
                   maxzoom=tile_file.maxzoom, bounds=tile_file.bounds,
                   attribution=spec.attribution or tile_file.name)
    return out


@router.get("/api/basemap/tiles/{z}/{x}/{y}")
async def basemap_tile(request: Request, z: int, x: int, y: int, user: CurrentUser):
    """One tile of the server's MBTiles/PMTiles basemap (404 where the file has none)."""
    tile_file = context_of(request).tile_file
    if tile_file is None or not (0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
        raise ApiError(404, "not found")
    data = tile_file.get(z, x, y)
    if data is None:
        raise ApiError(404, "not found")
    return Response(data, media_type=tile_file.content_type, headers={"Cache-Control": "private, max-age=86400"})


@router.get("/api/basemap/offline")
async def basemap_offline(request: Request, user: CurrentUser):
    """The offline basemap around the store (GeoJSON): county boundaries (lines) and seats (points)."""
    out = await context_of(request).pool.call(engine.offline_json)  # kept per store version by the worker
    if "error" in out:
        raise ApiError(out["status"], out["error"])
    return json_maybe_gzip(request, packed_text(request.app.state, "offline", out["json"]))
