"""Reading and screening a site: ``/api/read`` (what ``gisplan read`` says), ``/api/screen`` (the screening,
recorded) and ``/api/industries`` (the project-type type-ahead of the screening form)."""

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from .. import engine
from ..auth import User
from ..context import CurrentUser, check_csrf, context_of, keep_upload, options
from ..http import COMMIT_GRACE_S, ApiError, client_ip, client_name, extension, form_openapi, parse_form

__all__ = ["router", "ScreenForm"]

router = APIRouter()


class ScreenForm(BaseModel):
    """The form fields of ``POST /api/screen`` besides ``file`` (as the options of ``gisplan screen``)."""

    model_config = ConfigDict(extra="ignore")

    radius: float | None = Field(None, description="buffer radius of a point site (m)")
    width: float | None = Field(None, description="corridor width of a line site (m)")
    buffer: float = Field(5000.0, description="distance searched around the site (m)")
    industry: str | None = Field(None, description="project type (GB/T 4754 code, EIA catalogue item or name)")
    national_major: str | None = Field(None, pattern="^(yes|no|unknown)?$",
                                       description="a national major project (yes, no, unknown)")
    source_crs: str | None = Field(None, description="CRS of the coordinates (EPSG code, WKT, gcj02, bd09)")
    layer: str | None = Field(None, description="layer, zip member or sheet to read")
    encoding: str | None = Field(None, description="text encoding of a shapefile or CSV")
    cm: int | None = Field(None, description="central meridian of GK metres without zone prefix")
    towgs84: str | None = Field(None, description="Bursa-Wolf parameters of a Xian 1980 / Beijing 1954 source")
    dxf_layer: str | None = Field(None, description="read only this DXF layer")
    # the project form: gisplan.screen checks these (200 characters at most, one of five natures), and the page
    # says which field is wrong; the limits here only bound what is carried to it
    project_name: str | None = Field(None, max_length=2000, description="项目名称 (the site's name when not given)")
    builder: str | None = Field(None, max_length=2000, description="建设单位")
    project_code: str | None = Field(None, max_length=2000, description="项目代码 (投资项目统一代码)")
    construction_nature: str | None = Field(None, max_length=2000,
                                            description="建设性质: new, reconstruction, expansion, renovation, "
                                                        "relocation (or 新建, 改建, 扩建, 技术改造, 迁建)")
    csrf_token: str | None = Field(None, description="the CSRF token of a browser session")


@router.post("/api/read")
async def read(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
               source_crs: Annotated[str | None, Form()] = None, layer: Annotated[str | None, Form()] = None,
               encoding: Annotated[str | None, Form()] = None, cm: Annotated[int | None, Form()] = None,
               towgs84: Annotated[str | None, Form()] = None, dxf_layer: Annotated[str | None, Form()] = None,
               csrf_token: Annotated[str | None, Form()] = None):
    """What ``gisplan read`` understands of a site file (format, CRS and why, parts, area, warnings)."""
    check_csrf(request, csrf_token)
    ctx = context_of(request)
    name = client_name(file.filename)
    target = ctx.tmp_dir / (secrets.token_hex(8) + extension(name))
    try:
        await keep_upload(file, target)
        out = await ctx.pool.call(engine.read_upload, str(target), name,
                                  options(source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                                          towgs84=towgs84, dxf_layer=dxf_layer))
    finally:
        target.unlink(missing_ok=True)
    if "error" in out:
        raise ApiError(out["status"], out["error"], file=name)
    return out


@router.post("/api/screen", openapi_extra=form_openapi(ScreenForm))
async def screen(request: Request, user: CurrentUser):
    """Screen a site file; returns exactly the JSON of ``gisplan screen --json`` plus ``id``.

    Multipart form: ``file`` (the site file) and the fields below (as ``gisplan screen``).
    """
    async with request.form() as form:
        file, fields = parse_form(form, ScreenForm)
        return await _screen(request, user, file, **fields)


async def _screen(request: Request, user: User, file: UploadFile, *, radius, width, buffer, industry,
                  national_major, source_crs, layer, encoding, cm, towgs84, dxf_layer, csrf_token,
                  project_name=None, builder=None, project_code=None, construction_nature=None) -> Response:
    check_csrf(request, csrf_token)
    ctx = context_of(request)
    record, pool = ctx.record, ctx.pool
    t0 = time.perf_counter()
    sid = record.new_id()
    client = client_name(file.filename)
    target = record.upload_path(sid, extension(client))
    await keep_upload(file, target)
    opts = options(radius=radius, width=width, buffer=buffer, industry=industry, national_major=national_major,
                   source_crs=source_crs, layer=layer, encoding=encoding, cm=cm, towgs84=towgs84,
                   dxf_layer=dxf_layer, project_name=project_name, builder=builder, project_code=project_code,
                   construction_nature=construction_nature)
    ip = client_ip(request)
    limit = pool.timeout_s
    deadline = time.monotonic() + limit
    # the worker screens, fsyncs the upload and commits the record row; nothing after the deadline
    out = await pool.call(engine.screen_and_record, sid, str(target), client, opts, user.name, ip,
                          str(record.dir), deadline, limit, timeout_s=limit, grace_s=COMMIT_GRACE_S)
    if "error" in out:
        target.unlink(missing_ok=True)
        record.audit(user.name, "screen_refused", f"{client}: {out['error']}", ip)
        raise ApiError(out["status"], out["error"], file=client)
    timing = (f"engine;dur={out['engine_s'] * 1000:.1f}, record;dur={out['record_s'] * 1000:.1f}, "
              f"total;dur={(time.perf_counter() - t0) * 1000:.1f}")
    return Response(out["body"], media_type="application/json", headers={"Server-Timing": timing})


@router.get("/api/industries")
async def industries_(user: CurrentUser, q: str = "", limit: Annotated[int, Query(ge=1, le=300)] = 20):
    """Project types matching what is typed in ``q`` (a type-ahead), best first.

    Each: ``code``, ``name``, ``catalogue_item`` (the 2021 EIA catalogue's
    number, or null), ``catalogue_section``, ``scheme``, ``scheme_label``,
    ``matched_by``, ``label`` (:func:`gisplan.rules.industry.suggest`) and
    ``eia_section`` (the same as ``catalogue_section``, for older clients).
    """
    from ...rules.industry import suggest

    return {"industries": [dict(s, eia_section=s.get("catalogue_section") or "")
                           for s in suggest(q, limit, catalogue_only=False)]}
