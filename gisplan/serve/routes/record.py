"""The record: past screenings (``/api/screenings``), one screening, its site, its JSON and its reports
(rendered once by a worker from the recorded result, then served as they are)."""

import json
import os
import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import engine
from ..auth import User
from ..context import CurrentUser, context_of
from ..http import INSTANT, OUTPUT_TYPES, ApiError, client_ip, utc

__all__ = ["router", "recorded_before_groups"]

router = APIRouter()


def recorded_before_groups(result: dict) -> dict:
    """A result recorded by an older gisplan, completed as this one writes it: ``verdict.groups`` and ``coverage``.

    Both are computed from what the record holds by the functions that make them
    now (:func:`gisplan.finding_groups.group_findings`,
    :func:`gisplan.engine.single.coverage_of`; the data range's name is not kept, so
    it stays empty). A result that has them is returned as it is.
    """
    from ...engine.single import coverage_of
    from ...finding_groups import group_findings

    verdict = result.get("verdict")
    if isinstance(verdict, dict) and "groups" not in verdict:
        verdict["groups"] = group_findings(verdict.get("findings") or [])
    if "coverage" not in result:
        p = result.get("project") or {}
        has_units = not any("no control_units layer" in str(w) for w in result.get("warnings") or [])
        result["coverage"] = coverage_of(float(p.get("area_m2") or 0.0), float(p.get("outside_coverage_m2") or 0.0),
                                         has_units, "")
    return result


def _visible(request: Request, user: User, sid: str):
    """The record row of screening ``sid``: 404 when there is none, 403 when it is another reviewer's."""
    record = context_of(request).record
    if not record.valid_id(sid):
        raise ApiError(404, "no such screening")
    row = record.get(sid)
    if row is None:
        raise ApiError(404, "no such screening")
    if not user.is_admin and row.user != user.name:
        raise ApiError(403, "this screening belongs to another user")
    return row


@router.get("/api/screenings")
async def screenings(request: Request, user: CurrentUser, q: str | None = None,
                     date_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                     date_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                     since: Annotated[str | None, Query(pattern=INSTANT)] = None,
                     until: Annotated[str | None, Query(pattern=INSTANT)] = None,
                     verdict: Annotated[str | None, Query(pattern="^(prohibited|restricted|review|allowed|outside)$")] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    """Past screenings, newest first: yours (a reviewer) or everyone's (an admin).

    ``q`` searches site and file names, the project form (name, builder,
    project code), the industry, the verdict and unit codes (every word must
    be found); ``verdict`` keeps one decision (``outside``: sites wholly outside
    the store's data, where no verdict is given); ``from``/``to`` are UTC days,
    ``since``/``until`` UTC instants (``2026-01-31T16:00:00+00:00``).
    """
    rows = context_of(request).record.list(user=None if user.is_admin else user.name, q=q, date_from=date_from,
                                           date_to=date_to, since=utc(since), until=utc(until), verdict=verdict,
                                           limit=limit)
    return {"screenings": [r.summary() for r in rows]}


@router.get("/api/screenings/{sid}/site")
async def screening_site(request: Request, sid: str, user: CurrentUser):
    """The site and its screened footprint (GeoJSON, CGCS2000 lon/lat) of a recorded screening."""
    ctx = context_of(request)
    row = _visible(request, user, sid)
    again = {"upload": str(ctx.record.dir / row.upload), "client": row.client_filename, "params": row.params}
    out = await ctx.pool.call(engine.site_geojson, sid, str(ctx.record.dir), again)
    if "error" in out:
        raise ApiError(out["status"], out["error"], file=row.client_filename)
    return out


@router.get("/api/screenings/{sid}")
async def screening(request: Request, sid: str, user: CurrentUser):
    """One screening: its record entry, its result JSON and its notes in the page's words (``notes``)."""
    from ..messages import page_note

    row = _visible(request, user, sid)
    result = recorded_before_groups(json.loads(context_of(request).record.result_json(sid)))
    notes = [page_note(w, file=row.client_filename) for w in result.get("warnings") or []]
    return dict(row.summary(), result=result, notes=notes)


@router.get("/api/screenings/{sid}/report.json")
async def screening_json(request: Request, sid: str, user: CurrentUser):
    """The result JSON exactly as stored."""
    _visible(request, user, sid)
    return Response(context_of(request).record.result_json(sid), media_type="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{sid}.json"'})


@router.get("/api/screenings/{sid}/{name}")
async def screening_file(request: Request, sid: str, name: str, user: CurrentUser,
                         lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh"):
    """``report.docx|xlsx|png|pdf``, ``map.html`` or ``layers.gpkg|kmz`` (rendered once, then kept).

    ``report.pdf`` is the whole report (``ScreeningResult.to_pdf``). The maps and the
    DOCX/PDF figure are drawn over the server's basemap (``--basemap``).
    """
    if name not in OUTPUT_TYPES:
        raise ApiError(404, "not found")
    ctx = context_of(request)
    record = ctx.record
    row = _visible(request, user, sid)
    basemap = ctx.config.basemap
    folder = record.outputs_dir(sid, lang if basemap.kind == "offline" else f"{lang}-{basemap.key}")
    if not (folder / name).is_file():
        text = await run_in_threadpool(record.result_json, sid)
        again = {"upload": str(record.dir / row.upload), "client": row.client_filename, "params": row.params,
                 "generated_at": json.loads(text).get("generated_at", ""), "store_name": row.store_name}
        out = await ctx.pool.call(engine.render_output, sid, str(record.dir), row.store_sha256, str(folder), name,
                                  lang, again, basemap)
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        record.audit(user.name, "render", f"{sid} {name} {lang}", client_ip(request))
    disposition = "inline" if name == "map.html" else "attachment"
    stem = re.sub(r"[^\w\-]+", "_", row.site_name)[:60] or sid
    filename = f"{stem}_{sid}{os.path.splitext(name)[1]}"
    return FileResponse(folder / name, media_type=OUTPUT_TYPES[name], content_disposition_type=disposition,
                        filename=filename)
