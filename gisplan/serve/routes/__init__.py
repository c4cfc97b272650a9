"""The routes of ``gisplan serve``, one module per concern, each an :class:`fastapi.APIRouter`.

``pages`` (the page, its static files and words), ``auth`` (sessions, login,
logout), ``screening`` (reading and screening a site, the project-type
type-ahead), ``record`` (past screenings and their reports), ``store`` (the
store's layers, backdrop and unit cards), ``guide`` (siting guidance), ``basemap`` (the page's basemap) and
``admin`` (the audit log, layer and access-list imports). A new concern is a new
module whose ``router`` is added to :func:`routers`; every route reaches the
server's context through :func:`gisplan.serve.context.context_of`.
"""

__all__ = ["routers"]


def routers() -> list:
    """The routers in the order they are included (the catch-all 404 comes after them all).

    Imported when called: this package imports without the ``serve`` extra, its modules need it.
    """
    from . import admin, auth, basemap, guide, pages, record, screening, store

    return [pages.router, auth.router, screening.router, record.router, store.router, guide.router, basemap.router, admin.router]
