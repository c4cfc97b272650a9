"""Sessions: who is logged in (``/api/session``), ``/api/login`` (rate-limited) and ``/api/logout``."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..auth import LOCAL_USER, hash_token, new_token, same
from ..context import (PRELOGIN_COOKIE, SESSION_COOKIE, CurrentUser, check_csrf, context_of, session_of, set_cookie,
                       start_session)
from ..http import ApiError, client_ip

__all__ = ["router"]

router = APIRouter()


@router.get("/api/session")
async def session(request: Request):
    """Who is logged in, with the CSRF token the page sends back on every form."""
    users = context_of(request).users
    found = session_of(request)
    if found:
        user, csrf = found
        return {"user": user.name, "role": user.role, "csrf": csrf, "mode": "users" if users else "local"}
    if users is None:
        return start_session(request, LOCAL_USER, "local")
    pre = new_token()
    response = JSONResponse({"user": None, "role": None, "csrf": pre, "mode": "users"})
    set_cookie(response, request, PRELOGIN_COOKIE, pre, 3600)
    return response


@router.post("/api/login")
async def login(request: Request, username: Annotated[str, Form()], password: Annotated[str, Form()],
                csrf_token: Annotated[str | None, Form()] = None):
    """Log in (form fields ``username``, ``password``, ``csrf_token`` from ``GET /api/session``)."""
    ctx = context_of(request)
    users, record, per_ip, per_user = ctx.users, ctx.record, ctx.per_ip, ctx.per_user
    if users is None:
        raise ApiError(400, "this server has one local user and no logins (started without --users)")
    if not same(csrf_token or request.headers.get("x-csrf-token"), request.cookies.get(PRELOGIN_COOKIE)):
        raise ApiError(403, "missing or wrong CSRF token")
    ip = client_ip(request)
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
    response = start_session(request, user, "users")
    response.delete_cookie(PRELOGIN_COOKIE, path="/")
    return response


@router.post("/api/logout")
async def logout(request: Request, user: CurrentUser, csrf_token: Annotated[str | None, Form()] = None):
    """End the session."""
    check_csrf(request, csrf_token)
    record = context_of(request).record
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        record.drop_session(hash_token(cookie))
    record.audit(user.name, "logout", "", client_ip(request))
    response = JSONResponse({"user": None})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
