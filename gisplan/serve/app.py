"""The FastAPI application: the reviewer's page and the HTTP API (OpenAPI at ``/docs``).

Errors are JSON ``{"error": "..."}`` (400 bad input with the CLI's one-line
messages, 401, 403, 404, 413, 422, 429, 504), never a traceback or a server path.
"""


import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URL, MutableHeaders
from starlette.datastructures import UploadFile as FormFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..render.basemap import BasemapSpec
from ..vocab import KINDS as VOCAB_KINDS
from . import engine
from .messages import page_message
from .auth import LOCAL_USER, RateLimiter, User, Users, hash_token, new_token, same
from .pool import EnginePool
from .record import Record

__all__ = ["ServeConfig", "create_app", "KINDS"]

#: Layer kinds an admin may import through the API (the four zoning kinds and the element zones).
KINDS = VOCAB_KINDS
SESSION_COOKIE = "gisplan_session"
PRELOGIN_COOKIE = "gisplan_prelogin"
SESSION_TTL_S = 12 * 3600
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


def _tile_origins(basemap: BasemapSpec) -> str:
    """The origins a tile URL template loads from (``{s}`` expanded), for the pages' CSP."""
    if basemap.kind != "url":
        return ""
    from urllib.parse import urlsplit

    hosts = []
    for sub in basemap.subdomains or "a":
        parts = urlsplit(basemap.source.replace("{s}", sub))
        hosts.append(f"{parts.scheme}://{parts.netloc}")
    return "".join(" " + h for h in dict.fromkeys(hosts))


@dataclass
class ServeConfig:
    """How ``gisplan serve`` runs.

    Attributes
    ----------
    store : Path
        The layer store (GeoPackage).
    data_dir : Path
        The record (SQLite, uploads, results, rendered reports).
    users : Path or None
        The users file; None means one local user (loopback only).
    max_upload_mb : float
    workers : int
    timeout_s : float
        Time limit of one screening.
    basemap : BasemapSpec
        The basemap of the page, the HTML map, the PNG map and the DOCX figure
        (default: the bundled offline county boundaries and seats).
    """

    store: Path
    data_dir: Path
    users: Path | None = None
    max_upload_mb: float = 50.0
    workers: int = 2
    timeout_s: float = 120.0
    basemap: BasemapSpec = BasemapSpec()


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


def _form_openapi(model: type[BaseModel]) -> dict:
    """The OpenAPI request body of a multipart form: ``file`` plus the fields of ``model``."""
    schema = model.model_json_schema()
    properties = {"file": {"type": "string", "format": "binary", "description": "the site file"},
                  **schema["properties"]}
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["file"], "properties": properties}}}}}


def _parse_form(form, model: type[BaseModel]) -> tuple[FormFile, dict]:
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
            return await _send_json(send, 413, self._message())
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
                await _send_json(send, 413, self._message())

    def _message(self) -> str:
        return f"the upload is larger than the limit of {self.max_bytes // (1024 * 1024)} MB (--max-upload-mb)"


def _error_body(status: int, message: str, file: str | None = None) -> dict:
    """The JSON of an error: the one-line message (``error``, as the CLI says it) and the page's words."""
    words = page_message(message, status=status, file=file)
    return {"error": message, "code": words["code"], "message": {"zh": words["zh"], "en": words["en"]}}


async def _send_json(send, status: int, message: str) -> None:
    body = json.dumps(_error_body(status, message), ensure_ascii=False).encode("utf-8")
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
            return await _error(403, "this server (no --users) answers only to loopback host names")(scope, receive, send)
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


def _error(status: int, message: str, file: str | None = None) -> JSONResponse:
    return JSONResponse(_error_body(status, message, file), status_code=status)


