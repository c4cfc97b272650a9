"""What every route of ``gisplan serve`` shares: the error answer, the middleware, upload and form helpers.

Errors are JSON ``{"error": "...", "code", "message": {"zh", "en"}}`` (:class:`ApiError`), never a
traceback or a server path; :class:`BodyLimit` answers 413 above the upload limit and :class:`Headers`
sets the security headers (and 403 for other host names without ``--users``).
"""

from __future__ import annotations

import json
import os
import re
from importlib import resources
from pathlib import Path

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import URL, MutableHeaders
from starlette.datastructures import UploadFile as FormFile

from ..render.basemap import BasemapSpec
from .messages import page_message

__all__ = ["ApiError", "BodyLimit", "Headers", "OUTPUT_TYPES", "INLINE_UPLOAD_BYTES", "COMMIT_GRACE_S", "INSTANT",
           "error_body", "error_response", "tile_origins", "form_openapi", "parse_form", "client_ip", "client_name",
           "extension", "save_upload", "static_file", "leaflet_file", "utc", "packed_text", "json_maybe_gzip"]

OUTPUT_TYPES = {"report.docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "report.png": "image/png", "report.pdf": "application/pdf", "map.html": "text/html; charset=utf-8",
                # the overlay as layers (issue 24): QGIS/ArcGIS, and Google Earth / 奥维
                "layers.gpkg": "application/geopackage+sqlite3", "layers.kmz": "application/vnd.google-earth.kmz"}
#: Uploads up to this size are copied to the data folder on the event loop (they are in memory already).
INLINE_UPLOAD_BYTES = 1 << 20
#: How long after the time limit a worker that checks the limit itself is given before it is killed.
COMMIT_GRACE_S = 2.0
_EXT = re.compile(r"^\.[a-z0-9]{1,8}$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_PAGE_CSP = ("default-src 'self'; img-src 'self' data: blob:{tiles}; style-src 'self' 'unsafe-inline'; script-src 'self'; "
             "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
_MAP_CSP = ("default-src 'none'; img-src 'self' data: blob:{tiles}; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline' 'unsafe-eval'; frame-ancestors 'self'; base-uri 'none'")


def tile_origins(basemap: BasemapSpec) -> str:
    """The origins a tile URL template loads from (``{s}`` expanded), for the pages' CSP."""
    if basemap.kind != "url":
        return ""
    from urllib.parse import urlsplit

    hosts = []
    for sub in basemap.subdomains or "a":
        parts = urlsplit(basemap.source.replace("{s}", sub))
        hosts.append(f"{parts.scheme}://{parts.netloc}")
    return "".join(" " + h for h in dict.fromkeys(hosts))


def form_openapi(model: type[BaseModel]) -> dict:
    """The OpenAPI request body of a multipart form: ``file`` plus the fields of ``model``."""
    schema = model.model_json_schema()
    properties = {"file": {"type": "string", "format": "binary", "description": "the site file"},
                  **schema["properties"]}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": properties}}}}}


def parse_form(form, model: type[BaseModel]) -> tuple[FormFile, dict]:
    """The uploaded ``file`` and the validated fields of a multipart form (422 as FastAPI would answer).

    Parsed here rather than by FastAPI's per-parameter form machinery, which
    costs about 1 ms a request (a third of the server's own work per screening).
    Empty fields count as not given, as FastAPI takes them.
    """
    file = form.get("file")
    values = {k: v for k, v in form.multi_items() if k != "file" and isinstance(v, str) and v != ""}
    errors = [] if isinstance(file, FormFile) else [{"type": "missing", "loc": ("body", "file"),
                                                       "msg": "Field required", "input": None}]
    try:
        fields = model.model_validate(values).model_dump()
    except ValidationError as exc:
        errors += [dict(e, loc=("body", *e["loc"])) for e in exc.errors(include_url=False)]
    if errors:
        raise RequestValidationError(errors)
    return file, fields


class ApiError(Exception):
    """An error answered as ``{"error": message, "code", "message": {"zh", "en"}}`` with ``status``.

    ``file`` is the file as the user named it, for the page's words (see :mod:`gisplan.serve.messages`).
    """

    def __init__(self, status: int, message: str, file: str | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.file = file


# --------------------------------------------------------------------------- middleware


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: a request body above ``max_bytes`` gets 413 (by Content-Length or while reading)."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await send_json(send, 413, self._message())
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    scope["gisplan.too_large"] = True  # FastAPI turns body errors into 400: the handler looks here
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await send_json(send, 413, self._message())

    def _message(self) -> str:
        return f"the upload is larger than the limit of {self.max_bytes // (1024 * 1024)} MB (--max-upload-mb)"


def error_body(status: int, message: str, file: str | None = None) -> dict:
    """The JSON of an error: the one-line message (``error``, as the CLI says it) and the page's words."""
    words = page_message(message, status=status, file=file)
    return {"error": message, "code": words["code"], "message": {"zh": words["zh"], "en": words["en"]}}


async def send_json(send, status: int, message: str) -> None:
    body = json.dumps(error_body(status, message), ensure_ascii=False).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class Headers:
    """ASGI middleware: security headers on every answer; 403 for other host names without --users.

    (A plain ASGI middleware: FastAPI's ``@app.middleware("http")`` wraps every
    response in a stream and a task, which costs a busy server about 1 ms a request.)
    """

    def __init__(self, app, loopback_only: bool, tiles: str = ""):
        self.app = app
        self.loopback_only = loopback_only
        self.page_csp = _PAGE_CSP.format(tiles=tiles)
        self.map_csp = _MAP_CSP.format(tiles=tiles)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.loopback_only and (URL(scope=scope).hostname or "") not in _LOOPBACK_HOSTS:
            return await error_response(403, "this server (no --users) answers only to loopback host names")(scope, receive, send)
        is_map = scope["path"].endswith("/map.html")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"),
                                    ("Cache-Control", "no-store")):
                    headers.setdefault(name, value)
                if is_map:
                    headers["Content-Security-Policy"] = self.map_csp
                    headers["X-Frame-Options"] = "SAMEORIGIN"
                else:
                    headers.setdefault("Content-Security-Policy", self.page_csp)
                    headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error_response(status: int, message: str, file: str | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message, file), status_code=status)


