"""``gisplan serve``: a reviewer's web page and HTTP API over one layer store.

Modules
-------
engine
    The only glue to the screening engine (read, screen, render), run in worker processes.
pool
    The worker pool: screenings off the event loop, one store per worker, a time limit.
record
    The screening record and audit log (SQLite, WAL) in the data folder.
auth
    Accounts (argon2 hashes), sessions, CSRF tokens, login rate limiting, API tokens.
app
    The FastAPI application factory: what the routes share, middleware, error answers.
context
    What every route reaches (:class:`~gisplan.serve.context.ServeContext`) and who is asking (session, API
    token, CSRF, admin).
http
    The error answer, the middleware and the upload and form helpers the routes share.
routes
    The routes by concern, one ``APIRouter`` each: ``pages``, ``auth``, ``screening``, ``record``, ``store``,
    ``basemap``, ``admin``.
"""

from __future__ import annotations

__all__: list[str] = []
