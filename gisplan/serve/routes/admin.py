"""What only an admin may do: read the audit log and import layers and access-list clauses into the store."""

import secrets
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile

from .. import engine
from ...vocab import KINDS
from ..auth import User
from ..context import CurrentUser, check_csrf, context_of, keep_upload, options, require_admin
from ..http import ApiError, client_ip, client_name, extension

__all__ = ["router"]

router = APIRouter()


@router.get("/api/audit")
async def audit(request: Request, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=5000)] = 500):
    """The audit log (admin)."""
    require_admin(user)
    return {"audit": context_of(request).record.audit_log(limit)}


async def _admin_import(request: Request, user: User, file: UploadFile, what: str, label: str, fn, *args) -> dict:
    require_admin(user)
    ctx = context_of(request)
    target = ctx.tmp_dir / (secrets.token_hex(8) + extension(client_name(file.filename)))
    try:
        name = await keep_upload(file, target)
        out = await ctx.pool.call(fn, str(target), name, *args, timeout_s=max(ctx.pool.timeout_s, 600))
    finally:
        target.unlink(missing_ok=True)
    ip = client_ip(request)
    if "error" in out:
        ctx.record.audit(user.name, f"{what}_refused", f"{label} {name}: {out['error']}", ip)
        raise ApiError(out["status"], out["error"])
    # no pool restart: each worker's open_store sees the replaced file on its next call
    ctx.record.audit(user.name, what, f"{label} {name}: " + " | ".join(out["lines"])[:2000], ip)
    return out


@router.post("/api/layers/{kind}")
async def import_layer(request: Request, kind: str, user: CurrentUser, file: Annotated[UploadFile, File()],
                       layer: Annotated[str | None, Form()] = None, encoding: Annotated[str | None, Form()] = None,
                       source_crs: Annotated[str | None, Form()] = None,
                       map: Annotated[list[str] | None, Form()] = None,
                       csrf_token: Annotated[str | None, Form()] = None):
    """Import a file as layer ``kind`` of the store (admin; as ``gisplan layers import``)."""
    check_csrf(request, csrf_token)
    if kind not in KINDS:
        raise ApiError(404, f"no layer kind {kind!r}; one of {', '.join(KINDS)}")
    opts = options(layer=layer, encoding=encoding, source_crs=source_crs, map=map)
    return await _admin_import(request, user, file, "import_layer", kind, engine.import_layer_file, kind, opts)


@router.post("/api/rules")
async def import_rules(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
                       sheet: Annotated[str | None, Form()] = None, map: Annotated[list[str] | None, Form()] = None,
                       clear: Annotated[bool, Form()] = False, csrf_token: Annotated[str | None, Form()] = None):
    """Import access-list clauses (XLSX/CSV) into the store (admin; as ``gisplan rules import``)."""
    check_csrf(request, csrf_token)
    opts = options(sheet=sheet, map=map, clear=clear)
    return await _admin_import(request, user, file, "import_rules", "access list", engine.import_rules_file, opts)