# --------------------------------------------------------------------------- helpers


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def client_name(filename: str | None) -> str:
    """The client's file name reduced to its last part (kept as text only, never as a path)."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "site"


def extension(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return ext if _EXT.match(ext) else ""


def save_upload(src, target: Path) -> int:
    """Copy the upload to ``target`` (a new file; not yet fsync'ed: see :func:`_sync`)."""
    src.seek(0)
    size = 0
    with open(target, "xb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            out.write(block)
            size += len(block)
    return size


def static_file(name: str) -> Path:
    return Path(str(resources.files("gisplan.serve").joinpath("static", name)))


def leaflet_file(name: str) -> Path:
    return Path(str(resources.files("gisplan.render").joinpath("static", name)))


INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def utc(instant: str | None) -> str | None:
    """An ISO 8601 instant as the record writes times (UTC, ``+00:00``, to the second)."""
    if not instant:
        return None
    from datetime import datetime, timezone

    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat(timespec="seconds")


def packed_text(state, key: str, text: str) -> tuple[bytes, bytes]:
    """A large JSON answer from a worker kept as it is sent, plain and gzip-compressed (again only when the text changed: a new store)."""
    import gzip

    body = text.encode("utf-8")
    kept = getattr(state, f"packed_{key}", None)
    if kept is None or kept[0] != body:
        kept = (body, gzip.compress(body, compresslevel=6, mtime=0))
        setattr(state, f"packed_{key}", kept)
    return kept


def json_maybe_gzip(request: Request, packed: tuple[bytes, bytes]) -> Response:
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed[1], media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(packed[0], media_type="application/json", headers={"Vary": "Accept-Encoding"})


