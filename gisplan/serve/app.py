"""The FastAPI application of ``gisplan serve``: the reviewer's page and the HTTP API (OpenAPI at ``/docs``).

:func:`create_app` sets up what the routes share (:class:`~gisplan.serve.context.ServeContext`),
the middleware and the error answers, then includes the routers of
:mod:`gisplan.serve.routes`, one per concern. Errors are JSON ``{"error": "..."}`` (400 bad
input with the CLI's one-line messages, 401, 403, 404, 413, 422, 429, 504), never a traceback or
a server path.
"""


import os
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..render.basemap import BasemapSpec
from ..vocab import KINDS as VOCAB_KINDS
from .auth import RateLimiter, Users
from .context import ServeContext
from .http import ApiError, BodyLimit, Headers, error_response, tile_origins
from .pool import EnginePool
from .record import Record
from .routes import routers

__all__ = ["ServeConfig", "create_app", "claim_data_dir", "share_data_dir", "KINDS"]

#: Layer kinds an admin may import through the API (the four zoning kinds and the element zones).
KINDS = VOCAB_KINDS


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
                  docs_url=None, redoc_url=None)  # /docs is an offline page (Swagger UI needs a CDN)
    record = Record(config.data_dir)
    users = Users(config.users) if config.users else None
    pool = pool or EnginePool(str(config.store), workers=config.workers, timeout_s=config.timeout_s,
                              versions_dir=str(Path(config.data_dir) / "stores"))
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
        return error_response(exc.status, exc.message, exc.file)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.scope.get("gisplan.too_large"):
            return error_response(413, f"the upload is larger than the limit of {config.max_upload_mb:g} MB "
                                       "(--max-upload-mb)")
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = "not found"
        return error_response(exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return error_response(422, "invalid request: " + "; ".join(parts))

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        return error_response(500, f"internal error: {type(exc).__name__}")

    app.add_middleware(Headers, loopback_only=users is None, tiles=tile_origins(config.basemap))

    # ---- the basemap's tile file, opened once
    tile_file = None
    if config.basemap.kind == "file":
        from ..render.tiles import open_tile_file

        tile_file = open_tile_file(config.basemap.source)
    app.state.tile_file = tile_file

    # ---- what the routes share, and the routes by concern (see gisplan.serve.routes)
    app.state.serve = ServeContext(config=config, record=record, users=users, pool=pool, tmp_dir=tmp_dir,
                                   per_user=RateLimiter(limit=5), per_ip=RateLimiter(limit=20),  # per 5 minutes
                                   tile_file=tile_file)
    for router in routers():
        app.include_router(router)

    @app.api_route("/{path:path}", methods=["GET", "POST", "PUT", "DELETE", "PATCH"], include_in_schema=False)
    async def not_found(path: str):
        raise ApiError(404, "not found")

    return app