# --------------------------------------------------------------------------- helpers


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _client_name(filename: str | None) -> str:
    """The client's file name reduced to its last part (kept as text only, never as a path)."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:200]
    return name or "site"


def _extension(name: str) -> str:
    ext = os.path.splitext(name)[1].lower()
    return ext if _EXT.match(ext) else ""


def _save_upload(src, target: Path) -> int:
    """Copy the upload to ``target`` (a new file; not yet fsync'ed: see :func:`_sync`)."""
    src.seek(0)
    size = 0
    with open(target, "xb") as out:
        for block in iter(lambda: src.read(1 << 20), b""):
            out.write(block)
            size += len(block)
    return size


def claim_data_dir(data_dir: Path, wait_s: float = 5.0) -> tuple[int | None, bool]:
    """Hold the data folder's serving lock for the server's life: ``(descriptor, alone)``.

    Every server and every screening worker holds ``.serve.lock`` shared; at
    start-up a server first tries it exclusively (for up to ``wait_s``, while
    the workers of a killed server end): ``alone`` means nobody else uses the
    folder, so what killed screenings left behind can be removed safely.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no clean-up, nothing removed
        return None, False
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / ".serve.lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            alone = True
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                alone = False
                break
            time.sleep(0.1)
    if not alone:
        fcntl.flock(fd, fcntl.LOCK_SH)
    return fd, alone


def share_data_dir(fd: int | None) -> None:
    """Turn the exclusive serving lock taken at start-up into a shared one (the workers take it shared too)."""
    if fd is None:
        return
    import fcntl

    fcntl.flock(fd, fcntl.LOCK_SH)


def _static(name: str) -> Path:
    return Path(str(resources.files("gisplan.serve").joinpath("static", name)))


def _leaflet(name: str) -> Path:
    return Path(str(resources.files("gisplan.render").joinpath("static", name)))


_INSTANT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"


def _utc(instant: str | None) -> str | None:
    """An ISO 8601 instant as the record writes times (UTC, ``+00:00``, to the second)."""
    if not instant:
        return None
    from datetime import datetime, timezone

    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(timezone.utc).isoformat(timespec="seconds")


def _packed_text(state, key: str, text: str) -> tuple[bytes, bytes]:
    """A large JSON answer from a worker kept as it is sent, plain and gzip-compressed (again only when the text changed: a new store)."""
    import gzip

    body = text.encode("utf-8")
    kept = getattr(state, f"packed_{key}", None)
    if kept is None or kept[0] != body:
        kept = (body, gzip.compress(body, compresslevel=6, mtime=0))
        setattr(state, f"packed_{key}", kept)
    return kept


def _json_maybe_gzip(request: Request, packed: tuple[bytes, bytes]) -> Response:
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(packed[1], media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Vary": "Accept-Encoding"})
    return Response(packed[0], media_type="application/json", headers={"Vary": "Accept-Encoding"})


def _recorded_before_groups(result: dict) -> dict:
    """A result recorded by an older gisplan, completed as this one writes it: ``verdict.groups`` and ``coverage``.

    Both are computed from what the record holds by the functions that make them
    now (:func:`gisplan.finding_groups.group_findings`,
    :func:`gisplan.engine.single.coverage_of`; the data range's name is not kept, so
    it stays empty). A result that has them is returned as it is.
    """
    from ..engine.single import coverage_of
    from ..finding_groups import group_findings

    verdict = result.get("verdict")
    if isinstance(verdict, dict) and "groups" not in verdict:
        verdict["groups"] = group_findings(verdict.get("findings") or [])
    if "coverage" not in result:
        p = result.get("project") or {}
        has_units = not any("no control_units layer" in str(w) for w in result.get("warnings") or [])
        result["coverage"] = coverage_of(float(p.get("area_m2") or 0.0), float(p.get("outside_coverage_m2") or 0.0),
                                         has_units, "")
    return result


# --------------------------------------------------------------------------- app


def create_app(config: ServeConfig, *, pool: EnginePool | None = None) -> FastAPI:
    """Build the web application for one store and data folder.

    Parameters
    ----------
    config : ServeConfig
    pool : EnginePool, optional
        The worker pool (default: a new one of ``config.workers`` workers).

    Returns
    -------
    FastAPI
    """
    app = FastAPI(title="gisplan", version="1", description="Screen project sites against 三线一单 zoning.",
                  docs_url=None, redoc_url=None)  # /docs is an offline page below (Swagger UI needs a CDN)
    record = Record(config.data_dir)
    users = Users(config.users) if config.users else None
    pool = pool or EnginePool(str(config.store), workers=config.workers, timeout_s=config.timeout_s,
                              versions_dir=str(Path(config.data_dir) / "stores"))
    per_user, per_ip = RateLimiter(limit=5), RateLimiter(limit=20)  # failed logins per 5 minutes
    claim, alone = claim_data_dir(Path(config.data_dir))
    if alone:  # no other server (nor a worker of a killed one) uses the folder: clear what killed runs left
        shutil.rmtree(Path(config.data_dir) / "tmp", ignore_errors=True)
        app.state.orphans_removed = record.remove_orphans()
        share_data_dir(claim)
    tmp_dir = Path(config.data_dir) / "tmp" / f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    app.state.data_claim = claim
    app.state.record, app.state.pool, app.state.config = record, pool, config
    max_bytes = int(config.max_upload_mb * 1024 * 1024)
    app.add_middleware(BodyLimit, max_bytes=max_bytes + 256 * 1024)  # room for the form's other fields

    # ---- errors: always {"error": ...}
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error(exc.status, exc.message, exc.file)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.scope.get("gisplan.too_large"):
            return _error(413, f"the upload is larger than the limit of {config.max_upload_mb:g} MB (--max-upload-mb)")
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = "not found"
        return _error(exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _error(422, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        return _error(500, f"internal error: {type(exc).__name__}")

    app.add_middleware(Headers, loopback_only=users is None, tiles=_tile_origins(config.basemap))

    # ---- who is asking
    def _session(request: Request) -> tuple[User, str] | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        found = record.session(hash_token(cookie))
        if not found:
            return None
        name, csrf, stamp = found
        if users is None:
            return (LOCAL_USER, csrf) if name == LOCAL_USER.name else None
        user = users.get(name)
        if user is None or not same(user.stamp or "-", stamp or "-"):  # removed, or its password was set since
            return None
        return user, csrf

    async def current_user(request: Request) -> User:  # async: no thread hand-off per request (all fast)
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            if users is None:
                return LOCAL_USER
            user = users.for_token(auth[7:].strip())
            if not user:
                raise ApiError(401, "unknown API token")
            request.state.by_token = True
            return user
        found = _session(request)
        if found:
            request.state.csrf = found[1]
            return found[0]
        if users is None and not _from_browser(request):
            return LOCAL_USER  # a script on this machine
        raise ApiError(401, "log in first (or send an API token)")

    def _from_browser(request: Request) -> bool:
        return bool(request.headers.get("origin")) or request.headers.get("sec-fetch-site") not in (None, "none")

    def check_csrf(request: Request, form_token: str | None) -> None:
        if getattr(request.state, "by_token", False):
            return  # no ambient credentials: nothing to forge
        expected = getattr(request.state, "csrf", None)
        if expected is None:
            if users is None and not _from_browser(request):
                return  # a local script without a session
            raise ApiError(403, "missing or wrong CSRF token")
        given = form_token or request.headers.get("x-csrf-token")
        if not same(given, expected):
            raise ApiError(403, "missing or wrong CSRF token")

    def admin(user: User) -> None:
        if not user.is_admin:
            raise ApiError(403, "only an admin may do this")

    CurrentUser = Annotated[User, Depends(current_user)]

    def _cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")

    def _start_session(request: Request, user: User, mode: str) -> JSONResponse:
        """A new session of ``user``: its cookie set on the answer, its CSRF token in the body."""
        token, csrf = new_token(), new_token()
        record.add_session(hash_token(token), user.name, csrf, SESSION_TTL_S, stamp=user.stamp)
        response = JSONResponse({"user": user.name, "role": user.role, "csrf": csrf, "mode": mode})
        _cookie(response, request, SESSION_COOKIE, token, SESSION_TTL_S)
        return response

    # ---- page
    @app.get("/", include_in_schema=False)
    async def page():
        return FileResponse(_static("index.html"), media_type="text/html; charset=utf-8")

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return Response(status_code=204)

    @app.get("/docs", include_in_schema=False)
    async def docs():
        return FileResponse(_static("docs.html"), media_type="text/html; charset=utf-8")

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str):
        if name in ("app.js", "i18n.js", "map.js", "app.css", "index.html", "docs.js", "guide.js"):
            return FileResponse(_static(name))
        if name in ("leaflet.js", "leaflet.css"):
            return FileResponse(_leaflet(name))
        raise ApiError(404, "not found")

    # ---- sessions
    @app.get("/api/session")
    async def session(request: Request):
        """Who is logged in, with the CSRF token the page sends back on every form."""
        found = _session(request)
        if found:
            user, csrf = found
            return {"user": user.name, "role": user.role, "csrf": csrf, "mode": "users" if users else "local"}
        if users is None:
            return _start_session(request, LOCAL_USER, "local")
        pre = new_token()
        response = JSONResponse({"user": None, "role": None, "csrf": pre, "mode": "users"})
        _cookie(response, request, PRELOGIN_COOKIE, pre, 3600)
        return response

    @app.post("/api/login")
    async def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                    csrf_token: Annotated[str | None, Form()] = None):
        """Log in (form fields ``username``, ``password``, ``csrf_token`` from ``GET /api/session``)."""
        if users is None:
            raise ApiError(400, "this server has one local user and no logins (started without --users)")
        if not same(csrf_token or request.headers.get("x-csrf-token"), request.cookies.get(PRELOGIN_COOKIE)):
            raise ApiError(403, "missing or wrong CSRF token")
        ip = _client_ip(request)
        name_key = username[:200]
        # a slot is taken before the (slow) password check: concurrent attempts cannot all be checked
        if not per_ip.reserve(ip):
            record.audit(name_key, "login_blocked", "rate limit (client address)", ip)
            raise ApiError(429, "too many failed logins; wait a few minutes and try again")
        if not per_user.reserve(name_key):
            per_ip.settle(ip, failed=False)
            record.audit(name_key, "login_blocked", "rate limit (user)", ip)
            raise ApiError(429, "too many failed logins; wait a few minutes and try again")
        user = None
        try:
            user = await run_in_threadpool(users.verify, username, password)
        finally:
            per_user.settle(name_key, failed=user is None)
            per_ip.settle(ip, failed=user is None)
        if not user:
            record.audit(name_key, "login_failed", "", ip)
            raise ApiError(401, "wrong user name or password")
        per_user.clear(name_key)
        record.audit(user.name, "login", "", ip)
        response = _start_session(request, user, "users")
        response.delete_cookie(PRELOGIN_COOKIE, path="/")
        return response

    @app.post("/api/logout")
    async def logout(request: Request, user: CurrentUser, csrf_token: Annotated[str | None, Form()] = None):
        """End the session."""
        check_csrf(request, csrf_token)
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            record.drop_session(hash_token(cookie))
        record.audit(user.name, "logout", "", _client_ip(request))
        response = JSONResponse({"user": None})
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ---- reading and screening
    def _options(**kw) -> dict:
        return {k: v for k, v in kw.items() if v not in (None, "")}

    async def _keep(upload: UploadFile, target: Path) -> str:
        name = _client_name(upload.filename)
        if (upload.size or 0) <= INLINE_UPLOAD_BYTES:  # held in memory: copying it takes microseconds
            size = _save_upload(upload.file, target)
        else:
            size = await run_in_threadpool(_save_upload, upload.file, target)
        if size == 0:
            target.unlink(missing_ok=True)
            raise ApiError(400, f"the uploaded file {name} is empty", file=name)
        return name

    @app.post("/api/read")
    async def read(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
                   source_crs: Annotated[str | None, Form()] = None, layer: Annotated[str | None, Form()] = None,
                   encoding: Annotated[str | None, Form()] = None, cm: Annotated[int | None, Form()] = None,
                   towgs84: Annotated[str | None, Form()] = None, dxf_layer: Annotated[str | None, Form()] = None,
                   csrf_token: Annotated[str | None, Form()] = None):
        """What ``gisplan read`` understands of a site file (format, CRS and why, parts, area, warnings)."""
        check_csrf(request, csrf_token)
        name = _client_name(file.filename)
        target = tmp_dir / (secrets.token_hex(8) + _extension(name))
        try:
            await _keep(file, target)
            out = await pool.call(engine.read_upload, str(target), name,
                                  _options(source_crs=source_crs, layer=layer, encoding=encoding, cm=cm,
                                           towgs84=towgs84, dxf_layer=dxf_layer))
        finally:
            target.unlink(missing_ok=True)
        if "error" in out:
            raise ApiError(out["status"], out["error"], file=name)
        return out

    @app.post("/api/screen", openapi_extra=_form_openapi(ScreenForm))
    async def screen(request: Request, user: CurrentUser):
        """Screen a site file; returns exactly the JSON of ``gisplan screen --json`` plus ``id``.

        Multipart form: ``file`` (the site file) and the fields below (as ``gisplan screen``).
        """
        async with request.form() as form:
            file, fields = _parse_form(form, ScreenForm)
            return await _screen(request, user, file, **fields)

    async def _screen(request: Request, user: User, file: UploadFile, *, radius, width, buffer, industry,
                      national_major, source_crs, layer, encoding, cm, towgs84, dxf_layer, csrf_token,
                      project_name=None, builder=None, project_code=None, construction_nature=None) -> Response:
        check_csrf(request, csrf_token)
        t0 = time.perf_counter()
        sid = record.new_id()
        client = _client_name(file.filename)
        target = record.upload_path(sid, _extension(client))
        await _keep(file, target)
        opts = _options(radius=radius, width=width, buffer=buffer, industry=industry, national_major=national_major,
                        source_crs=source_crs, layer=layer, encoding=encoding, cm=cm, towgs84=towgs84,
                        dxf_layer=dxf_layer, project_name=project_name, builder=builder, project_code=project_code,
                        construction_nature=construction_nature)
        ip = _client_ip(request)
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

    # ---- the record
    def _visible(user: User, sid: str):
        if not record.valid_id(sid):
            raise ApiError(404, "no such screening")
        row = record.get(sid)
        if row is None:
            raise ApiError(404, "no such screening")
        if not user.is_admin and row.user != user.name:
            raise ApiError(403, "this screening belongs to another user")
        return row

    @app.get("/api/screenings")
    async def screenings(user: CurrentUser, q: str | None = None,
                         date_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                         date_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
                         since: Annotated[str | None, Query(pattern=_INSTANT)] = None,
                         until: Annotated[str | None, Query(pattern=_INSTANT)] = None,
                         verdict: Annotated[str | None, Query(pattern="^(prohibited|restricted|review|allowed|outside)$")] = None,
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200):
        """Past screenings, newest first: yours (a reviewer) or everyone's (an admin).

        ``q`` searches site and file names, the project form (name, builder,
        project code), the industry, the verdict and unit codes (every word must
        be found); ``verdict`` keeps one decision (``outside``: sites wholly outside
        the store's data, where no verdict is given); ``from``/``to`` are UTC days,
        ``since``/``until`` UTC instants (``2026-01-31T16:00:00+00:00``).
        """
        rows = record.list(user=None if user.is_admin else user.name, q=q, date_from=date_from, date_to=date_to,
                           since=_utc(since), until=_utc(until), verdict=verdict, limit=limit)
        return {"screenings": [r.summary() for r in rows]}

    @app.get("/api/screenings/{sid}/site")
    async def screening_site(sid: str, user: CurrentUser):
        """The site and its screened footprint (GeoJSON, CGCS2000 lon/lat) of a recorded screening."""
        row = _visible(user, sid)
        pickled = await run_in_threadpool(record.result_pickle, sid)
        again = {"upload": str(record.dir / row.upload), "client": row.client_filename, "params": row.params}
        out = await pool.call(engine.site_geojson, pickled, again)
        if "error" in out:
            raise ApiError(out["status"], out["error"], file=row.client_filename)
        return out

    @app.get("/api/screenings/{sid}")
    async def screening(sid: str, user: CurrentUser):
        """One screening: its record entry, its result JSON and its notes in the page's words (``notes``)."""
        from .messages import page_note

        row = _visible(user, sid)
        result = _recorded_before_groups(json.loads(record.result_json(sid)))
        notes = [page_note(w, file=row.client_filename) for w in result.get("warnings") or []]
        return dict(row.summary(), result=result, notes=notes)

    @app.get("/api/screenings/{sid}/report.json")
    async def screening_json(sid: str, user: CurrentUser):
        """The result JSON exactly as stored."""
        _visible(user, sid)
        return Response(record.result_json(sid), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{sid}.json"'})

    @app.get("/api/screenings/{sid}/{name}")
    async def screening_file(request: Request, sid: str, name: str, user: CurrentUser,
                             lang: Annotated[str, Query(pattern="^(zh|en)$")] = "zh"):
        """``report.docx|xlsx|png|pdf``, ``map.html`` or ``layers.gpkg|kmz`` (rendered once, then kept).

        ``report.pdf`` is the whole report (``ScreeningResult.to_pdf``). The maps and the
        DOCX/PDF figure are drawn over the server's basemap (``--basemap``).
        """
        if name not in OUTPUT_TYPES:
            raise ApiError(404, "not found")
        row = _visible(user, sid)
        basemap = config.basemap
        folder = record.outputs_dir(sid, lang if basemap.kind == "offline" else f"{lang}-{basemap.key}")
        if not (folder / name).is_file():
            pickled = await run_in_threadpool(record.result_pickle, sid)
            again = {"upload": str(record.dir / row.upload), "client": row.client_filename, "params": row.params,
                     "generated_at": json.loads(record.result_json(sid)).get("generated_at", ""),
                     "store_name": row.store_name}
            out = await pool.call(engine.render_output, pickled, row.store_sha256, str(folder), name, lang, again,
                                  basemap)
            if "error" in out:
                raise ApiError(out["status"], out["error"])
            record.audit(user.name, "render", f"{sid} {name} {lang}", _client_ip(request))
        disposition = "inline" if name == "map.html" else "attachment"
        stem = re.sub(r"[^\w\-]+", "_", row.site_name)[:60] or sid
        filename = f"{stem}_{sid}{os.path.splitext(name)[1]}"
        return FileResponse(folder / name, media_type=OUTPUT_TYPES[name], content_disposition_type=disposition,
                            filename=filename)

    # ---- layers, industries, admin
    @app.get("/api/layers")
    async def layers(user: CurrentUser):
        """The store: name, SHA-256, layer versions and a per-kind summary."""
        out = await pool.call(engine.store_info)
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        return out

    @app.get("/api/backdrop")
    async def backdrop(request: Request, user: CurrentUser):
        """The store's control units, simplified (GeoJSON), for the drawing map."""
        out = await pool.call(engine.backdrop_json)  # the worker keeps it per store version: never stale
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        return _json_maybe_gzip(request, _packed_text(app.state, "backdrop", out["json"]))

    @app.get("/api/labels")
    async def labels_():
        """The words the page shares with the reports: decisions (gisplan.labels), map colours, the form's choices."""
        from ..labels import DECISION_LABELS
        from ..render import palette
        from ..engine.single import OUTSIDE_LABEL
        from ..finding_groups import GROUP_ORDER, group_label
        from ..project_info import CONSTRUCTION_NATURES, CONSTRUCTION_NATURES_EN
        from ..vocab import ELEMENT_KINDS
        from .messages import crs_choices

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

    @app.get("/api/industries")
    async def industries_(user: CurrentUser, q: str = "", limit: Annotated[int, Query(ge=1, le=300)] = 20):
        """Project types matching what is typed in ``q`` (a type-ahead), best first.

        Each: ``code``, ``name``, ``catalogue_item`` (the 2021 EIA catalogue's
        number, or null), ``catalogue_section``, ``scheme``, ``scheme_label``,
        ``matched_by``, ``label`` (:func:`gisplan.rules.industry.suggest`) and
        ``eia_section`` (the same as ``catalogue_section``, for older clients).
        """
        from ..rules.industry import suggest

        return {"industries": [dict(s, eia_section=s.get("catalogue_section") or "")
                               for s in suggest(q, limit, catalogue_only=False)]}

    @app.get("/api/guide")
    async def guide_(request: Request, user: CurrentUser, industry: str,
                     national_major: Annotated[str | None, Query(pattern="^(yes|no)$")] = None,
                     county: Annotated[str | None, Query(max_length=40)] = None):
        """Siting guidance (选址引导): the store's faces with the verdict ``industry`` gets there (GeoJSON,
        simplified for display) and the area totals per county; kept per store version and parameters."""
        from .guide import guide_json

        if not industry.strip() or len(industry) > 100:
            raise ApiError(400, "industry: give a project type (e.g. 化工, 公路, 光伏)")
        major = None if national_major is None else national_major == "yes"
        out = await pool.call(guide_json, industry.strip(), major, county)
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        return _json_maybe_gzip(request, _packed_text(app.state, "guide", out["json"]))

    @app.get("/api/units/{code}")
    async def unit(code: str, user: CurrentUser):
        """A control unit's card: code, name, category, county, area and its access-list clauses by dimension."""
        if not re.fullmatch(r"[\w\-.]{1,40}", code):
            raise ApiError(404, f"no control unit {code[:40]}")
        out = await pool.call(engine.unit_card, code)
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        return out

    # ---- the basemap
    tile_file = None
    if config.basemap.kind == "file":
        from ..render.tiles import open_tile_file

        tile_file = open_tile_file(config.basemap.source)
    app.state.tile_file = tile_file

    @app.get("/api/basemap")
    async def basemap_info(user: CurrentUser):
        """The basemap the page draws: the offline vector basemap and, when configured, tiles (URL, CRS, zooms)."""
        spec = config.basemap
        out = {"kind": spec.kind, "crs": spec.crs, "attribution": spec.attribution}
        if spec.kind == "url":
            out.update(url=spec.source, subdomains=spec.subdomains, minzoom=0, maxzoom=18)
        elif spec.kind == "file":
            out.update(url="/api/basemap/tiles/{z}/{x}/{y}", subdomains="", minzoom=tile_file.minzoom,
                       maxzoom=tile_file.maxzoom, bounds=tile_file.bounds,
                       attribution=spec.attribution or tile_file.name)
        return out

    @app.get("/api/basemap/tiles/{z}/{x}/{y}")
    async def basemap_tile(z: int, x: int, y: int, user: CurrentUser):
        """One tile of the server's MBTiles/PMTiles basemap (404 where the file has none)."""
        if tile_file is None or not (0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
            raise ApiError(404, "not found")
        data = tile_file.get(z, x, y)
        if data is None:
            raise ApiError(404, "not found")
        return Response(data, media_type=tile_file.content_type, headers={"Cache-Control": "private, max-age=86400"})

    @app.get("/api/basemap/offline")
    async def basemap_offline(request: Request, user: CurrentUser):
        """The offline basemap around the store (GeoJSON): county boundaries (lines) and seats (points)."""
        out = await pool.call(engine.offline_json)  # the worker keeps it per store version: never stale
        if "error" in out:
            raise ApiError(out["status"], out["error"])
        return _json_maybe_gzip(request, _packed_text(app.state, "offline", out["json"]))

    @app.get("/api/audit")
    async def audit(user: CurrentUser, limit: Annotated[int, Query(ge=1, le=5000)] = 500):
        """The audit log (admin)."""
        admin(user)
        return {"audit": record.audit_log(limit)}

    async def _admin_import(request: Request, user: User, file: UploadFile, what: str, label: str, fn, *args) -> dict:
        admin(user)
        target = tmp_dir / (secrets.token_hex(8) + _extension(_client_name(file.filename)))
        try:
            name = await _keep(file, target)
            out = await pool.call(fn, str(target), name, *args, timeout_s=max(pool.timeout_s, 600))
        finally:
            target.unlink(missing_ok=True)
        ip = _client_ip(request)
        if "error" in out:
            record.audit(user.name, f"{what}_refused", f"{label} {name}: {out['error']}", ip)
            raise ApiError(out["status"], out["error"])
        # no pool restart: each worker's open_store sees the replaced file on its next call
        record.audit(user.name, what, f"{label} {name}: " + " | ".join(out["lines"])[:2000], ip)
        return out

    @app.post("/api/layers/{kind}")
    async def import_layer(request: Request, kind: str, user: CurrentUser, file: Annotated[UploadFile, File()],
                           layer: Annotated[str | None, Form()] = None, encoding: Annotated[str | None, Form()] = None,
                           source_crs: Annotated[str | None, Form()] = None,
                           map: Annotated[list[str] | None, Form()] = None,
                           csrf_token: Annotated[str | None, Form()] = None):
        """Import a file as layer ``kind`` of the store (admin; as ``gisplan layers import``)."""
        check_csrf(request, csrf_token)
        if kind not in KINDS:
            raise ApiError(404, f"no layer kind {kind!r}; one of {', '.join(KINDS)}")
        opts = _options(layer=layer, encoding=encoding, source_crs=source_crs, map=map)
        return await _admin_import(request, user, file, "import_layer", kind, engine.import_layer_file, kind, opts)

    @app.post("/api/rules")
    async def import_rules(request: Request, user: CurrentUser, file: Annotated[UploadFile, File()],
                           sheet: Annotated[str | None, Form()] = None, map: Annotated[list[str] | None, Form()] = None,
                           clear: Annotated[bool, Form()] = False, csrf_token: Annotated[str | None, Form()] = None):
        """Import access-list clauses (XLSX/CSV) into the store (admin; as ``gisplan rules import``)."""
        check_csrf(request, csrf_token)
        opts = _options(sheet=sheet, map=map, clear=clear)
        return await _admin_import(request, user, file, "import_rules", "access list", engine.import_rules_file, opts)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def not_found(path: str):
        raise ApiError(404, "not found")

    return app
