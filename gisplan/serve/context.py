"""Who is asking, and what every route of ``gisplan serve`` reaches: the server's context and its checks.

:class:`ServeContext` holds what :func:`gisplan.serve.app.create_app` sets up
(the configuration, the record, the users, the worker pool, the upload folder,
the login rate limits, the basemap's tile file); a route finds it with
:func:`context_of` (``request.app.state.serve``). :data:`CurrentUser` is the
dependency every route but the pages and the login takes (a session cookie, an
API token, or the local user of a server without ``--users``); a route that
changes something calls :func:`check_csrf`, an admin route :func:`require_admin`.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from .auth import LOCAL_USER, RateLimiter, User, Users, hash_token, new_token, same
from .http import INLINE_UPLOAD_BYTES, ApiError, client_name, save_upload
from .pool import EnginePool
from .record import Record

__all__ = ["ServeContext", "context_of", "session_of", "current_user", "CurrentUser", "check_csrf", "require_admin",
           "set_cookie", "start_session", "keep_upload", "options", "SESSION_COOKIE", "PRELOGIN_COOKIE",
           "SESSION_TTL_S"]

SESSION_COOKIE = "gisplan_session"
PRELOGIN_COOKIE = "gisplan_prelogin"
SESSION_TTL_S = 12 * 3600


@dataclass
class ServeContext:
    """What the routes of one application share (made once by ``create_app``).

    Attributes
    ----------
    config : ServeConfig
    record : Record
        The data folder's record (screenings, audit log, sessions).
    users : Users or None
        The users file; None: one local user (loopback only).
    pool : EnginePool
        The screening workers.
    tmp_dir : Path
        This server's folder for uploads being read or imported.
    per_user, per_ip : RateLimiter
        Failed logins per user name and per client address.
    tile_file : object or None
        The MBTiles/PMTiles basemap, when ``--basemap`` names a file.
    """

    config: Any
    record: Record
    users: Users | None
    pool: EnginePool
    tmp_dir: Path
    per_user: RateLimiter
    per_ip: RateLimiter
    tile_file: Any = None


def context_of(request: Request) -> ServeContext:
    """The :class:`ServeContext` of the application answering ``request``."""
    return request.app.state.serve


def session_of(request: Request) -> tuple[User, str] | None:
    """The user and CSRF token of the request's session cookie (None: no live session, or its user is gone or
    has had the password set since)."""
    ctx = context_of(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = ctx.record.session(hash_token(cookie))
    if not found:
        return None
    name, csrf, stamp = found
    if ctx.users is None:
        return (LOCAL_USER, csrf) if name == LOCAL_USER.name else None
    user = ctx.users.get(name)
    if user is None or not same(user.stamp or "-", stamp or "-"):  # removed, or its password was set since
        return None
    return user, csrf


def _from_browser(request: Request) -> bool:
    return bool(request.headers.get("origin")) or request.headers.get("sec-fetch-site") not in (None, "none")


async def current_user(request: Request) -> User:  # async: no thread hand-off per request (all fast)
    """Who asks: an API token (``Authorization: Bearer``), a session, or the local user of a server without
    ``--users`` asked by a script on this machine; else 401."""
    users = context_of(request).users
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        if users is None:
            return LOCAL_USER
        user = users.for_token(auth[7:].strip())
        if not user:
            raise ApiError(401, "unknown API token")
        request.state.by_token = True
        return user
    found = session_of(request)
    if found:
        request.state.csrf = found[1]
        return found[0]
    if users is None and not _from_browser(request):
        return LOCAL_USER  # a script on this machine
    raise ApiError(401, "log in first (or send an API token)")


CurrentUser = Annotated[User, Depends(current_user)]


def check_csrf(request: Request, form_token: str | None) -> None:
    """403 unless the form's (or the ``X-CSRF-Token`` header's) token is the session's; an API token or a local
    script without a session has nothing to forge."""
    if getattr(request.state, "by_token", False):
        return  # no ambient credentials: nothing to forge
    expected = getattr(request.state, "csrf", None)
    if expected is None:
        if context_of(request).users is None and not _from_browser(request):
            return  # a local script without a session
        raise ApiError(403, "missing or wrong CSRF token")
    given = form_token or request.headers.get("x-csrf-token")
    if not same(given, expected):
        raise ApiError(403, "missing or wrong CSRF token")


def require_admin(user: User) -> None:
    """403 unless ``user`` is an admin."""
    if not user.is_admin:
        raise ApiError(403, "only an admin may do this")


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    """An HTTP-only, same-site-strict cookie (secure over HTTPS)."""
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")


def start_session(request: Request, user: User, mode: str) -> JSONResponse:
    """A new session of ``user``: its cookie set on the answer, its CSRF token in the body."""
    token, csrf = new_token(), new_token()
    context_of(request).record.add_session(hash_token(token), user.name, csrf, SESSION_TTL_S, stamp=user.stamp)
    response = JSONResponse({"user": user.name, "role": user.role, "csrf": csrf, "mode": mode})
    set_cookie(response, request, SESSION_COOKIE, token, SESSION_TTL_S)
    return response


def options(**kw) -> dict:
    """The options given (None and empty text left out)."""
    return {k: v for k, v in kw.items() if v not in (None, "")}


async def keep_upload(upload: UploadFile, target: Path) -> str:
    """Copy an upload to ``target`` (a new file); returns the client's file name (400 for an empty file)."""
    name = client_name(upload.filename)
    if (upload.size or 0) <= INLINE_UPLOAD_BYTES:  # held in memory: copying it takes microseconds
        size = save_upload(upload.file, target)
    else:
        size = await run_in_threadpool(save_upload, upload.file, target)
    if size == 0:
        target.unlink(missing_ok=True)
        raise ApiError(400, f"the uploaded file {name} is empty", file=name)
    return name
